"""Who is on the roster: staff and their dated placements (department and groups from a day on)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class Staff(Base):
    """A person who owes compliance, linked to the host user by ``external_id``.

    Leavers are deactivated, never deleted: their evidence must stay readable.
    """

    __tablename__ = "smattest_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    manager_email: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    hire_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: Roster groups in lower case, sorted, joined by ``;`` (see :mod:`smattest.membership`).
    groups: Mapped[str | None] = mapped_column(sa.String(500))
    #: The language the person reads smattest's pages and mails in (``es``, ``es_MX``);
    #: None: their browser's, or ``SMATTEST_DEFAULT_LOCALE`` for mail.
    language: Mapped[str | None] = mapped_column(sa.String(35))
    #: Listed by a roster import: a sign-in fills only the fields the roster left empty.
    roster_managed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Staff {self.external_id} {self.full_name!r}>"


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
