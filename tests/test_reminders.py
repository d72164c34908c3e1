"""Reminder rules, mails, the dry run, the CLI, stuck rows and HR's reminders page."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import sqlalchemy as sa

import smattest.due.upkeep as due
from smattest import exemptions
from smattest.models import HREvent, HRSummary, Reminder
from smattest.publishing.courses import import_course
from smattest.reminders import ReminderError, run_reminders
from smattest.reminders.cadence import Cadence
from smattest.signals import reminder_sent

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE as COURSE
from .reminder_helpers import (
    BASE_URL,
    POLICY_URL,
    local,
    person,
    reminder_rows,
    sign,
)

#: Version 1 in force since 1 February 2026: everyone who never signed is due 3 March.
pytestmark = pytest.mark.policy(now="2026-02-01T09:00:00+00:00", effective=dt.date(2026, 2, 1))

MONDAY = "2026-03-02T08:00:00+00:00"  # everyone who never signed is due Tuesday 3 March
WEEKDAYS = Cadence((30, 7, 1), 7, 14, frozenset(range(5)))


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


# -- the cadence ----------------------------------------------------------------------------


def test_a_stage_falling_on_a_day_off_waits_for_the_next_business_day():
    due = dt.date(2026, 4, 11)  # a Saturday; 7 days before is Saturday 4 April

    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 4, 3)) == "before-30"
    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 4, 5)) == "before-30"
    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 4, 6)) == "before-7"
    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 4, 12)) == "before-1"  # Sunday
    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 4, 13)) == "overdue-1"


def test_after_a_gap_only_the_latest_stage_reached_is_due():
    due = dt.date(2026, 4, 1)

    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 3, 1)) is None  # 31 days before
    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 4, 6)) == "overdue-1"
    assert WEEKDAYS.latest_staff_stage(due, dt.date(2026, 5, 6)) == "overdue-5"


def test_escalation_comes_after_the_set_days_and_never_when_the_setting_is_none():
    due = dt.date(2026, 3, 3)

    assert not WEEKDAYS.escalation_reached(due, dt.date(2026, 3, 16))
    assert WEEKDAYS.escalation_reached(due, dt.date(2026, 3, 17))
    never = Cadence((30, 7, 1), 7, None, frozenset(range(5)))
    assert not never.escalation_reached(due, dt.date(2027, 1, 1))
    at_once = Cadence((30, 7, 1), 7, 0, frozenset(range(5)))
    assert not at_once.escalation_reached(due, due)  # due today is not overdue yet
    assert at_once.escalation_reached(due, dt.date(2026, 3, 4))


# -- who gets what --------------------------------------------------------------------------


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_current_exempt_and_inactive_people_get_nothing(policy_version, smtp_server, freeze):
    person("Ann Due")
    person("Cal Current", freeze=freeze, signed_on=dt.date(2026, 2, 10))
    exempt = person("Eva Exempt")
    exemptions.grant(exempt, "policy", policy_version.policy_id, "Seconded abroad.", None, "hr-1")
    person("Ian Inactive", active=False)
    freeze(MONDAY)

    run_reminders()

    assert [m["To"] for m in smtp_server.inbox.messages] == ["ann@agency.example"]
    assert reminder_rows() == [("Ann", "before-1", "sent", "ann@agency.example")]


@all_databases
@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_running_twice_in_a_day_plans_each_reminder_once(policy_version, freeze, make_staff):
    make_staff(3)
    freeze(MONDAY)

    first = run_reminders()
    freeze("2026-03-02T15:00:00+00:00")
    second = run_reminders()

    assert (first.planned, first.people_mailed) == (3, 3)
    assert (second.planned, second.claimed, second.people_mailed) == (0, 0, 0)
    assert [row[1:3] for row in reminder_rows()] == [("before-1", "sent")] * 3


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_planning_takes_the_same_statements_for_ten_people_or_a_hundred_and_fifty(
    policy_version, freeze, make_staff, count_statements
):
    freeze(MONDAY)
    counts = []
    for size in (10, 150):
        make_staff(size if not counts else size - 10)
        due.settle()  # HR's due-date table is built (once, on its first read)
        hostapp.db.session.commit()
        with count_statements() as counter:
            preview = run_reminders(dry_run=True)
        assert len(preview.mails) == size
        counts.append(counter.count)
    with count_statements() as counter:
        run_reminders()
    inserts = [s for s in counter.statements if s.startswith("INSERT INTO smattest_reminder")]

    assert counts[0] == counts[1]
    assert len(inserts) == 1  # 150 rows, one executemany


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_nothing_is_planned_or_sent_on_a_day_off(policy_version, smtp_server, freeze):
    person("Ann Due")
    freeze("2026-03-07T08:00:00+00:00")  # Saturday, Ann overdue since Wednesday

    report = run_reminders()

    assert not report.business_day and report.planned == 0
    assert smtp_server.inbox.messages == [] and reminder_rows() == []
    assert "Not a business day" in str(report)


# -- what the mails say ---------------------------------------------------------------------


@pytest.mark.settings(
    SMATTEST_BASE_URL="https://intranet.agency.example/intranet", SMATTEST_URL_PREFIX="/comply"
)
def test_one_digest_lists_everything_a_person_owes_with_direct_links(
    policy_version, smtp_server, freeze
):
    person("Ann Obi")
    freeze("2026-02-24T09:00:00+00:00")
    import_course(COURSE)  # due 30 days after its import: 26 March
    freeze("2026-03-11T08:00:00+00:00")  # the policy is overdue-2, the course due soon

    run_reminders()

    (message,) = smtp_server.inbox.messages
    assert message["To"] == "ann@agency.example"
    assert message["Subject"] == "Overdue: you have 2 compliance tasks to do (1 overdue)"
    text = text_of(message)
    assert text.index("Social Media Policy: sign the policy.") < text.index(
        "Social Media Refresher: complete the course."
    )
    assert "OVERDUE: it was due on 3 March 2026 (8 days ago)." in text
    assert "Due on 26 March 2026." in text
    base = "https://intranet.agency.example/intranet/comply"
    assert f"{base}/policies/social-media\n" in text
    assert f"{base}/courses/refresher\n" in text
    assert f'<a href="{base}/courses/refresher">Social Media Refresher</a>' in html_of(message)
    assert sorted(row[1] for row in reminder_rows()) == ["before-30", "overdue-2"]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_name_with_html_is_shown_as_text_in_the_mail(policy_version, smtp_server, freeze):
    person("Bo <b>Bold</b>", email="bo@agency.example")
    freeze(MONDAY)

    run_reminders()

    (message,) = smtp_server.inbox.messages
    assert message["Subject"] == "Reminder: Social Media Policy is due on 3 March 2026"
    assert "Hello Bo &lt;b&gt;Bold&lt;/b&gt;," in html_of(message)
    assert "<b>Bold</b>" not in html_of(message)
    assert f'<a href="{POLICY_URL}">Social Media Policy</a>' in html_of(message)


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_manager_is_told_once_per_cycle_in_one_digest_for_all_their_reports(
    policy_version, smtp_server, freeze
):
    person("Ann Obi", manager_email="mo@agency.example", department="Adult Services")
    person("Ben Carter", manager_email="MO@agency.example")
    person("Cy Nomanager")
    inbox = smtp_server.inbox
    freeze("2026-03-17T08:00:00+00:00")  # due 3 March: 14 days overdue today

    run_reminders()
    for day in ("2026-03-18", "2026-03-24", "2026-04-14"):
        freeze(f"{day}T08:00:00+00:00")
        run_reminders()

    (digest,) = inbox.to("mo@agency.example")
    assert digest["Subject"] == "Your team: 2 people are overdue on compliance"
    text = text_of(digest)
    assert "* Ann Obi (Adult Services)\n  - Social Media Policy: sign the policy; " in text
    assert "due on 3 March 2026, 14 days overdue." in text
    assert "* Ben Carter\n" in text
    escalations = [row for row in reminder_rows() if row[1] == "escalate"]
    assert escalations == [
        ("Ann", "escalate", "sent", "mo@agency.example"),
        ("Ben", "escalate", "sent", "mo@agency.example"),
    ]
    # Cy is reminded (overdue-2, overdue-3, overdue-6) but has no manager to tell.
    assert len(inbox.to("cy@agency.example")) == 3


@all_databases
@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_each_manager_up_the_line_gets_one_digest_of_their_tree_by_direct_report(
    policy, smtp_server, freeze
):
    signed = {"freeze": freeze, "signed_on": dt.date(2026, 2, 10)}
    person("Dora Director", **signed)
    person("Mia Middle", manager_email="dora@agency.example", **signed)
    person("Max Middle", manager_email="dora@agency.example", **signed)
    person("Ann Avery", manager_email="mia@agency.example")
    person("Bob Brown", manager_email="mia@agency.example")
    person("Cid Cole", manager_email="max@agency.example", **signed)
    person("Eli Evans", manager_email="ann@agency.example")
    inbox = smtp_server.inbox
    freeze("2026-03-17T08:00:00+00:00")  # due 3 March: 14 days overdue today

    run_reminders()
    for day in ("2026-03-18", "2026-04-14"):
        freeze(f"{day}T08:00:00+00:00")
        run_reminders()

    (dora,) = inbox.to("dora@agency.example")
    assert dora["Subject"] == "Your team: 3 people are overdue on compliance"
    text = text_of(dora)
    assert "Mia Middle's team:\n* Ann Avery\n" in text
    assert "* Bob Brown\n" in text and "* Eli Evans\n" in text
    assert "Your direct reports" not in text and "Cid" not in text
    (mia,) = inbox.to("mia@agency.example")
    text = text_of(mia)
    assert text.index("Your direct reports:\n* Ann Avery") < text.index("* Bob Brown")
    assert "Ann Avery's team:\n* Eli Evans\n" in text
    (ann_as_manager,) = [m for m in inbox.to("ann@agency.example") if "team" in m["Subject"]]
    assert ann_as_manager["Subject"] == "Your team: Eli Evans is overdue on compliance"
    assert inbox.to("max@agency.example") == []
    escalations = sorted(
        (name, stage, to) for name, stage, status, to in reminder_rows() if "escalate" in stage
    )
    assert escalations == [
        ("Ann", "escalate", "mia@agency.example"),
        ("Ann", "escalate-2", "dora@agency.example"),
        ("Bob", "escalate", "mia@agency.example"),
        ("Bob", "escalate-2", "dora@agency.example"),
        ("Eli", "escalate", "ann@agency.example"),
        ("Eli", "escalate-2", "mia@agency.example"),
        ("Eli", "escalate-3", "dora@agency.example"),
    ]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_ESCALATE_AFTER_DAYS=None)
def test_no_manager_is_told_when_escalation_is_off(policy_version, smtp_server, freeze):
    person("Ann Obi", manager_email="mo@agency.example")
    freeze("2026-04-14T08:00:00+00:00")

    run_reminders()

    assert [m["To"] for m in smtp_server.inbox.messages] == ["ann@agency.example"]
    assert [row[1] for row in reminder_rows()] == ["overdue-6"]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_HR_EMAILS=["hr@agency.example"])
def test_hr_gets_one_summary_a_week_with_counts_per_requirement(
    policy_version, smtp_server, freeze
):
    person("Ann Due")
    person("Cal Current", freeze=freeze, signed_on=dt.date(2026, 2, 10))
    exemptions.grant(
        person("Eva Exempt"), "policy", policy_version.policy_id, "Leave.", None, "hr-1"
    )
    person("Ola Overdue", hire_date=dt.date(2020, 1, 6))
    sent_days = []
    for day in ("2026-03-03", "2026-03-04", "2026-03-07", "2026-03-09", "2026-03-09"):
        freeze(f"{day}T08:00:00+00:00")  # the first run of a week is on Tuesday: it catches up
        if run_reminders().hr_mailed:
            sent_days.append(day)

    assert sent_days == ["2026-03-03", "2026-03-09"]
    first = smtp_server.inbox.to("hr@agency.example")[0]
    assert first["Subject"] == "Compliance summary: week of 2 March 2026"
    assert "* Social Media Policy: 1 current, 2 due soon, 0 overdue, 1 exempt" in text_of(first)
    weeks = hostapp.db.session.scalars(sa.select(HRSummary.week_start).order_by(HRSummary.id))
    assert list(weeks) == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_HR_EMAILS=["hr@agency.example"])
def test_reminder_sent_tells_which_rows_went_to_whom(policy_version, smtp_server, freeze, app):
    person("Ann Obi", manager_email="mo@agency.example")
    heard = []

    def receiver(sender, reminders, recipient, kind):
        heard.append((kind, recipient, sorted(getattr(r, "stage", "weekly") for r in reminders)))

    reminder_sent.connect(receiver, app)
    try:
        freeze("2026-03-17T08:00:00+00:00")
        run_reminders()
    finally:
        reminder_sent.disconnect(receiver, app)

    assert heard == [
        ("staff", "ann@agency.example", ["overdue-2"]),
        ("manager", "mo@agency.example", ["escalate"]),
        ("hr", "hr@agency.example", ["weekly"]),
    ]


# -- before sending: the re-check, addresses, the base URL ----------------------------------


def waiting_row(staff, policy_version, stage="before-1", due=dt.date(2026, 3, 3), **fields):
    """A row an earlier run planned and has not sent yet."""
    row = Reminder(
        staff_id=staff.id,
        requirement_kind="policy",
        requirement_id=policy_version.policy_id,
        cycle_due=due,
        stage=stage,
        **fields,
    )
    hostapp.db.session.add(row)
    hostapp.db.session.commit()
    return row


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_waiting_reminder_is_skipped_once_the_person_no_longer_owes_it(
    policy_version, smtp_server, freeze
):
    signed = person("Sam Signed")
    left = person("Lee Left")
    waiting_row(signed, policy_version)
    waiting_row(left, policy_version)
    sign(signed, dt.date(2026, 3, 1), freeze)
    left.active = False
    hostapp.db.session.commit()
    freeze(MONDAY)

    report = run_reminders()

    assert smtp_server.inbox.messages == [] and report.skipped == 2
    hostapp.db.session.expire_all()
    errors = hostapp.db.session.scalars(
        sa.select(Reminder.last_error)
        .where(sa.not_(Reminder.stage.startswith("rcpt:")))  # the receipt waits for the mail job
        .order_by(Reminder.id)
    )
    assert list(errors) == [
        "Not sent: the person is now current.",
        "Not sent: the person is inactive, or the requirement is no longer in force.",
    ]
    assert [row[2] for row in reminder_rows()] == ["skipped", "skipped"]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_stage_superseded_while_it_waited_is_never_sent(policy_version, smtp_server, freeze):
    ann = person("Ann Obi")
    waiting_row(ann, policy_version, next_attempt_at=local("2026-03-02", "08:15"), attempts=1)
    freeze("2026-03-04T08:00:00+00:00")  # overdue-1 is due now: before-1 is too late

    run_reminders()

    assert len(smtp_server.inbox.to("ann@agency.example")) == 1
    assert [row[1:3] for row in reminder_rows()] == [("before-1", "skipped"), ("overdue-1", "sent")]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_malformed_address_fails_its_own_row_not_the_batch(policy_version, smtp_server, freeze):
    person("Ann Obi")
    person("Bad Address", email="bad address@agency")
    person("Nia Noemail", email=None)
    freeze(MONDAY)

    report = run_reminders()

    assert [m["To"] for m in smtp_server.inbox.messages] == ["ann@agency.example"]
    assert (report.failed, report.given_up) == (2, 2)
    hostapp.db.session.expire_all()
    rows = hostapp.db.session.execute(
        sa.select(Reminder.status, Reminder.last_error).order_by(Reminder.id)
    ).all()
    assert rows == [
        ("sent", None),
        ("failed", "Not sent: 'bad address@agency' is not a valid email address; "
                   "correct it in the roster."),
        ("failed", "Not sent: there is no email address on record; correct it in the roster."),
    ]  # fmt: skip


@pytest.mark.settings(SMATTEST_BASE_URL=None)
def test_a_run_that_sends_stops_at_once_without_the_base_url(
    policy_version, smtp_server, freeze, runner
):
    person("Ann Obi")
    freeze(MONDAY)

    with pytest.raises(ReminderError, match="SMATTEST_BASE_URL is not set"):
        run_reminders()
    result = runner.invoke(args=["smattest", "reminders", "send"])
    preview = runner.invoke(args=["smattest", "reminders", "send", "--dry-run"])

    assert result.exit_code == 1
    assert result.output == (
        "Error: No reminders sent: SMATTEST_BASE_URL is not set: reminder mails need absolute "
        "links. Set it to the intranet's address as people reach it, e.g. "
        "'https://intranet.agency.example'.\n"
    )
    assert preview.exit_code == 0 and "Warning: SMATTEST_BASE_URL is not set" in preview.output
    assert smtp_server.inbox.messages == [] and reminder_rows() == []


# -- the command ----------------------------------------------------------------------------


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_dry_run_says_who_would_get_what_and_writes_nothing(
    policy_version, smtp_server, freeze, runner
):
    person("Ann Obi", manager_email="mo@agency.example")
    freeze("2026-03-17T08:00:00+00:00")

    result = runner.invoke(args=["smattest", "reminders", "send", "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "(dry run: nothing written, nothing sent)" in lines[0]
    assert "Would plan 2 new reminders." in lines
    assert (
        "  staff   ann@agency.example  [overdue-2]  Social Media Policy (due 2026-03-03)" in lines
    )
    assert "  manager mo@agency.example  [escalate]  Ann Obi: Social Media Policy" in lines
    assert smtp_server.inbox.messages == [] and reminder_rows() == []


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_TIMEZONE="America/Chicago")
def test_now_without_an_offset_is_local_time(policy_version, smtp_server, runner):
    person("Ann Obi")

    sunday = runner.invoke(args=["smattest", "reminders", "send", "--now", "2026-03-01T20:00"])
    monday = runner.invoke(
        args=["smattest", "reminders", "send", "--now", "2026-03-02T08:00-06:00"]
    )

    # 20:00 on Sunday in Chicago is already Monday in UTC: still a day off.
    assert "Not a business day" in sunday.output and sunday.exit_code == 0
    assert monday.exit_code == 0, monday.output
    assert "Mails sent: 1 to people, 0 to managers, 0 to HR." in monday.output
    assert [m["To"] for m in smtp_server.inbox.messages] == ["ann@agency.example"]


def test_a_bad_now_is_refused_with_one_clear_line(app, runner):
    result = runner.invoke(args=["smattest", "reminders", "send", "--now", "next monday"])

    assert result.exit_code == 2
    assert "'next monday' is not a date and time: write it as YYYY-MM-DDTHH:MM" in result.output


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, MAIL_SERVER="127.0.0.1")
def test_the_command_exits_1_when_a_mail_could_not_be_sent_and_will_be_retried(
    policy_version, freeze, runner, app
):
    person("Ann Obi")
    with socket.socket() as sock:  # a port nobody listens on: the server refuses
        sock.bind(("127.0.0.1", 0))
        app.extensions["mail"].port = sock.getsockname()[1]
    app.extensions["mail"].suppress = False
    freeze(MONDAY)

    result = runner.invoke(args=["smattest", "reminders", "send"])

    assert result.exit_code == 1, result.output
    assert "failed 1 (0 given up)" in result.output and "Waiting for HR" not in result.output


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_command_exits_3_while_a_given_up_reminder_waits_for_hr(
    policy_version, smtp_server, freeze, runner
):
    person("Ann Obi")
    person("Nia Noemail", email=None)
    freeze(MONDAY)

    result = runner.invoke(args=["smattest", "reminders", "send"])

    assert result.exit_code == 3
    assert "Waiting for HR: 0 stuck in 'sending', 1 given up" in result.output
    assert "Mails sent: 1 to people, 0 to managers, 0 to HR." in result.output
    assert "Skipped 0 (no longer owed); failed 1 (1 given up); returned unsent 0." in result.output
    assert "  failed: there is no email address on record; correct it in the roster" in (
        result.output
    )


# -- stuck rows -----------------------------------------------------------------------------


@pytest.fixture
def stuck(policy_version, freeze):
    """Ann's before-1 claimed at 08:00 by a run that died; it is now 09:30."""
    row = waiting_row(
        person("Ann Obi"),
        policy_version,
        status="sending",
        claimed_at=local("2026-03-02", "08:00"),
        claim_token="x",
    )
    freeze("2026-03-02T09:30:00+00:00")
    return row


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_row_stuck_in_sending_is_reported_and_never_resent(stuck, smtp_server, runner):
    result = runner.invoke(args=["smattest", "reminders", "send"])

    assert "Stuck in 'sending' (reported, not resent): 1." in result.output
    assert "  reminder 1: Ann Obi, Social Media Policy, before-1, claimed 2026-03-02 08:00 UTC" in (
        result.output
    )
    assert smtp_server.inbox.messages == []
    assert reminder_rows() == [("Ann", "before-1", "sending", None)]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES=120)
