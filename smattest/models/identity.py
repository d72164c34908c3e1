"""The records of who is who: changes of a person's id (evidence) and refused sign-ins.

Kept beside :mod:`smattest.models` on the same metadata; ``IdentityLink`` rows
are part of the evidence hash chain (:mod:`smattest.evidence`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from .evidence import ChainPosition, chain_table, owns_position

if TYPE_CHECKING:
    from .staff import Staff


class IdentityLink(Base):
    """Evidence that HR linked a person's record to a new id. Append-only, chained.

    The person keeps their record and every row of evidence; only the id the
    host signs them in by changes, from ``old_external_id`` to ``new_external_id``.
    """

    __tablename__ = "smattest_identity_link"
    __table_args__ = owns_position("smattest_identity_link")

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_table: Mapped[str] = chain_table("smattest_identity_link")
    chain_position: Mapped[ChainPosition | None] = relationship()
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"), index=True)
    old_external_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    new_external_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    #: The HR person's id, or ``cli:<account>`` for the command.
    recorded_by: Mapped[str] = mapped_column(sa.String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    staff: Mapped[Staff] = relationship()


class UnlinkedSignIn(Base):
    """A first visit refused because its email belongs to a person under another id.

    Not evidence: a to-do for HR, removed when HR links the id to the person.
    """

    __tablename__ = "smattest_unlinked_sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The active person whose email the visit carried.
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(255))
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    visits: Mapped[int] = mapped_column(default=1)

    staff: Mapped[Staff] = relationship()
