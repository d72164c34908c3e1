"""smattest inside a host layout with inline `<style>` and `<script>`: nothing of the host breaks.

Every smattest page is rendered inside the host's layout, so the headers smattest
sends govern the host's own code too. By default they restrict nothing the layout
draws (the host's styles apply, its script runs, the console reports no
Content Security Policy violation), and still refuse framing by another site.
With ``SMATTEST_CONTENT_SECURITY_POLICY = "strict"`` the demo intranet, whose
layout keeps its CSS in a static file, still renders as designed.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader

from smattest.publishing.policies import publish

from .conftest import PHONE, LiveServer, path_for

#: A host layout written the way intranets are: CSS and a script inline.
INLINE_LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %} - Lakeside intranet</title>
  <style>
    .host-banner { background-color: rgb(15, 61, 62); color: rgb(255, 255, 255);
      padding: 12px; }
    .host-skip { position: absolute; left: -999px; }
    .host-nav ul { list-style: none; margin: 0; padding: 0; }
  </style>
  {% block head %}{% endblock %}
</head>
<body>
  <a class="host-skip" href="#main">Skip to content</a>
  <header class="host-banner" id="host-banner">
    <p>Lakeside intranet</p>
    <nav class="host-nav" aria-label="Main"><ul><li><a href="/">Home</a></li></ul></nav>
  </header>
  <main id="main">{% block content %}{% endblock %}</main>
  <script>document.getElementById("host-banner").dataset.script = "ran";</script>
  {% block scripts %}{% endblock %}
</body>
</html>
"""

#: A page of the host's that frames a URL given in ``?src=``.
FRAMING_PAGE = '<!doctype html><title>Framing</title><iframe title="framed" src="{src}"></iframe>'


@pytest.fixture
def app(app, make_user, freeze):
    """The test host with the inline layout, a published policy and a framing page."""
    app.jinja_loader  # noqa: B018 -- Flask builds its loader lazily
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"inline_layout.html": INLINE_LAYOUT}), app.jinja_env.loader]
    )
    app.config["SMATTEST_BASE_TEMPLATE"] = "inline_layout.html"

    from flask import request

    @app.get("/framing")
    def framing():
        return FRAMING_PAGE.format(src=request.args["src"])

    freeze("2026-03-02T14:30:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 3, 1))  # fmt: skip
    return app


def watch_for_policy_violations(page) -> list[str]:
    """Every console message and ``securitypolicyviolation`` event about a CSP, as text."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective));"
    )
    return seen


def host_look(page) -> dict[str, str]:
    """What the host's inline style and script did to its banner."""
    return page.evaluate(
        """() => {
          const banner = document.getElementById("host-banner");
          const style = getComputedStyle(banner);
          const skip = getComputedStyle(document.querySelector(".host-skip"));
          return {background: style.backgroundColor, color: style.color,
                  padding: style.paddingTop, skip: skip.left,
                  script: banner.dataset.script || "did not run"};
        }"""
    )


def test_the_hosts_inline_style_and_script_work_on_smattest_pages(
    app, page, make_user, sign_in, live_server
):
    violations = watch_for_policy_violations(page)
    sign_in(make_user(name="Hana Okafor", is_hr=True))

    for endpoint, values, heading in [
        ("smattest.index", {}, "Hana Okafor"),
        ("smattest.policy", {"slug": "social-media"}, "Social Media Policy"),
        ("smattest.hr_dashboard", {}, "Social Media Policy"),
    ]:
        response = page.goto(path_for(app, endpoint, **values))
        assert response.status == 200, endpoint
        assert heading in page.inner_text("main"), endpoint
        assert host_look(page) == {
            "background": "rgb(15, 61, 62)",
            "color": "rgb(255, 255, 255)",
            "padding": "12px",
            "skip": "-999px",
            "script": "ran",
        }, endpoint
        csp = response.headers["content-security-policy"]
        assert "default-src" not in csp and "frame-ancestors 'self'" in csp
    assert violations == []


def test_another_site_cannot_frame_a_smattest_page(page, live_server):
    """127.0.0.1 and localhost are two origins: the intranet may frame itself, not be framed."""
    violations = watch_for_policy_violations(page)
    port = live_server.url.rsplit(":", 1)[1]
    target = f"{live_server.url}/compliance/no-such-page"

    page.goto(f"/framing?src={target}")
    same_origin = page.frames[1]
    same_origin.wait_for_load_state()
    assert "Not Found" in same_origin.inner_text("body")
    assert violations == []

    page.goto(f"http://localhost:{port}/framing?src={target}")
    page.wait_for_timeout(300)
    framed = page.frames[1]
    assert not framed.url.startswith(live_server.url), framed.url
    assert "Not Found" not in (framed.content() or "")
    assert any("frame-ancestors 'self'" in text for text in violations), violations


DEMO = Path(__file__).parents[2] / "examples" / "intranet"


@pytest.fixture
def strict_demo(tmp_path):
    """The demo intranet, migrated and seeded, under the strict policy, on a live server."""
    sys.path.insert(0, str(DEMO))
    import intranet

    app = intranet.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}",
            "SMATTEST_CONTENT_SECURITY_POLICY": "strict",
        }
    )
    runner = app.test_cli_runner()
    for args in (["smattest", "db", "upgrade"], ["intranet", "seed"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with LiveServer(app) as server:
        yield app, server
    server.fail_on_errors()
    with app.app_context():
        intranet.db.session.remove()
        for engine in intranet.db.engines.values():
            engine.dispose()


def test_the_demo_renders_as_designed_under_the_strict_policy(browser, strict_demo):
    app, server = strict_demo
    context = browser.new_context(base_url=server.url, viewport=PHONE)
    page = context.new_page()
    violations = watch_for_policy_violations(page)
    with app.app_context():
        import intranet
        import sqlalchemy as sa

        person = intranet.db.session.scalars(
            sa.select(intranet.User).where(intranet.User.is_hr.is_(False)).limit(1)
        ).one()
        person_id = person.id
    sign_in_as_demo(page, app, person_id)

    response = page.goto("/compliance/")

    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    look = page.evaluate(
        """() => {
          const header = getComputedStyle(document.querySelector(".intranet-header"));
          const nav = getComputedStyle(document.querySelector(".intranet-nav ul"));
          const skip = getComputedStyle(document.querySelector(".intranet-skip"));
          const signOut = getComputedStyle(document.querySelector(".intranet-nav button"));
          return {header: header.backgroundColor, bullets: nav.listStyleType,
                  skip: skip.left, signOut: signOut.backgroundColor};
        }"""
    )
    assert look == {
        "header": "rgb(15, 61, 62)",
        "bullets": "none",
        "skip": "-999px",
        "signOut": "rgba(0, 0, 0, 0)",
    }
    assert violations == []
    context.close()


def sign_in_as_demo(page, app, user_id: int) -> None:
    """Sign in through the demo's own sign-in form (one button per person)."""
    page.goto(path_for(app, "auth.sign_in"))
    page.locator(f"form[action$='/{user_id}'] button").click()
    page.wait_for_load_state()
