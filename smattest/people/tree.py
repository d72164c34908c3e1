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
"""

from __future__ import annotations

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
