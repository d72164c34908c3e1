"""Every signal is sent after its fact is committed: checked from another database connection.

A receiver that reads through the sender's own session would see rows still
in an open transaction, so a signal sent before the commit would pass. Here
each receiver counts rows on a connection of its own, which sees only what
is committed.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest import exemptions, roster, training
from smattest.attest import attest, attest_on_behalf
from smattest.models import POLICY, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.reminders import run_reminders
from smattest.signals import (
    attestation_recorded,
    exemption_ended,
    exemption_granted,
    reminder_sent,
    roster_imported,
    training_completed,
)

from . import hostapp
from .content import SMALL_COURSE

HEADER = "employee_id,email,full_name,department,manager_email,hire_date,active\n"


def committed(app, query: str) -> int:
    """A count as another connection sees it: only committed rows."""
    with app.extensions["smattest"].engine.connect() as conn:
        return conn.scalar(sa.text(query))


@pytest.fixture
def listen(app):
    """``listen(signal, query)``: what ``query`` counted, committed, each time ``signal`` came."""
    heard: list[int] = []
    connected = []

    def on(signal, query):
        def receiver(sender, **data):
            heard.append(committed(app, query))

        signal.connect(receiver, app)
        connected.append((signal, receiver))
        return heard

    yield on
    for signal, receiver in connected:
        signal.disconnect(receiver, app)


@pytest.fixture
def person(app, freeze):
    freeze("2026-03-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    staff = Staff(external_id="E1", full_name="Ruth Park", email="ruth@agency.example",
                  hire_date=dt.date(2020, 1, 6))  # fmt: skip
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


def test_attestation_recorded_comes_after_the_commit(app, person, listen):
    heard = listen(attestation_recorded, "SELECT count(*) FROM smattest_attestation")

    attest(person, "social-media", 1, "Ruth Park")

    assert heard == [1]


def test_an_on_behalf_attestation_is_announced_after_the_commit(app, person, listen):
    heard = listen(attestation_recorded, "SELECT count(*) FROM smattest_attestation")

    attest_on_behalf(person, "social-media", "Ruth Park", "paper form", recorded_by="99")

    assert heard == [1]


def test_training_completed_comes_after_the_commit(app, person, listen):
    course = import_course(SMALL_COURSE).version.course
    attempt = training.start_attempt(person, course)
    (shown,) = training.questions_of(attempt)
    question = shown.question
    heard = listen(training_completed, "SELECT count(*) FROM smattest_training_completion")

    result = training.submit(person, attempt.id, {question.id: list(question.correct)})

    assert result.completion is not None
    assert heard == [1]


def test_exemption_signals_come_after_their_commits(app, person, listen):
    policy_id = hostapp.db.session.scalar(sa.text("SELECT id FROM smattest_policy"))
    granted = listen(exemption_granted, "SELECT count(*) FROM smattest_exemption")
    ended = listen(
        exemption_ended, "SELECT count(*) FROM smattest_exemption WHERE ended_at IS NOT NULL"
    )

    row = exemptions.grant(person, POLICY, policy_id, "On leave", None, "99")
    exemptions.end(row, "99")

    assert granted[0] == 1 and ended[1] == 1


def test_roster_imported_comes_after_the_commit(app, listen):
    heard = listen(roster_imported, "SELECT count(*) FROM smattest_staff")
    plan = roster.plan_csv(HEADER + "1,ada@agency.example,Ada Obi,,,,\n")

    roster.apply(plan, actor="99")

    assert heard == [1]


@pytest.mark.settings(SMATTEST_BASE_URL="https://intranet.agency.example")
def test_reminder_sent_comes_after_the_rows_are_marked_sent(app, person, listen, smtp_server,
                                                            freeze):  # fmt: skip
    heard = listen(reminder_sent, "SELECT count(*) FROM smattest_reminder WHERE status = 'sent'")
    freeze("2026-03-31T13:00:00+00:00")  # a Tuesday: Ruth is overdue

    run_reminders()

    assert heard and heard[0] >= 1
