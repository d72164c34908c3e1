"""smattest's own page when the database is lost mid-request: 503, saying what to check.

A connection the database dropped (a restart, a failover, an administrator's
``pg_terminate_backend``), a locked SQLite file past its busy timeout: the
request may or may not have been recorded, and the page says so, and where to
look (My compliance shows what was recorded), instead of the framework's bare
500. The host's own pages keep the host's error handling.

A connection can also be lost after the page is rendered, while the request's
transaction is ended: on smattest's pages a transaction that only read is
ended before the response leaves (a failure there is this 503 page), and the
session's teardown never lets a lost connection's error escape as the
server's bare 500. A receipt, reached right after a signature committed,
retries its read once, and its 503 page says the signature is recorded.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Response, g, render_template, request, session
from flask.blueprints import BlueprintSetupState
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue

from ..i18n import gettext
from ..proxies import current_smattest
from .base import blueprint

log = logging.getLogger("smattest.views")

#: Seconds a browser or proxy is told to wait before trying again.
RETRY_AFTER = 10


#: What a lost connection raises: the driver's errors as SQLAlchemy wraps them.
LOST = (sa.exc.OperationalError, sa.exc.InterfaceError)

#: The flash message category of a signature just recorded (see the signing view).
RECORDED = "success"


@blueprint.errorhandler(sa.exc.OperationalError)
@blueprint.errorhandler(sa.exc.InterfaceError)
def database_unavailable(error: sa.exc.DBAPIError) -> ResponseReturnValue:
    """The database could not answer: a 503 page that does not itself need the database."""
    log.error("database unavailable during a smattest request: %s", error)
    try:
        current_smattest.db.session.rollback()
    except Exception:  # the connection is gone; the session is discarded at teardown
        log.debug("rollback after a lost connection failed", exc_info=True)
    return unavailable_page()


def unavailable_page() -> tuple[str, int, dict[str, str]]:
    """The 503 page; on a receipt reached right after signing, it says the signature stands."""
    if request.endpoint == "smattest.receipt" and _just_recorded():
        number = (request.view_args or {}).get("number")
        paragraphs = [
            gettext(
                "Your signature is recorded (receipt number %(number)s): the compliance "
                "database did not answer when this page asked for the receipt, so it cannot be "
                "shown now.",
                number=number,
            ),
            gettext(
                "Open this page again in a moment to see and print the receipt; My compliance "
                "also lists it. A copy is emailed to you."
            ),
        ]
    else:
        paragraphs = [
            gettext(
                "The compliance database did not answer, so what you just did may or may not "
                "have been recorded."
            ),
            gettext(
                "Open My compliance to see what is recorded, and if it is not there, try again "
                "in a moment."
            ),
        ]
    page = render_template(
        "smattest/error.html",
        heading=gettext("The service is briefly unavailable"),
        paragraphs=paragraphs,
    )
    return page, 503, {"Retry-After": str(RETRY_AFTER)}


def _just_recorded() -> bool:
    """Whether the signing view's "recorded" message waits for this page (in the cookie)."""
    return any(category == RECORDED for category, _ in session.get("_flashes", []))


@blueprint.after_request
def _end_read_only_transaction(response: Response) -> Response:
    """End a transaction that only read, before the response leaves, where a lost
    connection can still be answered with the 503 page.

    A streamed response still reads; a transaction with changes pending (the
    host's, say) is left to the host's teardown as before; and so is the session
    of an app context the request did not push (a test, a request made from a
    script): its objects outlive the request.
    """
    db_session = current_smattest.db.session()
    if response.is_streamed or not db_session.in_transaction() or not _owns_app_context():
        return response
    if db_session.new or db_session.dirty or db_session.deleted:
        return response
    try:
        db_session.rollback()
    except LOST as error:
        log.error("database lost while ending a smattest request: %s", error)
        page, status, headers = unavailable_page()
        return Response(page, status, headers)
    return response


def _owns_app_context() -> bool:
    """Whether this request pushed its own app context, torn down with it (as in production).

    Flask keeps (request token, app context it pushed or None) on the request context.
    """
    tokens: list[tuple[object, object]] | None = getattr(request_ctx, "_cv_tokens", None)
    return bool(tokens) and tokens is not None and tokens[-1][1] is not None


@blueprint.before_request
def _mark_smattest_request() -> None:
    g.smattest_request = True


@blueprint.record_once
def _on_every_app(state: BlueprintSetupState) -> None:
    # The app context's teardown, registered after Flask-SQLAlchemy's (SMAttest
    # comes after db.init_app), runs before it: the session is discarded here
    # first, and Flask-SQLAlchemy's own teardown then finds nothing to do.
    state.app.teardown_appcontext(_discard_session_quietly)


def _discard_session_quietly(error: BaseException | None) -> None:
    """After a smattest request, discard the session; a lost connection's error here would
    escape the request as the server's bare 500 (the host's requests keep their own way)."""
    if not g.pop("smattest_request", False):
        return
    try:
        current_smattest.db.session.remove()
    except LOST as lost:
        log.error("database lost while discarding a smattest request's session: %s", lost)
