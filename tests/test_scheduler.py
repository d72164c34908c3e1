"""The scheduler: schedule times across DST, once per slot, failures, stopping, no web threads."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from smattest.models import Staff
from smattest.scheduler import Job, Scheduler, add_job, daily_at, every, jobs_for

from .conftest import create_tables

ROOT = Path(__file__).parents[1]
chicago = pytest.mark.settings(SMATTEST_TIMEZONE="America/Chicago")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def runs(scheduler, job, after, count):
    """The next ``count`` run times of ``job`` after ``after``, in UTC."""
    times = []
    for _ in range(count):
        after = scheduler.next_run(job, after)
        times.append(after)
    return times


def recorder(calls, name):
    return lambda now: calls.append((name, now))


@chicago
def test_daily_at_eight_stays_at_eight_local_across_the_march_change(app):
    job = Job("reminders", daily_at("08:00", days=WEEKDAYS), print)
    scheduler = Scheduler(app, [job])

    # Clocks go forward on Sunday 8 March 2026: 08:00 CST is 14:00 UTC, 08:00 CDT is 13:00 UTC.
    assert runs(scheduler, job, utc("2026-03-05 15:00"), 2) == [
        utc("2026-03-06 14:00"),
        utc("2026-03-09 13:00"),
    ]


@chicago
def test_daily_at_eight_stays_at_eight_local_across_the_november_change(app):
    job = Job("reminders", daily_at("08:00", days=WEEKDAYS), print)
    scheduler = Scheduler(app, [job])

    # Clocks go back on Sunday 1 November 2026.
    assert runs(scheduler, job, utc("2026-10-29 14:00"), 2) == [
        utc("2026-10-30 13:00"),
        utc("2026-11-02 14:00"),
    ]


@chicago
def test_a_time_missing_on_the_spring_forward_day_runs_when_the_gap_ends(app):
    job = Job("night", daily_at("02:30"), print)
    scheduler = Scheduler(app, [job])

    # 02:30 does not exist on 8 March 2026 in Chicago: 02:00 CST is followed by 03:00 CDT.
    assert runs(scheduler, job, utc("2026-03-07 12:00"), 2) == [
        utc("2026-03-08 08:00"),  # 03:00 CDT
        utc("2026-03-09 07:30"),  # 02:30 CDT
    ]


@chicago
def test_a_time_that_happens_twice_on_the_fall_back_day_runs_once(app):
    calls = []
    job = Job("night", daily_at("01:30"), recorder(calls, "night"))
    scheduler = Scheduler(app, [job])

    first, second = utc("2026-11-01 06:30"), utc("2026-11-01 07:30")  # 01:30 CDT, then CST
    scheduler.run_pending(first)
    scheduler.run_pending(second)

    assert runs(scheduler, job, utc("2026-10-31 12:00"), 2) == [first, utc("2026-11-02 07:30")]
    assert calls == [("night", first)]


@chicago
def test_daily_job_runs_only_on_the_days_it_names(app):
    job = Job("reminders", daily_at("08:00", days=["mon", "thu"]), print)
    scheduler = Scheduler(app, [job])

    local = [t.astimezone(scheduler.timezone) for t in runs(scheduler, job, utc("2026-02-01"), 4)]

    assert [f"{t:%a %d %H:%M}" for t in local] == [
        "Mon 02 08:00",
        "Thu 05 08:00",
        "Mon 09 08:00",
        "Thu 12 08:00",
    ]


@chicago
def test_every_n_minutes_keeps_even_steps_through_the_fall_back_night(app):
    job = Job("retry", every(minutes=30), print)
    scheduler = Scheduler(app, [job])

    times = runs(scheduler, job, utc("2026-11-01 05:50"), 6)

    assert times[0] == utc("2026-11-01 06:00")
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {dt.timedelta(minutes=30)}
    assert scheduler.next_run(job, utc("2026-11-01 06:30")) == utc("2026-11-01 07:00")


def test_bad_times_and_days_are_refused_with_what_to_write():
    with pytest.raises(ValueError, match="write it as 'HH:MM'"):
        daily_at("8am")
    with pytest.raises(ValueError, match="use names from mon, tue"):
        daily_at("08:00", days=["monday"])
    with pytest.raises(ValueError, match="from 1 to 1440"):
        every(minutes=0)


@chicago
def test_a_due_job_runs_once_per_slot(app):
    calls = []
    scheduler = Scheduler(app, [Job("reminders", daily_at("08:00"), recorder(calls, "r"))])
    monday_8 = utc("2026-03-02 14:00")

    scheduler.run_pending(monday_8 - dt.timedelta(seconds=1))
    scheduler.run_pending(monday_8)
    scheduler.run_pending(monday_8 + dt.timedelta(minutes=5))
    scheduler.run_pending(monday_8 + dt.timedelta(days=1))

    assert calls == [("r", monday_8), ("r", monday_8 + dt.timedelta(days=1))]


@chicago
def test_started_after_todays_slot_it_runs_once_late_the_same_day(app):
    calls = []
    scheduler = Scheduler(app, [Job("reminders", daily_at("08:00"), recorder(calls, "r"))])
    started = utc("2026-03-02 15:30")  # Monday 09:30 in Chicago

    outcomes = scheduler.run_pending(started)
    scheduler.run_pending(started + dt.timedelta(hours=2))

    assert calls == [("r", started)]
    assert outcomes[0].slot == utc("2026-03-02 14:00")


@chicago
def test_a_slot_missed_on_an_earlier_day_is_not_run(app):
    calls = []
    scheduler = Scheduler(
        app, [Job("reminders", daily_at("08:00", days=WEEKDAYS), recorder(calls, "r"))]
    )

    scheduler.run_pending(utc("2026-03-03 13:00"))  # Tuesday 07:00: Monday's 08:00 has gone
    scheduler.run_pending(utc("2026-03-07 16:00"))  # Saturday: Friday's has gone

    assert calls == []


def test_a_failing_job_is_logged_with_its_traceback_and_the_next_job_still_runs(app, caplog):
    calls = []

    def broken(now):
        raise RuntimeError("SMTP server said no")

    scheduler = Scheduler(
        app, [Job("broken", every(minutes=5), broken), Job("fine", every(minutes=5), calls.append)]
    )
    now = utc("2026-03-02 14:00")
    caplog.set_level(logging.INFO, logger="smattest.scheduler")

    outcomes = scheduler.run_pending(now)
    again = scheduler.run_pending(now + dt.timedelta(minutes=1))

    assert [(o.job, o.ok) for o in outcomes] == [("broken", False), ("fine", True)]
    assert calls == [now]
    assert again == []  # not retried within the slot
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.name == "smattest.scheduler"
    assert failure.getMessage().startswith("job broken failed after")
    assert "SMTP server said no" in caplog.text
    assert failure.exc_info is not None


def test_each_run_is_logged_with_its_start_end_and_duration(app, caplog):
    caplog.set_level(logging.INFO, logger="smattest.scheduler")
    scheduler = Scheduler(app, [Job("tidy", every(minutes=5), lambda now: None)])

    scheduler.run_pending(utc("2026-03-02 14:07"))

    messages = [r.getMessage() for r in caplog.records if r.name == "smattest.scheduler"]
    assert messages[0] == "job tidy started: slot 2026-03-02 14:05 UTC, 2.0 min late"
    assert messages[1].startswith("job tidy finished in ")
    assert messages[1].endswith(" s")


def test_jobs_run_inside_the_app_context(make_app):
    app = make_app()  # no app context pushed by the test
    create_tables(app)
    seen = []

    def count_staff(now):
        seen.append(current_app._get_current_object())
        return current_app.extensions["smattest"].db.session.scalar(
            sa.select(sa.func.count()).select_from(Staff)
        )

    scheduler = Scheduler(app, [Job("count", every(minutes=5), count_staff)])

    [outcome] = scheduler.run_pending(utc("2026-03-02 14:00"))

    assert outcome.ok, "the job failed"
    assert (seen, outcome.result) == ([app], 0)


def test_run_forever_notices_a_stop_request_within_a_second(app, freeze):
    freeze("2026-03-02T14:07:00+00:00")  # the clock stands still: only a stop ends the wait
    calls = []
    scheduler = Scheduler(app, [Job("tidy", every(minutes=5), calls.append)])
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(stop,), name="test-scheduler")

    loop.start()
    time.sleep(0.2)
    asked = time.monotonic()
    stop.set()
    loop.join(timeout=2)

    assert not loop.is_alive()
    assert time.monotonic() - asked < 1
    assert calls == [utc("2026-03-02 14:07")]  # ran once at start, then waited


def test_run_forever_finishes_the_running_job_and_starts_no_other(app, freeze):
    freeze("2026-03-02T14:00:00+00:00")
    started, events = threading.Event(), []

    def slow(now):
        events.append("slow started")
        started.set()
        time.sleep(0.3)
        events.append("slow finished")

    scheduler = Scheduler(
        app,
        [Job("slow", every(minutes=5), slow), Job("next", every(minutes=5), events.append)],
    )
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(stop,), name="test-scheduler")

    loop.start()
    assert started.wait(timeout=2)
    stop.set()
    loop.join(timeout=2)

    assert not loop.is_alive()
    assert events == ["slow started", "slow finished"]


@pytest.mark.settings(
    SMATTEST_TIMEZONE="America/Chicago",
    SMATTEST_REMINDER_SEND_TIME="07:15",
    SMATTEST_BUSINESS_DAYS=["mon", "thu"],
)
def test_the_reminder_job_runs_at_the_send_time_on_business_days(app):
    job, _retries, _mail, _checkpoint, _check, _trend = jobs_for(app)
    scheduler = Scheduler(app, [job])

    local = [t.astimezone(scheduler.timezone) for t in runs(scheduler, job, utc("2026-02-03"), 2)]

    assert job.name == "reminders"
    assert [f"{t:%a %d %H:%M}" for t in local] == ["Thu 05 07:15", "Mon 09 07:15"]


@pytest.mark.settings(
    SMATTEST_TIMEZONE="America/Chicago", SMATTEST_BASE_URL="https://intranet.agency.example"
)
def test_the_reminder_job_runs_the_reminders_and_logs_their_report(app, caplog):
    caplog.set_level(logging.INFO, logger="smattest.scheduler")
    scheduler = Scheduler(app, jobs_for(app)[:1])
    monday_8 = utc("2026-03-02 14:00")

    [outcome] = scheduler.run_pending(monday_8)

    assert outcome.ok, caplog.text
    assert (outcome.result.today, outcome.result.business_day) == (dt.date(2026, 3, 2), True)
    assert "reminders: Reminders for Monday 2 March 2026, 08:00 CST" in caplog.text


def test_an_app_job_runs_after_smattests_and_one_with_the_same_name_replaces_it(app):
    roster = Job("roster sync", daily_at("02:00"), print)
    add_job(app, roster)
    assert [job.name for job in jobs_for(app)] == [
        "reminders",
        "reminder-retries",
        "mail",
        "audit-checkpoint",
        "compliance-check",
        "trend",
        "roster sync",
    ]

    replacement = Job("reminders", every(minutes=10), print)
    add_job(app, replacement)

    assert [job.name for job in jobs_for(app)] == [
        "reminder-retries",
        "mail",
        "audit-checkpoint",
        "compliance-check",
        "trend",
        "roster sync",
        "reminders",
    ]
    assert jobs_for(app)[5:] == [roster, replacement]


@pytest.mark.settings(
    SMATTEST_TIMEZONE="America/Chicago",
    SMATTEST_BASE_URL="https://intranet.agency.example",
    SMATTEST_REMINDER_SEND_TIME="08:00",
    SMATTEST_REMINDER_RETRY_MINUTES=15,
)
@pytest.mark.parametrize(
    ("moment", "runs"),
    [
        ("2026-03-02 13:45", False),  # Monday 07:45 in Chicago: before the send time
        ("2026-03-02 14:15", True),  # Monday 08:15: retries what is still pending
        ("2026-03-07 16:00", False),  # Saturday: not a business day
    ],
)
def test_the_retry_job_runs_the_reminders_only_after_the_send_time_on_business_days(
    app, moment, runs
):
    _daily, retries, _mail, _checkpoint, _check, _trend = jobs_for(app)
    assert (retries.name, str(retries.schedule)) == ("reminder-retries", "every 15 minutes")
    scheduler = Scheduler(app, [retries])

    [outcome] = scheduler.run_pending(utc(moment))

    assert outcome.ok
    assert (outcome.result is not None) is runs


@chicago
def test_scheduler_list_shows_each_job_and_its_next_run(runner, freeze):
    freeze("2026-03-06T20:00:00+00:00")  # Friday 14:00 in Chicago

    result = runner.invoke(args=["smattest", "scheduler", "--list"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Times are in America/Chicago (SMATTEST_TIMEZONE).",
        "reminders: daily at 08:00 on mon, tue, wed, thu, fri",
        "  due now: would catch up 2026-03-06 08:00 CST (14:00 UTC) at start",
        "  next run: 2026-03-09 08:00 CDT (13:00 UTC)",
        "reminder-retries: every 15 minutes",
        "  due now: would catch up 2026-03-06 14:00 CST (20:00 UTC) at start",
        "  next run: 2026-03-06 14:15 CST (20:15 UTC)",
        "mail: every minute",
        "  due now: would catch up 2026-03-06 14:00 CST (20:00 UTC) at start",
        "  next run: 2026-03-06 14:01 CST (20:01 UTC)",
        "audit-checkpoint: daily at 08:00 on mon, tue, wed, thu, fri, sat, sun",
        "  due now: would catch up 2026-03-06 08:00 CST (14:00 UTC) at start",
        "  next run: 2026-03-07 08:00 CST (14:00 UTC)",
        "compliance-check: daily at 08:00 on mon, tue, wed, thu, fri, sat, sun",
        "  due now: would catch up 2026-03-06 08:00 CST (14:00 UTC) at start",
        "  next run: 2026-03-07 08:00 CST (14:00 UTC)",
        "trend: daily at 01:00 on mon, tue, wed, thu, fri, sat, sun",
        "  due now: would catch up 2026-03-06 01:00 CST (07:00 UTC) at start",
        "  next run: 2026-03-07 01:00 CST (07:00 UTC)",
    ]


def start_scheduler(tmp_path, job_seconds=0.0):
    """``flask smattest scheduler`` as a real process on the fake-job host app."""
    log = tmp_path / "job.log"
    env = {
        **os.environ,
        "SCHEDULER_TEST_LOG": str(log),
        "SCHEDULER_TEST_JOB_SECONDS": str(job_seconds),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "tests.scheduler_host", "smattest", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, log


def wait_for_line(process, log, line, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and any(x.startswith(line) for x in log.read_text().splitlines()):
            return
        if process.poll() is not None:
            pytest.fail(f"the scheduler exited early: {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the job never wrote {line!r}: {process.communicate()}")


@pytest.mark.slow
def test_scheduler_process_stops_cleanly_on_ctrl_c(tmp_path):
    process, log = start_scheduler(tmp_path)
    wait_for_line(process, log, "end")

    process.send_signal(signal.SIGINT)
    stderr = stopped(process)

    assert process.returncode == 0, stderr
    assert "job reminders: every minute; next run" in stderr
    assert "job reminders finished in" in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.endswith("smattest.scheduler: scheduler stopped (SIGINT)")
    assert log.read_text().splitlines()[0] == "start tests.hostapp"  # in the app's context


@pytest.mark.slow
def test_scheduler_process_stopped_by_sigterm_finishes_the_running_job_first(tmp_path):
    process, log = start_scheduler(tmp_path, job_seconds=0.5)
    wait_for_line(process, log, "start")

    process.send_signal(signal.SIGTERM)
    stderr = stopped(process)

    assert process.returncode == 0, stderr
    assert log.read_text().splitlines()[-1] == "end"
    assert "SIGTERM received, stopping after the running job" in stderr
    assert stderr.strip().splitlines()[-1].endswith("scheduler stopped (SIGTERM)")


def stopped(process, timeout=15):
    """The process's stderr once it exits, failing if it takes longer than ``timeout``.

    A loaded machine (the suite on every core, a browser beside it) can take
    seconds to schedule a process: the bound says "it stops", not how fast.
    """
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the scheduler did not stop within {timeout} seconds")


def test_serving_requests_starts_no_thread(make_app):
    before = set(threading.enumerate())
    app = make_app()
    create_tables(app)
    client = app.test_client()
    with app.app_context():
        from . import hostapp

        user = hostapp.User(name="Ada Lovelace", email="ada@agency.example", is_hr=False)
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        user_id = user.id

    client.post(f"/login/{user_id}")
    pages = [client.get("/compliance/").status_code for _ in range(3)]

    assert pages == [200, 200, 200]
    assert set(threading.enumerate()) - before == set()
