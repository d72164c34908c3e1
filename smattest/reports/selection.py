"""What a filter of the people table selects beyond one page: every matching person's
id ("remind these people now" reaches them all) and how many have each status (the
counts at the top of a manager's team page). SQL over the due-date table, a fixed
number of statements whatever the head count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import sqlalchemy as sa

import smattest.due.sql as due_sql
import smattest.due.upkeep as due

from ..models import Staff
from ..proxies import current_smattest
from ..rule.compliance import Requirement
from .dashboard import STATUSES, requirement_key
from .people_table import PeopleFilter, condition_of


def matching_ids(
    flt: PeopleFilter,
    requirements: Sequence[Requirement],
    *,
    scope: sa.ColumnElement[bool] | None = None,
    day: dt.date | None = None,
) -> sa.Select[int]:
    """The ids of every active person ``flt`` matches within ``scope`` (all pages), as a
    select: what "remind these people now" reaches. ``day``: :func:`smattest.due.upkeep.ready`'s
    answer, when the caller has it."""
    day = day or due.ready()
    condition = condition_of(flt, scope)
    matching = Staff.active if condition is None else sa.and_(Staff.active, condition)
    joined: sa.FromClause = Staff.__table__
    if flt.status:
        keys = {requirement_key(r): r for r in requirements}
        relevant = [keys[flt.requirement]] if flt.requirement else list(requirements)
        having = due_sql.with_status(flt.status, relevant, day)
        joined = joined.join(having, having.c.staff_id == Staff.id)
    return sa.select(Staff.id).select_from(joined).where(matching)


def status_counts(
    flt: PeopleFilter,
    requirements: Sequence[Requirement],
    *,
    scope: sa.ColumnElement[bool] | None = None,
) -> tuple[int, dict[str, int]]:
    """How many active people match ``flt`` within ``scope`` (its status aside), and how
    many of them have each status for the chosen requirement (or for any requirement).

    What the status filter would list: a count and the table it links to agree.
    One statement, whatever the head count.
    """
    session = current_smattest.db.session
    day = due.ready()
    condition = condition_of(replace(flt, status=None), scope)
    matching = Staff.active if condition is None else sa.and_(Staff.active, condition)
    keys = {requirement_key(r): r for r in requirements}
    relevant = [keys[flt.requirement]] if flt.requirement else list(requirements)
    counts = [sa.select(sa.func.count()).select_from(Staff).where(matching).scalar_subquery()]
    for status in STATUSES:
        having = due_sql.with_status(status, relevant, day)
        counts.append(
            sa.select(sa.func.count())
            .select_from(Staff.__table__.join(having, having.c.staff_id == Staff.id))
            .where(matching)
            .scalar_subquery()
        )
    total, *found = session.execute(sa.select(*counts)).one()
    by_status = dict(zip(STATUSES, found, strict=True))
    return total, by_status
