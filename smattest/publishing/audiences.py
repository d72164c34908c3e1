"""Setting who owes a policy or a course, and keeping the history audiences are read in.

An audience (see :mod:`smattest.rule.membership`) is set by HR on the policy's or
the course's page, or by IT with ``flask smattest policy audience`` /
``course audience``. Each change is dated (from the day it is set, in
``SMATTEST_TIMEZONE``) and recorded as an HR event with who, when, and the
audience before and after, so that a past day is judged by that day's audience.

People's departments and groups are kept as dated placements too:
:func:`record_placements` adds a row for everyone whose department or groups
changed, in the same transaction as the change (roster imports and sign-ins).
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from ..db import utcnow
from ..i18n import gettext
from ..models import COURSE, POLICY, AudienceChange, Course, HREvent, Placement, Policy, Staff
from ..proxies import current_smattest
from ..rule.membership import Audience, parse_groups, split_groups
from ..timeutil import local_today


class AudienceError(ValueError):
    """An audience cannot be set: an unknown requirement, department or group."""


def known_departments() -> list[str]:
    """Departments of active staff, sorted ignoring case."""
    names = current_smattest.db.session.scalars(
        sa.select(Staff.department).where(Staff.active, Staff.department.is_not(None)).distinct()
    )
    return sorted({n for n in names if n}, key=str.casefold)


def known_groups() -> list[str]:
    """Groups of active staff, sorted."""
    stored = current_smattest.db.session.scalars(
        sa.select(Staff.groups).where(Staff.active, Staff.groups.is_not(None)).distinct()
    )
    return sorted({label for text in stored for label in split_groups(text)})


def requirement_of(kind: str, slug: str) -> Policy | Course:
    """The policy or course named by ``slug``; :class:`AudienceError` when there is none."""
    session = current_smattest.db.session
    found: Policy | Course | None
    if kind == POLICY:
        found = session.scalar(sa.select(Policy).where(Policy.slug == slug))
    else:
        found = session.scalar(sa.select(Course).where(Course.slug == slug))
    if found is None:
        raise AudienceError(f"there is no {kind} {slug!r}")
    return found


def current_audience(kind: str, requirement_id: int, on: dt.date | None = None) -> Audience:
    """The audience of a requirement on ``on`` (default today): everyone when never set."""
    on = on or local_today()
    rule = current_smattest.db.session.scalar(
        sa.select(AudienceChange.rule)
        .where(
            AudienceChange.requirement_kind == kind,
            AudienceChange.requirement_id == requirement_id,
            AudienceChange.since <= on,
        )
        .order_by(AudienceChange.since.desc(), AudienceChange.id.desc())
        .limit(1)
    )
    return Audience.from_json(rule)


def audiences_of(kind: str) -> dict[int, Audience]:
    """Today's audience of every requirement of ``kind`` whose audience was ever set."""
    rows = current_smattest.db.session.execute(
        sa.select(AudienceChange.requirement_id, AudienceChange.rule)
        .where(AudienceChange.requirement_kind == kind, AudienceChange.since <= local_today())
        .order_by(AudienceChange.since, AudienceChange.id)
    )
    return {requirement_id: Audience.from_json(rule) for requirement_id, rule in rows}


