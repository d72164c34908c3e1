"""The outbox's tables: reminders and receipts, one row per mail, and HR's weekly summary.

Each row is planned in the same transaction as the fact that causes it, claimed
by one run with a conditional UPDATE, sent outside any transaction, then marked
sent (:mod:`smattest.reminders.delivery`); the columns that track its mail are
:class:`smattest.records.Delivery`'s. For a reminder, ``recipient`` is the person,
or their manager for an escalation.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base
from .models import Staff
from .records import Delivery


class Reminder(Delivery, Base):
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

    staff: Mapped[Staff] = relationship()


class HRSummary(Delivery, Base):
    """The outbox row of HR's weekly summary: one per week, sent once."""

    __tablename__ = "smattest_hr_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Monday (local) of the week summarised.
    week_start: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    #: Every HR address the summary went to.
    recipient: Mapped[str | None] = mapped_column(sa.Text)
