"""What every smattest response carries: security headers, and ids kept within range.

The headers go on smattest's own responses only (its pages, exports, static
files and errors under ``SMATTEST_URL_PREFIX``), never on the host's other
pages, and a header the host already set is never overwritten. A host that
sets its own headers everywhere turns these off with
``SMATTEST_SECURITY_HEADERS = False``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, request
from flask.blueprints import BlueprintSetupState

from .base import blueprint

#: The largest id any supported database stores in an INTEGER column
#: (PostgreSQL's and MariaDB's signed 32-bit limit). An id in a URL beyond it
#: cannot exist: 404, before any query that would overflow the driver.
MAX_ID = 2**31 - 1

#: The policy of every smattest page: nothing inline, nothing from elsewhere,
#: and framed only by the intranet itself (HR's publish and confirm buttons
#: cannot be clickjacked from another site).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'self'; base-uri 'self'; object-src 'none'"
)

#: Set on every smattest response unless the response already has the header.
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


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
    """The headers of :data:`HEADERS` and, on anything but a static file, ``no-store``.

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
    if request.endpoint != f"{blueprint.name}.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@blueprint.record_once
def _on_every_app(state: BlueprintSetupState) -> None:
    # An app-level hook, not the blueprint's: it also sees smattest's 404s,
    # which no blueprint rule matched.
    app = state.app
    app.after_request(add_security_headers)


@blueprint.url_value_preprocessor
def _ids_in_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A whole number in the URL beyond any database's range is a 404, never a driver error."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)
