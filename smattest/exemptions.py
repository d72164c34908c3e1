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

import dataclasses
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from flask import current_app

import smattest.evidence.chain as evidence
import smattest.rule.compliance as compliance
import smattest.text as text

from .db import rowcount, utcnow
from .evidence.own import is_own
from .i18n import format_date, gettext, ngettext
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
        return gettext("Give the reason for the exemption: an auditor will ask.")
    if len(reason) > MAX_REASON:
        return gettext(
            "The reason is %(length)s characters long; keep it to %(most)s at most.",
            length=len(reason),
            most=MAX_REASON,
        )
    return text.problem(gettext("The reason"), reason, multiline=True)


def _day(day: dt.date) -> str:
    return format_date(day)


def describe_until(until: dt.date | None) -> str:
    """``until 30 June 2026`` or ``with no end date``: how HR reads an exemption's end."""
    return gettext("until %(day)s", day=_day(until)) if until else gettext("with no end date")


def _logged_until(until: dt.date | None) -> str:
    """:func:`describe_until` for HR's action log, which is kept in English."""
    return f"until {until.day} {until:%B %Y}" if until else "with no end date"


def is_active(exemption: Exemption, today: dt.date | None = None) -> bool:
    """Whether the exemption still covers ``today`` (default: today, locally)."""
    today = today or local_today()
    return exemption.ended_at is None and (exemption.until is None or exemption.until >= today)


