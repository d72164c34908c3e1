"""A published requirement's life: retiring a policy or course, withdrawing a scheduled version."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class Retirable:
    """A policy's or course's retirement: from ``retired_on`` nobody owes it; its
    evidence stays. None while in use."""

    retired_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    retired_reason: Mapped[str | None] = mapped_column(sa.Text)
    retired_by: Mapped[str | None] = mapped_column(sa.String(64))


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
