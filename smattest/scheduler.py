"""A small scheduler for ``flask smattest scheduler``: named jobs, their times, and a loop.

Dependency-free on purpose: a job registry, two kinds of schedule and a loop
that sleeps in short waits. The jobs call the same idempotent service
functions as the one-shot commands (``flask smattest reminders send``), so it
makes no difference to correctness whether the agency runs this process, a
cron line or a Kubernetes CronJob -- or several of them at once: the reminder
outbox, not the scheduler, makes each reminder go out once.

It never runs inside a web worker. Nothing in ``init_app`` or in a request
starts it; only the ``flask smattest scheduler`` command does, in the
foreground of its own process (gunicorn's workers would each run every job).

Times. ``daily_at`` reads its wall-clock time in ``SMATTEST_TIMEZONE``:

- a time that does not exist that day (a spring-forward gap, e.g. 02:30 on the
  day clocks go from 02:00 to 03:00) runs at the next instant that exists:
  the end of the gap (03:00);
- a time that happens twice (the fall-back hour) runs once, at the first.

Catch-up. Each job runs once per slot (a slot is one scheduled time). When the
process starts, or wakes, after a slot it has not run:

- a daily job still runs it, once, as long as it is the same day in
  ``SMATTEST_TIMEZONE`` (a restart at 09:30 sends the 08:00 reminders late
  rather than not at all); a slot from an earlier day is skipped -- today's
  run covers it, because each run plans everything that is due by then;
- an ``every`` job runs its latest slot (so it runs once when the process starts).

The scheduler remembers which slots it ran in memory only: a restart later on
the same day runs the day's slot again. That is safe for reminders (the outbox
sends each stage once) and is the reason a job must be idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from .config import WEEKDAYS
from .db import utcnow
from .state import state_for

logger = logging.getLogger("smattest.scheduler")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def local_instant(day: dt.date, at: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant (in UTC) when the clocks in ``tz`` show ``at`` on ``day``.

    Ambiguous (fall back): the first of the two. Missing (spring forward): the
    first instant after the gap, when the clocks show a later time than ``at``.
    """
    wall = dt.datetime.combine(day, at)
    # For a missing time, fold=0 reads it with the offset before the change,
    # which lands after the gap; fold=1 with the offset after, before the gap.
    after = wall.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if after.astimezone(tz).replace(tzinfo=None) == wall:
        return after
    before = wall.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:  # the first whole second whose wall-clock time is >= wall
        middle = (low + high) // 2
        shown = dt.datetime.fromtimestamp(middle, tz).replace(tzinfo=None)
        low, high = (low, middle) if shown >= wall else (middle, high)
    return dt.datetime.fromtimestamp(high, dt.UTC)


