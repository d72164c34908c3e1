"""The demo intranet's two set-up commands, run once per process and clock.

``smattest db upgrade`` (every migration) and ``intranet seed`` take about a
second; each demo test needs their result on a file of its own. The first test
in a test process runs both on its file; later tests on the same clock (the
frozen moment, or else today's date: the seed dates people from today) get a
copy of the file they left and the seed's output.
"""

from __future__ import annotations

import datetime as dt
import pathlib

from flask import Flask

import smattest.db

_done: dict[str, tuple[bytes, str]] = {}


def migrate_and_seed(app: Flask, db_path: pathlib.Path) -> str:
    """Give the demo's empty SQLite file at ``db_path`` the migrated, seeded database.

    Returns what ``intranet seed`` printed. Call inside ``app``'s context, before
    anything has written the file.
    """
    from intranet import db  # examples/intranet, on sys.path in the demo tests

    clock = repr(smattest.db.frozen_now) if smattest.db.frozen_now else dt.date.today().isoformat()
    if clock not in _done:
        runner = app.test_cli_runner()
        output = ""
        for args in (["smattest", "db", "upgrade"], ["intranet", "seed"]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
            output = result.output
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()  # the last connection folds the WAL into the file
        _done[clock] = (db_path.read_bytes(), output)
        return output
    db.session.remove()
    for engine in db.engines.values():
        engine.dispose()
    content, output = _done[clock]
    db_path.write_bytes(content)
    return output
