"""Security headers: on smattest's own responses only, never replacing the host's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smattest.publishing.policies import publish
from smattest.views.security import CONTENT_SECURITY_POLICY

SECURITY = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
TEMPLATES = Path(__file__).parents[2] / "templates" / "smattest"


def assert_secured(response, *, no_store: bool = True) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, name
    if no_store:
        assert response.headers.get("Cache-Control") == "no-store"


def test_csp_allows_only_own_origin_and_framing_by_the_intranet():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src" not in directives and "style-src" not in directives


@pytest.fixture
def host(app):
    """The host app with its own home page, mounting smattest at /compliance."""
    app.add_url_rule("/", "home", lambda: "The intranet home page")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    return app


def test_smattest_pages_carry_the_headers_and_the_host_home_page_does_not(host, client, login_as):
    login_as(name="Ada Lovelace", is_hr=True)

    for url in ("/compliance/", "/compliance/policies/social-media", "/compliance/hr/people"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secured(response)

    home = client.get("/")
    assert home.get_data(as_text=True) == "The intranet home page"
    for name in (*SECURITY, "Cache-Control"):
        assert name not in home.headers, name
    assert "Content-Security-Policy" not in client.get("/login").headers


def test_exports_errors_and_sign_in_redirects_carry_the_headers(host, client, login_as):
    anonymous = client.get("/compliance/hr/people")
    assert anonymous.status_code == 302
    assert_secured(anonymous)

    login_as(name="Hana Hill", is_hr=True)
    export = client.get("/compliance/hr/exports/status.csv")
    export.get_data()
    assert export.status_code == 200
    assert_secured(export)

    missing = client.get("/compliance/no-such-page")
    assert missing.status_code == 404
    assert_secured(missing)
    wrong_method = client.delete("/compliance/")
    assert wrong_method.status_code == 405
    assert_secured(wrong_method)


def test_stylesheet_is_secured_but_stays_cacheable(client):
    response = client.get("/compliance/static/smattest.css")

    assert response.status_code == 200
    assert_secured(response, no_store=False)
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_a_header_the_host_set_is_never_replaced(app, client, login_as):
    @app.after_request
    def host_headers(response):
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    login_as(name="Ada Lovelace")
    response = client.get("/compliance/")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.settings(SMATTEST_SECURITY_HEADERS=False)
def test_a_host_that_sets_its_own_headers_turns_smattests_off(client, login_as):
    login_as(name="Ada Lovelace")

    response = client.get("/compliance/")

    assert response.status_code == 200
    for name in (*SECURITY, "Cache-Control"):
        assert name not in response.headers, name


def test_no_page_template_has_inline_script_style_or_handler():
    pages = [p for p in TEMPLATES.rglob("*.html") if "mail" not in p.relative_to(TEMPLATES).parts]
    assert len(pages) > 20
    inline = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    offending = {str(p.relative_to(TEMPLATES)): inline.findall(p.read_text()) for p in pages}
    assert {name: found for name, found in offending.items() if found} == {}
