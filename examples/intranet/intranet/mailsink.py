"""The demo's mail sink: every message Flask-Mail dispatches is kept and shown at /mail.

Sending is suppressed (``MAIL_SUPPRESS_SEND``), but Flask-Mail still emits
``email_dispatched`` for each message; the receiver stores it in
``intranet_sent_mail`` on its own connection, so a captured mail is kept
whatever the sender's transaction does afterwards.

The page also has a demo-only button that runs today's reminder job at once
(``smattest.reminders.run_reminders``), so its mails can be read here.
"""

from __future__ import annotations

import datetime as dt
from email.utils import formataddr

import sqlalchemy as sa
from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import login_required
from flask_mail import Message, email_dispatched

from smattest.mail import MailError
from smattest.reminders import ReminderError, run_reminders
from smattest.reminders.receipts import send_receipts

from .models import SentMail, db

blueprint = Blueprint("mailsink", __name__)


def _address(value: str | tuple[str, str] | None) -> str | None:
    if isinstance(value, tuple):
        return formataddr(value)
    return value


def record_mail(app: Flask, message: Message, **extra) -> None:
    """``email_dispatched`` receiver (Flask-Mail 0.10 sends the app as sender)."""
    addresses = [*message.recipients, *message.cc, *message.bcc]
    row = {
        "sent_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "sender": _address(message.sender),
        "recipients": ", ".join(_address(a) for a in addresses),
        "subject": message.subject or "",
        "body": message.body,
        "html": message.html,
    }
    try:
        with db.engine.begin() as connection:
            connection.execute(sa.insert(SentMail.__table__).values(**row))
    except sa.exc.SQLAlchemyError:
        # The demo's sink must not turn a sent mail into an error, but say so.
        app.logger.exception(
            "mail sink: could not record %r (has 'flask intranet seed' created the tables?)",
            row["subject"],
        )


def init_app(app: Flask) -> None:
    """Capture this app's outgoing mail and serve the /mail page."""
    email_dispatched.connect(record_mail, sender=app)
    app.register_blueprint(blueprint)


@blueprint.get("/mail")
@login_required
def index():
    """Every captured mail, newest first, after sending the receipts waiting in the outbox.

    Demo only: a real intranet runs ``flask smattest scheduler`` (its mail
    job sends receipts every minute) or ``flask smattest mail send`` from
    cron; here opening the page stands in for that job.
    """
    try:
        send_receipts()
    except (ReminderError, MailError) as error:
        flash(f"The mail job did not run: {error}", "error")
    mails = db.session.scalars(
        sa.select(SentMail).order_by(SentMail.sent_at.desc(), SentMail.id.desc())
    ).all()
    return render_template("intranet/mail.html", mails=mails)


@blueprint.post("/mail/run-reminders")
@login_required
def run_reminder_job():
    """Demo only: run today's reminder job now, as the scheduler would at 08:00.

    Anyone signed in may press it here; a real intranet leaves this to
    ``flask smattest scheduler`` or cron. Running it twice sends nothing twice.
    The CSRF token is checked by the app's ``CSRFProtect``, as for every form.
    """
    try:
        report = run_reminders()
    except (ReminderError, MailError) as error:
        flash(f"The reminder job did not run: {error}", "error")
    else:
        flash(str(report), "info")
    return redirect(url_for(".index"), 303)
