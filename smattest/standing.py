"""A person's standing for one requirement: the four statuses, their labels, and their order.

:mod:`smattest.compliance` decides standings and re-exports these names; they
live here so that the rule's module holds the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .requirements import Requirement

CURRENT, DUE_SOON, OVERDUE, EXEMPT = "current", "due_soon", "overdue", "exempt"
#: Most urgent first: the order of "My compliance" and of reminders.
URGENCY = {OVERDUE: 0, DUE_SOON: 1, CURRENT: 2, EXEMPT: 3}
LABELS = {CURRENT: "Current", DUE_SOON: "Due soon", OVERDUE: "Overdue", EXEMPT: "Exempt"}


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
        return LABELS[self.status]

    @property
    def days_overdue(self) -> int:
        """Days past the due date on :attr:`on` (0 unless overdue)."""
        if self.status != OVERDUE or self.due_date is None:
            return 0
        return (self.on - self.due_date).days
