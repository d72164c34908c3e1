"""Settling the due-date table: working marked rows out again, in a transaction of its own.

The table (:class:`~smattest.models.DueDate`) holds each active person's
:class:`~smattest.rule.standing.Position` per requirement in force, so that
HR's counts, filters and "most overdue" order are SQL (see
:mod:`smattest.due.sql`). :mod:`smattest.rule.compliance` stays the only place
a due date is worked out: a settle only asks it again for what was marked
(:mod:`smattest.due.marks`) and stores the answer.

How a settle (:func:`settle`) stays right while others sign, import and read:

- **Its own transaction.** It never runs in the host's transaction: it opens
  a session of its own on the same engine (so a read never commits, nor rolls
  back, the host's session) and commits its work itself.
- **One lock, first.** Its first statement takes the state row's lock
  (:class:`~smattest.models.DueState`; on SQLite the database's write lock), so
  settles never interleave, and everything it reads after is at least as new
  as the lock (READ COMMITTED on PostgreSQL and MariaDB: each statement reads
  what is committed; on SQLite the write lock is held). Changes never take
  this lock, they only write marks: the order is always the state row, then
  table rows and people, then marks, and nothing takes them the other way.
- **Marks before evidence, and only those read are deleted.** The marks are
  read before the evidence; a mark written meanwhile carries a new token and
  outlives this settle. So no settle writes an answer older than evidence
  committed meanwhile without that evidence's mark staying for the next one.
- **Days.** Rows hold from day to day until something dated takes effect (a
  version, an audience or a placement from a day, a retirement) or the rule's
  settings change: the settle moves the table's day forward when nothing dated
  lies between, and rebuilds it otherwise.
- **In bulk.** Past :data:`BULK` marked people, a settle rebuilds the whole
  table (a few seconds at 50,000 staff) rather than working person by person;
  a job that marks many (a roster or paper-era import) settles right after
  its commit, so HR's next look finds nothing to do.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import SingletonThreadPool, StaticPool

import smattest.rule.compliance as compliance

from ..models import (
    COURSE,
    POLICY,
    AudienceChange,
    Course,
    DueDate,
    DuePending,
    DueRequirementPending,
    DueState,
    Placement,
    Policy,
    PolicyVersion,
)
from ..proxies import current_smattest
from ..rule.compliance import Requirement
from ..timeutil import local_today
from . import seal
from .marks import EVERYONE

log = logging.getLogger("smattest.due")

#: People per statement when reading or writing their rows (IN lists stay short).
CHUNK = 500
#: Past this many marked people a settle rebuilds the whole table instead.
BULK = 5000
TABLE: sa.Table = DueDate.__table__  # type: ignore[assignment]
PENDING: sa.Table = DuePending.__table__  # type: ignore[assignment]
REQUIREMENTS_PENDING: sa.Table = DueRequirementPending.__table__  # type: ignore[assignment]


def db_session() -> Session:
    """The session smattest's queries run in: the host's, or a settle's own while it runs."""
    found: Session = current_smattest.db.session()
    return found


# -- a transaction of its own ---------------------------------------------------------------


@contextmanager
def own_transaction() -> Iterator[Session]:
    """A session of its own on the same engine, in place of the host's while the block runs;
    committed at the end, rolled back on an error. The host's session is left as it was.

    With an in-memory SQLite database (one connection for everyone) there is no
    second transaction to have: the host's session is used and nothing is
    committed (the work commits, or is lost and done again, with the host's).
    """
    scoped = current_smattest.db.session
    host = scoped()
    engine = current_smattest.engine
    if isinstance(engine.pool, StaticPool | SingletonThreadPool):
        yield host
        return
    mine = scoped.session_factory()
    if engine.dialect.name != "sqlite":
        # Each statement reads what is committed when it runs (InnoDB's default,
        # REPEATABLE READ, would read the snapshot of the first read instead).
        mine.connection(bind_arguments={"mapper": DueState},
                        execution_options={"isolation_level": "READ COMMITTED"})  # fmt: skip
    scoped.registry.set(mine)
    try:
        yield mine
        mine.commit()
    except BaseException:
        mine.rollback()
        raise
    finally:
        scoped.registry.set(host)
        mine.close()


@contextmanager
def reader() -> Iterator[Session]:
    """A read-only session of its own, each statement reading what is committed: the table
    as the last settle left it, whatever snapshot the host's transaction reads from."""
    mine = current_smattest.db.session.session_factory()
    try:
        if current_smattest.engine.dialect.name != "sqlite":
            mine.connection(bind_arguments={"mapper": DueState},
                            execution_options={"isolation_level": "READ COMMITTED"})  # fmt: skip
        yield mine
    finally:
        mine.rollback()
        mine.close()


