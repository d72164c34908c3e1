"""Issue 13's table: each figure beside its floor, measured in the same run, with the ratio.

For each database and size the agency of :mod:`bench.seed` is built, then:

- HR dashboard (``GET /compliance/hr/``) vs the bare SQL aggregate it needs
  (per requirement, people per department with and without evidence);
- people, overdue, most overdue, page 3: time and HTML size, vs the bare SQL
  for 50 people without evidence, oldest hire first, from the 101st;
- My compliance (``GET /compliance/``) vs the bare SQL of one person's
  latest evidence per requirement; again after adding 9 more years' worth of
  evidence for everyone who signed (10× the evidence);
- signing under 50 concurrent users (PostgreSQL only): gunicorn with 4
  workers serving the host app (CSRF check on), vs a bare one-row-insert
  endpoint in the same server, driven by the same load generator
  (:mod:`bench.load`), the floor measured before and after the figure; then
  errors, duplicate rows and ``audit verify``;
- reminder sending: the day's reminders planned into the outbox first (its
  time is a row of its own), then the planned outbox rendered and sent to an
  aiosmtpd sink (its own process), timed, vs raw Flask-Mail sending as many
  plain messages over one connection to the same sink; then the receipts
  signing left in the outbox, sent by the mail job;
- status export: seconds and peak Python memory (tracemalloc) reading it to
  the end;
- HR's first look after a paper-era import of as many rows as staff (last: it
  adds evidence).

Times of pages are medians of several requests through Werkzeug's test client
(the whole Flask stack, no network); the first request is a warm-up.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask_mail import Message

import smattest.db
from bench import exports, load, seed
from bench.wsgi import bench_metadata, mail_config
from smattest.evidence import audit
from smattest.mail import mail_state
from smattest.models import Attestation, Reminder, Staff, TrainingCompletion
from smattest.models.outbox import RECEIPT_STAGE
from smattest.reminders.receipts import send_receipts
from smattest.reminders.run import ReminderRun
from tests import hostapp

ROOT = Path(__file__).resolve().parents[1]
#: Ports of the SMTP sink and gunicorn (``BENCH_SMTP_PORT_BASE`` and the next one),
#: so that two runs on one machine can stay apart.
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT_BASE", "8702"))
GUNICORN_PORT = SMTP_PORT + 1
SIGNERS = 1000
CONCURRENCY = 50
#: People who sign before the figure is measured, so every worker has run both endpoints.
WARM_UP = 40
POLICY_PAGE = "/compliance/policies/social-media"
#: Reminder sending is measured at sizes up to this one only: at 50,000 staff a
#: run sends some 27,000 mails, many minutes on a shared machine, and the rate
#: per mail does not depend on the roster's size (``--mail-up-to`` changes it).
MAIL_UP_TO = 5000


class Row:
    """One line of the table."""

    def __init__(self, what: str, figure: str, floor: str = "—", ratio: str = "—", note: str = ""):
        self.cells = (what, figure, floor, ratio, note)


def _median(call: Callable[[], object], repeats: int) -> tuple[float, object]:
    call()  # warm-up: templates compiled, connections open
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _ratio(figure: float, floor: float) -> str:
    return f"{figure / floor:.1f}×" if floor else "—"


def _done(model, moment) -> sa.Subquery:
    return (
        sa.select(model.staff_id, sa.func.max(moment).label("done_at"))
        .group_by(model.staff_id)
        .subquery()
    )


def floor_dashboard() -> None:
    session = hostapp.db.session
    for model, moment in ((Attestation, Attestation.attested_at),
                          (TrainingCompletion, TrainingCompletion.completed_at)):  # fmt: skip
        done = _done(model, moment)
        session.execute(
            sa.select(Staff.department, sa.func.count(), sa.func.count(done.c.done_at))
            .outerjoin(done, done.c.staff_id == Staff.id)
            .where(Staff.active)
            .group_by(Staff.department)
        ).all()
    session.rollback()


def floor_people() -> None:
    session = hostapp.db.session
    signed = _done(Attestation, Attestation.attested_at)
    session.execute(
        sa.select(Staff.id, Staff.full_name, Staff.department, Staff.hire_date)
        .outerjoin(signed, signed.c.staff_id == Staff.id)
        .where(Staff.active, signed.c.done_at.is_(None))
        .order_by(Staff.hire_date, Staff.id)
        .limit(50)
        .offset(100)
    ).all()
    session.rollback()


def floor_person(staff_id: int) -> None:
    session = hostapp.db.session
    session.scalar(sa.select(sa.func.max(Attestation.attested_at))
                   .where(Attestation.staff_id == staff_id))  # fmt: skip
    session.scalar(sa.select(sa.func.max(TrainingCompletion.completed_at))
                   .where(TrainingCompletion.staff_id == staff_id))  # fmt: skip
    session.rollback()


def _get(client, path: str) -> Callable[[], bytes]:
    def call() -> bytes:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data()

    return call


def pages(app, size: int, repeats: int) -> list[Row]:
    """The HR pages and My compliance, each with its floor."""
    rows = []
    hr, person = app.test_client(), app.test_client()
    with app.app_context():
        employee = seed.one_signed_person()
        staff_id = hostapp.db.session.scalar(
            sa.select(Staff.id).where(Staff.external_id == str(employee))
        )
    hr.post(f"/login/{seed.hr_user_id(size)}")
    person.post(f"/login/{employee}")
    with app.app_context():
        floor, _ = _median(floor_dashboard, repeats)
    figure, _ = _median(_get(hr, "/compliance/hr/"), repeats)
    rows.append(Row("HR dashboard", _ms(figure), _ms(floor), _ratio(figure, floor)))
    with app.app_context():
        floor, _ = _median(floor_people, repeats)
    figure, html = _median(_get(hr, "/compliance/hr/people?status=overdue&sort=overdue&page=3"),
                           repeats)  # fmt: skip
    rows.append(Row("people, overdue, most overdue, page 3", _ms(figure), _ms(floor),
                    _ratio(figure, floor), f"{len(html) / 1024:.0f} KiB of HTML"))  # fmt: skip
    rows.extend(my_compliance(app, person, staff_id, "", repeats * 4))
    return rows


def my_compliance(app, person, staff_id: int, label: str, repeats: int) -> list[Row]:
    with app.app_context():
        floor, _ = _median(lambda: floor_person(staff_id), repeats)
    figure, _ = _median(_get(person, "/compliance/"), repeats)
    return [Row(f"My compliance{label}", _ms(figure), _ms(floor), _ratio(figure, floor))]


def ten_times_evidence(app, size: int, repeats: int) -> list[Row]:
    """My compliance after everyone who signed has 10× the evidence rows."""
    person = app.test_client()
    with app.app_context():
        employee = seed.one_signed_person()
        signed = hostapp.db.session.scalars(
            sa.select(Attestation.staff_id).distinct().order_by(Attestation.staff_id)
        ).all()
        added = seed.add_evidence(list(signed), per_person=9, months_back=1)
        staff_id = hostapp.db.session.scalar(
            sa.select(Staff.id).where(Staff.external_id == str(employee))
        )
    person.post(f"/login/{employee}")
    rows = my_compliance(app, person, staff_id, f" (10× evidence: +{added:,} rows)", repeats * 4)
    return rows


# -- mail ------------------------------------------------------------------------------------


def start_sink() -> subprocess.Popen:
    """aiosmtpd's Sink handler in its own process, so it takes no time from the sender's."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{SMTP_PORT}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_port(SMTP_PORT, process)
    return process


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def raw_flask_mail(count: int) -> float:
    """The floor: plain messages per second from raw Flask-Mail over one connection."""
    messages = [
        Message(subject=f"Reminder {n}", recipients=[f"p{n}@agency.example"],
                body="Please sign the Social Media Policy.\n" * 8)
        for n in range(count)
    ]  # fmt: skip
    start = time.perf_counter()
    with mail_state().connect() as connection:
        for message in messages:
            connection.send(message)
    return count / (time.perf_counter() - start)


