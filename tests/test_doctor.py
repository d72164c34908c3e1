"""``flask smattest doctor``: what would go wrong in the intranet, each with its fix."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from alembic import command
from jinja2 import ChoiceLoader, DictLoader

from smattest.migrate import alembic_config

sys.path.insert(0, str(Path(__file__).parents[1] / "examples" / "intranet"))
import intranet  # noqa: E402

#: A layout that forgot its content block (and so shows nothing of smattest's pages).
NO_CONTENT = """<!doctype html><html lang="en"><head><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="{{ url_for('smattest.static', filename='smattest.css') }}">
{% block head %}{% endblock %}</head><body><header>Intranet</header>
{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}</body></html>"""

#: A complete layout with inline style and script, as intranets often have.
INLINE = """<!doctype html><html lang="en"><head><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="{{ url_for('smattest.static', filename='smattest.css') }}">
<style>header { background: teal; }</style>{% block head %}{% endblock %}</head>
<body><header onclick="void 0">Intranet</header>
{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}
<main>{% block content %}{% endblock %}</main><script>window.ok = 1;</script></body></html>"""


def with_layouts(app, **layouts):
    app.jinja_loader  # noqa: B018 -- Flask builds its loader lazily
    app.jinja_env.loader = ChoiceLoader([DictLoader(layouts), app.jinja_env.loader])


def doctor(runner):
    return runner.invoke(args=["smattest", "doctor"])


def migrated(app):
    """The app fixture's tables (from create_all) marked as at the newest migration."""
    command.stamp(alembic_config(app.extensions["smattest"].engine), "head")


def test_the_demo_passes(tmp_path, monkeypatch):
    monkeypatch.delenv("SMATTEST_BASE_URL", raising=False)
    app = intranet.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite'}"})
    runner = app.test_cli_runner()
    with app.app_context():
        for args in (["smattest", "db", "upgrade"], ["intranet", "seed"]):
            assert runner.invoke(args=args).exit_code == 0
        result = doctor(runner)
        intranet.db.session.remove()
        for engine in intranet.db.engines.values():
            engine.dispose()

    assert result.exit_code == 0, result.output
    assert "ERROR" not in result.output
    # The demo suppresses mail and nobody ran the scheduler yet: said, not failed.
    assert "WARNING: MAIL_SUPPRESS_SEND is on" in result.output
    assert "WARNING: the scheduler has never run" in result.output
    assert "0 error(s), 2 warning(s)." in result.output


@pytest.mark.settings(SMATTEST_BASE_URL=None, SMATTEST_BASE_TEMPLATE="no_content.html")
def test_a_missing_base_url_and_content_block_are_both_named_and_exit_1(app, runner):
    with_layouts(app, **{"no_content.html": NO_CONTENT})
    migrated(app)

    result = doctor(runner)

    assert result.exit_code == 1
    assert (
        "ERROR: your layout 'no_content.html' has no 'content' block: smattest's pages would "
        "be empty.\n  Fix: add {% block content %}{% endblock %}" in result.output
    )
    assert "ERROR: SMATTEST_BASE_URL is not set" in result.output
    assert "Fix: set SMATTEST_BASE_URL to the intranet's address" in result.output
    assert "smattest doctor: 2 error(s)" in result.output


@pytest.mark.settings(
    SMATTEST_BASE_URL="https://intranet.agency.example",
    SMATTEST_BASE_TEMPLATE="inline.html",
    SMATTEST_CONTENT_SECURITY_POLICY="strict",
)
def test_inline_code_the_strict_policy_would_block_is_an_error(app, runner):
    with_layouts(app, **{"inline.html": INLINE})
    migrated(app)

    result = doctor(runner)

    assert result.exit_code == 1
    assert "ERROR: your layout has inline style (page line 3)" in result.output
    assert "that SMATTEST_CONTENT_SECURITY_POLICY = 'strict' blocks" in result.output
    assert "ERROR: your layout has inline script" in result.output
    assert "ERROR: smattest's stylesheet is not linked" not in result.output


@pytest.mark.settings(
    SMATTEST_BASE_URL="https://intranet.agency.example", SMATTEST_BASE_TEMPLATE="inline.html"
)
def test_the_default_policy_lets_inline_code_be(app, runner):
    with_layouts(app, **{"inline.html": INLINE})
    migrated(app)

    result = doctor(runner)

    assert "inline" not in result.output
    assert "has no 'content' block" not in result.output


@pytest.mark.settings(SMATTEST_BASE_URL="https://intranet.agency.example")
def test_tables_behind_the_newest_migration_are_an_error(app, runner):
    result = doctor(runner)  # the app fixture's tables come from create_all, not migrations

    assert result.exit_code == 1
    assert "ERROR: smattest's tables are at migration none, not " in result.output
    assert "Fix: run 'flask smattest db upgrade'." in result.output


def _silent_server():
    """A socket that accepts connections and never answers (a stuck mail server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


@pytest.mark.settings(
    SMATTEST_BASE_URL="https://intranet.agency.example",
    MAIL_SUPPRESS_SEND=False,
    MAIL_SERVER="127.0.0.1",
    SMATTEST_SMTP_TIMEOUT=1,
)
def test_a_mail_server_that_never_answers_is_named_with_the_timeout(app, runner):
    migrated(app)
    with _silent_server() as server:
        app.config["MAIL_PORT"] = server.getsockname()[1]

        result = doctor(runner)

    assert result.exit_code == 1
    assert (
        f"ERROR: the mail server 127.0.0.1:{app.config['MAIL_PORT']} cannot be reached within "
        "SMATTEST_SMTP_TIMEOUT (1 s): no answer." in result.output
    )


@pytest.mark.settings(SMATTEST_BASE_URL="https://intranet.agency.example")
def test_a_real_mail_server_that_answers_is_fine(app, runner, smtp_server):
    migrated(app)

    result = doctor(runner)

    assert "mail server" not in result.output
    assert "MAIL_SUPPRESS_SEND" not in result.output
    assert smtp_server.inbox.messages == []  # it only says hello


@pytest.mark.settings(
    SMATTEST_BASE_URL="https://intranet.agency.example", SERVER_NAME="intranet.example.org"
)
def test_a_base_url_that_is_not_the_server_name_is_a_warning(app, runner):
    migrated(app)

    result = doctor(runner)

    assert "WARNING: SMATTEST_BASE_URL (https://intranet.agency.example) does not match " in (
        result.output
    )


def test_no_key_for_the_due_date_seal_is_a_warning(app, runner):
    migrated(app)
    app.config["SECRET_KEY"] = None

    result = doctor(runner)

    assert "WARNING: neither SMATTEST_SEAL_KEY nor SECRET_KEY is set" in result.output
    assert "set SECRET_KEY (or SMATTEST_SEAL_KEY)" in result.output
    app.config["SMATTEST_SEAL_KEY"] = "a long random secret for the seal"
    assert "SMATTEST_SEAL_KEY" not in doctor(runner).output
