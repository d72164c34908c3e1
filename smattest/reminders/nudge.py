"""Nudges: "remind these people now", for the people a filter of HR's people list matches.

HR (the people page, or ``flask smattest reminders nudge``) picks people by a
filter; :func:`plan_nudges` adds one outbox row per person who owes something
now (due soon or overdue) and has not been reminded today, in one transaction
and an :class:`~smattest.models.HREvent` naming who asked. The row is a
:class:`~smattest.models.Reminder` of stage and kind ``nudge``, requirement 0,
whose cycle is the local day: the outbox's unique key allows **one nudge per
person per day**, whatever the number of clicks, commands, processes or hosts
(the INSERT ignores duplicates, :func:`~.outbox.insert_ignoring_duplicates`).

:func:`send_nudges` (``flask smattest mail send``, the scheduler's ``mail`` job,
and the nudge command itself) claims the rows, checks each person still owes
something, and sends the person's digest (the reminder mail, everything they
owe) once, like every outbox row: claimed by a conditional UPDATE, sent
outside any transaction, recorded in one commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import current_app

import smattest.due.read as due_read
import smattest.reminders.messages as messages
import smattest.reminders.outbox as outbox
import smattest.reports.selection as selection
import smattest.rule.compliance as compliance

from ..db import utcnow
from ..i18n import ngettext
from ..mail import address_problem
from ..models import HREvent, Staff
from ..models.outbox import RECEIPT_STAGE
from ..proxies import current_smattest
from ..reports.people_table import PeopleFilter
from ..timeutil import local_today, to_local
from .delivery import Delivery
from .outbox import REMINDERS, session
from .receipts import check_configuration

NUDGE = outbox.NUDGE
IS_NUDGE = REMINDERS.c.stage == NUDGE


def today(now: dt.datetime | None = None) -> dt.date:
    """The agency's day at ``now``: a nudge's cycle."""
    return to_local(now or utcnow()).date()


def _reminded_today(now: dt.datetime) -> sa.Select[int]:
    """People with a nudge for today, or a reminder (not an escalation or receipt) sent
    since the agency's midnight: they had their mail today."""
    day = today(now)
    midnight = dt.datetime.combine(day, dt.time(), current_smattest.timezone).astimezone(dt.UTC)
    return sa.select(REMINDERS.c.staff_id).where(
        sa.or_(
            sa.and_(IS_NUDGE, REMINDERS.c.cycle_due == day),
            sa.and_(
                sa.not_(outbox.IS_ESCALATION),
                sa.not_(REMINDERS.c.stage.startswith(RECEIPT_STAGE)),
                REMINDERS.c.sent_at >= midnight,
            ),
        )
    )


@dataclass(frozen=True)
class NudgePreview:
    """How many people a nudge for a filter reaches, before HR confirms."""

    #: Active people the filter matches.
    matching: int
    #: Of those, people who owe something now (due soon or overdue).
    owing: int
    #: Of those, people already reminded today (left out).
    reminded_today: int
    #: Of those, people without an email address on record (left out).
    no_email: int

    @property
    def to_remind(self) -> int:
        """How many would get a reminder now."""
        return self.owing - self.reminded_today - self.no_email


def _chosen(
    flt: PeopleFilter,
    now: dt.datetime,
    requirements: Sequence[compliance.Requirement] | None = None,
    *,
    with_ids: bool = False,
) -> tuple[NudgePreview, list[int]]:
    """The preview of a nudge for ``flt``, and (``with_ids``) the people it reaches.

    Over the due-date table, one statement for the preview (and one for the ids);
    when the table does not answer, from the evidence (:mod:`smattest.reports.selection`).
    """
    if requirements is None:
        requirements = compliance.requirements()
    day = local_today()
    with due_read.table_view(day) as view:
        if view is not None:
            matched_q, owing_q = selection.queries(flt, requirements, day)
            return _counted(view, matched_q.subquery(), owing_q.subquery(), now, with_ids)
    found = selection.selected(flt, requirements)
    reminded: set[int] = set()
    emails: dict[int, str | None] = {}
    for start in range(0, len(found.owing), CHUNK):
        chunk = found.owing[start : start + CHUNK]
        reminded.update(
            session().scalars(_reminded_today(now).where(REMINDERS.c.staff_id.in_(chunk)))
        )
        # (A Result has keys(): dict.update would take it for a mapping.)
        emails.update(
            (row.id, row.email)
            for row in session().execute(
                sa.select(Staff.id, Staff.email).where(Staff.id.in_(chunk))
            )
        )
    no_email = {i for i in found.owing if i not in reminded and not (emails.get(i) or "").strip()}
    preview = NudgePreview(len(found.matched), len(found.owing), len(reminded), len(no_email))
    ids = [i for i in found.owing if i not in reminded and i not in no_email]
    return preview, ids if with_ids else []


