"""SMATTEST_PUBLISH_APPROVALS: a second pair of eyes before a policy version is published."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from smattest.models import DraftApproval, HREvent, PolicyDraft, PolicyVersion
from smattest.publishing.policies import get_policy, publish

from . import hostapp
from .conftest import all_databases

HR = "/compliance/hr"
V1 = "# Social Media Policy\n\nDo not friend clients.\n"
V2 = "# Social Media Policy\n\nDo not friend or follow clients.\n"

approvals_required = pytest.mark.settings(SMATTEST_PUBLISH_APPROVALS=1)


@pytest.fixture
def policy(app, freeze):
    freeze("2026-03-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", V1, "First version.",
            effective=dt.date(2026, 1, 5), published_by="cli")  # fmt: skip
    return get_policy("social-media")


def page(response) -> str:
    return response.get_data(as_text=True)


def revision_in(html: str, form: str) -> str:
    found = re.search(
        rf'id="smattest-{form}-revision" name="revision" type="hidden" value="([^"]*)"', html
    )
    assert found, f"no {form} form"
    return found.group(1)


def rows(model):
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model).order_by(model.id)).all()


def sign_in(client, login_as, user):
    """Sign ``user`` in and visit once, so that smattest knows their name."""
    login_as(user)
    client.get("/compliance/")


@pytest.fixture
def two_hr(client, make_user, login_as):
    """Hana writes drafts; Omar reviews them. Both are HR and on the roster."""
    hana = make_user(name="Hana Okafor", is_hr=True)
    omar = make_user(name="Omar Haddad", is_hr=True)
    for person in (omar, hana):
        sign_in(client, login_as, person)
    return hana, omar


def start_draft(client, body=V2):
    response = client.post(
        f"{HR}/drafts/new?policy=social-media",
        data={"body": body, "summary": "Following clients too.", "change": "material",
              "effective_date": ""},
    )  # fmt: skip
    assert response.status_code == 303
    return rows(PolicyDraft)[-1].id


def current_revision(client, draft_id):
    return revision_in(page(client.get(f"{HR}/drafts/{draft_id}")), "draft")


def publish_from_preview(client, draft_id):
    revision = current_revision(client, draft_id)
    return client.post(f"{HR}/drafts/{draft_id}/publish", data={"revision": revision})


def approve(client, draft_id, comment=""):
    preview = page(client.get(f"{HR}/drafts/{draft_id}/preview"))
    return client.post(
        f"{HR}/drafts/{draft_id}/approve",
        data={"revision": revision_in(preview, "approve"), "comment": comment},
    )


@approvals_required
def test_the_author_alone_cannot_publish(client, policy, two_hr):
    draft_id = start_draft(client)  # Hana, signed in last

    preview = page(client.get(f"{HR}/drafts/{draft_id}/preview"))
    assert "needs 1 approval from HR users other than its author (Hana Okafor)" in preview
    assert "Nobody has approved it yet." in preview
    assert "You wrote this draft, so you cannot approve it" in preview
    assert "It cannot be published yet: 1 more approval needed" in preview
    assert "Publish version 2</button>" not in preview

    # Posting the publish form anyway (an old tab, a crafted request) is refused.
    response = client.post(
        f"{HR}/drafts/{draft_id}/publish", data={"revision": current_revision(client, draft_id)}
    )
    assert response.status_code == 400
    assert "needs 1 approval from HR users other than its author" in page(response)
    assert [v.number for v in rows(PolicyVersion)] == [1]
    assert len(rows(PolicyDraft)) == 1


@approvals_required
def test_the_author_cannot_approve_their_own_draft(client, policy, two_hr):
    hana, _ = two_hr
    draft_id = start_draft(client)
    revision = current_revision(client, draft_id)

    response = client.post(f"{HR}/drafts/{draft_id}/approve", data={"revision": revision})

    assert response.status_code == 400
    assert "its approval must come from another HR user" in page(response)
    assert rows(DraftApproval) == []


@approvals_required
def test_a_second_hr_users_approval_allows_publishing(client, login_as, policy, two_hr):
    hana, omar = two_hr
    draft_id = start_draft(client)

    sign_in(client, login_as, omar)
    response = approve(client, draft_id, comment="Checked against the union agreement.")
    assert response.status_code == 303
    preview = page(client.get(f"{HR}/drafts/{draft_id}/preview"))
    assert "<strong>Omar Haddad</strong>\n      approved it at 2 March 2026, 09:00 UTC" in preview
    assert "<q>Checked against the union agreement.</q>" in preview
    assert "You have approved this draft as it is now." in preview
    [approval] = rows(DraftApproval)
    assert approval.approver == str(omar.id) and approval.comment.startswith("Checked")

    sign_in(client, login_as, hana)
    response = publish_from_preview(client, draft_id)
    assert response.status_code == 303
    assert [v.number for v in rows(PolicyVersion)] == [1, 2]
    assert rows(PolicyDraft) == [] and rows(DraftApproval) == []
    log = {e.action: e for e in rows(HREvent)}
    assert log["draft.approve"].actor == str(omar.id)
    assert "Checked against the union agreement." in log["draft.approve"].detail
    assert f"approved by Omar Haddad ({omar.id})" in log["policy.publish"].detail


@all_databases
@approvals_required
def test_an_edit_after_approval_clears_it(client, login_as, policy, two_hr):
    hana, omar = two_hr
    draft_id = start_draft(client)
    sign_in(client, login_as, omar)
    assert approve(client, draft_id).status_code == 303
    assert len(rows(DraftApproval)) == 1

    sign_in(client, login_as, hana)
    editor = page(client.get(f"{HR}/drafts/{draft_id}"))
    response = client.post(
        f"{HR}/drafts/{draft_id}",
        data={"revision": revision_in(editor, "draft"), "body": V2 + "\nNo likes either.\n",
              "summary": "Following clients too.", "change": "material", "effective_date": ""},
        follow_redirects=True,
    )  # fmt: skip
    assert "Its approval was cleared: the draft changed" in page(response)
    assert rows(DraftApproval) == []
    assert "1 approval cleared" in rows(HREvent)[-1].detail

    response = publish_from_preview(client, draft_id)
    assert response.status_code == 400
    assert "needs 1 approval" in page(response)
    assert [v.number for v in rows(PolicyVersion)] == [1]


@approvals_required
def test_an_approval_of_a_text_since_changed_is_refused(client, login_as, policy, two_hr):
    hana, omar = two_hr
    draft_id = start_draft(client)
    sign_in(client, login_as, omar)
    stale = revision_in(page(client.get(f"{HR}/drafts/{draft_id}/preview")), "approve")
    sign_in(client, login_as, hana)
    editor = page(client.get(f"{HR}/drafts/{draft_id}"))
    client.post(
        f"{HR}/drafts/{draft_id}",
        data={"revision": revision_in(editor, "draft"), "body": V2 + "\nMore.\n",
              "summary": "Following clients too.", "change": "material", "effective_date": ""},
    )  # fmt: skip

    sign_in(client, login_as, omar)
    response = client.post(f"{HR}/drafts/{draft_id}/approve", data={"revision": stale})

    assert response.status_code == 409
    assert "you would approve a text you have not read" in page(response)
    assert rows(DraftApproval) == []


def test_without_the_setting_nothing_changes(client, policy, two_hr):
    draft_id = start_draft(client)
    preview = page(client.get(f"{HR}/drafts/{draft_id}/preview"))
    assert "Approvals</h2>" not in preview
    assert publish_from_preview(client, draft_id).status_code == 303
    assert [v.number for v in rows(PolicyVersion)] == [1, 2]


# -- the command line ---------------------------------------------------------------------


@approvals_required
def test_the_cli_refuses_a_lone_publish_naming_approvals(runner, policy, tmp_path):
    path = tmp_path / "policy.md"
    path.write_text(V2, encoding="utf-8")
    result = runner.invoke(
        args=["smattest", "policy", "publish", "--slug", "social-media", "--title",
              "Social Media Policy", "--file", str(path), "--summary", "Following clients."]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Nothing published: SMATTEST_PUBLISH_APPROVALS is 1" in result.output
    assert "needs 1 approval from HR users other than its author" in result.output
    assert "flask smattest policy approve DRAFT --actor ID" in result.output
    assert [v.number for v in rows(PolicyVersion)] == [1]


@approvals_required
def test_the_cli_approves_a_draft_and_publishes_it(runner, client, policy, two_hr):
    hana, omar = two_hr
    draft_id = start_draft(client)

    listed = runner.invoke(args=["smattest", "policy", "drafts"])
    assert re.search(rf"{draft_id}\s+social-media\s+2\s+Hana Okafor \({hana.id}\)\s+0 of 1",
                     listed.output)  # fmt: skip

    early = runner.invoke(
        args=["smattest", "policy", "publish-draft", str(draft_id), "--actor", str(hana.id)]
    )
    assert early.exit_code == 1 and "needs 1 approval" in early.output

    own = runner.invoke(
        args=["smattest", "policy", "approve", str(draft_id), "--actor", str(hana.id)]
    )
    assert own.exit_code == 1 and "must come from another HR user" in own.output
    unknown = runner.invoke(args=["smattest", "policy", "approve", str(draft_id), "--actor", "x9"])
    assert (
        unknown.exit_code == 1 and "nobody active on the roster has the id 'x9'" in unknown.output
    )

    result = runner.invoke(
        args=["smattest", "policy", "approve", str(draft_id), "--actor", str(omar.id),
              "--comment", "Approved by the board, minute 12."]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 of 1 approvals needed" in result.output
    [approval] = rows(DraftApproval)
    assert approval.approver == str(omar.id) and approval.comment.endswith("minute 12.")

    result = runner.invoke(
        args=["smattest", "policy", "publish-draft", str(draft_id), "--actor", str(hana.id)]
    )
    assert result.exit_code == 0, result.output
    assert "Published social-media version 2" in result.output
    assert [v.number for v in rows(PolicyVersion)] == [1, 2]
    assert rows(PolicyVersion)[-1].published_by == str(hana.id)
