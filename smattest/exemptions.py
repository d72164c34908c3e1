"""Exemptions: HR's decision that a person owes a requirement nothing until a date.

An exemption covers one person and one requirement (a policy or a course)
from the moment it is granted through ``until``, its last day, in the
agency's time zone; ``until=None`` is open-ended and lasts until HR ends it.
Ending one early records who ended it and when; nothing is ever deleted, so
the person page and an auditor can still see every exemption that was.

Granting and ending are evidence rows in the hash chain (the exemption row
itself, then an :class:`~smattest.models.ExemptionEnd`), and the rule only
honours chained ones. Each is also recorded as an
:class:`~smattest.models.HREvent` in the same transaction, and announced with
a signal after commit.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

import smattest.evidence.chain as evidence
import smattest.rule.compliance as compliance
import smattest.text as text

from .db import rowcount, utcnow
from .evidence.own import ANOTHER, is_own
from .models import (
    COURSE,
    POLICY,
    Course,
    Exemption,
    ExemptionEnd,
    HREvent,
    Policy,
    Staff,
    in_chain,
)
from .proxies import current_smattest
from .signals import exemption_ended, exemption_granted, send_after_commit
from .state import current_app_object
from .timeutil import local_today

#: The longest reason kept: a paragraph, not a case file.
MAX_REASON = 2000


class ExemptionError(ValueError):
    """An exemption cannot be granted or ended as asked; the message says why.

    ``field`` names what the problem is about (``"requirement"``, ``"reason"``,
    ``"until"``), or is None, so that a form can show it next to its field.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


def reason_problem(reason: str | None) -> str | None:
    """What is wrong with an exemption's reason (blank, too long), or None."""
    reason = (reason or "").strip()
    if not reason:
        return "Give the reason for the exemption: an auditor will ask."
    if len(reason) > MAX_REASON:
        return f"The reason is {len(reason)} characters long; keep it to {MAX_REASON} at most."
    return text.problem("The reason", reason, multiline=True)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def describe_until(until: dt.date | None) -> str:
    """``until 30 June 2026`` or ``with no end date``: how HR reads an exemption's end."""
    return f"until {_day(until)}" if until else "with no end date"


def is_active(exemption: Exemption, today: dt.date | None = None) -> bool:
    """Whether the exemption still covers ``today`` (default: today, locally)."""
    today = today or local_today()
    return exemption.ended_at is None and (exemption.until is None or exemption.until >= today)


def requirement_in_force(kind: str, requirement_id: int) -> compliance.Requirement:
    """The requirement ``kind``/``requirement_id`` in force today, or :class:`ExemptionError`."""
    if kind not in (POLICY, COURSE):
        raise ExemptionError(
            f"{kind!r} is not a kind of requirement: use 'policy' or 'course'.", field="requirement"
        )
    listing = (
        compliance.policy_requirements() if kind == POLICY else compliance.course_requirements()
    )
    found = next((r for r in listing if r.id == requirement_id), None)
    if found is not None:
        return found
    session = current_smattest.db.session
    known = (
        session.get(Policy, requirement_id)
        if kind == POLICY
        else session.get(Course, requirement_id)
    )
    if known is None:
        raise ExemptionError(f"There is no {kind} with id {requirement_id}.", field="requirement")
    raise ExemptionError(
        f"The {known.title} is not in force yet, so nobody owes it and there is nothing "
        "to exempt from.",
        field="requirement",
    )


def active_exemption(staff_id: int, kind: str, requirement_id: int) -> Exemption | None:
    """The person's exemption for this requirement that covers today, if any."""
    today = local_today()
    return current_smattest.db.session.scalar(
        sa.select(Exemption)
        .where(
            Exemption.staff_id == staff_id,
            Exemption.requirement_kind == kind,
            Exemption.requirement_id == requirement_id,
            Exemption.ended_at.is_(None),
            sa.or_(Exemption.until.is_(None), Exemption.until >= today),
            in_chain(Exemption.chain_seq),
        )
        .order_by(Exemption.granted_at.desc())
        .limit(1)
    )


