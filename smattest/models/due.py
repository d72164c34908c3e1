"""The due-date table: each person's position per requirement, kept for the HR pages.

Not evidence: a cache of the rule (:mod:`smattest.rule.compliance`), rebuilt
from the evidence at any time and checked against it by ``flask smattest
compliance check``. A change that moves due dates leaves a mark in the same
transaction (:mod:`smattest.due.marks`); a settle, in a transaction of its own,
works the marked rows out again (:mod:`smattest.due.upkeep`).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime


class DueDate(Base):
    """One active person in a requirement's audience: their due date and exemption.

    The status on a day is a comparison with that day (see
    :meth:`smattest.rule.standing.Position.on`), so counts, filters and the
    "most overdue" order are SQL over this table.
    """

    __tablename__ = "smattest_due"
    __table_args__ = (
        sa.Index("ix_smattest_due_requirement", "requirement_kind", "requirement_id", "due_on"),
    )

    #: The person (:class:`~smattest.models.Staff`). No foreign key, on purpose: checking
    #: one would lock the person's row (InnoDB) while a settle writes, and a settle that
    #: waits on people a roster import holds is how the two deadlocked. A deleted person's
    #: rows go with them (:mod:`smattest.due.marks`), and a rebuild keeps no stray row.
    staff_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requirement_kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    requirement_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: The rule's due date had they no exemption.
    due_on: Mapped[dt.date] = mapped_column(sa.Date)
    #: When they last did what counts, or None.
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: An exemption covered the day the row was worked out on ...
    exempt: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: ... until this day (its last); None: open-ended, or not exempt.
    exempt_until: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: A keyed hash of the other columns (:mod:`smattest.due.seal`), with a key the
    #: database does not hold: a row edited outside smattest fails it, and readers then
    #: answer from the evidence. None only before the first settle after migration 0016.
    seal: Mapped[str | None] = mapped_column(sa.String(64))


class DuePending(Base):
    """A person whose rows of one kind a committed change moved, not yet worked out again.

    Written, instead of the rows themselves, by the transaction that appends
    evidence about them (a signature, a completion, an exemption) or changes
    them (the roster), so that signing, which the whole agency does at once,
    costs one small upsert. Committed with the change; the next settle
    (:func:`smattest.due.upkeep.settle`) works off what is pending, many people
    at a time, and deletes only the marks it read.
    """

    __tablename__ = "smattest_due_pending"

    staff_id: Mapped[int] = mapped_column(
        sa.ForeignKey("smattest_staff.id", ondelete="CASCADE"), primary_key=True
    )
    requirement_kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: Renewed by each transaction that marks the person again (:mod:`smattest.due.marks`):
    #: a settle that read an older token deletes nothing, and the mark stays for the next.
    token: Mapped[str] = mapped_column(sa.String(32))


class DueRequirementPending(Base):
    """A requirement whose rows a committed change moved (a version, an audience, a
    retirement), or ``("*", 0)``: everyone's (a bulk statement on a watched table).

    Like :class:`DuePending`, committed with the change and worked off by the next settle;
    a change never rewrites the table itself, so it never waits on the table's locks.
    """

    __tablename__ = "smattest_due_pending_requirement"

    requirement_kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    requirement_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: As :attr:`DuePending.token`.
    token: Mapped[str] = mapped_column(sa.String(32))


class DueState(Base):
    """One row (id 1): the day the due-date table was worked out for, and with what settings.

    Rows stay true from day to day until a dated change (a version taking
    effect, an audience or placement from a day, a retirement) falls between
    that day and today, or the rule's settings change: then the table is
    rebuilt by the next settle. Every settle takes this row's lock first, so
    settles never interleave.
    """

    __tablename__ = "smattest_due_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: None: never built.
    computed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: The settings the due dates depend on (time zone, new-hire days, the seal key's
    #: fingerprint).
    settings: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    #: How many rows smattest left in the table (:mod:`smattest.due.seal`): a row deleted
    #: outside smattest leaves the table short of it ...
    row_count: Mapped[int | None]
    #: ... the XOR of those rows' secret shares, masked (hexadecimal): a row put back in
    #: an earlier sealed state, or one row swapped for another, changes it ...
    digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: ... the fresh nonce the mask was made from ...
    nonce: Mapped[str | None] = mapped_column(sa.String(32))
    #: ... and this keyed hash of all three keeps them from being edited.
    seal: Mapped[str | None] = mapped_column(sa.String(64))


@sa.event.listens_for(DueState.__table__, "after_create")
def _insert_state(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    """``create_all`` (tests, quick starts) gets the state row the migration inserts."""
    connection.execute(target.insert().values(id=1, computed_on=None, settings=""))


class TrendWeek(Base):
    """The rule's counts for one requirement on one past day, kept for HR's trend.

    Not evidence: a cache of what ``report status --as-of`` says for that day,
    worked out from the evidence by :mod:`smattest.reports.trend`. ``basis``
    fingerprints what else a past day's answer depends on (the roster, the
    settings, the requirements); ``evidence_seq`` is the chain's head when the
    row was worked out, so that evidence added later about that day or before
    (a paper-era import, a form recorded on someone's behalf) is noticed.
    """

    __tablename__ = "smattest_trend_week"

    requirement_kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    requirement_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    week_ending: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    current: Mapped[int]
    due_soon: Mapped[int]
    overdue: Mapped[int]
    exempt: Mapped[int]
    evidence_seq: Mapped[int]
    basis: Mapped[str] = mapped_column(sa.String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DueCheck(Base):
    """One run of ``compliance check`` (daily from the scheduler): what it found.

    HR's pages read the newest: while it found differences, every HR page says
    the statuses shown cannot be trusted until the table is rebuilt
    (``flask smattest compliance check --rebuild``, which records a new run).
    """

    __tablename__ = "smattest_due_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: Rows compared.
    rows: Mapped[int]
    #: How many rows differ from the evidence (0: the table matches).
    differences: Mapped[int]
    #: The first differences, one a line, as the command prints them.
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who the differences were emailed to (SMATTEST_AUDIT_EMAILS), if anyone.
    sent_to: Mapped[str | None] = mapped_column(sa.Text)
