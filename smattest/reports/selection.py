"""What a filter of the people table selects beyond one page: every matching person
("remind these people now" reaches them all) and how many have each status (the counts at
the top of a manager's team page).

From the due-date table in SQL, a fixed number of statements whatever the head count,
when :func:`smattest.due.read.table_view` gives a session to read it in; else worked
out from the evidence, person by person, like the people table itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa

import smattest.due.read as due_read
import smattest.due.sql as due_sql

from ..models import Staff
from ..proxies import current_smattest
from ..rule.compliance import DUE_SOON, OVERDUE, Requirement
from ..timeutil import local_today
from .dashboard import STATUSES, requirement_key
from .people_table import PeopleFilter, condition_of


def relevant_to(flt: PeopleFilter, requirements: Sequence[Requirement]) -> list[Requirement]:
    """The chosen requirement, or every requirement when none is chosen."""
    if flt.requirement:
        return [r for r in requirements if requirement_key(r) == flt.requirement]
    return list(requirements)


def _matching(
    flt: PeopleFilter, scope: sa.ColumnElement[bool] | None
) -> sa.SQLColumnExpression[bool]:
    condition = condition_of(flt, scope)
    return Staff.active if condition is None else sa.and_(Staff.active, condition)


@dataclass(frozen=True)
class Selection:
    """Everyone a filter matches (all pages), and those of them who owe something now."""

    matched: list[int]
    owing: list[int]


def selected(
    flt: PeopleFilter,
    requirements: Sequence[Requirement],
    *,
    scope: sa.ColumnElement[bool] | None = None,
) -> Selection:
    """The ids of every active person ``flt`` matches within ``scope``, and of those due
    soon or overdue on the chosen requirement (or any): whom a nudge may reach."""
    day = local_today()
    relevant = relevant_to(flt, requirements)
    matching = _matching(flt, scope)
    with due_read.table_view(day) as view:
        if view is not None:
            everyone, owe = queries(flt, requirements, day, scope=scope)
            return Selection(list(view.scalars(everyone)), list(view.scalars(owe)))
    statuses = _statuses_from_evidence(relevant, matching, day)
    roster = current_smattest.db.session.scalars(sa.select(Staff.id).where(matching))
    matched = [i for i in roster if not flt.status or flt.status in statuses.get(i, ())]
    owing = [i for i in matched if statuses.get(i, set()) & {DUE_SOON, OVERDUE}]
    return Selection(matched, owing)


def queries(
    flt: PeopleFilter,
    requirements: Sequence[Requirement],
    day: dt.date,
    *,
    scope: sa.ColumnElement[bool] | None = None,
) -> tuple[sa.Select[int], sa.Select[int]]:
    """The selects, over the due-date table, of everyone ``flt`` matches and of those of
    them who owe something (to run in a :func:`smattest.due.read.table_view` session)."""
    relevant = relevant_to(flt, requirements)
    matching = _matching(flt, scope)
    joined: sa.FromClause = Staff.__table__
    if flt.status:
        having = due_sql.with_status(flt.status, relevant, day)
        joined = joined.join(having, having.c.staff_id == Staff.id)
    matched = sa.select(Staff.id).select_from(joined).where(matching)
    soon = due_sql.with_status(DUE_SOON, relevant, day)
    late = due_sql.with_status(OVERDUE, relevant, day)
    owe = sa.union(sa.select(soon.c.staff_id), sa.select(late.c.staff_id)).subquery()
    return matched, matched.where(Staff.id.in_(sa.select(owe.c.staff_id)))


def _statuses_from_evidence(
    relevant: Sequence[Requirement], matching: sa.SQLColumnExpression[bool], day: dt.date
) -> dict[int, set[str]]:
    statuses: dict[int, set[str]] = {}
    for row, standing in due_read.standings(relevant, day, where=matching, evidence=True):
        statuses.setdefault(row.id, set()).add(standing.status)
    return statuses


def status_counts(
    flt: PeopleFilter,
    requirements: Sequence[Requirement],
    *,
    scope: sa.ColumnElement[bool] | None = None,
) -> tuple[int, dict[str, int]]:
    """How many active people match ``flt`` within ``scope`` (its status aside), and how
    many of them have each status for the chosen requirement (or for any requirement).

    What the status filter would list: a count and the table it links to agree.
    One statement over the table, whatever the head count.
    """
    day = local_today()
    relevant = relevant_to(flt, requirements)
    matching = _matching(replace(flt, status=None), scope)
    with due_read.table_view(day) as view:
        if view is not None:
            counts = [
                sa.select(sa.func.count()).select_from(Staff).where(matching).scalar_subquery()
            ]
            for status in STATUSES:
                having = due_sql.with_status(status, relevant, day)
                counts.append(
                    sa.select(sa.func.count())
                    .select_from(Staff.__table__.join(having, having.c.staff_id == Staff.id))
                    .where(matching)
                    .scalar_subquery()
                )
            total, *found = view.execute(sa.select(*counts)).one()
            return total, dict(zip(STATUSES, found, strict=True))
    statuses = _statuses_from_evidence(relevant, matching, day)
    total = current_smattest.db.session.execute(
        sa.select(sa.func.count()).select_from(Staff).where(matching)
    ).scalar_one()
    by_status = {s: sum(1 for found in statuses.values() if s in found) for s in STATUSES}
    return total, by_status
