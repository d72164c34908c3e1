"""HR's person page: who they are, where they stand, and everything recorded about them."""

import datetime as dt
import re

import pytest

from smattest import exemptions, training
from smattest.attest import attest, attest_on_behalf
from smattest.db import utcnow
from smattest.evidence import chain as evidence
from smattest.models import POLICY, Attestation, Exemption, HREvent, Reminder, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from . import hostapp
from .evidence_helpers import chain_exemptions
from .html import Elements

pytestmark = [pytest.mark.hr_on_roster, pytest.mark.policy(text="# Policy\n\nBe careful.\n")]

COURSE = {
    "slug": "refresher",
    "title": "Social Media Refresher",
    "pass_mark": 50,
    "sections": [{"title": "Why it matters", "body": "Clients trust us."}],
    "questions": [
        {"id": f"q{n}", "kind": "single", "prompt": f"Scenario {n}?",
         "options": [{"text": "Right", "correct": True}, {"text": "Wrong"}],
         "explanation": "Because."}
        for n in (1, 2)
    ],
}  # fmt: skip


@pytest.fixture
def course(policy_version):
    return import_course(COURSE).version


@pytest.fixture
def manager(make_staff):
    (staff_id,) = make_staff(1, full_name="Maria Lopez", email="maria.lopez@agency.example")
    return hostapp.db.session.get(Staff, staff_id)


@pytest.fixture
def person(make_staff, manager):
    (staff_id,) = make_staff(
        1,
        full_name="Priya Raman",
        email="priya.raman@agency.example",
        department="Child Protection",
        manager_email="maria.lopez@agency.example",
        hire_date=dt.date(2020, 1, 6),
    )
    return hostapp.db.session.get(Staff, staff_id)


def page_of(client, staff) -> str:
    response = client.get(f"/compliance/hr/people/{staff.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, heading: str) -> str:
    """The HTML of the page's section under the <h2> with this text."""
    match = re.search(rf"<h2 id=\"[^\"]+\">{re.escape(heading)}</h2>(.*?)</section>", page, re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def table_row(html: str, text: str) -> str:
    """The one table row (<tr>…</tr>) containing ``text``."""
    found = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if text in row]
    assert len(found) == 1, f"{len(found)} rows contain {text!r}"
    return found[0]


def cells(row: str) -> list[str]:
    return [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row,
                                                                re.S)]  # fmt: skip


def test_header_shows_the_persons_details_and_their_managers_name(
    client, policy_version, hr, person, manager
):
    page = page_of(client, person)

    assert "<h1>Priya Raman</h1>" in page
    assert "<dt>Email</dt><dd>priya.raman@agency.example</dd>" in page
    assert f"<dt>Employee id</dt><dd>{person.external_id}</dd>" in page
    assert "<dt>Department</dt><dd>Child Protection</dd>" in page
    assert (
        f'<dt>Manager</dt><dd><a href="/compliance/hr/people/{manager.id}">Maria Lopez</a> '
        "(maria.lopez@agency.example)</dd>"
    ) in page
    assert "<dt>Hire date</dt><dd>6 January 2020</dd>" in page
    assert "<dt>Record</dt><dd>Active</dd>" in page
    assert f'href="/compliance/hr/people/{person.id}/exemptions/new">Grant an exemption<' in page
    assert (
        f'href="/compliance/hr/people/{person.id}/attest">Record an attestation on their behalf<'
    ) in page


def test_a_manager_not_on_the_roster_is_shown_by_email(client, policy_version, hr, make_staff):
    (staff_id,) = make_staff(1, manager_email="boss@elsewhere.example")

    page = page_of(client, hostapp.db.session.get(Staff, staff_id))

    assert "<dt>Manager</dt><dd>boss@elsewhere.example</dd>" in page


