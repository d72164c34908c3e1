"""Policy owners and reviews: the owner is reminded 30 days before the review date and on
the day, once each; HR's policies page says "review due" and "review overdue"."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.models import HREvent, Policy, ReviewNotice
from smattest.publishing.policies import publish
from smattest.reminders import run_reminders

from . import hostapp
from .html import text_of
from .reminder_helpers import BASE_URL, POLICY_TEXT, social_media_policy


def policies_page(client) -> str:
    return text_of(client.get("/compliance/hr/policies").get_data(as_text=True))


def reviews(inbox) -> list:
    return [m for m in inbox.messages if m["Subject"].startswith("Review due")]


def test_the_owner_defaults_to_the_publisher_and_the_review_to_12_months_later(
    app, client, login_as, freeze
):
    freeze("2026-03-02T09:00:00+00:00")
    hr = login_as(name="Hana Reyes", email="hana@agency.example", is_hr=True)
    client.get("/compliance/")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.",
            published_by=str(hr.id))  # fmt: skip

    page = policies_page(client)

    assert "Owner hana@agency.example · review on 2 March 2027" in page
    assert "Review due" not in page and "Review overdue" not in page
    freeze("2027-02-01T09:00:00+00:00")
    assert "Review due" in policies_page(client)
    freeze("2027-03-03T09:00:00+00:00")
    assert "Review overdue" in policies_page(client)


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_owner_is_reminded_30_days_before_and_on_the_day_once_each(
    app, client, login_as, smtp_server, freeze
):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    login_as(name="Hana Reyes", is_hr=True)
    response = client.post(
        "/compliance/hr/policies/social-media/review",
        data={"owner_email": "Owner@Agency.example", "review_on": "2026-06-01"},
    )
    assert response.status_code == 303

    for day in ("2026-04-30", "2026-05-04", "2026-05-05", "2026-05-20", "2026-06-01",
                "2026-06-01", "2026-06-02"):  # fmt: skip
        freeze(f"{day}T08:00:00+00:00")
        run_reminders()

    mails = reviews(smtp_server.inbox)
    assert [(m["To"], m["Subject"]) for m in mails] == [
        ("owner@agency.example", "Review due in 30 days: Social Media Policy"),
        ("owner@agency.example", "Review due today: Social Media Policy"),
    ]
    assert "due for its review on 1 June 2026, in 30 days" in mails[0].get_body(
        ("plain",)
    ).get_content().replace("\r\n", "\n")
    stages = hostapp.db.session.execute(sa.select(ReviewNotice.stage, ReviewNotice.status)).all()
    assert sorted(stages) == [("before", "sent"), ("due", "sent")]
    (event,) = hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "policy.review")
    ).all()
    assert '"review_on": "2026-06-01"' in event.detail
    assert hostapp.db.session.scalar(sa.select(Policy.owner_email)) == "owner@agency.example"


def test_a_bad_owner_email_is_refused(app, client, login_as, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    login_as(name="Hana Reyes", is_hr=True)

    response = client.post(
        "/compliance/hr/policies/social-media/review",
        data={"owner_email": "not an email", "review_on": "2026-06-01"},
    )

    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Not changed: The owner 'not an email' is not an email address." in page
    assert hostapp.db.session.scalar(sa.select(Policy.review_on)) is None
