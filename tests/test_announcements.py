"""Announcements: when a material version takes effect, each person in its audience gets
one email, whatever the number of runs; a minor version sends nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from smattest.models import Announcement, Reminder, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.reminders import run_reminders

from . import hostapp
from .conftest import create_tables
from .reminder_helpers import (
    BASE_URL,
    POLICY_TEXT,
    person,
    reminder_rows,
    sign,
    social_media_policy,
    start_together,
)


def version_two(freeze, *, minor: bool = False, effective=dt.date(2026, 3, 2)):
    freeze("2026-02-20T09:00:00+00:00")
    return publish("social-media", "Social Media Policy", POLICY_TEXT + "Never post photos.\n",
                   "Adds a rule on photos.", effective=effective, minor=minor)  # fmt: skip


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def announcements(inbox) -> list:
    return [m for m in inbox.messages if m["Subject"].startswith("New version of the")]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_material_version_is_announced_once_to_each_person_in_its_audience(
    app, smtp_server, freeze, runner
):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    ann = person("Ann Obi", freeze=freeze, signed_on=dt.date(2026, 1, 6), groups="caseworker")
    person("Cole Hart", groups="contractor", freeze=freeze, signed_on=dt.date(2026, 1, 6))
    freeze("2026-02-02T09:00:00+00:00")
    result = runner.invoke(args=["smattest", "policy", "audience", "social-media",
                                 "--everyone", "--except-group", "contractor"])  # fmt: skip
    assert result.exit_code == 0, result.output
    version_two(freeze)

    for moment in ("2026-03-02T08:00:00+00:00", "2026-03-02T15:00:00+00:00",
                   "2026-03-03T08:00:00+00:00"):  # fmt: skip
        freeze(moment)
        run_reminders()

    (mail,) = announcements(smtp_server.inbox)
    assert mail["To"] == "ann@agency.example"
    assert mail["Subject"] == "New version of the Social Media Policy: please sign it"
    text = text_of(mail)
    assert "Version 2 of the Social Media Policy took effect on 2 March 2026: Adds a rule" in text
    assert "Please read and sign it by 1 April 2026:" in text
    assert f"{BASE_URL}/compliance/policies/social-media" in text
    assert f"{BASE_URL}/compliance/policies/social-media/changes?to=2" in text
    rows = hostapp.db.session.execute(sa.select(Announcement.staff_id, Announcement.status)).all()
    assert rows == [(ann.id, "sent")]


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_minor_version_announces_nothing(app, smtp_server, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    person("Ann Obi", freeze=freeze, signed_on=dt.date(2026, 1, 6))
    version_two(freeze, minor=True)
    freeze("2026-03-02T08:00:00+00:00")

    run_reminders()

    assert announcements(smtp_server.inbox) == []
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_at_once_on_postgresql_announce_to_each_person_once(
    make_app, database_url, smtp_server, freeze, tmp_path
):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        **smtp_server.mail_config,
        "SMATTEST_BASE_URL": BASE_URL,
        "SMATTEST_MAIL_BATCH_SIZE": 3,
    }
    app = make_app(**config)
    create_tables(app)
    people = 12
    with app.app_context():
        social_media_policy(freeze, effective=dt.date(2026, 1, 5))
        staff = [
            Staff(external_id=f"p{i}", full_name=f"Person {i}", email=f"person{i}@agency.example",
                  hire_date=dt.date(2020, 1, 6))
            for i in range(people)
        ]  # fmt: skip
        hostapp.db.session.add_all(staff)
        hostapp.db.session.commit()
        for member in staff:
            sign(member, dt.date(2026, 1, 6), freeze)
        version_two(freeze)

    start_together(2, config, dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC), tmp_path)

    sent = Counter(m["To"] for m in announcements(smtp_server.inbox))
    assert sent == {f"person{i}@agency.example": 1 for i in range(people)}
    with app.app_context():
        statuses = Counter(hostapp.db.session.scalars(sa.select(Announcement.status)))
        assert statuses == {"sent": people}


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_HR_EMAILS=["hr@agency.example"])
def test_hrs_weekly_summary_lists_the_versions_that_took_effect(app, smtp_server, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    person("Ann Obi")
    version_two(freeze, effective=dt.date(2026, 2, 25))
    freeze("2026-03-02T08:00:00+00:00")  # Monday: the summary of the week

    run_reminders()

    (summary,) = smtp_server.inbox.to("hr@agency.example")
    text = text_of(summary)
    assert "Policy versions that took effect in the last 7 days: 1\n" in text
    assert (
        "* Social Media Policy, version 2, on 25 February 2026 (material: everyone in its "
        "audience must sign it)" in text
    )


COURSE = json.loads(
    (
        Path(__file__).parents[1]
        / "examples"
        / "intranet"
        / "intranet"
        / "content"
        / "social-media-refresher.json"
    ).read_text(encoding="utf-8")
)


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_on_a_new_versions_day_each_person_gets_one_mail_the_announcement(app, smtp_server, freeze):
    """A current person, an overdue one and a new hire: one mail each, carrying everything."""
    social_media_policy(freeze, effective=dt.date(2025, 1, 6))
    freeze("2025-01-06T10:00:00+00:00")
    import_course(COURSE)
    ann = person("Ann Obi", freeze=freeze, signed_on=dt.date(2026, 1, 6))
    olu = person("Olu Bello", hire_date=dt.date(2020, 1, 6))  # never signed: overdue
    nia = person("Nia Park", hire_date=dt.date(2026, 2, 20))  # new hire: never held version 1
    version_two(freeze)
    freeze("2026-03-02T08:00:00+00:00")

    report = run_reminders()

    mails = smtp_server.inbox.messages
    assert Counter(m["To"] for m in mails) == {
        "ann@agency.example": 1,
        "olu@agency.example": 1,
        "nia@agency.example": 1,
    }
    assert {m["Subject"] for m in mails} == {
        "New version of the Social Media Policy: please sign it"
    }
    (to_ann,) = smtp_server.inbox.to("ann@agency.example")
    text = text_of(to_ann)
    assert "Please read and sign it by 1 April 2026:" in text
    assert f"{BASE_URL}/compliance/policies/social-media/changes?to=2" in text
    assert "What changed since version 1" in text
    assert "You also have this to do:\n* Social Media Refresher: complete the course." in text
    assert "in place of that day's reminder" in text

    (to_olu,) = smtp_server.inbox.to("olu@agency.example")
    text = text_of(to_olu)
    assert "It is overdue: it was due on" in text
    assert "What changed" not in text and "changes?to=2" not in text

    (to_nia,) = smtp_server.inbox.to("nia@agency.example")
    text = text_of(to_nia)
    assert "Please read and sign it by " in text
    assert "What changed" not in text and "changes?to=2" not in text
    assert "Social Media Refresher" in text

    skipped = {
        (name, stage, status) for name, stage, status, _ in reminder_rows() if status == "skipped"
    }
    assert {name for name, _, _ in skipped} == {"Ann", "Olu", "Nia"}
    reasons = set(
        hostapp.db.session.scalars(
            sa.select(Reminder.last_error).where(Reminder.status == "skipped")
        )
    )
    assert reasons == {"Not sent: today's announcement of a new policy version carries it."}
    assert report.people_mailed == 3
    statuses = Counter(hostapp.db.session.scalars(sa.select(Announcement.status)))
    assert statuses == {"sent": 3}

    freeze("2026-03-09T08:00:00+00:00")  # a week later: reminders as usual, no announcement
    run_reminders()
    later = smtp_server.inbox.messages[3:]
    assert later and all(not m["Subject"].startswith("New version") for m in later)
    assert ann.id and olu.id and nia.id


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_dry_run_lists_the_announcement_alone_on_its_day(app, freeze, runner):
    social_media_policy(freeze, effective=dt.date(2025, 1, 6))
    person("Ann Obi", freeze=freeze, signed_on=dt.date(2026, 1, 6))
    person("Olu Bello", hire_date=dt.date(2020, 1, 6))
    version_two(freeze)
    freeze("2026-03-02T08:00:00+00:00")

    report = run_reminders(dry_run=True)

    assert sorted((m.recipient, m.stages) for m in report.mails) == [
        ("ann@agency.example", ("announce",)),
        ("olu@agency.example", ("announce",)),
    ]
