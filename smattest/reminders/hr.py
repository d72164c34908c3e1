"""HR's view of the outbox, and HR's decision on a row stuck in 'sending'.

A row stays ``sending`` when the run that claimed it died between claiming and
recording the result: the mail may or may not have gone out. smattest never
guesses; it reports the row (HR page, weekly summary, CLI) and HR decides:
*mark as sent* (it arrived) or *release* (send it again at the next run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

import smattest.reminders.outbox as outbox

from ..db import rowcount, utcnow
from ..i18n import SOURCE_LANGUAGE, gettext, in_language, lazy_gettext, ngettext
from ..models import COURSE, POLICY, Course, HREvent, HRSummary, Policy, Reminder, Staff
from ..models.outbox import RECEIPT_STAGE
from ..people.staff import names_of
from ..timeutil import to_local
from .cadence import escalation_level
from .outbox import REMINDERS, SUMMARIES, session
from .report import ReminderError

MARK_SENT, RELEASE = "mark_sent", "release"
ACTIONS = {MARK_SENT: lazy_gettext("Mark as sent"), RELEASE: lazy_gettext("Release to send again")}
KINDS = ("reminder", "summary")
#: An outbox row's status as a sentence names it ("it is sent").
STATUS_WORDS = {
    "pending": lazy_gettext("pending"),
    "sending": lazy_gettext("sending"),
    "sent": lazy_gettext("sent"),
    "failed": lazy_gettext("failed"),
    "skipped": lazy_gettext("skipped"),
}


def stage_label(stage: str) -> str:
    """A stage as HR reads it: '7 days before', 'overdue, reminder 2', 'manager told'."""
    if stage.startswith("before-"):
        days = int(stage.removeprefix("before-"))
        return ngettext("%(num)s day before", "%(num)s days before", days)
    if stage.startswith("overdue-"):
        return gettext("overdue, reminder %(number)s", number=stage.removeprefix("overdue-"))
    if stage.startswith(RECEIPT_STAGE):
        return gettext("receipt")
    if stage == outbox.NUDGE:
        return gettext("reminded now")
    level = escalation_level(stage)
    if level == 1:
        return gettext("manager told")
    if level:
        return gettext("manager %(level)s levels up told", level=level)
    return stage


@dataclass(frozen=True)
class OutboxRow:
    """One reminder row as the HR page lists it."""

    row: Reminder
    full_name: str
    requirement: str
    stage: str
    #: Who asked for a reminder now (a nudge), by name; None for every other row.
    asked_by: str | None = None


@dataclass(frozen=True)
class Section:
    """Some rows of one kind, and how many there are in all."""

    rows: list[OutboxRow]
    total: int


@dataclass(frozen=True)
class Overview:
    """Everything HR's reminders page shows."""

    stuck: Section
    stuck_summaries: list[HRSummary]
    given_up: Section
    failed_summaries: list[HRSummary]
    retrying: Section
    timeout_minutes: int


def _titles() -> dict[tuple[str, int], str]:
    titles = {(POLICY, i): t for i, t in session().execute(sa.select(Policy.id, Policy.title))}
    titles.update(
        {(COURSE, i): t for i, t in session().execute(sa.select(Course.id, Course.title))}
    )
    return titles


def _section(
    where: sa.ColumnElement[bool],
    order: Sequence[sa.SQLColumnExpression[Any]],
    limit: int,
    titles: dict[tuple[str, int], str],
) -> Section:
    rows = session().execute(
        sa.select(Reminder, Staff.full_name)
        .join(Staff, Staff.id == Reminder.staff_id)
        .where(where)
        .order_by(*order)
        .limit(limit)
    )
    total = (
        session()
        .execute(sa.select(sa.func.count()).select_from(Reminder).where(where))
        .scalar_one()
    )
    found = list(rows)
    askers = names_of(row.requested_by for row, _ in found)
    return Section(
        [
            OutboxRow(
                row,
                name,
                gettext("everything they owe")
                if row.stage == outbox.NUDGE
                else titles.get((row.requirement_kind, row.requirement_id), row.requirement_kind),
                stage_label(row.stage),
                askers.get(row.requested_by or ""),
            )
            for row, name in found
        ],
        total,
    )


