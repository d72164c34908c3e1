"""The whole reporting tree in a real browser: a director sees the people two levels below
her, with counts, and follows a name to their page; a manager cannot reach anyone outside
their tree. axe-core finds nothing on either page, at a phone's width."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from smattest.attest import attest
from smattest.models import Staff
from smattest.publishing.policies import publish

from .. import hostapp
from .conftest import assert_accessible, assert_no_sideways_scroll, path_for

DIRECTOR = "sandra.director@agency.example"


@pytest.fixture
def tree(app, make_user, make_staff, freeze):
    """Sandra directs Mia and Max; Mia manages Ann and Bob, both overdue; Max manages Cid,
    who signed; Olga works for someone else. Returns the host users of Sandra and Max."""
    freeze("2026-03-02T14:30:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 1, 2))  # fmt: skip
    sandra = make_user("Sandra Director", email=DIRECTOR, department="Children's Services")
    max_user = make_user("Max Middle", email="max@agency.example", manager_email=DIRECTOR)
    make_staff(1, external_id=str(max_user.id), full_name="Max Middle",
               email="max@agency.example", manager_email=DIRECTOR)  # fmt: skip
    for name, email, boss in [
        ("Mia Middle", "mia@agency.example", DIRECTOR),
        ("Ann Avery", "ann@agency.example", "mia@agency.example"),
        ("Bob Brown", "bob@agency.example", "mia@agency.example"),
        ("Cid Cole", "cid@agency.example", "max@agency.example"),
        ("Olga Other", "olga@agency.example", "nils@agency.example"),
    ]:
        make_staff(1, full_name=name, email=email, manager_email=boss,
                   department="Child Protection")  # fmt: skip
    session = hostapp.db.session
    for name in ("Mia Middle", "Max Middle", "Cid Cole"):
        person = session.scalar(sa.select(Staff).where(Staff.full_name == name))
        attest(person, "social-media", 1, name)
    return {"sandra": sandra, "max": max_user}


def staff_id(name: str) -> int:
    return hostapp.db.session.scalar(sa.select(Staff.id).where(Staff.full_name == name))


def test_a_director_sees_two_overdue_people_two_levels_down_and_opens_one(app, page, sign_in, tree):
    sign_in(tree["sandra"])
    page.goto(path_for(app, "smattest.team"))

    expect(page.get_by_role("heading", name="Everyone below you: 5 people")).to_be_visible()
    overdue = page.locator(".smattest-count-overdue")
    expect(overdue).to_have_text("2 Overdue")
    expect(page.locator(".smattest-count-current")).to_have_text("3 Current")
    rows = page.locator(".smattest-people tbody th[scope=row] a")
    expect(rows).to_have_text(["Ann Avery", "Bob Brown", "Cid Cole", "Max Middle", "Mia Middle"])
    # On a phone the overdue card reads as two lines, not "…20261 day overdue".
    ann_status = page.locator(".smattest-people tbody tr").first.locator(".smattest-due")
    assert ann_status.inner_text().splitlines() == ["was due 1 February 2026", "29 days overdue"]
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    overdue.get_by_role("link").click()
    expect(rows).to_have_text(["Ann Avery", "Bob Brown"])

    page.get_by_role("link", name="Bob Brown").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob Brown")
    table = page.get_by_role("table", name="What Bob Brown owes")
    expect(table.get_by_role("row").nth(1)).to_contain_text("Overdue")
    expect(table.get_by_role("row").nth(1)).to_contain_text("was due 1 February 2026")
    expect(page.get_by_text("reports to Mia Middle")).to_be_visible()
    html = page.content()
    assert "hash" not in html.lower() and "127.0.0.1" not in html
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def test_a_manager_cannot_reach_anyone_outside_their_tree(app, page, sign_in, tree):
    sign_in(tree["max"])
    page.goto(path_for(app, "smattest.team"))
    expect(page.locator(".smattest-people tbody th[scope=row] a")).to_have_text(["Cid Cole"])

    for name in ("Ann Avery", "Mia Middle", "Olga Other"):
        response = page.goto(path_for(app, "smattest.team_member", staff_id=staff_id(name)))
        assert response.status == 404, name
        expect(page.get_by_text(name)).to_have_count(0)
    response = page.goto(path_for(app, "smattest.team_member", staff_id=staff_id("Cid Cole")))
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Cid Cole")
    assert_accessible(page)
