"""Sending smattest's emails with Flask-Mail (the host's ``Mail`` when it has one)."""

from __future__ import annotations

import email.policy
import logging
import re
import secrets
import smtplib
from collections.abc import Iterable
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Any, Protocol

from flask import current_app
from flask_mail import Connection, Message, sanitize_address, sanitize_addresses, sanitize_subject
from jinja2 import Template

log = logging.getLogger("smattest.mail")


class MailError(RuntimeError):
    """smattest cannot send mail as configured; the message says what to set."""


class MailState(Protocol):
    """What smattest uses of the Flask-Mail state in ``app.extensions["mail"]``."""

    default_sender: str | None
    suppress: bool

    def connect(self) -> Connection: ...


def mail_state() -> MailState:
    """The app's Flask-Mail state (the host's, or the one smattest registered)."""
    state: MailState = current_app.extensions["mail"]
    if not state.default_sender:
        raise MailError("MAIL_DEFAULT_SENDER is not set: smattest needs it to send email.")
    return state


#: The classic generator's policy with SMTP's line ends: the same bytes on the wire as
#: ``email.policy.SMTP`` gives for smattest's ASCII-only headers (Flask-Mail's sanitising
#: encodes every other), without parsing every header again on each read.
_WIRE = email.policy.compat32.clone(linesep="\r\n")


class MailMessage(Message):
    """Flask-Mail's message with a text and an HTML part, serialised for a batch.

    Flask-Mail wraps the two parts in a ``multipart/mixed`` inside which sits
    the ``multipart/alternative``, and serialises with ``email.policy.SMTP``,
    which parses every header again each time the generator reads it, and
    compiles a regular expression per message to check its boundary against
    the text: together about two thirds of the time a mail took. This sends
    the same parts and headers as one ``multipart/alternative`` with a random
    128-bit boundary, through the classic generator. Anything else (an
    attachment, a copy) goes Flask-Mail's way.
    """

    def as_bytes(self) -> bytes:
        if self.attachments or self.cc or self.bcc or self.extra_headers or not self.html:
            return super().as_bytes()
        charset = self.charset or "utf-8"
        mime = MIMEMultipart("alternative", boundary=f"=_smattest_{secrets.token_hex(16)}")
        mime.attach(MIMEText(self.body or "", "plain", charset))
        mime.attach(MIMEText(self.html, "html", charset))
        if self.subject:
            # A subject in another language is encoded (RFC 2047) from its first line:
            # Flask-Mail's encoded string is folded onto a line of its own, which
            # readers show with a leading space.
            if self.subject.isascii():
                mime["Subject"] = sanitize_subject(self.subject, charset)
            else:
                # typeshed types a message's headers as str; email takes a Header too.
                mime["Subject"] = Header(self.subject, charset)  # type: ignore[assignment]
        assert self.sender is not None  # Connection.send checked it
        mime["From"] = sanitize_address(self.sender, charset)
        mime["To"] = ", ".join(sorted(set(sanitize_addresses(self.recipients, charset))))
        mime["Date"] = formatdate(self.date, localtime=True)
        mime["Message-ID"] = self.msgId
        if self.reply_to:
            mime["Reply-To"] = sanitize_address(self.reply_to, charset)
        return mime.as_bytes(policy=_WIRE)


class MailTemplates:
    """smattest's mail templates, looked up and compiled once for a batch of mails.

    ``render_template`` finds the template and runs every context processor
    (smattest's and the host's) for each call; a batch of hundreds of mails
    does that once here: each ``smattest/mail/<name>.txt`` and ``.html`` is
    fetched from the app's Jinja environment on first use (a host's override
    wins, as for pages), and the context processors' names are gathered when
    the object is made. Make it inside the request context the links are built in.
    """

    def __init__(self) -> None:
        self._env = current_app.jinja_env
        self._names: dict[str, Any] = {}
        current_app.update_template_context(self._names)
        self._found: dict[str, tuple[Template, Template]] = {}

    def _pair(self, template: str) -> tuple[Template, Template]:
        pair = self._found.get(template)
        if pair is None:
            pair = (
                self._env.get_template(f"smattest/mail/{template}.txt"),
                self._env.get_template(f"smattest/mail/{template}.html"),
            )
            self._found[template] = pair
        return pair

    def compose(self, template: str, subject: str, recipient: str, **context: Any) -> Message:
        """A message with a text part and an HTML part from ``smattest/mail/<template>``."""
        text, html = self._pair(template)
        names = {**self._names, **context}
        return MailMessage(
            subject=subject,
            recipients=[recipient],
            body=text.render(names),
            html=html.render(names),
        )


