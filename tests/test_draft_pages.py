"""Writing and publishing policy versions in the browser: what HR sees, what the database holds."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import POLICY, HREvent, PolicyDraft, PolicyVersion, Staff
from smattest.publishing.policies import get_policy, publish
from smattest.rule import compliance

from . import hostapp
from .html import Elements

HR = "/compliance/hr"
V1 = "# Social Media Policy\n\nDo not friend clients.\n\nAsk your supervisor.\n"
pytestmark = pytest.mark.policy(
    now="2026-03-02T09:00:00+00:00", text=V1, effective=dt.date(2026, 1, 5), published_by="cli"
)
V2 = "# Social Media Policy\n\nDo not friend or follow clients.\n\nAsk your supervisor.\n"


def rows(model):
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model).order_by(model.id)).all()


def page(response) -> str:
    return response.get_data(as_text=True)


def article(html: str) -> str:
    return re.search(r'<article class="smattest-policy".*?</article>', html, re.S).group(0)


def revision_in(html: str) -> str:
    return re.search(r'name="revision" type="hidden" value="([^"]*)"', html).group(1)


def new_version(client, body=V2, summary="Following clients too.", **fields):
    data = {"body": body, "summary": summary, "change": "material", "effective_date": "", **fields}
    return client.post(f"{HR}/drafts/new?policy=social-media", data=data)


def save(client, draft_id, revision, **fields):
    return client.post(f"{HR}/drafts/{draft_id}", data={"revision": revision, **fields})


def publish_draft(client, draft_id, **data):
    preview = page(client.get(f"{HR}/drafts/{draft_id}/preview"))
    data.setdefault("revision", revision_in(preview))
    return client.post(f"{HR}/drafts/{draft_id}/publish", data=data)


def test_policies_page_lists_each_version_with_its_facts(client, policy, hr, login_as):
    publish("social-media", "Social Media Policy", V2, "Typo fixed.", minor=True,
            effective=dt.date(2026, 2, 1), published_by=str(hr.id))  # fmt: skip
    client.get("/compliance/")  # Hana's staff row, so her name is known

    html = page(client.get(f"{HR}/policies"))

    assert "<h1>Policies</h1>" in html
    assert (
        '<th scope="row">2 (in force)</th>' in html and '<th scope="row">1 (replaced)</th>' in html
    )
    assert "1 February 2026" in html and "5 January 2026" in html
    assert "Minor: no new signature" in html and "Material: everyone signs" in html
    assert "Hana Okafor, 2 March 2026, 09:00 UTC" in html and "command line, " in html
    assert "Typo fixed." in html and "First version." in html
    assert f'href="{HR}/drafts/new?policy=social-media">Write a new version' in html
    assert f'href="{HR}/drafts/new">New policy</a>' in html


def test_a_new_version_starts_from_the_current_text(client, policy, hr):
    html = page(client.get(f"{HR}/drafts/new?policy=social-media"))

    assert "<h1>Draft of Social Media Policy, version 2</h1>" in html
    assert "Do not friend clients." in html
    assert "<legend>Does everyone need to sign again?</legend>" in html


def test_saving_a_new_version_keeps_the_draft_and_records_who(client, policy, hr):
    response = new_version(client)

    [draft] = rows(PolicyDraft)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{HR}/drafts/{draft.id}"
    assert (draft.policy_id, draft.body_markdown, draft.summary) == (
        policy.id, V2, "Following clients too.",
    )  # fmt: skip
    assert [(e.actor, e.action) for e in rows(HREvent)] == [(str(hr.id), "draft.create")]
    assert "Draft saved. Nothing is published" in page(client.get(response.headers["Location"]))
    assert [v.number for v in rows(PolicyVersion)] == [1]


def test_opening_a_new_version_when_a_draft_is_open_goes_to_it(client, policy, hr):
    new_version(client)
    [draft] = rows(PolicyDraft)

    response = client.get(f"{HR}/drafts/new?policy=social-media")

    assert response.headers["Location"] == f"{HR}/drafts/{draft.id}"
    assert f'href="{HR}/drafts/{draft.id}">Continue the draft' in page(client.get(f"{HR}/policies"))


def test_a_new_policy_draft_has_its_address_and_title(client, app, freeze, hr):
    freeze("2026-03-02T09:00:00+00:00")
    form = page(client.get(f"{HR}/drafts/new"))
    assert 'name="slug"' in form and 'name="title"' in form
    assert "Does everyone need to sign again?" not in form  # a first version is material

    client.post(f"{HR}/drafts/new", data={"slug": "photography", "title": "Photography Policy",
                                          "body": "# Photos\n", "summary": "First."})  # fmt: skip

    [draft] = rows(PolicyDraft)
    assert (draft.policy_id, draft.slug, draft.title) == (None, "photography", "Photography Policy")
    assert "Photography Policy</a>" in page(client.get(f"{HR}/policies"))


def test_editing_a_draft_saves_every_field(client, policy, hr, freeze):
    new_version(client)
    [draft] = rows(PolicyDraft)
    form = page(client.get(f"{HR}/drafts/{draft.id}"))
    freeze("2026-03-02T09:10:00+00:00")

    response = save(client, draft.id, revision_in(form), body="# Rules\r\n\r\nBe kind.\r\n",
                    summary="Rewritten.", change="minor", effective_date="2026-04-01",
                    next="preview")  # fmt: skip

    assert response.headers["Location"] == f"{HR}/drafts/{draft.id}/preview"
    [saved] = rows(PolicyDraft)
    assert (saved.body_markdown, saved.summary, saved.requires_reattestation) == (
        "# Rules\n\nBe kind.\n", "Rewritten.", False,
    )  # fmt: skip
    assert saved.effective_date == dt.date(2026, 4, 1) and saved.updated_by == str(hr.id)


def test_a_save_after_someone_elses_keeps_your_text_and_theirs(
    client, app, policy, hr, freeze, make_user
):
    new_version(client)
    [draft] = rows(PolicyDraft)
    seen = revision_in(page(client.get(f"{HR}/drafts/{draft.id}")))
    ben = app.test_client()
    ben.post(f"/login/{make_user(name='Ben Ito', is_hr=True).id}")
    ben.get("/compliance/")  # his staff row, so his name is known
    freeze("2026-03-02T09:07:00+00:00")
    ben_form = page(ben.get(f"{HR}/drafts/{draft.id}"))
    save(ben, draft.id, revision_in(ben_form), body="Ben's text\n", summary="Ben.")

    mine = save(client, draft.id, seen, body="Hana's <careful> text\n", summary="Hana.")

    html = page(mine)
    assert mine.status_code == 409
    assert 'role="alert"' in html and "Ben Ito saved this draft at 09:07 UTC" in html
    assert "Hana&#39;s &lt;careful&gt; text" in html  # still in the form, as text
    assert "[removed] </span>Ben&#39;s" in html  # their text, in the comparison
    assert rows(PolicyDraft)[0].body_markdown == "Ben's text\n"
    again = save(client, draft.id, revision_in(html), body="Hana's text\n", summary="Hana.")
    assert again.status_code == 303 and rows(PolicyDraft)[0].body_markdown == "Hana's text\n"


def test_a_summary_too_long_is_refused_with_a_link_to_the_field(client, policy, hr):
    response = new_version(client, summary="x" * 2001)

    html = page(response)
    assert response.status_code == 400 and 'role="alert"' in html
    assert '<a href="#smattest-draft-summary">The change summary is 2,001 characters' in html
    assert 'id="smattest-draft-summary" name="summary" rows="3"' in html
    assert rows(PolicyDraft) == []


def test_preview_is_bannered_and_shows_the_text_as_employees_will(client, policy, hr):
    new_version(client)
    [draft] = rows(PolicyDraft)

    html = page(client.get(f"{HR}/drafts/{draft.id}/preview"))

    assert "Draft preview — not published" in html
    assert "<p>Do not friend or follow clients.</p>" in html
    assert "<dt>Version</dt><dd>2</dd>" in html and "Following clients too." in html


def test_preview_is_exactly_the_employee_page_once_published(client, policy, hr):
    new_version(client, body="# Rules\n\n| who | what |\n|---|---|\n| you | *care* |\n\n"
                             "[Intranet](https://intranet.example/)\n")  # fmt: skip
    [draft] = rows(PolicyDraft)
    preview = article(page(client.get(f"{HR}/drafts/{draft.id}/preview")))

    publish_draft(client, draft.id)

    assert article(page(client.get("/compliance/policies/social-media"))) == preview


def test_script_and_html_in_a_draft_are_inert_in_the_preview(client, policy, hr):
    new_version(
        client,
        body="<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n"
        '<a href="#" onclick="steal()">raw</a>\n\n<img src=x onerror=alert(3)>',
    )
    [draft] = rows(PolicyDraft)

    html = page(client.get(f"{HR}/drafts/{draft.id}/preview"))

    assert not Elements(html).has_handler_or_script()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_diff_shows_what_the_draft_changes_in_the_version_in_force(client, policy, hr):
    new_version(client, body=V2 + "\nReport incidents the same day.\n")
    [draft] = rows(PolicyDraft)

    html = page(client.get(f"{HR}/drafts/{draft.id}/diff"))

    assert "What changed from version 1 to the draft of version 2" in html
    assert "2 paragraphs or list items: 1 changed, 1 added." in html
    assert ('<ins><span class="smattest-vh">[added] </span>or follow '
            '<span class="smattest-vh"> [end of added]</span></ins>clients.') in html  # fmt: skip
    assert "Report incidents the same day." in html


def test_publishing_makes_the_version_and_removes_the_draft(client, policy, hr):
    new_version(client)
    [draft] = rows(PolicyDraft)

    response = publish_draft(client, draft.id)

    assert response.status_code == 303 and response.headers["Location"] == f"{HR}/policies"
    assert "Published version 2 of Social Media Policy, in force from 2 March 2026" in page(
        client.get(f"{HR}/policies")
    )
    [_, v2] = rows(PolicyVersion)
    assert (v2.number, v2.body_markdown, v2.published_by) == (2, V2, str(hr.id))
    assert rows(PolicyDraft) == []
    assert [e.action for e in rows(HREvent)] == ["draft.create", "policy.publish"]


def test_a_new_policy_is_published_with_its_signature_period(client, app, freeze, hr):
    freeze("2026-03-02T09:00:00+00:00")
    client.post(f"{HR}/drafts/new", data={"slug": "photography", "title": "Photography Policy",
                                          "body": "# Photos\n", "summary": "First."})  # fmt: skip
    [draft] = rows(PolicyDraft)

    publish_draft(client, draft.id, every_months="24")

    policy = get_policy("photography")
    assert (policy.title, policy.every_months, [v.number for v in policy.versions]) == (
        "Photography Policy", 24, [1],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"body": V1}, "The text is the same as version 1: nothing to publish."),
        ({"summary": ""}, "The change summary is empty"),
        ({"effective_date": "2026-03-01"}, "The effective date 2026-03-01 is in the past"),
    ],
)
def test_a_refused_publish_shows_why_and_publishes_nothing(client, policy, hr, fields, problem):
    new_version(client, **fields)
    [draft] = rows(PolicyDraft)

    response = publish_draft(client, draft.id)

    html = page(response)
    assert response.status_code == 400
    assert re.search(r'role="alert".*<h2>Nothing was published</h2>.*' + re.escape(problem),
                     html, re.S)  # fmt: skip
    assert [v.number for v in rows(PolicyVersion)] == [1]
    assert [d.id for d in rows(PolicyDraft)] == [draft.id]


def test_publishing_what_someone_changed_since_the_preview_is_refused(client, policy, hr, freeze):
    new_version(client)
    [draft] = rows(PolicyDraft)
    previewed = revision_in(page(client.get(f"{HR}/drafts/{draft.id}/preview")))
    freeze("2026-03-02T09:07:00+00:00")
    edit = page(client.get(f"{HR}/drafts/{draft.id}"))
    save(client, draft.id, revision_in(edit), body="Other\n", summary="Other.")

    response = publish_draft(client, draft.id, revision=previewed)

    assert response.status_code == 409
    assert "after you opened it. Nothing was published." in page(response)
    assert "<p>Other</p>" in page(response)  # the preview now shows what would be published
    assert [v.number for v in rows(PolicyVersion)] == [1]
    again = client.post(
        f"{HR}/drafts/{draft.id}/publish", data={"revision": revision_in(page(response))}
    )
    assert again.status_code == 303 and rows(PolicyVersion)[-1].body_markdown == "Other\n"


@pytest.fixture
def signed_employee(app, client, policy, login_as):
    """Priya signed version 1 on 10 January; then HR signs in."""
    priya = login_as(name="Priya Raman")
    client.get("/compliance/")
    staff = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(priya.id)))
    attest(staff, "social-media", 1, "Priya Raman")
    return staff


@pytest.mark.parametrize(("change", "status"), [("material", "due_soon"), ("minor", "current")])
def test_a_material_version_makes_signed_staff_due_and_a_minor_one_does_not(
    client, login_as, signed_employee, policy, change, status
):
    assert compliance.standing(signed_employee, POLICY, policy.id).status == "current"
    login_as(name="Hana Okafor", is_hr=True)
    new_version(client, change=change)
    [draft] = rows(PolicyDraft)

    publish_draft(client, draft.id)

    assert compliance.standing(signed_employee, POLICY, policy.id).status == status


def test_discarding_a_draft_removes_it_and_leaves_versions_alone(client, policy, hr):
    new_version(client)
    [draft] = rows(PolicyDraft)
    form = page(client.get(f"{HR}/drafts/{draft.id}"))

    response = client.post(
        f"{HR}/drafts/{draft.id}/discard", data={"revision": discard_revision(form)}
    )

    assert response.headers["Location"] == f"{HR}/policies"
    assert rows(PolicyDraft) == [] and [v.number for v in rows(PolicyVersion)] == [1]
    assert [e.action for e in rows(HREvent)] == ["draft.create", "draft.discard"]
    assert client.get(f"{HR}/drafts/{draft.id}").status_code == 404


def discard_revision(html: str) -> str:
    pattern = r'id="smattest-discard-revision" name="revision" type="hidden" value="([^"]*)"'
    return re.search(pattern, html).group(1)


def test_discarding_a_draft_someone_saved_since_is_refused(client, policy, hr, freeze):
    new_version(client)
    [draft] = rows(PolicyDraft)
    seen = page(client.get(f"{HR}/drafts/{draft.id}"))
    freeze("2026-03-02T09:07:00+00:00")
    save(client, draft.id, revision_in(seen), body="Newer\n", summary="Newer.")

    refused = client.post(
        f"{HR}/drafts/{draft.id}/discard", data={"revision": discard_revision(seen)}
    )

    html = page(refused)
    assert refused.status_code == 409 and "<h2>Nothing was discarded</h2>" in html
    assert "Newer" in html and len(rows(PolicyDraft)) == 1
    again = client.post(
        f"{HR}/drafts/{draft.id}/discard", data={"revision": discard_revision(html)}
    )
    assert again.status_code == 303 and rows(PolicyDraft) == []


#: HR routes that write and name versions, and why none changes a published one: each
#: records a new, older version before any smattest published (issue 21's past versions).
ADDS_PAST_VERSIONS = {f"{HR}/evidence/past-versions/policy", f"{HR}/evidence/past-versions/course"}


def test_no_hr_route_changes_a_published_version(app):
    writes = {"POST", "PUT", "PATCH", "DELETE"}
    offending = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(HR)
        and "version" in rule.rule
        and writes & rule.methods
        and rule.rule not in ADDS_PAST_VERSIONS
    ]
    hr_rules = [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(HR)]
    assert f"{HR}/drafts/<int:draft_id>/publish" in hr_rules
    assert offending == []


def test_publishing_a_newer_version_leaves_the_older_row_as_it_was(client, policy, hr):
    columns = PolicyVersion.__table__.columns
    before = hostapp.db.session.execute(sa.select(columns).where(PolicyVersion.number == 1)).one()
    new_version(client)
    [draft] = rows(PolicyDraft)

    publish_draft(client, draft.id)

    after = hostapp.db.session.execute(sa.select(columns).where(PolicyVersion.number == 1)).one()
    assert after == before and len(rows(PolicyVersion)) == 2


def test_employees_get_403_from_every_drafting_page(client, policy, login_as, hr):
    new_version(client)
    [draft] = rows(PolicyDraft)
    login_as.logout()
    login_as(name="Sam Ordinary")

    for method, url in [
        ("GET", f"{HR}/policies"), ("GET", f"{HR}/drafts/new?policy=social-media"),
        ("POST", f"{HR}/drafts/new"), ("GET", f"{HR}/drafts/{draft.id}"),
        ("POST", f"{HR}/drafts/{draft.id}"), ("GET", f"{HR}/drafts/{draft.id}/preview"),
        ("GET", f"{HR}/drafts/{draft.id}/diff"), ("POST", f"{HR}/drafts/{draft.id}/publish"),
        ("POST", f"{HR}/drafts/{draft.id}/discard"),
    ]:  # fmt: skip
        assert client.open(url, method=method).status_code == 403, url
    assert rows(PolicyDraft)[0].body_markdown == V2


def test_anonymous_visitors_are_sent_to_sign_in(client, policy):
    response = client.get(f"{HR}/drafts/new?policy=social-media")

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_save_without_the_forms_token_saves_nothing_and_keeps_the_text(client, policy, hr):
    response = new_version(client, body="My careful text\n")

    html = page(response)
    assert response.status_code == 400
    assert "This page had expired. Nothing was saved: please save again." in html
    assert "My careful text" in html and rows(PolicyDraft) == []


def test_html_in_titles_and_summaries_is_shown_as_text(client, app, freeze, hr):
    freeze("2026-03-02T09:00:00+00:00")
    client.post(f"{HR}/drafts/new", data={"slug": "hostile", "title": "<b>Bold</b> Policy",
                                          "body": "Text\n", "summary": "<i>x</i>"})  # fmt: skip
    [draft] = rows(PolicyDraft)

    for url in [f"{HR}/policies", f"{HR}/drafts/{draft.id}", f"{HR}/drafts/{draft.id}/preview"]:
        html = page(client.get(url))
        assert "&lt;b&gt;Bold&lt;/b&gt; Policy" in html and "<b>Bold" not in html, url
    assert "&lt;i&gt;x&lt;/i&gt;" in page(client.get(f"{HR}/drafts/{draft.id}/preview"))
    publish_draft(client, draft.id)
    html = page(client.get(f"{HR}/policies"))
    assert "&lt;b&gt;Bold&lt;/b&gt; Policy" in html and "<td>&lt;i&gt;x&lt;/i&gt;</td>" in html


def test_two_people_starting_a_version_at_once_keep_one_draft_and_both_texts(
    app, client, policy, hr, make_user
):
    ben = app.test_client()
    ben.post(f"/login/{make_user(name='Ben Ito', is_hr=True).id}")
    new_version(ben, body="Ben's version\n")
    [draft] = rows(PolicyDraft)

    mine = new_version(client, body="Hana's version\n")

    html = page(mine)
    assert mine.status_code == 409 and "is already open" in html
    assert "Hana&#39;s version" in html
    assert f'<a href="{HR}/drafts/{draft.id}">their draft</a>' in html
    assert [d.body_markdown for d in rows(PolicyDraft)] == ["Ben's version\n"]


def test_saving_a_draft_someone_published_meanwhile_keeps_your_text(client, policy, hr):
    new_version(client)
    [draft] = rows(PolicyDraft)
    form = page(client.get(f"{HR}/drafts/{draft.id}"))
    publish_draft(client, draft.id)

    response = save(client, draft.id, revision_in(form), body="Late edit\n", summary="Late.")

    html = page(response)
    assert response.status_code == 409
    assert "This draft was published or discarded since you opened it. Nothing was saved." in html
    assert "Late edit" in html and "readonly" in html
    assert [v.number for v in rows(PolicyVersion)] == [1, 2]
