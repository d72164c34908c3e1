"""``flask smattest mail send`` exits like ``reminders send``; one line when it cannot write."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.models import Reminder

from . import hostapp
from .conftest import create_tables

BASE = "https://intranet.agency.example"


@pytest.fixture
def employee(client, login_as):
    user = login_as(name="Priya Raman", department="Child Protection")
    client.get("/compliance/")
    return user


def sign(client):
    return client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Priya Raman"},
    )


@pytest.mark.settings(SMATTEST_BASE_URL=BASE)
def test_mail_send_exits_3_while_a_receipt_is_stuck_in_sending(
    smtp_server, client, runner, policy_version, employee, freeze
):
    sign(client)
    # A run that died after claiming the receipt: 'sending' since an hour ago.
    hostapp.db.session.execute(
        sa.update(Reminder).values(
            status="sending", claimed_at=dt.datetime(2026, 3, 2, 13, 30, tzinfo=dt.UTC)
        )
    )
    hostapp.db.session.commit()

    result = runner.invoke(args=["smattest", "mail", "send"])

    assert result.exit_code == 3, result.output
    assert "Waiting for HR: 1 stuck in 'sending', 0 given up; decide on them on the Reminders " in (
        result.output
    )
    assert smtp_server.inbox.messages == []


@pytest.mark.settings(SMATTEST_BASE_URL=BASE)
def test_mail_send_exits_0_when_everything_went(
    smtp_server, client, runner, policy_version, employee
):
    sign(client)

    result = runner.invoke(args=["smattest", "mail", "send"])

    assert result.exit_code == 0, result.output
    assert len(smtp_server.inbox.messages) == 1


@pytest.mark.settings(SMATTEST_BASE_URL=BASE)
def test_mail_send_on_a_read_only_database_says_so_in_one_line(
    make_app, database_url, tmp_path, login_as, freeze
):
    from smattest.publishing.policies import publish

    app = make_app()
    create_tables(app)
    with app.app_context():
        freeze("2026-03-02T14:30:00+00:00")
        publish("social-media", "Social Media Policy", "Be careful.", "First.")
        client = app.test_client()
        user = hostapp.User(name="Priya Raman", email="priya@agency.example")
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        assert sign(client).status_code == 303
        hostapp.db.session.remove()

    # The file as a read-only mount or a replica would give it (root ignores file modes).
    def read_only(dbapi, record):
        dbapi.execute("PRAGMA query_only = ON")

    engine = app.extensions["smattest"].engine
    engine.dispose()
    sa.event.listen(engine, "connect", read_only)
    try:
        result = app.test_cli_runner().invoke(args=["smattest", "mail", "send"])
    finally:
        sa.event.remove(engine, "connect", read_only)
        engine.dispose()

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: No mail sent: the database refused the outbox's changes (")
    assert "readonly database" in line and "Check that it is writable" in line
