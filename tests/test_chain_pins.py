"""Pins on the evidence chain's format and on every check of ``audit verify``.

A known-answer test fixes the exact hash of one attestation and one training
completion: dropping a field from the hash, leaving ``prev_hash`` out, or
changing the canonical form changes these values and fails here. Each check of
``verify`` has a tampering below that only that check can name.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from smattest.evidence import chain as evidence
from smattest.models import Attestation, TrainingCompletion

from . import hostapp
from .evidence_helpers import sql

ATTESTATION = {
    "chain_seq": 7,
    "staff_id": 42,
    "policy_version_id": 3,
    "attested_at": dt.datetime(2026, 3, 2, 14, 30, 5, 123456, tzinfo=dt.UTC),
    "signature": "Priya Raman",
    "method": "self",
    "reason": None,
    "recorded_by": None,
    "ip_address": "10.1.2.3",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "text_sha256": "a" * 64,
}
COMPLETION = {
    "chain_seq": 8,
    "staff_id": 42,
    "course_version_id": 5,
    "quiz_attempt_id": 11,
    "completed_at": dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC),
    "score": 90,
    "method": "quiz",
    "reason": None,
    "recorded_by": None,
    "content_sha256": "b" * 64,
}
PREV = "c" * 64

#: The canonical text of the attestation above, written out by hand: sorted keys,
#: no spaces, times in UTC with microseconds, the table's name as "kind".
ATTESTATION_TEXT = (
    '{"attested_at":"2026-03-02T14:30:05.123456+00:00","chain_seq":7,'
    '"ip_address":"10.1.2.3","kind":"smattest_attestation","method":"self",'
    '"policy_version_id":3,"prev_hash":"' + PREV + '","reason":null,"recorded_by":null,'
    '"signature":"Priya Raman","staff_id":42,"text_sha256":"' + "a" * 64 + '",'
    '"user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}'
)
#: The hashes this format gives, pinned: a change of format must add a new format
#: version (old rows keep verifying), never change these.
ATTESTATION_HASH = "a1d46d3dbd959d0a935ff15c52c82b379f0ab3769a346b4b6fc57bc23d752ec2"
COMPLETION_HASH = "41e5f099a771fa7c1d9320addcf1844cac6bf004d8eacbeb18b4f0b86036a763"


def attestation() -> Attestation:
    return Attestation(**ATTESTATION, prev_hash=PREV)


def completion() -> TrainingCompletion:
    return TrainingCompletion(**COMPLETION, prev_hash=PREV)


def test_the_attestation_hash_is_the_sha256_of_its_canonical_text():
    assert hashlib.sha256(ATTESTATION_TEXT.encode()).hexdigest() == ATTESTATION_HASH
    assert evidence.record_hash(attestation()) == ATTESTATION_HASH


def test_the_training_completion_hash_is_pinned():
    assert evidence.record_hash(completion()) == COMPLETION_HASH


CHANGED = {
    "chain_seq": 8, "staff_id": 43, "policy_version_id": 4,
    "attested_at": dt.datetime(2026, 3, 2, 14, 30, 5, 123457, tzinfo=dt.UTC),
    "signature": "Priya  Raman", "method": "on_behalf", "reason": "paper form",
    "recorded_by": "7", "ip_address": "10.1.2.4", "user_agent": "curl/8",
    "text_sha256": "d" * 64,
}  # fmt: skip


@pytest.mark.parametrize("field", [*CHANGED, "prev_hash"])
def test_every_hashed_field_and_prev_hash_change_the_hash(field):
    change = CHANGED.get(field, "e" * 64)
    row = attestation()
    setattr(row, field, change)

    assert evidence.record_hash(row) != evidence.record_hash(attestation())


def test_the_hashed_fields_are_exactly_these():
    assert set(evidence.HASHED_FIELDS[Attestation]) == set(CHANGED)


def test_a_rehashed_row_that_does_not_link_is_named_by_the_link_check(signed, runner):
    """The forger recomputes the row's hash over a wrong prev_hash: only the link check sees it."""
    second = signed[1]
    forged_prev = "f" * 64
    second.prev_hash = forged_prev
    rehashed = evidence.record_hash(second)
    hostapp.db.session.rollback()
    sql("UPDATE smattest_attestation SET prev_hash = :p, record_hash = :h WHERE id = :id",
        p=forged_prev, h=rehashed, id=second.id)  # fmt: skip
    sql("UPDATE smattest_attestation SET prev_hash = :h WHERE id = :id", h=rehashed,
        id=signed[2].id)  # fmt: skip

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert result.output.startswith(
        f"FAILED after 1 good rows: attestation #{second.id} at chain position 2 does not "
        "link to the row before it"
    ), result.output
