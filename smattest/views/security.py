"""What every smattest response carries: security headers, and ids kept within range.

The headers go on smattest's own responses only (its pages, exports, static
files and errors under ``SMATTEST_URL_PREFIX``), never on the host's other
pages, and a header the host already set is never overwritten.
``SMATTEST_CONTENT_SECURITY_POLICY`` chooses the policy (by default one that
cannot change how the host's layout renders); a host that sets its own
headers everywhere turns them all off with ``SMATTEST_SECURITY_HEADERS = False``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ..i18n import format_number, gettext, lazy_gettext
from ..text import describe, unstorable
from .base import _way_back, blueprint

#: The largest id any supported database stores in an INTEGER column
#: (PostgreSQL's and MariaDB's signed 32-bit limit). An id in a URL beyond it
#: cannot exist: 404, before any query that would overflow the driver.
MAX_ID = 2**31 - 1

#: The default policy: it restricts nothing a host layout draws (no
#: ``default-src``, ``style-src`` or ``script-src``: every smattest page is
#: rendered inside the host's layout, so the header governs the host's own
#: inline ``<style>`` and ``<script>`` too), and still refuses framing by
#: other sites (HR's publish and confirm buttons cannot be clickjacked),
#: plugins, and a ``<base>`` pointing elsewhere.
CONTENT_SECURITY_POLICY = "frame-ancestors 'self'; object-src 'none'; base-uri 'self'"

#: ``SMATTEST_CONTENT_SECURITY_POLICY = "strict"``: nothing inline, nothing from
#: elsewhere, for hosts whose layouts hold no inline code.
STRICT_CONTENT_SECURITY_POLICY = "default-src 'self'; " + CONTENT_SECURITY_POLICY

#: Set on every smattest response unless the response already has the header
#: (the Content-Security-Policy comes from :func:`content_security_policy`).
HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def content_security_policy(setting: str | None) -> str | None:
    """The policy ``SMATTEST_CONTENT_SECURITY_POLICY`` asks for (``None``: send none)."""
    if setting == "default":
        return CONTENT_SECURITY_POLICY
    if setting == "strict":
        return STRICT_CONTENT_SECURITY_POLICY
    return setting


def is_smattest_request(prefix: str) -> bool:
    """Whether the current request is smattest's: routed to its blueprint, or under its prefix.

    The prefix test catches smattest's own 404s and 405s, which no rule of the
    blueprint matched.
    """
    if request.blueprint == blueprint.name:
        return True
    path = request.path
    return prefix != "/" and (path == prefix or path.startswith(prefix + "/"))


def add_security_headers(response: Response) -> Response:
    """:data:`HEADERS`, the chosen policy and, except on static files, ``no-store``.

    A Content-Security-Policy already on the response (the host's, e.g. from
    Flask-Talisman, whichever order the hooks run in) is never replaced.

    ``Cache-Control: no-store`` keeps person pages, receipts and exports out of
    a shared workstation's browser cache; the stylesheet stays cacheable.
    """
    config = current_app.config
    if not config["SMATTEST_SECURITY_HEADERS"]:
        return response
    if not is_smattest_request(config["SMATTEST_URL_PREFIX"]):
        return response
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    policy = content_security_policy(config["SMATTEST_CONTENT_SECURITY_POLICY"])
    has_policy = "Content-Security-Policy" in response.headers
    if policy is not None and not has_policy:
        response.headers["Content-Security-Policy"] = policy
    if request.endpoint != f"{blueprint.name}.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@blueprint.record_once
def _on_every_app(state: BlueprintSetupState) -> None:
    # An app-level hook, not the blueprint's: it also sees smattest's 404s,
    # which no blueprint rule matched.
    app = state.app
    app.after_request(add_security_headers)


@blueprint.before_request
def _cap_forms() -> None:
    """Cap every request body smattest reads, before anything reads it.

    A view that takes a whole file (the roster upload and its confirmation)
    names its own cap in ``smattest_body_limit``. Every other body is capped
    at Flask's ``MAX_FORM_MEMORY_SIZE`` (500 kB by default), which Werkzeug
    applies only to the fields of multipart forms, not to URL-encoded ones
    (all of smattest's forms) or to files; smattest's largest field (a policy
    text) is 40 kB. The host's ``MAX_CONTENT_LENGTH``,
    when smaller, applies first.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    limit: int | None = getattr(view, "smattest_body_limit", None)
    if limit is None:
        limit = request.max_form_memory_size
        if limit is None:
            return
    current = request.max_content_length
    request.max_content_length = limit if current is None else min(current, limit)
    if request.content_length is not None and request.content_length > limit:
        abort(413)


#: The request headers smattest reads into what it stores (the signature's device).
READ_HEADERS = ("User-Agent",)


@blueprint.before_request
def _refuse_unstorable() -> ResponseReturnValue | None:
    """Every value of the request smattest reads is checked before any query runs.

    The address's parts, the query's and the form's names and values, the
    headers smattest stores and the client's address: a NUL or another
    character no database can hold (see :func:`smattest.text.unstorable`) is
    a 400 page naming where it was, never a driver error or a half-made row.
    Uploaded files are read by their own parsers, which check every cell.
    """
    # Where each value is, written in the reader's language only when one is refused.
    inputs: list[tuple[str, object]] = [
        (lazy_gettext("the address (its %(name)s)", name=name), value)
        for name, value in (request.view_args or {}).items()
    ]
    inputs += [(lazy_gettext("the address's %(name)s value", name=repr(name)), value)
               for name, value in request.args.items(multi=True)]  # fmt: skip
    inputs += [(lazy_gettext("a name in the address"), name) for name in request.args]
    if request.method != "GET" and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):  # fmt: skip
        inputs += [(lazy_gettext("the form's field %(name)s", name=repr(name)), value)
                   for name, value in request.form.items(multi=True)]  # fmt: skip
        inputs += [(lazy_gettext("a field name of the form"), name) for name in request.form]
        inputs += [(lazy_gettext("the file name"), f.filename or "")
                   for f in request.files.values()]  # fmt: skip
    inputs += [(lazy_gettext("your browser's %(name)s header", name=name),
                request.headers.get(name, "")) for name in READ_HEADERS]  # fmt: skip
    inputs += [(lazy_gettext("your network address"), request.remote_addr or "")]
    for where, value in inputs:
        found = unstorable(value) if isinstance(value, str) else None
        if found is not None:
            position, char = found
            return _unstorable_page(str(where), position, char)
    return None


