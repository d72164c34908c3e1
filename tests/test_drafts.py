"""Policy drafts as the database holds them: start, save, conflicts, discard, publish."""

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest import drafts
from smattest.drafts import DraftConflict, DraftError
from smattest.models import HREvent, Policy, PolicyDraft, PolicyVersion
from smattest.publishing.policies import PolicyError, publish, text_sha256

from . import hostapp
from .conftest import all_databases

V1 = "# Social Media Policy\n\nDo not friend clients.\n"
pytestmark = pytest.mark.policy(
    now="2026-03-02T09:00:00+00:00", text=V1, summary="First.", effective=dt.date(2026, 1, 5)
)
V2 = "# Social Media Policy\n\nDo not friend or follow clients.\n"


def start(policy, body=V2, summary="Following clients too.", actor="7", **fields):
    fields.setdefault("requires_reattestation", True)
    fields.setdefault("effective_date", None)
    return drafts.start_draft(policy, body=body, summary=summary, actor=actor, **fields)


def save(draft, seen=None, body=V2, summary="Following clients too.", actor="7", **fields):
    fields.setdefault("requires_reattestation", True)
    fields.setdefault("effective_date", None)
    seen = drafts.revision(draft) if seen is None else seen
    return drafts.save_draft(draft.id, seen, body=body, summary=summary, actor=actor, **fields)


def rows(model):
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model).order_by(model.id)).all()


def events() -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in rows(HREvent)]


def test_starting_a_draft_records_it_and_who_started_it(policy):
    draft = start(policy, actor="7")

    [row] = rows(PolicyDraft)
    assert (row.id, row.policy_id, row.body_markdown, row.created_by) == (
        draft.id,
        policy.id,
        V2,
        "7",
    )
    assert events() == [("7", "draft.create")]
    assert "version 2" in rows(HREvent)[0].detail


def test_a_policy_has_at_most_one_open_draft(policy):
    first = start(policy, actor="7")

    with pytest.raises(DraftConflict, match="already open") as raised:
        start(policy, body="Another text\n", actor="8")

    assert raised.value.draft.id == first.id
    assert [d.id for d in rows(PolicyDraft)] == [first.id]
    assert events() == [("7", "draft.create")]


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("social-media", "exists already"),
        ("Social Media", "is not valid"),
        ("x" * 81, "at most 80"),
    ],
)
def test_a_new_policy_needs_a_free_well_formed_address(policy, slug, problem):
    with pytest.raises(DraftError, match=problem):
        start(None, slug=slug, title="Another Policy")

    assert rows(PolicyDraft) == []


def test_saving_replaces_the_fields_and_changes_the_revision(policy, freeze):
    draft = start(policy)
    before = drafts.revision(draft)
    freeze("2026-03-02T09:05:00+00:00")

    saved = save(draft, body="New text\n", summary="Shorter.", requires_reattestation=False,
                 effective_date=dt.date(2026, 4, 1), actor="8")  # fmt: skip

    [row] = rows(PolicyDraft)
    assert (row.body_markdown, row.summary, row.requires_reattestation, row.effective_date) == (
        "New text\n", "Shorter.", False, dt.date(2026, 4, 1),
    )  # fmt: skip
    assert row.updated_by == "8" and row.created_by == "7"
    assert drafts.revision(saved) != before
    assert events() == [("7", "draft.create"), ("8", "draft.update")]


def test_a_save_from_a_stale_revision_is_refused_and_keeps_the_other_save(policy, freeze):
    draft = start(policy)
    seen_by_ada = drafts.revision(draft)
    freeze("2026-03-02T09:05:00+00:00")
    save(draft, body="Ben's text\n", actor="8")

    with pytest.raises(DraftConflict, match="saved this draft at 09:05 UTC") as raised:
        save(draft, seen=seen_by_ada, body="Ada's text\n", actor="7")

    assert raised.value.draft.body_markdown == "Ben's text\n"
    assert rows(PolicyDraft)[0].body_markdown == "Ben's text\n"


@all_databases
def test_a_save_overtaken_between_check_and_write_is_refused(policy, freeze, monkeypatch):
    draft = start(policy)
    engine = hostapp.db.engines[None]
    checked = drafts.writing._current_or_conflict

    def check_then_someone_saves(draft_id, seen, doing):
        found = checked(draft_id, seen, doing)
        with engine.begin() as conn:  # another request, on its own connection
            conn.execute(
                sa.update(PolicyDraft.__table__)
                .where(PolicyDraft.id == draft_id)
                .values(body_markdown="Ben's text\n", updated_by="8",
                        updated_at=dt.datetime(2026, 3, 2, 9, 1, tzinfo=dt.UTC))
            )  # fmt: skip
        return found

    monkeypatch.setattr(drafts.writing, "_current_or_conflict", check_then_someone_saves)

    with pytest.raises(DraftConflict, match="just before you"):
        save(draft, body="Ada's text\n", actor="7")

    assert rows(PolicyDraft)[0].body_markdown == "Ben's text\n"
    assert events() == [("7", "draft.create")]


