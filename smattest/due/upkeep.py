"""Keeping the due-date table true, in the same transaction as every change that moves it.

The table (:class:`~smattest.models.DueDate`) holds each active person's
:class:`~smattest.rule.compliance.Position` per requirement in force, so that HR's
counts, filters and "most overdue" order are SQL (see :mod:`smattest.due.sql`).
:mod:`smattest.rule.compliance` stays the only place a due date is worked out:
this module only asks it again for the people and requirements a change
touched, and stores the answer.

How it stays true:

- **Changes.** Session events (:mod:`smattest.due.watch`) note what each
  flush touched and, before the commit, have its rows worked out again here
  (:func:`refresh_people`, :func:`refresh_requirements`, :func:`rebuild`), so
  the table commits with the change, or rolls back with it. A transaction
  holding the evidence chain's lock (a signature) writes a pending row per
  person instead (:func:`mark_pending`), and every read of the table
  (:func:`ready`) settles what is pending first, many people at a time.
- **Days.** A row holds for every day until something dated arrives (a version
  taking effect, an audience or a placement from a day, a retirement) or the
  rule's settings change. :func:`ready`, called by every page that reads the
  table, moves the table's day to today when nothing dated lies between, and
  rebuilds it otherwise.
- **Checks.** ``flask smattest compliance check`` (:mod:`smattest.due.check`)
  works everything out again from the evidence and reports any difference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

import smattest.rule.compliance as compliance

from ..models import (
    COURSE,
    POLICY,
    AudienceChange,
    Course,
    DueDate,
    DuePending,
    DueState,
    Placement,
    Policy,
    PolicyVersion,
)
from ..proxies import current_smattest
from ..rule.compliance import Requirement
from ..timeutil import local_today

#: Where a session keeps what its flushes touched, until the commit.
MARKS = "smattest.due.upkeep"
#: Whether a session wrote anything since its transaction began (see :func:`ready`).
WROTE = "smattest.due.upkeep.wrote"
#: The (staff id, kind) a session's transaction marked pending already.
MARKED = "smattest.due.upkeep.marked"
#: Whether a session's transaction holds the evidence chain's lock.
CHAIN_LOCKED = "smattest.due.upkeep.chain_locked"
#: People per statement when reading or writing their rows (IN lists stay short).
CHUNK = 500
TABLE: sa.Table = DueDate.__table__  # type: ignore[assignment]
PENDING: sa.Table = DuePending.__table__  # type: ignore[assignment]


# -- working rows out again ----------------------------------------------------------------


def db_session() -> Session:
    """The host's session (the one smattest's services use)."""
    found: Session = current_smattest.db.session()
    return found


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
    session = db_session()
    for start in range(0, len(rows), 5000):
        session.execute(TABLE.insert(), rows[start : start + 5000])


def refresh_people(
    staff_ids: Iterable[int], day: dt.date | None = None, kind: str | None = None
) -> None:
    """Work out again these people's rows: every requirement in force, or those of ``kind``."""
    day = day or local_today()
    session = db_session()
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
    session = db_session()
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
    session = db_session()
    marks = _pending_marks()  # read first: a mark committed after stays
    session.execute(TABLE.delete())
    for requirement in compliance.requirements(day):
        _insert(_rows(requirement, day, None))
    _forget_marks(marks)
    session.execute(
        sa.update(DueState).where(DueState.id == 1).values(computed_on=day, settings=settings_key())
    )


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
    return bool(db_session().execute(query).scalar())


def ready() -> dt.date:
    """Make the table hold today's rows, and return today: call before reading it.

    One query when the table is current; otherwise its day moves forward (a
    few queries), it is rebuilt, or pending people are settled. When the
    session has written nothing yet (a page that only reads), the work is
    committed at once, so the next page finds it; otherwise it commits with
    the caller's transaction.
    """
    session = db_session()
    day, key = local_today(), settings_key()
    waiting = sa.exists(sa.select(PENDING.c.staff_id)).label("pending")
    state = session.execute(
        sa.select(DueState.computed_on, DueState.settings, waiting).where(DueState.id == 1)
    ).one()
    if state.computed_on == day and state.settings == key and not state.pending:
        return day
    # Wait for anyone doing the same, then look again.
    locked = session.execute(
        sa.select(DueState.computed_on, DueState.settings).where(DueState.id == 1).with_for_update()
    ).one()
    if locked.computed_on == day and locked.settings == key:
        _settle_locked(day)
    elif (
        locked.computed_on is not None
        and locked.settings == key
        and locked.computed_on < day
        and not _dated_between(locked.computed_on, day)
    ):
        _settle_locked(day)
        session.execute(sa.update(DueState).where(DueState.id == 1).values(computed_on=day))
    else:
        rebuild(day)
    if not session.info.get(WROTE) and not session.info.get(MARKS):
        session.commit()
    return day


def mark_pending(rows: Sequence[tuple[int, str]]) -> None:
    """Note people whose rows of a kind moved (``(staff_id, kind)``), for :func:`ready` to settle.

    Each mark carries a fresh token, also over a mark already there: a settle
    that read the older mark (and so worked without this transaction's
    evidence) deletes only what it read, and this mark outlives it.
    """
    marked: set[tuple[int, str]] = db_session().info.setdefault(MARKED, set())
    rows = [row for row in rows if row not in marked]
    if not rows:
        return
    marked.update(rows)
    table = PENDING
    values = [{"staff_id": staff_id, "requirement_kind": kind, "token": uuid.uuid4().hex}
              for staff_id, kind in rows]  # fmt: skip
    name = db_session().get_bind(DuePending).dialect.name
    if name in ("postgresql", "sqlite"):
        dialect = postgresql if name == "postgresql" else sqlite
        insert = dialect.insert(table)
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.staff_id, table.c.requirement_kind],
            set_={"token": insert.excluded.token},
        )
    else:
        mine = mysql.insert(table)
        statement = mine.on_duplicate_key_update(token=mine.inserted.token)
    db_session().execute(statement, values)


def _settle_locked(computed_on: dt.date | None) -> None:
    """Work off the pending people; the caller holds the state row's lock."""
    pending = _pending_marks()
    if not pending:
        return
    if computed_on is not None:
        day = local_today()
        for kind in (POLICY, COURSE):
            staff_ids = [row.staff_id for row in pending if row.requirement_kind == kind]
            if staff_ids:
                refresh_people(staff_ids, day, kind)
    _forget_marks(pending)


def _pending_marks() -> list[sa.Row[tuple[int, str, str]]]:
    return list(
        db_session().execute(
            # Mapped columns, so that a host's bind key for smattest routes the SELECT.
            sa.select(DuePending.staff_id, DuePending.requirement_kind, DuePending.token)
        )
    )


def _forget_marks(marks: Sequence[sa.Row[tuple[int, str, str]]]) -> None:
    """Delete the marks as read: one renewed meanwhile (by a transaction whose
    evidence the reader could not see) stays for the next settle."""
    key = sa.tuple_(PENDING.c.staff_id, PENDING.c.requirement_kind, PENDING.c.token)
    for start in range(0, len(marks), CHUNK):
        part = marks[start : start + CHUNK]
        db_session().execute(PENDING.delete().where(key.in_([tuple(row) for row in part])))
