"""Reminders through a real SMTP server: sixty days of mail, a server that fails, retries."""

from __future__ import annotations

import datetime as dt
import socket
import zoneinfo
from collections import Counter

import pytest
import sqlalchemy as sa

from smattest import exemptions
from smattest.models import Reminder, Staff
from smattest.reminders import run_reminders

from . import hostapp
from .conftest import Inbox, create_tables
from .reminder_helpers import BASE_URL, local, person, sign, social_media_policy

CHICAGO = "America/Chicago"
HR = "hr@agency.example"
FIRST_DAY, LAST_DAY = dt.date(2026, 3, 2), dt.date(2026, 4, 30)  # Monday to Thursday: 60 days
#: The job is down from Wednesday 25 March to Friday 3 April (no runs at all).
DOWN = (dt.date(2026, 3, 25), dt.date(2026, 4, 3))

# Who is who (due dates follow from the day each signed, a year before):
#   Ada  due Sat 11 Apr; manager Maria       Ben  new hire on Mon 9 Mar, added Tue 10 Mar:
#   Cleo due Wed 1 Apr;  manager Maria            due Wed 8 Apr; no manager
#   Dan  due Fri 20 Feb (overdue); manager Omar   Eve  due Fri 20 Mar; signs Mon 16 Mar, 10:00
#   Fay  exempt; Gus inactive; Hana current; Maria current (a manager, never reminded)
# Stages: 30, 7 and 1 days before; overdue every 7 days from the day after; the manager
# 14 days after; a day off Monday-Friday moves to the next Monday.
EXPECTED = [
    # date, person, stage, mailbox
    ("2026-03-02", "Cleo", "before-30", "cleo@agency.example"),
    ("2026-03-02", "Dan", "overdue-2", "dan@agency.example"),  # overdue-1 was before day one
    ("2026-03-02", "Eve", "before-30", "eve@agency.example"),  # 30 days before was 18 Feb
    ("2026-03-06", "Dan", "escalate", "omar@agency.example"),  # Fri 6 Mar = 20 Feb + 14
    ("2026-03-09", "Dan", "overdue-3", "dan@agency.example"),  # Sat 7 Mar -> Monday
    ("2026-03-10", "Ben", "before-30", "ben@agency.example"),  # added late: the latest stage
    ("2026-03-12", "Ada", "before-30", "ada@agency.example"),
    ("2026-03-13", "Eve", "before-7", "eve@agency.example"),
    ("2026-03-16", "Dan", "overdue-4", "dan@agency.example"),
    # Eve signs on 16 March: her before-1 on 19 March never goes out.
    ("2026-03-23", "Dan", "overdue-5", "dan@agency.example"),
    # Job down 25 Mar - 3 Apr. Cleo's before-7, before-1 and overdue-1 all fell in the gap:
    # one mail, the latest. Dan's overdue-6 (Mon 30 Mar) is superseded by overdue-7.
    ("2026-04-06", "Ada", "before-7", "ada@agency.example"),  # Sat 4 Apr -> Monday
    ("2026-04-06", "Ben", "before-7", "ben@agency.example"),  # Wed 1 Apr, in the gap
    ("2026-04-06", "Cleo", "overdue-1", "cleo@agency.example"),
    ("2026-04-06", "Dan", "overdue-7", "dan@agency.example"),
    ("2026-04-07", "Ben", "before-1", "ben@agency.example"),
    ("2026-04-09", "Ben", "overdue-1", "ben@agency.example"),
    ("2026-04-09", "Cleo", "overdue-2", "cleo@agency.example"),
    ("2026-04-10", "Ada", "before-1", "ada@agency.example"),
    ("2026-04-13", "Ada", "overdue-1", "ada@agency.example"),  # Sun 12 Apr -> Monday
    ("2026-04-13", "Dan", "overdue-8", "dan@agency.example"),
    ("2026-04-15", "Cleo", "escalate", "maria@agency.example"),
    ("2026-04-16", "Ben", "overdue-2", "ben@agency.example"),
    ("2026-04-16", "Cleo", "overdue-3", "cleo@agency.example"),
    ("2026-04-20", "Ada", "overdue-2", "ada@agency.example"),
    ("2026-04-20", "Dan", "overdue-9", "dan@agency.example"),
    ("2026-04-23", "Ben", "overdue-3", "ben@agency.example"),
    ("2026-04-23", "Cleo", "overdue-4", "cleo@agency.example"),
    ("2026-04-27", "Ada", "overdue-3", "ada@agency.example"),
    ("2026-04-27", "Ada", "escalate", "maria@agency.example"),  # Sat 25 Apr -> Monday
    ("2026-04-27", "Dan", "overdue-10", "dan@agency.example"),
    ("2026-04-30", "Ben", "overdue-4", "ben@agency.example"),
    ("2026-04-30", "Cleo", "overdue-5", "cleo@agency.example"),
]
#: HR's weekly summary goes out on the first run of each week from Monday.
HR_DAYS = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
HR_DAYS += ["2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27"]