def test_saving_a_text_too_long_to_keep_is_refused(policy):
    draft = start(policy)

    with pytest.raises(DraftError, match="too long to keep"):
        save(draft, body="é" * (drafts.MAX_TEXT_BYTES // 2 + 1))

    assert rows(PolicyDraft)[0].body_markdown == V2


def test_discarding_removes_the_draft_and_records_who(policy):
    draft = start(policy)

    drafts.discard_draft(draft.id, drafts.revision(draft), actor="8")

    assert rows(PolicyDraft) == []
    assert events() == [("7", "draft.create"), ("8", "draft.discard")]
    assert [v.number for v in rows(PolicyVersion)] == [1]


def test_discarding_from_a_stale_revision_is_refused(policy, freeze):
    draft = start(policy)
    seen = drafts.revision(draft)
    freeze("2026-03-02T09:05:00+00:00")
    save(draft, body="Ben's text\n", actor="8")

    with pytest.raises(DraftConflict):
        drafts.discard_draft(draft.id, seen, actor="7")

    assert len(rows(PolicyDraft)) == 1


@all_databases
def test_publishing_adds_the_version_and_removes_the_draft_together(policy):
    draft = start(policy, effective_date=dt.date(2026, 3, 9))

    version = drafts.publish_draft(draft.id, drafts.revision(draft), actor="7")

    [v1, v2] = rows(PolicyVersion)
    assert (v2.id, v2.number, v2.body_markdown, v2.summary) == (
        version.id, 2, V2, "Following clients too.",
    )  # fmt: skip
    assert v2.text_sha256 == text_sha256(V2)
    assert (v2.published_by, v2.requires_reattestation, v2.effective_date) == (
        "7", True, dt.date(2026, 3, 9),
    )  # fmt: skip
    assert rows(PolicyDraft) == []
    assert events() == [("7", "draft.create"), ("7", "policy.publish")]
    assert f"SHA-256 {v2.text_sha256}" in rows(HREvent)[-1].detail


def test_a_minor_draft_publishes_a_minor_version(policy):
    draft = start(policy, requires_reattestation=False)

    version = drafts.publish_draft(draft.id, drafts.revision(draft), actor="7")

    assert version.requires_reattestation is False


@all_databases
def test_a_refused_publish_puts_the_draft_back(policy):
    draft = start(policy, body=V1)

    with pytest.raises(PolicyError, match="the same as version 1"):
        drafts.publish_draft(draft.id, drafts.revision(draft), actor="7")

    assert [d.id for d in rows(PolicyDraft)] == [draft.id]
    assert [v.number for v in rows(PolicyVersion)] == [1]
    assert events() == [("7", "draft.create")]


@pytest.mark.parametrize(
    ("fields", "error", "problem"),
    [
        ({"body": V1}, PolicyError, "the same as version 1"),
        ({"body": "  \n"}, PolicyError, "text is empty"),
        ({"summary": "  "}, PolicyError, "summary is empty"),
        ({"effective_date": dt.date(2026, 3, 1)}, DraftError, "is in the past"),
    ],
)
def test_a_draft_that_cannot_be_published_leaves_no_version_and_keeps_the_draft(
    policy, fields, error, problem
):
    draft = start(policy, **fields)

    with pytest.raises(error, match=problem):
        drafts.publish_draft(draft.id, drafts.revision(draft), actor="7")

    assert [v.number for v in rows(PolicyVersion)] == [1]
    assert [d.id for d in rows(PolicyDraft)] == [draft.id]
    assert events() == [("7", "draft.create")]


def test_a_version_cannot_take_effect_before_the_one_it_follows(policy, freeze):
    publish("social-media", "Social Media Policy", V2, "Later.", effective=dt.date(2026, 6, 1))
    draft = start(policy, body="Third text\n", effective_date=dt.date(2026, 5, 1))

    with pytest.raises(PolicyError, match="before version 2's"):
        drafts.publish_draft(draft.id, drafts.revision(draft), actor="7")

    assert [v.number for v in rows(PolicyVersion)] == [1, 2]


def test_publishing_from_a_stale_revision_is_refused(policy, freeze):
    draft = start(policy)
    seen = drafts.revision(draft)
    freeze("2026-03-02T09:05:00+00:00")
    save(draft, body="Ben's text\n", actor="8")

    with pytest.raises(DraftConflict):
        drafts.publish_draft(draft.id, seen, actor="7")

    assert [v.number for v in rows(PolicyVersion)] == [1]


def test_a_new_policy_is_created_by_publishing_its_draft(app, freeze):
    freeze("2026-03-02T09:00:00+00:00")
    draft = drafts.start_draft(
        None, slug="photography", title="  Photography   Policy ", body="# Photos\n",
        summary="First.", requires_reattestation=True, effective_date=None, actor="7",
    )  # fmt: skip

    version = drafts.publish_draft(draft.id, drafts.revision(draft), actor="7", every_months=24)

    [policy] = rows(Policy)
    assert (policy.slug, policy.title, policy.every_months) == (
        "photography",
        "Photography Policy",
        24,
    )
    assert (version.number, version.effective_date) == (1, dt.date(2026, 3, 2))
    assert rows(PolicyDraft) == []


def test_a_new_policy_draft_whose_address_was_taken_meanwhile_is_not_published(app, freeze):
    freeze("2026-03-02T09:00:00+00:00")
    draft = drafts.start_draft(
        None, slug="photography", title="Photography", body="# Photos\n", summary="First.",
        requires_reattestation=True, effective_date=None, actor="7",
    )  # fmt: skip
    publish("photography", "Photography", "# Other photos\n", "From the command line.")

    with pytest.raises(DraftError, match="was published since this draft was started"):
        drafts.publish_draft(draft.id, drafts.revision(draft), actor="7")

    assert [v.body_markdown for v in rows(PolicyVersion)] == ["# Other photos\n"]
