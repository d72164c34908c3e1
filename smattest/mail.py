"""Sending smattest's emails with Flask-Mail (the host's ``Mail`` when it has one)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app, render_template
from flask_mail import Message

log = logging.getLogger("smattest.mail")


class MailError(RuntimeError):
    """smattest cannot send mail as configured; the message says what to set."""


def mail_state():
    """The app's Flask-Mail state (the host's, or the one smattest registered)."""
    state = current_app.extensions["mail"]
    if not state.default_sender:
        raise MailError("MAIL_DEFAULT_SENDER is not set: smattest needs it to send email.")
    return state


def compose(template: str, subject: str, recipient: str, **context) -> Message:
    """A message with a text part and an HTML part from ``smattest/mail/<template>``."""
    return Message(
        subject=subject,
        recipients=[recipient],
        body=render_template(f"smattest/mail/{template}.txt", **context),
        html=render_template(f"smattest/mail/{template}.html", **context),
    )


def send(messages: Iterable[Message]) -> None:
    """Send ``messages`` over one SMTP connection."""
    with mail_state().connect() as connection:
        for message in messages:
            connection.send(message)
