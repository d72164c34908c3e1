"""The records around the evidence that audiences and a policy's life need.

Dated placements (a person's department and groups from a day on), dated
audience changes, withdrawals of scheduled versions, and the outboxes of
announcements and review reminders. :mod:`smattest.models` re-exports them.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow


class Retirable:
    """A policy's or course's retirement: from ``retired_on`` nobody owes it; its
    evidence stays. None while in use."""

    retired_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    retired_reason: Mapped[str | None] = mapped_column(sa.Text)
    retired_by: Mapped[str | None] = mapped_column(sa.String(64))


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


class Placement(Base):
    """A person's department and groups from a day on: the history audiences are read in.

    ``since`` is None for what a person had when smattest first knew them (it
    holds for every earlier day). A new row is added whenever the department or
    the groups change; rows are never changed.
    """

    __tablename__ = "smattest_placement"
    __table_args__ = (sa.Index("ix_smattest_placement_staff", "staff_id", "since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    since: Mapped[dt.date | None] = mapped_column(sa.Date)
    department: Mapped[str | None] = mapped_column(sa.String(120))
    groups: Mapped[str | None] = mapped_column(sa.String(500))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AudienceChange(Base):
    """Who owes a policy or a course from a day on; none at all means everyone.

    The audience on a day is the latest row whose ``since`` is on or before it.
    """

    __tablename__ = "smattest_audience"
    __table_args__ = (
        sa.Index("ix_smattest_audience_requirement", "requirement_kind", "requirement_id", "since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    requirement_id: Mapped[int]
    since: Mapped[dt.date] = mapped_column(sa.Date)
    #: :meth:`smattest.membership.Audience.to_json`.
    rule: Mapped[str] = mapped_column(sa.Text)
    set_by: Mapped[str] = mapped_column(sa.String(64))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class VersionWithdrawal(Base):
    """HR withdrew a scheduled version: it never takes effect, stays listed as withdrawn,
    and its number is not reused."""

    __tablename__ = "smattest_version_withdrawal"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("smattest_policy_version.id"), unique=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text)
