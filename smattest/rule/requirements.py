"""What is in force on a day: each policy and course as a requirement, with its audiences.

A requirement carries what the rule in :mod:`smattest.rule.compliance` needs about
it: the versions that set a basis, and its dated audience changes. Who is
where on a day (department and groups) is read from the dated placements.
This module lists; it decides nobody's due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..models import (
    COURSE,
    POLICY,
    AudienceChange,
    Course,
    CourseVersion,
    Placement,
    Policy,
    PolicyVersion,
    Staff,
    VersionWithdrawal,
)
from ..proxies import current_smattest
from ..timeutil import local_today
from .membership import Audience, DatedPlacement


@dataclass(frozen=True)
class Requirement:
    """Something staff owe: attest to a policy, or complete a course."""

    kind: str
    id: int
    slug: str
    title: str
    every_months: int
    #: The newest version in force that everyone must have done (or later).
    basis_number: int
    basis_effective: dt.date
    #: The version an employee acts on now (the newest in force).
    current_number: int
    #: (number, effective date) of every version in force that set a new basis,
    #: oldest first: the first version and each material one after it.
    material: tuple[tuple[int, dt.date], ...] = ()
    #: Every audience change up to the day looked at, oldest first; none: everyone.
    audiences: tuple[tuple[dt.date, Audience], ...] = ()

    @property
    def for_everyone(self) -> bool:
        """Whether everyone has owed it all along (no audience ever narrowed it)."""
        return all(audience.everyone for _, audience in self.audiences)

    @property
    def audience(self) -> Audience:
        """The audience on the day looked at."""
        return self.audiences[-1][1] if self.audiences else Audience()


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the agency's time zone, in UTC."""
    tz = current_smattest.timezone
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return midnight.astimezone(dt.UTC) - dt.timedelta(microseconds=1)


#: Where a session keeps the listings it read, until its transaction ends or a
#: flush changes a policy, course, version or audience (see :mod:`smattest.due.marks`).
#: A settle of the due-date table runs in a session of its own, so a listing a
#: reader cached before a concurrent change never reaches the table.
LISTINGS = "smattest.rule.requirements"


def _listed(
    kind: str, as_of: dt.date, read: Callable[[dt.date], list[Requirement]]
) -> list[Requirement]:
    """The listing of ``kind`` on ``as_of``, read once per transaction."""
    cache: dict[tuple[str, dt.date], list[Requirement]] = (
        current_smattest.db.session().info.setdefault(LISTINGS, {})
    )
    if (kind, as_of) not in cache:
        cache[(kind, as_of)] = read(as_of)
    return list(cache[(kind, as_of)])


def forget_listings(session: Any) -> None:
    """Drop a session's cached listings (something they depend on changed)."""
    session.info.pop(LISTINGS, None)


def policy_requirements(as_of: dt.date | None = None) -> list[Requirement]:
    """Every policy in force on ``as_of`` (default today), as a requirement."""
    return _listed(POLICY, as_of or local_today(), _read_policies)


def _read_policies(as_of: dt.date) -> list[Requirement]:
    session = current_smattest.db.session
    versions = session.execute(
        sa.select(PolicyVersion.policy_id, PolicyVersion.number,
                  PolicyVersion.requires_reattestation, PolicyVersion.effective_date)
        .where(PolicyVersion.effective_date <= as_of,
               PolicyVersion.id.not_in(sa.select(VersionWithdrawal.policy_version_id)))
        .order_by(PolicyVersion.policy_id, PolicyVersion.number)
    ).all()  # fmt: skip
    policies = {p.id: p for p in session.scalars(sa.select(Policy))}
    audiences = _audiences(POLICY, as_of)
    basis: dict[int, tuple[int, dt.date]] = {}
    current: dict[int, int] = {}
    bases: dict[int, list[tuple[int, dt.date]]] = {}
    for policy_id, number, material, effective in versions:
        current[policy_id] = number
        if material or policy_id not in basis:
            basis[policy_id] = (number, effective)
            bases.setdefault(policy_id, []).append((number, effective))
    return sorted(
        (
            Requirement(
                kind=POLICY,
                id=policy_id,
                slug=policies[policy_id].slug,
                title=policies[policy_id].title,
                every_months=policies[policy_id].every_months,
                basis_number=basis[policy_id][0],
                basis_effective=basis[policy_id][1],
                current_number=current[policy_id],
                material=tuple(bases[policy_id]),
                audiences=audiences.get(policy_id, ()),
            )
            for policy_id in current
            if not _retired(policies[policy_id].retired_on, as_of)
        ),
        key=lambda r: r.title,
    )


