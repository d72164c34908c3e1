"""The attacks of issue 10, done by SQL against real databases, and how each is caught.

Each test plays an insider with write access to the database: it changes
rows with plain SQL statements (no smattest code) and then asks what
``flask smattest audit verify`` says and what HR and the person would see.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import (
    POLICY,
    Attestation,
    ChainHead,
    Exemption,
    ExemptionEnd,
    PolicyVersion,
    Staff,
)
from smattest.publishing.policies import publish
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .evidence_helpers import insider_sql


def sql(statement: str, **params) -> None:
    """Run one statement in its own transaction, as an insider at a SQL prompt would
    (with the database's foreign-key checks switched off, as an administrator can)."""
    insider_sql(statement, **params)


def staff_of(user) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))


@pytest.fixture
def world(app, make_user, freeze, client):
    """Two people signed the policy; Mallory has not. Everyone has a staff row."""
    freeze("2026-03-02T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    people = {}
    for name in ("Ada Signer", "Ben Signer", "Mallory Unsigned"):
        user = make_user(name=name)
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        people[name.split()[0].lower()] = user
    for n, key in enumerate(("ada", "ben")):
        freeze(dt.datetime(2026, 3, 2, 10 + n, tzinfo=dt.UTC))
        attest(staff_of(people[key]), "social-media", 1, people[key].name)
    people["version"] = version
    return people


def verify(runner):
    return runner.invoke(args=["smattest", "audit", "verify"])


def forge_attestation(staff: Staff, version: PolicyVersion, seq: int, signature: str) -> int:
    """INSERT an attestation row at position ``seq`` with made-up hashes; returns its id."""
    sql(
        "INSERT INTO smattest_attestation (chain_seq, staff_id, policy_version_id, attested_at,"
        " signature, method, text_sha256, prev_hash, record_hash)"
        " VALUES (:seq, :staff, :version, :at, :signature, 'self', :sha, :prev, :hash)",
        seq=seq, staff=staff.id, version=version.id, at=dt.datetime(2026, 3, 2, 15),
        signature=signature, sha=version.text_sha256, prev="0" * 64, hash=f"{seq:+064d}"[-64:],
    )  # fmt: skip
    return hostapp.db.session.scalar(
        sa.select(Attestation.id).where(Attestation.signature == signature)
    )


def as_hr(client, make_user):
    hr = make_user(name="Hana Okafor", is_hr=True)
    client.post(f"/login/{hr.id}")


# --- Attack 1: a forged row outside the chain's range ------------------------


@all_databases
@pytest.mark.parametrize("seq", [-5, 0, 4, 50000])
def test_a_row_forged_outside_the_chain_is_named_and_counts_for_nothing(
    world, runner, client, make_user, seq
):
    """head is 2: -5, 0, head+2 and 50000 are all outside 1..head."""
    mallory = staff_of(world["mallory"])
    forged = forge_attestation(mallory, world["version"], seq, "Mallory Unsigned (forged)")

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        f"FAILED: attestation #{forged} (smattest_attestation) has chain position {seq}"
    ) in result.output
    assert "an evidence row was added outside smattest, and it counts for nothing" in (
        result.output
    )
    # Nobody's status changed: Mallory still owes the policy.
    standing = compliance.standing(mallory, POLICY, world["version"].policy_id)
    assert standing.status == compliance.DUE_SOON and standing.done_at is None
    # Not on Mallory's own page (no receipt), nor on HR's person page, nor in the export.
    client.post(f"/login/{world['mallory'].id}")
    assert "(forged)" not in client.get("/compliance/").get_data(as_text=True)
    assert client.get(f"/compliance/receipts/{forged}").status_code == 404
    as_hr(client, make_user)
    person = client.get(f"/compliance/hr/people/{mallory.id}").get_data(as_text=True)
    assert "(forged)" not in person and "Mallory Unsigned" in person
    export = client.get("/compliance/hr/exports/evidence.csv").get_data(as_text=True)
    assert "(forged)" not in export


def test_a_row_forged_at_the_next_position_is_named_too(world, runner):
    mallory = staff_of(world["mallory"])
    forged = forge_attestation(mallory, world["version"], 3, "Mallory (next)")

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        f"attestation #{forged} (smattest_attestation) has chain position 3, "
        "past the chain's head at position 2"
    ) in result.output


@all_databases
def test_a_row_forged_at_a_taken_position_in_another_table_is_named(world, runner, app):
    """Position 1 is Ada's attestation; a training completion forged at 1 shares it."""
    from smattest.publishing.courses import import_course

    from .content import SMALL_COURSE

    version = import_course(SMALL_COURSE).version
    mallory = staff_of(world["mallory"])
    sql(
        "INSERT INTO smattest_training_completion (chain_seq, staff_id, course_version_id,"
        " completed_at, method, content_sha256, prev_hash, record_hash)"
        " VALUES (1, :staff, :version, :at, 'quiz', :sha, '', :hash)",
        staff=mallory.id, version=version.id, at=dt.datetime(2026, 3, 2, 15),
        sha=version.content_sha256, hash="f" * 64,
    )  # fmt: skip
    forged_id = hostapp.db.session.scalar(sa.text("SELECT id FROM smattest_training_completion"))
    first = hostapp.db.session.scalar(sa.select(Attestation.id).where(Attestation.chain_seq == 1))

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        f"chain position 1 is held by 2 rows (smattest_attestation #{first}, "
        f"smattest_training_completion #{forged_id}): all but one were added outside smattest."
    ) in result.output
    # The walk itself still finds the real chain whole.
    assert "FAILED after" not in result.output


# --- Attack 2: the signed text edited --------------------------------------------------


