"""`flask smattest audit verify` proves the evidence was not edited, inserted or removed."""

import datetime as dt

from smattest.evidence import audit
from smattest.evidence import chain as evidence
from smattest.models import Attestation

from . import hostapp
from .conftest import all_databases
from .evidence_helpers import sql


@all_databases
def test_intact_chain_verifies_with_count_and_head(signed, runner):
    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 0
    assert result.stdout == f"OK: 4 evidence rows, head {signed[-1].record_hash}\n"


def test_empty_chain_verifies(app, runner):
    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert (result.exit_code, result.output) == (0, "OK: 0 evidence rows, head (empty chain)\n")


@all_databases
def test_a_signature_edited_in_sql_is_named(signed, runner):
    sql("UPDATE smattest_attestation SET signature = 'Someone Else' WHERE id = :id",
        id=signed[2].id)  # fmt: skip

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert (
        f"FAILED after 2 good rows: attestation #{signed[2].id} at chain position 3 was "
        "altered: its contents no longer match its recorded hash."
    ) in result.output


def test_an_edited_time_is_named(signed, runner):
    sql("UPDATE smattest_attestation SET attested_at = :t WHERE id = :id",
        t=dt.datetime(2026, 3, 1, 9), id=signed[1].id)  # fmt: skip

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert f"attestation #{signed[1].id} at chain position 2 was altered" in result.output


def test_a_removed_row_is_named(signed, runner):
    sql("DELETE FROM smattest_attestation WHERE id = :id", id=signed[1].id)

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert (
        f"chain position 2 is missing (the next row is attestation #{signed[2].id} at chain "
        "position 3): an evidence row was removed."
    ) in result.output


def test_removing_the_newest_row_is_noticed(signed, runner):
    sql("DELETE FROM smattest_attestation WHERE id = :id", id=signed[3].id)

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert "the chain ends at position 3 but its head records 4" in result.output


def test_an_inserted_row_with_its_own_valid_hash_is_named(signed, runner):
    """A forger who recomputes the hash still cannot make the next row link to it."""
    staff_id, version_id = signed[0].staff_id, signed[0].policy_version_id
    forged = Attestation(
        chain_seq=3, staff_id=staff_id, policy_version_id=version_id,
        attested_at=dt.datetime(2026, 3, 2, 11, 30, tzinfo=dt.UTC), signature="Signer 0",
        method="self", text_sha256=signed[0].text_sha256, prev_hash=signed[1].record_hash,
    )  # fmt: skip
    forged.record_hash = evidence.record_hash(forged)
    # Two steps, so no row ever collides with another's position.
    sql("UPDATE smattest_attestation SET chain_seq = chain_seq + 100 WHERE chain_seq >= 3")
    sql("UPDATE smattest_attestation SET chain_seq = chain_seq - 99 WHERE chain_seq >= 100")
    hostapp.db.session.add(forged)
    hostapp.db.session.commit()

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert (
        f"attestation #{signed[2].id} at chain position 4 was altered" in result.output
        or (f"attestation #{signed[2].id} at chain position 4 does not link to the row before it")
        in result.output
    )


def test_verify_reads_the_chain_in_batches(signed, monkeypatch):
    monkeypatch.setattr(audit, "BATCH", 3)

    result = audit.verify()

    assert (result.ok, result.rows, result.head_hash) == (True, 4, signed[-1].record_hash)


def test_a_row_appended_outside_smattest_is_named(signed, runner):
    last = signed[-1]
    forged = Attestation(
        chain_seq=5, staff_id=last.staff_id, policy_version_id=last.policy_version_id,
        attested_at=dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC), signature="Signer 3",
        method="self", text_sha256=last.text_sha256, prev_hash=last.record_hash,
    )  # fmt: skip
    forged.record_hash = evidence.record_hash(forged)
    hostapp.db.session.add(forged)
    hostapp.db.session.commit()

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert (
        f"FAILED: attestation #{forged.id} (smattest_attestation) has chain position 5, "
        "past the chain's head at position 4: an evidence row was added outside smattest"
    ) in result.output