#: People per statement when the evidence answers (a database's limit on parameters).
CHUNK = 1000


def _counted(
    view: Any, matched: sa.Subquery, owing: sa.Subquery, now: dt.datetime, with_ids: bool
) -> tuple[NudgePreview, list[int]]:
    reminded = _reminded_today(now).subquery()
    owe = sa.select(Staff.id, Staff.email).join(owing, owing.c.id == Staff.id).subquery()
    was_reminded = owe.c.id.in_(sa.select(reminded.c.staff_id))
    no_email = sa.or_(owe.c.email.is_(None), sa.func.trim(owe.c.email) == "")
    count = sa.func.count
    row = view.execute(
        sa.select(
            sa.select(count()).select_from(matched).scalar_subquery(),
            count(),
            count(sa.case((was_reminded, 1))),
            count(sa.case((sa.and_(sa.not_(was_reminded), no_email), 1))),
        ).select_from(owe)
    ).one()
    chosen = sa.select(owe.c.id).where(sa.not_(was_reminded), sa.not_(no_email))
    return NudgePreview(*row), list(view.scalars(chosen)) if with_ids else []


def preview_nudge(
    flt: PeopleFilter,
    now: dt.datetime | None = None,
    requirements: Sequence[compliance.Requirement] | None = None,
) -> NudgePreview:
    """How many people a nudge for ``flt`` would reach now, and who is left out (one query;
    ``requirements`` in force, when the caller has them already)."""
    return _chosen(flt, now or utcnow(), requirements)[0]


def describe(flt: PeopleFilter) -> str:
    """The filter in words, for HR's log: 'status overdue, department Child Protection'."""
    parts = [
        f"{name} {value}"
        for name, value in (
            ("status", compliance.LABELS.get(flt.status or "", "").lower() or None),
            ("department", flt.department),
            ("group", flt.group),
            ("manager", flt.manager),
            ("requirement", flt.requirement),
            ("name or email", flt.search or None),
        )
        if value
    ]
    return ", ".join(parts) or "everyone"


@dataclass(frozen=True)
class NudgePlan:
    """What :func:`plan_nudges` did."""

    preview: NudgePreview
    #: Rows this call added to the outbox (others may have added the same people meanwhile).
    planned: int


def plan_nudges(
    flt: PeopleFilter, actor: str, *, expected: int | None = None, now: dt.datetime | None = None
) -> NudgePlan:
    """Plan today's nudge for everyone ``flt`` reaches; an :class:`HREvent` then records
    who asked and how many were planned.

    With ``expected`` (the number HR confirmed), nothing is planned when the
    number changed since: :class:`NudgeChanged` says so. Any number of calls,
    at once on any number of hosts, plan each person's nudge once a day.
    """
    now = now or utcnow()
    day = today(now)
    preview, ids = _chosen(flt, now, with_ids=True)
    if expected is not None and preview.to_remind != expected:
        session().rollback()
        raise NudgeChanged(
            ngettext(
                "The list changed: %(num)s person would be reminded now, not %(expected)s. "
                "Nothing was sent: check the numbers and confirm again.",
                "The list changed: %(num)s people would be reminded now, not %(expected)s. "
                "Nothing was sent: check the numbers and confirm again.",
                preview.to_remind,
                expected=expected,
            )
        )
    token = str(uuid.uuid4())
    rows = [
        {
            "staff_id": staff_id,
            "requirement_kind": NUDGE,
            "requirement_id": 0,
            "cycle_due": day,
            "stage": NUDGE,
            "requested_by": actor,
        }
        for staff_id in ids
    ]
    planned = outbox.plan(rows, token, now) if rows else 0
    session().add(
        HREvent(
            actor=actor,
            action="reminder.nudge",
            detail=f"Asked to remind now: {describe(flt)}. {planned} reminder(s) planned; "
            f"{preview.reminded_today} already reminded today, {preview.no_email} without "
            "an email address.",
        )
    )
    session().commit()
    return NudgePlan(preview, planned)


