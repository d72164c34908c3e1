"""The demo's reminders: a seeded year of history, and "Run the reminder job now" on /mail."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from smattest.evidence import audit
from smattest.models import Attestation, HREvent, Reminder, TrainingCompletion
from smattest.rule import compliance

from .demo_helpers import migrate_and_seed

sys.path.insert(0, str(Path(__file__).parents[1] / "examples" / "intranet"))
import intranet  # noqa: E402

#: Monday 2 March 2026, 09:00 in Chicago: a business day.
MONDAY_MORNING = "2026-03-02T15:00:00+00:00"


@pytest.fixture
def demo(tmp_path, freeze):
    """The demo, migrated and seeded on a SQLite file, with CSRF on as in real use."""
    freeze(MONDAY_MORNING)
    app = intranet.create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite'}", "TESTING": True}
    )
    with app.app_context():
        app.seed_output = migrate_and_seed(app, tmp_path / "demo.sqlite")
        yield app
        intranet.db.session.remove()
        for engine in intranet.db.engines.values():
            engine.dispose()


def signed_in(app, email):
    """A test client signed in as the person with ``email`` (through the sign-in form)."""
    client = app.test_client()
    user = intranet.db.session.scalars(
        sa.select(intranet.User).where(intranet.User.email == email)
    ).one()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/sign-in/{user.id}", data={"csrf_token": token}).status_code == 302
    return client


def press_run_reminders(client):
    """Press the button on the mail page, with the form's own CSRF token; the page after."""
    page = client.get("/mail").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/mail/run-reminders">(.*?)</form>', page, re.S)
    assert form is not None, "the mail page has no 'Run the reminder job now' form"
    assert "Run the reminder job now" in form.group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(1)).group(1)
    response = client.post("/mail/run-reminders", data={"csrf_token": token})
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def mails_to(email):
    return intranet.db.session.scalars(
        sa.select(intranet.SentMail).where(intranet.SentMail.recipients.contains(email))
    ).all()


def statuses():
    """For each requirement, how many people have each status (as HR's dashboard counts)."""
    return {
        r.title: Counter(s.status for _, s in compliance.standings(r))
        for r in compliance.requirements()
    }


def test_seed_gives_a_spread_of_current_due_soon_and_overdue(demo):
    counts = statuses()

    assert set(counts) == {"Social Media Policy", "Social Media Refresher"}
    for title, by_status in counts.items():
        assert by_status[compliance.CURRENT] >= 10, title
        assert by_status[compliance.DUE_SOON] >= 10, title
        assert 3 <= by_status[compliance.OVERDUE] <= 10, title
        assert sum(by_status.values()) == 40
    assert "Social Media Policy: 7 overdue, 17 due soon, 16 current" in demo.seed_output


def test_seeded_history_is_marked_as_imported_demo_evidence_in_an_intact_chain(demo):
    session = intranet.db.session
    rows = [
        *session.scalars(sa.select(Attestation)),
        *session.scalars(sa.select(TrainingCompletion)),
    ]
    [log] = session.scalars(sa.select(HREvent).where(HREvent.action == "evidence.import")).all()

    assert len(rows) > 70
    assert {(r.method, r.recorded_by) for r in rows} == {("import", "demo-seed")}
    assert all("Invented demo history" in r.reason for r in rows)
    # Nothing before the policy came in, 400 days before 2 March 2026.
    assert min(r.attested_at for r in rows if isinstance(r, Attestation)).date() == (
        dt.date(2025, 1, 26)
    )
    assert log.actor == "demo-seed" and "Nobody here is real" in log.detail
    assert audit.verify().ok


def test_running_the_reminder_job_from_the_mail_page_mails_the_people_who_owe(demo):
    client = signed_in(demo, "grace.kim@riverside.example")

    page = press_run_reminders(client)

    # Due in 30 days, in 7, tomorrow; overdue by 3 days and by 20 (its manager is told).
    for name, subject in [
        ("marcus.johnson", "Reminder: you have 2 compliance tasks due soon"),
        ("rosa.gutierrez", "Reminder: you have 2 compliance tasks due soon"),
        ("carlos.mendoza", "Reminder: Social Media Policy is due on 3 March 2026"),
        ("emily.obrien", "Overdue: Social Media Policy was due on 27 February 2026"),
        ("priya.natarajan", "Overdue: you have 2 compliance tasks to do (2 overdue)"),
        ("sandra.delgado", "Your team: Priya Natarajan is overdue on compliance"),
    ]:
        [mail] = mails_to(f"{name}@riverside.example")
        assert mail.subject == subject
        assert subject in page
    assert (
        "http://127.0.0.1:5000/compliance/" in mails_to("marcus.johnson@riverside.example")[0].body
    )
    for current in ("grace.kim@riverside.example", "daniel.cho@riverside.example"):
        assert mails_to(current) == []
    # Three managers, and the director above them, whose digest covers her whole tree.
    assert "Mails sent: 25 to people, 4 to managers, 0 to HR." in page
    assert "Your team: 3 people are overdue on compliance" in page


def test_pressing_the_button_again_sends_nothing_twice(demo):
    client = signed_in(demo, "kwame.asante@riverside.example")
    press_run_reminders(client)
    before = intranet.db.session.scalar(sa.select(sa.func.count()).select_from(intranet.SentMail))

    page = press_run_reminders(client)

    after = intranet.db.session.scalar(sa.select(sa.func.count()).select_from(intranet.SentMail))
    assert before > 20
    assert after == before
    assert "Mails sent: 0 to people, 0 to managers, 0 to HR." in page


def test_the_button_needs_the_forms_csrf_token(demo):
    client = signed_in(demo, "grace.kim@riverside.example")

    response = client.post("/mail/run-reminders")

    assert response.status_code == 400
    assert intranet.db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0


def test_the_button_is_for_signed_in_people_only(demo):
    client = demo.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = client.post("/mail/run-reminders", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert intranet.db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0