def overview(limit: int = 50, now: dt.datetime | None = None) -> Overview:
    """Stuck, given-up and retrying rows, newest first, ``limit`` of each (the mails sent
    are :mod:`smattest.reminders.log`'s)."""
    now = now or utcnow()
    timeout = current_app.config["SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES"]
    titles = _titles()
    failed = Reminder.status == outbox.FAILED
    retrying = sa.and_(Reminder.status == outbox.PENDING, Reminder.last_error.is_not(None))
    return Overview(
        stuck=_section(
            outbox.stuck(REMINDERS, now, timeout), [Reminder.claimed_at, Reminder.id], limit, titles
        ),
        stuck_summaries=list(
            session().scalars(sa.select(HRSummary).where(outbox.stuck(SUMMARIES, now, timeout)))
        ),
        given_up=_section(failed, [Reminder.claimed_at.desc(), Reminder.id.desc()], limit, titles),
        failed_summaries=list(
            session().scalars(
                sa.select(HRSummary)
                .where(HRSummary.status == outbox.FAILED)
                .order_by(HRSummary.week_start.desc())
                .limit(limit)
            )
        ),
        retrying=_section(retrying, [Reminder.next_attempt_at, Reminder.id], limit, titles),
        timeout_minutes=timeout,
    )


def resolve_stuck(kind: str, row_id: int, action: str, actor: str) -> str:
    """HR's decision on a stuck row: ``mark_sent`` or ``release``; returns what was done.

    Only a row still stuck can be resolved: one the run finished in the
    meantime is left alone (:class:`ReminderError` says so). Records an
    ``HREvent`` (``reminder.mark_sent`` or ``reminder.release``) in the same
    transaction.
    """
    if kind not in KINDS or action not in ACTIONS:
        raise ReminderError(
            gettext("Choose 'mark as sent' or 'release to send again' for a stuck row.")
        )
    now = utcnow()
    table = REMINDERS if kind == "reminder" else SUMMARIES
    row: Reminder | HRSummary | None = (
        session().get(Reminder, row_id) if kind == "reminder" else session().get(HRSummary, row_id)
    )
    if row is None:
        raise ReminderError(
            gettext("There is no reminder %(id)s.", id=row_id)
            if kind == "reminder"
            else gettext("There is no summary %(id)s.", id=row_id)
        )
    timeout = current_app.config["SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES"]
    claimed = to_local(row.claimed_at).strftime("%Y-%m-%d %H:%M %Z") if row.claimed_at else "?"
    what, staff_id = _describe(row)
    with in_language(SOURCE_LANGUAGE):  # HR's action log keeps English, as recorded
        recorded, _ = _describe(row)
    if action == MARK_SENT:
        values = {
            "status": outbox.SENT,
            "sent_at": row.claimed_at,
            "recipient": row.recipient or _recipient(row),
            "last_error": f"Marked as sent by HR: it was stuck in 'sending' since {claimed}.",
        }
        done = f"Marked as sent: {recorded}."
        said = gettext("Marked as sent: %(what)s.", what=what)
    else:
        values = {
            "status": outbox.PENDING,
            "next_attempt_at": None,
            "last_error": f"Released by HR after being stuck in 'sending' since {claimed}; "
            "the next run sends it.",
        }
        done = f"Released: {recorded} goes out with the next run."
        said = gettext("Released: %(what)s goes out with the next run.", what=what)
    changed = session().execute(
        sa.update(table)
        .where(table.c.id == row_id, outbox.stuck(table, now, timeout))
        .values(**values)
    )
    if rowcount(changed) != 1:
        session().rollback()
        raise ReminderError(
            gettext(
                "%(what)s is no longer stuck (it is %(status)s): nothing changed.",
                what=what[0].upper() + what[1:],
                status=STATUS_WORDS.get(row.status, row.status),
            )
        )
    session().add(
        HREvent(
            actor=actor,
            action=f"reminder.{action}",
            staff_id=staff_id,
            detail=f"{done} It was stuck in 'sending' since {claimed}.",
        )
    )
    session().commit()
    return said


def _describe(row: Reminder | HRSummary) -> tuple[str, int | None]:
    if isinstance(row, HRSummary):
        return gettext(
            "the HR summary of the week of %(day)s", day=row.week_start.isoformat()
        ), None
    title = _titles().get((row.requirement_kind, row.requirement_id), row.requirement_kind)
    return (
        gettext(
            "the reminder to %(name)s (%(title)s, %(stage)s)",
            name=row.staff.full_name,
            title=title,
            stage=stage_label(row.stage),
        ),
        row.staff_id,
    )


def _recipient(row: Reminder | HRSummary) -> str | None:
    if isinstance(row, HRSummary):
        return ", ".join(current_app.config["SMATTEST_HR_EMAILS"]) or None
    if escalation_level(row.stage):
        return row.recipient or row.staff.manager_email
    return row.staff.email


