"""Benchmarks: each figure of issue 13's table beside its floor, measured in the same run.

    make bench                        # 5,000 and 50,000 staff, SQLite and PostgreSQL
    make bench SIZES=5000             # a quick run
    .venv/bin/python bench/run.py [--sizes 5000] [--database-url URL] [--postgres SERVER_URL]
    .venv/bin/python bench/run.py --sizes 2000 --only signing --postgres-only   # to iterate

The table (``bench/scale.py``): HR dashboard vs its bare SQL aggregate; the
people page (overdue, most overdue, page 3) with its HTML size; My compliance
at each size and at 10× the evidence; signing under 50 concurrent users
through gunicorn with 4 workers vs a bare insert endpoint (PostgreSQL); reminder
sending vs raw Flask-Mail on one connection to the same SMTP sink; status
export time and peak memory. It ends with the same figures as Markdown for
``docs/benchmarks.md``.

``--growth`` prints the older figures instead: how status, ``audit verify``,
the HR pages and the exports grow from the smallest size (ratios to it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import smattest.db  # noqa: E402
from bench import exports, scale  # noqa: E402
from smattest.attest import attest  # noqa: E402
from smattest.db import metadata  # noqa: E402
from smattest.evidence import audit  # noqa: E402
from smattest.evidence import chain as evidence
from smattest.models import Attestation, ChainHead, PolicyVersion, Staff  # noqa: E402
from smattest.publishing.policies import publish  # noqa: E402
from smattest.reports import dashboard  # noqa: E402
from smattest.reports import people_table as people
from smattest.rule import compliance  # noqa: E402
from tests import hostapp  # noqa: E402

T0 = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
#: "Today" for the dashboard figures: half the staff signed, the rest are overdue.
TODAY = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def measure(func):
    """(seconds, peak traced memory in MiB, SQL statements, result) of one call."""
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    engine = hostapp.db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    tracemalloc.start()
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    sa.event.remove(engine, "before_cursor_execute", count)
    return seconds, peak, len(statements), result


def fill(size: int, version: PolicyVersion) -> None:
    """``size`` active staff; every other one signed, chained like the service does."""
    session = hostapp.db.session
    session.execute(
        sa.insert(Staff),
        [
            {"external_id": f"b{n}", "full_name": f"Person {n}", "email": f"p{n}@agency.example",
             "department": f"Dept {n % 5}", "hire_date": dt.date(2020, 1, 1), "active": True,
             "created_at": T0, "updated_at": T0}
            for n in range(size)
        ],
    )  # fmt: skip
    ids = session.scalars(sa.select(Staff.id).order_by(Staff.id)).all()
    head = session.get(ChainHead, 1)
    rows = []
    for n, staff_id in enumerate(ids[::2]):
        row = Attestation(
            staff_id=staff_id, policy_version_id=version.id, signature=f"Person {n}",
            attested_at=T0 + dt.timedelta(seconds=n), method="import",
            text_sha256=version.text_sha256,
        )  # fmt: skip
        evidence.link(head, row)
        rows.append(row)
    session.commit()


def timed(func):
    """(seconds, SQL statements, result) of one call, without tracing memory (which slows it)."""
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    engine = hostapp.db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    sa.event.remove(engine, "before_cursor_execute", count)
    return seconds, len(statements), result


def measure_dashboard() -> tuple[tuple[float, int], ...]:
    """(seconds, statements) of the dashboard, a first people page, and a filtered one."""
    smattest.db.frozen_now = TODAY
    try:
        requirements = compliance.requirements()
        overdue = people.PeopleFilter(status=compliance.OVERDUE, sort="overdue", page=3)
        figures = []
        for call in (
            dashboard.summary,
            lambda: people.people_page(people.PeopleFilter(), requirements, page_size=50),
            lambda: people.people_page(overdue, requirements, page_size=50),
        ):
            seconds, statements, result = timed(call)
            figures.append((seconds, statements))
        assert len(result.rows) == 50
        return tuple(figures)
    finally:
        smattest.db.frozen_now = None


def run(url: str, sizes: list[int]) -> None:
    app = hostapp.create_app({"SQLALCHEMY_DATABASE_URI": url})
    print(f"database: {sa.make_url(url).get_backend_name()}")
    print(f"{'staff':>8} {'status s':>9} {'×':>6} {'stmts':>6} {'peak MiB':>9} "
          f"{'verify s':>9} {'×':>6} {'rows':>7} {'peak MiB':>9}")  # fmt: skip
    base = None
    boards = []
    for size in sizes:
        with app.app_context():
            metadata.drop_all(hostapp.db.engine)
            metadata.create_all(hostapp.db.engine)
            version = publish("social-media", "Policy", "Be careful.", "First.",
                              effective=dt.date(2026, 1, 1))  # fmt: skip
            fill(size, version)
            (requirement,) = compliance.requirements(dt.date(2026, 3, 1))
            s_sec, s_mem, s_sql, found = measure(
                lambda r=requirement: list(compliance.standings(r, dt.date(2026, 3, 1)))
            )
            assert len(found) == size
            v_sec, v_mem, _, result = measure(audit.verify)
            assert result.ok and result.rows == (size + 1) // 2
            base = base or (s_sec, v_sec)
            status = f"{s_sec:>9.3f} {s_sec / base[0]:>6.1f} {s_sql:>6} {s_mem:>9.1f}"
            chain = f"{v_sec:>9.3f} {v_sec / base[1]:>6.1f} {result.rows:>7} {v_mem:>9.1f}"
            print(f"{size:>8} {status} {chain}")
            boards.append((size, measure_dashboard()))
    print(f"{'staff':>8} {'dashboard s':>12} {'×':>6} {'stmts':>6} {'people p1 s':>12} "
          f"{'stmts':>6} {'overdue p3 s':>13} {'stmts':>6}")  # fmt: skip
    for size, ((d_sec, d_sql), (p_sec, p_sql), (o_sec, o_sql)) in boards:
        ratio = d_sec / boards[0][1][0][0]
        print(f"{size:>8} {d_sec:>12.3f} {ratio:>6.1f} {d_sql:>6} {p_sec:>12.3f} {p_sql:>6} "
              f"{o_sec:>13.3f} {o_sql:>6}")  # fmt: skip
    with app.app_context():
        people = hostapp.db.session.scalars(sa.select(Staff).where(Staff.id % 2 == 0).limit(300))
        people = list(people)
        start = time.perf_counter()
        for person in people:
            attest(person, "social-media", 1, person.full_name)
        rate = len(people) / (time.perf_counter() - start)
        print(f"signing through the service: {rate:.0f} attestations/s ({len(people)} people)")
        hostapp.db.session.remove()
        hostapp.db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="one database only (emptied first)")
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server; the benchmark creates and drops its database perf_bench there",
    )
    parser.add_argument("--repeats", type=int, default=5, help="requests per page figure")
    parser.add_argument(
        "--mail-up-to", type=int, default=scale.MAIL_UP_TO,
        help="measure reminder sending at sizes up to this one only (default %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--only", default=",".join(scale.PARTS),
        help="measure these parts only, comma-separated (default: all of %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-only", action="store_true", help="skip SQLite (signing is measured on "
        "PostgreSQL only)",
    )  # fmt: skip
    parser.add_argument(
        "--growth", action="store_true",
        help="instead: how status, audit verify, the HR pages and exports grow with size",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    only = frozenset(part.strip() for part in args.only.split(",") if part.strip())
    if unknown := only - set(scale.PARTS):
        parser.error(
            f"--only: no part {', '.join(sorted(unknown))}; parts: {', '.join(scale.PARTS)}"
        )
    if args.growth:
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
            run(url, sizes)
            exports.run(url, sizes)
        return
    print(f"smattest benchmark, {scale.started_at()}: sizes {sizes}")
    print(f"machine: {scale.machine()}")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        urls = [args.database_url] if args.database_url else [
            f"sqlite:///{folder}/bench.sqlite", _fresh_postgres(args.postgres)
        ]  # fmt: skip
        if args.postgres_only and not args.database_url:
            urls = urls[1:]
        for url in urls:
            results += scale.run(url, sizes, args.repeats, args.mail_up_to, only)
    print("\nMarkdown for docs/benchmarks.md:\n")
    print(scale.markdown(results))


def _fresh_postgres(server: str) -> str:
    """An empty database on ``server`` (``perf_bench``, or ``BENCH_DATABASE_NAME``); its URL."""
    url = sa.make_url(server)
    name = os.environ.get("BENCH_DATABASE_NAME", "perf_bench")
    if not name.isidentifier():
        raise SystemExit(f"BENCH_DATABASE_NAME {name!r} is not a plain database name")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
