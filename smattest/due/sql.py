"""Statuses as SQL over the due-date table: what HR's pages count, filter and order by.

A status on a day is a comparison of the day with a row of
:class:`~smattest.models.DueDate` (:func:`smattest.rule.standing.status_on`,
the same comparison as :meth:`smattest.rule.standing.Position.on`), so the database counts, filters,
orders and pages, and returns only what a page shows. Call
:func:`smattest.due.upkeep.ready` first: it makes the table hold today's rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app

import smattest.due.upkeep as due
import smattest.rule.compliance as compliance

from ..models import DueDate, Staff
from ..proxies import current_smattest
from ..rule.compliance import Requirement, Standing
from ..rule.standing import OVERDUE, Position, is_status, status_on
from ..timeutil import local_today


def of(requirements: Sequence[Requirement]) -> sa.ColumnElement[bool]:
    """Rows of these requirements."""
    return sa.or_(
        sa.false(),
        *(
            sa.and_(DueDate.requirement_kind == r.kind, DueDate.requirement_id == r.id)
            for r in requirements
        ),
    )


def counts(day: dt.date) -> list[tuple[str, int, str | None, str, int]]:
    """(kind, requirement id, department, status, people) for every active person, one query."""
    # Grouped outside a subquery: PostgreSQL would not match a CASE with bound
    # parameters in SELECT to the same CASE in GROUP BY.
    rows = (
        sa.select(DueDate.requirement_kind, DueDate.requirement_id, Staff.department,
                  status_on(day).label("status"))
        .join(Staff, Staff.id == DueDate.staff_id)
        .where(Staff.active)
        .subquery()
    )  # fmt: skip
    grouped = sa.select(rows, sa.func.count().label("people")).group_by(*rows.c)
    return [
        (row.requirement_kind, row.requirement_id, row.department, row.status, row.people)
        for row in current_smattest.db.session.execute(grouped)
    ]


def with_status(status: str, requirements: Sequence[Requirement], day: dt.date) -> sa.Subquery:
    """People (``staff_id``) with ``status`` on ``day`` for any of ``requirements``.

    A grouped subquery to join to Staff: the database reads the matching rows
    (for overdue, a range of the due-date index), not every person.
    """
    return (
        sa.select(DueDate.staff_id)
        .where(of(requirements), is_status(status, day))
        .group_by(DueDate.staff_id)
        .subquery()
    )


def overdue_since(requirements: Sequence[Requirement], day: dt.date) -> sa.Subquery:
    """Per person overdue on ``day`` for any of ``requirements``: ``staff_id`` and ``since``,
    the earliest due date they are past (most overdue first is ``since`` ascending)."""
    return (
        sa.select(DueDate.staff_id, sa.func.min(DueDate.due_on).label("since"))
        .where(of(requirements), is_status(OVERDUE, day))
        .group_by(DueDate.staff_id)
        .subquery()
    )


def standings_of(
    staff_ids: Sequence[int], requirements: Sequence[Requirement], day: dt.date
) -> dict[tuple[str, int], dict[int, Standing]]:
    """These people's standings from the table, by (kind, requirement id), then staff id."""
    by_key = {(r.kind, r.id): r for r in requirements}
    found: dict[tuple[str, int], dict[int, Standing]] = {key: {} for key in by_key}
    if not staff_ids:
        return found
    soon_days = current_app.config["SMATTEST_DUE_SOON_DAYS"]
    rows = current_smattest.db.session.execute(
        sa.select(DueDate).where(DueDate.staff_id.in_(staff_ids), of(requirements))
    ).scalars()
    for row in rows:
        key = (row.requirement_kind, row.requirement_id)
        where = Position(row.staff_id, row.due_on, row.done_at, row.exempt, row.exempt_until)
        found[key][row.staff_id] = where.on(by_key[key], day, soon_days)
    return found


def stream(
    requirement: Requirement,
    day: dt.date,
    *,
    columns: Sequence[sa.SQLColumnExpression[Any]] = (),
    order_by: Sequence[sa.SQLColumnExpression[Any]] = (Staff.id,),
    batch: int = 1000,
) -> Iterator[tuple[sa.Row[Any], Standing]]:
    """Every active person owing ``requirement``: their standing on ``day`` from the table,
    with ``columns`` (e.g. ``Staff.full_name``), in ``order_by`` order, streamed."""
    soon_days = current_app.config["SMATTEST_DUE_SOON_DAYS"]
    query = (
        sa.select(Staff.id, Staff.hire_date, DueDate.due_on, DueDate.done_at, DueDate.exempt,
                  DueDate.exempt_until, *columns)
        .join(DueDate, DueDate.staff_id == Staff.id)
        .where(Staff.active, DueDate.requirement_kind == requirement.kind,
               DueDate.requirement_id == requirement.id)
        .order_by(*order_by)
        .execution_options(yield_per=batch)
    )  # fmt: skip
    with current_smattest.db.session.execute(query) as result:
        for row in result:
            where = Position(row.id, row.due_on, row.done_at, row.exempt, row.exempt_until)
            yield row, where.on(requirement, day, soon_days)


def everyone(
    requirements: Sequence[Requirement], day: dt.date
) -> dict[tuple[str, int], dict[int, Standing]]:
    """Every active person's standing per requirement on ``day``, by (kind, id) then staff id:
    from the table when ``day`` is today, else worked out from the evidence."""
    if day == local_today() and due.ready() == day:
        return {(r.kind, r.id): {row.id: s for row, s in stream(r, day)} for r in requirements}
    return {(r.kind, r.id): compliance.standings(r, as_of=day) for r in requirements}


def people(
    staff_ids: Sequence[int], requirements: Sequence[Requirement], day: dt.date
) -> dict[int, dict[tuple[str, int], Standing]]:
    """These people's standings on ``day``, by staff id then (kind, requirement id).

    For today from the table, after settling what is pending (a signature
    made a second ago counts); for another day from the evidence.
    """
    found: dict[int, dict[tuple[str, int], Standing]] = {}
    if day == local_today() and due.ready() == day:
        for key, by_person in standings_of(staff_ids, requirements, day).items():
            for staff_id, standing in by_person.items():
                found.setdefault(staff_id, {})[key] = standing
        return found
    for r in requirements:
        # staff_ids, not a where on Staff: only these people's evidence is read.
        for person, standing in compliance.stream_standings(r, day, staff_ids=staff_ids):
            found.setdefault(person.id, {})[(r.kind, r.id)] = standing
    return found
