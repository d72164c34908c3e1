"""The due-date table HR's pages read: kept with every change, checked against the evidence."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import smattest.due.upkeep as due
import smattest.reports.dashboard as dashboard
import smattest.reports.people_table as people
import smattest.rule.compliance as compliance
from smattest.attest import attest
from smattest.due import seal
from smattest.exemptions import end, grant
from smattest.models import COURSE, POLICY, DueDate, DuePending, DueState, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE

NOW = "2026-03-01T09:00:00+00:00"
pytestmark = pytest.mark.policy(
    now=NOW, text="Be careful online.", summary="First.", effective=dt.date(2026, 1, 1)
)


def _row(staff_id: int, kind: str, requirement_id: int) -> DueDate | None:
    """A row as a page reads it: after what is pending is settled (the test's own
    transaction ends first, so that MariaDB's snapshot shows the settle's work)."""
    due.settle()
    hostapp.db.session.rollback()
    return hostapp.db.session.get(DueDate, (staff_id, kind, requirement_id))


def _people(n: int, make_staff) -> list[Staff]:
    first_day = dt.date(2025, 6, 1)
    ids = make_staff(n, department=lambda i: f"Dept {i % 3}",
                     hire_date=lambda i: first_day + dt.timedelta(days=7 * i))  # fmt: skip
    return [hostapp.db.session.get(Staff, i) for i in ids]


@all_databases
def test_signing_moves_the_row_in_the_same_transaction(policy, make_staff, runner):
    (person,) = _people(1, make_staff)
    compliance_page = dashboard.summary()  # the first read builds the table
    assert compliance_page[0].overall.count("overdue") == 1
    before = _row(person.id, POLICY, policy.id)
    assert before.done_at is None and before.due_on == dt.date(2026, 1, 31)

    attest(person, "social-media", 1, person.full_name)
    after = _row(person.id, POLICY, policy.id)
    assert after.done_at is not None and after.due_on == dt.date(2027, 3, 1)
    assert dashboard.summary()[0].overall.count("current") == 1

    result = runner.invoke(args=["smattest", "compliance", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: 1 due dates for 1 requirements match the evidence on 2026-03-01." in result.output


def test_a_change_rolled_back_leaves_the_table_as_it_was(policy, make_staff, count_statements):
    (person,) = _people(1, make_staff)
    dashboard.summary()
    with count_statements() as seen:
        person.active = False
        hostapp.db.session.flush()  # flushed, then given up: the table is written at commit only
        hostapp.db.session.rollback()
    assert not [s for s in seen.statements if "smattest_due" in s], seen.statements
    assert _row(person.id, POLICY, policy.id) is not None
    person.department = "Dept 9"
    hostapp.db.session.commit()  # the earlier flush's marks went with its rollback
    assert dashboard.summary()[0].departments[0].label == "Dept 9"


def test_exemptions_granted_and_ended_move_the_row(policy, make_staff):
    (person,) = _people(1, make_staff)
    dashboard.summary()
    exemption = grant(person, POLICY, policy.id, "Long-term leave", dt.date(2026, 6, 30), "hr-1")
    hostapp.db.session.commit()
    row = _row(person.id, POLICY, policy.id)
    assert row.exempt and row.exempt_until == dt.date(2026, 6, 30)
    assert dashboard.summary()[0].overall.count("exempt") == 1
    end(exemption, "hr-1", "Back early")
    hostapp.db.session.commit()
    assert not _row(person.id, POLICY, policy.id).exempt
    assert dashboard.summary()[0].overall.count("overdue") == 1


def test_a_hand_edited_row_is_reported_and_rebuilt(policy, make_staff, runner):
    people_ = _people(3, make_staff)
    dashboard.summary()
    # An insider makes someone look current by editing the table.
    hostapp.db.session.execute(
        sa.update(DueDate)
        .where(DueDate.staff_id == people_[1].id)
        .values(due_on=dt.date(2030, 1, 1))
    )
    hostapp.db.session.commit()

    result = runner.invoke(args=["smattest", "compliance", "check"])
    assert result.exit_code == 1
    assert (
        f"DIFFERENT: policy:social-media, staff {people_[1].external_id} (id {people_[1].id}): "
        "the table says due 2030-01-01, never done (the row fails its seal: written outside "
        "smattest); the evidence says due 2026-01-31, never done"
    ) in result.output

    result = runner.invoke(args=["smattest", "compliance", "check", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "OK: 3 due dates" in result.output
    assert _row(people_[1].id, POLICY, policy.id).due_on == dt.date(2026, 1, 31)


def test_a_version_taking_effect_later_moves_the_counts_on_its_day(policy, make_staff, freeze):
    people_ = _people(2, make_staff)
    for person in people_:
        attest(person, "social-media", 1, person.full_name)
    assert dashboard.summary()[0].overall.count("current") == 2
    publish("social-media", "Social Media Policy", "Be more careful.", "Material.",
            effective=dt.date(2026, 4, 1))  # fmt: skip
    hostapp.db.session.commit()
    assert dashboard.summary()[0].overall.count("current") == 2  # not in force yet

    freeze("2026-04-02T09:00:00+00:00")
    counts = dashboard.summary()[0].overall
    assert counts.count("due_soon") == 2  # the new text is owed by 1 May
    assert hostapp.db.session.get(DueState, 1).computed_on == dt.date(2026, 4, 2)


def test_a_quiet_day_moves_the_table_without_rebuilding(
    policy, make_staff, freeze, count_statements
):
    _people(5, make_staff)
    dashboard.summary()
    freeze("2026-03-02T09:00:00+00:00")
    with count_statements() as counter:
        dashboard.summary()
    assert not any(s.lstrip().upper().startswith("DELETE") for s in counter.statements)
    assert hostapp.db.session.get(DueState, 1).computed_on == dt.date(2026, 3, 2)


@all_databases
def test_the_people_table_agrees_with_the_rule(policy, make_staff, freeze):
    """Filters, "most overdue" order and pages from SQL match the rule person by person."""
    import_course(SMALL_COURSE)
    hostapp.db.session.commit()
    people_ = _people(30, make_staff)
    for n, person in enumerate(people_):
        if n % 3 == 0:
            attest(person, "social-media", 1, person.full_name)
        if n % 7 == 0:
            grant(person, POLICY, policy.id, "Leave", dt.date(2026, 3, 10), "hr-1")
    hostapp.db.session.commit()
    requirements = compliance.requirements()
    truth = {(r.kind, r.id): {row.id: s for row, s in compliance.standings(r)}
             for r in requirements}  # fmt: skip
    for key_text, requirement in ((f"{r.kind}:{r.slug}", r) for r in requirements):
        for status in ("overdue", "due_soon", "current", "exempt"):
            flt = people.PeopleFilter(requirement=key_text, status=status, sort="overdue")
            page = people.people_page(flt, requirements, page_size=100)
            expected = sorted(
                (s for s in truth[(requirement.kind, requirement.id)].values()
                 if s.status == status),
                key=lambda s: (-s.days_overdue,
                               hostapp.db.session.get(Staff, s.staff_id).full_name.lower()),
            )  # fmt: skip
            assert [row.staff_id for row in page.rows] == [s.staff_id for s in expected]
            assert page.total == len(expected)
            for row in page.rows:
                assert (
                    row.standings[key_text]
                    == truth[(requirement.kind, requirement.id)][row.staff_id]
                )
    # Pages of the "most overdue" order over every requirement cover everyone once.
    seen = []
    for number in (1, 2, 3, 4):
        flt = people.PeopleFilter(sort="overdue", page=number)
        seen += [row.staff_id for row in people.people_page(flt, requirements, page_size=8).rows]
    assert sorted(seen) == sorted(p.id for p in people_)
    course = next(r for r in requirements if r.kind == COURSE)
    assert _row(people_[0].id, COURSE, course.id) is not None


@all_databases
def test_a_duplicate_folded_in_by_a_relink_takes_its_rows_along(policy, make_staff, runner):
    (old,) = make_staff(1, external_id="E-1", full_name="Ada Lovelace", active=False)
    (duplicate,) = make_staff(1, external_id="7", full_name="Ada Lovelace")
    assert dashboard.summary()[0].overall.total == 1
    assert _row(duplicate, POLICY, policy.id) is not None

    result = runner.invoke(
        args=["smattest", "staff", "relink", "E-1", "7", "--reason", "Roster keyed by new ids"]
    )

    assert result.exit_code == 0, result.output
    assert _row(duplicate, POLICY, policy.id) is None
    assert _row(old, POLICY, policy.id) is not None
    assert dashboard.summary()[0].overall.total == 1


@all_databases
def test_a_signature_leaves_a_mark_the_next_read_settles(policy, make_staff):
    (person,) = _people(1, make_staff)
    dashboard.summary()
    attest(person, "social-media", 1, person.full_name)

    hostapp.db.session.rollback()
    assert hostapp.db.session.scalars(sa.select(DuePending.staff_id)).all() == [person.id]
    row = hostapp.db.session.get(DueDate, (person.id, POLICY, policy.id))
    assert row.done_at is None  # not yet worked out again

    counts = dashboard.summary()[0].overall  # HR's next look settles it first
    assert (counts.count("current"), counts.count("overdue")) == (1, 0)
    assert hostapp.db.session().in_transaction()  # the read left the host's session alone
    hostapp.db.session.rollback()  # (MariaDB: a new snapshot, to see the settle's work)
    assert hostapp.db.session.scalars(sa.select(DuePending.staff_id)).all() == []
    assert _row(person.id, POLICY, policy.id).done_at is not None


@all_databases
def test_a_core_update_of_a_watched_table_is_seen_by_its_table(policy, make_staff):
    people_ = _people(4, make_staff)
    assert dashboard.summary()[0].overall.total == 4
    staff = Staff.__table__
    # No mapper: a Core statement on the staff table, sent through the host's session.
    hostapp.db.session.execute(
        staff.update().where(staff.c.id == people_[0].id).values(active=False)
    )
    hostapp.db.session.commit()
    assert dashboard.summary()[0].overall.total == 3
    assert _row(people_[0].id, POLICY, policy.id) is None
    # An ORM bulk UPDATE by condition, likewise.
    hostapp.db.session.execute(
        sa.update(Staff).where(Staff.id == people_[1].id).values(department="Dept 9")
    )
    hostapp.db.session.commit()
    departments = {d.label: d.counts.total for d in dashboard.summary()[0].departments}
    assert departments["Dept 9"] == 1


@all_databases
def test_a_read_leaves_the_hosts_session_uncommitted(policy, make_staff, app):
    people_ = _people(3, make_staff)
    attest(people_[0], "social-media", 1, people_[0].full_name)  # a mark to settle
    session = hostapp.db.session()
    person = session.get(Staff, people_[1].id)
    person.full_name = "Changed Not Committed"
    session.flush()  # the host's own change, in its own transaction

    counts = dashboard.summary()[0].overall  # answered from the evidence: its change counts
    flt = people.PeopleFilter(status="current")
    page = people.people_page(flt, compliance.requirements(), page_size=10)
    assert (counts.count("current"), counts.count("overdue")) == (1, 2)
    assert [row.staff_id for row in page.rows] == [people_[0].id]
    assert session.in_transaction()
    session.rollback()  # the host gives its change up: nothing was committed by the reads
    assert session.get(Staff, people_[1].id).full_name != "Changed Not Committed"

    # A read-only transaction: the settle runs beside it, the host's objects stay loaded.
    session.rollback()
    person = session.get(Staff, people_[2].id)
    attest(people_[2], "social-media", 1, people_[2].full_name)
    person = session.get(Staff, people_[2].id)
    assert dashboard.summary()[0].overall.count("current") == 2
    assert session.in_transaction() and not sa.inspect(person).expired_attributes


@pytest.mark.tampers  # the due-date table is edited by hand
@pytest.mark.settings(SMATTEST_BASE_URL="https://intranet.agency.example")
def test_someone_who_signed_is_never_reminded_even_when_their_row_is_made_stale(
    app, freeze, smtp_server
):
    from smattest.reminders import run_reminders

    from .reminder_helpers import person, reminder_rows, social_media_policy

    policy = social_media_policy(freeze, effective=dt.date(2026, 2, 1))
    late = person("Ann Late", manager_email="mo@agency.example")
    signed = person("Sam Signed", freeze=freeze, signed_on=dt.date(2026, 2, 10),
                    manager_email="mo@agency.example")  # fmt: skip
    freeze("2026-03-20T08:00:00+00:00")
    due.settle()
    # Someone holding the app's key makes Sam's row say he never signed and is long
    # overdue, with a seal that matches, and seals the table's state to go with it: the
    # table answers the planning, and the re-check against the evidence before sending
    # skips him.
    stale = {"staff_id": signed.id, "requirement_kind": "policy",
             "requirement_id": policy.policy_id, "due_on": dt.date(2026, 1, 5),
             "done_at": None, "exempt": False, "exempt_until": None}  # fmt: skip
    secret, session = seal.key(), hostapp.db.session
    seal.sealed(secret, stale)
    session.execute(
        sa.update(DueDate)
        .where(DueDate.staff_id == signed.id, DueDate.requirement_id == policy.policy_id)
        .values(**stale)
    )
    rows, broken, total = seal.scan(session, secret)
    assert broken == 0
    session.execute(
        sa.update(DueState).where(DueState.id == 1).values(**seal.state(secret, rows, total))
    )
    session.commit()

    report = run_reminders()

    sent_to = sorted(m["To"] for m in smtp_server.inbox.messages)
    assert sent_to == ["ann@agency.example", "mo@agency.example"]
    digest = next(m for m in smtp_server.inbox.messages if m["To"] == "mo@agency.example")
    body = digest.get_body(("plain",)).get_content()
    assert "Ann Late" in body and "Sam Signed" not in body
    sam = [row for row in reminder_rows() if row[0] == "Sam"]
    assert sam and all(status == "skipped" for _, _, status, _ in sam)
    assert (report.people_mailed, report.managers_mailed, report.skipped) == (1, 1, len(sam))
    assert late.id != signed.id
