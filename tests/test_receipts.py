"""Receipts go through the outbox: planned with the signature, sent by the mail job, once."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import sqlalchemy as sa

from smattest.models import Attestation, Reminder

from . import hostapp

pytestmark = pytest.mark.policy(text="Be careful online.", summary="First.")

BASE = "https://intranet.agency.example"


@pytest.fixture
def employee(client, login_as):
    user = login_as(name="Priya Raman", department="Child Protection")
    client.get("/compliance/")
    return user


def sign(client, **headers):
    return client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Priya Raman"},
        headers=headers,
    )


def outbox() -> list[tuple[str, str, int, str | None]]:
    hostapp.db.session.expire_all()
    return [
        (r.stage, r.status, r.attempts, r.last_error)
        for r in hostapp.db.session.scalars(sa.select(Reminder).order_by(Reminder.id))
    ]


def the_attestation() -> Attestation:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(Attestation)).one()


def mail_send(runner):
    return runner.invoke(args=["smattest", "mail", "send"])


@pytest.mark.settings(SMATTEST_BASE_URL=BASE)
def test_signing_plans_the_receipt_and_the_mail_job_sends_it_once(
    smtp_server, client, runner, policy_version, employee
):
    response = sign(client, Host="evil.example")

    assert response.status_code == 303
    row = the_attestation()
    assert outbox() == [(f"rcpt:{row.id}", "pending", 0, None)]
    assert smtp_server.inbox.messages == []  # the request did not talk to SMTP
    receipt = client.get(response.headers["Location"], headers={"Host": "evil.example"})
    assert "A copy is on its way to your email." in receipt.get_data(as_text=True)

    first, second = mail_send(runner), mail_send(runner)

    assert first.exit_code == 0, first.output
    assert "Receipts sent: 1; failed 0 (0 given up)" in first.output
    assert "Receipts sent: 0" in second.output
    (message,) = smtp_server.inbox.to(employee.email)
    assert message["Subject"] == "Receipt: you signed Social Media Policy, version 1"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"{BASE}/compliance/receipts/{row.id}" in text
    assert policy_version.text_sha256 in text and policy_version.text_sha256 in html
    assert "evil.example" not in text and "evil.example" not in html
    assert outbox()[0][:2] == (f"rcpt:{row.id}", "sent")


@pytest.mark.settings(SMATTEST_BASE_URL=BASE)
def test_the_reminder_run_leaves_receipts_to_the_mail_job(
    smtp_server, client, runner, policy_version, employee, freeze
):
    sign(client)

    result = runner.invoke(args=["smattest", "reminders", "send"])

    assert result.exit_code == 0, result.output
    assert smtp_server.inbox.messages == []
    assert outbox()[0][1] == "pending"


def test_the_mail_job_refuses_to_start_without_base_url(smtp_server, client, runner, policy_version,
                                                         employee):  # fmt: skip
    sign(client)

    result = mail_send(runner)

    assert result.exit_code == 1
    assert "No mail sent: SMATTEST_BASE_URL is not set" in result.output
    assert outbox()[0][1:] == ("pending", 0, None)
    scheduler = runner.invoke(args=["smattest", "scheduler"])
    assert scheduler.exit_code == 1
    assert "SMATTEST_BASE_URL is not set" in scheduler.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE, MAIL_SUPPRESS_SEND=False, MAIL_SERVER="127.0.0.1",
                      SMATTEST_REMINDER_RETRY_MINUTES=15)  # fmt: skip
def test_a_refused_mail_server_leaves_the_receipt_recorded_and_retried(
    app, client, runner, policy_version, employee, freeze, smtp_server
):
    app.config["MAIL_PORT"] = _closed_port()
    app.extensions["mail"].port = app.config["MAIL_PORT"]
    signed = sign(client)
    assert signed.status_code == 303

    failed = mail_send(runner)

    assert failed.exit_code == 1
    ((stage, status, attempts, error),) = outbox()
    assert (status, attempts) == ("pending", 1)
    assert "Not sent: cannot reach the mail server at 127.0.0.1:" in error

    app.extensions["mail"].port = smtp_server.port
    assert "Receipts sent: 0" in mail_send(runner).output  # waits for its retry time
    freeze("2026-03-02T14:46:00+00:00")
    retried = mail_send(runner)
    assert "Receipts sent: 1" in retried.output
    assert len(smtp_server.inbox.to(employee.email)) == 1
    assert outbox()[0][1] == "sent"


class SilentServer:
    """Accepts connections and never says a word (no SMTP greeting)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.mark.settings(SMATTEST_BASE_URL=BASE, MAIL_SUPPRESS_SEND=False, MAIL_SERVER="127.0.0.1",
                      SMATTEST_SMTP_TIMEOUT=1)  # fmt: skip
def test_a_silent_mail_server_delays_the_batch_by_the_timeout_never_a_page(
    app, client, runner, policy_version, employee
):
    silent = SilentServer()
    app.extensions["mail"].port = silent.port
    try:
        signed = sign(client)
        connected_while_signing = len(silent.held)

        started = time.monotonic()
        result = mail_send(runner)
        sending = time.monotonic() - started
    finally:
        silent.close()

    assert signed.status_code == 303
    assert connected_while_signing == 0  # the request never opened an SMTP connection
    assert result.exit_code == 1
    assert 0.9 < sending < 10
    ((stage, status, attempts, error),) = outbox()
    assert (status, attempts) == ("pending", 1)
    assert "the mail server did not answer within 1 seconds (SMATTEST_SMTP_TIMEOUT)" in error
