"""The same signing form sent twice records one signature, in or out of the audience.

A double click, a retried POST, a second tab: each sends the form's one-time
token again, and the database keeps one row per person and token (migration
``0010_signature_once``), so it holds even when the application's own check is
raced.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

import smattest.attest as attest_module
from smattest.models import POLICY, Attestation, Reminder
from smattest.publishing.audiences import build_audience, set_audience

from . import hostapp
from .conftest import all_databases

ATTEST = "/compliance/policies/social-media/attest"


@pytest.fixture
def employee(client, login_as):
    user = login_as(name="Priya Raman", department="Child Protection")
    client.get("/compliance/")
    return user


@pytest.fixture
def outside_the_audience(policy_version, employee, make_staff):
    """The policy applies to Outreach only: Priya (Child Protection) owes nothing."""
    make_staff(1, department="Outreach")
    set_audience(POLICY, "social-media", build_audience(["Outreach"]), actor="hr-1")


def the_form(client) -> dict[str, str]:
    """The signing form as the policy page gives it, filled in."""
    page = client.get("/compliance/policies/social-media").get_data(as_text=True)
    fields = dict(
        re.findall(r'<input[^>]*name="(csrf_token|version|submission)"[^>]*value="([^"]*)"', page)
    )
    return {**fields, "agree": "y", "signature": "Priya Raman"}


def signatures() -> list[Attestation]:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(Attestation)).all()


def receipts() -> list[str]:
    return hostapp.db.session.scalars(
        sa.select(Reminder.stage).where(Reminder.stage.startswith("rcpt:"))
    ).all()


@all_databases
def test_a_double_post_outside_the_audience_records_one_signature_and_one_receipt(
    client, employee, outside_the_audience
):
    form = the_form(client)
    assert len(form["submission"]) >= 16

    first = client.post(ATTEST, data=form)
    second = client.post(ATTEST, data=form)

    assert (first.status_code, second.status_code) == (303, 303)
    assert first.headers["Location"] == second.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "You had already signed this version; this is your receipt." in page
    assert len(signatures()) == 1 and len(receipts()) == 1


def test_signing_again_outside_the_audience_from_a_fresh_form_keeps_the_one_signature(
    client, employee, outside_the_audience
):
    client.post(ATTEST, data=the_form(client))
    again = client.post(ATTEST, data=the_form(client))

    assert again.status_code == 303
    assert len(signatures()) == 1 and len(receipts()) == 1


def test_a_double_post_inside_the_audience_records_one_signature(client, employee, policy_version):
    form = the_form(client)

    client.post(ATTEST, data=form)
    client.post(ATTEST, data=form)

    assert len(signatures()) == 1 and len(receipts()) == 1


@all_databases
def test_the_database_refuses_a_second_row_of_one_form_when_the_check_is_raced(
    client, employee, outside_the_audience, monkeypatch
):
    form = the_form(client)
    client.post(ATTEST, data=form)
    # The second request's look-ups ran before the first committed: only the
    # database's unique key (person, token) is left to notice.
    monkeypatch.setattr(attest_module, "_standing_attestation", lambda *args: None)
    looked = []
    real = attest_module._of_submission

    def raced(staff_id, submission):
        looked.append(submission)
        return None if len(looked) == 1 else real(staff_id, submission)

    monkeypatch.setattr(attest_module, "_of_submission", raced)
    monkeypatch.setattr(attest_module, "_lock_unless_recorded", _always_append)

    second = client.post(ATTEST, data=form)

    assert second.status_code == 303 and len(looked) == 2
    assert "You had already signed" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert len(signatures()) == 1 and len(receipts()) == 1


def _always_append(staff_id, policy_id, version_id):
    from smattest.evidence import chain

    return chain.lock_chain()
