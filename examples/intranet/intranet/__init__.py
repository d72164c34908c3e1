"""Riverside County DSS's demo intranet, with smattest mounted the way IT would mount it.

Run it from the repository root::

    flask --app examples/intranet/intranet smattest db upgrade
    flask --app examples/intranet/intranet intranet seed
    flask --app examples/intranet/intranet run
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

import sqlalchemy as sa
from flask import Flask, render_template
from flask_login import login_required
from flask_mail import Mail
from flask_wtf import CSRFProtect

from smattest import SMAttest

from . import auth, mailsink
from .cli import intranet_cli
from .models import SentMail, User, db, login_manager

__all__ = ["SentMail", "User", "create_app", "db", "login_manager"]


def _sqlite_pragmas(connection, record) -> None:
    """What we recommend to IT for SQLite: concurrent readers, waiting writers, real FKs."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_app(config: dict | None = None) -> Flask:
    """The intranet app; ``config`` overrides every default (tests pass their database)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="demo-only-not-secret",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "intranet.sqlite"),
        MAIL_SUPPRESS_SEND=True,
        MAIL_DEFAULT_SENDER="Compliance <compliance@riverside.example>",
    )
    app.config.update(config or {})
    if "SQLALCHEMY_DATABASE_URI" not in (config or {}):
        os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault("SMATTEST_BASE_TEMPLATE", "intranet/layout.html")
    app.config.setdefault("SMATTEST_TIMEZONE", "America/Chicago")
    # Reminder mails link back here; a real intranet sets its own address. `make demo
    # PORT=5222` sets SMATTEST_BASE_URL in the environment from the port it serves on.
    app.config.setdefault(
        "SMATTEST_BASE_URL", os.environ.get("SMATTEST_BASE_URL") or "http://127.0.0.1:5000"
    )
    # The layout keeps its CSS in a static file and has no inline script, so the demo
    # runs under the strict policy (default-src 'self'); see docs/mounting.md.
    app.config.setdefault("SMATTEST_CONTENT_SECURITY_POLICY", "strict")
    # Every day is a reminder day here, so the demo's "Run the reminder job now" has mail
    # to show at weekends too; an agency keeps the default, Monday to Friday.
    app.config.setdefault(
        "SMATTEST_BUSINESS_DAYS", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    )

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
    login_manager.init_app(app)
    CSRFProtect(app)
    Mail(app)  # reads MAIL_SUPPRESS_SEND now, so after the config is final
    SMAttest(app, db=db)

    app.register_blueprint(auth.blueprint)
    mailsink.init_app(app)
    app.cli.add_command(intranet_cli)
    timezone = zoneinfo.ZoneInfo(app.config["SMATTEST_TIMEZONE"])

    @app.template_filter("local_time")
    def local_time(moment: dt.datetime) -> str:
        """A naive-UTC time as the agency reads it, e.g. '21 Nov 2025, 08:10 CST'."""
        local = moment.replace(tzinfo=dt.UTC).astimezone(timezone)
        return local.strftime("%d %b %Y, %H:%M %Z")

    @app.get("/")
    @login_required
    def home():
        return render_template("intranet/home.html")

    return app