def test_status_shows_each_requirement_with_its_due_date(client, course, hr, person):
    standing = section(page_of(client, person), "Status today")

    assert cells(table_row(standing, "Social Media Policy"))[1:] == [
        '<span class="smattest-status smattest-status-due_soon">Due soon</span>',
        "31 March 2026", "Never",
    ]  # fmt: skip
    assert cells(table_row(standing, "Social Media Refresher"))[1:3] == [
        '<span class="smattest-status smattest-status-due_soon">Due soon</span>', "1 April 2026",
    ]  # fmt: skip


def test_an_inactive_person_is_said_to_owe_nothing_and_keeps_their_history(
    client, policy_version, hr, person
):
    attest(person, "social-media", 1, "Priya Raman")
    person.active = False
    hostapp.db.session.commit()

    page = page_of(client, person)

    assert "<dt>Record</dt><dd><strong>Inactive</strong></dd>" in page
    assert "Priya Raman is inactive: they owe nothing, get no reminders" in page
    assert "Grant an exemption" not in page and "on their behalf</a>" not in page
    assert "Social Media Policy, version 1</a>" in section(page, "Attestations")


def test_attestations_show_method_signature_reason_recorder_address_and_hashes(
    client, policy_version, hr, person
):
    own = attest(person, "social-media", 1, " priya raman ", ip_address="10.1.2.3").attestation
    second = publish("social-media", "Social Media Policy", "# Policy\n\nBe more careful.\n",
                     "Stricter.")  # fmt: skip
    paper = attest_on_behalf(
        person, "social-media", "Priya Raman", "Signed paper form on 3 May",
        recorded_by=str(hr.id), recorder_ip="10.9.9.9",
    ).attestation  # fmt: skip

    listing = section(page_of(client, person), "Attestations")

    first_row, second_row = table_row(listing, "version 1<"), table_row(listing, "version 2<")
    assert listing.index("version 2<") < listing.index("version 1<")  # newest first
    assert cells(first_row)[:7] == [
        '<a href="/compliance/policies/social-media/versions/1">Social Media Policy, version 1</a>',
        "2 March 2026, 14:30 UTC", "Self (online)", "priya raman", "", "Themselves", "10.1.2.3",
    ]  # fmt: skip
    assert cells(second_row)[2:7] == [
        "On their behalf (HR)", "Priya Raman", "Signed paper form on 3 May", "Hana Okafor",
        "Not recorded: signed on paper",
    ]  # fmt: skip
    assert own.text_sha256 in first_row and second.text_sha256 in second_row
    assert "(first in the chain)" in first_row and own.record_hash in first_row
    assert f'<dd class="smattest-hash">{own.record_hash}</dd>' in second_row  # its prev hash
    assert paper.record_hash in second_row
    assert "<dt>Chain position</dt><dd>2</dd>" in second_row
    # A short prefix to recognise the row; the full hashes only inside a disclosure.
    assert (f'<summary>Position 2, <span class="smattest-hash">{paper.record_hash[:10]}…</span>'
            in second_row)  # fmt: skip
    assert second_row.index("<details") < second_row.index(paper.record_hash)


def test_quiz_attempts_show_course_version_times_score_and_result(
    client, course, hr, person, freeze
):
    failed = training.start_attempt(person, course.course)
    freeze("2026-03-02T14:40:00+00:00")
    training.submit(person, failed.id, {q.id: [1] for q in course.questions})
    training.start_attempt(person, course.course)  # left unsubmitted

    listing = section(page_of(client, person), "Quiz attempts")

    assert cells(table_row(listing, "Not passed")) == [
        "Social Media Refresher, version 1", "2 March 2026, 14:30 UTC", "2 March 2026, 14:40 UTC",
        "0%", "Not passed",
    ]  # fmt: skip
    assert cells(table_row(listing, "14:40 UTC</td>\n        <td>Not submitted")) == [
        "Social Media Refresher, version 1", "2 March 2026, 14:40 UTC", "Not submitted", "",
        "Not submitted",
    ]  # fmt: skip


