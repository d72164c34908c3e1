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
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .courses import CourseVersion
    from .policies import PolicyVersion
    from .staff import Staff


class ChainHead(Base):
    """The single row holding the evidence chain's last sequence number and hash.

    Appending evidence first updates this row, which serialises appends on
    every database (a row lock on PostgreSQL and MariaDB, the write lock on
    SQLite) and lets ``audit verify`` notice a removed last row.
    """

    __tablename__ = "smattest_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ChainPosition(Base):
    """One chain position, and the one evidence table whose row holds it.

    Every evidence row references its position here by ``(chain_seq,
    chain_table)``, its ``chain_table`` fixed to its own table's name by a CHECK
    constraint, and ``seq`` is this table's primary key: the database refuses a
    second row at a taken position, in the same table or any other.
    """

    __tablename__ = "smattest_chain_position"
    __table_args__ = (sa.UniqueConstraint("seq", "tbl"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: The evidence table holding the row at this position.
    tbl: Mapped[str] = mapped_column(sa.String(40))


def owns_position(table: str) -> tuple[sa.CheckConstraint, sa.ForeignKeyConstraint]:
    """An evidence table's constraints: its rows' ``chain_table`` is its name, and each
    row's ``(chain_seq, chain_table)`` is a position in :class:`ChainPosition`."""
    return (
        sa.CheckConstraint(f"chain_table = '{table}'", name="chain_table"),
        sa.ForeignKeyConstraint(
            ["chain_seq", "chain_table"],
            ["smattest_chain_position.seq", "smattest_chain_position.tbl"],
        ),
    )


def chain_table(table: str) -> Mapped[str]:
    """The ``chain_table`` column of an evidence table: always the table's own name."""
    return mapped_column(sa.String(40), default=table, server_default=table)


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


class Attestation(AtTheTime, SealedReason, SealedDevice, Base):
    """Evidence that a person attested to one policy version. Append-only."""

    __tablename__ = "smattest_attestation"
    __table_args__ = (
        sa.Index("ix_smattest_attestation_staff", "staff_id", "policy_version_id", "attested_at"),
        # One row per signing form sent: a double click or a retried POST of the same
        # form is refused by the database, whatever the person's audience.
        sa.UniqueConstraint("staff_id", "submission", name="uq_smattest_attestation_submission"),
        *owns_position("smattest_attestation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table("smattest_attestation")
    #: Its position (inserted before it: the unit of work follows this link).
    chain_position: Mapped[ChainPosition | None] = relationship()
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_policy_version.id"))
    attested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(sa.String(200))
    #: ``self``, ``on_behalf`` (with reason and recorder) or ``import``.
    method: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(64))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    #: SHA-256 of the text signed (format 2 hashes it as ``content_sha256``): the
    #: version's own text, or since format 6 the translation the person read.
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: The language of the text shown and signed (format 6; None before it: the original).
    language: Mapped[str | None] = mapped_column(sa.String(35))
    version_number: Mapped[int | None]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The signing form's one-time token (not hashed: it proves nothing, it only makes
    #: sending the same form twice record one row). Empty for rows not signed in a form.
    submission: Mapped[str | None] = mapped_column(sa.String(64))
    #: When HR recorded a signature given on paper on an earlier day (``attested_at`` is
    #: noon, local, of the day on the paper); None when recorded as it was signed. Such a
    #: row is format 3, whose hash covers it.
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship()
    policy_version: Mapped[PolicyVersion] = relationship()


class TrainingCompletion(AtTheTime, SealedReason, Base):
    """Evidence that a person completed a course version. Append-only."""

    __tablename__ = "smattest_training_completion"
    __table_args__ = (
        sa.Index(
            "ix_smattest_training_completion_staff", "staff_id", "course_version_id", "completed_at"
        ),
        *owns_position("smattest_training_completion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table("smattest_training_completion")
    #: Its position (inserted before it: the unit of work follows this link).
    chain_position: Mapped[ChainPosition | None] = relationship()
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_course_version.id"))
    quiz_attempt_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("smattest_quiz_attempt.id"), unique=True
    )
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    score: Mapped[int | None]
    #: The language the course and quiz were taken in (format 6; None before it).
    language: Mapped[str | None] = mapped_column(sa.String(35))
    method: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: Format 1: the version's ``content_sha256``; format 2: its ``stored_sha256``.
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    version_number: Mapped[int | None]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    staff: Mapped[Staff] = relationship()
    course_version: Mapped[CourseVersion] = relationship()


class Exemption(AtTheTime, SealedReason, Base):
    """HR's decision that a person owes a requirement nothing until a date.

    The grant is an evidence row in the chain; ending it early is another
    (:class:`ExemptionEnd`). ``ended_at``/``ended_by`` repeat the end for
    pages; the rule reads the chained end.
    """

    __tablename__ = "smattest_exemption"
    __table_args__ = (
        sa.Index("ix_smattest_exemption_staff", "staff_id", "requirement_kind", "requirement_id"),
        *owns_position("smattest_exemption"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    requirement_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    #: Last day covered; None for open-ended.
    until: Mapped[dt.date | None] = mapped_column(sa.Date)
    granted_by: Mapped[str] = mapped_column(sa.String(64))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: None only for a row that never joined the chain (it counts for nothing).
    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table("smattest_exemption")
    #: Its position (inserted before it: the unit of work follows this link).
    chain_position: Mapped[ChainPosition | None] = relationship()
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    record_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)


class ExemptionEnd(AtTheTime, Base):
    """Evidence that HR ended an exemption early: a row in the chain, never changed."""

    __tablename__ = "smattest_exemption_end"
    __table_args__ = owns_position("smattest_exemption_end")

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table("smattest_exemption_end")
    #: Its position (inserted before it: the unit of work follows this link).
    chain_position: Mapped[ChainPosition | None] = relationship()
    exemption_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_exemption.id"), index=True)
    #: The grant's chain position: how the rule finds the grant an end ends (format 4
    #: hashes it; for older ends the upgrade copied it from the grant named by ``exemption_id``).
    grant_seq: Mapped[int | None] = mapped_column(index=True)
    #: Format 4: the grant's record hash, so the end is bound to that exact grant.
    grant_hash: Mapped[str | None] = mapped_column(sa.String(64))
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    requirement_id: Mapped[int]
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_by: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class VersionRecord(Base):
    """Evidence that a version in force before smattest was recorded after the fact.

    A row of the chain (format 5, see docs/evidence.md) for one past policy or
    course version (``--historical SOURCE``). It copies nothing: its hash covers
    the version as the version's own table holds it (who recorded it and when,
    its source, its effective date, the SHA-256 of its text or content as
    stored now), so editing any of them there breaks this row's hash.
    """

    __tablename__ = "smattest_version_record"
    __table_args__ = owns_position("smattest_version_record")

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table("smattest_version_record")
    #: Its position (inserted before it: the unit of work follows this link).
    chain_position: Mapped[ChainPosition | None] = relationship()
    format: Mapped[int] = mapped_column(default=5, server_default="5")
    #: ``policy`` or ``course``: which of the two version columns is set.
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    policy_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("smattest_policy_version.id"), unique=True
    )
    course_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("smattest_course_version.id"), unique=True
    )
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


TRANSLATION_TABLE = "smattest_policy_translation"


class PolicyTranslation(Base):
    """One language's text of a published policy version: a row of the evidence chain.

    Published with its version or added to it later (which changes nothing anyone
    owes). Like a past version's record (format 5) it is chained (format 6, kind
    ``translation``): its hash covers the language, who added it and when, and the
    SHA-256 of its Markdown as stored now, so editing the text, even one nobody has
    signed yet, breaks the row's hash. People read :attr:`html`, rendered from the
    hashed Markdown: no rendering is stored.
    """

    __tablename__ = TRANSLATION_TABLE
    __table_args__ = (
        sa.UniqueConstraint("policy_version_id", "language"),
        *owns_position(TRANSLATION_TABLE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table(TRANSLATION_TABLE)
    #: Its position (inserted before it: the unit of work follows this link).
    chain_position: Mapped[ChainPosition | None] = relationship()
    format: Mapped[int] = mapped_column(default=6, server_default="6")
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_policy_version.id"))
    #: A language tag as :func:`smattest.i18n.normalise` writes it: ``es``, ``pt_BR``.
    language: Mapped[str] = mapped_column(sa.String(35))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of ``body_markdown`` (UTF-8): what a signature in this language is bound to.
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    policy_version: Mapped[PolicyVersion] = relationship()


class Checkpoint(Base):
    """A record of the chain's head sent outside the database (``audit checkpoint``)."""

    __tablename__ = "smattest_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))
    #: The Merkle root (RFC 9162) over the record hashes of positions 1..position, hex;
    #: None for checkpoints taken before roots (v1 lines) or over a broken chain.
    root: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The addresses the line was emailed to; None when SMATTEST_AUDIT_EMAILS is empty.
    sent_to: Mapped[str | None] = mapped_column(sa.Text)


def in_chain(position: Any) -> sa.ColumnElement[bool]:
    """Whether an evidence row (by its ``chain_seq`` column) holds a position in the chain.

    Inside 1 to the head, and the position owned by the row's table in
    :class:`ChainPosition`. Only such rows count, for the rule, the pages, the
    receipts and the exports: a row inserted by SQL outside the chain's
    positions, or at a position another table holds (with the database's
    checks switched off), changes nobody's status, and ``audit verify`` names it.
    """
    table = position.class_.__tablename__ if hasattr(position, "class_") else position.table.name
    head = sa.select(ChainHead.last_seq).where(ChainHead.id == 1).scalar_subquery()
    owned = sa.exists().where(ChainPosition.seq == position, ChainPosition.tbl == table)
    return sa.and_(position >= 1, position <= head, owned)


@sa.event.listens_for(ChainHead.__table__, "after_create")
def _insert_chain_head(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    """``create_all`` (tests, quick starts) gets the head row the migration inserts."""
    connection.execute(target.insert().values(id=1, last_seq=0, last_hash=""))
