"""Watching the host's session: what each flush touched, worked out again before the commit.

The session events behind :mod:`smattest.due.upkeep`: registered once per
``db.session`` by :func:`watch` (the extension does it), they note at each
flush which people (evidence, exemptions and their ends, staff, placements)
and which requirements (versions, audiences, policies, courses, withdrawals)
changed; a bulk statement on those tables marks everything. Just before the
commit, :func:`apply` asks the rule again for exactly those and writes their
rows, so the table commits or rolls back with the change. Under the evidence
chain's lock, changes about people only leave pending rows instead, settled
by the next read of the table (:func:`smattest.due.upkeep.ready`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

import smattest.due.upkeep as due

from ..models import (
    COURSE,
    POLICY,
    Attestation,
    AudienceChange,
    ChainHead,
    Course,
    CourseVersion,
    DueDate,
    DuePending,
    DueState,
    Exemption,
    ExemptionEnd,
    Placement,
    Policy,
    PolicyVersion,
    Staff,
    TrainingCompletion,
    VersionWithdrawal,
)
from ..rule.requirements import forget_listings
from ..timeutil import local_today
from .upkeep import CHAIN_LOCKED, MARKED, MARKS, PENDING, WROTE

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
    for target in session.new:
        _note(marks, target)
    gone = [target.id for target in session.deleted if isinstance(target, Staff)]
    for target in session.deleted:
        if not isinstance(target, Staff):
            _note(marks, target)
    if gone:  # a deleted person's rows go with them (SQLite does not cascade)
        for table in (due.TABLE, PENDING):
            session.execute(table.delete().where(table.c.staff_id.in_(gone)))
        for staff_ids in marks.staff.values():
            staff_ids.difference_update(gone)
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
    if mapper is None or mapper.class_ in (DueDate, DuePending, DueState):
        return
    session = state.session
    if mapper.class_ is ChainHead and state.is_update:
        session.info[CHAIN_LOCKED] = True
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
    session.info.pop(CHAIN_LOCKED, None)
    session.info.pop(MARKED, None)
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


def apply(marks: Marks) -> None:
    """Bring the rows a transaction's changes touched up to date (before it commits).

    Under the evidence chain's lock, changes about people only (a signature, a
    completion, an exemption) leave a :class:`~smattest.models.DuePending`
    row each instead, worked off by the next read of the table
    (:func:`smattest.due.upkeep.ready`).
    """
    session = due.db_session()
    if session.info.get(CHAIN_LOCKED) and not (marks.everything or marks.requirements):
        due.mark_pending(
            [(staff_id, kind) for kind, staff_ids in marks.staff.items() for staff_id in staff_ids]
        )
        return
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
        due.rebuild(day)
        return
    if marks.requirements:
        due.refresh_requirements(marks.requirements, day)
    both = marks.staff[POLICY] & marks.staff[COURSE]
    if both:
        due.refresh_people(both, day)
    for kind, staff_ids in marks.staff.items():
        if staff_ids - both:
            due.refresh_people(staff_ids - both, day, kind)
