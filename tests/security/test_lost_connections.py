"""Lost connections after the page is rendered, and on the receipt after signing: never a bare 500.

On PostgreSQL, the request's own backend is ended (``pg_terminate_backend``)
once its page is rendered, through a real HTTP server whose requests each have
their own app context, as in production: smattest's 503 page, never the
server's "Internal Server Error".
"""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from flask import template_rendered
from werkzeug.serving import make_server

from smattest.publishing.policies import publish

from .. import hostapp
from .test_faults import backend_pid, sign, terminate

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def served(app):
    """``app`` behind a real threaded HTTP server on 127.0.0.1; yields (base URL, opener)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    yield f"http://127.0.0.1:{server.server_port}", opener
    server.shutdown()
    thread.join(10)


def fetch(opener, url: str, data: bytes | None = None) -> tuple[int, str]:
    try:
        with opener.open(url, data=data, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def kill_once_rendered(app, admin, wanted: str) -> list[int]:
    """End the request's own backend right after the template ``wanted`` is rendered."""
    killed: list[int] = []

    def on_rendered(sender, template, context, **extra):
        if template.name == wanted and not killed:
            pid = backend_pid(hostapp.db.session.connection())
            killed.append(pid)
            terminate(admin, pid)

    template_rendered.connect(on_rendered, app, weak=False)
    return killed


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("path", "template", "hr"),
    [("/compliance/", "smattest/index.html", False),
     ("/compliance/policies/social-media", "smattest/policy.html", False),
     ("/compliance/hr/people", "smattest/hr/people.html", True)],
)  # fmt: skip
def test_the_requests_backend_ended_after_rendering_gives_smattests_503_not_a_bare_500(
    app, served, database_url, path, template, hr
):
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    user = hostapp.User(name="Hana Hill", email="hana@agency.example", is_hr=hr)
    hostapp.db.session.add(user)
    hostapp.db.session.commit()
    base, opener = served
    fetch(opener, f"{base}/login/{user.id}", data=b"")
    assert fetch(opener, f"{base}{path}")[0] == 200
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    killed = kill_once_rendered(app, admin, template)
    try:
        status, page = fetch(opener, f"{base}{path}")
    finally:
        admin.dispose()

    assert killed, "the page was not rendered"
    assert status == 503, page[:500]
    assert "The service is briefly unavailable" in page
    assert "Internal Server Error" not in page
    assert fetch(opener, f"{base}{path}")[0] == 200  # and the next request is served


@ON_POSTGRESQL
def test_a_receipt_whose_first_read_meets_a_lost_connection_is_read_again(app, client, signing):
    signed = sign(client)
    engine = app.extensions["smattest"].engine
    killed: list[int] = []

    def kill_the_first_receipt_read(conn, cursor, statement, parameters, context, executemany):
        if not killed and "FROM smattest_attestation" in statement:
            killed.append(backend_pid(conn))
            terminate(signing, killed[0])

    sa.event.listen(engine, "before_cursor_execute", kill_the_first_receipt_read)
    try:
        receipt = client.get(signed.headers["Location"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_the_first_receipt_read)

    assert killed
    assert receipt.status_code == 200
    assert "Thank you. Your signature is recorded; this is your receipt." in receipt.get_data(
        as_text=True
    )


@ON_POSTGRESQL
def test_a_receipt_that_cannot_be_read_at_all_says_the_signature_is_recorded(app, client, signing):
    signed = sign(client)
    engine = app.extensions["smattest"].engine
    killed: list[int] = []

    def kill_every_receipt_read(conn, cursor, statement, parameters, context, executemany):
        if "FROM smattest_attestation" in statement:
            killed.append(backend_pid(conn))
            terminate(signing, killed[-1])

    sa.event.listen(engine, "before_cursor_execute", kill_every_receipt_read)
    try:
        receipt = client.get(signed.headers["Location"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_every_receipt_read)

    page = receipt.get_data(as_text=True)
    assert len(killed) == 2  # read, then read once more
    assert receipt.status_code == 503
    number = signed.headers["Location"].rsplit("/", 1)[1]
    assert f"Your signature is recorded (receipt number {number})" in page
    assert "may or may not have been recorded" not in page


@ON_POSTGRESQL
def test_a_lost_connection_on_a_page_opened_later_does_not_claim_a_signature(app, client, signing):
    signed = sign(client)
    client.get(signed.headers["Location"])  # the receipt shown: the message is used up
    engine = app.extensions["smattest"].engine

    def kill_every_read(conn, cursor, statement, parameters, context, executemany):
        if "FROM smattest_attestation" in statement:
            terminate(signing, backend_pid(conn))

    sa.event.listen(engine, "before_cursor_execute", kill_every_read)
    try:
        again = client.get(signed.headers["Location"])
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_every_read)

    assert again.status_code == 503
    assert "may or may not have been recorded" in again.get_data(as_text=True)