def test_training_completions_show_score_and_hashes(client, course, hr, person):
    attempt = training.start_attempt(person, course.course)
    completion = training.submit(
        person, attempt.id, {q.id: q.correct for q in course.questions}
    ).completion

    row = table_row(section(page_of(client, person), "Training completions"), "Refresher")

    assert cells(row)[:6] == [
        "Social Media Refresher, version 1", "2 March 2026, 14:30 UTC", "100%", "Quiz passed", "",
        "Themselves",
    ]  # fmt: skip
    assert course.stored_sha256 in row and completion.record_hash in row


def test_exemptions_show_reason_last_day_who_granted_and_who_ended(
    client, policy_version, hr, person, freeze
):
    ended = exemptions.grant(person, POLICY, policy_version.policy_id, "Long-term sick leave",
                             dt.date(2026, 4, 30), str(hr.id))  # fmt: skip
    freeze("2026-03-05T10:00:00+00:00")
    exemptions.end(ended, "cli")
    exemptions.grant(person, POLICY, policy_version.policy_id, "Parental leave", None, str(hr.id))

    listing = section(page_of(client, person), "Exemptions")

    assert cells(table_row(listing, "Long-term sick leave"))[:5] == [
        "Social Media Policy", "Long-term sick leave", "30 April 2026",
        "2 March 2026, 14:30 UTC by Hana Okafor", "5 March 2026, 10:00 UTC by cli",
    ]  # fmt: skip
    active = table_row(listing, "Parental leave")
    assert cells(active)[2:5] == ["No end date", "5 March 2026, 10:00 UTC by Hana Okafor", "Active"]
    assert 'href="/compliance/hr/exemptions/' in active and "End it early" in active


def test_reminders_show_stage_cycle_status_attempts_recipient_and_error(
    client, policy_version, hr, person
):
    session = hostapp.db.session
    common = {"staff_id": person.id, "requirement_kind": POLICY,
              "requirement_id": policy_version.policy_id,
              "cycle_due": dt.date(2026, 3, 31)}  # fmt: skip
    session.add_all([
        Reminder(**common, stage="before-7", status="sent", attempts=1,
                 recipient="priya.raman@agency.example", sent_at=utcnow()),
        Reminder(**common, stage="overdue-3", status="failed", attempts=5,
                 recipient="priya.raman@agency.example", last_error="550 mailbox unavailable"),
        Reminder(**common, stage="escalate", status="pending", attempts=0),
    ])  # fmt: skip
    session.commit()

    listing = section(page_of(client, person), "Reminders")

    # Codes in words: no "overdue-3", no "escalate", no "Attempts 1" on a mail that went.
    assert cells(table_row(listing, "Reminder 7 days before")) == [
        "Social Media Policy", "Reminder 7 days before", "31 March 2026", "Sent",
        "priya.raman@agency.example", "2 March 2026, 14:30 UTC", "",
    ]  # fmt: skip
    assert cells(table_row(listing, "550 mailbox"))[1:] == [
        "3rd overdue reminder", "31 March 2026", "Could not be sent (after 5 tries)",
        "priya.raman@agency.example", "", "550 mailbox unavailable",
    ]  # fmt: skip
    assert cells(table_row(listing, "Escalated to manager"))[3:5] == ["Waiting to be sent", ""]


def test_hr_events_show_when_who_what_and_detail(client, policy_version, hr, person):
    hostapp.db.session.add(
        HREvent(actor="sync", action="roster.import", staff_id=person.id,
                detail="Department: Adult Services -> Child Protection")
    )  # fmt: skip
    hostapp.db.session.commit()
    exemptions.grant(person, POLICY, policy_version.policy_id, "Leave", None, str(hr.id))

    listing = section(page_of(client, person), "HR actions")

    assert cells(table_row(listing, "Roster imported")) == [
        "2 March 2026, 14:30 UTC", "sync", "Roster imported",
        "Department: Adult Services -&gt; Child Protection",
    ]  # fmt: skip
    assert cells(table_row(listing, "Exemption granted"))[1:] == [
        "Hana Okafor", "Exemption granted",
        "Exempt from the Social Media Policy with no end date: Leave",
    ]  # fmt: skip