def test_a_row_sending_for_less_than_the_timeout_is_not_reported(stuck):
    assert run_reminders().stuck_count == 0


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_hr_page_lists_stuck_given_up_retrying_and_sent_reminders(
    stuck, policy_version, client, hr
):
    waiting_row(person("Gil <b>Given</b>", email="gil@x"), policy_version, status="failed",
                attempts=5, last_error="Not sent: the mail server answered 550 no such user.",
                claimed_at=local("2026-03-01", "08:00"))  # fmt: skip
    waiting_row(person("Rae Retry"), policy_version, attempts=1, last_error="Not sent: 451 later.",
                next_attempt_at=local("2026-03-02", "10:00"))  # fmt: skip
    waiting_row(person("Sue Sent"), policy_version, status="sent", recipient="sue@agency.example",
                sent_at=local("2026-03-02", "08:01"))  # fmt: skip

    page = client.get("/compliance/hr/reminders").get_data(as_text=True)

    stuck_part, rest = page.split('id="given-up-heading"')
    given_up, rest = rest.split('id="retrying-heading"')
    retrying, recent = rest.split('id="recent-heading"')
    assert 'Stuck in "sending" (1)' in stuck_part and "Ann Obi" in stuck_part
    assert 'Mark as sent<span class="smattest-vh">: Ann Obi, Social Media Policy' in stuck_part
    assert "Gil &lt;b&gt;Given&lt;/b&gt;" in given_up and "550 no such user" in given_up
    assert "Rae Retry" in retrying and "2 March 2026, 10:00 UTC" in retrying
    assert "Sue Sent" in recent and "sue@agency.example" in recent


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_hr_marks_a_stuck_row_as_sent_and_it_is_not_sent_again(stuck, client, hr, smtp_server):
    response = client.post(
        f"/compliance/hr/reminders/reminder/{stuck.id}/resolve", data={"action": "mark_sent"}
    )

    assert response.status_code == 303
    assert "Marked as sent" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert reminder_rows() == [("Ann", "before-1", "sent", "ann@agency.example")]
    event = hostapp.db.session.scalar(sa.select(HREvent))
    assert (event.actor, event.action, event.staff_id) == (
        str(hr.id),
        "reminder.mark_sent",
        stuck.staff_id,
    )
    run_reminders()
    assert smtp_server.inbox.messages == []


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_hr_releases_a_stuck_row_and_the_next_run_sends_it_once(stuck, client, hr, smtp_server):
    response = client.post(
        f"/compliance/hr/reminders/reminder/{stuck.id}/resolve", data={"action": "release"}
    )
    run_reminders()
    run_reminders()

    assert response.status_code == 303
    assert [m["To"] for m in smtp_server.inbox.messages] == ["ann@agency.example"]
    assert reminder_rows() == [("Ann", "before-1", "sent", "ann@agency.example")]
    assert hostapp.db.session.scalar(sa.select(HREvent.action)) == "reminder.release"


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, WTF_CSRF_ENABLED=True)
def test_resolving_a_stuck_row_needs_the_forms_csrf_token(stuck, client, hr):
    response = client.post(
        f"/compliance/hr/reminders/reminder/{stuck.id}/resolve", data={"action": "release"}
    )

    assert response.status_code == 400
    assert "This form has expired. Nothing was changed" in response.get_data(as_text=True)
    assert reminder_rows()[0][2] == "sending"
    assert hostapp.db.session.scalar(sa.select(HREvent)) is None


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_row_no_longer_stuck_is_left_alone(stuck, client, hr):
    hostapp.db.session.execute(sa.update(Reminder).values(status="sent"))
    hostapp.db.session.commit()

    response = client.post(
        f"/compliance/hr/reminders/reminder/{stuck.id}/resolve", data={"action": "release"}
    )

    assert response.status_code == 409
    assert "is no longer stuck (it is sent): nothing changed." in response.get_data(as_text=True)
    assert reminder_rows()[0][2] == "sent"


def test_the_reminders_page_is_for_hr_only(app, client, login_as):
    login_as(name="Emma Employee")

    assert client.get("/compliance/hr/reminders").status_code == 403
    assert client.post("/compliance/hr/reminders/reminder/1/resolve").status_code == 403
