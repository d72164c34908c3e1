"""The test host app with its reminder job replaced by a fake, for scheduler process tests.

``flask --app tests.scheduler_host smattest scheduler`` runs the fake every
minute (so once at start). It appends "start <app name>" and "end" lines to the
file named by ``SCHEDULER_TEST_LOG``, sleeping ``SCHEDULER_TEST_JOB_SECONDS``
in between.
"""

from __future__ import annotations

import os
import time

from flask import current_app

from smattest.scheduler import Job, add_job, every

from . import hostapp


def _note(line: str) -> None:
    with open(os.environ["SCHEDULER_TEST_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\n")


def fake_reminders(now) -> None:
    _note(f"start {current_app.name}")
    time.sleep(float(os.environ.get("SCHEDULER_TEST_JOB_SECONDS", "0")))
    _note("end")


def create_app():
    app = hostapp.create_app({"SMATTEST_BASE_URL": "https://intranet.agency.example"})
    add_job(app, Job("reminders", every(minutes=1), fake_reminders))
    add_job(app, Job("mail", every(minutes=60 * 24), lambda now: None))  # no outbox here
    return app