def one_writer() -> bool:
    """Whether a settle of its own would wait for any open write of the host's (SQLite, on
    a file: one writer at a time)."""
    engine = current_smattest.engine
    pooled = isinstance(engine.pool, StaticPool | SingletonThreadPool)
    return engine.dialect.name == "sqlite" and not pooled


def lock() -> sa.Row[*tuple[Any, ...]]:
    """Take the state row's lock (SQLite: the write lock), then read the state."""
    session = db_session()
    session.execute(
        sa.update(DueState).where(DueState.id == 1).values(computed_on=DueState.computed_on)
    )
    return session.execute(
        sa.select(DueState.computed_on, DueState.settings, *seal.STATE).where(DueState.id == 1)
    ).one()


# -- settling -----------------------------------------------------------------------------


def settle() -> bool:
    """Bring the table to today and work off every mark, in a transaction of its own.

    Returns False, after logging why, when the table could not be written (a
    lock timeout, a deadlock chosen by the database, a read-only replica):
    readers then answer from the evidence (:mod:`smattest.due.read`), and the
    marks stay for the next settle.
    """
    try:
        with own_transaction():
            settle_locked(lock())
    except SQLAlchemyError as error:
        log.warning("The due-date table could not be settled (%s); reading the evidence.", error)
        return False
    return True


def settle_locked(state: sa.Row[*tuple[Any, ...]], *, rebuild_all: bool = False) -> None:
    """The settle's work, under the state row's lock (``state``: what :func:`lock` read);
    ``rebuild_all`` works every row out again, marked or not."""
    session = db_session()
    day, key = local_today(), settings_key()
    # Marks first, then the evidence: see the module docstring.
    requirement_marks = list(
        session.execute(
            sa.select(DueRequirementPending.requirement_kind,
                      DueRequirementPending.requirement_id, DueRequirementPending.token)
        )
    )  # fmt: skip
    person_marks = list(
        session.execute(
            # Mapped columns, so that a host's bind key for smattest routes the SELECT.
            sa.select(DuePending.staff_id, DuePending.requirement_kind, DuePending.token)
        )
    )
    computed_on = state.computed_on
    fresh = (
        computed_on is not None
        and state.settings == key
        and computed_on <= day
        and (computed_on == day or not _dated_between(computed_on, day))
    )
    everyone = any((row[0], row[1]) == EVERYONE for row in requirement_marks)
    if rebuild_all or not fresh or everyone or len(person_marks) > BULK:
        _keep(rebuild(day), state, rebuilt=True)
    else:
        moved = Moved()
        if requirement_marks:
            refresh_requirements([(row[0], row[1]) for row in requirement_marks], day, moved)
        for kind in (POLICY, COURSE):
            staff_ids = [row.staff_id for row in person_marks if row.requirement_kind == kind]
            if staff_ids:
                refresh_people(staff_ids, day, kind, moved)
        if computed_on != day:
            session.execute(sa.update(DueState).where(DueState.id == 1).values(computed_on=day))
        if moved.rows or moved.shares:
            _keep(moved, state, rebuilt=False)
    _forget(PENDING, ("staff_id", "requirement_kind"), person_marks)
    _forget(REQUIREMENTS_PENDING, ("requirement_kind", "requirement_id"), requirement_marks)


def _keep(moved: Moved, state: sa.Row[*tuple[Any, ...]], *, rebuilt: bool) -> None:
    """Keep the table's row count and the XOR of its rows' shares, sealed
    (:mod:`smattest.due.seal`): after a rebuild, ``moved`` is the whole table; else it is
    what this settle changed, applied to what ``state`` holds, and only if that passes its
    seal. A state that fails its seal (edited outside smattest) stays failing until a
    rebuild; one whose rows were swapped or put back outside smattest stays wrong by the
    same amount (a settle XORs out the shares of the rows it deletes as it reads them): a
    settle never vouches for rows it did not write."""
    secret = seal.key()
    if rebuilt:
        rows, total = moved.rows, moved.shares
    else:
        left = seal.kept(secret, state)
        if left is None:
            return
        rows, total = left[0] + moved.rows, left[1] ^ moved.shares
    db_session().execute(
        sa.update(DueState).where(DueState.id == 1).values(**seal.state(secret, rows, total))
    )


def _forget(
    table: sa.Table, key: tuple[str, str], marks: Sequence[sa.Row[*tuple[Any, ...]]]
) -> None:
    """Delete the marks as read: one renewed meanwhile (by a transaction whose change the
    settle may not have seen) keeps its new token and stays for the next settle."""
    columns = sa.tuple_(table.c[key[0]], table.c[key[1]], table.c.token)
    for start in range(0, len(marks), CHUNK):
        part = [tuple(row) for row in marks[start : start + CHUNK]]
        db_session().execute(table.delete().where(columns.in_(part)))


