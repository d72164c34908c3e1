"""A person's standing for one requirement: the four statuses, their labels, and their order.

:mod:`smattest.rule.compliance` works out due dates and re-exports these names; they
live here so that the rule's module holds the rule. A :class:`Position` (what the
rule worked out for a person) gives the status on any day by one comparison,
written here twice, side by side: in Python (:meth:`Position.on`) and in SQL
over the due-date table (:func:`status_on`, :func:`is_status`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..i18n import lazy_gettext
from ..models import DueDate
from .requirements import Requirement

CURRENT, DUE_SOON, OVERDUE, EXEMPT = "current", "due_soon", "overdue", "exempt"
#: Most urgent first: the order of "My compliance" and of reminders.
URGENCY = {OVERDUE: 0, DUE_SOON: 1, CURRENT: 2, EXEMPT: 3}
#: Each status in words, in the reader's language when shown.
LABELS = {
    CURRENT: lazy_gettext("Current"),
    DUE_SOON: lazy_gettext("Due soon"),
    OVERDUE: lazy_gettext("Overdue"),
    EXEMPT: lazy_gettext("Exempt"),
}


@dataclass(frozen=True)
class Standing:
    """One person's status for one requirement."""

    requirement: Requirement
    staff_id: int
    status: str
    #: None when exempt without an end date.
    due_date: dt.date | None
    #: When the person last did what counts (attested, completed), or None.
    done_at: dt.datetime | None
    #: The day this standing is for (today, or the ``as_of`` day looked back at).
    on: dt.date

    @property
    def label(self) -> str:
        return str(LABELS[self.status])

    @property
    def days_overdue(self) -> int:
        """Days past the due date on :attr:`on` (0 unless overdue)."""
        if self.status != OVERDUE or self.due_date is None:
            return 0
        return (self.on - self.due_date).days


@dataclass(frozen=True)
class Position:
    """Where one person stands on a requirement, whatever the day: what a status is read from.

    ``due_on`` is the rule's due date had they no exemption; ``exempt`` says
    an exemption covered the day it was worked out, until ``exempt_until``
    (its last day; None: open-ended). The status on any later day, until
    something recorded or scheduled changes, is :meth:`on` that day:
    the due-date table keeps these for the HR pages (:mod:`smattest.due`, :func:`status_on`).
    """

    staff_id: int
    due_on: dt.date
    done_at: dt.datetime | None
    exempt: bool = False
    exempt_until: dt.date | None = None

    def on(self, requirement: Requirement, day: dt.date, due_soon_days: int) -> Standing:
        """The standing on ``day`` (from the day it was worked out on)."""
        if self.exempt and (self.exempt_until is None or self.exempt_until >= day):
            return Standing(requirement, self.staff_id, EXEMPT, self.exempt_until,
                            self.done_at, day)  # fmt: skip
        if day > self.due_on:
            status = OVERDUE
        elif self.done_at is None or (self.due_on - day).days <= due_soon_days:
            status = DUE_SOON
        else:
            status = CURRENT
        return Standing(requirement, self.staff_id, status, self.due_on, self.done_at, day)


# -- the same comparison in SQL, over the due-date table ------------------------------


def _soon(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=current_app.config["SMATTEST_DUE_SOON_DAYS"])


def exempt_on(day: dt.date) -> sa.ColumnElement[bool]:
    """Rows whose exemption covers ``day``."""
    return sa.and_(
        DueDate.exempt, sa.or_(DueDate.exempt_until.is_(None), DueDate.exempt_until >= day)
    )


def status_on(day: dt.date) -> sa.ColumnElement[str]:
    """A row's status on ``day``, as a SQL expression."""
    return sa.case(
        (exempt_on(day), EXEMPT),
        (DueDate.due_on < day, OVERDUE),
        (sa.or_(DueDate.done_at.is_(None), DueDate.due_on <= _soon(day)), DUE_SOON),
        else_=CURRENT,
    )


def is_status(status: str, day: dt.date) -> sa.ColumnElement[bool]:
    """Rows with ``status`` on ``day``, written so that indexes on ``due_on`` help."""
    exempt = exempt_on(day)
    if status == EXEMPT:
        return exempt
    if status == OVERDUE:
        return sa.and_(~exempt, DueDate.due_on < day)
    if status == DUE_SOON:
        return sa.and_(
            ~exempt,
            DueDate.due_on >= day,
            sa.or_(DueDate.done_at.is_(None), DueDate.due_on <= _soon(day)),
        )
    return sa.and_(~exempt, DueDate.due_on > _soon(day), DueDate.done_at.is_not(None))
