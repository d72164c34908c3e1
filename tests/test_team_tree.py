"""A manager's whole reporting tree: everyone below them at any depth, counts, member pages."""

from __future__ import annotations

import datetime as dt

import pytest

from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases
from .dashboard_helpers import NOW, sign, staff_named
from .html import Page, page_of

DIRECTOR = "dora.director@agency.example"


def tree_of(make_staff, make_user, freeze) -> dict[str, object]:
    """Dora directs Mia and Max; Mia manages Ann and Bob (overdue), Max manages Cid (signed);
    Ann manages Eli (deep, overdue); Olga reports to someone else entirely.

    Returns the host users of Mia, Max and Olga, who sign in in some tests."""
    freeze(NOW)
    users = {}
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 1, 1))  # fmt: skip
    for name, email, boss in [
        ("Mia Middle", "mia@agency.example", DIRECTOR),
        ("Max Middle", "max@agency.example", DIRECTOR),
        ("Ann Deep", "ann@agency.example", "mia@agency.example"),
        ("Bob Deep", "bob@agency.example", "mia@agency.example"),
        ("Cid Deep", "cid@agency.example", "max@agency.example"),
        ("Eli Deeper", "eli@agency.example", "ann@agency.example"),
        ("Olga Other", "olga@agency.example", "nils@agency.example"),
    ]:
        external_id = None
        if name in ("Mia Middle", "Max Middle", "Olga Other"):
            users[name] = make_user(name, email=email, manager_email=boss)
            external_id = str(users[name].id)
        make_staff(1, full_name=name, email=email, manager_email=boss,
                   department="Child Protection",
                   **({"external_id": external_id} if external_id else {}))  # fmt: skip
    for name in ("Mia Middle", "Max Middle", "Cid Deep"):
        sign(name, "2026-02-10T10:00:00+00:00", freeze)
    return users


@pytest.fixture
def director(client, login_as, make_staff, make_user, freeze):
    tree_of(make_staff, make_user, freeze)
    return login_as(name="Dora Director", email=DIRECTOR, department="Child Protection")


def counts(page: Page) -> dict[str, str]:
    found = {}
    for text in page.by_class["smattest-count"]:
        number, label = text.split(" ", 1)
        found[label] = number
    return found


@all_databases
def test_a_director_sees_everyone_below_at_any_depth_with_counts(client, director):
    html = client.get("/compliance/team").get_data(as_text=True)
    page = Page(html)

    assert page.names() == [
        "Ann Deep", "Bob Deep", "Cid Deep", "Eli Deeper", "Max Middle", "Mia Middle",
    ]  # fmt: skip
    assert counts(page) == {"Current": "3", "Due soon": "0", "Overdue": "3", "Exempt": "0"}
    assert "Everyone below you: 6 people" in html


def test_direct_reports_only_is_a_filter(client, director):
    page = page_of(client.get("/compliance/team?direct=1"))

    assert page.names() == ["Max Middle", "Mia Middle"]
    assert counts(page) == {"Current": "2", "Due soon": "0", "Overdue": "0", "Exempt": "0"}
    # Paging and the status links keep the filter.
    html = client.get("/compliance/team?direct=1").get_data(as_text=True)
    assert "/compliance/team?status=overdue&amp;direct=1" in html


def test_a_count_links_to_the_people_it_counts(client, director):
    page = page_of(client.get("/compliance/team?status=overdue"))

    assert page.names() == ["Ann Deep", "Bob Deep", "Eli Deeper"]


def test_a_middle_manager_sees_their_own_tree_only(client, login_as, make_staff, make_user, freeze):
    login_as(tree_of(make_staff, make_user, freeze)["Mia Middle"])

    assert page_of(client.get("/compliance/team")).names() == ["Ann Deep", "Bob Deep", "Eli Deeper"]


def test_names_link_to_the_team_member_page(client, director):
    eli = staff_named("Eli Deeper")
    html = client.get("/compliance/team").get_data(as_text=True)

    assert f'<a href="/compliance/team/people/{eli.id}">Eli Deeper</a>' in html
    assert "/compliance/hr/" not in html