@all_databases
def test_an_edited_policy_text_is_named_by_its_version(world, runner):
    sql(
        "UPDATE smattest_policy_version SET body_markdown = :text WHERE id = :id",
        text="Be careful online. Posting about clients is fine.", id=world["version"].id,
    )  # fmt: skip

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        "FAILED: policy social-media version 1: its text no longer matches the SHA-256 "
        f"recorded when it was published ({world['version'].text_sha256}"
    ) in result.output
    assert "FAILED after" not in result.output  # the chain itself is untouched


@all_databases
def test_an_edited_text_with_its_version_hash_recomputed_is_still_named(world, runner):
    """The insider also rewrites the version's SHA-256: the attestations still hold the old one."""
    import hashlib

    text = "Be careful online. Posting about clients is fine."
    signed_sha = world["version"].text_sha256
    sql(
        "UPDATE smattest_policy_version SET body_markdown = :text, text_sha256 = :sha"
        " WHERE id = :id",
        text=text, sha=hashlib.sha256(text.encode()).hexdigest(), id=world["version"].id,
    )  # fmt: skip

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        "FAILED: policy social-media version 1: attestations recorded the text's SHA-256 as "
        f"{signed_sha}, but the text now hashes to {hashlib.sha256(text.encode()).hexdigest()}"
    ) in result.output


def test_a_clean_chain_with_texts_verifies(world, runner):
    head = hostapp.db.session.get(ChainHead, 1)

    result = verify(runner)

    assert (result.exit_code, result.output) == (0, f"OK: 2 evidence rows, head {head.last_hash}\n")


# --- Attack 3: facts outside the chain: a forged exemption, a rename ----------------------


@all_databases
def test_an_exemption_inserted_by_sql_is_named_and_exempts_nobody(world, runner, client, make_user):
    mallory = staff_of(world["mallory"])
    sql(
        "INSERT INTO smattest_exemption (staff_id, requirement_kind, requirement_id, reason,"
        " granted_by, granted_at, format) VALUES (:staff, 'policy', :policy, 'Long leave',"
        " 'hr', :at, 2)",
        staff=mallory.id, policy=world["version"].policy_id, at=dt.datetime(2026, 3, 2, 15),
    )  # fmt: skip
    forged = hostapp.db.session.scalar(sa.select(Exemption.id))

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        f"FAILED: exemption #{forged} (smattest_exemption) has no chain position, outside the "
        "chain's positions 1..2"
    ) in result.output
    standing = compliance.standing(mallory, POLICY, world["version"].policy_id)
    assert standing.status == compliance.DUE_SOON
    as_hr(client, make_user)
    person = client.get(f"/compliance/hr/people/{mallory.id}").get_data(as_text=True)
    assert "Long leave" not in person


@all_databases
def test_an_exemption_granted_by_hr_is_in_the_chain_and_its_end_too(world, runner):
    from smattest import exemptions

    mallory = staff_of(world["mallory"])
    granted = exemptions.grant(mallory, POLICY, world["version"].policy_id, "Long leave",
                               None, "hr-7")  # fmt: skip
    assert (granted.chain_seq, granted.employee_id, granted.full_name) == (
        3,
        str(world["mallory"].id),
        "Mallory Unsigned",
    )
    assert compliance.standing(mallory, POLICY, granted.requirement_id).status == "exempt"
    exemptions.end(granted, "hr-8")
    end = hostapp.db.session.scalar(sa.select(ExemptionEnd))
    assert (end.chain_seq, end.exemption_id, end.ended_by) == (4, granted.id, "hr-8")
    assert compliance.standing(mallory, POLICY, granted.requirement_id).status == "due_soon"
    assert verify(runner).output.startswith("OK: 4 evidence rows")

    # The insider "un-ends" it on the exemption row: the rule still reads the chained end,
    # and verify names the disagreement.
    sql("UPDATE smattest_exemption SET ended_at = NULL, ended_by = NULL")
    assert compliance.standing(mallory, POLICY, granted.requirement_id).status == "due_soon"
    result = verify(runner)
    assert result.exit_code == 1
    assert f"FAILED: exemption #{granted.id}: its end on record (not ended, -) differs" in (
        result.output
    )


@all_databases
def test_a_rename_in_the_staff_table_changes_no_evidence(world, runner, client, make_user):
    ada = staff_of(world["ada"])
    sql("UPDATE smattest_staff SET full_name = 'Ada Renamed', external_id = 'X-9' WHERE id = :id",
        id=ada.id)  # fmt: skip

    result = verify(runner)

    assert result.exit_code == 0, result.output
    as_hr(client, make_user)
    export = client.get("/compliance/hr/exports/evidence.csv").get_data(as_text=True)
    [line] = [row for row in export.splitlines() if row.startswith("1,attestation,")]
    assert f",{world['ada'].id},Ada Signer," in line and "Renamed" not in line


@all_databases
def test_the_name_at_the_time_edited_in_an_evidence_row_is_named(world, runner):
    row = hostapp.db.session.scalar(sa.select(Attestation).where(Attestation.chain_seq == 1))
    sql("UPDATE smattest_attestation SET full_name = 'Ada Other' WHERE id = :id", id=row.id)

    result = verify(runner)

    assert result.exit_code == 1
    assert f"attestation #{row.id} at chain position 1 was altered" in result.output


@all_databases
def test_a_personal_field_erased_with_its_salt_still_verifies(world, runner):
    """The retention schedule's erasure: field and salt go, the digest beside it stays."""
    sql(
        "UPDATE smattest_attestation SET full_name = NULL, full_name_salt = NULL,"
        " signature = '', signature_salt = NULL, ip_address = NULL, ip_address_salt = NULL"
    )

    assert verify(runner).exit_code == 0
