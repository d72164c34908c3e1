"""``flask smattest scheduler``: smattest's jobs in one long-running process."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext

from ..scheduler import Scheduler, jobs_for, logger
from ..state import current_app_object


def _log_to_stderr() -> None:
    """Make the scheduler's INFO lines visible unless the app configured logging itself."""
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()  # stderr, which systemd's journal and docker keep
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


@click.command("scheduler")
@click.option(
    "--list", "list_only", is_flag=True, help="Show the jobs and their next run, then exit."
)
@with_appcontext
def scheduler_command(list_only: bool) -> None:
    """Run smattest's jobs (the daily reminders) until stopped; one process is enough.

    Reminders go out at SMATTEST_REMINDER_SEND_TIME (in SMATTEST_TIMEZONE) on
    SMATTEST_BUSINESS_DAYS. Started after today's time, it sends today's
    reminders at once. Stop it with SIGTERM or Ctrl-C: it finishes the job it
    is running, then exits 0 (a second signal stops it at once).

    Run it as a service of its own (systemd, a container), never inside your
    web server's workers. Running it on several hosts at once is safe: each
    reminder is sent once. Instead of this process you can run
    'flask smattest reminders send' from cron or a systemd timer.
    """
    app = current_app_object()
    if not list_only and not app.config["SMATTEST_BASE_URL"]:
        raise click.ClickException(
            "SMATTEST_BASE_URL is not set: the scheduler sends mails, and mails need absolute "
            "links, never built from a request's Host header. Set it to the intranet's address "
            "as people reach it, e.g. 'https://intranet.agency.example'."
        )
    scheduler = Scheduler(app, jobs_for(app))
    _log_to_stderr()
    zone = scheduler.timezone.key
    if list_only:
        click.echo(f"Times are in {zone} (SMATTEST_TIMEZONE).")
        for job in scheduler.jobs:
            click.echo(f"{job.name}: {job.schedule}")
            due = scheduler.due_slot(job)
            if due is not None:
                click.echo(f"  due now: would catch up {scheduler.describe(due)} at start")
            click.echo(f"  next run: {scheduler.describe(scheduler.next_run(job))}")
        return

    stop = threading.Event()
    received: list[str] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():  # a second signal: do not wait for the running job
            logger.warning("scheduler: %s again, stopping now", name)
            raise SystemExit(128 + signum)
        received.append(name)
        logger.info("scheduler: %s received, stopping after the running job", name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        jobs = len(scheduler.jobs)
        logger.info(
            "scheduler started: %d job%s, times in %s", jobs, "" if jobs == 1 else "s", zone
        )
        for job in scheduler.jobs:
            due = scheduler.due_slot(job)
            catch_up = f"; runs now to catch up {scheduler.describe(due)}" if due else ""
            logger.info(
                "job %s: %s; next run %s%s",
                job.name,
                job.schedule,
                scheduler.describe(scheduler.next_run(job)),
                catch_up,
            )
        scheduler.run_forever(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("scheduler stopped (%s)", received[0] if received else "stop requested")