def grant(
    staff: Staff,
    kind: str,
    requirement_id: int,
    reason: str,
    until: dt.date | None,
    granted_by: str,
) -> Exemption:
    """Exempt ``staff`` from one requirement from now through ``until`` (None: open-ended).

    ``until`` is the last day covered and may be today, not earlier.
    ``granted_by`` is the host user id of the HR person. Records the
    exemption and an ``exemption.grant`` HR event in one transaction, then
    sends ``exemption_granted``. Raises :class:`ExemptionError`, recording
    nothing, when the requirement is unknown or not in force, the reason is
    blank or too long, ``until`` has passed, the person is inactive, they are
    already exempt from this requirement, or the HR person is exempting
    themselves (another HR person must).
    """
    session = current_smattest.db.session
    reason = (reason or "").strip()
    requirement = requirement_in_force(kind, requirement_id)
    problem = reason_problem(reason)
    if problem:
        raise ExemptionError(problem, field="reason")
    today = local_today()
    if until is not None and until < today:
        raise ExemptionError(
            f"The last day covered, {_day(until)}, has already passed: "
            f"choose today ({_day(today)}) or a later day.",
            field="until",
        )
    if not staff.active:
        raise ExemptionError(
            f"{staff.full_name} is marked inactive: they owe nothing, so there is nothing "
            "to exempt them from."
        )
    if is_own(granted_by, staff.id):
        raise ExemptionError(f"You cannot grant yourself an exemption: {ANOTHER}")
    staff_id = staff.id
    # Own the chain's head (as every evidence append does), so two HR people
    # granting at once cannot both pass the check below; reads after it see
    # the other's grant (MariaDB's snapshot starts after the lock).
    head = evidence.lock_chain()
    existing = active_exemption(staff_id, kind, requirement_id)
    if existing is not None:
        session.rollback()
        raise ExemptionError(
            f"{staff.full_name} is already exempt from the {requirement.title} "
            f"{describe_until(existing.until)}; end it first."
        )
    exemption = Exemption(
        staff_id=staff_id,
        requirement_kind=kind,
        requirement_id=requirement_id,
        reason=reason,
        until=until,
        granted_by=granted_by,
        granted_at=utcnow(),
    )
    evidence.link(head, exemption)
    session.add(
        HREvent(
            actor=granted_by,
            action="exemption.grant",
            staff_id=staff_id,
            detail=f"Exempt from the {requirement.title} {describe_until(until)}: {reason}",
        )
    )
    session.commit()
    send_after_commit(exemption_granted, current_app_object(), exemption=exemption)
    return exemption


def end(exemption: Exemption, ended_by: str, reason: str | None = None) -> Exemption:
    """End an active exemption now; the person owes the requirement again from today.

    Appends an :class:`ExemptionEnd` to the evidence chain, repeats the end
    in the exemption's ``ended_at`` and ``ended_by`` for pages (the grant is
    kept), records an ``exemption.end`` HR event (with HR's ``reason``, when given) in the
    same transaction, then sends
    ``exemption_ended``. Raises :class:`ExemptionError` when the exemption
    was already ended or has expired, or is the HR person's own.
    """
    session = current_smattest.db.session
    if is_own(ended_by, exemption.staff_id):
        raise ExemptionError(f"You cannot end your own exemption: {ANOTHER}")
    if (ended_at := exemption.ended_at) is not None:
        raise ExemptionError(f"This exemption was already ended on {_day(_local(ended_at))}.")
    today = local_today()
    if exemption.until is not None and exemption.until < today:
        raise ExemptionError(
            f"This exemption expired after its last day, {_day(exemption.until)}; "
            "there is nothing to end."
        )
    exemption_id = exemption.id
    head = evidence.lock_chain()
    now = utcnow()
    # Conditional, so that two HR people ending it at once record one end.
    ended = session.execute(
        sa.update(Exemption)
        .where(Exemption.id == exemption_id, Exemption.ended_at.is_(None))
        .values(ended_at=now, ended_by=ended_by)
    )
    if rowcount(ended) != 1:
        session.rollback()
        session.refresh(exemption)
        assert exemption.ended_at is not None  # the UPDATE found it ended already
        raise ExemptionError(
            f"This exemption was already ended on {_day(_local(exemption.ended_at))}."
        )
    title = requirement_title(exemption.requirement_kind, exemption.requirement_id)
    evidence.link(
        head,
        ExemptionEnd(
            exemption_id=exemption_id,
            staff_id=exemption.staff_id,
            requirement_kind=exemption.requirement_kind,
            requirement_id=exemption.requirement_id,
            ended_at=now,
            ended_by=ended_by,
        ),
    )
    session.add(
        HREvent(
            actor=ended_by,
            action="exemption.end",
            staff_id=exemption.staff_id,
            detail=f"Ended the exemption from the {title}; "
            f"it was granted {describe_until(exemption.until)}."
            + (f" Reason: {reason.strip()}" if reason and reason.strip() else ""),
        )
    )
    session.commit()
    session.refresh(exemption)
    send_after_commit(exemption_ended, current_app_object(), exemption=exemption)
    return exemption


def get_exemption(exemption_id: int) -> Exemption | None:
    """The exemption with ``exemption_id``, or None."""
    return current_smattest.db.session.get(Exemption, exemption_id)


def _local(moment: dt.datetime) -> dt.date:
    return moment.astimezone(current_smattest.timezone).date()


def requirement_title(kind: str, requirement_id: int) -> str:
    """The title of a policy or course, for messages and events."""
    session = current_smattest.db.session
    found = (
        session.get(Policy, requirement_id)
        if kind == POLICY
        else session.get(Course, requirement_id)
    )
    return found.title if found else f"{kind} {requirement_id}"
