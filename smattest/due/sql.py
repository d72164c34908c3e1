"""Statuses as SQL over the due-date table: what HR's pages count, filter and order by.

A status on a day is a comparison of the day with a row of
:class:`~smattest.models.DueDate` (:func:`smattest.rule.standing.status_on`,
the same comparison as :meth:`smattest.rule.standing.Position.on`), so the
database counts, filters, orders and pages, and returns only what a page
shows. Run them in the session :func:`smattest.due.read.table_view` gives for
the day; when it gives none, the evidence answers instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import DueDate, Staff
from ..rule.compliance import Requirement
from ..rule.standing import OVERDUE, is_status, status_on


def of(requirements: Sequence[Requirement]) -> sa.ColumnElement[bool]:
    """Rows of these requirements."""
    return sa.or_(
        sa.false(),
        *(
            sa.and_(DueDate.requirement_kind == r.kind, DueDate.requirement_id == r.id)
            for r in requirements
        ),
    )


def counts(session: Session, day: dt.date) -> list[tuple[str, int, str | None, str, int]]:
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
        for row in session.execute(grouped)
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