def rebuild_now() -> None:
    """Work the whole table out again, in a transaction of its own (``--rebuild``)."""
    with own_transaction():
        settle_locked(lock(), rebuild_all=True)


# -- working rows out again (under the state row's lock) ----------------------------------


def _rows(
    requirement: Requirement, day: dt.date, staff_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    found = compliance.positions(requirement, day, staff_ids=staff_ids, batch=5000)
    return [
        {"staff_id": p.staff_id, "requirement_kind": requirement.kind,
         "requirement_id": requirement.id, "due_on": p.due_on, "done_at": p.done_at,
         "exempt": p.exempt, "exempt_until": p.exempt_until}
        for _, p in found
    ]  # fmt: skip


@dataclass
class Moved:
    """What a settle changed in the table: rows more (or, below zero, fewer), and the XOR
    of the shares (:func:`smattest.due.seal.sealing`) of every row it deleted or wrote."""

    rows: int = 0
    shares: int = 0


def _insert(rows: list[dict[str, Any]], moved: Moved) -> None:
    """Insert rows, each sealed (:mod:`smattest.due.seal`): the only writer of the table."""
    session = db_session()
    secret = seal.key()
    for row in rows:
        moved.shares ^= seal.sealed(secret, row)
    for start in range(0, len(rows), 5000):
        session.execute(TABLE.insert(), rows[start : start + 5000])
    moved.rows += len(rows)


def _delete(where: sa.ColumnElement[bool], moved: Moved) -> None:
    """Delete the table's rows ``where`` says, XORing out their shares as read."""
    session = db_session()
    secret = seal.key()
    gone = 0
    for row in session.execute(sa.select(*seal.COLUMNS).where(where)):
        moved.shares ^= seal.share(secret, row)
        gone += 1
    if gone:
        session.execute(TABLE.delete().where(where))
    moved.rows -= gone


def refresh_people(staff_ids: Iterable[int], day: dt.date, kind: str | None, moved: Moved) -> None:
    """Work out again these people's rows: every requirement in force, or those of ``kind``
    (what changed, added to ``moved``)."""
    ids = sorted(set(staff_ids))
    if kind is None:
        found = compliance.requirements(day)
    elif kind == POLICY:
        found = compliance.policy_requirements(day)
    else:
        found = compliance.course_requirements(day)
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        stale: sa.ColumnElement[bool] = TABLE.c.staff_id.in_(part)
        if kind is not None:
            stale = sa.and_(stale, TABLE.c.requirement_kind == kind)
        _delete(stale, moved)
        _insert([row for r in found for row in _rows(r, day, part)], moved)


def refresh_requirements(keys: Iterable[tuple[str, int]], day: dt.date, moved: Moved) -> None:
    """Work out again every row of these requirements (gone if no longer in force; what
    changed, added to ``moved``)."""
    in_force = {(r.kind, r.id): r for r in compliance.requirements(day)}
    for kind, requirement_id in sorted(set(keys)):
        _delete(
            sa.and_(TABLE.c.requirement_kind == kind, TABLE.c.requirement_id == requirement_id),
            moved,
        )
        requirement = in_force.get((kind, requirement_id))
        if requirement is not None:
            _insert(_rows(requirement, day, None), moved)


def rebuild(day: dt.date | None = None) -> Moved:
    """Work the whole table out again for ``day`` (default today), in the current transaction.
    Returns what it holds (the caller seals it: :func:`settle_locked`)."""
    day = day or local_today()
    session = db_session()
    session.execute(TABLE.delete())
    rows = Moved()
    for requirement in compliance.requirements(day):
        _insert(_rows(requirement, day, None), rows)
    session.execute(
        sa.update(DueState).where(DueState.id == 1).values(computed_on=day, settings=settings_key())
    )
    return rows


def settings_key() -> str:
    """The settings due dates depend on, as stored with the table, and the seal key's
    fingerprint (a new key rebuilds the table, resealing every row)."""
    config = current_app.config
    return (
        f"tz={current_smattest.timezone};new_hire_days={config['SMATTEST_NEW_HIRE_DAYS']};"
        f"seal={seal.fingerprint(seal.key())}"
    )


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
    return bool(db_session().execute(query).scalar())


def is_settled(session: Session, day: dt.date) -> bool:
    """Whether ``session`` sees the table as today's, with no mark: one query."""
    person = sa.exists(sa.select(DuePending.staff_id)).label("person")
    requirement = sa.exists(sa.select(DueRequirementPending.token)).label("requirement")
    state = session.execute(
        sa.select(DueState.computed_on, DueState.settings, person, requirement).where(
            DueState.id == 1
        )
    ).one_or_none()
    return (
        state is not None
        and state.computed_on == day
        and state.settings == settings_key()
        and not state.person
        and not state.requirement
    )
