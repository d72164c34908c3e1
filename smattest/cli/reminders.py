"""``flask smattest reminders ...``: send the reminders due now, once (cron, timers)."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Any

import click
import sqlalchemy as sa

import smattest.reminders.nudge as nudge
import smattest.reports.people_table as people_table
import smattest.rule.compliance as compliance

from ..mail import MailError
from ..reminders import ReminderError, run_reminders
from ..reminders.hr import waiting_for_hr
from ..reminders.receipts import check_configuration
from .params import Group, database_refused

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
    except sa.exc.DBAPIError as error:
        raise database_refused("No reminders sent", error) from None
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


@reminders_cli.command("nudge")
@click.option(
    "--status",
    help="Only people with this status: due_soon or overdue (current and exempt people "
    "owe nothing, so nobody is reminded).",
)
@click.option("--department", help="Only people of this department, e.g. 'Child Protection'.")
@click.option("--group", help="Only people of this roster group, e.g. 'nurses'.")
@click.option("--manager", help="Only people whose manager has this email, or part of this name.")
@click.option(
    "--requirement",
    metavar="policy:SLUG|course:SLUG",
    help="Only what people owe for this requirement, e.g. policy:social-media.",
)
@click.option(
    "--actor",
    help="Who asks, for the reminders log (default: cli:<your account>), e.g. your user "
    "id in the intranet.",
)
@click.option("--dry-run", is_flag=True, help="Say how many would be reminded; send nothing.")
def reminders_nudge(
    status: str | None,
    department: str | None,
    group: str | None,
    manager: str | None,
    requirement: str | None,
    actor: str | None,
    dry_run: bool,
) -> None:
    """Remind now everyone the filters match who owes something, then send the mails.

    The same as "Remind these people now" on HR's People page. Each person
    gets at most one such reminder a day, however often (or on however many
    hosts at once) this runs: people already reminded today are left out and
    counted. The reminders go out through the outbox, like 'flask smattest
    mail send', and are listed in the reminders log with who asked. Exit
    status 1 when a mail could not be sent (the mail job retries it).
    """
    args = {
        "status": status,
        "department": department,
        "group": group,
        "manager": manager,
        "requirement": requirement,
    }
    try:
        flt = people_table.parse_filter(
            {k: v for k, v in args.items() if v}, compliance.requirements(), people_table.HR_FIELDS
        )
    except people_table.FilterError as problem:
        raise click.UsageError(str(problem)) from None
    if dry_run:
        preview = nudge.preview_nudge(flt)
        click.echo(_preview_line(preview, "would be reminded now"))
        return
    try:
        check_configuration()  # before anything is planned
        plan = nudge.plan_nudges(flt, actor or _who())
        report = nudge.send_nudges()
    except (ReminderError, MailError) as error:
        raise click.ClickException(f"No reminders sent: {error}") from None
    click.echo(_preview_line(plan.preview, f"planned now ({plan.planned} new)"))
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(EXIT_SEND_FAILED)


def _preview_line(preview: Any, what: str) -> str:
    return (
        f"Matching: {preview.matching}; owing something: {preview.owing}; already reminded "
        f"today: {preview.reminded_today}; no email: {preview.no_email}; {what}: "
        f"{preview.to_remind}."
    )


def _who() -> str:
    """``cli:<account>``: who runs the command, as HR's log names it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no account name in a bare container
        return "cli"
