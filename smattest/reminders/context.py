"""What the dry run and HR's weekly summary need of a reminder run.

:class:`~smattest.reminders.run.ReminderRun` provides it; :mod:`.preview` and
:mod:`.weekly` depend on this protocol instead of on the run module, so that
the imports inside ``smattest.reminders`` flow one way (run → preview, weekly).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import smattest.rule.compliance as compliance

from .report import RunReport


class RunContext(Protocol):
    """One reminder run's state and the actions the summary and the dry run share."""

    config: Mapping[str, Any]
    now: dt.datetime
    today: dt.date
    dry_run: bool
    token: str
    report: RunReport
    broken: str | None
    requirements: Sequence[compliance.Requirement]
    #: People announced a new policy version today: they get no reminder today.
    announced: set[int]

    @property
    def standings(self) -> dict[tuple[str, int], dict[int, compliance.Standing]]:
        """Everyone's standing for each requirement on the run's day."""

    def rechecked(
        self, staff_ids: Iterable[int]
    ) -> dict[int, dict[tuple[str, int], compliance.Standing]]:
        """Standings worked out again from the evidence, by person then requirement."""

    def verdict(
        self, row: Any, standing: compliance.Standing | None, manager_email: str | None = None
    ) -> str | None:
        """Why a planned row would not be sent now, or None to send it."""

    def title(self, row: Any) -> str:
        """The requirement's title for an outbox row."""

    def tally(self, delivery: Any, model: Any, kind: str, unstaged: str = "") -> None:
        """Report a recorded batch (:class:`~smattest.reminders.delivery.Delivery`)."""

    def find_stuck(self) -> None:
        """Report rows left in 'sending' by an earlier run."""
