"""``flask smattest reminders ...``: send the reminders due now, once (cron, timers)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from ..mail import MailError
from ..reminders import ReminderError, run_reminders
from ..reminders.hr import waiting_for_hr
from .params import Group

if TYPE_CHECKING:
    _DateTimeParamType = click.ParamType[dt.datetime, str | dt.datetime]
else:  # click's ParamType is generic for type checkers only (and not in older clicks)
    _DateTimeParamType = click.ParamType


#: Exit statuses of ``reminders send``: a send failed in this run (retried later) ...
EXIT_SEND_FAILED = 1
#: ... or reminders stuck in 'sending' or given up wait for HR's decision.
EXIT_NEEDS_HR = 3


class LocalDateTime(_DateTimeParamType):
    """An ISO date-time; without an offset it is local time in SMATTEST_TIMEZONE."""

    name = "ISO-DATETIME"

    def convert(
        self, value: str | dt.datetime, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            # Naive stays naive: run_reminders reads it as local time (the app's
            # time zone is not known while options are parsed).
            return dt.datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not a date and time: write it as YYYY-MM-DDTHH:MM, "
                "e.g. 2026-03-02T08:00 (local time) or 2026-03-02T08:00+00:00."
            )


@click.group("reminders", cls=Group)
def reminders_cli() -> None:
    """Email people what they owe, their managers what is overdue, HR a weekly summary."""


@reminders_cli.command("send")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print who would get which reminder; write nothing and send nothing.",
)
@click.option(
    "--now",
    type=LocalDateTime(),
    help="Act as if it were this moment (default: now). Without an offset it is local "
    "time in SMATTEST_TIMEZONE, e.g. 2026-03-02T08:00.",
)
def reminders_send(dry_run: bool, now: dt.datetime | None) -> None:
    """Plan and send the reminders due now, once.

    Run it from cron, a systemd timer or a Kubernetes CronJob, on as many
    hosts as you like: the database makes sure each reminder goes out once.
    Exit status, so that cron, systemd or Kubernetes alert someone: 0 all
    well; 1 a mail could not be sent in this run (it is retried by later
    runs, up to SMATTEST_REMINDER_MAX_ATTEMPTS); 3 while reminders are stuck
    in 'sending' past SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES or given up,
    until HR decides on them on the Reminders page (3 wins over 1).
    """
    try:
        report = run_reminders(now, dry_run=dry_run)
    except (ReminderError, MailError) as error:
        raise click.ClickException(f"No reminders sent: {error}") from None
    for line in report.lines():
        click.echo(line)
    stuck, given_up = waiting_for_hr(report.now)
    if stuck or given_up:
        click.echo(
            f"Waiting for HR: {stuck} stuck in 'sending', {given_up} given up; decide on them "
            "on the Reminders page (/hr/reminders). Exit status 3 until then."
        )
        raise SystemExit(EXIT_NEEDS_HR)
    if not report.ok:
        raise SystemExit(EXIT_SEND_FAILED)
