"""``flask smattest mail send``: send the mails waiting in the outbox (receipts, nudges), once."""

from __future__ import annotations

import click
import sqlalchemy as sa

from ..mail import MailError
from ..reminders import ReminderError
from ..reminders.hr import waiting_for_hr
from ..reminders.nudge import send_nudges
from ..reminders.receipts import send_receipts
from .params import Group, database_refused
from .reminders import EXIT_NEEDS_HR, EXIT_SEND_FAILED


@click.group("mail", cls=Group)
def mail_cli() -> None:
    """The outbox: mails planned by the web pages (receipts, reminders HR asked to send
    now), sent outside any request."""


@mail_cli.command("send")
def mail_send() -> None:
    """Send the receipts and the reminders HR asked to send now, each once.

    Signing a policy plans its receipt in the same transaction, and "Remind
    these people now" (or 'flask smattest reminders nudge') plans one reminder
    per person for the day; this command
    (or the scheduler's 'mail' job, every SMATTEST_MAIL_SEND_EVERY_MINUTES)
    sends it. Run it every minute from cron or a systemd timer if you do not
    run 'flask smattest scheduler'. Exit status, as for 'reminders send': 1
    when a mail could not be sent (it is retried by later runs, up to
    SMATTEST_REMINDER_MAX_ATTEMPTS, then listed for HR on the Reminders page);
    3 while mails are stuck in 'sending' or given up, until HR decides on them
    (3 wins over 1); one line, exit 1, when the database cannot be written.
    """
    try:
        report = send_receipts()
        nudges = send_nudges()
        stuck, given_up = waiting_for_hr()
    except (ReminderError, MailError) as error:
        raise click.ClickException(f"No mail sent: {error}") from None
    except sa.exc.DBAPIError as error:
        raise database_refused("No mail sent", error) from None
    for line in report.lines() + nudges.lines():
        click.echo(line)
    if stuck or given_up:
        click.echo(
            f"Waiting for HR: {stuck} stuck in 'sending', {given_up} given up; decide on them "
            "on the Reminders page (/hr/reminders). Exit status 3 until then."
        )
        raise SystemExit(EXIT_NEEDS_HR)
    if not report.ok or not nudges.ok:
        raise SystemExit(EXIT_SEND_FAILED)
