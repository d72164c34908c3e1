"""A manager's reporting tree: everyone below them, at any depth, in one recursive query.

A person's manager is named by ``Staff.manager_email``; the people below a
manager are their direct reports, the direct reports of those, and so on.
:func:`below` is a recursive common table expression (``WITH RECURSIVE``, on
SQLite, PostgreSQL and MariaDB 10.2+ alike), so a page or a mail reads the
whole tree in one statement whatever its size or depth, never a loop of
queries.

The walk goes through everyone on the roster, leavers too: a manager who left
still links the people who reported to them to the director above. Pages list
the active people of the tree only. A cycle in the roster (A manages B, B
manages A) ends the walk: the query collects distinct rows, and the manager is
never counted as below themselves.

:func:`managers_above` walks the other way, from people up their reporting line:
whom an escalation tells.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..models import Staff
from ..proxies import current_smattest


def below(manager_email: str) -> sa.CTE:
    """Everyone below ``manager_email``: a CTE of ``staff_id`` and ``via``, the id of
    the direct report through whom they are reached (a direct report's ``via`` is
    their own id). Someone reached through two direct reports (a roster cycle or
    two managers with one address) has a row for each."""
    staff = Staff.__table__
    start = sa.select(
        staff.c.id.label("staff_id"),
        staff.c.email.label("email"),
        staff.c.id.label("via"),
    ).where(staff.c.manager_email == manager_email)
    tree = start.cte("smattest_tree", recursive=True)
    child = aliased(Staff)
    step = sa.select(child.id, child.email, tree.c.via).join(
        tree, sa.and_(child.manager_email == tree.c.email, tree.c.email.is_not(None))
    )
    # UNION, not UNION ALL: rows seen before are dropped, so a cycle ends the walk.
    return tree.union(step)


def scope(manager: Staff, *, direct_only: bool = False) -> sa.ColumnElement[bool]:
    """A condition on Staff: the people below ``manager`` (or their direct reports only).

    A manager without an email has nobody below them.
    """
    if not manager.email:
        return sa.false()
    if direct_only:
        return sa.and_(Staff.manager_email == manager.email, Staff.id != manager.id)
    tree = below(manager.email)
    return sa.and_(Staff.id.in_(sa.select(tree.c.staff_id)), Staff.id != manager.id)


def is_below(manager: Staff, staff_id: int) -> bool:
    """Whether the person ``staff_id`` is in ``manager``'s reporting tree (one statement)."""
    condition = sa.and_(Staff.id == staff_id, scope(manager))
    found = sa.select(Staff.id).where(condition).exists()
    return bool(current_smattest.db.session.scalar(sa.select(found)))


#: How far up a reporting line escalations go: the manager, their manager, and so on.
MAX_LEVELS = 10


def _normal(email: str | None) -> str:
    return (email or "").strip().lower()


def managers_above(staff_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """Each person's reporting line upwards: their manager's email (trimmed, lower case),
    that manager's, and so on, up to :data:`MAX_LEVELS`; by staff id, for ``staff_ids``
    (default: every active person). One recursive statement.

    Addresses are matched as the roster and sign-ins store them (lower case); the line
    stops where a manager is not on the roster (their own manager is not
    known), at a cycle's second turn (bounded by :data:`MAX_LEVELS`), or at the top.
    Someone whose manager's address two roster rows share follows the first in id order.
    """
    staff = Staff.__table__
    start = sa.select(
        staff.c.id.label("staff_id"),
        # Literal SQL, not a bound parameter: the recursive step's type must match it.
        sa.literal_column("1", sa.Integer).label("level"),
        sa.func.lower(sa.func.trim(staff.c.manager_email)).label("email"),
    ).where(staff.c.manager_email.is_not(None), staff.c.manager_email != "")
    if staff_ids is None:
        start = start.where(staff.c.active)
    else:
        start = start.where(staff.c.id.in_(list(staff_ids)))
    line = start.cte("smattest_line", recursive=True)
    boss = aliased(Staff)
    step = (
        sa.select(
            line.c.staff_id,
            line.c.level + sa.literal_column("1", sa.Integer),
            sa.func.lower(sa.func.trim(boss.manager_email)),
        )
        .join(boss, boss.email == line.c.email)
        .where(
            line.c.level < MAX_LEVELS,
            boss.manager_email.is_not(None),
            boss.manager_email != "",
        )
    )
    line = line.union(step)
    found: dict[int, dict[int, str]] = {}
    rows = current_smattest.db.session.execute(
        sa.select(line.c.staff_id, line.c.level, line.c.email).order_by(
            line.c.staff_id, line.c.level, line.c.email
        )
    )
    for staff_id, level, email in rows:
        found.setdefault(staff_id, {}).setdefault(level, _normal(email))
    chains: dict[int, list[str]] = {}
    for staff_id, by_level in found.items():
        chain = []
        for level in range(1, MAX_LEVELS + 1):
            if level not in by_level:
                break
            chain.append(by_level[level])
        chains[staff_id] = chain
    return chains