def compose(template: str, subject: str, recipient: str, **context: Any) -> Message:
    """One message from ``smattest/mail/<template>`` (a batch uses :class:`MailTemplates`)."""
    return MailTemplates().compose(template, subject, recipient, **context)


class TimedConnection(Connection):
    """Flask-Mail's connection, opened with ``SMATTEST_SMTP_TIMEOUT`` on its socket.

    Flask-Mail connects with no timeout: a mail server that accepts the
    connection and never answers would hold the sender forever. With the
    timeout, connecting, the greeting and every later read give up after that
    many seconds (a ``TimeoutError``), and the batch records the failure.
    """

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = current_app.config["SMATTEST_SMTP_TIMEOUT"]
        mail = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def connect() -> TimedConnection:
    """A connection to the mail server with smattest's timeout (enter it to open it)."""
    return TimedConnection(mail_state())  # type: ignore[arg-type]  # Mail's state serves


def send(messages: Iterable[Message]) -> None:
    """Send ``messages`` over one SMTP connection."""
    with connect() as connection:
        for message in messages:
            connection.send(message)


#: A plain address as smattest accepts it for sending: no display name, no spaces,
#: no line breaks (header injection), one @, and a domain of letters, digits and hyphens.
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def address_problem(address: str | None) -> str | None:
    """Why ``address`` cannot be sent to, in one sentence, or None when it can."""
    if not address or not address.strip():
        return "there is no email address on record"
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        return f"{address!r} is not a valid email address"
    local = address.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return f"{address!r} is not a valid email address"
    return None


class Batch:
    """One SMTP connection for a batch of messages, opened lazily, closed quietly.

    ``send`` raises what the server or the socket raised; afterwards
    ``broken`` tells whether the connection is gone (the server dropped it, or
    answered 421), in which case nothing more can go over it.
    """

    def __init__(self) -> None:
        self._state = mail_state()
        self._connection: Connection | None = None

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, message: Message) -> None:
        """Send ``message``, opening the connection first if needed."""
        if self._connection is None:
            connection = TimedConnection(self._state)  # type: ignore[arg-type]
            self._connection = connection
            connection.__enter__()
        self._connection.send(message)

    @property
    def broken(self) -> bool:
        """Whether the connection was opened and is no longer usable."""
        if self._connection is None or self._state.suppress:
            return False
        return getattr(self._connection.host, "sock", None) is None

    def close(self) -> None:
        """Say QUIT if the connection is still up; a dead one is simply dropped."""
        connection, self._connection = self._connection, None
        if connection is None or connection.host is None:
            return
        try:
            connection.host.quit()
        except (smtplib.SMTPException, OSError):
            connection.host.close()


def describe_error(error: BaseException) -> str:
    """What went wrong with a send, in words HR and IT can act on."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(
            f"{address}: {code} {_text(message)}"
            for address, (code, message) in error.recipients.items()
        )
        return f"the mail server refused the recipient ({answers})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the mail server answered {error.smtp_code} {_text(error.smtp_error)}"
    timed_out = isinstance(error, TimeoutError) or (
        # smtplib turns a read that timed out into a disconnection.
        isinstance(error, smtplib.SMTPServerDisconnected) and "timed out" in str(error)
    )
    if timed_out:
        seconds = current_app.config["SMATTEST_SMTP_TIMEOUT"]
        return f"the mail server did not answer within {seconds} seconds (SMATTEST_SMTP_TIMEOUT)"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"the mail server closed the connection ({error or 'no reason given'})"
    if isinstance(error, smtplib.SMTPException):
        return f"the mail server failed: {error}"
    if isinstance(error, OSError):
        config = current_app.config
        where = f"{config.get('MAIL_SERVER', 'localhost')}:{config.get('MAIL_PORT', 25)}"
        return f"cannot reach the mail server at {where} ({error.strerror or error})"
    return f"{type(error).__name__}: {error}"


def _text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
