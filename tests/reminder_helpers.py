"""People, a policy and what the outbox holds, for the reminder tests."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import Reminder, Staff
from smattest.publishing.policies import publish

from . import hostapp

BASE_URL = "https://intranet.agency.example"
POLICY_TEXT = "# Social Media Policy\n\nNever post anything that could identify a client.\n"
POLICY_URL = f"{BASE_URL}/compliance/policies/social-media"


def local(day: str, time: str = "08:00", zone: str = "UTC") -> dt.datetime:
    """A local moment: ``local("2026-03-02", "08:00", "America/Chicago")``."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=zoneinfo.ZoneInfo(zone))


def social_media_policy(freeze, effective: dt.date = dt.date(2025, 1, 6)):
    """Version 1 of the Social Media Policy, in force since ``effective``."""
    freeze(dt.datetime.combine(effective, dt.time(9), tzinfo=dt.UTC))
    return publish(
        "social-media", "Social Media Policy", POLICY_TEXT, "First version.", effective=effective
    )


def person(
    name: str,
    *,
    freeze=None,
    signed_on: dt.date | None = None,
    zone: str = "UTC",
    **fields,
) -> Staff:
    """A roster row; ``signed_on`` makes them sign version 1 at noon (local) that day."""
    session = hostapp.db.session
    first = name.split()[0].lower()
    fields.setdefault("email", f"{first}@agency.example")
    fields.setdefault("hire_date", dt.date(2020, 1, 6))
    staff = Staff(external_id=f"roster-{first}", full_name=name, **fields)
    session.add(staff)
    session.commit()
    if signed_on is not None:
        sign(staff, signed_on, freeze, zone)
    return staff


def sign(staff: Staff, day: dt.date, freeze, zone: str = "UTC", time: str = "12:00") -> None:
    """``staff`` signs version 1 of the policy at ``time`` local on ``day``."""
    freeze(local(day.isoformat(), time, zone))
    attest(staff, "social-media", 1, staff.full_name)


def reminder_rows() -> list[tuple[str, str, str, str | None]]:
    """Every reminder in the outbox as (person's first name, stage, status, recipient), in id
    order; receipts (stage ``rcpt:<id>``, sent by the mail job) are left out."""
    session = hostapp.db.session
    session.expire_all()
    rows = session.execute(
        sa.select(Staff.full_name, Reminder.stage, Reminder.status, Reminder.recipient)
        .join(Staff, Staff.id == Reminder.staff_id)
        .where(sa.not_(Reminder.stage.startswith("rcpt:")))
        .order_by(Reminder.id)
    )
    return [(name.split()[0], stage, status, recipient) for name, stage, status, recipient in rows]


ROOT = Path(__file__).resolve().parents[1]


def start_together(runs: int, config: dict, now: dt.datetime, tmp_path: Path) -> list[dict]:
    """``runs`` processes, each running the reminders once, released at the same instant."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reminder_runner",
                json.dumps(config),
                now.isoformat(),
                str(ready),
                str(go),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(runs)
    ]
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < runs:
        assert time.monotonic() < deadline, "the runs did not get ready within 60 s"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.01)
    go.touch()
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports
