"""The outbox sends in batches: one claim, one SMTP connection and one record per batch.

Against a real aiosmtpd server on 127.0.0.1 that notes which connection
carried each mail and can refuse chosen recipients: the rows of a batch are
claimed by one UPDATE and marked sent by one UPDATE, each with its own
recipient; a mail refused inside a batch fails its own row only (retried with
its own attempt count and error) while the rest of the batch is recorded sent.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections import Counter

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from smattest.attest import attest
from smattest.models import Announcement, Reminder, Staff
from smattest.reminders import run_reminders
from smattest.reminders.receipts import send_receipts

from . import hostapp
from .conftest import Inbox, StatementCounter, all_databases, create_tables
from .reminder_helpers import BASE_URL, POLICY_TEXT, person, social_media_policy

MONDAY = "2026-03-02T08:00:00+00:00"
NAMES = ["Ann One", "Bob Two", "Cat Three", "Dee Four", "Eli Five", "Fay Six", "Gil Seven"]


class ConnectionInbox(Inbox):
    """An inbox that notes the connection (client port) of every mail and refuses some."""

    def __init__(self):
        super().__init__()
        self.peers: list[int] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(session.peer[1])
        return await super().handle_DATA(server, session, envelope)

    def mails_per_connection(self) -> list[int]:
        """How many mails each connection carried, in the order the connections came."""
        return list(Counter(self.peers).values())


@pytest.fixture
def inbox():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = ConnectionInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.mail_config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False}
    yield inbox
    controller.stop()


@pytest.fixture
def batch_app(make_app, inbox):
    app = make_app(**inbox.mail_config, SMATTEST_BASE_URL=BASE_URL, SMATTEST_MAIL_BATCH_SIZE=3)
    create_tables(app)
    with app.app_context():
        yield app


def counting(app) -> StatementCounter:
    return StatementCounter(app.extensions["smattest"].engine)


def outbox_updates(counter) -> tuple[list[str], list[str], list[str]]:
    """The run's UPDATEs of the outbox: (claims, marks as sent, failures recorded)."""
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    mine = [s for s in updates if "smattest_reminder" in s.split("SET")[0]]
    sets = [s.split("SET", 1)[1].split("WHERE")[0] for s in mine]
    claims = [s for s in sets if "claimed_at" in s]
    marks = [s for s in sets if "sent_at" in s]
    failures = [s for s in sets if "attempts" in s]
    return claims, marks, failures


def reminder_rows() -> dict[str, tuple[str, int, str | None, str | None]]:
    """Each person's reminder row: (status, attempts, recipient, last_error)."""
    session = hostapp.db.session
    session.expire_all()
    found = session.execute(
        sa.select(Staff.full_name, Reminder.status, Reminder.attempts, Reminder.recipient,
                  Reminder.last_error).join(Staff, Staff.id == Reminder.staff_id)
    )  # fmt: skip
    return {name.split()[0]: tuple(rest) for name, *rest in found}


@all_databases
def test_each_batch_is_claimed_by_one_update_and_recorded_sent_by_one(batch_app, inbox, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 2, 1))  # everyone due 3 March
    for name in NAMES:
        person(name)
    freeze(MONDAY)

    with counting(batch_app) as counter:
        report = run_reminders()

    assert report.people_mailed == len(NAMES) and report.ok
    assert inbox.mails_per_connection() == [3, 3, 1]  # one connection per batch of three
    claims, marks, failures = outbox_updates(counter)
    assert (len(claims), len(marks), failures) == (3, 3, [])
    rows = reminder_rows()
    assert rows == {
        name.split()[0]: ("sent", 0, f"{name.split()[0].lower()}@agency.example", None)
        for name in NAMES
    }
    hostapp.db.session.rollback()
    batches = hostapp.db.session.execute(
        sa.select(Reminder.claim_token, sa.func.count()).group_by(Reminder.claim_token)
    ).all()
    assert [n for _, n in batches] == [len(NAMES)]  # one run's token on every row


