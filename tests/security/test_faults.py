"""Faults against real servers: a lost database connection while signing, and after the commit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from smattest.publishing.policies import publish

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def sign(client):
    return client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Priya Raman"},
    )


def terminate(admin, pid: int) -> None:
    with admin.connect() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def attestations(admin) -> int:
    """Counted on a connection of its own: what is committed, whatever the app's session holds."""
    with admin.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM smattest_attestation"))


def backend_pid(connection) -> int:
    return connection.connection.dbapi_connection.info.backend_pid


@ON_POSTGRESQL
def test_a_connection_lost_while_signing_gives_smattests_503_and_the_retry_succeeds(
    app, client, runner, signing
):
    engine = app.extensions["smattest"].engine
    killed: list[int] = []

    def kill_while_inserting(conn, cursor, statement, parameters, context, executemany):
        if not killed and statement.startswith("INSERT INTO smattest_attestation"):
            killed.append(backend_pid(conn))
            terminate(signing, killed[0])

    sa.event.listen(engine, "before_cursor_execute", kill_while_inserting)
    try:
        lost = sign(client)
    finally:
        sa.event.remove(engine, "before_cursor_execute", kill_while_inserting)

    page = lost.get_data(as_text=True)
    assert killed and lost.status_code == 503
    assert lost.headers["Retry-After"] == "10"
    assert "The service is briefly unavailable" in page
    assert "may or may not have been recorded" in page and "My compliance" in page
    assert "Traceback" not in page and "Internal Server Error" not in page
    assert attestations(signing) == 0

    retry = sign(client)

    assert retry.status_code == 303
    assert attestations(signing) == 1
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.exit_code == 0, verified.output


@ON_POSTGRESQL
# pool_pre_ping (recommended in the mounting guide) lets the next request replace the
# connection the server ended; without it that one request gets smattest's 503.
@pytest.mark.settings(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
def test_a_connection_lost_right_after_the_commit_still_shows_the_receipt_redirect(
    app, client, runner, signing
):
    engine = app.extensions["smattest"].engine
    pids: list[int] = []

    def note_pid(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO smattest_attestation"):
            pids.append(backend_pid(conn))

    def kill_after_commit(session):
        if pids:
            terminate(signing, pids.pop())

    sa.event.listen(engine, "before_cursor_execute", note_pid)
    sa.event.listen(sa.orm.Session, "after_commit", kill_after_commit)
    try:
        signed = sign(client)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note_pid)
        sa.event.remove(sa.orm.Session, "after_commit", kill_after_commit)

    assert signed.status_code == 303, signed.get_data(as_text=True)
    assert signed.headers["Location"].startswith("/compliance/receipts/")
    assert attestations(signing) == 1
    with signing.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM smattest_reminder")) == 1  # receipt
    receipt = client.get(signed.headers["Location"])
    assert receipt.status_code == 200
    assert "Your signature is recorded" in receipt.get_data(as_text=True)


@pytest.mark.parametrize("path", ["self", "exemption"])
def test_a_failing_signal_receiver_cannot_turn_a_committed_change_into_an_error(
    app, client, login_as, path, caplog
):
    from smattest.models import Attestation, Exemption, Staff
    from smattest.signals import attestation_recorded, exemption_granted

    from .. import hostapp

    publish("social-media", "Social Media Policy", "Be careful online.", "First.")

    def broken(sender, **data):
        raise RuntimeError("the host's receiver is broken")

    if path == "self":
        login_as(name="Priya Raman")
        client.get("/compliance/")
        signal, model = attestation_recorded, Attestation
        url, data = "/compliance/policies/social-media/attest", {
            "version": "1", "agree": "y", "signature": "Priya Raman"}  # fmt: skip
    else:
        login_as(name="Hana Hill", is_hr=True)
        person = Staff(external_id="E9", full_name="Tom Reyes", email="tom@agency.example")
        hostapp.db.session.add(person)
        hostapp.db.session.commit()
        policy_id = hostapp.db.session.scalar(sa.text("SELECT id FROM smattest_policy"))
        signal, model = exemption_granted, Exemption
        url = f"/compliance/hr/people/{person.id}/exemptions/new"
        data = {"requirement": f"policy:{policy_id}", "reason": "Leave", "open_ended": "y"}

    with signal.connected_to(broken, app):
        response = client.post(url, data=data)

    assert response.status_code == 303
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 1
    assert "failed after the commit; the change stands" in caplog.text
