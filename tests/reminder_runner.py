"""One reminder run in a process of its own, started together with its siblings.

    python -m tests.reminder_runner CONFIG_JSON NOW_ISO READY_DIR GO_FILE

Builds the test host app from CONFIG_JSON, connects, says it is ready (a file
named after its pid in READY_DIR), waits for GO_FILE, runs the reminders at
NOW_ISO and prints its report's counts as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa


def main(config_json: str, now: str, ready_dir: str, go_file: str) -> None:
    from smattest.reminders import run_reminders

    from . import hostapp

    app = hostapp.create_app(json.loads(config_json))
    with app.app_context():
        hostapp.db.session.execute(sa.text("SELECT 1"))  # connected before the start
        hostapp.db.session.rollback()
        Path(ready_dir, str(os.getpid())).touch()
        go, deadline = Path(go_file), time.monotonic() + 60
        while not go.exists():
            if time.monotonic() > deadline:
                raise SystemExit("no start signal within 60 s")
            time.sleep(0.001)
        report = run_reminders(dt.datetime.fromisoformat(now))
        counts = ("planned", "claimed", "people_mailed", "managers_mailed", "hr_mailed", "failed")
        print(json.dumps({name: getattr(report, name) for name in counts}))


if __name__ == "__main__":
    main(*sys.argv[1:])
