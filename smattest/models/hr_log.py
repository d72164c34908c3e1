"""HR's log: who in HR did what, and when."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class HREvent(Base):
    """Who in HR did what, and when: roster imports, exemptions, drafts, publishing.

    Evidence of the people's own acts is in the hash chain; this log records
    HR's acts around it, for the person page and for an auditor's questions.
    """

    __tablename__ = "smattest_hr_event"
    __table_args__ = (sa.Index("ix_smattest_hr_event_staff", "staff_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The host user id of the HR person, or ``cli`` for a command.
    actor: Mapped[str] = mapped_column(sa.String(64))
    #: e.g. ``roster.import``, ``exemption.grant``, ``exemption.end``,
    #: ``attestation.on_behalf``, ``draft.create``, ``policy.publish``,
    #: ``version.historical`` (a version in force before smattest, recorded after the fact).
    action: Mapped[str] = mapped_column(sa.String(40))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