@all_databases
def test_a_refused_mail_in_a_batch_fails_its_own_row_and_the_rest_are_recorded_sent(
    batch_app, inbox, freeze
):
    social_media_policy(freeze, effective=dt.date(2026, 2, 1))
    for name in NAMES[:3]:
        person(name)
    inbox.refuse = {"bob@agency.example"}
    start = freeze(MONDAY)

    with counting(batch_app) as counter:
        first = run_reminders()

    assert [m["To"] for m in inbox.messages] == ["ann@agency.example", "cat@agency.example"]
    assert inbox.mails_per_connection() == [2]  # the batch went on over the same connection
    assert (first.people_mailed, first.failed, first.given_up, first.returned) == (2, 1, 0, 0)
    claims, marks, failures = outbox_updates(counter)
    assert (len(claims), len(marks), len(failures)) == (1, 1, 1)
    rows = reminder_rows()
    assert rows["Ann"] == ("sent", 0, "ann@agency.example", None)
    assert rows["Cat"] == ("sent", 0, "cat@agency.example", None)
    assert rows["Bob"] == (
        "pending", 1, None,
        "Not sent: the mail server refused the recipient "
        "(bob@agency.example: 550 5.1.1 Mailbox unavailable).",
    )  # fmt: skip
    bob = hostapp.db.session.scalar(sa.select(Reminder).join(Staff).where(Staff.email.like("bob%")))
    assert bob.next_attempt_at == start + dt.timedelta(minutes=15)

    inbox.refuse = set()
    freeze(start + dt.timedelta(minutes=15))
    second = run_reminders()

    assert (second.claimed, second.people_mailed) == (1, 1)  # Bob alone, once
    assert Counter(m["To"] for m in inbox.messages) == {
        "ann@agency.example": 1, "bob@agency.example": 1, "cat@agency.example": 1
    }  # fmt: skip
    assert reminder_rows()["Bob"][:3] == ("sent", 1, "bob@agency.example")


@all_databases
def test_receipts_go_a_batch_per_connection_with_the_same_statements_for_any_batch(
    batch_app, inbox, freeze
):
    social_media_policy(freeze, effective=dt.date(2026, 2, 1))
    people = [person(name) for name in NAMES]
    freeze(MONDAY)
    for staff in people[:2]:
        attest(staff, "social-media", 1, staff.full_name)
    with counting(batch_app) as two:
        assert send_receipts().sent == 2
    for staff in people[2:3]:
        attest(staff, "social-media", 1, staff.full_name)
    with counting(batch_app) as one:
        assert send_receipts().sent == 1
    for staff in people[3:]:
        attest(staff, "social-media", 1, staff.full_name)
    assert send_receipts().sent == 4

    assert inbox.mails_per_connection() == [2, 1, 3, 1]
    assert two.count == one.count  # nothing is read or written per mail
    assert sorted(m["To"] for m in inbox.messages) == sorted(s.email for s in people)
    assert {m["Subject"] for m in inbox.messages} == {
        "Receipt: you signed Social Media Policy, version 1"
    }
    hostapp.db.session.expire_all()
    assert set(hostapp.db.session.scalars(sa.select(Reminder.status))) == {"sent"}


def test_announcements_are_claimed_and_sent_a_batch_at_a_time(batch_app, inbox, freeze):
    from smattest.publishing.policies import publish

    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    for name in NAMES:
        person(name, freeze=freeze, signed_on=dt.date(2026, 1, 6))
    freeze("2026-02-20T09:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT + "Never post photos.\n",
            "Adds a rule on photos.", effective=dt.date(2026, 3, 2))  # fmt: skip
    freeze(MONDAY)

    run_reminders()

    announced = [
        (m["To"], peer)
        for m, peer in zip(inbox.messages, inbox.peers, strict=True)
        if m["Subject"].startswith("New version of the")
    ]
    assert list(Counter(peer for _, peer in announced).values()) == [3, 3, 1]
    assert Counter(to for to, _ in announced) == {
        f"{name.split()[0].lower()}@agency.example": 1 for name in NAMES
    }
    hostapp.db.session.expire_all()
    assert Counter(hostapp.db.session.scalars(sa.select(Announcement.status))) == {
        "sent": len(NAMES)
    }
