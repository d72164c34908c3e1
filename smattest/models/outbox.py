"""The outbox's tables: reminders and receipts, one row per mail, and HR's weekly summary.

Each row is planned in the same transaction as the fact that causes it, claimed
by one run with a conditional UPDATE, sent outside any transaction, then marked
sent (:mod:`smattest.reminders.delivery`); the columns that track its mail are
:class:`smattest.records.Delivery`'s. For a reminder, ``recipient`` is the person,
or their manager for an escalation.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from .staff import Staff

#: The stage of a receipt's row in the outbox: ``rcpt:<attestation id>`` (16 characters at most).
RECEIPT_STAGE = "rcpt:"


def receipt_stage(attestation_id: int) -> str:
    """The outbox stage of the receipt for attestation ``attestation_id``."""
    return f"{RECEIPT_STAGE}{attestation_id}"


def attestation_of_stage(stage: str) -> int:
    """The attestation id a receipt's outbox stage names."""
    return int(stage.removeprefix(RECEIPT_STAGE))


class Delivery:
    """The columns every outbox row shares: where its one mail stands.

    ``status`` is ``pending``, ``sending`` (claimed by the run whose
    ``claim_token`` it holds), ``sent`` or ``failed`` (given up after
    ``attempts``); :mod:`smattest.reminders.delivery` claims, sends and records
    them a batch at a time.
    """

    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    recipient: Mapped[str | None] = mapped_column(sa.String(255))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(Delivery, Base):
    """The outbox: one row per (person, requirement, due cycle, stage), sent once.

    A nudge (HR's "remind these people now") is a row of stage ``nudge``, kind
    ``nudge``, requirement 0 and the local day as its cycle: the unique key
    allows one per person per day, whatever the runs or hosts.
    """

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
    #: Who asked for a reminder now (a nudge: stage ``nudge``); None for every other row.
    requested_by: Mapped[str | None] = mapped_column(sa.String(200))

    staff: Mapped[Staff] = relationship()


class HRSummary(Delivery, Base):
    """The outbox row of HR's weekly summary: one per week, sent once."""

    __tablename__ = "smattest_hr_summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Monday (local) of the week summarised.
    week_start: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    #: Every HR address the summary went to.
    recipient: Mapped[str | None] = mapped_column(sa.Text)


class Announcement(Delivery, Base):
    """The outbox row of one person's email that a material version took effect. Sent once."""

    __tablename__ = "smattest_announcement"
    __table_args__ = (
        sa.UniqueConstraint("staff_id", "policy_version_id", name="uq_smattest_announcement"),
        sa.Index("ix_smattest_announcement_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_policy_version.id"))


class ReviewNotice(Delivery, Base):
    """The outbox row of a policy owner's review reminder: 30 days before, and on the day."""

    __tablename__ = "smattest_review_notice"
    __table_args__ = (
        sa.UniqueConstraint("policy_id", "review_on", "stage", name="uq_smattest_review_notice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_policy.id"))
    review_on: Mapped[dt.date] = mapped_column(sa.Date)
    #: ``before`` (30 days ahead) or ``due`` (on the day).
    stage: Mapped[str] = mapped_column(sa.String(8))