def sending(app) -> list[Row]:
    """Reminders rendered and sent vs raw Flask-Mail, one connection, same sink.

    The run plans the day's rows first (untimed for the figure: its time is
    its own row), then sends the planned outbox: claim a batch, re-check it,
    render, send over one connection, record; that is what the figure times.
    """
    with app.app_context():
        run = ReminderRun(seed.TODAY.astimezone(dt.UTC), dry_run=False)
        start = time.perf_counter()
        run.plan()
        planning = time.perf_counter() - start
        start = time.perf_counter()
        report = run.send()
        seconds = time.perf_counter() - start
        mails = report.people_mailed + report.managers_mailed + report.hr_mailed
        assert report.ok and mails, (report.problems, mails)
        raw = raw_flask_mail(min(mails, 5000))
    rate = mails / seconds
    batch = app.config["SMATTEST_MAIL_BATCH_SIZE"]
    return [
        Row("reminder sending, rendered (planned outbox)", f"{rate:.0f} mails/s",
            f"{raw:.0f} mails/s", f"{rate / raw:.2f}×",
            f"{mails:,} mails ({report.people_mailed:,} people, {report.managers_mailed:,} "
            f"managers) in {seconds:.1f} s; batches of {batch}"),
        Row("reminder planning (before sending; not in the figure above)", _ms(planning),
            note=f"{report.planned:,} outbox rows planned"),
    ]  # fmt: skip


