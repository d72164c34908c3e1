"""Audiences: a course for caseworkers, a policy for everyone except contractors.

Three departments, groups ``caseworker`` and ``contractor``. Everything that
counts or chases people honours the audience: My compliance, the policy and
course pages, the dashboard, the people table, reminders, exports.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.evidence import export as evidence_export
from smattest.models import AudienceChange, HREvent, Staff
from smattest.publishing.courses import import_course
from smattest.reports import dashboard
from smattest.reports import exports as reports
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE as COURSE
from .html import read_csv, text_of
from .reminder_helpers import social_media_policy

HEADER = "employee_id,email,full_name,department,manager_email,hire_date,groups"
ROSTER = [
    "1,ana@agency.example,Ana Diaz,Intake,,2020-01-06,caseworker",
    "2,cole@agency.example,Cole Hart,Facilities,,2020-01-06,contractor",
    "3,dee@agency.example,Dee Park,Adult Services,,2020-01-06,",
    "4,eve@agency.example,Eve Long,Intake,,2020-01-06,",
]


def import_roster(runner, tmp_path, rows):
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([HEADER, *rows, ""]), encoding="utf-8")
    result = runner.invoke(args=["smattest", "roster", "import", str(path)])
    assert result.exit_code == 0, result.output


def person(name: str) -> Staff:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == name))


def owed(name: str, as_of: dt.date | None = None) -> dict[str, tuple[str, dt.date | None]]:
    return {
        s.requirement.slug: (s.status, s.due_date)
        for s in compliance.person_standings(person(name), as_of)
    }


@pytest.fixture
def agency(app, runner, tmp_path, freeze):
    """The roster, the policy (since 5 January) and the course (imported 5 January),
    then on 2 February: the policy for everyone except contractors, the course for
    caseworkers."""
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    import_course(COURSE)
    import_roster(runner, tmp_path, ROSTER)
    freeze("2026-02-02T09:00:00+00:00")
    for args in (
        ["policy", "audience", "social-media", "--everyone", "--except-group", "Contractor"],
        ["course", "audience", "refresher", "--group", " caseworker "],
    ):
        result = runner.invoke(args=["smattest", *args])
        assert result.exit_code == 0, result.output
    return tmp_path


@all_databases
def test_a_contractor_owes_no_policy_and_a_non_caseworker_no_course(agency):
    assert set(owed("Ana Diaz")) == {"social-media", "refresher"}
    assert owed("Cole Hart") == {}
    assert set(owed("Dee Park")) == {"social-media"}
    assert set(owed("Eve Long")) == {"social-media"}


@all_databases
def test_the_day_before_an_audience_change_uses_the_earlier_audience(agency):
    before = dt.date(2026, 2, 1)
    assert set(owed("Cole Hart", before)) == {"social-media", "refresher"}
    assert owed("Cole Hart", dt.date(2026, 2, 2)) == {}


@all_databases
def test_a_caseworker_transferred_in_is_due_30_days_after_the_transfer(agency, runner, freeze):
    freeze("2026-03-02T09:00:00+00:00")
    moved = [row.replace("Adult Services,,2020-01-06,", "Intake,,2020-01-06,caseworker")
             for row in ROSTER]  # fmt: skip

    import_roster(runner, agency, moved)

    assert owed("Dee Park")["refresher"] == ("due_soon", dt.date(2026, 4, 1))
    assert "refresher" not in owed("Dee Park", dt.date(2026, 3, 1))
    assert owed("Dee Park", dt.date(2026, 4, 2))["refresher"][0] == "overdue"
    # Ana was a caseworker from the start: due 30 days after the course arrived.
    assert owed("Ana Diaz")["refresher"] == ("overdue", dt.date(2026, 2, 4))


def test_a_wider_audience_gives_the_newcomers_30_days(agency, runner, freeze):
    freeze("2026-03-02T09:00:00+00:00")

    result = runner.invoke(args=["smattest", "course", "audience", "refresher", "--everyone"])

    assert result.exit_code == 0, result.output
    assert "groups caseworker -> everyone" in result.output
    assert owed("Eve Long")["refresher"] == ("due_soon", dt.date(2026, 4, 1))
    assert owed("Ana Diaz")["refresher"][1] == dt.date(2026, 2, 4)


def test_someone_leaving_the_audience_owes_nothing_and_keeps_their_evidence(agency, runner, freeze):
    from smattest.attest import attest

    freeze("2026-02-10T09:00:00+00:00")
    attest(person("Dee Park"), "social-media", 1, "Dee Park")
    freeze("2026-03-02T09:00:00+00:00")
    moved = [row.replace("Adult Services,,2020-01-06,", "Adult Services,,2020-01-06,contractor")
             for row in ROSTER]  # fmt: skip

    import_roster(runner, agency, moved)

    assert owed("Dee Park") == {}
    assert owed("Dee Park", dt.date(2026, 3, 1))["social-media"][0] == "current"
    rows = read_csv("".join(evidence_export.evidence_csv()))
    evidence = [(r["full_name"], r["requirement_slug"]) for r in rows if r["full_name"]]
    assert evidence == [("Dee Park", "social-media")]


def test_pages_dashboard_people_table_and_exports_leave_the_contractor_out(
    agency, client, login_as, app
):
    cole = person("Cole Hart")
    hostapp.db.session.add(hostapp.User(id=9001, name="Cole Hart", email="cole@agency.example"))
    hostapp.db.session.commit()
    cole.external_id = "9001"
    hostapp.db.session.commit()
    login_as(hostapp.db.session.get(hostapp.User, 9001))

    mine = text_of(client.get("/compliance/").get_data(as_text=True))
    policy_page = text_of(client.get("/compliance/policies/social-media").get_data(as_text=True))
    course_page = text_of(client.get("/compliance/courses/refresher").get_data(as_text=True))

    assert "Social Media Policy" not in mine and "Social Media Refresher" not in mine
    assert "This policy is not required of you." in policy_page
    assert "This course is not required of you." in course_page
    by_slug = {s.requirement.slug: s.overall.total for s in dashboard.summary()}
    assert by_slug == {"social-media": 3, "refresher": 1}

    login_as(name="Hana Reyes", is_hr=True, department="Intake")
    page = text_of(client.get("/compliance/hr/people?q=cole").get_data(as_text=True))
    assert "Cole Hart" in page and page.count("Not required") == 2
    # Hana (Intake, no group) owes the policy but not the course.
    hana_page = text_of(client.get("/compliance/policies/social-media").get_data(as_text=True))
    assert "not required of you" not in hana_page

    rows = read_csv("".join(reports.status_csv()))
    assert {
        (r["full_name"], r["requirement_slug"]) for r in rows if r["full_name"] == "Cole Hart"
    } == set()
    assert sum(r["requirement_slug"] == "refresher" for r in rows) == 1


def test_the_reminders_dry_run_leaves_the_contractor_out(agency, runner, freeze):
    freeze("2026-03-17T08:00:00+00:00")

    result = runner.invoke(args=["smattest", "reminders", "send", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "ana@agency.example" in result.output and "eve@agency.example" in result.output
    assert "cole@agency.example" not in result.output


def test_an_unknown_name_is_refused_with_the_known_ones_and_nothing_changes(agency, runner):
    result = runner.invoke(
        args=[
            "smattest",
            "policy",
            "audience",
            "social-media",
            "--group",
            "casewoker",
            "--department",
            "Intak",
        ]  # fmt: skip
    )

    assert result.exit_code == 1
    assert (
        "unknown department 'Intak'; the departments are: Adult Services, Facilities, Intake"
        in result.output
    )
    assert "unknown group 'casewoker'; the groups are: caseworker, contractor" in result.output
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(AudienceChange)) == 2


def test_changes_are_recorded_with_who_when_before_and_after(agency, runner):
    events = hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "audience.set").order_by(HREvent.id)
    ).all()

    assert [(e.actor, e.at.date()) for e in events] == [("cli", dt.date(2026, 2, 2))] * 2
    assert '"before": "everyone"' in events[1].detail
    assert '"after": "groups caseworker"' in events[1].detail


def test_policy_list_and_course_list_show_audiences(agency, runner):
    policies = runner.invoke(args=["smattest", "policy", "list"]).output
    courses = runner.invoke(args=["smattest", "course", "list"]).output

    # The lists are tables whose last column, FOR, is the audience.
    assert policies.splitlines()[0].split()[-1] == "FOR"
    assert policies.rstrip().endswith("  everyone except groups contractor")
    assert courses.splitlines()[0].split()[-1] == "FOR"
    assert courses.splitlines()[1].rstrip().endswith("  groups caseworker")


def test_hr_sets_an_audience_on_the_courses_page_and_sees_its_history(agency, client, login_as):
    hr = login_as(name="Hana Reyes", is_hr=True)

    response = client.post(
        "/compliance/hr/courses/refresher/audience",
        data={
            "who": "chosen",
            "department": ["Intake", "Facilities"],
            "except_group": ["contractor"],
        },  # fmt: skip
    )

    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Today it is for departments Facilities, Intake except groups contractor." in page
    assert "departments Facilities, Intake except groups contractor" in page.split("Changes")[1]
    # Who set it, by their name on the roster (the fixture's roster gives her id to a name).
    setter = hostapp.db.session.scalar(
        sa.select(Staff.full_name).where(Staff.external_id == str(hr.id))
    )
    assert f"except groups contractor {setter} " in page
    assert "the command line" in page.split("Changes")[1]  # set by a command
    assert set(owed("Eve Long")) == {"social-media", "refresher"}  # Intake
    assert "refresher" not in owed("Cole Hart")  # Facilities, but a contractor
    assert "refresher" not in owed("Dee Park")  # Adult Services
    (event,) = hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "audience.set", HREvent.actor == str(hr.id))
    ).all()
    assert '"before": "groups caseworker"' in event.detail


def test_hr_page_refuses_an_unknown_group_and_changes_nothing(agency, client, login_as):
    login_as(name="Hana Reyes", is_hr=True)

    response = client.post(
        "/compliance/hr/policies/social-media/audience",
        data={"who": "chosen", "group": ["janitor"]},
    )

    assert response.status_code == 400
    page = text_of(response.get_data(as_text=True))
    assert "Unknown group 'janitor'; the groups are: caseworker, contractor." in page
    assert "Today it is for everyone except groups contractor." in page


def test_the_audience_page_is_for_hr_only(agency, client, login_as):
    login_as(name="Eve Long")

    assert client.get("/compliance/hr/policies/social-media/audience").status_code == 403
