"""What HR sees about many people at once: counts by requirement, status and department.

Today's counts are one grouped query over the due-date table
(:mod:`smattest.due.sql`, in the session :func:`smattest.due.read.table_view`
gives), which :mod:`smattest.due.upkeep` settles with the rule of
:mod:`smattest.rule.compliance`; a past day (``as_of``), or a table that cannot
be settled, is worked out from the evidence, one statement per requirement.
Either way the dashboard costs the same number of SQL statements for 100
people as for 50,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

import smattest.due.read as due_read
import smattest.due.sql as due_sql
import smattest.rule.compliance as compliance

from ..i18n import lazy_gettext
from ..models import Staff
from ..proxies import current_smattest
from ..rule.compliance import CURRENT, DUE_SOON, EXEMPT, OVERDUE, Requirement
from ..timeutil import local_today

#: Statuses in the order HR reads them: most urgent first.
STATUSES = (OVERDUE, DUE_SOON, CURRENT, EXEMPT)
#: The department filter's value for people whose department is not recorded.
NO_DEPARTMENT = "(none)"
NO_DEPARTMENT_LABEL = lazy_gettext("No department")


def requirement_key(requirement: Requirement) -> str:
    """The requirement's value in a URL: ``policy:social-media``, ``course:refresher``."""
    return f"{requirement.kind}:{requirement.slug}"


def no_department() -> sa.ColumnElement[bool]:
    """People whose department is not recorded (NULL or empty)."""
    return sa.or_(Staff.department.is_(None), Staff.department == "")


@dataclass(frozen=True)
class Counts:
    """How many people have each status, out of ``total``."""

    total: int
    by_status: Mapping[str, int]

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    def percent(self, status: str) -> float:
        return 100.0 * self.count(status) / self.total if self.total else 0.0

    def percent_label(self, status: str) -> str:
        """The share as people read it: ``25%``; ``<1%`` rather than a false ``0%``."""
        count, share = self.count(status), self.percent(status)
        if count and share < 1:
            return "<1%"
        if count < self.total and share > 99:
            return ">99%"
        return f"{share:.0f}%"


@dataclass(frozen=True)
class DepartmentCounts:
    """One department's counts for one requirement."""

    label: str
    #: The department filter's value for this department.
    filter_value: str
    counts: Counts


@dataclass(frozen=True)
class RequirementSummary:
    """One requirement in force: counts among all active staff, and by department."""

    requirement: Requirement
    overall: Counts
    departments: list[DepartmentCounts]

    @property
    def key(self) -> str:
        return requirement_key(self.requirement)


def _department_order(name: str | None) -> tuple[int, str]:
    # Named departments alphabetically, then the people without one.
    return (1, "") if not name else (0, name.casefold())


def summary(as_of: dt.date | None = None) -> list[RequirementSummary]:
    """Per requirement in force, the count and share of each status among active staff.

    Departments are sorted by name; people with none are grouped as "No
    department". When the due-date table answers for the day
    (:func:`smattest.due.read.table_view`: today, settled), one grouped
    query over it (:mod:`smattest.due.sql`); otherwise (a past day) worked out
    from the evidence.
    """
    day = as_of or local_today()
    found = compliance.requirements(day)
    if not found:
        return []
    with due_read.table_view(day) as view:
        if view is not None:
            return _from_table(view, found, day)
    session = current_smattest.db.session
    department_of = dict(
        session.execute(sa.select(Staff.id, Staff.department).where(Staff.active)).all()
    )
    groups: dict[tuple[str, int], dict[str | None, list[str]]] = {}
    for row, standing in due_read.standings(found, day, evidence=True):
        key = (standing.requirement.kind, standing.requirement.id)
        by_department = groups.setdefault(key, {})
        by_department.setdefault(department_of.get(row.id) or None, []).append(standing.status)
    summaries = []
    for requirement in found:
        by_department = groups.get((requirement.kind, requirement.id), {})
        tallies = {name: _tally(statuses) for name, statuses in by_department.items()}
        summaries.append(_summary(requirement, tallies))
    return summaries


def _tally(statuses: Sequence[str]) -> dict[str, int]:
    tally = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        tally[status] += 1
    return tally


def _from_table(
    view: Session, found: Sequence[Requirement], day: dt.date
) -> list[RequirementSummary]:
    tallies: dict[tuple[str, int], dict[str | None, dict[str, int]]] = {}
    for kind, requirement_id, department, status, people in due_sql.counts(view, day):
        by_department = tallies.setdefault((kind, requirement_id), {})
        tally = by_department.setdefault(department or None, dict.fromkeys(STATUSES, 0))
        tally[status] += people
    return [_summary(r, tallies.get((r.kind, r.id), {})) for r in found]


def _summary(
    requirement: Requirement, tallies: Mapping[str | None, Mapping[str, int]]
) -> RequirementSummary:
    departments = [
        DepartmentCounts(
            label=name or NO_DEPARTMENT_LABEL,
            filter_value=name or NO_DEPARTMENT,
            counts=Counts(sum(tally.values()), dict(tally)),
        )
        for name, tally in sorted(tallies.items(), key=lambda g: _department_order(g[0]))
    ]
    overall = dict.fromkeys(STATUSES, 0)
    for tally in tallies.values():
        for status, count in tally.items():
            overall[status] += count
    return RequirementSummary(requirement, Counts(sum(overall.values()), overall), departments)
