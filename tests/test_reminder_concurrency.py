"""Reminder runs started at the same moment in separate processes send each mail once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa

from smattest.models import HRSummary, Reminder, Staff

from . import hostapp
from .conftest import create_tables
from .reminder_helpers import BASE_URL, social_media_policy, start_together

HR = "hr@agency.example"
MANAGERS = [f"manager{n}@agency.example" for n in range(3)]
PEOPLE = 18


@pytest.mark.parametrize(
    ("database_url", "runs"),
    [("postgresql", 2), ("postgresql", 4), ("mariadb", 4)],
    indirect=["database_url"],
)
def test_runs_started_at_once_send_each_reminder_exactly_once(
    make_app, database_url, smtp_server, freeze, tmp_path, runs
):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        **smtp_server.mail_config,
        "SMATTEST_BASE_URL": BASE_URL,
        "SMATTEST_HR_EMAILS": [HR],
        "SMATTEST_MAIL_BATCH_SIZE": 3,  # many small claims, so the runs interleave
    }
    app = make_app(**config)
    create_tables(app)
    with app.app_context():
        social_media_policy(freeze, effective=dt.date(2026, 1, 2))  # all due Sun 1 Feb
        rows = [
            Staff(
                external_id=f"p{i}",
                full_name=f"Person {i}",
                email=f"person{i}@agency.example",
                manager_email=MANAGERS[i % 3] if i < 12 else None,
                hire_date=dt.date(2020, 1, 6),
            )
            for i in range(PEOPLE)
        ]
        hostapp.db.session.add_all(rows)
        hostapp.db.session.commit()

    # Monday 2 March: everyone is overdue (overdue-5), 12 of them with a manager to tell.
    reports = start_together(runs, config, dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC), tmp_path)

    inbox = Counter(m["To"] for m in smtp_server.inbox.messages)
    expected = {f"person{i}@agency.example": 1 for i in range(PEOPLE)}
    expected.update({manager: 1 for manager in MANAGERS} | {HR: 1})
    assert inbox == expected
    totals = Counter()
    for report in reports:
        totals.update(report)
    assert (totals["planned"], totals["claimed"], totals["failed"]) == (PEOPLE + 12, PEOPLE + 12, 0)
    assert (totals["people_mailed"], totals["managers_mailed"], totals["hr_mailed"]) == (
        PEOPLE,
        3,
        1,
    )
    with app.app_context():
        session = hostapp.db.session
        assert Counter(session.scalars(sa.select(Reminder.status))) == {"sent": PEOPLE + 12}
        assert Counter(session.scalars(sa.select(Reminder.stage))) == {
            "overdue-5": PEOPLE,
            "escalate": 12,
        }
        assert list(session.scalars(sa.select(HRSummary.status))) == ["sent"]
