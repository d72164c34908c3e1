"""``flask smattest reminders nudge`` in a process of its own, started with its siblings.

    python -m tests.nudge_runner CONFIG_JSON NOW_ISO READY_DIR GO_FILE ARG...

Builds the test host app from CONFIG_JSON, connects, says it is ready (a file
named after its pid in READY_DIR), waits for GO_FILE, then runs the command
with ARG... at NOW_ISO (smattest's clock) and prints its output and exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa


def main(config_json: str, now: str, ready_dir: str, go_file: str, *args: str) -> None:
    import smattest.db

    from . import hostapp

    smattest.db.frozen_now = dt.datetime.fromisoformat(now).astimezone(dt.UTC)
    app = hostapp.create_app(json.loads(config_json))
    runner = app.test_cli_runner()
    with app.app_context():
        hostapp.db.session.execute(sa.text("SELECT 1"))  # connected before the start
        hostapp.db.session.rollback()
    Path(ready_dir, str(os.getpid())).touch()
    go, deadline = Path(go_file), time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal within 60 s")
        time.sleep(0.001)
    result = runner.invoke(args=["smattest", "reminders", "nudge", *args])
    print(json.dumps({"exit_code": result.exit_code, "output": result.output}))


if __name__ == "__main__":
    main(*sys.argv[1:])
