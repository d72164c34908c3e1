"""HR's weekly summary: once per week, counted and sent through the outbox."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa
from flask_mail import Message

import smattest.reminders.messages as messages
import smattest.reminders.outbox as outbox
import smattest.rule.compliance as compliance

from ..config import WEEKDAYS
from ..mail import MailTemplates, address_problem
from ..models import HRSummary, Policy, PolicyVersion, Staff, VersionWithdrawal
from .context import RunContext
from .delivery import Delivery
from .hr import stage_label
from .outbox import REMINDERS, SUMMARIES, session
from .report import MailOut


def send_hr_summary(run: RunContext) -> None:
    """HR's weekly summary, once per week: on SMATTEST_HR_SUMMARY_WEEKDAY, or at the
    first later business day of the week if no run happened that day."""
    emails = list(run.config["SMATTEST_HR_EMAILS"])
    weekday = WEEKDAYS.index(run.config["SMATTEST_HR_SUMMARY_WEEKDAY"].lower())
    on_time = run.today.weekday() == weekday
    late = run.today.weekday() > weekday and run.report.business_day
    if not emails or not (on_time or late) or run.broken:
        return
    week_start = run.today - dt.timedelta(days=run.today.weekday())
    recipient = ", ".join(emails)
    status = session().scalar(
        sa.select(SUMMARIES.c.status).where(SUMMARIES.c.week_start == week_start)
    )
    if status not in (None, outbox.PENDING):
        return  # sent, given up, or being sent by another run
    if run.dry_run:
        run.report.mails.append(MailOut("hr", recipient, (), ("weekly summary",)))
        return
    if status is None:
        outbox.plan_summary(week_start, run.now)
    row = outbox.claim_summary(week_start, run.token, run.now)
    if row is None:
        return
    problems = [p for p in map(address_problem, emails) if p]
    with Delivery(SUMMARIES, run.token, run.now) as delivery:
        if problems:
            delivery.fail([row], "; ".join(problems) + " (SMATTEST_HR_EMAILS)", True)
        else:

            def summary(templates: MailTemplates) -> Message:
                run.find_stuck()
                return messages.hr_summary(emails, weekly_summary(run, week_start), templates)

            delivery.send([row], recipient, summary, ("weekly summary",))
    run.tally(delivery, HRSummary, "hr", "weekly")


def weekly_summary(run: RunContext, week_start: dt.date) -> messages.WeeklySummary:
    counts = []
    for r in run.requirements:
        tally = Counter(s.status for s in run.standings[(r.kind, r.id)].values())
        counts.append((r.title, {status: tally[status] for status in compliance.URGENCY}))
    week_ago = run.now - dt.timedelta(days=7)
    given_up = session().execute(
        sa.select(Staff.full_name, REMINDERS)
        .join(Staff, Staff.id == REMINDERS.c.staff_id)
        .where(REMINDERS.c.status == outbox.FAILED, REMINDERS.c.claimed_at >= week_ago)
        .order_by(REMINDERS.c.claimed_at.desc())
    )
    pending_with_errors = (
        session()
        .execute(
            sa.select(sa.func.count())
            .select_from(REMINDERS)
            .where(REMINDERS.c.status == outbox.PENDING, REMINDERS.c.last_error.is_not(None))
        )
        .scalar_one()
    )
    took_effect = session().execute(
        sa.select(Policy.title, PolicyVersion.number, PolicyVersion.effective_date,
                  PolicyVersion.requires_reattestation)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(
            PolicyVersion.id.not_in(sa.select(VersionWithdrawal.policy_version_id)),
            PolicyVersion.effective_date <= run.today,
            PolicyVersion.effective_date > run.today - dt.timedelta(days=7),
        )
        .order_by(PolicyVersion.effective_date, Policy.title)
    )  # fmt: skip
    return messages.WeeklySummary(
        took_effect=[
            (title, number, day, material) for title, number, day, material in took_effect
        ],
        week_start=week_start,
        today=run.today,
        counts=counts,
        given_up=[
            (r.full_name, run.title(r), stage_label(r.stage), r.last_error or "") for r in given_up
        ],  # fmt: skip
        stuck=[(row.description, row.claimed_at) for row in run.report.stuck],
        stuck_count=run.report.stuck_count,
        pending_with_errors=pending_with_errors,
    )