class DailyAt:
    """Once a day at a wall-clock time, on some weekdays. Build it with :func:`daily_at`."""

    def __init__(self, at: dt.time, days: Sequence[int], tz: zoneinfo.ZoneInfo | None = None):
        self.at, self.days, self.tz = at, frozenset(days), tz

    def slot_on(self, day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
        """The slot on ``day`` (UTC), or None when ``day`` is not one of the weekdays."""
        if day.weekday() not in self.days:
            return None
        return local_instant(day, self.at, self.tz or tz)

    def next_after(self, after: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
        """The first slot strictly after ``after``."""
        # From the day before: a gap can push a slot past midnight into the next day.
        start = after.astimezone(self.tz or tz).date() - dt.timedelta(days=1)
        for offset in range(10):
            slot = self.slot_on(start + dt.timedelta(days=offset), tz)
            if slot is not None and slot > after:
                return slot
        raise AssertionError("unreachable: every week has one of the days")

    def latest_at(self, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
        """The last slot at or before ``now``."""
        start = now.astimezone(self.tz or tz).date() + dt.timedelta(days=1)
        for offset in range(10):
            slot = self.slot_on(start - dt.timedelta(days=offset), tz)
            if slot is not None and slot <= now:
                return slot
        return None

    def still_due(self, slot: dt.datetime, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> bool:
        """A missed slot is still worth running on the same local day, not later."""
        zone = self.tz or tz
        return slot.astimezone(zone).date() == now.astimezone(zone).date()

    def __str__(self) -> str:
        days = ", ".join(WEEKDAYS[d] for d in sorted(self.days))
        zone = f" ({self.tz.key})" if self.tz else ""
        return f"daily at {self.at:%H:%M}{zone} on {days}"


class Every:
    """Every N minutes, on the multiples of N minutes since 1970-01-01 00:00 UTC.

    Build it with :func:`every`. Counting from a fixed instant keeps the slots
    evenly spaced through daylight-saving changes (every 15 minutes is always
    :00, :15, :30 and :45).
    """

    def __init__(self, minutes: int):
        self.interval = dt.timedelta(minutes=minutes)

    def latest_at(self, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
        """The last slot at or before ``now``."""
        return _EPOCH + ((now - _EPOCH) // self.interval) * self.interval

    def next_after(self, after: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
        """The first slot strictly after ``after``."""
        return self.latest_at(after, tz) + self.interval

    def still_due(self, slot: dt.datetime, now: dt.datetime, tz: zoneinfo.ZoneInfo) -> bool:
        """The latest slot is always worth running (so the job runs at start)."""
        return now - slot < self.interval

    def __str__(self) -> str:
        minutes = self.interval // dt.timedelta(minutes=1)
        return "every minute" if minutes == 1 else f"every {minutes} minutes"


Schedule = DailyAt | Every


def daily_at(
    at: str, days: Iterable[str] = WEEKDAYS, *, tz: str | zoneinfo.ZoneInfo | None = None
) -> DailyAt:
    """Once a day at ``at`` ("HH:MM", 24-hour) on ``days`` ("mon" ... "sun").

    The time is read in ``tz``, by default the app's ``SMATTEST_TIMEZONE``.
    """
    try:
        hours, minutes = at.split(":")
        clock = dt.time(int(hours), int(minutes))
    except (AttributeError, ValueError):
        raise ValueError(
            f"{at!r} is not a time of day: write it as 'HH:MM', e.g. '08:00'."
        ) from None
    names = [str(day).lower() for day in days]
    unknown = [name for name in names if name not in WEEKDAYS]
    if unknown or not names:
        raise ValueError(
            f"{list(days)!r} is not a list of weekdays: use names from {', '.join(WEEKDAYS)}."
        )
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    return DailyAt(clock, [WEEKDAYS.index(name) for name in names], zone)


def every(*, minutes: int) -> Every:
    """Every ``minutes`` minutes (from 1 to 1440)."""
    if not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        raise ValueError(f"every(minutes={minutes!r}): expected a whole number from 1 to 1440.")
    return Every(minutes)


@dataclass(frozen=True)
class Job:
    """A named task: ``func(now)`` runs at each slot of ``schedule``, in an app context."""

    name: str
    schedule: Schedule
    func: Callable[[dt.datetime], Any]


@dataclass(frozen=True)
class Outcome:
    """One run of a job: which slot, whether it finished, how long it took."""

    job: str
    slot: dt.datetime
    ok: bool
    seconds: float
    result: Any = None


class Scheduler:
    """Runs ``jobs`` for ``app``: each at most once per slot, one after another."""

    def __init__(self, app: Flask, jobs: Iterable[Job]):
        self.app = app
        self.jobs = list(jobs)
        names = [job.name for job in self.jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"two jobs share a name: {sorted(names)}")
        self.timezone = state_for(app).timezone
        self._ran: dict[str, dt.datetime] = {}  # job name -> the last slot it ran

    def next_run(self, job: Job, after: dt.datetime | None = None) -> dt.datetime:
        """The first slot of ``job`` strictly after ``after`` (default: now), in UTC."""
        return job.schedule.next_after(_aware(after or utcnow()), self.timezone)

    def due_slot(self, job: Job, now: dt.datetime | None = None) -> dt.datetime | None:
        """The slot ``job`` should run for at ``now``, or None (already ran, or too late)."""
        now = _aware(now or utcnow())
        slot = job.schedule.latest_at(now, self.timezone)
        if slot is None or not job.schedule.still_due(slot, now, self.timezone):
            return None
        last = self._ran.get(job.name)
        return None if last is not None and slot <= last else slot

    def run_pending(
        self, now: dt.datetime | None = None, *, stop: threading.Event | None = None
    ) -> list[Outcome]:
        """Run every job that is due at ``now`` (default: now), once for its slot.

        A job that raises is logged with its traceback and counts as run for
        that slot (it is not retried every second); the others still run.
        With ``stop`` set, no further job starts.
        """
        now = _aware(now or utcnow())
        outcomes = []
        for job in self.jobs:
            if stop is not None and stop.is_set():
                break
            slot = self.due_slot(job, now)
            if slot is not None:
                self._ran[job.name] = slot
                outcomes.append(self._run(job, slot, now))
        return outcomes

    def _run(self, job: Job, slot: dt.datetime, now: dt.datetime) -> Outcome:
        late = now - slot
        note = (
            f", {_duration(late.total_seconds())} late" if late >= dt.timedelta(minutes=1) else ""
        )
        logger.info("job %s started: slot %s%s", job.name, self.describe(slot), note)
        started = time.monotonic()
        try:
            with self.app.app_context():
                result = job.func(now)
        except Exception:
            seconds = time.monotonic() - started
            logger.exception("job %s failed after %s", job.name, _duration(seconds))
            return Outcome(job.name, slot, ok=False, seconds=seconds)
        seconds = time.monotonic() - started
        logger.info("job %s finished in %s", job.name, _duration(seconds))
        return Outcome(job.name, slot, ok=True, seconds=seconds, result=result)

    def run_forever(self, stop_event: threading.Event, *, poll_seconds: float = 1.0) -> None:
        """Run jobs as they come due until ``stop_event`` is set.

        Sleeps in waits of at most ``poll_seconds`` (so a changed clock is
        noticed), wakes at once when ``stop_event`` is set, and never
        interrupts a running job: a stop request takes effect when it ends.
        """
        while not stop_event.is_set():
            now = utcnow()
            self.run_pending(now, stop=stop_event)
            wake = min((self.next_run(job, now) for job in self.jobs), default=None)
            while not stop_event.is_set() and (wake is None or utcnow() < wake):
                left = poll_seconds if wake is None else (wake - utcnow()).total_seconds()
                stop_event.wait(max(0.0, min(poll_seconds, left)))

    def describe(self, moment: dt.datetime) -> str:
        """``moment`` as the agency reads it, with UTC: '2026-03-09 08:00 CDT (13:00 UTC)'."""
        local = moment.astimezone(self.timezone)
        text = f"{local:%Y-%m-%d %H:%M %Z}"
        return text if local.utcoffset() == dt.timedelta(0) else f"{text} ({moment:%H:%M} UTC)"


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("the scheduler needs timezone-aware datetimes (e.g. smattest.db.utcnow())")
    return moment.astimezone(dt.UTC)


def _duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def send_reminders(now: dt.datetime) -> Any:
    """The reminder job: ``smattest.reminders.run_reminders(now)``, its report logged."""
    from .reminders import run_reminders  # only when it runs: importing the scheduler stays light

    report = run_reminders(now)
    logger.info("reminders: %s", report)
    return report


def retry_reminders(now: dt.datetime) -> Any:
    """The retry job: run the reminders again later on a business day, so failed sends
    are retried with their backoff the same day instead of the next.

    Before the day's send time it does nothing: a run then would send the day's
    reminders early. Planning is idempotent, so a later run only sends what is
    still pending (retries, and anyone who became due since the morning).
    """
    config = current_app.config
    local = now.astimezone(zoneinfo.ZoneInfo(config["SMATTEST_TIMEZONE"]))
    business = WEEKDAYS[local.weekday()] in {d.lower() for d in config["SMATTEST_BUSINESS_DAYS"]}
    if not business or f"{local:%H:%M}" < config["SMATTEST_REMINDER_SEND_TIME"]:
        return None
    return send_reminders(now)


def send_mail(now: dt.datetime) -> Any:
    """The mail job: the receipts and the reminders HR asked to send now (nudges) waiting
    in the outbox (``flask smattest mail send``); the receipts' report."""
    from .reminders.nudge import send_nudges
    from .reminders.receipts import send_receipts

    report = send_receipts(now)
    for done in (report, send_nudges(now)):
        if done.sent or done.failed:
            logger.info("mail: %s", " ".join(done.lines()))
    return report


def take_checkpoint(now: dt.datetime) -> Any:
    """The checkpoint job: ``smattest.evidence.checkpoints.take()``, its line logged."""
    from .evidence.checkpoints import take  # only when it runs: importing the scheduler stays light

    taken = take()
    sent = ", ".join(taken.sent_to) or "nobody (SMATTEST_AUDIT_EMAILS is empty)"
    logger.info("checkpoint: %s, emailed to %s", taken.line, sent)
    if taken.problem:  # logged and emailed still; the evidence needs a look
        logger.error("checkpoint: %s", taken.problem)
    return taken


def check_due_table(now: dt.datetime) -> Any:
    """The compliance job: the due-date table checked against the evidence, any
    difference emailed to SMATTEST_AUDIT_EMAILS and shown on HR's pages until fixed."""
    from .reminders.due_watch import watch

    run = watch()
    if run.differences:
        logger.warning("compliance check: %d due dates differ from the evidence", run.differences)
    else:
        logger.info("compliance check: %d due dates match the evidence", run.rows)
    return run


#: When the trend job works out the day just ended (and any day not kept), in SMATTEST_TIMEZONE.
TREND_TIME = "01:00"


def work_out_trend(now: dt.datetime) -> Any:
    """The trend job: every day of the past year not kept yet (``report trend --all-days``)."""
    from .reports.trend import fill_year

    done = fill_year()
    logger.info("trend: worked out %d day%s of the past year", done, "" if done == 1 else "s")
    return done


def default_jobs(app: Flask) -> list[Job]:
    """smattest's own jobs: the reminders at ``SMATTEST_REMINDER_SEND_TIME`` on business
    days, their retries every ``SMATTEST_REMINDER_RETRY_MINUTES`` after that, and the
    outbox's receipts every ``SMATTEST_MAIL_SEND_EVERY_MINUTES``, and the evidence
    checkpoint and the compliance check every day at the send time, after the
    reminders (jobs due at the same moment run in this order), and HR's trend every
    night at ``TREND_TIME``."""
    config = app.config
    return [
        Job(
            "reminders",
            daily_at(config["SMATTEST_REMINDER_SEND_TIME"], days=config["SMATTEST_BUSINESS_DAYS"]),
            send_reminders,
        ),
        Job(
            "reminder-retries",
            every(minutes=config["SMATTEST_REMINDER_RETRY_MINUTES"]),
            retry_reminders,
        ),
        Job("mail", every(minutes=config["SMATTEST_MAIL_SEND_EVERY_MINUTES"]), send_mail),
        Job("audit-checkpoint", daily_at(config["SMATTEST_REMINDER_SEND_TIME"]), take_checkpoint),
        Job("compliance-check", daily_at(config["SMATTEST_REMINDER_SEND_TIME"]), check_due_table),
        Job("trend", daily_at(TREND_TIME), work_out_trend),
    ]


_HOST_JOBS = "smattest_scheduler_jobs"


def add_job(app: Flask, job: Job) -> None:
    """Have ``flask smattest scheduler`` run ``job`` too (say, a nightly roster sync).

    Call it in the app factory. A job named like one of smattest's own (e.g.
    ``"reminders"``) replaces it. Adding a job starts nothing: only the
    scheduler command runs jobs.
    """
    jobs = app.extensions.setdefault(_HOST_JOBS, {})
    jobs[job.name] = job


def jobs_for(app: Flask) -> list[Job]:
    """The jobs the scheduler command runs for ``app``: smattest's, then the app's own."""
    added: dict[str, Job] = app.extensions.get(_HOST_JOBS, {})
    return [job for job in default_jobs(app) if job.name not in added] + list(added.values())