def receipts(app) -> list[Row]:
    """Receipts waiting in the outbox (planned by signing) sent by the mail job vs raw Flask-Mail.

    Runs after the signing figure, which leaves a receipt in the outbox for every
    signature (PostgreSQL); elsewhere there is nothing to send and no row.
    """
    with app.app_context():
        waiting = hostapp.db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Reminder)
            .where(Reminder.status == "pending", Reminder.stage.startswith(RECEIPT_STAGE))
        )
        hostapp.db.session.rollback()
        if not waiting:
            return []
        start = time.perf_counter()
        report = send_receipts(seed.TODAY)
        seconds = time.perf_counter() - start
        assert report.ok and report.sent == waiting, report.lines()
        raw = raw_flask_mail(report.sent)
    rate = report.sent / seconds
    return [
        Row("receipt sending, rendered (mail job)", f"{rate:.0f} mails/s", f"{raw:.0f} mails/s",
            f"{rate / raw:.2f}×", f"{report.sent:,} receipts left by signing, in {seconds:.1f} s")
    ]  # fmt: skip


def export(app, size: int) -> list[Row]:
    from smattest.reports import exports as reports

    with app.app_context():
        seconds, peak, size_bytes, _ = exports.measure(lambda: reports.status_csv())
    return [Row(f"status export ({2 * (size + 1):,} rows)", f"{seconds:.1f} s, {peak:.0f} MiB",
                note=f"{size_bytes / 1e6:.1f} MB of CSV; peak = traced Python memory")]  # fmt: skip


def due_table(app, size: int) -> list[Row]:
    """What keeping the due-date table costs: a full rebuild, and ``compliance check``."""
    from smattest.due import check as due_check
    from smattest.due import upkeep as due

    with app.app_context():
        start = time.perf_counter()
        due.rebuild_now()
        rebuilt = time.perf_counter() - start
        start = time.perf_counter()
        report = due_check.check()
        checked = time.perf_counter() - start
        hostapp.db.session.rollback()
    verdict = "no difference" if report.ok else f"{len(report.differences)} differences"
    return [
        Row("due-date table: full rebuild", f"{rebuilt:.1f} s",
            note=f"{report.rows:,} rows; after a roster import, a new version or an audience"),
        Row("compliance check", f"{checked:.1f} s", note=verdict),
    ]  # fmt: skip


# -- signing ---------------------------------------------------------------------------------


