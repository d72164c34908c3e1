"""What a reminder run did (or, in a dry run, would do), for people to read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..proxies import current_smattest


class ReminderError(ValueError):
    """Reminders cannot be run or changed as asked; the message says what to do."""


@dataclass(frozen=True)
class MailOut:
    """One mail a run sent (or, in a dry run, would send)."""

    kind: str  # "staff", "manager" or "hr"
    recipient: str
    stages: tuple[str, ...]
    requirements: tuple[str, ...]
    #: Why it cannot go out (a dry run tells in advance), else None.
    problem: str | None = None

    def line(self) -> str:
        text = f"  {self.kind:<7} {self.recipient or '(no address)'}"
        if self.stages:
            text += f"  [{', '.join(self.stages)}]"
        if self.requirements:
            text += f"  {'; '.join(self.requirements)}"
        return text + (f"  -- will fail: {self.problem}" if self.problem else "")


@dataclass(frozen=True)
class StuckRow:
    """A row left 'sending' past SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES."""

    kind: str  # "reminder" or "summary"
    id: int
    description: str
    claimed_at: dt.datetime


@dataclass
class RunReport:
    """What one run did, in numbers and in lines a person reads."""

    now: dt.datetime
    today: dt.date
    dry_run: bool = False
    business_day: bool = True
    #: New outbox rows (in a dry run: rows that would be new).
    planned: int = 0
    #: Rows this run claimed to send (reminders; the HR summary is counted apart).
    claimed: int = 0
    people_mailed: int = 0
    managers_mailed: int = 0
    hr_mailed: int = 0
    #: Claimed rows not sent because the person no longer owes it, the cycle changed...
    skipped: int = 0
    #: Rows whose mail failed in this run (back to pending to retry, or given up).
    failed: int = 0
    #: Of the failed rows, those given up for good (listed for HR).
    given_up: int = 0
    #: Claimed rows never tried because the mail server failed first: pending again.
    returned: int = 0
    stuck: list[StuckRow] = field(default_factory=list)
    stuck_count: int = 0
    mails: list[MailOut] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True unless a send failed in this run."""
        return self.failed == 0

    def lines(self) -> list[str]:
        """The report as a person reads it (the CLI prints these)."""
        tz = current_smattest.timezone
        when = self.now.astimezone(tz)
        head = f"Reminders for {self.today:%A} {self.today.day} {self.today:%B %Y}, {when:%H:%M %Z}"
        lines = [head + (" (dry run: nothing written, nothing sent)" if self.dry_run else "")]
        lines += [f"Warning: {warning}" for warning in self.warnings]
        if not self.business_day:
            lines.append("Not a business day: no reminders are planned or sent today.")
        if self.dry_run:
            lines.append(f"Would plan {_count(self.planned, 'new reminder')}.")
            lines.append(f"Would send {_count(len(self.mails), 'mail')}:")
            lines += [mail.line() for mail in self.mails]
            if self.skipped:
                lines.append(
                    f"Would skip {_count(self.skipped, 'waiting reminder')} no longer owed."
                )
        else:
            lines.append(f"Planned {_count(self.planned, 'new reminder')}; claimed {self.claimed}.")
            lines.append(
                f"Mails sent: {self.people_mailed} to people, {self.managers_mailed} to "
                f"managers, {self.hr_mailed} to HR."
            )
            lines.append(
                f"Skipped {self.skipped} (no longer owed); failed {self.failed} "
                f"({self.given_up} given up); returned unsent {self.returned}."
            )
            lines += [f"  failed: {problem}" for problem in self.problems]
        lines.append(f"Stuck in 'sending' (reported, not resent): {self.stuck_count}.")
        for row in self.stuck:
            claimed = row.claimed_at.astimezone(tz)
            lines.append(
                f"  {row.kind} {row.id}: {row.description}, claimed {claimed:%Y-%m-%d %H:%M %Z}"
            )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _count(count: int, words: str) -> str:
    """'1 new reminder', '2 new reminders'."""
    return f"{count} {words}{'' if count == 1 else 's'}"
