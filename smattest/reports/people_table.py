"""The people table of HR and managers: filters from a query string, one page of rows.

Filters are conditions on :class:`~smattest.models.Staff` (a department, a
group, a manager, a name search, a manager's own team); statuses and the
"most overdue" order are SQL over the due-date table (:mod:`smattest.due.sql`),
so a page costs the same number of SQL statements for 100 people as for 50,000.
When the table does not answer (:func:`smattest.due.read.table_view`), the
same page is worked out from the evidence, person by person.
The counts HR's dashboard shows are in :mod:`smattest.reports.dashboard`; what a
filter selects past one page (every id, counts per status) in :mod:`.selection`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

import smattest.due.read as due_read
import smattest.due.sql as due_sql

from ..i18n import gettext, lazy_gettext
from ..models import Staff
from ..proxies import current_smattest
from ..rule.compliance import LABELS, OVERDUE, Requirement, Standing
from ..rule.membership import SEPARATOR, split_groups
from ..timeutil import local_today
from .dashboard import NO_DEPARTMENT, STATUSES, no_department, requirement_key

#: Beyond any roster (and within every database's integers): a bigger page is a typo.
MAX_PAGE = 1_000_000
#: Orders of the people table, by query value.
SORTS = {
    "name": lazy_gettext("Name"),
    "department": lazy_gettext("Department"),
    "overdue": lazy_gettext("Most overdue first"),
}


class FilterError(ValueError):
    """A people-table query that cannot be answered; the message says which value is wrong."""


#: Statuses in the order HR reads them: most urgent first.
@dataclass(frozen=True)
class PeopleFilter:
    """What the people table shows: filters, order and page, as parsed from a query string."""

    department: str | None = None
    manager: str | None = None
    #: A roster group label (lower case).
    group: str | None = None
    requirement: str | None = None
    status: str | None = None
    search: str = ""
    sort: str = "name"
    page: int = 1
    #: A manager's team: their direct reports only, not everyone below them.
    direct: bool = False
    #: HR's list: people who have left too, not only the active.
    left: bool = False

    def args(self, **changes: Any) -> dict[str, str | int]:
        """The query string for this filter (with ``changes``), leaving defaults out."""
        chosen = replace(self, **changes)
        values = {
            "department": chosen.department,
            "manager": chosen.manager,
            "group": chosen.group,
            "requirement": chosen.requirement,
            "status": chosen.status,
            "q": chosen.search,
            "direct": 1 if chosen.direct else None,
            "left": 1 if chosen.left else None,
            "sort": None if chosen.sort == "name" else chosen.sort,
            "page": None if chosen.page == 1 else chosen.page,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def narrowed(self) -> bool:
        """Whether any filter (not the order or page) is set."""
        return any(
            (
                self.department,
                self.manager,
                self.group,
                self.requirement,
                self.status,
                self.search,
                self.direct,
                self.left,
            )
        )


#: Query parameters every people table reads; a manager's team adds "direct reports
#: only", HR's adds department, manager, group and "include people who have left".
TEAM_FIELDS = frozenset({"requirement", "status", "q", "sort", "page", "direct"})
HR_FIELDS = (TEAM_FIELDS - {"direct"}) | {"department", "manager", "group", "left"}
#: The values a tick box sends when ticked.
TICKED = frozenset({"1", "on", "true", "yes"})


def parse_filter(
    args: Mapping[str, str], requirements: Sequence[Requirement], fields: frozenset[str]
) -> PeopleFilter:
    """A :class:`PeopleFilter` from a query string; only ``fields`` are read, others ignored.

    Raises :class:`FilterError` naming every value that is not understood.
    """
    problems = []
    found: dict[str, Any] = {}

    def text(name: str) -> str:
        return args.get(name, "").strip() if name in fields else ""

    if text("department"):
        found["department"] = text("department")
    if text("manager"):
        manager = " ".join(text("manager").split())
        found["manager"] = manager.lower() if "@" in manager else manager
    if text("group"):
        found["group"] = " ".join(text("group").split()).casefold()
    if text("q"):
        found["search"] = " ".join(text("q").split())
    for box in ("direct", "left"):
        value = text(box).lower()
        if value and value not in TICKED:
            problems.append(
                gettext(
                    "%(box)s %(value)s is not understood: use 1 or leave it out.",
                    box=box.capitalize(),
                    value=repr(value),
                )
            )
        elif value:
            found[box] = True
    requirement = text("requirement")
    if requirement:
        if requirement not in {requirement_key(r) for r in requirements}:
            problems.append(
                gettext(
                    "There is no requirement %(requirement)s in force: choose one from the list.",
                    requirement=repr(requirement),
                )
            )
        else:
            found["requirement"] = requirement
    status = text("status")
    if status:
        if status not in STATUSES:
            known = ", ".join(f"{s!r} ({LABELS[s]})" for s in STATUSES)
            problems.append(
                gettext(
                    "Status %(status)s is not one of %(known)s.", status=repr(status), known=known
                )
            )
        else:
            found["status"] = status
    sort = text("sort")
    if sort:
        if sort not in SORTS:
            problems.append(
                gettext(
                    "Sort %(sort)s is not one of %(known)s.",
                    sort=repr(sort),
                    known=", ".join(map(repr, SORTS)),
                )
            )
        else:
            found["sort"] = sort
    page = text("page")
    if page:
        if not page.isdecimal() or not 1 <= int(page) <= MAX_PAGE:
            problems.append(
                gettext(
                    "Page %(page)s is not a page number: use a whole number from 1.",
                    page=repr(page),
                )
            )
        else:
            found["page"] = int(page)
    if problems:
        raise FilterError(" ".join(problems))
    return PeopleFilter(**found)


@dataclass(frozen=True)
class PersonRow:
    """One line of the people table."""

    staff_id: int
    full_name: str
    email: str | None
    department: str | None
    manager_email: str | None
    #: Roster group labels.
    groups: tuple[str, ...]
    #: By requirement key; None only if the person left between two queries.
    standings: dict[str, Standing | None]
    #: Days past due for the chosen requirement, or the most over all of them.
    days_overdue: int
    #: False for someone who has left (listed only when HR asks for them).
    active: bool = True


@dataclass(frozen=True)
class PeoplePage:
    """One page of the people table and where it sits among all matches."""

    rows: list[PersonRow]
    total: int
    page: int
    page_size: int
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row among all matches."""
        return (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def condition_of(
    flt: PeopleFilter, scope: sa.ColumnElement[bool] | None
) -> sa.ColumnElement[bool] | None:
    """The filter as a condition on Staff (within ``scope``), or None when it is only
    "active"."""
    parts = [] if scope is None else [scope]
    if flt.department == NO_DEPARTMENT:
        parts.append(no_department())
    elif flt.department:
        parts.append(Staff.department == flt.department)
    if flt.manager and "@" in flt.manager:
        parts.append(Staff.manager_email == flt.manager)
    elif flt.manager:
        boss = aliased(Staff)
        parts.append(
            Staff.manager_email.in_(
                sa.select(boss.email).where(boss.full_name.icontains(flt.manager, autoescape=True))
            )
        )
    if flt.group:
        parts.append(in_group(flt.group))
    if flt.search:
        parts.append(
            sa.or_(
                Staff.full_name.icontains(flt.search, autoescape=True),
                Staff.email.icontains(flt.search, autoescape=True),
            )
        )
    return sa.and_(*parts) if parts else None


def _order(sort: str) -> list[sa.SQLColumnExpression[Any]]:
    by_name = [sa.func.lower(Staff.full_name), Staff.id]
    if sort == "department":
        return [sa.case((no_department(), 1), else_=0), sa.func.lower(Staff.department), *by_name]
    return by_name


def _days_overdue(standings: Sequence[Standing | None]) -> int:
    return max((s.days_overdue for s in standings if s is not None), default=0)


def people_page(
    flt: PeopleFilter,
    requirements: Sequence[Requirement],
    *,
    page_size: int,
    scope: sa.ColumnElement[bool] | None = None,
) -> PeoplePage:
    """One page of active people matching ``flt`` within ``scope``, with every standing.

    The database filters (statuses too), orders ("most overdue" too), counts
    and pages over the due-date table (:mod:`smattest.due.sql`); standings are
    read for the page's people only. A fixed number of statements, whatever
    the head count.
    """
    day = local_today()
    condition = condition_of(flt, scope)
    keys = {requirement_key(r): r for r in requirements}
    relevant = [keys[flt.requirement]] if flt.requirement else list(requirements)
    present = sa.true() if flt.left else Staff.active
    matching = present if condition is None else sa.and_(present, condition)
    with due_read.table_view(day) as view:
        if view is not None:
            total, query = _matches(view, flt, relevant, matching, day)
            rows = view.execute(query.limit(page_size).offset((flt.page - 1) * page_size)).all()
        else:
            total, rows = _matches_from_evidence(flt, relevant, matching, day, page_size)
        page_ids = [row.id for row in rows]
        found = due_read.by_requirement(
            requirements, day, staff_ids=page_ids, view=view, evidence=view is None
        )
    standings = {requirement_key(r): found[(r.kind, r.id)] for r in requirements}
    relevant_keys = [requirement_key(r) for r in relevant]
    people = []
    for row in rows:
        mine = {key: standings[key].get(row.id) for key in keys}
        people.append(
            PersonRow(
                staff_id=row.id,
                full_name=row.full_name,
                email=row.email,
                department=row.department or None,
                manager_email=row.manager_email,
                groups=split_groups(row.groups),
                standings=mine,
                days_overdue=_days_overdue([mine[key] for key in relevant_keys]),
                active=row.active,
            )
        )
    return PeoplePage(people, total, flt.page, page_size, list(requirements))


def _matches(
    view: Session,
    flt: PeopleFilter,
    relevant: Sequence[Requirement],
    matching: sa.SQLColumnExpression[bool],
    day: dt.date,
) -> tuple[int, sa.Select[*tuple[Any, ...]]]:
    """How many people match, and the query of their roster rows in order: SQL over the table."""
    joined: sa.FromClause = Staff.__table__
    order = _order(flt.sort)
    if flt.sort == "overdue":
        # Most overdue first: the earliest due date past, then everyone else, by name.
        late = due_sql.overdue_since(relevant, day)
        if flt.status == OVERDUE:
            joined = joined.join(late, late.c.staff_id == Staff.id)
        else:
            joined = joined.outerjoin(late, late.c.staff_id == Staff.id)
        order = [sa.case((late.c.since.is_(None), 1), else_=0), late.c.since, *order]
    if flt.status and not (flt.sort == "overdue" and flt.status == OVERDUE):
        having = due_sql.with_status(flt.status, relevant, day)
        joined = joined.join(having, having.c.staff_id == Staff.id)
    total = view.execute(
        sa.select(sa.func.count()).select_from(joined).where(matching)
    ).scalar_one()
    return total, _roster(matching).select_from(joined).order_by(*order)


def _matches_from_evidence(
    flt: PeopleFilter,
    relevant: Sequence[Requirement],
    matching: sa.SQLColumnExpression[bool],
    day: dt.date,
    page_size: int,
) -> tuple[int, list[sa.Row[*tuple[Any, ...]]]]:
    """The same as :func:`_matches`, one page of rows, worked out from the evidence."""
    roster = current_smattest.db.session.execute(_roster(matching).order_by(*_order(flt.sort)))
    rows = {row.id: row for row in roster}
    statuses: dict[int, set[str]] = {}
    since: dict[int, dt.date] = {}
    for row, standing in due_read.standings(relevant, day, where=matching, evidence=True):
        statuses.setdefault(row.id, set()).add(standing.status)
        if standing.status == OVERDUE and standing.due_date is not None:
            since[row.id] = min(since.get(row.id, standing.due_date), standing.due_date)
    found = [
        staff_id for staff_id in rows if not flt.status or flt.status in statuses.get(staff_id, ())
    ]
    if flt.sort == "overdue":  # a stable sort keeps the name order among equals
        found.sort(key=lambda staff_id: (staff_id not in since, since.get(staff_id, day)))
    start = (flt.page - 1) * page_size
    return len(found), [rows[staff_id] for staff_id in found[start : start + page_size]]


def _roster(
    condition: sa.SQLColumnExpression[bool],
) -> sa.Select[int, str, str | None, str | None, str | None, str | None, bool]:
    return sa.select(
        Staff.id,
        Staff.full_name,
        Staff.email,
        Staff.department,
        Staff.manager_email,
        Staff.groups,
        Staff.active,
    ).where(condition)


def departments() -> tuple[list[str], bool]:
    """Departments of active staff sorted by name, and whether anyone has none."""
    names = current_smattest.db.session.scalars(
        sa.select(Staff.department).where(Staff.active).distinct()
    ).all()
    named = sorted((n for n in names if n), key=str.casefold)
    return named, len(named) < len(names)


def in_group(label: str) -> sa.ColumnElement[bool]:
    """People whose roster groups include ``label`` (lower case), as a condition."""
    wrapped = sa.literal(SEPARATOR) + sa.func.coalesce(Staff.groups, "") + sa.literal(SEPARATOR)
    return wrapped.contains(f"{SEPARATOR}{label}{SEPARATOR}", autoescape=True)


def managers() -> dict[str, str | None]:
    """Email to name (None when not on the roster) of everyone who manages active staff,
    ordered by name, then email."""
    boss = aliased(Staff)
    rows = current_smattest.db.session.execute(
        sa.select(Staff.manager_email, sa.func.max(boss.full_name))
        .outerjoin(boss, boss.email == Staff.manager_email)
        .where(Staff.active, Staff.manager_email.is_not(None), Staff.manager_email != "")
        .group_by(Staff.manager_email)
    ).all()
    named = [(email, name) for email, name in rows if email]  # the query leaves none out
    named.sort(key=lambda row: ((row[1] or row[0]).casefold(), row[0]))
    return dict(named)
