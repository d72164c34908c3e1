"""When reminders fall due: the stages of one due cycle, and business days.

For a requirement due on day D (the *cycle*):

- ``before-N`` on D-N, for each N in ``SMATTEST_REMINDER_DAYS_BEFORE``;
- ``overdue-1`` on D+1, then ``overdue-k`` every ``SMATTEST_OVERDUE_EVERY_DAYS``;
- ``escalate`` (to the manager; ``escalate-2`` to their manager, and so on up the
  reporting line) on D+``SMATTEST_ESCALATE_AFTER_DAYS``, once the
  person is overdue; never when the setting is None.

A stage whose day is not in ``SMATTEST_BUSINESS_DAYS`` waits for the next
business day. A person is sent only the *latest* staff stage reached: a run
that finds someone past several stages (the job was down) sends one mail, and
the earlier stages of that cycle are never sent afterwards.

Everything here is pure date arithmetic, so it is tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import WEEKDAYS

ESCALATE = "escalate"
ONE_DAY = dt.timedelta(days=1)


def escalation_stage(level: int) -> str:
    """The outbox stage that tells the manager ``level`` steps up a person's reporting
    line: ``escalate`` (their manager), ``escalate-2`` (that manager's manager), ..."""
    return ESCALATE if level == 1 else f"{ESCALATE}-{level}"


def escalation_level(stage: str) -> int | None:
    """How far up the line an escalation stage goes (1: the manager), or None."""
    if stage == ESCALATE:
        return 1
    prefix = f"{ESCALATE}-"
    if stage.startswith(prefix) and stage.removeprefix(prefix).isdecimal():
        return int(stage.removeprefix(prefix))
    return None


@dataclass(frozen=True)
class Cadence:
    """The reminder settings, with the stage arithmetic they imply."""

    days_before: tuple[int, ...]
    overdue_every: int
    escalate_after: int | None
    #: Weekday numbers (Monday 0) on which reminders go out.
    business_days: frozenset[int]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Cadence:
        """The cadence ``config``'s ``SMATTEST_*`` settings describe."""
        return cls(
            days_before=tuple(sorted(config["SMATTEST_REMINDER_DAYS_BEFORE"], reverse=True)),
            overdue_every=config["SMATTEST_OVERDUE_EVERY_DAYS"],
            escalate_after=config["SMATTEST_ESCALATE_AFTER_DAYS"],
            business_days=frozenset(
                WEEKDAYS.index(day.lower()) for day in config["SMATTEST_BUSINESS_DAYS"]
            ),
        )

    def is_business_day(self, day: dt.date) -> bool:
        """Whether reminders go out on ``day``."""
        return day.weekday() in self.business_days

    def send_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a business day, else the next business day."""
        while not self.is_business_day(day):
            day += ONE_DAY
        return day

    def latest_staff_stage(self, due: dt.date, today: dt.date) -> str | None:
        """The latest of the person's stages of cycle ``due`` whose send day has come by
        ``today``, or None.

        Send days follow nominal days in order (the business-day shift never
        reorders them), so the first stage found walking back from ``today``
        whose send day is not after ``today`` is the latest reached.
        """
        if today > due:
            k = (today - due - ONE_DAY).days // self.overdue_every + 1
            while k >= 1:
                nominal = due + ONE_DAY + dt.timedelta(days=(k - 1) * self.overdue_every)
                if self.send_day(nominal) <= today:
                    return f"overdue-{k}"
                k -= 1
        for n in reversed(self.days_before):  # nearest the due date first
            nominal = due - dt.timedelta(days=n)
            if nominal <= today and self.send_day(nominal) <= today:
                return f"before-{n}"
        return None

    def escalation_reached(self, due: dt.date, today: dt.date) -> bool:
        """Whether the manager is to be told about cycle ``due`` by ``today``.

        Only once the person is overdue: with ``SMATTEST_ESCALATE_AFTER_DAYS = 0``
        the manager hears on the first overdue business day.
        """
        if self.escalate_after is None or today <= due:
            return False
        nominal = due + dt.timedelta(days=max(self.escalate_after, 1))
        return self.send_day(nominal) <= today
