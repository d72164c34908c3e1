"""Checking the due-date table against the evidence: ``flask smattest compliance check``.

Everything is worked out again by the rule (:mod:`smattest.rule.compliance`) from
the evidence, the exemptions, the roster and the audiences, and compared with
the table row by row; each row's seal (:mod:`smattest.due.seal`) is checked
too, so a row written outside smattest is named even when it says what the
evidence says (a seal edited alone, a row sealed with another key), and so is
the table as a whole when its rows are not those smattest left (the count, or
the XOR of the rows' shares, differs from the sealed state). A
difference is a defect in the marks (:mod:`smattest.due.marks`) or the settle
(:mod:`smattest.due.upkeep`), or an edit of the table by hand: the table is a
cache, never evidence, and ``--rebuild`` replaces it.

The check runs in a transaction of its own holding the table's lock, after a
settle, so it can run beside signing and imports (daily from the scheduler):
a person or requirement marked by a change committed while it compares is
counted as pending, not as a difference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

import smattest.due.upkeep as upkeep
import smattest.rule.compliance as compliance

from ..db import utcnow
from ..models import DueCheck, DueDate, DuePending, DueRequirementPending, DueState, Staff
from ..proxies import current_smattest
from ..rule.compliance import Position
from ..timeutil import local_today
from . import seal
from .marks import EVERYONE

#: Added to what the table says of a row that fails its seal (:mod:`smattest.due.seal`).
SEAL_FAILS = " (the row fails its seal: written outside smattest)"


@dataclass(frozen=True)
class Difference:
    """One person and requirement on which the table and the evidence disagree."""

    requirement: str
    staff_id: int
    external_id: str
    table: str
    evidence: str

    def __str__(self) -> str:
        if not self.staff_id:  # the table as a whole (its sealed state)
            return f"{self.requirement}: {self.table}; {self.evidence}"
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
    #: Rows left out of the comparison: marked by a change committed while it ran.
    pending: int = 0

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
    """Compare every row of the table with the rule's answer from the evidence, today.

    Settles first; reads in a transaction of its own and leaves the host's session alone.
    """
    with upkeep.own_transaction() as session:
        upkeep.settle_locked(upkeep.lock())
        return _compare(session, local_today())


def _compare(session: Session, day: dt.date) -> Report:
    found = compliance.requirements(day)
    differences: list[tuple[str, int, tuple[str, int], Position | None, Position | None]] = []
    rows = 0
    in_force = {(r.kind, r.id) for r in found}
    secret = seal.key()
    unsealed: set[tuple[str, int, int]] = set()
    for requirement in found:
        expected = {p.staff_id: p for _, p in compliance.positions(requirement, day, batch=5000)}
        kept: dict[int, Position] = {}
        for row in session.execute(
            sa.select(*seal.COLUMNS).where(DueDate.requirement_kind == requirement.kind,
                                           DueDate.requirement_id == requirement.id)
        ):  # fmt: skip
            kept[row.staff_id] = Position(
                row.staff_id, row.due_on, row.done_at, row.exempt, row.exempt_until
            )
            if row.seal != seal.seal(secret, *row[:7]):
                unsealed.add((requirement.kind, requirement.id, row.staff_id))
        rows += len(kept)
        key = f"{requirement.kind}:{requirement.slug}"
        for staff_id in sorted(expected.keys() | kept.keys()):
            which = (requirement.kind, requirement.id)
            if expected.get(staff_id) != kept.get(staff_id) or (*which, staff_id) in unsealed:
                differences.append(
                    (key, staff_id, which, kept.get(staff_id), expected.get(staff_id))
                )
    stray = session.execute(
        sa.select(DueDate.requirement_kind, DueDate.requirement_id, DueDate.staff_id)
    ).all()
    for kind, requirement_id, staff_id in stray:
        if (kind, requirement_id) not in in_force:
            rows += 1
            gone = f"{kind} #{requirement_id} (not in force)"
            differences.append((gone, staff_id, (kind, requirement_id), None, None))
    # Marks read last: a change committed while the rows above were read left one, and
    # no settle can take it away while this transaction holds the lock.
    marked = set(session.execute(sa.select(DuePending.staff_id, DuePending.requirement_kind)))
    moved = set(
        session.execute(
            sa.select(DueRequirementPending.requirement_kind, DueRequirementPending.requirement_id)
        )
    )
    # A row failing its seal was written outside smattest: no mark excuses it.
    pending = [
        d
        for d in differences
        if (*d[2], d[1]) not in unsealed
        and (EVERYONE in moved or d[2] in moved or (d[1], d[2][0]) in marked)
    ]
    differences = [d for d in differences if d not in pending]
    whole = _count_differs(session, secret, EVERYONE in moved, bool(unsealed))
    names = dict(
        session.execute(
            sa.select(Staff.id, Staff.external_id).where(
                Staff.id.in_({staff_id for _, staff_id, _, _, _ in differences})
            )
        ).all()
    )
    return Report(
        day,
        rows,
        len(found),
        [
            Difference(key, staff_id, names.get(staff_id, "?"),
                       ("a row" if table is None and evidence is None else describe(table))
                       + (SEAL_FAILS if (*which, staff_id) in unsealed else ""),
                       describe(evidence))
            for key, staff_id, which, table, evidence in differences
        ] + whole,
        len(pending),
    )  # fmt: skip


def _count_differs(
    session: Session, secret: bytes, pending: bool, unsealed: bool
) -> list[Difference]:
    """The table as a whole against the state smattest sealed: rows deleted (or added)
    outside smattest, rows swapped or put back in an earlier sealed state (their shares
    do not XOR to the sum smattest left; not said when a row fails its seal, which
    changes the sum too and is named itself), or the state itself edited. Pending while
    everyone is marked (a person deleted: their rows went, and the next settle rebuilds)."""
    state = session.execute(sa.select(*seal.STATE).where(DueState.id == 1)).one_or_none()
    rows, _, total = seal.scan(session, secret)
    what = "the due-date table as a whole"
    left = seal.kept(secret, state)
    if left is None:
        fails = f"it holds {rows} rows, and the state kept with it fails its seal"
        return [Difference(what, 0, "-", fails, "the state was edited outside smattest")]
    if pending:
        return []
    if left[0] != rows:
        differs = f"it holds {rows} rows, but smattest left {left[0]}"
        return [Difference(what, 0, "-", differs, "rows were deleted or added outside smattest")]
    if left[1] != total and not unsealed:
        differs = f"it holds {rows} rows, but not the rows smattest left"
        return [
            Difference(what, 0, "-", differs, "rows were changed, swapped or put back from an "
                       "earlier state outside smattest")
        ]  # fmt: skip
    return []


#: Differences kept in a recorded check (and shown in HR's banner and the email).
KEPT = 20


def record(report: Report, sent_to: str | None = None) -> DueCheck:
    """Keep what a check found, for HR's banner: in the host's session, committed."""
    session = current_smattest.db.session
    lines = [str(difference) for difference in report.differences[:KEPT]]
    if len(report.differences) > KEPT:
        lines.append(f"... and {len(report.differences) - KEPT} more.")
    run = DueCheck(
        checked_at=utcnow(),
        rows=report.rows,
        differences=len(report.differences),
        summary="\n".join(lines),
        sent_to=sent_to,
    )
    session.add(run)
    session.commit()
    return run


def unresolved() -> DueCheck | None:
    """The newest recorded check when it found differences (nothing since has found none)."""
    newest = current_smattest.db.session.scalar(
        sa.select(DueCheck).order_by(DueCheck.checked_at.desc(), DueCheck.id.desc()).limit(1)
    )
    return newest if newest is not None and newest.differences else None
