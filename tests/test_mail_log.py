"""HR's log of the mails sent: every kind (reminders, managers told, nudges, receipts,
announcements, review reminders, weekly summaries), newest first, paged, by kind."""

from __future__ import annotations

import datetime as dt

import pytest

from smattest.models import Announcement, HRSummary, Reminder, ReviewNotice

from . import hostapp
from .conftest import all_databases
from .html import Page
from .reminder_helpers import person, social_media_policy

pytestmark = pytest.mark.settings(SMATTEST_PAGE_SIZE=25)

SENT = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def sent(model, minutes: int, **fields):
    """An outbox row of ``model`` sent ``minutes`` after 08:00 on 2 March 2026."""
    row = model(status="sent", attempts=1, sent_at=SENT + dt.timedelta(minutes=minutes), **fields)
    hostapp.db.session.add(row)
    hostapp.db.session.commit()
    return row


@pytest.fixture
def mails(app, freeze, login_as, client):
    """One sent mail of each kind, and 25 more reminders to page through."""
    version = social_media_policy(freeze, effective=dt.date(2026, 1, 2))
    ann = person("Ann Avery", manager_email="mo@agency.example")
    hana = login_as(name="Hana Reyes", is_hr=True)
    client.get("/compliance/")  # Hana's record
    freeze("2026-03-02T12:00:00+00:00")
    policy = dict(requirement_kind="policy", requirement_id=version.policy_id)
    cycle = dt.date(2026, 2, 1)
    sent(Reminder, 1, staff_id=ann.id, cycle_due=cycle, stage="overdue-4",
         recipient="ann@agency.example", **policy)  # fmt: skip
    sent(Reminder, 2, staff_id=ann.id, cycle_due=cycle, stage="escalate",
         recipient="mo@agency.example", **policy)  # fmt: skip
    sent(Reminder, 3, staff_id=ann.id, cycle_due=cycle, stage="escalate-2",
         recipient="di@agency.example", **policy)  # fmt: skip
    sent(Reminder, 4, staff_id=ann.id, cycle_due=dt.date(2026, 3, 2), stage="nudge",
         requirement_kind="nudge", requirement_id=0, recipient="ann@agency.example",
         requested_by=str(hana.id))  # fmt: skip
    sent(Reminder, 5, staff_id=ann.id, cycle_due=cycle, stage="rcpt:99",
         recipient="ann@agency.example", **policy)  # fmt: skip
    sent(Announcement, 6, staff_id=ann.id, policy_version_id=version.id,
         recipient="ann@agency.example")  # fmt: skip
    sent(ReviewNotice, 7, policy_id=version.policy_id, review_on=dt.date(2027, 1, 2),
         stage="before", recipient="owner@agency.example")  # fmt: skip
    sent(HRSummary, 8, week_start=dt.date(2026, 3, 2), recipient="hr@agency.example")
    for n in range(25):
        other = person(f"P{n:02d} Person")
        sent(Reminder, 10 + n, staff_id=other.id, cycle_due=cycle, stage="overdue-4",
             recipient=other.email, **policy)  # fmt: skip
    return hana


def log_rows(client, query: str = "") -> list[list[str]]:
    html = client.get(f"/compliance/hr/reminders{query}").get_data(as_text=True)
    (table,) = [t for t in Page(html).tables if t["rows"] and t["rows"][0][1:2] == ["Kind"]]
    return table["rows"][1:]


@all_databases
def test_every_kind_of_mail_is_in_the_log_with_names_not_ids(client, mails):
    rows = log_rows(client, "?page=2")

    assert [row[:3] for row in rows[-8:]] == [
        ["Nobody in particular", "HR's weekly summaries", "The week's compliance summary"],
        ["Nobody in particular", "Review reminders to policy owners: 30 days before the review",
         "Social Media Policy"],
        ["Ann Avery", "Announcements of new versions", "Social Media Policy, version 1"],
        ["Ann Avery", "Receipts", "Social Media Policy"],
        ["Ann Avery", "Reminded now, asked by Hana Reyes", "Everything they owe"],
        ["Ann Avery", "Managers told: manager 2 levels up told", "Social Media Policy"],
        ["Ann Avery", "Managers told: manager told", "Social Media Policy"],
        ["Ann Avery", "Reminders: overdue, reminder 4", "Social Media Policy"],
    ]  # fmt: skip
    assert rows[-1][3:] == ["ann@agency.example", "2 March 2026, 08:01 UTC"]


def test_the_log_is_paged_newest_first(client, mails):
    html = client.get("/compliance/hr/reminders").get_data(as_text=True)

    assert "Mails sent (33)" in html
    assert "Showing 1–25 of 33, newest first." in html
    assert log_rows(client)[0][0] == "P24 Person"
    assert 'href="/compliance/hr/reminders?page=2#recent-heading" rel="next"' in html
    assert len(log_rows(client, "?page=2")) == 8


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("announcement", ["Ann Avery"]),
        ("nudge", ["Ann Avery"]),
        ("review", ["Nobody in particular"]),
        ("escalation", ["Ann Avery", "Ann Avery"]),
    ],
)
def test_the_log_filters_by_kind(client, mails, kind, names):
    assert [row[0] for row in log_rows(client, f"?kind={kind}")] == names


def test_an_unknown_kind_or_page_says_what_is_wrong(client, mails):
    response = client.get("/compliance/hr/reminders?kind=spam&page=0")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Kind &#39;spam&#39; is not one of" in html