def course_requirements(as_of: dt.date | None = None) -> list[Requirement]:
    """Every course imported by ``as_of`` (default today), as a requirement.

    Any version's completion counts; new hires, and everyone when a course is
    first imported, are due ``SMATTEST_NEW_HIRE_DAYS`` later.
    """
    return _listed(COURSE, as_of or local_today(), _read_courses)


def _read_courses(as_of: dt.date) -> list[Requirement]:
    session = current_smattest.db.session
    rows = session.execute(
        sa.select(Course, sa.func.min(CourseVersion.created_at), sa.func.max(CourseVersion.number))
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .where(
            CourseVersion.created_at <= end_of_day_utc(as_of),
            sa.or_(Course.retired_on.is_(None), Course.retired_on > as_of),
        )
        .group_by(*Course.__table__.columns)
        .order_by(Course.title)
    ).all()
    tz = current_smattest.timezone
    audiences = _audiences(COURSE, as_of)
    return [
        Requirement(
            kind=COURSE,
            id=course.id,
            slug=course.slug,
            title=course.title,
            every_months=course.refresh_every_months,
            basis_number=1,
            basis_effective=first.astimezone(tz).date(),
            current_number=newest,
            material=((1, first.astimezone(tz).date()),),
            audiences=audiences.get(course.id, ()),
        )
        for course, first, newest in rows
    ]


def _audiences(kind: str, as_of: dt.date) -> dict[int, tuple[tuple[dt.date, Audience], ...]]:
    """Each requirement's audience changes up to ``as_of``, oldest first (one query)."""
    rows = current_smattest.db.session.execute(
        sa.select(AudienceChange.requirement_id, AudienceChange.since, AudienceChange.rule)
        .where(AudienceChange.requirement_kind == kind, AudienceChange.since <= as_of)
        .order_by(AudienceChange.since, AudienceChange.id)
    )
    found: dict[int, list[tuple[dt.date, Audience]]] = {}
    for requirement_id, since, rule in rows:
        found.setdefault(requirement_id, []).append((since, Audience.from_json(rule)))
    return {key: tuple(value) for key, value in found.items()}


def placements(
    as_of: dt.date,
    where: sa.SQLColumnExpression[bool] | None = None,
    staff_ids: Sequence[int] | None = None,
) -> dict[int, list[DatedPlacement]]:
    """The placement history up to ``as_of`` of everyone whose department or groups
    ever changed (one query); everyone else is where the staff table says."""
    changed = sa.select(Placement.staff_id).where(Placement.since.is_not(None))
    query = (
        sa.select(Placement.staff_id, Placement.since, Placement.department, Placement.groups)
        .where(
            Placement.staff_id.in_(changed),
            sa.or_(Placement.since.is_(None), Placement.since <= as_of),
        )
        .order_by(Placement.staff_id, Placement.id)
    )
    if where is not None:
        query = query.join(Staff, Staff.id == Placement.staff_id).where(where)
    if staff_ids is not None:
        query = query.where(Placement.staff_id.in_(staff_ids))
    found: dict[int, list[DatedPlacement]] = {}
    for staff_id, since, department, groups in current_smattest.db.session.execute(query):
        found.setdefault(staff_id, []).append((since, department, groups))
    return found


def _retired(retired_on: dt.date | None, as_of: dt.date) -> bool:
    """Whether a policy or course retired on ``retired_on`` is retired on ``as_of``."""
    return retired_on is not None and retired_on <= as_of


def requirements(as_of: dt.date | None = None) -> list[Requirement]:
    """Everything staff owe on ``as_of``: policies, then courses."""
    return policy_requirements(as_of) + course_requirements(as_of)
