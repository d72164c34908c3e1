"""What marks a person or a requirement stale in the due-date table: the one place.

A change that moves due dates never rewrites the table itself: it leaves a
*mark* in its own transaction, committed or rolled back with it, and the next
settle (:func:`smattest.due.upkeep.settle`, in a transaction of its own) works
the marked rows out again. What leaves a mark:

- **Evidence appended** (an attestation, a completion, an exemption granted
  or ended): :func:`smattest.evidence.chain.link`, the chain's one append,
  calls :func:`evidence_appended` for the row's person and kind, once per row.
- **Objects flushed** by the host's session: a new, changed or deleted person
  (:class:`~smattest.models.Staff`) or placement marks that person; a policy,
  course, version or audience change marks its requirement; a withdrawn
  version marks everyone.
- **Bulk and Core statements** (``update(Staff)``, ``Staff.__table__.update()``,
  an ``insert`` of many rows) sent through the session are seen by the table
  they write, not by a mapper: one on a watched table (:data:`WATCHED`) marks
  everyone, since which rows it touched is not known.

Nothing is inferred from other statements. Marks are written just before the
commit (one upsert per table), each with a fresh token, so that a settle that
read an older token leaves the new mark for the next settle. The listeners
are registered once per ``db.session`` by :func:`watch` (the extension does
it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from ..models import (
    COURSE,
    POLICY,
    Attestation,
    AudienceChange,
    Course,
    CourseVersion,
    DueDate,
    DuePending,
    DueRequirementPending,
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

#: Where a session keeps what its transaction changed, until the commit writes the marks.
MARKS = "smattest.due.marks"
#: Whether a session wrote anything since its transaction began (see
#: :func:`smattest.due.read.table_view`: on SQLite it holds the write lock).
WROTE = "smattest.due.marks.wrote"
#: The requirement mark that stands for everyone's rows.
EVERYONE = ("*", 0)

#: Tables whose rows move due dates: a bulk or Core statement on any marks everyone.
WATCHED = frozenset(
    model.__tablename__
    for model in (Staff, Placement, Attestation, TrainingCompletion, Exemption, ExemptionEnd,
                  Policy, PolicyVersion, Course, CourseVersion, AudienceChange, VersionWithdrawal)
)  # fmt: skip
#: The table's own tables: settles write them, and nothing there marks anything.
OWN = frozenset(
    model.__tablename__ for model in (DueDate, DuePending, DueRequirementPending, DueState)
)

_Evidence = Attestation | TrainingCompletion | Exemption | ExemptionEnd


@dataclass
class Marks:
    """What a transaction changed that moves due dates, until its commit writes it down."""

    #: People whose rows of one kind (policies, courses) moved.
    people: dict[str, set[int]] = field(default_factory=lambda: {POLICY: set(), COURSE: set()})
    #: Requirements whose rows moved, as (kind, id); :data:`EVERYONE` for all of them.
    requirements: set[tuple[str, int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.requirements or any(self.people.values()))

    def person(self, staff_id: int, *kinds: str) -> None:
        for kind in kinds or (POLICY, COURSE):
            self.people[kind].add(staff_id)


def _marks(session: Session) -> Marks:
    found: Marks = session.info.setdefault(MARKS, Marks())
    return found


def evidence_appended(session: Session, row: _Evidence) -> None:
    """Mark the person an evidence row is about, for its kind (the chain's append calls it)."""
    if isinstance(row, Attestation):
        _marks(session).person(row.staff_id, POLICY)
    elif isinstance(row, TrainingCompletion):
        _marks(session).person(row.staff_id, COURSE)
    else:
        _marks(session).person(row.staff_id, row.requirement_kind)


def _note(marks: Marks, target: object) -> bool:
    """Add what a new, changed or deleted object moves; whether a requirement moved."""
    if isinstance(target, Staff):
        marks.person(target.id)
    elif isinstance(target, Placement):
        marks.person(target.staff_id)
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
        marks.requirements.add(EVERYONE)  # rare: which policy would need a query mid-flush
    else:
        return False  # evidence is marked where it is appended; other tables move nothing
    return not isinstance(target, Staff | Placement)


def _after_flush(session: Session, context: UOWTransaction) -> None:
    marks = _marks(session)
    moved = False
    gone = [target.id for target in session.deleted if isinstance(target, Staff)]
    for target in session.new:
        moved |= _note(marks, target)
    for target in session.dirty:
        if session.is_modified(target, include_collections=False):
            moved |= _note(marks, target)
    for target in session.deleted:
        if not isinstance(target, Staff):
            moved |= _note(marks, target)
    if gone:
        # A deleted person's rows go with them (no foreign key), and their marks (which
        # have one, but SQLite does not cascade).
        session.execute(sa.delete(DueDate).where(DueDate.staff_id.in_(gone)))
        # Rows gone outside a settle: the table's sealed row count no longer holds, so the
        # next settle rebuilds it (:mod:`smattest.due.seal`). People are rarely deleted.
        marks.requirements.add(EVERYONE)
        if session.get_bind(DueDate).dialect.name == "sqlite":
            session.execute(sa.delete(DuePending).where(DuePending.staff_id.in_(gone)))
        for staff_ids in marks.people.values():
            staff_ids.difference_update(gone)
    if moved:
        forget_listings(session)
    if session.new or session.dirty or session.deleted:
        session.info[WROTE] = True


def target_table(statement: Any) -> str | None:
    """The name of the table an INSERT, UPDATE or DELETE writes, ORM or Core alike."""
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    return name if isinstance(name, str) else None


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = target_table(state.statement)
    if name in OWN:
        return
    session = state.session
    session.info[WROTE] = True
    if name in WATCHED:
        _marks(session).requirements.add(EVERYONE)
        forget_listings(session)


def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending adds its marks
    marks: Marks | None = session.info.pop(MARKS, None)
    if marks:
        write(session, marks)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: committed, rolled back or closed
        session.info.pop(MARKS, None)
        session.info.pop(WROTE, None)
        forget_listings(session)


def watch(session: Any) -> None:
    """Mark what every transaction of ``session`` (the host's ``db.session``) changes.

    Idempotent: several apps sharing one ``db`` register the listeners once.
    """
    if getattr(session, "_smattest_due_watched", False):
        return
    sa.event.listen(session, "after_flush", _after_flush)
    sa.event.listen(session, "do_orm_execute", _on_execute)
    sa.event.listen(session, "before_commit", _before_commit)
    sa.event.listen(session, "after_transaction_end", _ended)
    session._smattest_due_watched = True


def write(session: Session, marks: Marks) -> None:
    """Write ``marks`` in ``session``'s transaction: one upsert per table, fresh tokens."""
    people = [
        {"staff_id": staff_id, "requirement_kind": kind, "token": uuid.uuid4().hex}
        for staff_id, kind in sorted(
            (staff_id, kind) for kind in (POLICY, COURSE) for staff_id in marks.people[kind]
        )
    ]
    requirements = [
        {"requirement_kind": kind, "requirement_id": requirement_id, "token": uuid.uuid4().hex}
        for kind, requirement_id in sorted(marks.requirements)
    ]
    # In key order, the order a settle's DELETE takes them in: no two wait on each other.
    if people:
        session.execute(_upsert(session, DuePending, ("staff_id", "requirement_kind")), people)
    if requirements:
        key = ("requirement_kind", "requirement_id")
        session.execute(_upsert(session, DueRequirementPending, key), requirements)


def _upsert(session: Session, model: Any, key: tuple[str, ...]) -> Any:
    """INSERT, or a new token over a mark already there."""
    table: sa.Table = model.__table__
    name = session.get_bind(model).dialect.name
    if name in ("postgresql", "sqlite"):
        dialect = postgresql if name == "postgresql" else sqlite
        insert = dialect.insert(table)
        return insert.on_conflict_do_update(
            index_elements=[table.c[column] for column in key],
            set_={"token": insert.excluded.token},
        )
    mine = mysql.insert(table)
    return mine.on_duplicate_key_update(token=mine.inserted.token)