class NudgeChanged(ValueError):
    """The people a confirmed nudge would reach changed between the preview and the click."""


@dataclass
class NudgeReport:
    """What one :func:`send_nudges` did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    given_up: int = 0
    returned: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True unless a send failed in this run."""
        return self.failed == 0

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        lines = [
            f"Reminders sent now (nudges): {self.sent}; no longer owing {self.skipped}; "
            f"failed {self.failed} ({self.given_up} given up); returned unsent {self.returned}."
        ]
        return lines + [f"  failed: {problem}" for problem in self.problems]


def send_nudges(now: dt.datetime | None = None) -> NudgeReport:
    """Claim the nudges waiting in the outbox and send each person their digest, once."""
    check_configuration()
    now = now or utcnow()
    report = NudgeReport()
    size = current_app.config["SMATTEST_MAIL_BATCH_SIZE"]
    while True:
        token = str(uuid.uuid4())
        rows = _claim(token, now, size)
        if not rows:
            break
        if not _send(rows, token, now, report) or len(rows) < size:
            break
    session().commit()
    return report


def _claim(token: str, now: dt.datetime, limit: int) -> list[sa.Row[Any]]:
    def claim() -> list[int]:
        ids = list(
            session().scalars(
                sa.select(REMINDERS.c.id)
                .where(outbox.due(REMINDERS, now), IS_NUDGE)
                .order_by(REMINDERS.c.id)
                .limit(limit)
            )
        )
        if ids:
            session().execute(
                sa.update(REMINDERS)
                .where(REMINDERS.c.id.in_(ids), outbox.due(REMINDERS, now))
                .values(status=outbox.SENDING, claim_token=token, claimed_at=now)
            )
        session().commit()
        return ids

    if not outbox.retry_on_deadlock(claim):
        return []
    return outbox.claimed(token, IS_NUDGE)


def _send(rows: list[sa.Row[Any]], token: str, now: dt.datetime, report: NudgeReport) -> bool:
    """Send one claimed batch; False when the mail server failed and the run must stop."""
    day = today(now)
    requirements = compliance.requirements(day)
    ids = sorted({row.staff_id for row in rows})
    people: dict[int, Any] = {
        p.id: p
        for p in session().execute(
            sa.select(Staff.id, Staff.full_name, Staff.email, Staff.active, Staff.language).where(
                Staff.id.in_(ids)
            )
        )
    }
    fresh: dict[int, list[compliance.Standing]] = {}
    for row, standing in due_read.standings(requirements, day, staff_ids=ids, evidence=True):
        fresh.setdefault(row.id, []).append(standing)
    with Delivery(REMINDERS, token, now) as delivery:
        for index, row in enumerate(rows):
            person = people[row.staff_id]
            # (Inside the delivery: its link context builds the requirements' links.)
            items = messages.owed(fresh.get(row.staff_id, []), day)
            if row.cycle_due != day:
                delivery.skip(row, "the day it was asked for has passed")
                continue
            if not person.active or not items:
                delivery.skip(row, "the person owes nothing now")
                continue
            problem = address_problem(person.email)
            if problem:
                delivery.fail([row], f"{problem}; correct it in the roster", True)
                continue
            mail = partial(messages.staff_reminder, person, items, day)
            listed = tuple(i.title for i in items)
            if not delivery.send([row], person.email, mail, listed, person.language):
                delivery.give_back(rows[index + 1 :])
                break
    report.sent += len(delivery.accepted)
    report.skipped += len(delivery.skipped)
    report.failed += delivery.failed
    report.given_up += delivery.given_up
    report.returned += delivery.returned
    report.problems += delivery.problems
    return delivery.broken is None