def signing(app, url: str, size: int) -> list[Row]:
    """50 concurrent users signing through gunicorn (4 workers) vs the bare insert endpoint.

    Both go through the same server, sign-in and load generator. Each worker is
    warmed up on both endpoints first (not timed); the floor is measured before
    and after the figure and counted once over both runs, so a machine whose
    load changes during the run moves the floor with it. The signing posts
    carry the CSRF token of the policy page each person opened first (not
    timed), as a browser's would.
    """
    from smattest.due import upkeep as due

    with app.app_context():
        due.settle()  # HR's due-date table is built: every signature keeps its row
        hostapp.db.session.commit()
        bench_metadata.drop_all(hostapp.db.engine)
        bench_metadata.create_all(hostapp.db.engine)
        warm, users = _split(seed.unsigned_people(size, WARM_UP + SIGNERS), WARM_UP)
        before = hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Attestation))
        hostapp.db.session.rollback()
    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_SMTP_PORT": str(SMTP_PORT)}
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "4",
         "--bind", f"127.0.0.1:{GUNICORN_PORT}", "--log-level", "warning", "bench.wsgi:app"],
        cwd=ROOT, env=env,
    )  # fmt: skip

    def insert(user: int) -> tuple[str, str]:
        return "/bench/insert", ""

    def sign(user: int) -> tuple[str, str]:
        return POLICY_PAGE + "/attest", f"version=1&agree=y&signature=Person+{user}"

    try:
        _wait_for_port(GUNICORN_PORT, gunicorn)
        load.run(GUNICORN_PORT, warm, insert, 200, 8)  # warm-up: connections, templates
        load.run(GUNICORN_PORT, warm, sign, 303, 8, form_page=lambda user: POLICY_PAGE)
        bare = load.run(GUNICORN_PORT, users, insert, 200, CONCURRENCY)
        signed = load.run(GUNICORN_PORT, users, sign, 303, CONCURRENCY,
                          form_page=lambda user: POLICY_PAGE)  # fmt: skip
        bare_after = load.run(GUNICORN_PORT, users, insert, 200, CONCURRENCY)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)
    with app.app_context():
        session = hostapp.db.session
        added = session.scalar(sa.select(sa.func.count()).select_from(Attestation)) - before
        duplicates = session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Attestation.staff_id, Attestation.policy_version_id)
                .group_by(Attestation.staff_id, Attestation.policy_version_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
        verified = audit.verify()
        session.rollback()
    floor = load.LoadResult(
        bare.requests + bare_after.requests, bare.seconds + bare_after.seconds,
        bare.latencies + bare_after.latencies, bare.errors + bare_after.errors,
    )  # fmt: skip
    p95, bare_p95 = signed.percentile(95), floor.percentile(95)
    note = (
        f"{len(users)} users (+{len(warm)} to warm up); {len(signed.errors)} errors, "
        f"{added} rows added, {duplicates} duplicates, audit verify "
        f"{'passes' if verified.ok else verified.problem}; floor p95 {bare_p95 * 1000:.0f} ms "
        f"({bare.per_second:.0f} req/s before, {bare_after.per_second:.0f} after), "
        f"{len(floor.errors)} errors"
    )
    if signed.errors[:3]:
        note += f"; e.g. {signed.errors[:3]}"
    return [
        Row(f"signing, {CONCURRENCY} users, gunicorn 4 workers",
            f"{signed.per_second:.0f} POST/s, p95 {p95 * 1000:.0f} ms",
            f"{floor.per_second:.0f} req/s", f"{signed.per_second / floor.per_second:.2f}× rate, "
            f"{p95 / bare_p95:.1f}× p95", note)
    ]  # fmt: skip


# -- a bulk import ---------------------------------------------------------------------------


def first_look_after_import(app, size: int) -> list[Row]:
    """HR's first look (``GET /compliance/hr/``, once, not a median) after a paper-era import
    of ``size`` rows: a past attestation and a past completion for each person who holds
    no evidence. The import settles the due-date table in the same job; before, the
    first reader settled 50,000 pending marks (11 s at 50,000 staff)."""
    from smattest.due import upkeep as due
    from smattest.evidence import paper_era

    hr = app.test_client()
    hr.post(f"/login/{seed.hr_user_id(size)}")
    # HR looked before: the table is built, the page warm. The floor is an ordinary look
    # when nothing is pending: what the first look after the import costs at least.
    floor, _ = _median(_get(hr, "/compliance/hr/"), 3)
    with app.app_context():
        unsigned = hostapp.db.session.scalars(
            sa.select(Staff.external_id)
            .where(Staff.id.not_in(sa.select(Attestation.staff_id)),
                   Staff.external_id != str(seed.hr_user_id(size)))
            .order_by(Staff.id)
            .limit(size // 2)
        ).all()  # fmt: skip
        hostapp.db.session.rollback()
        lines = ["employee_id,kind,slug,version,done_on,source"]
        today = seed.TODAY.date().isoformat()
        for employee_id in unsigned:
            lines.append(f"{employee_id},policy,social-media,1,2026-01-12,paper form box 1")
            # (the course was imported "today": nobody completed it before)
            lines.append(f"{employee_id},course,{seed.SMALL_COURSE['slug']},1,{today},"
                         "training log 2026")  # fmt: skip
        start = time.perf_counter()
        plan = paper_era.apply("\n".join(lines).encode(), actor=str(seed.hr_user_id(size)))
        imported = time.perf_counter() - start
        pending = hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(due.PENDING))
        hostapp.db.session.rollback()
    start = time.perf_counter()
    _get(hr, "/compliance/hr/")()
    first = time.perf_counter() - start
    rows = plan.attestations + plan.completions
    note = (f"floor: the dashboard before the import (median of 3); the import took "
            f"{imported:.0f} s, settling included; {pending:,} marks left for HR")  # fmt: skip
    what = f"HR's first look after a {rows:,}-row paper-era import"
    return [Row(what, _ms(first), _ms(floor), _ratio(first, floor), note), *seal_sweep(app, size)]


def seal_sweep(app, size: int) -> list[Row]:
    """What the seal costs HR: the dashboard (median of 3) as it is, against the same
    dashboard with the sweep skipped (the floor); and the sweep alone
    (:func:`smattest.due.seal.failing`, median of 3) against the bare SELECT of the
    same columns."""
    from smattest.due import read, seal

    hr = app.test_client()
    hr.post(f"/login/{seed.hr_user_id(size)}")
    look, _ = _median(_get(hr, "/compliance/hr/"), 3)
    sweep = seal.sweep
    read.seal.sweep = lambda session: 0  # type: ignore[assignment]
    try:
        unswept, _ = _median(_get(hr, "/compliance/hr/"), 3)
    finally:
        read.seal.sweep = sweep  # type: ignore[assignment]
    with app.app_context():
        session = hostapp.db.session()
        rows = session.scalar(sa.select(sa.func.count()).select_from(seal.DueDate))
        figure, broken = _median(lambda: seal.failing(session), 3)
        floor, _ = _median(lambda: session.execute(sa.select(*seal.COLUMNS)).all(), 3)
        session.rollback()
    return [
        Row("HR dashboard, its seal sweep included", _ms(look), _ms(unswept),
            _ratio(look, unswept), "floor: the same page with the sweep skipped"),
        Row("the seal sweep alone", _ms(figure), _ms(floor), _ratio(figure, floor),
            f"{rows:,} rows, {broken} failing; floor: the bare SELECT of the same columns"),
    ]  # fmt: skip


#: A hostile file is answered within this, in a page under HOSTILE_PAGE bytes (issue 24).
HOSTILE_TARGET = 2.0
HOSTILE_PAGE = 100_000


def hostile_files(app, size: int) -> list[Row]:
    """5 MB hostile uploads, each refused: the time to the refusal and the page's size."""
    hr = app.test_client()
    hr.post(f"/login/{seed.hr_user_id(size)}")
    five = 5 * 1024 * 1024 - 1024
    wide = "employee_id,email,full_name," + ",".join(f"c{n}" for n in range(900_000))
    cases = (
        ("roster", "roster", "a roster header of 5 MB, ~900,000 columns", wide[:five]),
        ("roster", "roster", "a roster of 5 MB of bad rows",
         "employee_id,email,full_name,hire_date\n" + "x,x,not-a-date\n" * (five // 15)),
        ("evidence/import", "evidence", "a paper-era file of 5 MB of bad rows",
         "employee_id,kind,slug,version,done_on,source\n" + "x,x,not-a-date\n" * (five // 15)),
    )  # fmt: skip
    rows = []
    for path, field, what, text in cases:
        data = text.encode()
        start = time.perf_counter()
        response = hr.post(f"/compliance/hr/{path}", data={field: (io.BytesIO(data), "h.csv")},
                           content_type="multipart/form-data")  # fmt: skip
        page = response.get_data()
        took = time.perf_counter() - start
        assert response.status_code == 400, (what, response.status_code)
        verdict = "ok" if took < HOSTILE_TARGET and len(page) < HOSTILE_PAGE else "OVER TARGET"
        note = f"{len(data) / 1e6:.1f} MB file; page {len(page) / 1000:.0f} kB; {verdict}"
        rows.append(Row(what, _ms(took), f"{HOSTILE_TARGET:.0f} s target", "—", note))
    return rows


def _split(people: list[int], first: int) -> tuple[list[int], list[int]]:
    return people[:first], people[first:]


# -- the table -------------------------------------------------------------------------------


#: The parts of the table, in the order they run (``--only`` picks some).
PARTS = ("pages", "export", "due", "signing", "sending", "evidence", "import", "hostile")


def run(
    url: str,
    sizes: list[int],
    repeats: int = 5,
    mail_up_to: int = MAIL_UP_TO,
    only: frozenset[str] = frozenset(PARTS),
) -> list[tuple[str, int, list[Row]]]:
    """Measure the figures of ``only`` on ``url`` (emptied first) for each size; print as it
    goes."""
    backend = sa.make_url(url).get_backend_name()
    app = hostapp.create_app({"SQLALCHEMY_DATABASE_URI": url, **mail_config(SMTP_PORT)})
    results = []
    sink = start_sink()
    smattest.db.frozen_now = seed.TODAY
    try:
        for size in sizes:
            start = time.perf_counter()
            with app.app_context():
                seed.reset()
                seed.agency(size)
            print(f"\n{backend}, {size:,} staff (seeded in {time.perf_counter() - start:.0f} s)",
                  flush=True)  # fmt: skip
            rows: list[Row] = []
            for name, part in (
                ("pages", lambda size=size: pages(app, size, repeats)),
                ("export", lambda size=size: export(app, size)),
                ("due", lambda size=size: due_table(app, size)),
                ("signing",
                 lambda size=size: signing(app, url, size) if backend == "postgresql" else []),
                ("sending",
                 lambda size=size: sending(app) + receipts(app) if size <= mail_up_to else []),
                ("evidence", lambda size=size: ten_times_evidence(app, size, repeats)),
                ("import", lambda size=size: first_look_after_import(app, size)),
                ("hostile", lambda size=size: hostile_files(app, size)),
            ):  # fmt: skip
                if name not in only:
                    continue
                for row in part():
                    print_row(row)
                    rows.append(row)
            results.append((backend, size, rows))
        with app.app_context():
            hostapp.db.session.remove()
            hostapp.db.engine.dispose()
    finally:
        smattest.db.frozen_now = None
        sink.terminate()
        sink.wait(10)
    return results


def print_row(row: Row) -> None:
    what, figure, floor, ratio, note = row.cells
    print(f"  {what:<48} {figure:>26} {floor:>12} {ratio:>18}  {note}", flush=True)


def markdown(results: list[tuple[str, int, list[Row]]]) -> str:
    """The same figures as a Markdown table, for docs/benchmarks.md."""
    lines = ["| database | staff | what | figure | floor (same run) | ratio | note |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for backend, size, rows in results:
        for row in rows:
            what, figure, floor, ratio, note = row.cells
            lines.append(
                f"| {backend} | {size:,} | {what} | {figure} | {floor} | {ratio} | {note} |"
            )
    return "\n".join(lines)


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load1 = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs ({cpu or 'unknown'}), load average {load1:.1f} at the start; "
            f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}")  # fmt: skip


def started_at() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