#: HR's decisions on a whole group at once: (group, action) -> what the button says.
DISMISS = "dismiss"
BULK = {
    ("stuck", RELEASE): lazy_gettext("Release all to send again"),
    ("stuck", MARK_SENT): lazy_gettext("Mark all as sent"),
    ("given_up", RELEASE): lazy_gettext("Try all again"),
    ("given_up", DISMISS): lazy_gettext("Mark all as handled"),
}


def waiting_for_hr(now: dt.datetime | None = None) -> tuple[int, int]:
    """How many reminder rows are stuck in 'sending' and how many are given up, unhandled."""
    now = now or utcnow()
    timeout = current_app.config["SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES"]
    count = sa.select(sa.func.count()).select_from(REMINDERS)
    stuck = session().scalar(count.where(outbox.stuck(REMINDERS, now, timeout)))
    given_up = session().scalar(count.where(REMINDERS.c.status == outbox.FAILED))
    return int(stuck or 0), int(given_up or 0)


def resolve_all(group: str, action: str, expected: int, actor: str) -> str:
    """HR's one decision on every stuck (or given-up) reminder; returns what was done.

    ``expected`` is the number HR saw and confirmed: if the group changed
    since (a run finished, another HR person decided), nothing changes and
    :class:`ReminderError` says so. One ``HREvent`` records the decision and
    the number of rows, in the same transaction.
    """
    if (group, action) not in BULK:
        raise ReminderError(gettext("Choose one of the buttons under the list."))
    now = utcnow()
    timeout = current_app.config["SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES"]
    where = (
        outbox.stuck(REMINDERS, now, timeout)
        if group == "stuck"
        else REMINDERS.c.status == outbox.FAILED
    )
    found = int(
        session().scalar(sa.select(sa.func.count()).select_from(REMINDERS).where(where)) or 0
    )
    noun = "stuck in 'sending'" if group == "stuck" else "given up"
    if found != expected:
        raise ReminderError(
            ngettext(
                "The list changed: %(num)s reminder is stuck in 'sending' now, not "
                "%(expected)s. Nothing was changed: check the list and confirm again.",
                "The list changed: %(num)s reminders are stuck in 'sending' now, not "
                "%(expected)s. Nothing was changed: check the list and confirm again.",
                found,
                expected=expected,
            )
            if group == "stuck"
            else ngettext(
                "The list changed: %(num)s reminder is given up now, not %(expected)s. "
                "Nothing was changed: check the list and confirm again.",
                "The list changed: %(num)s reminders are given up now, not %(expected)s. "
                "Nothing was changed: check the list and confirm again.",
                found,
                expected=expected,
            )
        )
    when = to_local(now).strftime("%Y-%m-%d %H:%M %Z")
    values: dict[str, Any]
    if action == MARK_SENT:
        values = {
            "status": outbox.SENT,
            "sent_at": REMINDERS.c.claimed_at,
            "last_error": f"Marked as sent by HR on {when} with every stuck reminder.",
        }
        done = f"Marked {found} stuck reminder(s) as sent."
        said = ngettext(
            "Marked %(num)s stuck reminder as sent.",
            "Marked %(num)s stuck reminders as sent.",
            found,
        )
    elif action == RELEASE:
        values = {
            "status": outbox.PENDING,
            "next_attempt_at": None,
            "last_error": f"Released by HR on {when}; the next run sends it.",
        }
        if group == "given_up":
            values["attempts"] = 0
        done = f"Released {found} reminder(s) {noun}: the next run sends them."
        said = (
            ngettext(
                "Released %(num)s reminder stuck in 'sending': the next run sends it.",
                "Released %(num)s reminders stuck in 'sending': the next run sends them.",
                found,
            )
            if group == "stuck"
            else ngettext(
                "Released %(num)s given-up reminder: the next run sends it.",
                "Released %(num)s given-up reminders: the next run sends them.",
                found,
            )
        )
    else:
        values = {
            "status": outbox.SKIPPED,
            "last_error": f"Given up, then marked as handled by HR on {when}.",
        }
        done = f"Marked {found} given-up reminder(s) as handled."
        said = ngettext(
            "Marked %(num)s given-up reminder as handled.",
            "Marked %(num)s given-up reminders as handled.",
            found,
        )
    changed = rowcount(session().execute(sa.update(REMINDERS).where(where).values(**values)))
    if changed != found:
        session().rollback()
        raise ReminderError(gettext("The list changed while it was updated: nothing was changed."))
    session().add(
        HREvent(actor=actor, action=f"reminder.bulk_{action}", detail=f"{done} ({group})")
    )
    session().commit()
    return said