def roster(freeze) -> dict[str, Staff]:
    policy = social_media_policy(freeze)
    zone = {"freeze": freeze, "zone": CHICAGO}
    people = {
        "ada": person("Ada Obi", signed_on=dt.date(2025, 4, 11),
                      manager_email="maria@agency.example", **zone),
        "cleo": person("Cleo Diaz", signed_on=dt.date(2025, 4, 1),
                       manager_email="maria@agency.example", **zone),
        "dan": person("Dan Evans", signed_on=dt.date(2025, 2, 20),
                      manager_email="omar@agency.example", **zone),
        "eve": person("Eve Fox", signed_on=dt.date(2025, 3, 20), **zone),
        "fay": person("Fay Green", signed_on=dt.date(2025, 3, 25), **zone),
        "gus": person("Gus Hall", signed_on=dt.date(2025, 4, 1),
                      manager_email="maria@agency.example", **zone),
        "hana": person("Hana Ito", signed_on=dt.date(2026, 1, 15), **zone),
        "maria": person("Maria Lopez", signed_on=dt.date(2026, 2, 2), **zone),
    }  # fmt: skip
    freeze(local("2026-02-27", "15:00", CHICAGO))
    exemptions.grant(people["fay"], "policy", policy.policy_id, "On long-term leave.", None, "hr-1")
    people["gus"].active = False
    hostapp.db.session.commit()
    return people


@pytest.mark.settings(
    SMATTEST_BASE_URL=BASE_URL, SMATTEST_TIMEZONE=CHICAGO, SMATTEST_HR_EMAILS=[HR]
)
def test_sixty_days_of_reminders_send_exactly_the_mails_the_rules_give(app, smtp_server, freeze):
    people = roster(freeze)
    got = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        if not DOWN[0] <= day <= DOWN[1]:
            if day == dt.date(2026, 3, 10):
                person("Ben Carter", hire_date=dt.date(2026, 3, 9))
            freeze(local(day.isoformat(), "08:00", CHICAGO))
            seen = len(smtp_server.inbox.messages)
            run_reminders()  # every day, weekends too: nothing goes out on a day off
            got += [(day.isoformat(), m["To"]) for m in smtp_server.inbox.messages[seen:]]
            if day == dt.date(2026, 3, 16):
                sign(people["eve"], day, freeze, CHICAGO, "10:00")
        day += dt.timedelta(days=1)

    assert sorted(got) == sorted(
        [(d, mailbox) for d, _, _, mailbox in EXPECTED] + [(d, HR) for d in HR_DAYS]
    )
    session = hostapp.db.session
    rows = session.execute(
        sa.select(Reminder.sent_at, Staff.full_name, Reminder.stage, Reminder.recipient,
                  Reminder.status)
        .join(Staff, Staff.id == Reminder.staff_id)
        .where(sa.not_(Reminder.stage.startswith("rcpt:")))  # receipts: the mail job's
    ).all()  # fmt: skip
    tz = zoneinfo.ZoneInfo(CHICAGO)
    assert sorted(
        (sent.astimezone(tz).date().isoformat(), name.split()[0], stage, to)
        for sent, name, stage, to, status in rows
        if status == "sent"
    ) == sorted(EXPECTED)
    assert {status for *_, status in rows} == {"sent"}


class RefusingInbox(Inbox):
    """An inbox whose server answers 421 (and closes) after accepting ``accept`` messages,
    and refuses ``bounce`` recipients with 451 for as long as they are listed."""

    def __init__(self):
        super().__init__()
        self.accept: int | None = None
        self.bounce: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.bounce:
            return "451 4.2.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.accept is not None and len(self.messages) >= self.accept:
            return "421 4.3.2 Service shutting down, closing channel"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def flaky_smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False}
    controller.stop()