def build_audience(
    departments: list[str] | tuple[str, ...] = (),
    groups: list[str] | tuple[str, ...] = (),
    except_groups: list[str] | tuple[str, ...] = (),
) -> Audience:
    """An audience from names as HR types them, checked against the roster.

    Departments take the roster's spelling; groups are trimmed and lower-cased.
    An unknown name raises :class:`AudienceError` listing the known ones: a typo
    must not silently target nobody.
    """
    known = {name.casefold(): name for name in known_departments()}
    problems = []
    chosen_departments = []
    for name in departments:
        cleaned = " ".join(name.split())
        if not cleaned:
            continue
        if cleaned.casefold() not in known:
            listing = ", ".join(known.values()) or gettext("(none on the roster)")
            problems.append(
                gettext(
                    "unknown department %(name)s; the departments are: %(listing)s",
                    name=repr(cleaned),
                    listing=listing,
                )
            )
        else:
            chosen_departments.append(known[cleaned.casefold()])
    labels = set(known_groups())
    try:
        chosen = {field: parse_groups(list(names)) for field, names in
                  (("groups", groups), ("except_groups", except_groups))}  # fmt: skip
    except ValueError as error:
        raise AudienceError(str(error)) from None
    for label in (*chosen["groups"], *chosen["except_groups"]):
        if label not in labels:
            listing = ", ".join(sorted(labels)) or gettext("(none on the roster)")
            problems.append(
                gettext(
                    "unknown group %(name)s; the groups are: %(listing)s",
                    name=repr(label),
                    listing=listing,
                )
            )
    if problems:
        raise AudienceError("; ".join(problems))
    return Audience(
        tuple(sorted(set(chosen_departments), key=str.casefold)),
        chosen["groups"],
        chosen["except_groups"],
    )


def set_audience(kind: str, slug: str, audience: Audience, *, actor: str) -> tuple[Audience, bool]:
    """Make ``audience`` the requirement's audience from today; returns (before, changed).

    Recorded as an HR event ``audience.set`` with the audience before and after.
    Setting the audience it already has changes nothing.
    """
    if kind not in (POLICY, COURSE):
        raise AudienceError(f"unknown kind {kind!r}")
    requirement = requirement_of(kind, slug)
    before = current_audience(kind, requirement.id)
    if before == audience:
        return before, False
    session = current_smattest.db.session
    today = local_today()
    session.add(
        AudienceChange(
            requirement_kind=kind,
            requirement_id=requirement.id,
            since=today,
            rule=audience.to_json(),
            set_by=actor,
            set_at=utcnow(),
        )
    )
    detail = {
        "kind": kind,
        "slug": slug,
        "since": today.isoformat(),
        "before": before.describe(),
        "after": audience.describe(),
    }
    session.add(HREvent(actor=actor, action="audience.set", detail=json.dumps(detail)))
    session.commit()
    return before, True


def history(kind: str, requirement_id: int) -> list[AudienceChange]:
    """Every audience change of a requirement, newest first."""
    return list(
        current_smattest.db.session.scalars(
            sa.select(AudienceChange)
            .where(
                AudienceChange.requirement_kind == kind,
                AudienceChange.requirement_id == requirement_id,
            )
            .order_by(AudienceChange.since.desc(), AudienceChange.id.desc())
        )
    )


def record_placements(staff_ids: list[int] | None = None) -> None:
    """Add a dated placement for everyone whose department or groups changed (set-based).

    Someone with no placement yet gets one valid from the start. Call it in
    the transaction that changed the staff table, before its commit.
    """
    session = current_smattest.db.session
    session.flush()
    latest = (
        sa.select(sa.func.max(Placement.id).label("id"), Placement.staff_id)
        .group_by(Placement.staff_id)
        .subquery()
    )
    last = sa.orm.aliased(Placement)
    since = sa.case((last.id.is_(None), sa.null()), else_=sa.literal(local_today(), sa.Date))
    changed = sa.or_(
        last.id.is_(None),
        last.department.is_distinct_from(Staff.department),
        last.groups.is_distinct_from(Staff.groups),
    )
    query = (
        sa.select(Staff.id, since, Staff.department, Staff.groups,
                  sa.literal(utcnow(), Placement.recorded_at.type))
        .outerjoin(latest, latest.c.staff_id == Staff.id)
        .outerjoin(last, last.id == latest.c.id)
        .where(changed, *([] if staff_ids is None else [Staff.id.in_(staff_ids)]))
    )  # fmt: skip
    session.execute(
        sa.insert(Placement).from_select(
            ["staff_id", "since", "department", "groups", "recorded_at"], query
        )
    )
