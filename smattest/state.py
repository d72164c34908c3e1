"""smattest's per-app state and how to find it: the lowest layer beside config and db.

It imports nothing of smattest's above ``db``, so that the ``current_smattest``
proxy, the scheduler and every service can reach the state without pulling in
the extension, the blueprint or the CLI.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine
from werkzeug.local import LocalProxy


@dataclass
class State:
    """What smattest keeps for one app, at ``app.extensions["smattest"]``."""

    #: The ``SMAttest`` object that mounted smattest on the app.
    extension: object
    db: SQLAlchemy
    bind_key: str | None
    timezone: zoneinfo.ZoneInfo
    #: Warnings already logged by this process (each is logged once, not per request).
    warned: set[str] = field(default_factory=set)
    #: The signed-in person's preferred language (their ``language`` on the roster), asked
    #: by :mod:`smattest.i18n` when neither the host nor ``SMATTEST_LOCALE_SELECTOR`` chose.
    person_language: Callable[[], str | None] | None = None

    @property
    def engine(self) -> Engine:
        """The engine smattest's tables live on (the bind key's, or the default)."""
        return self.db.engines[self.bind_key]


def state_for(app: Flask) -> State:
    """smattest's state for ``app``, with a clear error when it was never mounted."""
    try:
        state: State = app.extensions["smattest"]
    except KeyError:
        raise RuntimeError(
            "smattest is not mounted on this app: call SMAttest(app, db=db)."
        ) from None
    return state


def current_app_object() -> Flask:
    """The app behind the ``current_app`` proxy: the sender of smattest's signals."""
    # current_app is typed as Flask but is a LocalProxy at run time.
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
