"""A signature costs the same SQL statements whatever the size of the agency.

Every signature in the agency queues for the evidence chain, so the signing
request must do a fixed amount of work: a few indexed lookups, the append, the
receipt planned in the outbox. Nothing in it may grow with the roster or with
the evidence others hold, and a first signature of a version (nearly every
one) does not work out the person's standing at all: nobody who never signed
a version can be current on it by that version.
"""

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.models import Attestation, PolicyVersion

from . import hostapp
from .conftest import all_databases
from .evidence_helpers import chain

pytestmark = pytest.mark.policy(text="Be careful.", summary="First.")

PAGE = "/compliance/policies/social-media"


def sign_as_someone_new(client, login_as, count_statements, name: str) -> list[str]:
    """A new person opens the policy page, then signs it: the statements of the POST,
    each as its first words."""
    login_as(name=name)
    assert client.get(PAGE).status_code == 200  # the first visit creates their record
    with count_statements() as seen:
        response = client.post(f"{PAGE}/attest",
                               data={"version": "1", "agree": "y", "signature": name})  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    return [" ".join(statement.split()[:2]) + " … " + _tables(statement)
            for statement in seen.statements]  # fmt: skip


def _tables(statement: str) -> str:
    """The tables a statement names, in order: its shape, whatever its parameters."""
    words = statement.replace("(", " ").replace(",", " ").split()
    return " ".join(w for w in words if w.startswith(("smattest_", "host_")) and "." not in w)


def evidence_for_many(policy_version: PolicyVersion, staff_ids: list[int], per_person: int) -> None:
    """``per_person`` chained attestations for each of ``staff_ids`` (older ones first)."""
    rows = [
        Attestation(staff_id=staff_id, policy_version_id=policy_version.id, signature="x",
                    attested_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
                    - dt.timedelta(minutes=k),
                    method="import", text_sha256=policy_version.text_sha256)
        for staff_id in staff_ids
        for k in range(per_person)
    ]  # fmt: skip
    chain(*rows)


@all_databases
def test_a_signature_runs_the_same_statements_at_any_size(
    client, login_as, make_staff, count_statements, policy_version
):
    small = sign_as_someone_new(client, login_as, count_statements, "Priya Raman")

    evidence_for_many(policy_version, make_staff(100), per_person=3)
    large = sign_as_someone_new(client, login_as, count_statements, "Tomás Ortega")

    assert large == small
    # No standing worked out (it reads the audiences and everyone's latest evidence):
    assert not [s for s in small if "smattest_audience" in s or "smattest_exemption" in s], small
    # The policy is read once, with its versions and their withdrawals.
    (versions,) = [s for s in small if "smattest_policy_version" in s]
    assert versions.startswith("SELECT smattest_policy.id"), small
    assert "smattest_version_withdrawal" in versions, small
    attestations = sa.select(sa.func.count()).select_from(Attestation)
    assert hostapp.db.session.scalar(attestations) == 302
