"""One person's status costs the same whatever everyone else's evidence weighs.

"My compliance", signing (which checks the person's standing while it holds
the chain) and reminders ask for one person's standing. Those queries must
read that person's evidence only: the plan on SQLite searches the
(staff, requirement, time) indexes instead of scanning the evidence tables,
and on every database the answer and the number of statements do not change
when others' evidence grows.
"""

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.evidence import chain as evidence
from smattest.exemptions import grant
from smattest.models import Attestation, CourseVersion, PolicyVersion, Staff, TrainingCompletion
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE

T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def add_evidence(staff_ids, when):
    """One imported attestation and one completion per person, chained as the services do."""
    session = hostapp.db.session
    version = session.scalars(sa.select(PolicyVersion)).one()
    course_version = session.scalars(sa.select(CourseVersion)).one()
    head = evidence.lock_chain()
    for n, staff_id in enumerate(staff_ids):
        at = when + dt.timedelta(seconds=n)
        evidence.link(head, Attestation(
            staff_id=staff_id, policy_version_id=version.id, attested_at=at,
            signature="Someone", method="import", text_sha256=version.text_sha256,
        ))  # fmt: skip
        evidence.link(head, TrainingCompletion(
            staff_id=staff_id, course_version_id=course_version.id, completed_at=at,
            score=100, method="import", content_sha256=course_version.content_sha256,
        ))  # fmt: skip
    session.commit()


@pytest.fixture
def agency(app, freeze, make_staff):
    """A policy, a course, one person with an exemption from the course, and 200 others."""
    freeze("2026-01-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful.", "First.",
            effective=dt.date(2026, 1, 1))  # fmt: skip
    import_course(SMALL_COURSE)
    (person,) = make_staff(1)
    others = make_staff(200)
    course = compliance.course_requirements()[0]
    grant(hostapp.db.session.get(Staff, person), "course", course.id, "On leave",
          until=dt.date(2026, 6, 30), granted_by="hr")  # fmt: skip
    freeze("2026-03-02T09:00:00+00:00")
    return hostapp.db.session.get(Staff, person), others


def summary(standings):
    return [(s.requirement.kind, s.status, s.due_date, s.done_at) for s in standings]


@all_databases
def test_ones_standing_reads_the_same_with_many_others_evidence(agency, count_statements):
    person, others = agency
    add_evidence([person.id], T0)
    with count_statements() as few:
        alone = summary(compliance.person_standings(person))

    for month in range(2):  # others sign twice each: 800 evidence rows more
        add_evidence(others, T0 - dt.timedelta(days=30 * (month + 1)))
    with count_statements() as many:
        crowded = summary(compliance.person_standings(person))

    assert crowded == alone
    assert [status for _, status, _, _ in alone] == ["current", "exempt"]
    assert alone[0][3] == T0
    assert many.count == few.count
    # The same answer as the everyone-at-once path the HR pages and exports use.
    for requirement in compliance.requirements():
        everyone = {row.id: s for row, s in compliance.standings(requirement)}
        (mine,) = [s for s in compliance.person_standings(person) if s.requirement == requirement]
        assert everyone[person.id] == mine


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ones_standing_searches_the_indexes_instead_of_scanning_evidence(agency, count_statements):
    person, others = agency
    add_evidence(others + [person.id], T0)
    with count_statements() as seen:
        compliance.person_standings(person)

    plans = []
    with hostapp.db.engine.connect() as connection:
        for statement, parameters in seen.executed:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans += [row[-1] for row in plan]
    evidence_steps = [
        step for step in plans
        if any(f"smattest_{t} " in f"{step} " for t in ("attestation", "training_completion",
                                                       "exemption"))
    ]  # fmt: skip
    assert evidence_steps, plans
    assert not [step for step in evidence_steps if step.startswith("SCAN")], evidence_steps
