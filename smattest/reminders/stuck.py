"""Rows a run left in 'sending' (a crash, a killed process): listed for HR, never resent."""

from __future__ import annotations

import sqlalchemy as sa

import smattest.reminders.outbox as outbox

from ..models import Staff
from .context import RunContext
from .outbox import REMINDERS, SUMMARIES, session
from .report import StuckRow

#: At most this many stuck rows are listed one by one (all are counted).
STUCK_LISTED = 100


def find_stuck(run: RunContext) -> None:
    """Report rows left in 'sending' past SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES."""
    timeout = run.config["SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES"]
    reminders = (
        session()
        .execute(
            sa.select(REMINDERS, Staff.full_name)
            .join(Staff, Staff.id == REMINDERS.c.staff_id)
            .where(outbox.stuck(REMINDERS, run.now, timeout))
            .order_by(REMINDERS.c.claimed_at, REMINDERS.c.id)
        )
        .all()
    )
    summaries = (
        session()
        .execute(sa.select(SUMMARIES).where(outbox.stuck(SUMMARIES, run.now, timeout)))
        .all()
    )
    found = [
        StuckRow(
            "reminder",
            row.id,
            f"{row.full_name}, {run.title(row)}, {row.stage}",
            row.claimed_at,
        )
        for row in reminders
    ] + [
        StuckRow("summary", row.id, f"HR summary of the week of {row.week_start}", row.claimed_at)
        for row in summaries
    ]
    run.report.stuck_count = len(found)
    run.report.stuck = found[:STUCK_LISTED]
