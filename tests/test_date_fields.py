"""HR's date fields: each a date input, each reading the same typed forms, each example ahead."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from smattest.models import Policy, PolicyDraft

from . import hostapp
from .html import text_of

HR = "/compliance/hr"
pytestmark = [
    pytest.mark.hr_on_roster,
    pytest.mark.policy(now="2026-03-02T09:00:00+00:00", effective=dt.date(2026, 1, 5)),
]
#: Every form HR may type a day in (a browser without a date input sends the text).
TYPED = ["8 June 2026", "June 8, 2026", "8 Jun 2026", "2026-06-08", " 8  June 2026 ",
         "8. June 2026"]  # fmt: skip


def date_inputs(html: str) -> dict[str, str]:
    """Each <input> named as a day on the page: name -> its type."""
    found = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name and name.group(1) in {"review_on", "from", "effective_date", "until", "as_of"}:
            found[name.group(1)] = kind.group(1) if kind else "text"
    return found


def test_every_hr_date_field_is_a_date_input(client, policy, hr, make_staff):
    (person,) = make_staff(1, full_name="Dmitri Volkov")
    client.post(f"{HR}/drafts/new?policy=social-media", data={
        "body": "# New\n\nText.\n", "summary": "New.", "change": "material",
        "effective_date": ""})  # fmt: skip
    draft_id = hostapp.db.session.scalar(sa.select(PolicyDraft.id))
    pages = {
        f"{HR}/policies/social-media/audience": {"review_on": "date", "from": "date"},
        f"{HR}/drafts/{draft_id}": {"effective_date": "date"},
        f"{HR}/people/{person}/exemptions/new": {"until": "date"},
        f"{HR}/exports": {"as_of": "date"},
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert date_inputs(response.get_data(as_text=True)) == expected, url


def test_examples_lie_ahead_of_today(client, policy, hr, make_staff):
    (person,) = make_staff(1, full_name="Dmitri Volkov")
    audience = text_of(client.get(f"{HR}/policies/social-media/audience").get_data(as_text=True))
    exemption = text_of(client.get(f"{HR}/people/{person}/exemptions/new").get_data(as_text=True))

    # Today is 2 March 2026: the example is three months ahead, never a day gone by.
    assert "Review date (e.g. 1 June 2026)" in audience
    assert "First day it is retired (e.g. 1 June 2026)" in audience
    assert "e.g. 1 June 2026" in exemption


@pytest.mark.parametrize("typed", TYPED)
def test_the_review_date_reads_every_typed_form(client, policy, hr, typed):
    response = client.post(
        f"{HR}/policies/social-media/review",
        data={"owner_email": "owner@agency.example", "review_on": typed},
    )

    assert response.status_code == 303
    hostapp.db.session.expire_all()
    assert hostapp.db.session.scalar(sa.select(Policy.review_on)) == dt.date(2026, 6, 8)


@pytest.mark.parametrize("typed", TYPED)
def test_the_draft_effective_date_reads_every_typed_form(client, policy, hr, typed):
    client.post(f"{HR}/drafts/new?policy=social-media", data={
        "body": "# New\n\nText.\n", "summary": "New.", "change": "material",
        "effective_date": typed})  # fmt: skip

    hostapp.db.session.expire_all()
    assert hostapp.db.session.scalar(sa.select(PolicyDraft.effective_date)) == dt.date(2026, 6, 8)


def test_an_unreadable_day_says_how_to_write_one_with_an_example_ahead(client, policy, hr):
    response = client.post(
        f"{HR}/policies/social-media/review",
        data={"owner_email": "owner@agency.example", "review_on": "06/08/2026"},
        follow_redirects=True,
    )
    retire = client.post(
        f"{HR}/policies/social-media/retire",
        data={"from": "next month", "reason": "Replaced."},
        follow_redirects=True,
    )

    assert (
        "Not changed: The review date: '06/08/2026' is not a date this form can read: "
        "write it like 1 June 2026 or 2026-06-01."
    ) in text_of(response.get_data(as_text=True))
    assert (
        "Not retired: The first day it is retired: 'next month' is not a date this form can "
        "read: write it like 1 June 2026 or 2026-06-01."
    ) in text_of(retire.get_data(as_text=True))
    hostapp.db.session.expire_all()
    assert hostapp.db.session.scalar(sa.select(Policy.review_on)) is None
    assert hostapp.db.session.scalar(sa.select(Policy.retired_on)) is None
