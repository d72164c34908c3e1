"""Security headers: on smattest's own responses only, never replacing the host's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_talisman import Talisman

from smattest.config import ConfigurationError
from smattest.publishing.policies import publish
from smattest.views.security import CONTENT_SECURITY_POLICY, STRICT_CONTENT_SECURITY_POLICY

from .. import hostapp
from ..conftest import create_tables

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


def directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


def test_default_csp_refuses_framing_by_other_sites_and_restricts_nothing_a_layout_draws():
    default = directives(CONTENT_SECURITY_POLICY)
    assert default == {
        "frame-ancestors": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
    }
    assert not {"default-src", "script-src", "style-src"} & set(default)


def test_strict_csp_adds_default_src_self():
    strict = directives(STRICT_CONTENT_SECURITY_POLICY)
    assert strict == {**directives(CONTENT_SECURITY_POLICY), "default-src": "'self'"}
    assert "'unsafe-inline'" not in STRICT_CONTENT_SECURITY_POLICY


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


@pytest.mark.settings(SMATTEST_CONTENT_SECURITY_POLICY="strict")
def test_strict_sends_default_src_self(client, login_as):
    login_as(name="Ada Lovelace")

    response = client.get("/compliance/")

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == STRICT_CONTENT_SECURITY_POLICY
    assert directives(response.headers["Content-Security-Policy"])["default-src"] == "'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.settings(
    SMATTEST_CONTENT_SECURITY_POLICY="default-src 'self' intranet-cdn.agency.example; "
    "frame-ancestors 'self'"
)
def test_a_policy_string_of_the_hosts_own_is_sent_as_it_is(client, login_as):
    login_as(name="Ada Lovelace")

    response = client.get("/compliance/")

    assert response.headers["Content-Security-Policy"] == (
        "default-src 'self' intranet-cdn.agency.example; frame-ancestors 'self'"
    )


@pytest.mark.settings(SMATTEST_CONTENT_SECURITY_POLICY=None)
def test_none_sends_no_policy_but_keeps_the_other_headers(client, login_as):
    login_as(name="Ada Lovelace")

    response = client.get("/compliance/")

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("value", ["", "relaxed", "script-src 'self'\nX-Evil: 1", 42, "hello"])
def test_a_policy_smattest_cannot_send_stops_the_app_naming_the_setting(value):
    with pytest.raises(ConfigurationError, match="SMATTEST_CONTENT_SECURITY_POLICY"):
        hostapp.create_app({"SMATTEST_CONTENT_SECURITY_POLICY": value})


@pytest.mark.parametrize("talisman_first", [True, False], ids=["talisman-first", "smattest-first"])
def test_a_policy_set_with_flask_talisman_is_the_one_sent(talisman_first, database_url):
    """Flask-Talisman's hook may run before or after smattest's: its policy wins either way."""
    policy = {"default-src": "'self'", "style-src": ["'self'", "'unsafe-inline'"]}

    def talisman(app):
        Talisman(app, force_https=False, content_security_policy=policy)

    config = {"SQLALCHEMY_DATABASE_URI": database_url}
    if talisman_first:
        app = hostapp.create_app(config, before_mount=talisman)
    else:
        app = hostapp.create_app(config)
        talisman(app)
    create_tables(app)
    with app.app_context():
        user = hostapp.User(name="Ada Lovelace", email="ada@agency.example")
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        client = app.test_client()
        client.post(f"/login/{user.id}")

        response = client.get("/compliance/")

        assert response.status_code == 200
        assert "Ada Lovelace" in response.get_data(as_text=True)
        assert response.headers.getlist("Content-Security-Policy") == [
            "default-src 'self'; style-src 'self' 'unsafe-inline'"
        ]
        assert response.headers["Cache-Control"] == "no-store"
        hostapp.db.session.remove()
