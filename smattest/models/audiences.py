"""Dated audience changes: who owes a policy or a course from a day on."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


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
