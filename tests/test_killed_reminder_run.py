"""A reminder run killed with SIGKILL mid-batch: one batch is left for HR, the rest goes once.

A real run in a process of its own sends to a slow SMTP server on 127.0.0.1,
claiming ``SMATTEST_MAIL_BATCH_SIZE`` people at a time, and is killed in the
middle of its second batch. The first batch is recorded sent; exactly the
second is left 'sending' (mails the server accepted and mails never sent
alike: the outbox records a batch in one commit). The next run sends
everything still pending, never what the dead run had claimed; the batch is
reported after ``SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES``, every run exits 3
while it waits, and HR releases it with one confirmation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from smattest.models import HREvent, Reminder, Staff

from . import hostapp
from .conftest import Inbox, _free_port, create_tables
from .reminder_helpers import BASE_URL, social_media_policy

ROOT = Path(__file__).parent.parent
PEOPLE = 60
BATCH = 20


class SlowInbox(Inbox):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.03)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp():
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


def statuses() -> Counter:
    hostapp.db.session.expire_all()
    return Counter(hostapp.db.session.scalars(sa.select(Reminder.status)))


def test_a_killed_run_is_finished_by_the_next_and_hr_releases_the_rest_at_once(
    make_app, database_url, slow_smtp, freeze, tmp_path, login_as
):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": slow_smtp.port,
        "MAIL_SUPPRESS_SEND": False,
        "SMATTEST_BASE_URL": BASE_URL,
        "SMATTEST_MAIL_BATCH_SIZE": BATCH,
    }
    app = make_app(**config)
    create_tables(app)
    with app.app_context():
        social_media_policy(freeze, effective=dt.date(2026, 1, 2))
        hostapp.db.session.add_all(
            Staff(external_id=f"p{i}", full_name=f"Person {i}", email=f"p{i}@agency.example",
                  hire_date=dt.date(2020, 1, 6))
            for i in range(PEOPLE)
        )  # fmt: skip
        hostapp.db.session.commit()

    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    go.touch()
    monday = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    run = subprocess.Popen(
        [sys.executable, "-m", "tests.reminder_runner", json.dumps(config),
         monday.isoformat(), str(ready), str(go)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(slow_smtp.inbox.messages) < BATCH + 5:  # well into the second batch
        assert time.monotonic() < deadline and run.poll() is None, run.communicate()
        time.sleep(0.005)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    before = len(slow_smtp.inbox.messages)
    accepted_before_kill = Counter(m["To"] for m in slow_smtp.inbox.messages)

    with app.app_context():
        left = statuses()
        # The first batch recorded; exactly one batch, the second, left 'sending'.
        assert left == Counter(sent=BATCH, sending=BATCH, pending=PEOPLE - 2 * BATCH), left
        stuck_rows = hostapp.db.session.execute(
            sa.select(Reminder.claim_token, Reminder.claimed_at, Staff.email)
            .join(Staff)
            .where(Reminder.status == "sending")
        ).all()
        assert len({(token, at) for token, at, _ in stuck_rows}) == 1  # one claim
        stuck_people = {email for _, _, email in stuck_rows}
        sent_people = set(
            hostapp.db.session.scalars(
                sa.select(Staff.email).join(Reminder).where(Reminder.status == "sent")
            )
        )
        # Every mail the server accepted is either recorded sent or in the stuck batch.
        assert set(accepted_before_kill) == sent_people | (set(accepted_before_kill) & stuck_people)
        assert len(sent_people) == BATCH
        runner = app.test_cli_runner()

        freeze(monday + dt.timedelta(minutes=5))
        again = runner.invoke(args=["smattest", "reminders", "send"])
        assert again.exit_code == 0, again.output  # not stuck yet: within the timeout
        sent_by_rerun = len(slow_smtp.inbox.messages) - before
        assert sent_by_rerun == left["pending"]
        assert statuses()["sending"] == left["sending"]  # never resent on a guess

        freeze(monday + dt.timedelta(minutes=20))
        alert = runner.invoke(args=["smattest", "reminders", "send"])
        assert alert.exit_code == 3, alert.output
        assert f"Waiting for HR: {left['sending']} stuck in 'sending', 0 given up" in alert.output

        client = app.test_client()
        hr = hostapp.User(name="Hana Hill", email="hana@agency.example", is_hr=True)
        hostapp.db.session.add(hr)
        hostapp.db.session.commit()
        client.post(f"/login/{hr.id}")
        page = client.get("/compliance/hr/reminders").get_data(as_text=True)
        assert f"Apply my decision to all {left['sending']} reminders in this list" in page
        unconfirmed = client.post("/compliance/hr/reminders/bulk", data={
            "group": "stuck", "action": "release", "expected": left["sending"]})  # fmt: skip
        assert unconfirmed.status_code == 400
        assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
        released = client.post("/compliance/hr/reminders/bulk", data={
            "group": "stuck", "action": "release", "expected": left["sending"],
            "confirm": "y"})  # fmt: skip
        assert released.status_code == 303
        assert statuses()["sending"] == 0
        (event,) = hostapp.db.session.scalars(
            sa.select(HREvent).where(HREvent.action == "reminder.bulk_release")
        )
        assert event.actor == str(hr.id) and str(left["sending"]) in event.detail

        final = runner.invoke(args=["smattest", "reminders", "send"])
        assert final.exit_code == 0, final.output

    received = Counter(m["To"] for m in slow_smtp.inbox.messages)
    assert set(received) == {f"p{i}@agency.example" for i in range(PEOPLE)}
    # HR released the stuck batch: its mails the server had accepted before the kill
    # went twice, and no other. Nobody outside that one batch got a second mail.
    twice = {address for address, n in received.items() if n == 2}
    assert max(received.values()) == 2
    assert twice == {address for address in accepted_before_kill if address in stuck_people}
    assert twice and len(twice) < BATCH
    assert statuses() == Counter({"sent": PEOPLE})
