"""``flask smattest doctor``: what would go wrong in this intranet, each with its fix.

IT runs it once after mounting smattest (and after any change to the layout or
the settings). It renders My compliance through the host's layout for a
made-up person, inside a request of its own (nothing is written), and looks at
the settings, the mail server, the database and the scheduler. Each finding is
an error (something people would meet: a page without its content, mails with
dead links, a database behind the code) or a warning (worth a look). Exit 1 on
an error, 0 with warnings only.
"""

from __future__ import annotations

import re
import smtplib
import socket
from dataclasses import dataclass
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from flask import current_app, flash, g, render_template, url_for

from ..db import utcnow
from ..due import seal
from ..migrate import current_revision, head_revision
from ..models import Announcement, Checkpoint, HRSummary, Reminder, Staff
from ..people.identity import nameless_people
from ..proxies import current_smattest

ERROR = "error"
WARNING = "warning"

#: The flashed message the rendered page must show.
FLASH_PROBE = "smattest doctor: a flashed message"
#: Days after which a scheduler that ran once counts as stopped.
STOPPED_AFTER_DAYS = 2


@dataclass(frozen=True)
class Finding:
    """One thing that would go wrong, and how to fix it."""

    level: str
    what: str
    fix: str

    def line(self) -> str:
        """The finding as the command prints it."""
        return f"{self.level.upper()}: {self.what}\n  Fix: {self.fix}"