def requirement_in_force(kind: str, requirement_id: int) -> compliance.Requirement:
    """The requirement ``kind``/``requirement_id`` in force today, or :class:`ExemptionError`."""
    if kind not in (POLICY, COURSE):
        raise ExemptionError(
            gettext(
                "%(kind)s is not a kind of requirement: use 'policy' or 'course'.", kind=repr(kind)
            ),
            field="requirement",
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
        missing = (
            gettext("There is no policy with id %(id)s.", id=requirement_id)
            if kind == POLICY
            else gettext("There is no course with id %(id)s.", id=requirement_id)
        )
        raise ExemptionError(missing, field="requirement")
    raise ExemptionError(
        gettext(
            "The %(title)s is not in force yet, so nobody owes it and there is nothing "
            "to exempt from.",
            title=known.title,
        ),
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
            # Ended by a chained end (the row's own ended_at is a copy for pages).
            ~sa.exists().where(
                ExemptionEnd.grant_seq == Exemption.chain_seq, in_chain(ExemptionEnd.chain_seq)
            ),
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

    :func:`grant_all` with one requirement; see there.
    """
    (exemption,) = grant_all(staff, [(kind, requirement_id)], reason, until, granted_by)
    return exemption


def grant_all(
    staff: Staff,
    requirements: Sequence[tuple[str, int]],
    reason: str,
    until: dt.date | None,
    granted_by: str,
) -> list[Exemption]:
    """Exempt ``staff`` from each of ``requirements`` (``(kind, id)`` pairs) at once.

    One decision, one reason, one last day: each requirement gets its own
    exemption row in the evidence chain (each can be ended on its own later),
    all in one transaction: every one is recorded, or none is.
    ``until`` is the last day covered and may be today, not earlier.
    ``granted_by`` is the host user id of the HR person. Records an
    ``exemption.grant`` HR event per requirement in the same transaction, then
    sends ``exemption_granted`` for each. Raises :class:`ExemptionError`,
    recording nothing, when no requirement is given, one is unknown or not in
    force, the reason is blank or too long, ``until`` has passed, the person
    is inactive, they are already exempt from one of them, or the HR person is
    exempting themselves (another HR person must).
    """
    session = current_smattest.db.session
    reason = (reason or "").strip()
    wanted = list(dict.fromkeys(requirements))  # each once, in the order given
    if not wanted:
        raise ExemptionError(
            gettext("Choose at least one policy or course to exempt them from."),
            field="requirement",
        )
    found = [requirement_in_force(kind, requirement_id) for kind, requirement_id in wanted]
    problem = reason_problem(reason)
    if problem:
        raise ExemptionError(problem, field="reason")
    today = local_today()
    if until is not None and until < today:
        raise ExemptionError(
            gettext(
                "The last day covered, %(day)s, has already passed: "
                "choose today (%(today)s) or a later day.",
                day=_day(until),
                today=_day(today),
            ),
            field="until",
        )
    if not staff.active:
        raise ExemptionError(
            gettext(
                "%(name)s is marked inactive: they owe nothing, so there is nothing "
                "to exempt them from.",
                name=staff.full_name,
            )
        )
    if is_own(granted_by, staff.id):
        raise ExemptionError(
            gettext(
                "You cannot grant yourself an exemption: another HR person must do it. "
                "Nothing was recorded."
            )
        )
    staff_id = staff.id
    name = staff.full_name
    # Own the chain's head (as every evidence append does), so two HR people
    # granting at once cannot both pass the check below; reads after it see
    # the other's grant (MariaDB's snapshot starts after the lock).
    head = evidence.lock_chain()
    for (kind, requirement_id), requirement in zip(wanted, found, strict=True):
        existing = active_exemption(staff_id, kind, requirement_id)
        if existing is not None:
            session.rollback()
            raise ExemptionError(
                gettext(
                    "%(name)s is already exempt from the %(title)s %(until)s; end it first "
                    "or leave it out. Nothing was recorded.",
                    name=name,
                    title=requirement.title,
                    until=describe_until(existing.until),
                )
                if len(wanted) > 1
                else gettext(
                    "%(name)s is already exempt from the %(title)s %(until)s; end it first.",
                    name=name,
                    title=requirement.title,
                    until=describe_until(existing.until),
                ),
                field="requirement",
            )
    granted = []
    now = utcnow()
    for (kind, requirement_id), requirement in zip(wanted, found, strict=True):
        exemption = Exemption(
            staff_id=staff_id,
            requirement_kind=kind,
            requirement_id=requirement_id,
            reason=reason,
            until=until,
            granted_by=granted_by,
            granted_at=now,
        )
        evidence.link(head, exemption)
        session.add(
            HREvent(
                actor=granted_by,
                action="exemption.grant",
                staff_id=staff_id,
                detail=f"Exempt from the {requirement.title} {_logged_until(until)}: {reason}",
            )
        )
        granted.append(exemption)
    session.commit()
    for exemption in granted:
        send_after_commit(exemption_granted, current_app_object(), exemption=exemption)
    return granted


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
        raise ExemptionError(
            gettext(
                "You cannot end your own exemption: another HR person must do it. "
                "Nothing was recorded."
            )
        )
    if (ended_at := exemption.ended_at) is not None:
        raise ExemptionError(
            gettext("This exemption was already ended on %(day)s.", day=_day(_local(ended_at)))
        )
    today = local_today()
    if exemption.until is not None and exemption.until < today:
        raise ExemptionError(
            gettext(
                "This exemption expired after its last day, %(day)s; there is nothing to end.",
                day=_day(exemption.until),
            )
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
            gettext(
                "This exemption was already ended on %(day)s.",
                day=_day(_local(exemption.ended_at)),
            )
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
            # Bound to the grant (format 4): its position and hash, not its row id.
            grant_seq=exemption.chain_seq,
            grant_hash=exemption.record_hash,
        ),
    )
    session.add(
        HREvent(
            actor=ended_by,
            action="exemption.end",
            staff_id=exemption.staff_id,
            detail=f"Ended the exemption from the {title}; "
            f"it was granted {_logged_until(exemption.until)}."
            + (f" Reason: {reason.strip()}" if reason and reason.strip() else ""),
        )
    )
    session.commit()
    session.refresh(exemption)
    send_after_commit(exemption_ended, current_app_object(), exemption=exemption)
    return exemption


def owed_once_ended(exemption: Exemption) -> str:
    """What the person will owe once ``exemption`` ends today, in the rule's words.

    The rule's due date had they no exemption (:class:`~smattest.rule.standing.Position`),
    read as the status today: HR sees it before confirming the end, and again
    in the message after it.
    """
    today = local_today()
    kind, requirement_id = exemption.requirement_kind, exemption.requirement_id
    listing = (
        compliance.policy_requirements() if kind == POLICY else compliance.course_requirements()
    )
    requirement = next((r for r in listing if r.id == requirement_id), None)
    title = requirement.title if requirement else requirement_title(kind, requirement_id)
    staff = current_smattest.db.session.get(Staff, exemption.staff_id)
    name = staff.full_name if staff else gettext("They")
    if requirement is None or staff is None or not staff.active:
        return gettext(
            "%(name)s will owe nothing for the %(title)s: it is not in force for them.",
            name=name,
            title=title,
        )
    found = compliance.positions(requirement, today, staff_ids=[staff.id])
    position = next((where for _, where in found), None)
    if position is None:
        return gettext(
            "%(name)s will owe nothing for the %(title)s: they are not in its audience.",
            name=name,
            title=title,
        )
    soon = current_app.config["SMATTEST_DUE_SOON_DAYS"]
    owed = dataclasses.replace(position, exempt=False).on(requirement, today, soon)
    due = owed.due_date or today
    if owed.status == compliance.OVERDUE:
        days = owed.days_overdue
        return ngettext(
            "%(name)s will be overdue at once: the %(title)s was due on %(day)s, "
            "%(num)s day ago, and reminders resume.",
            "%(name)s will be overdue at once: the %(title)s was due on %(day)s, "
            "%(num)s days ago, and reminders resume.",
            days,
            name=name,
            title=title,
            day=_day(due),
        )
    days = (due - today).days
    if days == 0:
        return gettext(
            "%(name)s will owe the %(title)s by %(day)s (today), and reminders resume.",
            name=name,
            title=title,
            day=_day(due),
        )
    return ngettext(
        "%(name)s will owe the %(title)s by %(day)s (in %(num)s day), and reminders resume.",
        "%(name)s will owe the %(title)s by %(day)s (in %(num)s days), and reminders resume.",
        days,
        name=name,
        title=title,
        day=_day(due),
    )


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
