"""Nudges: HR reminds the people of a filter now, at most once per person per day."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from smattest.models import HREvent, Reminder, Staff

from . import hostapp
from .conftest import create_tables
from .html import Page
from .reminder_helpers import BASE_URL, person, sign, social_media_policy

ROOT = Path(__file__).resolve().parents[1]
#: Monday 2 March 2026: everyone without a signature is overdue (due Sunday 1 February).
NOW = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
CP = "Child Protection"
NUDGE = ["reminders", "nudge", "--status", "overdue", "--department", CP]


def agency(freeze) -> None:
    """Ann and Bob (Child Protection) are overdue; Cy (Child Protection) signed; Fay
    (Finance) is overdue; Dee (Child Protection) is overdue without an email address."""
    social_media_policy(freeze, effective=dt.date(2026, 1, 2))
    person("Ann Avery", department=CP)
    person("Bob Brown", department=CP)
    cy = person("Cy Cole", department=CP)
    person("Fay Finch", department="Finance")
    person("Dee Dunn", department=CP, email=None)
    sign(cy, dt.date(2026, 2, 20), freeze)
    freeze(NOW)


def nudges() -> list[tuple[str, str, str | None, str | None]]:
    """Every nudge row: (first name, status, recipient, who asked)."""
    session = hostapp.db.session
    session.expire_all()
    rows = session.execute(
        sa.select(Staff.full_name, Reminder.status, Reminder.recipient, Reminder.requested_by)
        .join(Staff, Staff.id == Reminder.staff_id)
        .where(Reminder.stage == "nudge")
        .order_by(Staff.full_name)
    )
    return [(name.split()[0], status, to, asked) for name, status, to, asked in rows]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_command_run_twice_mails_each_matching_person_once(app, runner, smtp_server, freeze):
    agency(freeze)

    first = runner.invoke(args=["smattest", *NUDGE, "--actor", "hr-7"])
    second = runner.invoke(args=["smattest", *NUDGE, "--actor", "hr-7"])

    assert first.exit_code == 0, first.output
    assert (
        "Matching: 3; owing something: 3; already reminded today: 0; no email: 1; "
        "planned now (2 new): 2." in first.output
    )
    assert "Reminders sent now (nudges): 2;" in first.output
    assert second.exit_code == 0, second.output
    assert "already reminded today: 2; no email: 1; planned now (0 new): 0." in second.output
    assert "Reminders sent now (nudges): 0;" in second.output
    inbox = Counter(m["To"] for m in smtp_server.inbox.messages)
    assert inbox == {"ann@agency.example": 1, "bob@agency.example": 1}  # (Cy's receipt waits)
    (mail,) = smtp_server.inbox.to("ann@agency.example")
    assert mail["Subject"] == "Overdue: Social Media Policy was due on 1 February 2026"
    assert f"{BASE_URL}/compliance/policies/social-media" in mail.get_body(("plain",)).get_content()
    assert nudges() == [
        ("Ann", "sent", "ann@agency.example", "hr-7"),
        ("Bob", "sent", "bob@agency.example", "hr-7"),
    ]
    events = hostapp.db.session.scalars(
        sa.select(HREvent.detail).where(HREvent.action == "reminder.nudge")
    ).all()
    assert events[0].startswith(
        "Asked to remind now: status overdue, department Child Protection. 2 reminder(s) planned"
    )


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_bad_filter_is_refused_with_its_reason(app, runner, freeze):
    agency(freeze)

    result = runner.invoke(args=["smattest", "reminders", "nudge", "--status", "late"])

    assert result.exit_code == 2
    assert "Status 'late' is not one of" in result.output
    assert nudges() == []


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_planned_nudge_waits_for_the_mail_job(app, runner, smtp_server, freeze):
    agency(freeze)
    import smattest.reminders.nudge as nudge
    from smattest.reports.people_table import PeopleFilter

    with app.test_request_context():
        nudge.plan_nudges(PeopleFilter(department="Finance"), "hr-7")
    assert nudges() == [("Fay", "pending", None, "hr-7")]

    sent = runner.invoke(args=["smattest", "mail", "send"])

    assert sent.exit_code == 0, sent.output
    assert "Reminders sent now (nudges): 1;" in sent.output
    reminders = [m for m in smtp_server.inbox.messages if not m["Subject"].startswith("Receipt")]
    assert [m["To"] for m in reminders] == ["fay@agency.example"]
    assert nudges() == [("Fay", "sent", "fay@agency.example", "hr-7")]


def start_together(runs: int, config: dict, tmp_path: Path, args: list[str]) -> list[dict]:
    """``runs`` processes, each running ``reminders nudge ARGS``, released at one instant."""
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir(parents=True)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.nudge_runner",
                json.dumps(config),
                NOW.isoformat(),
                str(ready),
                str(go),
                *args,
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
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("database_url", ["postgresql", "mariadb"], indirect=True)
def test_two_processes_at_once_mail_each_matching_person_once(
    make_app, database_url, smtp_server, freeze, tmp_path
):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        **smtp_server.mail_config,
        "SMATTEST_BASE_URL": BASE_URL,
        "SMATTEST_MAIL_BATCH_SIZE": 2,
    }
    app = make_app(**config)
    create_tables(app)
    with app.app_context():
        agency(freeze)
        for i in range(12):  # more people than a batch, so the two processes interleave
            person(f"Extra{i} Person", department=CP)

    results = start_together(2, config, tmp_path, [*NUDGE[2:], "--actor", "hr-7"])

    assert [r["exit_code"] for r in results] == [0, 0], results
    inbox = Counter(m["To"] for m in smtp_server.inbox.messages)
    expected = {"ann@agency.example": 1, "bob@agency.example": 1}  # (Cy's receipt waits)
    expected.update({f"extra{i}@agency.example": 1 for i in range(12)})
    assert inbox == expected
    with app.app_context():
        assert Counter(status for _, status, _, _ in nudges()) == {"sent": 14}
    # Run again later the same day: nobody is mailed twice.
    again = start_together(1, config, tmp_path / "again", [*NUDGE[2:]])
    assert "planned now (0 new): 0." in again[0]["output"]
    assert len(smtp_server.inbox.messages) == 14


@pytest.fixture
def hr(client, login_as, freeze):
    agency(freeze)
    user = login_as(name="Hana Reyes", is_hr=True)
    client.get("/compliance/")  # on the roster from her first visit, as HR people are
    return user


def test_the_people_page_previews_how_many_a_nudge_reaches(client, hr):
    html = client.get(f"/compliance/hr/people?status=overdue&department={CP}").get_data(
        as_text=True
    )
    page = Page(html)

    assert "Remind these people now" in html
    assert (
        "2 people of the 3 matching these filters (people who have left aside) will get an "
        "email now listing everything they owe. 1 has no email address on record."
    ) in " ".join(html.split())
    assert 'name="expected" value="2"' in html
    assert page.names() == ["Ann Avery", "Bob Brown", "Dee Dunn"]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_confirming_plans_the_nudges_and_the_log_lists_who_asked(client, hr, runner, smtp_server):
    url = f"/compliance/hr/people/nudge?status=overdue&department={CP}"

    unconfirmed = client.post(url, data={"expected": "2"})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert nudges() == []

    stale = client.post(url, data={"expected": "5", "confirm": "y"})
    assert stale.status_code == 409
    assert "The list changed: 2 people would be reminded now, not 5." in stale.get_data(
        as_text=True
    )
    assert nudges() == []

    done = client.post(url, data={"expected": "2", "confirm": "y"})
    assert done.status_code == 303
    assert done.headers["Location"] == (
        "/compliance/hr/people?department=Child+Protection&status=overdue"
    )
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 people will get a reminder with the next mail run" in after
    assert "Nobody here can be reminded now" in after
    assert [n[:2] for n in nudges()] == [("Ann", "pending"), ("Bob", "pending")]
    assert smtp_server.inbox.messages == []  # the request did not talk to SMTP

    assert runner.invoke(args=["smattest", "mail", "send"]).exit_code == 0
    log = " ".join(client.get("/compliance/hr/reminders").get_data(as_text=True).split())
    assert "Reminded now, asked by Hana Reyes" in log
    assert sorted(m["To"] for m in smtp_server.inbox.messages) == [
        "ann@agency.example",
        "bob@agency.example",
        "cy@agency.example",  # her receipt, sent by the same job
    ]


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_an_expired_nudge_form_reminds_nobody(client, hr):
    response = client.post(
        "/compliance/hr/people/nudge?status=overdue", data={"expected": "3", "confirm": "y"}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/compliance/hr/people?status=overdue"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This form had expired. Nobody was reminded: please try again." in page
    assert nudges() == []