class _InlineCode(HTMLParser):
    """Inline ``<style>``, ``<script>`` without ``src``, ``style=`` and ``on*=`` attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.styles: list[int] = []
        self.scripts: list[int] = []
        self.attributes: list[tuple[int, str]] = []
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        names = dict(attrs)
        if tag == "style":
            self.styles.append(line)
        elif tag == "script" and not names.get("src"):
            self.scripts.append(line)
        elif tag == "link" and (names.get("rel") or "").lower() == "stylesheet":
            self.stylesheets.append(names.get("href") or "")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.attributes.append((line, f"{tag} {name}="))


def blocked_inline(setting: Any) -> tuple[bool, bool]:
    """Whether the chosen policy blocks inline (styles, scripts)."""
    if setting == "strict":
        return True, True
    if not isinstance(setting, str) or setting == "default":
        return False, False
    directives = {}
    for part in setting.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]

    def blocks(kind: str) -> bool:
        sources = directives.get(kind, directives.get("default-src"))
        return sources is not None and "'unsafe-inline'" not in sources

    return blocks("style-src"), blocks("script-src")


def _made_up_user() -> Any:
    """Someone signed in, as far as a layout can tell (Flask-Login's ``current_user``)."""
    return SimpleNamespace(
        is_authenticated=True,
        is_active=True,
        is_anonymous=False,
        id=0,
        name="Dana Example",
        full_name="Dana Example",
        email="dana.example@agency.example",
        get_id=lambda: "0",
        has_role=lambda role: False,
    )


def render_my_compliance() -> str:
    """My compliance for a made-up person, through the configured layout, with a flash."""
    prefix = current_app.config["SMATTEST_URL_PREFIX"].rstrip("/")
    with current_app.test_request_context(prefix + "/"):
        g._login_user = _made_up_user()
        flash(FLASH_PROBE, "info")
        staff = Staff(full_name="Dana Example", email="dana.example@agency.example", active=True)
        return render_template(
            "smattest/index.html",
            staff=staff,
            is_manager=False,
            is_hr=False,
            standings=[],
            summaries={},
            upcoming=[],
            receipts=[],
            completions=[],
        )


def check_layout() -> list[Finding]:
    """What the host's layout does to a smattest page."""
    config = current_app.config
    layout = config["SMATTEST_BASE_TEMPLATE"]
    try:
        page = render_my_compliance()
    except Exception as error:  # any template error is the finding
        return [
            Finding(
                ERROR,
                f"My compliance cannot be rendered in your layout {layout!r}: "
                f"{type(error).__name__}: {error}",
                "fix the layout (or SMATTEST_BASE_TEMPLATE) so that it renders with a "
                "signed-in user; the traceback: run the page in a browser with debug on.",
            )
        ]
    found = []
    title = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    if "<h1>My compliance</h1>" not in page:
        found.append(
            Finding(
                ERROR,
                f"your layout {layout!r} has no 'content' block: smattest's pages would be empty.",
                "add {% block content %}{% endblock %} where the page's main content goes.",
            )
        )
    if not title or "My compliance" not in title.group(1):
        found.append(
            Finding(
                WARNING,
                f"your layout {layout!r} does not put the 'title' block in <title>: every "
                "smattest page would have the same browser tab title.",
                "write <title>{% block title %}{% endblock %} - Intranet</title>.",
            )
        )
    code = _InlineCode()
    code.feed(page)
    sheet = url_for_static()
    if not any(href.endswith("smattest.css") for href in code.stylesheets):
        found.append(
            Finding(
                ERROR,
                f"smattest's stylesheet is not linked: your layout {layout!r} has no 'head' "
                "block, or replaces it without the link; smattest's pages would be unstyled.",
                "add {% block head %}{% endblock %} inside <head>, or link "
                f"{sheet} in your own <head>.",
            )
        )
    if FLASH_PROBE not in page:
        found.append(
            Finding(
                WARNING,
                "flashed messages are not shown: people would not see 'Recorded your "
                "signature' or a refusal's reason.",
                "render get_flashed_messages(with_categories=true) in your layout.",
            )
        )
    styles, scripts = blocked_inline(config["SMATTEST_CONTENT_SECURITY_POLICY"])
    setting = config["SMATTEST_CONTENT_SECURITY_POLICY"]
    if styles and (code.styles or any("style=" in a for _, a in code.attributes)):
        lines = code.styles + [n for n, a in code.attributes if a.endswith(" style=")]
        found.append(
            Finding(
                ERROR,
                f"your layout has inline style (page line {', '.join(map(str, lines[:5]))}) that "
                f"SMATTEST_CONTENT_SECURITY_POLICY = {setting!r} blocks: the header would "
                "lose its look on every smattest page.",
                "move the CSS to a static file, or keep the default policy ('default').",
            )
        )
    handlers = [n for n, a in code.attributes if not a.endswith(" style=")]
    if scripts and (code.scripts or handlers):
        lines = code.scripts + handlers
        found.append(
            Finding(
                ERROR,
                f"your layout has inline script (page line {', '.join(map(str, lines[:5]))}) "
                f"that SMATTEST_CONTENT_SECURITY_POLICY = {setting!r} blocks.",
                "move the script to a static file, or keep the default policy ('default').",
            )
        )
    return found


def url_for_static() -> str:
    """The stylesheet's path, for the fix's text."""
    prefix = current_app.config["SMATTEST_URL_PREFIX"].rstrip("/")
    with current_app.test_request_context(prefix + "/"):
        return url_for("smattest.static", filename="smattest.css")


def check_base_url() -> list[Finding]:
    """Reminder mails need absolute links that reach the intranet."""
    config = current_app.config
    base = config["SMATTEST_BASE_URL"]
    if not base:
        return [
            Finding(
                ERROR,
                "SMATTEST_BASE_URL is not set: reminder mails cannot link to the intranet "
                "('reminders send' refuses to run).",
                "set SMATTEST_BASE_URL to the intranet's address as people reach it, e.g. "
                "'https://intranet.agency.example'.",
            )
        ]
    server = config.get("SERVER_NAME")
    host = urlsplit(base).netloc
    if server and host.lower() != str(server).lower():
        return [
            Finding(
                WARNING,
                f"SMATTEST_BASE_URL ({base}) does not match SERVER_NAME ({server}): links in "
                "mails would point somewhere else than the pages.",
                "make them agree (SMATTEST_BASE_URL's host is SERVER_NAME).",
            )
        ]
    return []


def check_mail() -> list[Finding]:
    """The mail server answers within SMATTEST_SMTP_TIMEOUT (nothing is sent)."""
    config = current_app.config
    mail = current_app.extensions.get("mail")
    if getattr(mail, "suppress", config.get("MAIL_SUPPRESS_SEND", current_app.testing)):
        return [
            Finding(
                WARNING,
                "MAIL_SUPPRESS_SEND is on: no reminder, receipt or checkpoint leaves.",
                "set MAIL_SUPPRESS_SEND = False and MAIL_SERVER when going live.",
            )
        ]
    server = config.get("MAIL_SERVER") or "localhost"
    port = int(config.get("MAIL_PORT") or 25)
    timeout = config["SMATTEST_SMTP_TIMEOUT"]
    try:
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        with smtp_class(server, port, timeout=timeout) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as error:
        timed_out = isinstance(error, socket.timeout) or "timed out" in str(error)
        reason = "no answer" if timed_out or not str(error) else str(error)
        return [
            Finding(
                ERROR,
                f"the mail server {server}:{port} cannot be reached within "
                f"SMATTEST_SMTP_TIMEOUT ({timeout} s): {reason}.",
                "check MAIL_SERVER and MAIL_PORT, and that this host may connect to it.",
            )
        ]
    return []


def check_database() -> list[Finding]:
    """smattest's tables are at the newest migration."""
    engine = current_smattest.engine
    try:
        current = current_revision(engine)
    except sa.exc.SQLAlchemyError as error:
        return [
            Finding(
                ERROR,
                f"the database cannot be read: {error.__class__.__name__}: {error}",
                "check SQLALCHEMY_DATABASE_URI (or SMATTEST_BIND_KEY).",
            )
        ]
    head = head_revision(engine)
    if current != head:
        return [
            Finding(
                ERROR,
                f"smattest's tables are at migration {current or 'none'}, not {head}: pages "
                "would fail on missing tables or columns.",
                "run 'flask smattest db upgrade'.",
            )
        ]
    return []


def check_identity() -> list[Finding]:
    """People's names come from somewhere other than their email."""
    config = current_app.config
    fields = config["SMATTEST_USER_FIELDS"] or {}
    if "full_name" not in fields and not config.get("SMATTEST_PROFILE_LOADER"):
        return [
            Finding(
                WARNING,
                "SMATTEST_USER_FIELDS names no 'full_name' and no SMATTEST_PROFILE_LOADER is "
                "set: people who sign in before a roster import are named by their email, "
                "and their signature cannot be checked against a name.",
                "map 'full_name' to your user's name attribute, e.g. "
                "SMATTEST_USER_FIELDS = {'full_name': 'name', ...}, or import the roster.",
            )
        ]
    nameless = nameless_people()
    current_smattest.db.session.rollback()
    if nameless:
        return [
            Finding(
                WARNING,
                f"{len(nameless)} active people are named by their email or id (e.g. "
                f"{nameless[0].full_name}): the user object gives no name under "
                f"SMATTEST_USER_FIELDS['full_name'] ({fields.get('full_name')!r}).",
                "map 'full_name' to the attribute that holds the person's name, or set "
                "SMATTEST_PROFILE_LOADER, or import the roster.",
            )
        ]
    return []


def check_seal() -> list[Finding]:
    """The due-date table's seal has a secret key."""
    if seal.configured():
        return []
    return [
        Finding(
            WARNING,
            "neither SMATTEST_SEAL_KEY nor SECRET_KEY is set: the seal on the due-date "
            "table's rows uses a key anyone can read in smattest's source, so a row edited "
            "in the database would be shown on HR's pages until the daily compliance check.",
            "set SECRET_KEY (or SMATTEST_SEAL_KEY) to a long random secret in the app's "
            "configuration, out of the database administrators' reach.",
        )
    ]


def check_scheduler() -> list[Finding]:
    """The reminder job or the scheduler has run (and recently)."""
    session = current_smattest.db.session
    latest = [
        session.scalar(sa.select(sa.func.max(column)))
        for column in (
            Reminder.created_at,
            Announcement.created_at,
            HRSummary.created_at,
            Checkpoint.at,
        )
    ]
    session.rollback()
    ran = [moment for moment in latest if moment is not None]
    if not ran:
        return [
            Finding(
                WARNING,
                "the scheduler has never run: no reminder, announcement, HR summary or "
                "checkpoint was ever recorded.",
                "run 'flask smattest scheduler' as one long-running service, or "
                "'flask smattest reminders send' daily from cron.",
            )
        ]
    newest = max(moment.replace(tzinfo=moment.tzinfo or utcnow().tzinfo) for moment in ran)
    idle = (utcnow() - newest).days
    if idle >= STOPPED_AFTER_DAYS:
        return [
            Finding(
                WARNING,
                f"the scheduler last left a trace {idle} days ago: it may have stopped.",
                "check the 'flask smattest scheduler' service or the cron line.",
            )
        ]
    return []


def diagnose() -> list[Finding]:
    """Every finding, in the order IT fixes them."""
    findings: list[Finding] = []
    for check in (
        check_database,
        check_layout,
        check_base_url,
        check_identity,
        check_seal,
        check_mail,
        check_scheduler,
    ):
        findings += check()
    return findings


@click.command("doctor")
def doctor_command() -> None:
    """Check how smattest fits this intranet, and say how to fix what would go wrong.

    \b
    Renders My compliance through your layout for a made-up person (blocks,
    flashed messages, stylesheet, inline code the chosen policy blocks), and
    checks SMATTEST_BASE_URL, the mail server, the migrations, where names come
    from, and the scheduler. Writes nothing. Exit 1 on an error, 0 otherwise.
    """
    findings = diagnose()
    for finding in findings:
        click.echo(finding.line())
    errors = sum(1 for f in findings if f.level == ERROR)
    warnings = len(findings) - errors
    if not findings:
        click.echo("smattest doctor: everything checked is fine.")
    else:
        click.echo(f"smattest doctor: {errors} error(s), {warnings} warning(s).")
    if errors:
        raise SystemExit(1)
