"""Standings for these people on this day: the one place that picks the table or the evidence.

Every reader of statuses (HR's people table and dashboard, the status
export, a manager's team page, the reminder run) asks :func:`standings`, or,
to count and filter in SQL, :func:`table_view` for a session to run
:mod:`smattest.due.sql` in. The table answers when all of these hold, else
the rule works it out from the evidence (:mod:`smattest.rule.compliance`),
slower and always right:

- the day is today (the table holds today's rows only);
- the reader's own transaction has changed nothing that moves due dates (its
  changes are not in the table until it commits and a settle works them in),
  nor, on SQLite, written anything while the table needs settling (a settle
  would wait for the reader's own write lock);
- every row of the table passes its seal, and the rows are those smattest left
  (their count and the XOR of their shares match the sealed state:
  :mod:`smattest.due.seal`, one sweep of the whole table per request): a row
  edited, deleted, swapped or put back in an earlier state outside smattest
  sends every reader to the evidence, and HR's pages say so, until a rebuild;
- the table is settled: if the reader finds marks or an older day, a settle
  runs in a transaction of its own (:func:`smattest.due.upkeep.settle`);
  when it cannot write (a lock, a deadlock, a read-only replica), the page is
  answered from the evidence rather than failing.

A read never commits, nor rolls back, the host's session. On a database that
reads from a snapshot (MariaDB's REPEATABLE READ), the host's transaction may
have begun reading before the settle and would not see its work: the table is
then read in a read-only transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

import smattest.due.upkeep as upkeep
import smattest.rule.compliance as compliance

from ..models import DueDate, Staff
from ..rule.compliance import Requirement, Standing
from ..rule.standing import Position
from ..timeutil import local_today
from . import seal
from .marks import MARKS, WROTE
from .sql import of

log = logging.getLogger("smattest.due")


@contextmanager
def table_view(day: dt.date) -> Iterator[Session | None]:
    """A session that sees the due-date table settled for ``day``, or None: answer from the
    evidence. The one place that decides between the two (see the module docstring).

    Usually the host's own session. When the host's transaction reads from a
    snapshot taken before the settle (MariaDB's REPEATABLE READ), a read-only
    session of its own, closed at the end of the block.
    """
    if day != local_today():
        yield None
        return
    host = upkeep.db_session()
    if host.info.get(MARKS):
        yield None  # its own changes are not in the table until it commits
        return
    if upkeep.is_settled(host, day):
        yield _unless_broken(host)
        return
    if host.info.get(WROTE) and upkeep.one_writer():
        yield None  # a settle would wait for the host's own write lock (SQLite)
        return
    if not upkeep.settle():
        yield None
        return
    if upkeep.is_settled(host, day):
        yield _unless_broken(host)
        return
    with upkeep.reader() as mine:
        yield _unless_broken(mine)


def _unless_broken(session: Session) -> Session | None:
    """``session``, or None when a row of the table fails its seal, or the rows are not those
    smattest left (:mod:`smattest.due.seal`): changed outside smattest, so nothing in the
    table is answered from until a rebuild."""
    broken = seal.sweep(session)
    if broken:
        log.warning(
            "%d rows of the due-date table fail their seal; reading the evidence until "
            "'flask smattest compliance check --rebuild'.", broken,
        )  # fmt: skip
        return None
    return session


def warning() -> int:
    """For HR's banner: how many rows of the table fail their seal (0: none).

    What this request's look at the table found; on a page that did not look,
    a sweep now, when the table is settled (an unsettled table is settled, then
    swept, by the first page that reads it: before that its rows are not read).
    """
    found = seal.swept()
    if found is not None:
        return found
    host = upkeep.db_session()
    if not upkeep.is_settled(host, local_today()):
        return 0
    return seal.sweep(host)


def standings(
    requirements: Sequence[Requirement],
    day: dt.date | None = None,
    *,
    staff_ids: Sequence[int] | None = None,
    where: sa.SQLColumnExpression[bool] | None = None,
    columns: Sequence[sa.SQLColumnExpression[Any]] = (),
    order_by: Sequence[sa.SQLColumnExpression[Any]] = (Staff.id,),
    evidence: bool = False,
    view: Session | None = None,
    batch: int = 1000,
) -> Iterator[tuple[sa.Row[Any], Standing]]:
    """Each active person's standing on ``day`` (default today), requirement by requirement.

    Yields the person's row (``id``, ``hire_date`` and the extra ``columns``, e.g.
    ``Staff.full_name``) with the standing, in ``order_by`` order within each
    requirement; people outside a requirement's audience are left out.
    ``staff_ids`` narrows to given people (only their rows or evidence are
    read), ``where`` narrows with a condition on :class:`~smattest.models.Staff`.
    From the table when :func:`table_view` gives a session, else from the evidence;
    ``evidence=True`` reads the evidence whatever the table says (a re-check
    before acting on a standing); ``view`` is a session :func:`table_view` gave
    the caller already, to read the table in.
    """
    day = day or local_today()
    if staff_ids is not None and not staff_ids:
        return
    narrowing = (staff_ids, where, columns, order_by, batch)
    if view is None and not evidence:
        with table_view(day) as found:
            yield from _answer(requirements, day, found, *narrowing)
    else:
        yield from _answer(requirements, day, view, *narrowing)


def _answer(
    requirements: Sequence[Requirement],
    day: dt.date,
    view: Session | None,
    staff_ids: Sequence[int] | None,
    where: sa.SQLColumnExpression[bool] | None,
    columns: Sequence[sa.SQLColumnExpression[Any]],
    order_by: Sequence[sa.SQLColumnExpression[Any]],
    batch: int,
) -> Iterator[tuple[sa.Row[Any], Standing]]:
    """From the table in ``view``, or from the evidence when there is none."""
    if view is not None:
        yield from _from_table(view, requirements, day, staff_ids, where, columns, order_by, batch)
        return
    for requirement in requirements:
        yield from compliance.standings(
            requirement, day, where=where, staff_ids=staff_ids,
            columns=columns, order_by=order_by, batch=batch,
        )  # fmt: skip


def by_requirement(
    requirements: Sequence[Requirement],
    day: dt.date | None = None,
    *,
    staff_ids: Sequence[int] | None = None,
    evidence: bool = False,
    view: Session | None = None,
) -> dict[tuple[str, int], dict[int, Standing]]:
    """:func:`standings` collected by (kind, requirement id), then staff id."""
    found: dict[tuple[str, int], dict[int, Standing]] = {(r.kind, r.id): {} for r in requirements}
    for row, standing in standings(
        requirements, day, staff_ids=staff_ids, evidence=evidence, view=view
    ):
        found[(standing.requirement.kind, standing.requirement.id)][row.id] = standing
    return found


def _from_table(
    session: Session,
    requirements: Sequence[Requirement],
    day: dt.date,
    staff_ids: Sequence[int] | None,
    where: sa.SQLColumnExpression[bool] | None,
    columns: Sequence[sa.SQLColumnExpression[Any]],
    order_by: Sequence[sa.SQLColumnExpression[Any]],
    batch: int,
) -> Iterator[tuple[sa.Row[Any], Standing]]:
    """The rows of the table: for everyone, one streamed query per requirement; for given
    people, one query for all requirements (per :data:`~smattest.due.upkeep.CHUNK` people)."""
    soon_days = current_app.config["SMATTEST_DUE_SOON_DAYS"]
    by_key = {(r.kind, r.id): r for r in requirements}
    query = (
        sa.select(Staff.id, Staff.hire_date, DueDate.requirement_kind, DueDate.requirement_id,
                  DueDate.due_on, DueDate.done_at, DueDate.exempt, DueDate.exempt_until,
                  *columns)
        .join(DueDate, DueDate.staff_id == Staff.id)
        .where(Staff.active, *([] if where is None else [where]))
        .order_by(*order_by)
    )  # fmt: skip

    def standing(row: sa.Row[Any]) -> Standing:
        where_now = Position(row.id, row.due_on, row.done_at, row.exempt, row.exempt_until)
        requirement = by_key[(row.requirement_kind, row.requirement_id)]
        return where_now.on(requirement, day, soon_days)

    if staff_ids is None:
        for r in requirements:
            mine = query.where(DueDate.requirement_kind == r.kind, DueDate.requirement_id == r.id)
            with session.execute(mine.execution_options(yield_per=batch)) as result:
                for row in result:
                    yield row, standing(row)
        return
    found: dict[tuple[str, int], list[sa.Row[Any]]] = {key: [] for key in by_key}
    for part in _chunks(sorted(set(staff_ids))):
        for row in session.execute(query.where(of(requirements), Staff.id.in_(part))):
            found[(row.requirement_kind, row.requirement_id)].append(row)
    for key in by_key:
        for row in found[key]:
            yield row, standing(row)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + upkeep.CHUNK] for start in range(0, len(ids), upkeep.CHUNK)]
