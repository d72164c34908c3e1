"""The evidence hash chain: append-only rows an auditor can verify.

Every evidence row (an attestation, a training completion) takes the next
position in one chain: ``chain_seq``, the previous row's hash as
``prev_hash``, and ``record_hash`` = SHA-256 over its own fields and
``prev_hash``. ``ChainHead`` holds the last position and hash, so removing the
newest rows is noticed too. Editing a field, inserting a row or removing one
breaks the chain at that row, and :func:`smattest.audit.verify` names it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa

from .db import utcnow
from .models import Attestation, ChainHead, TrainingCompletion
from .proxies import current_smattest

#: The fields each kind of evidence row commits to, besides ``prev_hash``.
HASHED_FIELDS: dict[type[Attestation] | type[TrainingCompletion], tuple[str, ...]] = {
    Attestation: (
        "chain_seq", "staff_id", "policy_version_id", "attested_at", "signature", "method",
        "reason", "recorded_by", "ip_address", "user_agent", "text_sha256",
    ),
    TrainingCompletion: (
        "chain_seq", "staff_id", "course_version_id", "quiz_attempt_id", "completed_at",
        "score", "method", "reason", "recorded_by", "content_sha256",
    ),
}  # fmt: skip
KIND_NAMES = {Attestation: "attestation", TrainingCompletion: "training completion"}
#: Every table whose rows are in the chain.
CHAINED = tuple(HASHED_FIELDS)


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record_hash(row: Attestation | TrainingCompletion) -> str:
    """The SHA-256 a row must carry, from its fields and its ``prev_hash``."""
    model = type(row)
    payload = {name: _canonical(getattr(row, name)) for name in HASHED_FIELDS[model]}
    payload["kind"] = model.__tablename__
    payload["prev_hash"] = row.prev_hash
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def lock_chain() -> ChainHead:
    """Start a transaction that owns the chain's head until it commits.

    Ends the session's current transaction first, so that every read after
    the lock sees what concurrent appends committed (MariaDB's repeatable
    read would otherwise keep an older snapshot). The UPDATE takes the head
    row's lock on PostgreSQL and MariaDB and the write lock on SQLite.
    """
    session = current_smattest.db.session
    session.commit()
    session.execute(sa.update(ChainHead).where(ChainHead.id == 1).values(updated_at=utcnow()))
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        raise RuntimeError("smattest_chain_head has no row: run 'flask smattest db upgrade'.")
    return head


def link(head: ChainHead, row: Attestation | TrainingCompletion) -> None:
    """Give ``row`` the next chain position and advance the (locked) head."""
    row.chain_seq = head.last_seq + 1
    row.prev_hash = head.last_hash
    row.record_hash = record_hash(row)
    head.last_seq, head.last_hash = row.chain_seq, row.record_hash
    current_smattest.db.session.add(row)