def _unstorable_page(where: str, position: int, char: str) -> ResponseReturnValue:
    page = render_template(
        "smattest/error.html",
        heading=gettext("A character that cannot be kept"),
        paragraphs=[
            gettext(
                "%(where)s contains %(character)s at character %(position)s, which no record "
                "can hold. Nothing was read and nothing was recorded.",
                where=where[0].upper() + where[1:],
                character=describe(char),
                position=position,
            ),
            gettext(
                "Go back, remove it (it is often invisible, pasted from another program) and "
                "try again."
            ),
        ],
        back=_way_back(),
    )
    return page, 400


@blueprint.errorhandler(413)
def _too_large(error: HTTPException) -> ResponseReturnValue:
    """smattest's own page for a form or file too large, naming the limit."""
    limit = request.max_content_length
    too_large = (
        gettext(
            "What you sent is larger than this site accepts (more than %(size)s bytes), so "
            "nothing was read and nothing was recorded.",
            size=format_number(limit),
        )
        if limit
        else gettext(
            "What you sent is larger than this site accepts, so nothing was read and nothing "
            "was recorded."
        )
    )
    page = render_template(
        "smattest/error.html",
        heading=gettext("Too much to accept"),
        paragraphs=[
            too_large,
            gettext("Go back, shorten the text or choose a smaller file, and send it again."),
        ],
    )
    return page, 413


@blueprint.url_value_preprocessor
def _ids_in_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A whole number in the URL beyond any database's range is a 404, never a driver error."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)