def test_the_team_member_page_shows_what_they_owe_and_did_without_evidence_details(
    client, director
):
    cid = staff_named("Cid Deep")
    response = client.get(f"/compliance/team/people/{cid.id}")

    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert page.table("What Cid Deep owes") == [
        ["Requirement", "Status", "Due", "Last done"],
        ["Social Media Policy", "Current", "10 February 2027", "10 February 2026"],
    ]
    html = response.get_data(as_text=True)
    assert "Signed the Social Media Policy, version 1, on 10 February 2026." in html
    for detail in ("hash", "127.0.0.1", "IP", "user agent", "signature"):
        assert detail not in html.replace("smattest-hashes", "")


def test_an_overdue_member_page_says_since_when(client, director):
    eli = staff_named("Eli Deeper")
    page = page_of(client.get(f"/compliance/team/people/{eli.id}"))

    assert page.table("What Eli Deeper owes")[1] == [
        "Social Media Policy", "Overdue", "was due 31 January 2026 (29 days overdue)", "Never",
    ]  # fmt: skip


@all_databases
def test_nobody_outside_the_tree_can_be_reached(client, login_as, make_staff, make_user, freeze):
    login_as(tree_of(make_staff, make_user, freeze)["Max Middle"])

    for name in ("Olga Other", "Ann Deep", "Mia Middle", "Max Middle"):
        response = client.get(f"/compliance/team/people/{staff_named(name).id}")
        assert response.status_code == 404, name
    assert client.get(f"/compliance/team/people/{staff_named('Cid Deep').id}").status_code == 200
    assert client.get("/compliance/team/people/999999").status_code == 404


def test_someone_without_reports_cannot_open_a_member_page(
    client, login_as, make_staff, make_user, freeze
):
    login_as(tree_of(make_staff, make_user, freeze)["Olga Other"])

    response = client.get(f"/compliance/team/people/{staff_named('Ann Deep').id}")
    assert response.status_code == 403


def test_a_cycle_in_the_roster_ends_the_walk(client, login_as, make_staff, freeze):
    freeze(NOW)
    quin, pat = "quin@agency.example", "pat@agency.example"
    make_staff(1, full_name="Pat Loop", email=pat, manager_email=quin)
    make_staff(1, full_name="Rae Loop", email="rae@agency.example", manager_email=pat)
    login_as(name="Quin Loop", email="quin@agency.example", manager_email="rae@agency.example")

    assert page_of(client.get("/compliance/team")).names() == ["Pat Loop", "Rae Loop"]


def test_people_below_a_manager_who_left_are_still_in_the_tree(
    client, login_as, make_staff, freeze
):
    freeze(NOW)
    make_staff(1, full_name="Gone Manager", email="gone@agency.example",
               manager_email=DIRECTOR, active=False)  # fmt: skip
    make_staff(1, full_name="Kit Below", email="kit@agency.example",
               manager_email="gone@agency.example")  # fmt: skip
    login_as(name="Dora Director", email=DIRECTOR)

    assert page_of(client.get("/compliance/team")).names() == ["Kit Below"]


def test_a_manager_whose_only_report_left_has_no_team(client, login_as, make_staff, freeze):
    freeze(NOW)
    make_staff(1, full_name="Gone Report", email="gone@agency.example",
               manager_email=DIRECTOR, active=False)  # fmt: skip
    login_as(name="Dora Director", email=DIRECTOR)

    assert client.get("/compliance/team").status_code == 403
    assert "/compliance/team" not in client.get("/compliance/").get_data(as_text=True)


def test_statements_do_not_grow_with_the_tree(client, login_as, make_staff, make_user, freeze,
                                              count_statements):  # fmt: skip
    tree_of(make_staff, make_user, freeze)
    login_as(name="Dora Director", email=DIRECTOR)
    client.get("/compliance/team").get_data()
    hostapp.db.session.rollback()  # a new request: a new transaction
    with count_statements() as small:
        client.get("/compliance/team").get_data()
    # Ten more levels under Eli, three people each.
    boss = "eli@agency.example"
    for level in range(10):
        emails = [f"l{level}p{i}@agency.example" for i in range(3)]
        make_staff(3, full_name=lambda i, level=level: f"Level {level} person {i}",
                   email=lambda i, emails=emails: emails[i], manager_email=boss)  # fmt: skip
        boss = emails[0]
    client.get("/compliance/team").get_data()  # the first read works the new rows in
    hostapp.db.session.rollback()
    with count_statements() as big:
        html = client.get("/compliance/team").get_data(as_text=True)

    assert "Everyone below you: 36 people" in html
    assert big.count == small.count
