"""Keeping the due-date table true, in the same transaction as every change that moves it.

The table (:class:`~smattest.due_models.DueDate`) holds each active person's
:class:`~smattest.compliance.Position` per requirement in force, so that HR's
counts, filters and "most overdue" order are SQL (see :mod:`smattest.due_sql`).
:mod:`smattest.compliance` stays the only place a due date is worked out:
this module only asks it again for the people and requirements a change
touched, and stores the answer.

How it stays true:

- **Changes.** Session events on the host's ``db.session`` (registered once
  by :func:`watch`) note, at each flush, the people (evidence, exemptions and
  their ends, staff, placements) and requirements (versions, audiences,
  policies, courses, withdrawals) whose rows change. A bulk ``UPDATE``,
  ``DELETE`` or ``INSERT`` on those tables marks everything. Before the commit,
  their rows are worked out again and written, so the table commits with the
  change, or rolls back with it.
- **Days.** A row holds for every day until something dated arrives (a version
  taking effect, an audience or a placement from a day, a retirement) or the
  rule's settings change. :func:`ready`, called by every page that reads the
  table, moves the table's day to today when nothing dated lies between, and
  rebuilds it otherwise.
- **Checks.** ``flask smattest compliance check`` (:mod:`smattest.due_check`)
  works everything out again from the evidence and reports any difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

import smattest.compliance as compliance

from .compliance import Requirement
from .models import (
    COURSE,
    POLICY,
    Attestation,
    Course,
    CourseVersion,
    DueDate,
    DueState,
    Exemption,
    ExemptionEnd,
    Policy,
    PolicyVersion,
    Staff,
    TrainingCompletion,
)
from .proxies import current_smattest
from .records import AudienceChange, Placement, VersionWithdrawal
from .requirements import forget_listings
from .timeutil import local_today

#: Where a session keeps what its flushes touched, until the commit.
MARKS = "smattest.due"
#: Whether a session wrote anything since its transaction began (see :func:`ready`).
WROTE = "smattest.due.wrote"
#: People per statement when reading or writing their rows (IN lists stay short).
CHUNK = 500
TABLE: sa.Table = DueDate.__table__  # type: ignore[assignment]
#: A bulk statement on any of these may move anyone's due date.
_BULK = (Staff, Placement, Attestation, TrainingCompletion, ExemptionEnd, PolicyVersion,
         CourseVersion, Policy, Course, AudienceChange, VersionWithdrawal)  # fmt: skip


@dataclass
class Marks:
    """What a transaction changed that moves due dates."""

    #: People whose rows of one kind (policies, courses) moved; both for a staff change.
    staff: dict[str, set[int]] = field(default_factory=lambda: {POLICY: set(), COURSE: set()})
    requirements: set[tuple[str, int]] = field(default_factory=set)
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.requirements or any(self.staff.values()))


def _marks(session: Session) -> Marks:
    found: Marks = session.info.setdefault(MARKS, Marks())
    return found


def _note(marks: Marks, target: object) -> None:
    """Add what a new, changed or deleted object moves."""
    if isinstance(target, Attestation):
        marks.staff[POLICY].add(target.staff_id)
    elif isinstance(target, TrainingCompletion):
        marks.staff[COURSE].add(target.staff_id)
    elif isinstance(target, Exemption | ExemptionEnd):
        marks.staff[target.requirement_kind].add(target.staff_id)
    elif isinstance(target, Staff | Placement):
        staff_id = target.id if isinstance(target, Staff) else target.staff_id
        marks.staff[POLICY].add(staff_id)
        marks.staff[COURSE].add(staff_id)
    elif isinstance(target, PolicyVersion):
        marks.requirements.add((POLICY, target.policy_id))
    elif isinstance(target, CourseVersion):
        marks.requirements.add((COURSE, target.course_id))
    elif isinstance(target, Policy):
        marks.requirements.add((POLICY, target.id))
    elif isinstance(target, Course):
        marks.requirements.add((COURSE, target.id))
    elif isinstance(target, AudienceChange):
        marks.requirements.add((target.requirement_kind, target.requirement_id))
    elif isinstance(target, VersionWithdrawal):
        marks.everything = True  # rare: which policy would need a query mid-flush


def _after_flush(session: Session, context: UOWTransaction) -> None:
    marks = _marks(session)
    before = (len(marks.requirements), marks.everything)
    for target in chain(session.new, session.deleted):
        _note(marks, target)
    for target in session.dirty:
        if session.is_modified(target, include_collections=False):
            _note(marks, target)
    if (len(marks.requirements), marks.everything) != before:
        forget_listings(session)
    if session.new or session.dirty or session.deleted:
        session.info[WROTE] = True


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ in (DueDate, DueState):
        return
    session = state.session
    session.info[WROTE] = True
    if issubclass(mapper.class_, _BULK):
        _marks(session).everything = True
        forget_listings(session)


def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending adds its marks
    if not session.info.get(MARKS):
        return
    marks: Marks = session.info.pop(MARKS, Marks())
    if not marks:
        return
    if not has_app_context() or "smattest" not in current_app.extensions:
        # No settings to work with (a script without an app): the next read rebuilds.
        session.execute(sa.update(DueState).where(DueState.id == 1).values(computed_on=None))
        return
    apply(marks)
    session.info.pop(MARKS, None)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: committed, rolled back or closed
        _forget(session)


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(MARKS, None)
    session.info.pop(WROTE, None)
    forget_listings(session)


def watch(session: Any) -> None:
    """Keep the table with every transaction of ``session`` (the host's ``db.session``).

    Idempotent: several apps sharing one ``db`` register the listeners once.
    """
    if getattr(session, "_smattest_due_watched", False):
        return
    sa.event.listen(session, "after_flush", _after_flush)
    sa.event.listen(session, "do_orm_execute", _on_execute)
    sa.event.listen(session, "before_commit", _before_commit)
    sa.event.listen(session, "after_soft_rollback", _forget)
    sa.event.listen(session, "after_transaction_end", _ended)
    session._smattest_due_watched = True


# -- working rows out again ----------------------------------------------------------------


def _session() -> Session:
    session: Session = current_smattest.db.session()
    return session


def _rows(
    requirement: Requirement, day: dt.date, staff_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    found = compliance.stream_positions(requirement, day, staff_ids=staff_ids, batch=5000)
    return [
        {"staff_id": p.staff_id, "requirement_kind": requirement.kind,
         "requirement_id": requirement.id, "due_on": p.due_on, "done_at": p.done_at,
         "exempt": p.exempt, "exempt_until": p.exempt_until}
        for _, p in found
    ]  # fmt: skip


def _insert(rows: list[dict[str, Any]]) -> None:
    session = _session()
    for start in range(0, len(rows), 5000):
        session.execute(TABLE.insert(), rows[start : start + 5000])


def refresh_people(
    staff_ids: Iterable[int], day: dt.date | None = None, kind: str | None = None
) -> None:
    """Work out again these people's rows: every requirement in force, or those of ``kind``."""
    day = day or local_today()
    session = _session()
    ids = sorted(set(staff_ids))
    if kind is None:
        found = compliance.requirements(day)
    elif kind == POLICY:
        found = compliance.policy_requirements(day)
    else:
        found = compliance.course_requirements(day)
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        stale = TABLE.delete().where(TABLE.c.staff_id.in_(part))
        if kind is not None:
            stale = stale.where(TABLE.c.requirement_kind == kind)
        session.execute(stale)
        _insert([row for r in found for row in _rows(r, day, part)])


def refresh_requirements(keys: Iterable[tuple[str, int]], day: dt.date | None = None) -> None:
    """Work out again every row of these requirements (gone if no longer in force)."""
    day = day or local_today()
    session = _session()
    in_force = {(r.kind, r.id): r for r in compliance.requirements(day)}
    for kind, requirement_id in sorted(set(keys)):
        session.execute(
            TABLE.delete().where(
                TABLE.c.requirement_kind == kind, TABLE.c.requirement_id == requirement_id
            )
        )
        requirement = in_force.get((kind, requirement_id))
        if requirement is not None:
            _insert(_rows(requirement, day, None))


def rebuild(day: dt.date | None = None) -> None:
    """Work out the whole table again for ``day`` (default today), in the current transaction."""
    day = day or local_today()
    session = _session()
    session.execute(TABLE.delete())
    for requirement in compliance.requirements(day):
        _insert(_rows(requirement, day, None))
    session.execute(
        sa.update(DueState).where(DueState.id == 1).values(computed_on=day, settings=settings_key())
    )


def apply(marks: Marks) -> None:
    """Bring the rows a transaction's changes touched up to date (before it commits)."""
    session = _session()
    # Every transaction that writes the table takes its state row's lock first:
    # two of them never interleave their deletes and inserts (PostgreSQL,
    # MariaDB; SQLite has one writer at a time), and each reads what is in
    # force after the other committed.
    computed_on = session.execute(
        sa.select(DueState.computed_on).where(DueState.id == 1).with_for_update()
    ).scalar_one_or_none()
    if computed_on is None:
        return  # never built: the first read builds it all
    forget_listings(session)
    day = local_today()
    if marks.everything:
        rebuild(day)
        return
    if marks.requirements:
        refresh_requirements(marks.requirements, day)
    both = marks.staff[POLICY] & marks.staff[COURSE]
    if both:
        refresh_people(both, day)
    for kind, staff_ids in marks.staff.items():
        if staff_ids - both:
            refresh_people(staff_ids - both, day, kind)


def settings_key() -> str:
    """The settings due dates depend on, as stored with the table."""
    config = current_app.config
    return f"tz={current_smattest.timezone};new_hire_days={config['SMATTEST_NEW_HIRE_DAYS']}"


def _dated_between(after: dt.date, until: dt.date) -> bool:
    """Whether anything dated takes effect after ``after`` and by ``until``."""
    checks = [
        sa.select(PolicyVersion.id).where(PolicyVersion.effective_date > after,
                                          PolicyVersion.effective_date <= until),
        sa.select(AudienceChange.id).where(AudienceChange.since > after,
                                           AudienceChange.since <= until),
        sa.select(Placement.id).where(Placement.since > after, Placement.since <= until),
        sa.select(Policy.id).where(Policy.retired_on > after, Policy.retired_on <= until),
        sa.select(Course.id).where(Course.retired_on > after, Course.retired_on <= until),
    ]  # fmt: skip
    query = sa.select(sa.or_(*(sa.exists(check) for check in checks)))
    return bool(_session().execute(query).scalar())


def ready() -> dt.date:
    """Make the table hold today's rows, and return today: call before reading it.

    One query when the table is current; otherwise its day moves forward (a
    few queries) or it is rebuilt. When the session has written nothing yet
    (a page that only reads), the work is committed at once, so the next
    page finds it; otherwise it commits with the caller's transaction.
    """
    session = _session()
    day, key = local_today(), settings_key()
    state = session.execute(
        sa.select(DueState.computed_on, DueState.settings).where(DueState.id == 1)
    ).one()
    if state.computed_on == day and state.settings == key:
        return day
    # Wait for anyone doing the same, then look again.
    state = session.execute(
        sa.select(DueState.computed_on, DueState.settings).where(DueState.id == 1).with_for_update()
    ).one()
    if state.computed_on == day and state.settings == key:
        pass
    elif (
        state.computed_on is not None
        and state.settings == key
        and state.computed_on < day
        and not _dated_between(state.computed_on, day)
    ):
        session.execute(sa.update(DueState).where(DueState.id == 1).values(computed_on=day))
    else:
        rebuild(day)
    if not session.info.get(WROTE) and not session.info.get(MARKS):
        session.commit()
    return day
