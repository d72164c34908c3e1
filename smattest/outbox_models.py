"""The outbox's tables: reminders and receipts, one row per mail, and HR's weekly summary.

Each row is planned in the same transaction as the fact that causes it, claimed
by one run with a conditional UPDATE, sent outside any transaction, then marked
sent (:mod:`smattest.reminders.outbox`).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow
from .models import Staff


class Reminder(Base):
    """The outbox: one row per (person, requirement, due cycle, stage), sent once."""

    __tablename__ = "smattest_reminder"
    __table_args__ = (
        sa.UniqueConstraint(
            "staff_id",
            "requirement_kind",
            "requirement_id",
            "cycle_due",
            "stage",
            name="uq_smattest_reminder_stage",
        ),
        sa.Index("ix_smattest_reminder_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    requirement_id: Mapped[int]
    cycle_due: Mapped[dt.date] = mapped_column(sa.Date)
    stage: Mapped[str] = mapped_column(sa.String(16))
    #: ``pending``, ``sending``, ``sent`` or ``failed`` (given up).
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Which run claimed the row (a random token), so it sends only what it claimed.
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    #: The address the mail went to: the person, or their manager for an escalation.
    recipient: Mapped[str | None] = mapped_column(sa.String(255))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[Staff] = relationship()


class HRSummary(Base):
    """The outbox row of HR's weekly summary: one per week, sent once."""

    __tablename__ = "smattest_hr_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Monday (local) of the week summarised.
    week_start: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    recipient: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
