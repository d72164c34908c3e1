"""Roster groups: read from the CSV, the host's records and the user object; shown and
filtered on HR's person page and people table; kept as dated placements."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.models import Placement, Staff

from . import hostapp
from .conftest import all_databases
from .html import text_of

HEADER = "employee_id,email,full_name,department,manager_email,hire_date,groups,active"


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze("2026-03-02T09:00:00+00:00")


def csv_file(tmp_path, *rows, header=HEADER):
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([header, *rows, ""]), encoding="utf-8")
    return path


def staff() -> dict[str, Staff]:
    hostapp.db.session.expire_all()
    return {s.external_id: s for s in hostapp.db.session.scalars(sa.select(Staff))}


def placements(staff_id: int) -> list[tuple]:
    rows = hostapp.db.session.execute(
        sa.select(Placement.since, Placement.department, Placement.groups)
        .where(Placement.staff_id == staff_id)
        .order_by(Placement.id)
    )
    return [tuple(row) for row in rows]


@all_databases
def test_the_roster_file_sets_groups_trimmed_and_ignoring_case(runner, tmp_path, freeze):
    path = csv_file(
        tmp_path,
        "1,ana@agency.example,Ana Diaz,Intake,,2020-01-06, Caseworker ; SUPERVISOR;caseworker,yes",
        "2,cy@agency.example,Cy Kim,Facilities,,2020-01-06,,yes",
    )

    result = runner.invoke(args=["smattest", "roster", "import", str(path)])

    assert result.exit_code == 0, result.output
    people = staff()
    assert people["1"].groups == "caseworker;supervisor"
    assert people["2"].groups is None
    assert placements(people["1"].id) == [(None, "Intake", "caseworker;supervisor")]

    # A transfer is kept as a dated placement; the first one holds from the start.
    freeze("2026-04-06T09:00:00+00:00")
    moved = csv_file(
        tmp_path,
        "1,ana@agency.example,Ana Diaz,Intake,,2020-01-06,caseworker,yes",
        "2,cy@agency.example,Cy Kim,Adult Services,,2020-01-06,,yes",
    )
    result = runner.invoke(args=["smattest", "roster", "import", str(moved)])

    assert result.exit_code == 0, result.output
    assert placements(people["1"].id) == [
        (None, "Intake", "caseworker;supervisor"),
        (dt.date(2026, 4, 6), "Intake", "caseworker"),
    ]
    assert placements(people["2"].id)[-1] == (dt.date(2026, 4, 6), "Adult Services", None)


def test_a_group_label_with_a_control_character_is_refused_with_its_line(runner, tmp_path):
    path = csv_file(tmp_path, '1,ana@agency.example,Ana Diaz,Intake,,2020-01-06,"case\x07worker",')

    result = runner.invoke(args=["smattest", "roster", "import", str(path)])

    assert result.exit_code == 1
    assert (
        "line 2: groups contains an invisible or direction-changing character (U+0007"
        in result.output
    )
    assert staff() == {}


def host_roster():
    return [
        {"employee_id": "1", "email": "ana@agency.example", "full_name": "Ana Diaz",
         "groups": ["Caseworker", " contractor "]},
        {"employee_id": "2", "email": "bo@agency.example", "full_name": "Bo Lee",
         "groups": "supervisor"},
    ]  # fmt: skip


@pytest.mark.settings(SMATTEST_ROSTER_SOURCE=host_roster)
def test_the_host_roster_gives_groups_as_a_list_or_text(runner):
    result = runner.invoke(args=["smattest", "roster", "sync"])

    assert result.exit_code == 0, result.output
    assert staff()["1"].groups == "caseworker;contractor"
    assert staff()["2"].groups == "supervisor"


@pytest.mark.settings(
    SMATTEST_USER_FIELDS={
        "email": "email",
        "full_name": "name",
        "department": "department",
        "groups": "roles",
    }  # fmt: skip
)
def test_sign_in_reads_groups_from_the_user_object(client, login_as):
    user = login_as(name="Ana Diaz", roles="Caseworker; Supervisor")
    client.get("/compliance/")

    (person,) = staff().values()
    assert person.external_id == str(user.id)
    assert person.groups == "caseworker;supervisor"


@pytest.fixture
def people(make_staff):
    make_staff(1, full_name="Ana Diaz", department="Intake", groups="caseworker;supervisor")
    make_staff(1, full_name="Bo Lee", department="Intake", groups="contractor")
    make_staff(1, full_name="Cy Kim", department="Facilities", groups=None)
    return staff()


def test_the_people_table_shows_groups_and_filters_by_one(people, client, login_as):
    login_as(name="Hana Reyes", is_hr=True)

    everyone = text_of(client.get("/compliance/hr/people").get_data(as_text=True))
    chosen = client.get("/compliance/hr/people?group=%20Caseworker%20")

    assert "caseworker, supervisor" in everyone and "contractor" in everyone
    page = text_of(chosen.get_data(as_text=True))
    assert "Ana Diaz" in page
    assert "Bo Lee" not in page and "Cy Kim" not in page
    assert '<option value="caseworker" selected>' in chosen.get_data(as_text=True)


def test_the_person_page_shows_groups_linked_to_the_people_table(people, client, login_as):
    login_as(name="Hana Reyes", is_hr=True)
    ana = next(p for p in people.values() if p.full_name == "Ana Diaz")

    html = client.get(f"/compliance/hr/people/{ana.id}").get_data(as_text=True)

    assert 'href="/compliance/hr/people?group=caseworker"' in html
    assert "Groups caseworker, supervisor" in text_of(html)


def test_the_roster_wins_over_the_profile_and_the_profile_fills_what_it_left_empty(
    runner, tmp_path, client, make_user, login_as
):
    user = make_user(name="Ana D.", email="ana@agency.example", department="Facilities",
                     manager_email="mo@agency.example", hire_date=dt.date(2019, 5, 1))  # fmt: skip
    path = csv_file(tmp_path, f"{user.id},ana@agency.example,Ana Diaz,Intake,,,caseworker,yes",
                    header=HEADER)  # fmt: skip
    assert runner.invoke(args=["smattest", "roster", "import", str(path)]).exit_code == 0

    login_as(user)
    client.get("/compliance/")

    ana = staff()[str(user.id)]
    assert (ana.full_name, ana.department, ana.groups) == ("Ana Diaz", "Intake", "caseworker")
    assert (ana.manager_email, ana.hire_date) == ("mo@agency.example", dt.date(2019, 5, 1))


def test_someone_no_roster_listed_is_kept_up_to_date_from_the_profile(client, make_user, login_as):
    user = make_user(name="Bo Lee", department="Facilities")
    login_as(user)
    client.get("/compliance/")
    user.department = "Intake"
    hostapp.db.session.commit()

    client.get("/compliance/")

    assert staff()[str(user.id)].department == "Intake"
