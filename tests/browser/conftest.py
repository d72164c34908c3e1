"""Browser tests: Debian's Chromium, driven by Playwright, on a live host app.

One Chromium per test session (pytest-playwright's session ``browser``).
A test that acts (signs, submits) gets its own app, live server and browser
context; tests that only open pages as one person share, per module, one
app, one live server and one signed-in page (``shared_site``, ``site_page``).
Live servers run the test host app on 127.0.0.1 in a thread. Every context
has a phone's viewport.

No browser download is possible on these machines: Chromium comes from the
system (``apt-get install chromium``). Without it the tests skip with the
reason, except under ``CI=true``, where they fail, as the database servers
do in ``tests/conftest.py``."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import got_request_exception, url_for
from werkzeug.serving import WSGIRequestHandler, make_server

import smattest.db

from .. import hostapp
from ..conftest import create_tables, due_differences, under_ci

#: The system Chromium (Debian's package ``chromium``: /usr/bin/chromium), or
#: the one ``SMATTEST_CHROMIUM`` names.
CHROMIUM = os.environ.get("SMATTEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

#: Flags that let the system Chromium run headless as root, in a container,
#: offline, and without background chatter that slows the first page.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#: A small phone (iPhone SE): no page may scroll sideways at this size.
PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = (
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs the "
            "Debian package), or `apt-get install chromium`, or set SMATTEST_CHROMIUM"
        )
        if under_ci():
            pytest.fail(f"browser tests cannot run under CI=true: {reason}")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture
def app(app):
    """The host app as a real browser meets it: CSRF tokens checked on every form."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass  # one line per request is noise; errors are still logged


class LiveServer:
    """The app served on 127.0.0.1 (a free port) from a thread, threaded like gunicorn."""

    def __init__(self, app):
        self.app = app
        self.errors: list[BaseException] = []
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="smattest-live-server", daemon=True
        )

    def _record(self, sender, exception, **extra):
        self.errors.append(exception)

    def __enter__(self):
        got_request_exception.connect(self._record, self.app)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        got_request_exception.disconnect(self._record, self.app)

    def fail_on_errors(self) -> None:
        """Fail the test if the app raised while serving it (then forget the errors)."""
        errors, self.errors = self.errors, []
        if errors:
            pytest.fail(f"the app raised while serving the browser: {errors[0]!r}")


@pytest.fixture
def live_server(app):
    """The test's host app on a live server; a request that crashed fails the test."""
    with LiveServer(app) as server:
        yield server
    server.fail_on_errors()


class SharedSite:
    """One host app, its data and its live server for a whole module of page checks.

    Creating the tables of a host app on SQLite costs about half a second;
    tests that only open pages share one app instead. Its clock is frozen
    like the ``freeze`` fixture's, for the module.
    """

    def __init__(self, path):
        self.app = hostapp.create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": True}
        )
        create_tables(self.app)
        self.server = LiveServer(self.app)
        self._patch = pytest.MonkeyPatch()

    def freeze(self, moment: str) -> None:
        """Set smattest's clock for the module's pages."""
        when = dt.datetime.fromisoformat(moment).astimezone(dt.UTC)
        self._patch.setattr(smattest.db, "frozen_now", when)

    def close(self) -> None:
        with self.app.app_context():
            differences = due_differences(self.app)  # on the module's clock
        self._patch.undo()
        with self.app.app_context():
            hostapp.db.session.remove()
            for engine in hostapp.db.engines.values():
                engine.dispose()
        if differences:
            shown = "\n".join(differences[:20])
            pytest.fail(f"compliance check: the due-date table differs from the evidence:\n{shown}")


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    """A :class:`SharedSite` for the module's tests that only open pages."""
    site = SharedSite(tmp_path_factory.mktemp("site") / "intranet.sqlite")
    with site.server:
        yield site
    site.close()


@pytest.fixture(scope="module")
def shared_page(browser, shared_site):
    """One page on the shared site (its own context, a phone's viewport) for the module.

    Opening a page costs Chromium a renderer process; checks that only read
    pages as one signed-in person share this one.
    """
    context = browser.new_context(base_url=shared_site.server.url, viewport=PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def site_page(shared_page, shared_site):
    """The shared page for one test; a request that crashed fails the test."""
    yield shared_page
    shared_site.server.fail_on_errors()


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    """Every page opens the live server, at a phone's size (the narrow case is the hard one)."""
    return {**browser_context_args, "base_url": live_server.url, "viewport": PHONE}


def sign_in_as(page, user_id: int) -> None:
    """Sign a host user in through the host's ``POST /login/<id>``, in ``page``'s context.

    ``page.request`` shares the browser context's cookies, so the page is
    signed in afterwards, as after a real sign-in form.
    """
    response = page.request.post(f"/login/{user_id}", max_redirects=0)
    assert response.status == 302, response.text()


@pytest.fixture
def sign_in(page):
    """``sign_in(user)``: sign a host user in on the test's ``page``; returns the user."""

    def sign_in_user(user):
        sign_in_as(page, user.id)
        return user

    return sign_in_user


def path_for(app, endpoint: str, **values) -> str:
    """The path of a smattest page, as the app builds it (``smattest.index`` → ``/compliance/``)."""
    with app.test_request_context():
        return url_for(endpoint, **values)


def assert_accessible(page) -> None:
    """axe-core finds no violation on the page as it is now (all rules but experimental)."""
    results = Axe().run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


#: The outermost elements that stick out past the viewport's right edge (those
#: inside a box that scrolls or clips them do no harm), for the failure message.
_STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const out = e => e.getBoundingClientRect().right > width + 0.5;
  const clipped = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== "visible") return true;
    return false;
  };
  return [...document.querySelectorAll("body *")]
    .filter(e => out(e) && !out(e.parentElement) && !clipped(e))
    .slice(0, 5)
    .map(e => `${Math.round(e.getBoundingClientRect().right)}px: ` +
               e.outerHTML.replace(/\\s+/g, " ").slice(0, 160));
}"""


def assert_no_sideways_scroll(page) -> None:
    """The page fits the viewport's width: nothing to scroll horizontally."""
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{page.url} is {scroll_width}px wide in a {client_width}px viewport; "
        "sticking out (right edge: element):\n" + "\n".join(page.evaluate(_STICKING_OUT))
    )
