"""Helpers for tests that write evidence directly: chained as the services chain it."""

from __future__ import annotations

import sqlalchemy as sa

from smattest.evidence import chain as evidence
from smattest.models import Exemption, ExemptionEnd

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
