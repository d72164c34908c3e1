"""An agency for the benchmarks, filled through smattest's public interfaces where practical.

- the policy is published with :func:`smattest.publishing.policies.publish` and the
  course imported with :func:`smattest.publishing.courses.import_course`;
- the roster goes in the way ``flask smattest roster sync`` puts it in
  (:func:`smattest.roster.plan` and :func:`smattest.roster.apply`), and the
  host's own user table gets one sign-in per person (plus one HR user);
- evidence: half the staff hold a year of it (an attestation and a course
  completion at some moment of the past year), chained exactly as the
  services chain it (:func:`smattest.evidence.chain.record_hash`) but inserted a
  chunk at a time: 25,000 signatures through the signing service would take
  longer than everything measured. ``audit verify`` passes on the result.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa

from smattest.db import metadata
from smattest.evidence import chain as evidence
from smattest.models import (
    Attestation,
    ChainHead,
    ChainPosition,
    CourseVersion,
    PolicyVersion,
    Staff,
    TrainingCompletion,
)
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.roster import apply, plan
from smattest.roster.reading import parse_records
from tests import hostapp
from tests.content import SMALL_COURSE

#: "Today" in every figure: people who signed in the past year are current,
#: the others (hired in 2020, policy in force since 2025) are overdue.
TODAY = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)  # a Monday
YEAR_AGO = TODAY - dt.timedelta(days=365)
CHUNK = 5000


def reset() -> None:
    """Empty tables: smattest's and the host's."""
    engine = hostapp.db.engine
    hostapp.db.session.remove()
    metadata.drop_all(engine)
    hostapp.db.drop_all()
    hostapp.db.create_all()
    metadata.create_all(engine)


def hr_user_id(size: int) -> int:
    """The host user id of the HR person (on the roster like everyone else)."""
    return size + 1


def agency(size: int) -> None:
    """``size`` people plus one HR person; every even-numbered person holds a year of evidence."""
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2025, 1, 1))  # fmt: skip
    import_course(SMALL_COURSE)
    people = [
        {"employee_id": str(n), "email": f"p{n}@agency.example", "full_name": f"Person {n}",
         "department": f"Dept {n % 20}", "manager_email": f"p{(n % 500) + 1}@agency.example",
         "hire_date": dt.date(2020, 1, 1) + dt.timedelta(days=n % 1000)}
        for n in range(1, size + 2)
    ]  # fmt: skip
    apply(plan(parse_records(people), partial=False, source="bench"), actor="bench")
    session = hostapp.db.session
    session.execute(
        sa.insert(hostapp.User),
        [{"id": int(p["employee_id"]), "email": p["email"], "name": p["full_name"],
          "department": p["department"], "manager_email": p["manager_email"],
          "hire_date": p["hire_date"], "is_hr": int(p["employee_id"]) == hr_user_id(size)}
         for p in people],
    )  # fmt: skip
    session.commit()
    ids = session.scalars(sa.select(Staff.id).order_by(Staff.id)).all()
    signed = ids[1:-1:2]
    add_evidence(signed, per_person=1)


def add_evidence(staff_ids: list[int], per_person: int, months_back: int = 0) -> int:
    """``per_person`` attestations and as many completions for each person, chained.

    The newest of each falls within the past year, ``months_back`` months
    earlier; older ones go back a month at a time. Returns the number of rows added.
    """
    session = hostapp.db.session
    version = session.scalars(sa.select(PolicyVersion)).one()
    course_version = session.scalars(sa.select(CourseVersion)).one()
    head = session.get(ChainHead, 1)
    seq, prev = head.last_seq, head.last_hash
    batches: dict[type, list[dict]] = {Attestation: [], TrainingCompletion: []}
    added = 0

    positions: list[dict] = []  # every row's chain position first (the database checks it)

    def flush() -> None:
        if positions:
            session.execute(sa.insert(ChainPosition), positions)
            positions.clear()
        for model, rows in batches.items():
            if rows:
                session.execute(sa.insert(model), rows)
                rows.clear()

    for n, staff_id in enumerate(staff_ids):
        newest = YEAR_AGO + dt.timedelta(days=7 + n % 350, seconds=n)
        for k in range(per_person - 1, -1, -1):
            at = newest - dt.timedelta(days=30 * (k + months_back))
            for row in (
                Attestation(
                    staff_id=staff_id, policy_version_id=version.id, attested_at=at,
                    signature=f"Person {staff_id}", method="import",
                    text_sha256=version.text_sha256,
                ),
                TrainingCompletion(
                    staff_id=staff_id, course_version_id=course_version.id,
                    completed_at=at + dt.timedelta(minutes=5), score=100, method="import",
                    content_sha256=course_version.content_sha256,
                ),
            ):  # fmt: skip
                seq += 1
                row.chain_seq, row.prev_hash = seq, prev
                row.record_hash = prev = evidence.record_hash(row)
                columns = {c.key: getattr(row, c.key) for c in type(row).__table__.columns}
                columns.pop("id")
                columns["chain_table"] = type(row).__tablename__
                positions.append({"seq": seq, "tbl": type(row).__tablename__})
                batches[type(row)].append(columns)
                added += 1
        if len(batches[Attestation]) >= CHUNK:
            flush()
    flush()
    head.last_seq, head.last_hash = seq, prev
    session.commit()
    if session.get_bind(Staff).dialect.name == "postgresql":
        # What autovacuum does soon after a load this size: without fresh
        # statistics the planner takes a table of 500,000 rows for a few hundred.
        session.execute(sa.text("ANALYZE"))
        session.commit()
    return added


def unsigned_people(size: int, count: int) -> list[int]:
    """Host user ids of ``count`` people (not HR) who have never signed."""
    signed = sa.select(Attestation.staff_id)
    query = (
        sa.select(Staff.external_id)
        .where(Staff.id.not_in(signed), Staff.external_id != str(hr_user_id(size)))
        .order_by(Staff.id)
        .limit(count)
    )
    return [int(n) for n in hostapp.db.session.scalars(query)]


def one_signed_person() -> int:
    """The host user id of someone holding evidence (for My compliance)."""
    query = sa.select(Staff.external_id).join(Attestation, Attestation.staff_id == Staff.id)
    return int(hostapp.db.session.scalars(query.order_by(Staff.id).limit(1)).one())


def fingerprint() -> str:
    """A short hash of the evidence head, to show two runs saw the same data."""
    head = hostapp.db.session.get(ChainHead, 1)
    return hashlib.sha256(f"{head.last_seq}:{head.last_hash}".encode()).hexdigest()[:12]
