"""A policy's or a course's life after publishing: withdrawing a scheduled version, retiring.

Both are HR decisions with a reason, recorded as HR events; neither removes
anything. A withdrawn version never takes effect, stays listed as withdrawn,
and its number is not reused. A retired policy or course is owed by nobody
from its retirement day on; its evidence stays readable, exportable and
verifiable.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import sqlalchemy as sa

import smattest.rule.compliance as compliance

from ..db import utcnow
from ..i18n import gettext
from ..models import (
    COURSE,
    POLICY,
    Course,
    HREvent,
    Policy,
    PolicyVersion,
    Staff,
    VersionWithdrawal,
)
from ..proxies import current_smattest
from ..timeutil import local_today
from .policies import get_version

EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class LifecycleError(ValueError):
    """A version cannot be withdrawn, or a policy or course retired, as asked."""


def withdraw_version(slug: str, number: int, reason: str, *, actor: str) -> PolicyVersion:
    """Withdraw version ``number`` of policy ``slug`` before it takes effect, with ``reason``."""
    reason = reason.strip()
    session = current_smattest.db.session
    version = get_version(slug, number)
    if version is None:
        raise LifecycleError(
            gettext("policy %(slug)s has no version %(number)s", slug=repr(slug), number=number)
        )
    if version.withdrawal is not None:
        raise LifecycleError(
            gettext(
                "version %(number)s of %(slug)s was already withdrawn",
                number=number,
                slug=repr(slug),
            )
        )
    if version.effective_date <= local_today():
        raise LifecycleError(
            gettext(
                "version %(number)s took effect on %(day)s: only a version that has not taken "
                "effect yet can be withdrawn (publish a new one instead)",
                number=number,
                day=version.effective_date.isoformat(),
            )
        )
    if not reason:
        raise LifecycleError(gettext("give a reason for withdrawing the version"))
    session.add(
        VersionWithdrawal(policy_version_id=version.id, at=utcnow(), by=actor, reason=reason)
    )
    detail = {"slug": slug, "version": number, "reason": reason}
    session.add(HREvent(actor=actor, action="version.withdraw", detail=json.dumps(detail)))
    session.commit()
    return version


def retire(kind: str, slug: str, on: dt.date, reason: str, *, actor: str) -> Policy | Course:
    """Retire policy or course ``slug`` from day ``on`` (today or later), with ``reason``."""
    reason = reason.strip()
    session = current_smattest.db.session
    found: Policy | Course | None
    if kind == POLICY:
        found = session.scalar(sa.select(Policy).where(Policy.slug == slug))
    elif kind == COURSE:
        found = session.scalar(sa.select(Course).where(Course.slug == slug))
    else:
        raise LifecycleError(f"unknown kind {kind!r}")
    if found is None:
        raise LifecycleError(f"there is no {kind} {slug!r}")
    if found.retired_on is not None:
        raise LifecycleError(
            gettext(
                "%(title)s is already retired from %(day)s",
                title=found.title,
                day=found.retired_on.isoformat(),
            )
        )
    if on < local_today():
        raise LifecycleError(
            gettext(
                "%(day)s is in the past: a policy is retired from today or a later day",
                day=on.isoformat(),
            )
            if kind == POLICY
            else gettext(
                "%(day)s is in the past: a course is retired from today or a later day",
                day=on.isoformat(),
            )
        )
    if not reason:
        raise LifecycleError(
            gettext("give a reason for retiring the policy")
            if kind == POLICY
            else gettext("give a reason for retiring the course")
        )
    found.retired_on, found.retired_reason, found.retired_by = on, reason, actor
    detail = {"slug": slug, "from": on.isoformat(), "reason": reason}
    session.add(HREvent(actor=actor, action=f"{kind}.retire", detail=json.dumps(detail)))
    session.commit()
    return found


@dataclass(frozen=True)
class Upcoming:
    """A scheduled version, and what it will mean for one person."""

    policy: Policy
    version: PolicyVersion
    #: Whether the person will owe the policy on the day it takes effect.
    required: bool
    #: The day they will need to have signed by (None when not required).
    due_date: dt.date | None


def upcoming_for(staff: Staff, policy: Policy | None = None) -> list[Upcoming]:
    """Scheduled versions (of ``policy``, or of every policy) and what each will mean for
    ``staff``: the rule in :mod:`smattest.rule.compliance` asked about the effective day."""
    session = current_smattest.db.session
    query = (
        sa.select(PolicyVersion)
        .where(
            PolicyVersion.effective_date > local_today(),
            PolicyVersion.id.not_in(sa.select(VersionWithdrawal.policy_version_id)),
        )
        .order_by(PolicyVersion.effective_date, PolicyVersion.policy_id, PolicyVersion.number)
    )
    if policy is not None:
        query = query.where(PolicyVersion.policy_id == policy.id)
    found = []
    for version in session.scalars(query):
        standing = compliance.standing(
            staff, POLICY, version.policy_id, as_of=version.effective_date
        )
        found.append(
            Upcoming(
                version.policy,
                version,
                standing is not None,
                standing.due_date if standing is not None else None,
            )
        )
    return found


#: The owner is reminded this many days before a policy's review date, and on the day.
REVIEW_NOTICE_DAYS = 30


def review_date(policy: Policy) -> dt.date | None:
    """When ``policy`` is due for review: as HR set it, else 12 months after its latest
    version in force took effect (None before any version is in force)."""
    if policy.review_on is not None:
        return policy.review_on
    today = local_today()
    in_force = [
        v.effective_date
        for v in policy.versions
        if v.withdrawal is None and v.effective_date <= today
    ]
    return compliance.add_months(max(in_force), 12) if in_force else None


def review_state(policy: Policy, today: dt.date | None = None) -> str | None:
    """``"review overdue"`` after the review date, ``"review due"`` within
    :data:`REVIEW_NOTICE_DAYS` of it (and on it), else None."""
    today = today or local_today()
    due = review_date(policy)
    if due is None or policy.retired_on is not None:
        return None
    if today > due:
        return "review overdue"
    if today >= due - dt.timedelta(days=REVIEW_NOTICE_DAYS):
        return "review due"
    return None


def set_review(slug: str, owner_email: str, review_on: dt.date, *, actor: str) -> Policy:
    """Set a policy's owner (an email) and review date; recorded as an HR event."""
    owner_email = owner_email.strip().lower()
    session = current_smattest.db.session
    policy = session.scalar(sa.select(Policy).where(Policy.slug == slug))
    if policy is None:
        raise LifecycleError(f"there is no policy {slug!r}")
    if not EMAIL.fullmatch(owner_email):
        raise LifecycleError(
            gettext("the owner %(email)s is not an email address", email=repr(owner_email))
        )
    before = {"owner": policy.owner_email, "review_on": str(review_date(policy))}
    policy.owner_email, policy.review_on = owner_email, review_on
    detail = {"slug": slug, "before": before,
              "after": {"owner": owner_email, "review_on": review_on.isoformat()}}  # fmt: skip
    session.add(HREvent(actor=actor, action="policy.review", detail=json.dumps(detail)))
    session.commit()
    return policy
