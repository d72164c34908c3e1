"""The evidence hash chain: append-only rows an auditor can verify.

Every evidence row (an attestation, a training completion, a change of a
person's id) takes the next
position in one chain: ``chain_seq``, the previous row's hash as
``prev_hash``, and ``record_hash`` = SHA-256 over its own fields and
``prev_hash``. ``ChainHead`` holds the last position and hash, so removing the
newest rows is noticed too. Editing a field, inserting a row or removing one
breaks the chain at that row, and :func:`verify` names it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from .db import utcnow
from .identity_models import IdentityLink
from .models import Attestation, ChainHead, TrainingCompletion
from .proxies import current_smattest

#: Any row of the chain.
EvidenceRow = Attestation | TrainingCompletion | IdentityLink

#: The fields each kind of evidence row commits to, besides ``prev_hash``.
HASHED_FIELDS: dict[type[EvidenceRow], tuple[str, ...]] = {
    Attestation: (
        "chain_seq", "staff_id", "policy_version_id", "attested_at", "signature", "method",
        "reason", "recorded_by", "ip_address", "user_agent", "text_sha256",
    ),
    TrainingCompletion: (
        "chain_seq", "staff_id", "course_version_id", "quiz_attempt_id", "completed_at",
        "score", "method", "reason", "recorded_by", "content_sha256",
    ),
    IdentityLink: (
        "chain_seq", "staff_id", "old_external_id", "new_external_id", "reason",
        "recorded_by", "linked_at",
    ),
}  # fmt: skip
KIND_NAMES = {
    Attestation: "attestation",
    TrainingCompletion: "training completion",
    IdentityLink: "id change",
}

BATCH = 1000


def _canonical(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record_hash(row: EvidenceRow) -> str:
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


def link(head: ChainHead, row: EvidenceRow) -> None:
    """Give ``row`` the next chain position and advance the (locked) head."""
    row.chain_seq = head.last_seq + 1
    row.prev_hash = head.last_hash
    row.record_hash = record_hash(row)
    head.last_seq, head.last_hash = row.chain_seq, row.record_hash
    current_smattest.db.session.add(row)


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: OK with the count and head, or the first problem."""

    ok: bool
    rows: int
    head_hash: str
    problem: str = ""


def _chain(last_seq: int) -> Iterator[EvidenceRow]:
    """Evidence rows up to ``last_seq`` in chain order, a batch at a time (constant memory)."""
    session = current_smattest.db.session
    after = 0
    while True:
        positions = sa.union_all(
            *(
                sa.select(sa.literal(model.__tablename__).label("kind"), model.chain_seq).where(
                    model.chain_seq > after, model.chain_seq <= last_seq
                )
                for model in HASHED_FIELDS
            )
        ).subquery()
        page = session.execute(
            sa.select(positions.c.kind, positions.c.chain_seq)
            .order_by(positions.c.chain_seq)
            .limit(BATCH)
        ).all()
        if not page:
            return
        rows: list[Attestation | TrainingCompletion] = []
        for model in HASHED_FIELDS:
            wanted = [seq for kind, seq in page if kind == model.__tablename__]
            if wanted:
                # populate_existing: verify what the database holds now, never a
                # copy the session loaded earlier.
                rows += session.scalars(
                    sa.select(model)
                    .where(model.chain_seq.in_(wanted))
                    .execution_options(populate_existing=True)
                )
        yield from sorted(rows, key=lambda r: r.chain_seq)
        after = page[-1][1]
        for row in rows:
            session.expunge(row)


def verify() -> Verification:
    """Walk the whole chain; stop at the first row that was altered, inserted or removed.

    The head is read first and the walk stops one past it, so rows appended
    while a long walk runs are left for the next check instead of failing
    this one, and a row added after the head outside smattest is still seen.
    """
    session = current_smattest.db.session
    # A fresh transaction: verify what the database holds now, not an older
    # snapshot this session may still be reading (MariaDB's repeatable read).
    session.commit()
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        return Verification(False, 0, "", "smattest_chain_head has no row: the head was removed.")
    last_seq, last_hash = head.last_seq, head.last_hash
    expected_seq, previous_hash, count = 1, "", 0
    for row in _chain(last_seq + 1):
        name = f"{KIND_NAMES[type(row)]} #{row.id} at chain position {row.chain_seq}"
        if row.chain_seq != expected_seq:
            return Verification(
                False, count, previous_hash,
                f"chain position {expected_seq} is missing (the next row is {name}): "
                "an evidence row was removed.",
            )  # fmt: skip
        if row.prev_hash != previous_hash:
            return Verification(
                False, count, previous_hash,
                f"{name} does not link to the row before it: a row was inserted, "
                "or the one before it was altered.",
            )  # fmt: skip
        if record_hash(row) != row.record_hash:
            return Verification(
                False, count, previous_hash,
                f"{name} was altered: its contents no longer match its recorded hash.",
            )  # fmt: skip
        expected_seq, previous_hash, count = expected_seq + 1, row.record_hash, count + 1
    if count > last_seq:
        return Verification(
            False, last_seq, last_hash,
            f"the chain goes on past its head at position {last_seq}: "
            "an evidence row was added outside smattest.",
        )  # fmt: skip
    if (count, previous_hash) != (last_seq, last_hash):
        return Verification(
            False, count, previous_hash,
            f"the chain ends at position {count} but its head records {last_seq}: "
            "the newest evidence rows were removed, or the head was altered.",
        )  # fmt: skip
    return Verification(True, count, previous_hash)
