"""Signing holds the evidence chain only for the append itself.

Every signature in the agency waits for the chain's lock, so whatever runs
under it runs once per signature, one signature at a time. Working out the
person's standing (which reads their evidence, the versions in force and any
exemption) happens before the lock; so does, holding the person's row, one index
lookup that checks that no other request of theirs recorded the version
meanwhile, and one small row that tells HR's due-date table that the signer's
due date moved (worked out again by the table's next read). Under the lock
only the head is read and the row appended.
"""

import datetime as dt

import pytest

import smattest.reports.dashboard as dashboard
from smattest.attest import attest, attest_on_behalf
from smattest.models import Staff
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases


@pytest.fixture
def signer(app, freeze, make_staff):
    freeze("2026-03-02T14:30:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful.", "First.",
            effective=dt.date(2026, 3, 1))  # fmt: skip
    (staff_id,) = make_staff(1, full_name="Priya Raman")
    make_staff(50)
    return hostapp.db.session.get(Staff, staff_id)


def under_the_lock(statements: list[str]) -> list[str]:
    """The statements from taking the chain's lock (its first UPDATE) to the end."""
    first = next(n for n, s in enumerate(statements) if s.startswith("UPDATE smattest_chain_head"))
    return [" ".join(s.split()) for s in statements[first:]]


def shapes(statements: list[str]) -> list[str]:
    return [" ".join(s.split()[:3]) for s in statements]


@all_databases
@pytest.mark.parametrize("how", ["self", "on_behalf"])
def test_the_chain_lock_covers_the_append_only(signer, count_statements, how):
    assert dashboard.summary()[0].overall.total == 51  # HR's table of due dates is built
    with count_statements() as seen:
        if how == "self":
            recorded = attest(signer, "social-media", 1, "Priya Raman")
        else:
            recorded = attest_on_behalf(signer, "social-media", "Priya Raman",
                                        "Signed paper form on 2 March", "hr-1")  # fmt: skip
    assert recorded.created

    locked = under_the_lock(seen.statements)
    before = seen.statements[: len(seen.statements) - len(locked)]
    # Holding the signer's row: signed meanwhile (a second tab)? All before the
    # chain's lock, except on SQLite, which writes one transaction at a time: the
    # chain's lock is the only one there.
    checks = ["SELECT max(smattest_attestation.id) AS"]
    one_writer = hostapp.db.engine.dialect.name == "sqlite"
    if not one_writer:
        assert shapes(before[-2:]) == ["SELECT smattest_staff.id FROM", *checks], before[-2:]
        assert "FOR UPDATE" in before[-2], before[-2]
    assert not [s for s in locked if "smattest_due " in s or "FROM smattest_due_state" in s]
    assert not [s for s in locked if "GROUP BY" in s], locked
    # The append marks the signer for HR's due-date table: one small upsert, at the commit.
    appended = [
        "INSERT INTO smattest_chain_position",  # the position's one owner
        "INSERT INTO smattest_attestation",
        "INSERT INTO smattest_due_pending",
    ]
    if how == "self":
        appended.append("INSERT INTO smattest_reminder")  # the receipt, planned with the row
    if how == "on_behalf":
        appended.append("INSERT INTO smattest_hr_event")
    # Where the database returns what it updates, taking the lock reads the head too.
    reads_head = [] if "RETURNING" in locked[0] else [
        "SELECT smattest_chain_head.id, smattest_chain_head.last_seq,"
    ]  # fmt: skip
    assert sorted(shapes(locked)) == sorted([
        "UPDATE smattest_chain_head SET",  # takes the lock
        *reads_head,
        *(checks if one_writer else []),
        *appended,
        "UPDATE smattest_chain_head SET",  # the new head
    ]), locked  # fmt: skip
    assert ("RETURNING" in locked[0]) == hostapp.db.engine.dialect.update_returning, locked[0]


@all_databases
def test_a_person_already_current_takes_no_lock(signer, count_statements):
    first = attest(signer, "social-media", 1, "Priya Raman").attestation

    with count_statements() as seen:
        again = attest(signer, "social-media", 1, "Priya Raman")

    assert (again.created, again.attestation.id) == (False, first.id)
    assert not [s for s in seen.statements if s.startswith("UPDATE smattest_chain_head")]
