"""Helpers for tests that write evidence directly: chained as the services chain it."""

from __future__ import annotations

import sqlalchemy as sa

from smattest.evidence import chain as evidence
from smattest.models import Attestation, Exemption, ExemptionEnd

from . import hostapp


def chain(*rows) -> None:
    """Append evidence rows to the chain as the services do, in one transaction."""
    head = evidence.lock_chain()
    for row in rows:
        evidence.link(head, row)
    hostapp.db.session.commit()


def chain_exemptions(*exemptions: Exemption) -> None:
    """Chain exemption grants, each followed by its end when it has ``ended_at`` set."""
    session = hostapp.db.session
    head = evidence.lock_chain()
    for exemption in exemptions:
        evidence.link(head, exemption)
        if exemption.ended_at is not None:
            session.flush()
            evidence.link(
                head,
                ExemptionEnd(
                    exemption_id=exemption.id,
                    staff_id=exemption.staff_id,
                    requirement_kind=exemption.requirement_kind,
                    requirement_id=exemption.requirement_id,
                    ended_at=exemption.ended_at,
                    ended_by=exemption.ended_by,
                    grant_seq=exemption.chain_seq,
                    grant_hash=exemption.record_hash,
                ),
            )
    session.commit()


def sql(statement: str, **params) -> None:
    """Run ``statement`` on the host's engine and commit: an edit behind smattest's back."""
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def insider_sql(statement: str, **params) -> None:
    """Run ``statement`` as a database administrator would, with foreign-key checks off.

    PostgreSQL: ``SET LOCAL session_replication_role = replica`` (no FK triggers);
    MariaDB: ``SET foreign_key_checks = 0``; SQLite checks none unless the host asks.
    CHECK constraints and unique keys still hold: no session setting turns them off.
    """
    with hostapp.db.engine.begin() as conn:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        elif dialect in ("mysql", "mariadb"):
            conn.execute(sa.text("SET foreign_key_checks = 0"))
        try:
            conn.execute(sa.text(statement), params)
        finally:
            if dialect in ("mysql", "mariadb"):
                conn.execute(sa.text("SET foreign_key_checks = 1"))
    hostapp.db.session.commit()


def rewrite_without(position: int) -> None:
    """The insider's rewrite: delete one attestation, renumber the rest, recompute every
    hash and the head with smattest's own hashing code, all by SQL (then the host's
    session starts afresh)."""
    session = hostapp.db.session
    sql("DELETE FROM smattest_attestation WHERE chain_seq = :p", p=position)
    session.commit()
    rows = session.scalars(sa.select(Attestation).order_by(Attestation.chain_seq)).all()
    for row in rows:
        session.expunge(row)
    previous = ""
    for seq, row in enumerate(rows, 1):
        row.chain_seq, row.prev_hash = seq, previous
        row.record_hash = previous = evidence.record_hash(row)
        sql("UPDATE smattest_attestation SET chain_seq = :seq, prev_hash = :prev,"
            " record_hash = :hash WHERE id = :id",
            seq=seq, prev=row.prev_hash, hash=row.record_hash, id=row.id)  # fmt: skip
    sql("UPDATE smattest_chain_head SET last_seq = :seq, last_hash = :hash",
        seq=len(rows), hash=previous)  # fmt: skip
    # Each position has one owner: the rewriter frees the positions past the new head.
    sql("DELETE FROM smattest_chain_position WHERE seq > :seq", seq=len(rows))
    session.commit()
