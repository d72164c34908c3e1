"""The demo's mail sink: every message Flask-Mail dispatches is kept and shown at /mail.

Sending is suppressed (``MAIL_SUPPRESS_SEND``), but Flask-Mail still emits
``email_dispatched`` for each message; the receiver stores it in
``intranet_sent_mail`` on its own connection, so a captured mail is kept
whatever the sender's transaction does afterwards.
"""

from __future__ import annotations

import datetime as dt
from email.utils import formataddr

import sqlalchemy as sa
from flask import Blueprint, Flask, render_template
from flask_login import login_required
from flask_mail import Message, email_dispatched

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
    """Every captured mail, newest first."""
    mails = db.session.scalars(
        sa.select(SentMail).order_by(SentMail.sent_at.desc(), SentMail.id.desc())
    ).all()
    return render_template("intranet/mail.html", mails=mails)
