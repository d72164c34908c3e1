"""Columns and tables of the evidence chain's newer rows (format 2) and its checkpoints.

Format-2 evidence rows carry, inside their hash, who they are about as that
person was then (employee id and full name) and what they are about (the
requirement's slug and version number), so a later rename or re-slug changes
no evidence. Each personal field (name, signature, reason, IP address, user
agent) sits beside a random salt and the SHA-256 of salt and value: the row
hash covers the digest, so erasing a field and its salt under a retention
schedule leaves the chain whole.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow


class AtTheTime:
    """Format version, and who and what the row is about, as they were when recorded."""

    #: 1: rows recorded before these columns (hash over ids); 2: the format in docs/evidence.md.
    format: Mapped[int] = mapped_column(default=1, server_default="1")
    employee_id: Mapped[str | None] = mapped_column(sa.String(64))
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    full_name_salt: Mapped[str | None] = mapped_column(sa.String(32))
    full_name_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    requirement_slug: Mapped[str | None] = mapped_column(sa.String(80))


class SealedReason:
    """The salt and digest beside a row's ``reason``."""

    reason_salt: Mapped[str | None] = mapped_column(sa.String(32))
    reason_sha256: Mapped[str | None] = mapped_column(sa.String(64))


class SealedDevice:
    """The salts and digests beside an attestation's signature, IP address and user agent."""

    signature_salt: Mapped[str | None] = mapped_column(sa.String(32))
    signature_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    ip_address_salt: Mapped[str | None] = mapped_column(sa.String(32))
    ip_address_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent_salt: Mapped[str | None] = mapped_column(sa.String(32))
    user_agent_sha256: Mapped[str | None] = mapped_column(sa.String(64))


class ExemptionEnd(AtTheTime, Base):
    """Evidence that HR ended an exemption early: a row in the chain, never changed."""

    __tablename__ = "smattest_exemption_end"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    exemption_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_exemption.id"), index=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    requirement_id: Mapped[int]
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_by: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class Checkpoint(Base):
    """A record of the chain's head sent outside the database (``audit checkpoint``)."""

    __tablename__ = "smattest_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The addresses the line was emailed to; None when SMATTEST_AUDIT_EMAILS is empty.
    sent_to: Mapped[str | None] = mapped_column(sa.Text)