def _fill_history(staff: Staff, version, course, n: int, actor: str) -> None:
    """``n`` rows of every kind of history for ``staff``."""
    session = hostapp.db.session
    head = evidence.lock_chain()
    for i in range(n):
        evidence.link(head, Attestation(
            staff_id=staff.id, policy_version_id=version.id, attested_at=utcnow(),
            signature=staff.full_name, method="import", reason=f"Imported row {i}",
            recorded_by=actor, text_sha256=version.text_sha256,
        ))  # fmt: skip
    session.commit()
    for _ in range(n):
        attempt = training.start_attempt(staff, course.course)
        training.submit(staff, attempt.id, {q.id: q.correct for q in course.questions})
    chain_exemptions(
        *[
            Exemption(
                staff_id=staff.id,
                requirement_kind=POLICY,
                requirement_id=version.policy_id,
                reason=f"Old {i}",
                until=dt.date(2026, 3, 1),
                granted_by=actor,
                ended_at=utcnow(),
                ended_by=actor,
            )
            for i in range(n)
        ]
    )
    session.add_all(
        [Reminder(staff_id=staff.id, requirement_kind=POLICY, requirement_id=version.policy_id,
                    cycle_due=dt.date(2020, 1, 1) + dt.timedelta(days=i), stage="due_soon",
                    status="sent") for i in range(n)]
        + [HREvent(actor=actor, action="roster.import", staff_id=staff.id, detail=f"Row {i}")
           for i in range(n)]
    )  # fmt: skip
    session.commit()


def test_the_page_costs_the_same_statements_for_2_or_30_rows_of_history(
    client, policy_version, course, hr, make_staff, count_statements
):
    short_id, long_id = make_staff(2)
    short, long = (hostapp.db.session.get(Staff, i) for i in (short_id, long_id))
    _fill_history(short, policy_version, course, 2, str(hr.id))
    _fill_history(long, policy_version, course, 30, "cli")
    page_of(client, short)  # warm up

    # Each request starts with an empty session, as in production, so that
    # nothing loaded earlier hides a query per row.
    hostapp.db.session.remove()
    with count_statements() as for_short:
        client.get(f"/compliance/hr/people/{short_id}")
    hostapp.db.session.remove()
    with count_statements() as for_long:
        page = client.get(f"/compliance/hr/people/{long_id}").get_data(as_text=True)

    assert page.count("Imported row") == 30 and page.count("Quiz passed") == 30
    # header + 30 reminders + 30 receipts of the courses passed (sent through the outbox)
    assert section(page, "Reminders").count("<tr>") == 61
    assert for_long.count == for_short.count, for_long.statements


def test_html_in_names_and_reasons_renders_as_text(client, policy_version, hr, make_staff):
    (staff_id,) = make_staff(1, full_name="<script>alert(1)</script>",
                             department='<img src=x onerror="alert(2)">')  # fmt: skip
    staff = hostapp.db.session.get(Staff, staff_id)
    attest_on_behalf(staff, "social-media", "<script>alert(1)</script>",
                     "<b>paper</b>", recorded_by=str(hr.id))  # fmt: skip
    exemptions.grant(staff, POLICY, policy_version.policy_id, "<i>leave</i>", None, str(hr.id))

    page = page_of(client, staff)

    assert not Elements(page).has_handler_or_script()
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page
    assert "&lt;b&gt;paper&lt;/b&gt;" in page and "&lt;i&gt;leave&lt;/i&gt;" in page


def test_an_unknown_person_is_not_found(client, policy_version, hr):
    assert client.get("/compliance/hr/people/999999").status_code == 404


def test_an_employee_gets_403_and_a_visitor_is_sent_to_sign_in(
    client, policy_version, person, login_as
):
    response = client.get(f"/compliance/hr/people/{person.id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

    login_as(name="Sam Ordinary", is_hr=False)

    assert client.get(f"/compliance/hr/people/{person.id}").status_code == 403
