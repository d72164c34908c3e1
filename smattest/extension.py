"""The ``SMAttest`` extension object: validates settings and mounts the blueprint and CLI."""

from __future__ import annotations

import logging
import zoneinfo

from flask import Flask
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy

import smattest.config as settings
import smattest.due.marks as due_marks

from .cli import smattest_cli
from .db import metadata
from .state import State, state_for
from .views import TEMPLATE_GLOBALS, blueprint, person_language, template_context

__all__ = ["SMAttest", "State", "state_for"]


class SMAttest:
    """Mounts smattest in a Flask app.

    Either ``SMAttest(app, db=db)``, or ``ext = SMAttest()`` then
    ``ext.init_app(app, db=db)`` in an app factory. ``db`` is the host's
    Flask-SQLAlchemy object; smattest uses its session.
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy | None = None) -> None:
        self.db = db
        if app is not None:
            self.init_app(app, db=db)

    def init_app(self, app: Flask, *, db: SQLAlchemy | None = None) -> None:
        """Validate the configuration, register the blueprint and the CLI group."""
        if "smattest" in app.extensions:
            raise RuntimeError(
                "smattest is already registered on this app; call init_app once per app."
            )
        db = db or self.db
        if db is None or "sqlalchemy" not in app.extensions:
            raise RuntimeError(
                "smattest needs the app's Flask-SQLAlchemy object: "
                "SMAttest(app, db=db) after db.init_app(app)."
            )
        if not hasattr(app, "login_manager"):
            raise RuntimeError(
                "smattest needs Flask-Login: create a LoginManager and call "
                "login_manager.init_app(app) before SMAttest."
            )
        settings.apply_defaults(app.config)
        settings.validate(app.config)
        bind_key = app.config["SMATTEST_BIND_KEY"]
        binds = app.config.get("SQLALCHEMY_BINDS") or {}
        if bind_key is not None and bind_key not in binds:
            raise settings.ConfigurationError(
                f"SMATTEST_BIND_KEY = {bind_key!r} is not valid: expected a key of "
                f"SQLALCHEMY_BINDS (have: {', '.join(map(repr, binds)) or 'none'})."
            )
        # Flask-SQLAlchemy picks the engine for a table from its metadata's
        # bind_key. One process mounts smattest with one bind key.
        metadata.info["bind_key"] = bind_key

        app.extensions["smattest"] = State(
            extension=self,
            db=db,
            bind_key=bind_key,
            timezone=zoneinfo.ZoneInfo(app.config["SMATTEST_TIMEZONE"]),
            person_language=person_language,
        )

        if "mail" not in app.extensions:
            # Flask-Mail's Message reads app.extensions["mail"]; a host Mail
            # initialised later simply takes this one's place.
            Mail().init_app(app)

        if "security" in app.extensions and app.config["SMATTEST_USER_ID"] is None:
            logging.getLogger("smattest.people.identity").warning(
                "Flask-Security is mounted and SMATTEST_USER_ID is not set: smattest would link "
                "people by get_id(), Flask-Security's fs_uniquifier, which changes on every "
                "password change. Set SMATTEST_USER_ID = lambda user: str(user.id)."
            )
        # Every change that moves a due date leaves a mark in its own transaction.
        due_marks.watch(db.session)
        app.register_blueprint(blueprint, url_prefix=app.config["SMATTEST_URL_PREFIX"])
        app.context_processor(template_context)
        app.jinja_env.globals.update(TEMPLATE_GLOBALS)
        app.cli.add_command(smattest_cli)

    def __repr__(self) -> str:
        return "<SMAttest>"
