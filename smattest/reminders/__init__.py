"""Reminders: who is chased by email, when, and the outbox that sends each mail once.

- :mod:`.cadence`: the stages of a due cycle and business days (pure dates);
- :mod:`.outbox`: planning, claiming and recording rows (the once-only guarantee);
- :mod:`.messages`: the person's digest, the manager's digest, HR's weekly summary;
- :mod:`.run`: :func:`run_reminders`, what ``flask smattest reminders send`` and
  the scheduler call, with :mod:`.preview` (the dry run), :mod:`.weekly` (HR's
  summary) and :mod:`.report` (what a run tells);
- :mod:`.hr`: HR's view of the outbox and its decisions on stuck rows;
- :mod:`.due_watch`: the daily ``compliance check``, its differences emailed.
"""

from .report import MailOut, ReminderError, RunReport, StuckRow
from .run import run_reminders

__all__ = ["MailOut", "ReminderError", "RunReport", "StuckRow", "run_reminders"]
