"""The re-attestation rules, as employees see them on "My compliance"."""

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import Staff
from smattest.publishing.policies import publish
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases

POLICY_TEXT = "# Social Media Policy\n\nProtect client confidentiality.\n"


def staff_of(user) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))


@pytest.fixture
def person(client, login_as):
    """A signed-in employee hired long ago, with their staff row."""
    user = login_as(name="Amara Nwosu", hire_date=dt.date(2019, 4, 1))
    client.get("/compliance/")
    return staff_of(user)


def standing(staff, as_of=None):
    (found,) = compliance.person_standings(staff, as_of)
    return found


def sign(staff, number, when, freeze):
    freeze(when)
    return attest(staff, "social-media", number, staff.full_name).attestation


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert compliance.add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert compliance.add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert compliance.add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)
    assert compliance.add_months(dt.date(2023, 2, 28), 12) == dt.date(2024, 2, 28)


def test_everyone_is_due_new_hire_days_after_a_policy_takes_effect(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")

    found = standing(person)

    assert (found.status, found.due_date) == ("due_soon", dt.date(2026, 3, 31))
    assert standing(person, dt.date(2026, 3, 31)).status == "due_soon"
    assert standing(person, dt.date(2026, 4, 1)).status == "overdue"


def test_days_overdue_count_to_the_day_looked_at_not_to_today(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    freeze("2026-06-01T12:00:00+00:00")

    assert standing(person).days_overdue == 62  # due 31 March
    assert standing(person, dt.date(2026, 4, 10)).days_overdue == 10
    assert standing(person, dt.date(2026, 3, 31)).days_overdue == 0


def test_new_hire_is_due_new_hire_days_after_hire(app, client, login_as, freeze):
    freeze("2026-01-10T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    user = login_as(name="Jonas Berg", hire_date=dt.date(2026, 6, 15))
    client.get("/compliance/")

    assert standing(staff_of(user), dt.date(2026, 6, 15)).due_date == dt.date(2026, 7, 15)


@pytest.mark.settings(SMATTEST_NEW_HIRE_DAYS=10, SMATTEST_DUE_SOON_DAYS=5)
def test_day_settings_change_due_dates_and_the_due_soon_window(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    sign(person, 1, "2026-03-02T12:00:00+00:00", freeze)

    assert standing(person, dt.date(2026, 3, 2)).status == "current"
    assert standing(person, dt.date(2027, 2, 24)).status == "current"
    assert standing(person, dt.date(2027, 2, 25)).status == "due_soon"


@all_databases
def test_attesting_makes_a_person_current_until_the_period_runs_out(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    sign(person, 1, "2026-03-05T15:00:00+00:00", freeze)

    assert standing(person, dt.date(2026, 3, 5)).status == "current"
    assert standing(person, dt.date(2026, 3, 5)).due_date == dt.date(2027, 3, 5)
    assert standing(person, dt.date(2027, 2, 2)).status == "current"
    assert standing(person, dt.date(2027, 2, 3)).status == "due_soon"  # 30 days left
    assert standing(person, dt.date(2027, 3, 6)).status == "overdue"


def test_policy_period_sets_when_the_next_signature_is_due(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.", every_months=6)
    sign(person, 1, "2026-03-05T15:00:00+00:00", freeze)

    assert standing(person, dt.date(2026, 3, 5)).due_date == dt.date(2026, 9, 5)


@all_databases
def test_a_minor_version_leaves_everyone_current(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    sign(person, 1, "2026-03-02T12:00:00+00:00", freeze)
    freeze("2026-05-01T12:00:00+00:00")

    publish("social-media", "Social Media Policy", POLICY_TEXT + "Typo fixed.\n", "Typo.",
            minor=True)  # fmt: skip

    found = standing(person)
    assert (found.status, found.due_date) == ("current", dt.date(2027, 3, 2))
    assert found.requirement.current_number == 2


@all_databases
def test_a_material_version_makes_everyone_due(person, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    sign(person, 1, "2026-03-02T12:00:00+00:00", freeze)
    freeze("2026-05-01T12:00:00+00:00")

    publish("social-media", "Social Media Policy", POLICY_TEXT + "New rule.\n", "New rule.",
            effective=dt.date(2026, 5, 10))  # fmt: skip

    assert standing(person).status == "current"  # version 2 is not in force yet
    on_effective_day = standing(person, dt.date(2026, 5, 10))
    assert (on_effective_day.status, on_effective_day.due_date) == (
        "due_soon", dt.date(2026, 6, 9)
    )  # fmt: skip
    assert standing(person, dt.date(2026, 6, 10)).status == "overdue"
    sign(person, 2, "2026-05-12T12:00:00+00:00", freeze)
    assert standing(person, dt.date(2026, 5, 12)).status == "current"


def test_inactive_staff_have_no_requirements(person, client, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    person.active = False
    hostapp.db.session.commit()

    assert compliance.person_standings(person) == []
    page = client.get("/compliance/").get_data(as_text=True)
    assert "Your compliance record is inactive" in page
    assert "Read and sign" not in page


def test_my_compliance_lists_status_due_date_and_next_action(person, client, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")

    page = client.get("/compliance/").get_data(as_text=True)

    assert "Social Media Policy" in page
    assert "Due soon" in page and "Due 31 March 2026." in page
    assert "Read and sign version 1" in page
    assert "You have not signed anything yet." in page

    freeze("2026-04-02T12:00:00+00:00")
    page = client.get("/compliance/").get_data(as_text=True)
    assert "Overdue" in page and "Was due 31 March 2026." in page


def test_my_compliance_puts_the_most_urgent_first(person, client, freeze):
    freeze("2026-01-01T12:00:00+00:00")
    publish("b-later", "B Later Policy", "Text B.", "First.")
    publish("a-soon", "A Sooner Policy", "Text A.", "First.")
    attest(person, "a-soon", 1, person.full_name)
    freeze("2026-02-15T12:00:00+00:00")

    titles = [s.requirement.title for s in compliance.person_standings(person)]
    page = client.get("/compliance/").get_data(as_text=True)

    assert titles == ["B Later Policy", "A Sooner Policy"]  # overdue before current
    assert page.index("B Later Policy") < page.index("A Sooner Policy")


def test_one_person_and_everyone_at_once_give_the_same_answer(app, make_user, freeze):
    freeze("2026-03-01T12:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
    people = []
    for n in range(6):
        user = make_user(name=f"Worker {n}", hire_date=dt.date(2026, 2, 1) + dt.timedelta(n * 9))
        hostapp.db.session.add(
            Staff(external_id=str(user.id), full_name=user.name, hire_date=user.hire_date)
        )
        hostapp.db.session.commit()
        people.append(staff_of(user))
    sign(people[0], 1, "2026-03-02T12:00:00+00:00", freeze)
    (requirement,) = compliance.requirements()

    together = {row.id: s for row, s in compliance.standings(requirement, dt.date(2026, 4, 5))}

    for staff in people:
        assert together[staff.id] == standing(staff, dt.date(2026, 4, 5))
    assert {s.status for s in together.values()} == {"current", "due_soon", "overdue"}
