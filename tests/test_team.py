"""A manager's team page: their direct reports only, whatever the query string says."""

from __future__ import annotations

import datetime as dt

import pytest

from smattest.publishing.policies import publish

from .dashboard_helpers import NOW, sign, staff_named
from .html import Elements, Page, page_of

BOSS = "morgan.lead@agency.example"


@pytest.fixture
def teams(app, make_staff, freeze):
    """Morgan's team (two in Finance, one in Legal, one who left) and Nils's team in Legal."""
    freeze(NOW)
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 1, 1))  # fmt: skip
    mine = ["Ana Ortiz", "Ben Ng", "Cai Lu"]
    make_staff(3, full_name=lambda i: mine[i], manager_email=BOSS,
               department=lambda i: "Legal" if i == 2 else "Finance")  # fmt: skip
    make_staff(1, full_name="Dee Gone", manager_email=BOSS, active=False)
    make_staff(2, full_name=lambda i: ["Olga Other", "Otto Other"][i], department="Legal",
               manager_email="nils@agency.example")  # fmt: skip
    sign("Ben Ng", "2026-02-10T10:00:00+00:00", freeze)
    return mine


@pytest.fixture
def manager(client, login_as, teams):
    return login_as(name="Morgan Lead", email=BOSS, department="Finance")


def test_team_page_lists_the_managers_active_direct_reports_only(client, manager):
    page = page_of(client.get("/compliance/team"))

    assert page.names() == ["Ana Ortiz", "Ben Ng", "Cai Lu"]
    rows = page.table("People")
    assert rows[0] == ["Name", "Department", "Social Media Policy"]
    assert rows[1][2] == "Overdue was due 31 January 2026 29 days overdue"
    assert rows[2][2] == "Current due 10 February 2027"


@pytest.mark.parametrize(
    "query",
    [
        "department=Legal",
        "manager=nils@agency.example",
        "manager=nils@agency.example&department=Legal&q=other",
    ],
)
def test_query_parameters_cannot_widen_the_team(client, manager, query):
    names = page_of(client.get(f"/compliance/team?{query}")).names()

    assert not [name for name in names if "Other" in name]
    assert set(names) <= {"Ana Ortiz", "Ben Ng", "Cai Lu"}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("status=current", ["Ben Ng"]),
        ("requirement=policy:social-media&status=overdue", ["Ana Ortiz", "Cai Lu"]),
        ("q=cai", ["Cai Lu"]),
    ],
)
def test_team_filters_narrow_within_the_team(client, manager, query, names):
    assert page_of(client.get(f"/compliance/team?{query}")).names() == names


def test_team_page_offers_no_department_or_manager_filter(client, manager):
    html = client.get("/compliance/team").get_data(as_text=True)

    assert 'name="department"' not in html and 'name="manager"' not in html
    assert 'name="status"' in html and 'name="requirement"' in html and 'name="q"' in html


def test_a_manager_sees_names_without_links_to_hr_records(client, manager):
    html = client.get("/compliance/team").get_data(as_text=True)

    assert "/compliance/hr/people/" not in html
    assert "Ana Ortiz" in html


def test_a_manager_in_hr_gets_links_to_the_person_page(client, login_as, teams):
    login_as(name="Morgan Lead", email=BOSS, is_hr=True)

    html = client.get("/compliance/team").get_data(as_text=True)

    assert f'<a href="/compliance/hr/people/{staff_named("Cai Lu").id}">Cai Lu</a>' in html


def test_bad_team_query_values_get_a_clear_message(client, manager):
    response = client.get("/compliance/team?status=late&page=-1")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Status &#39;late&#39; is not one of" in html
    assert "Page &#39;-1&#39; is not a page number" in html


def test_names_with_html_in_a_team_render_as_text(client, manager, make_staff):
    make_staff(1, full_name="<b>Eve</b>", department="<i>Ops</i>", manager_email=BOSS)

    html = client.get("/compliance/team").get_data(as_text=True)

    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "&lt;i&gt;Ops&lt;/i&gt;" in html
    assert not {"b", "i"} & Elements(html).tags


def test_someone_without_reports_gets_403_and_strangers_are_sent_to_sign_in(
    client, login_as, teams
):
    anonymous = client.get("/compliance/team")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")

    login_as(name="Ana Ortiz", email="ana@agency.example")
    assert client.get("/compliance/team").status_code == 403


def test_team_page_counts_one_page_of_many(client, manager, make_staff):
    make_staff(60, full_name=lambda i: f"Report {i:02d}", manager_email=BOSS)

    page = Page(client.get("/compliance/team?q=report&page=2").get_data(as_text=True))

    assert page.names() == [f"Report {i:02d}" for i in range(50, 60)]
    assert "Showing 51–60 of 60 people." in page.by_class["smattest-result-count"]
