"""smattest's own page when the database is lost mid-request: 503, saying what to check.

A connection the database dropped (a restart, a failover, an administrator's
``pg_terminate_backend``), a locked SQLite file past its busy timeout: the
request may or may not have been recorded, and the page says so, and where to
look (My compliance shows what was recorded), instead of the framework's bare
500. The host's own pages keep the host's error handling.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import render_template
from flask.typing import ResponseReturnValue

from ..proxies import current_smattest
from .base import blueprint

log = logging.getLogger("smattest.views")

#: Seconds a browser or proxy is told to wait before trying again.
RETRY_AFTER = 10


@blueprint.errorhandler(sa.exc.OperationalError)
@blueprint.errorhandler(sa.exc.InterfaceError)
def database_unavailable(error: sa.exc.DBAPIError) -> ResponseReturnValue:
    """The database could not answer: a 503 page that does not itself need the database."""
    log.error("database unavailable during a smattest request: %s", error)
    try:
        current_smattest.db.session.rollback()
    except Exception:  # the connection is gone; the session is discarded at teardown
        log.debug("rollback after a lost connection failed", exc_info=True)
    page = render_template(
        "smattest/error.html",
        heading="The service is briefly unavailable",
        paragraphs=[
            "The compliance database did not answer, so what you just did may or may not "
            "have been recorded.",
            "Open My compliance to see what is recorded, and if it is not there, try again in "
            "a moment.",
        ],
    )
    return page, 503, {"Retry-After": str(RETRY_AFTER)}
