"""``flask smattest mail send``: send the mails waiting in the outbox (receipts, nudges), once."""

from __future__ import annotations

import click

from ..mail import MailError
from ..reminders import ReminderError
from ..reminders.nudge import send_nudges
from ..reminders.receipts import send_receipts
from .params import Group


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
    run 'flask smattest scheduler'. Exits 1 when a mail could not be sent: it
    is retried by later runs, up to SMATTEST_REMINDER_MAX_ATTEMPTS, then
    listed for HR on the Reminders page.
    """
    try:
        report = send_receipts()
        nudges = send_nudges()
    except (ReminderError, MailError) as error:
        raise click.ClickException(f"No mail sent: {error}") from None
    for line in report.lines() + nudges.lines():
        click.echo(line)
    if not report.ok or not nudges.ok:
        raise SystemExit(1)
