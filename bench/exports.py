"""Benchmark the CSV exports: time, SQL statements and peak memory per roster size.

    .venv/bin/python bench/exports.py [--database-url URL] [--sizes 10000,50000]

For each size: that many active staff, one policy and one course; every other
person signed the policy, so the evidence chain holds half as many rows as
there are people (25,000 at 50,000 staff). Each export is read to the end the
way a download is (every chunk encoded to UTF-8, then dropped): once for the
time, once under ``tracemalloc`` for the peak Python memory. Ratios compare
with the smallest size. ``run(database_url, sizes)`` is what ``bench/run.py`` calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import smattest.db  # noqa: E402
from smattest.db import metadata  # noqa: E402
from smattest.evidence import chain as evidence  # noqa: E402
from smattest.evidence import export as evidence_export
from smattest.models import Attestation, ChainHead, Staff  # noqa: E402
from smattest.publishing.courses import import_course  # noqa: E402
from smattest.publishing.policies import publish  # noqa: E402
from smattest.reports import exports as reports  # noqa: E402
from tests import hostapp  # noqa: E402
from tests.content import SMALL_COURSE as COURSE  # noqa: E402

T0 = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)


def fill(size: int) -> None:
    """``size`` active staff in 7 departments; every other one signed the policy."""
    version = publish("social-media", "Policy", "Be careful.", "First.",
                      effective=dt.date(2026, 1, 1))  # fmt: skip
    import_course(COURSE)
    session = hostapp.db.session
    session.execute(
        sa.insert(Staff),
        [
            {"external_id": f"b{n}", "full_name": f"Person {n}", "email": f"p{n}@agency.example",
             "department": f"Dept {n % 7}", "manager_email": f"lead{n % 50}@agency.example",
             "hire_date": dt.date(2020, 1, 1), "active": True, "created_at": T0, "updated_at": T0}
            for n in range(size)
        ],
    )  # fmt: skip
    ids = session.scalars(sa.select(Staff.id).order_by(Staff.id)).all()
    head = session.get(ChainHead, 1)
    for n, staff_id in enumerate(ids[::2]):
        row = Attestation(
            staff_id=staff_id, policy_version_id=version.id, signature=f"Person {2 * n}",
            attested_at=T0 + dt.timedelta(seconds=n), method="import",
            text_sha256=version.text_sha256,
        )  # fmt: skip
        evidence.link(head, row)
    session.commit()
    session.close()


def _read_to_the_end(make_chunks) -> tuple[int, int]:
    """(bytes, SQL statements) of one export read as a download reads it."""
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    engine = hostapp.db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        size = sum(len(chunk.encode("utf-8")) for chunk in make_chunks())
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return size, len(statements)


def measure(make_chunks) -> tuple[float, float, int, int]:
    """(seconds, peak MiB, bytes, statements): timed untraced, then traced for memory."""
    start = time.perf_counter()
    size, statements = _read_to_the_end(make_chunks)
    seconds = time.perf_counter() - start
    hostapp.db.session.close()
    tracemalloc.start()
    _read_to_the_end(make_chunks)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    hostapp.db.session.close()
    return seconds, peak, size, statements


def run(database_url: str, sizes: list[int]) -> None:
    """Print the exports' figures for each roster size on ``database_url`` (emptied first)."""
    app = hostapp.create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    print(f"exports, database: {sa.make_url(database_url).get_backend_name()}")
    print(f"{'staff':>8} {'export':>9} {'rows':>7} {'MB':>7} {'s':>7} {'×':>5} "
          f"{'stmts':>6} {'peak MiB':>9} {'×':>5}")  # fmt: skip
    base: dict[str, tuple[float, float]] = {}
    smattest.db.frozen_now = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    try:
        for size in sizes:
            with app.app_context():
                hostapp.db.session.remove()
                metadata.drop_all(hostapp.db.engine)
                metadata.create_all(hostapp.db.engine)
                fill(size)
                exports = {
                    "status": (lambda: reports.status_csv(), 2 * size),
                    "evidence": (lambda: evidence_export.evidence_csv(), (size + 1) // 2),
                }
                for name, (make_chunks, rows) in exports.items():
                    seconds, peak, size_bytes, statements = measure(make_chunks)
                    first = base.setdefault(name, (seconds, peak))
                    print(
                        f"{size:>8} {name:>9} {rows:>7} {size_bytes / 1e6:>7.1f} "
                        f"{seconds:>7.2f} {seconds / first[0]:>5.1f} {statements:>6} "
                        f"{peak:>9.1f} {peak / first[1]:>5.1f}"
                    )
                hostapp.db.session.remove()
        with app.app_context():
            metadata.drop_all(hostapp.db.engine)
            hostapp.db.engine.dispose()
    finally:
        smattest.db.frozen_now = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--sizes", default="10000,50000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.database_url:
        run(args.database_url, sizes)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite", sizes)


if __name__ == "__main__":
    main()