@pytest.fixture
def flaky_app(make_app, flaky_smtp):
    app = make_app(**flaky_smtp[1], SMATTEST_BASE_URL=BASE_URL)
    create_tables(app)
    with app.app_context():
        yield app


def rows_by_person() -> dict[str, tuple[str, int, str | None]]:
    """Each person's single reminder row: (status, attempts, last_error)."""
    session = hostapp.db.session
    session.expire_all()
    found = session.execute(
        sa.select(Staff.full_name, Reminder.status, Reminder.attempts, Reminder.last_error).join(
            Staff, Staff.id == Reminder.staff_id
        )
    )
    return {name.split()[0]: (status, attempts, error) for name, status, attempts, error in found}


def test_a_server_closing_mid_batch_leaves_the_rest_pending_and_the_next_runs_send_them(
    flaky_app, flaky_smtp, freeze
):
    inbox, _ = flaky_smtp
    social_media_policy(freeze, effective=dt.date(2026, 2, 1))  # everyone due 3 March
    names = ["Ann One", "Bob Two", "Cat Three", "Dee Four", "Eli Five"]
    for name in names:
        person(name)
    inbox.accept = 2
    freeze("2026-03-02T08:00:00+00:00")

    report = run_reminders()

    assert [m["To"] for m in inbox.messages] == ["ann@agency.example", "bob@agency.example"]
    assert (report.people_mailed, report.failed, report.returned) == (2, 1, 2)
    rows = rows_by_person()
    assert rows["Ann"][:2] == rows["Bob"][:2] == ("sent", 0)
    assert rows["Cat"] == (
        "pending", 1,
        "Not sent: the mail server answered 421 4.3.2 Service shutting down, closing channel.",
    )  # fmt: skip
    for name in ("Dee", "Eli"):
        assert rows[name][:2] == ("pending", 0)
        assert rows[name][2].startswith("Not sent: the mail server failed earlier in the run")

    inbox.accept = None
    freeze("2026-03-02T08:05:00+00:00")  # the untried rows go at once; Cat waits 15 minutes
    run_reminders()
    assert rows_by_person()["Cat"][:2] == ("pending", 1)
    freeze("2026-03-02T08:15:00+00:00")
    run_reminders()

    assert Counter(m["To"] for m in inbox.messages) == {
        f"{name.split()[0].lower()}@agency.example": 1 for name in names
    }
    assert {status for status, _, _ in rows_by_person().values()} == {"sent"}


@pytest.mark.settings(SMATTEST_REMINDER_MAX_ATTEMPTS=3, SMATTEST_REMINDER_RETRY_MINUTES=10)
def test_a_refused_mail_is_retried_with_doubling_waits_then_given_up(flaky_app, flaky_smtp, freeze):
    inbox, _ = flaky_smtp
    social_media_policy(freeze, effective=dt.date(2026, 2, 1))
    person("Ann One")
    person("Bob Two")
    inbox.bounce = {"bob@agency.example"}
    start = freeze("2026-03-02T08:00:00+00:00")

    def bob():
        hostapp.db.session.expire_all()
        return hostapp.db.session.scalar(
            sa.select(Reminder).join(Staff).where(Staff.full_name == "Bob Two")
        )

    first = run_reminders()
    assert [m["To"] for m in inbox.messages] == ["ann@agency.example"]  # the batch goes on
    assert (first.failed, first.given_up) == (1, 0)
    assert (bob().status, bob().attempts) == ("pending", 1)
    assert bob().next_attempt_at == start + dt.timedelta(minutes=10)
    assert "451 4.2.0 Mailbox temporarily unavailable" in bob().last_error

    freeze(start + dt.timedelta(minutes=9))  # not yet time: untouched
    assert run_reminders().claimed == 0 and bob().attempts == 1

    second = freeze(start + dt.timedelta(minutes=10))
    run_reminders()
    assert (bob().status, bob().attempts) == ("pending", 2)
    assert bob().next_attempt_at == second + dt.timedelta(minutes=20)

    freeze(second + dt.timedelta(minutes=20))
    last = run_reminders()
    assert (bob().status, bob().attempts, bob().next_attempt_at) == ("failed", 3, None)
    assert (last.failed, last.given_up) == (1, 1)

    freeze(second + dt.timedelta(days=1, minutes=-30))  # given up: never tried again
    assert run_reminders().claimed == 0
    assert [m["To"] for m in inbox.messages] == ["ann@agency.example"]
