"""Checking the due-date table against the evidence: ``flask smattest compliance check``.

Everything is worked out again by the rule (:mod:`smattest.rule.compliance`) from
the evidence, the exemptions, the roster and the audiences, and compared with
the table row by row. A difference is a defect in the upkeep of
:mod:`smattest.due.upkeep`, or an edit of the table by hand: the table is a cache,
never evidence, and ``--rebuild`` replaces it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

import smattest.due.upkeep as due
import smattest.rule.compliance as compliance

from ..models import DueDate, Staff
from ..proxies import current_smattest
from ..rule.compliance import Position


@dataclass(frozen=True)
class Difference:
    """One person and requirement on which the table and the evidence disagree."""

    requirement: str
    staff_id: int
    external_id: str
    table: str
    evidence: str

    def __str__(self) -> str:
        return (
            f"{self.requirement}, staff {self.external_id} (id {self.staff_id}): "
            f"the table says {self.table}; the evidence says {self.evidence}"
        )


@dataclass(frozen=True)
class Report:
    """What a check compared, and every difference it found."""

    day: dt.date
    rows: int
    requirements: int
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


def describe(where: Position | None) -> str:
    """A position as HR would read it."""
    if where is None:
        return "nothing owed"
    text = f"due {where.due_on.isoformat()}"
    text += f", last done {where.done_at.isoformat()}" if where.done_at else ", never done"
    if where.exempt:
        until = where.exempt_until.isoformat() if where.exempt_until else "open-ended"
        text += f", exempt until {until}"
    return text


def check() -> Report:
    """Compare every row of the table with the rule's answer from the evidence, today."""
    session = current_smattest.db.session
    day = due.ready()
    found = compliance.requirements(day)
    differences: list[tuple[str, int, Position | None, Position | None]] = []
    rows = 0
    in_force = {(r.kind, r.id) for r in found}
    for requirement in found:
        expected = {
            p.staff_id: p for _, p in compliance.stream_positions(requirement, day, batch=5000)
        }
        kept = {
            row.staff_id: Position(row.staff_id, row.due_on, row.done_at, row.exempt,
                                   row.exempt_until)
            for row in session.execute(
                sa.select(DueDate).where(DueDate.requirement_kind == requirement.kind,
                                         DueDate.requirement_id == requirement.id)
            ).scalars()
        }  # fmt: skip
        rows += len(kept)
        key = f"{requirement.kind}:{requirement.slug}"
        for staff_id in sorted(expected.keys() | kept.keys()):
            if expected.get(staff_id) != kept.get(staff_id):
                differences.append((key, staff_id, kept.get(staff_id), expected.get(staff_id)))
    stray = session.execute(
        sa.select(DueDate.requirement_kind, DueDate.requirement_id, DueDate.staff_id)
    ).all()
    for kind, requirement_id, staff_id in stray:
        if (kind, requirement_id) not in in_force:
            rows += 1
            gone = f"{kind} #{requirement_id} (not in force)"
            differences.append((gone, staff_id, None, None))
    names = dict(
        session.execute(
            sa.select(Staff.id, Staff.external_id).where(
                Staff.id.in_({staff_id for _, staff_id, _, _ in differences})
            )
        ).all()
    )
    return Report(
        day,
        rows,
        len(found),
        [
            Difference(key, staff_id, names.get(staff_id, "?"),
                       "a row" if table is None and evidence is None else describe(table),
                       describe(evidence))
            for key, staff_id, table, evidence in differences
        ],
    )  # fmt: skip
