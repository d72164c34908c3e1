"""The demo agency's past: who signed the policy and passed the refresher, and when.

The story: the Social Media Policy and its refresher course came in 400 days
ago. Most people signed and trained in the first weeks; some were late; those
whose year came round have renewed. So today some people are current, some
due soon (a few on a reminder day: 30, 7 or 1 day before their due date) and
some overdue (a few long enough for their manager to be told).

Nobody in it is real, and the records say so: they are written as imported
evidence (method ``import``, recorded by ``demo-seed``, with a reason naming
the seed), the way an agency would bring in its records from before smattest,
in the same hash chain as everything else. One HR log entry records the import.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import smattest.db
from smattest.evidence import chain as evidence
from smattest.models import (
    Attestation,
    CourseVersion,
    HREvent,
    PolicyVersion,
    Staff,
    TrainingCompletion,
)
from smattest.rule.compliance import add_months

#: Who recorded the demo's history, and why, on every row of it.
RECORDED_BY = "demo-seed"
REASON = "Invented demo history, written by 'flask intranet seed'. Nobody here is real."

#: How long ago the policy (and its refresher) came in.
POLICY_AGE_DAYS = 400

# Name -> (days from today to the policy's due date, to the refresher's due date).
# A due date d days ahead means the person last signed (or passed) 12 months
# before it. The four new hires are not here: they have done nothing yet.
DUE_IN: dict[str, tuple[int, int]] = {
    "Denise Washington": (359, 359),
    "Sandra Delgado": (334, 340),
    "Marcus Johnson": (30, 30),
    "Aisha Rahman": (353, 120),
    "José Hernández": (7, -5),
    "Emily O'Brien": (-3, 60),
    "Kwame Asante": (337, 7),
    "Hannah Schultz": (1, 1),
    "Priya Natarajan": (-20, -20),
    "Tyrone Banks": (20, 45),
    "Michael Thompson": (345, 345),
    "Fatima Al-Sayed": (30, 200),
    "Daniel Cho": (350, 350),
    "Rosa Gutierrez": (7, 7),
    "Samuel Osei": (12, 12),
    "Katie Nguyen": (341, 90),
    "Ivan Petrov": (-10, -10),
    "Jennifer Walsh": (329, 329),
    "Carlos Mendoza": (1, 150),
    "Keisha Williams": (346, 346),
    "Ben Goldberg": (-31, -31),
    "Anh Tran": (30, 30),
    "Olivia Bennett": (355, 355),
    "Nia Robinson": (62, 62),
    "Laura Fitzgerald": (338, 338),
    "Hiroshi Tanaka": (7, 30),
    "Amara Nwosu": (343, 343),
    "Jessica Park": (-17, 100),
    "Miguel Torres": (348, 348),
    "Devon Marshall": (3, 3),
    "Rahul Mehta": (340, 340),
    "Grace Kim": (352, 352),
    "Tomasz Nowak": (1, 1),
    "Linda Morales": (30, 30),
    "Ahmed Farah": (-5, -5),
    "Brianna Clarke": (26, 26),
}


@contextmanager
def clock_at(moment: dt.datetime) -> Iterator[None]:
    """smattest's clock stands at ``moment`` inside the block (then back as it was)."""
    before = smattest.db.frozen_now
    smattest.db.frozen_now = moment.astimezone(dt.UTC)
    try:
        yield
    finally:
        smattest.db.frozen_now = before


def at_work(day: dt.date, index: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A plausible moment of the working day ``day``, different for each person."""
    return dt.datetime.combine(day, dt.time(9 + index % 8, (index * 13) % 60), tzinfo=tz)


def done_days(due_in: int, today: dt.date, start: dt.date, spread: int) -> list[dt.date]:
    """The days someone did a yearly requirement so that it is due ``due_in`` days from today.

    The last time is 12 months before the due date. When that is a renewal,
    the first time was in the first weeks after ``start`` (``spread`` days in).
    """
    last = add_months(today + dt.timedelta(days=due_in), -12)
    if last < start:
        raise ValueError(f"a due date {due_in} days away would need evidence before {start}")
    first = start + dt.timedelta(days=spread)
    return [first, last] if (last - first).days >= 335 else [last]


@dataclass(frozen=True, order=True)
class Event:
    """One past act: ``staff`` signed the policy or passed the course at ``moment``."""

    moment: dt.datetime
    kind: str
    staff_id: int


def plan(staff: list[Staff], today: dt.date, tz: zoneinfo.ZoneInfo) -> list[Event]:
    """Every signature and pass of the demo's past, oldest first (the chain's order)."""
    start = today - dt.timedelta(days=POLICY_AGE_DAYS)
    events = []
    for index, person in enumerate(staff):
        if person.full_name not in DUE_IN:
            continue
        policy_due, course_due = DUE_IN[person.full_name]
        for kind, due_in, spread in (
            ("policy", policy_due, (index * 7) % 25),
            ("course", course_due, (index * 11) % 25 + 1),
        ):
            for day in done_days(due_in, today, start, spread):
                events.append(Event(at_work(day, index, tz), kind, person.id))
    return sorted(events)


def record(events: list[Event], session, version: PolicyVersion, course: CourseVersion) -> int:
    """Write ``events`` into the evidence chain as imported records, in one transaction."""
    head = evidence.lock_chain()
    for event in events:
        person = session.get(Staff, event.staff_id)
        at = event.moment.astimezone(dt.UTC)
        if event.kind == "policy":
            row = Attestation(
                staff_id=person.id, policy_version_id=version.id, attested_at=at,
                signature=person.full_name, method="import", reason=REASON,
                recorded_by=RECORDED_BY, text_sha256=version.text_sha256,
            )  # fmt: skip
        else:
            row = TrainingCompletion(
                staff_id=person.id, course_version_id=course.id, completed_at=at,
                method="import", reason=REASON, recorded_by=RECORDED_BY,
                content_sha256=course.stored_sha256,
            )  # fmt: skip
        evidence.link(head, row)
        session.add(row)
    signed = sum(1 for e in events if e.kind == "policy")
    session.add(
        HREvent(
            actor=RECORDED_BY,
            action="evidence.import",
            detail=f"{signed} signatures and {len(events) - signed} refresher passes: {REASON}",
        )
    )
    session.commit()
    return len(events)
