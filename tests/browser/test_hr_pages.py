"""HR and manager pages in a real browser: axe-core finds nothing, and at a phone's width
(375 px) the page itself never scrolls sideways (a wide table may scroll in its own box).

One shared site holds a small agency: HR's Dana, who also manages three
people; 24 more staff in five departments; a policy some have signed, one
exemption, a course one person passed, a draft of the next version, and
reminders sent, given up and stuck. Each HR page is opened as Dana.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

import smattest.drafts as drafts
from smattest.attest import attest
from smattest.models import DraftApproval, Exemption, PolicyDraft, Reminder, Staff, UnlinkedSignIn
from smattest.people.staff import staff_for_user
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.training import questions_of, start_attempt, submit

from .. import hostapp
from .conftest import assert_accessible, assert_no_sideways_scroll, path_for, sign_in_as

CONTENT = Path(__file__).parents[2] / "examples" / "intranet" / "intranet" / "content"

#: A page missing from the app fails its test: every HR page must be checked.
NOT_BUILT_YET = pytest.fail

DEPARTMENTS = [
    "Child Protection",
    "Adult Services",
    "Family Support",
    "Foster Care and Adoption",
    "Business Support",
]


def _add_staff(session, n: int, **fields) -> Staff:
    staff = Staff(
        external_id=f"roster-{n}",
        email=f"person.{n}@agency.example",
        full_name=f"Person {n}",
        department=DEPARTMENTS[n % len(DEPARTMENTS)],
        hire_date=dt.date(2019, 1, 7) + dt.timedelta(days=97 * n),
        active=True,
    )
    for key, value in fields.items():
        setattr(staff, key, value)
    session.add(staff)
    return staff


@pytest.fixture(scope="module")
def agency(shared_site, shared_page):
    """The agency's data, with Dana signed in on the shared page; returns the ids HR
    pages take in their URLs."""
    shared_site.freeze("2026-03-02T14:30:00+00:00")
    with shared_site.app.app_context():
        session = hostapp.db.session
        dana = hostapp.User(name="Dana Whitfield", email="dana.whitfield@agency.example",
                            department="Business Support", is_hr=True,
                            hire_date=dt.date(2015, 9, 1))  # fmt: skip
        session.add(dana)
        session.commit()
        staff_for_user(dana)
        team = [
            _add_staff(session, n, manager_email=dana.email, department="Business Support")
            for n in range(1, 4)
        ]
        others = [_add_staff(session, n) for n in range(4, 28)]
        # A name with markup and a long department, as rosters really hold them.
        others[0].full_name = "Siobhán <b>O'Connor-Ferreira</b>"
        others[1].hire_date = dt.date(2026, 2, 16)  # a new hire
        session.commit()

        version = publish("social-media", "Social Media Policy",
                          (CONTENT / "social-media-policy.md").read_text(encoding="utf-8"),
                          "First version.", effective=dt.date(2026, 1, 5))  # fmt: skip
        for person in [*team[:2], *others[::3]]:
            attest(person, "social-media", 1, person.full_name)
        course = import_course(
            json.loads((CONTENT / "social-media-refresher.json").read_text(encoding="utf-8"))
        ).version
        attempt = start_attempt(others[0], course.course)
        submit(others[0], attempt.id,
               {p.question.id: p.question.correct for p in questions_of(attempt)})  # fmt: skip
        session.add(Exemption(staff_id=others[2].id, requirement_kind="policy",
                              requirement_id=version.policy_id, reason="On parental leave",
                              until=dt.date(2026, 6, 30), granted_by=str(dana.id)))  # fmt: skip
        session.add(PolicyDraft(policy_id=version.policy_id, summary="Says whom to ask.",
                                body_markdown=version.body_markdown.replace(
                                    "If something here is unclear, ask.",
                                    "If something here is unclear, ask HR."),
                                requires_reattestation=False,
                                created_by=others[5].external_id))  # fmt: skip
        now = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
        reminder = dict(requirement_kind="policy", requirement_id=version.policy_id,
                        cycle_due=dt.date(2026, 2, 4), attempts=1)  # fmt: skip
        session.add_all([
            Reminder(staff_id=others[4].id, stage="overdue-1", status="sent",
                     recipient=others[4].email, sent_at=now - dt.timedelta(days=1), **reminder),
            Reminder(staff_id=others[5].id, stage="overdue-1", status="failed",
                     last_error="550 5.1.1 <person.9@agency.example>: mailbox unavailable",
                     claimed_at=now - dt.timedelta(days=1), **reminder),
            Reminder(staff_id=others[7].id, stage="escalate", status="sending",
                     claimed_at=now - dt.timedelta(hours=3), claim_token="0" * 36, **reminder),
        ])  # fmt: skip
        # A sign-in refused under a new id: the notice on every HR page, and its list.
        session.add(UnlinkedSignIn(external_id="new-0004", staff_id=others[0].id,
                                   email=others[0].email, full_name=None, visits=2,
                                   first_seen_at=now, last_seen_at=now))  # fmt: skip
        session.commit()
        draft_id = session.scalar(sa.select(PolicyDraft.id))
        # Two approvals needed, one given: the preview lists it and offers Dana the form.
        shared_site.app.config["SMATTEST_PUBLISH_APPROVALS"] = 2
        draft = session.get(PolicyDraft, draft_id)
        session.add(DraftApproval(draft_id=draft_id, approver=others[6].external_id,
                                  revision=drafts.revision(draft), text_sha256="0" * 64,
                                  comment="Checked with the union."))  # fmt: skip
        session.commit()
        exemption_id = session.scalar(sa.select(Exemption.id))
        sign_in_as(shared_page, dana.id)
        return {"staff_id": others[0].id, "draft_id": draft_id, "exemption_id": exemption_id,
                "exempt_staff_id": others[2].id, "slug": course.course.slug}  # fmt: skip


#: Every HR or manager page a browser opens with GET, and the ids its URL takes.
PAGES = [
    ("smattest.hr_dashboard", ()),
    ("smattest.hr_people", ()),
    ("smattest.hr_person", ("staff_id",)),
    ("smattest.hr_exemption_grant", ("staff_id",)),
    ("smattest.hr_attest_on_behalf", ("staff_id",)),
    ("smattest.hr_exemption_end", ("exemption_id",)),
    ("smattest.hr_roster", ()),
    ("smattest.hr_policies", ()),
    ("smattest.hr_draft_new", ()),
    ("smattest.hr_draft_edit", ("draft_id",)),
    ("smattest.hr_draft_preview", ("draft_id",)),
    ("smattest.hr_draft_diff", ("draft_id",)),
    ("smattest.hr_exports", ()),
    ("smattest.hr_past_versions", ()),
    ("smattest.hr_course_questions", ("slug",)),
    ("smattest.hr_reminders", ()),
    ("smattest.hr_identity", ()),
    ("smattest.hr_relink", ("staff_id",)),
    ("smattest.team", ()),
]


@pytest.mark.parametrize(
    ("endpoint", "takes"), PAGES, ids=[endpoint.split(".")[1] for endpoint, _ in PAGES]
)
def test_hr_page_passes_axe_and_fits_a_phone(site_page, shared_site, agency, endpoint, takes):
    app = shared_site.app
    if endpoint not in app.view_functions:
        NOT_BUILT_YET(f"{endpoint} is not registered yet")

    response = site_page.goto(path_for(app, endpoint, **{name: agency[name] for name in takes}))

    assert response.status == 200
    assert_accessible(site_page)
    assert_no_sideways_scroll(site_page)


#: HR's forms, the button that submits them, and the first problem an empty submission has.
FORMS = [
    ("smattest.hr_exemption_grant", ("staff_id",), "Grant the exemption",
     "Give the reason for the exemption: an auditor will ask."),
    ("smattest.hr_attest_on_behalf", ("staff_id",), "Record the attestation",
     "Type the signature as it is on the paper form."),
    ("smattest.hr_exemption_end", ("exemption_id",), "End the exemption",
     "Say why the exemption ends now: it goes in HR's log."),
    ("smattest.hr_roster", (), "Preview the changes", None),
    ("smattest.hr_draft_new", (), "Save draft", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("endpoint", "takes", "button", "problem"),
    FORMS,
    ids=[endpoint.split(".")[1] for endpoint, *_ in FORMS],
)
def test_a_refused_form_opens_at_its_error_summary_with_focus_on_it(
    site_page, shared_site, agency, endpoint, takes, button, problem
):
    page = site_page
    page.goto(path_for(shared_site.app, endpoint, **{name: agency[name] for name in takes}))
    page.get_by_role("button", name=button).click()

    summary = page.locator("#smattest-error-summary")
    expect(summary).to_be_in_viewport()
    expect(summary).to_be_focused()
    if problem is not None:
        expect(summary.get_by_role("link", name=problem)).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)


#: For each row of the people table: does its status cell lie wholly inside the viewport?
_STATUSES_IN_VIEW = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll(".smattest-people tbody tr")].map(row => {
    const cells = [...row.querySelectorAll("td[data-label]")].slice(-1);
    return cells.every(c => {
      const b = c.getBoundingClientRect();
      return b.left >= 0 && b.right <= width;
    });
  });
}"""


@pytest.mark.parametrize("endpoint", ["smattest.hr_people", "smattest.team"])
def test_on_a_phone_each_person_is_a_card_with_the_statuses_in_view(
    site_page, shared_site, agency, endpoint
):
    site_page.goto(path_for(shared_site.app, endpoint))

    assert site_page.viewport_size["width"] == 375
    rows = site_page.locator(".smattest-people tbody tr")
    assert rows.count() > 0
    assert all(site_page.evaluate(_STATUSES_IN_VIEW))
    box = site_page.locator(".smattest-table-scroll").first
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")  # nothing to scroll sideways
    first = rows.first.locator("td[data-label]").last
    assert first.evaluate("c => getComputedStyle(c, '::before').content").startswith('"Social')
    assert_accessible(site_page)
