"""The rule that never forgives lateness: a material version brings a due date
forward, never back; a minor version changes nobody."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.models import Reminder
from smattest.publishing.policies import publish
from smattest.reminders import run_reminders
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .reminder_helpers import (
    BASE_URL,
    POLICY_TEXT,
    person,
    reminder_rows,
    social_media_policy,
)


def standing(staff, as_of=None):
    (found,) = compliance.person_standings(staff, as_of)
    return found


def version_two(freeze, effective: dt.date, *, minor: bool = False):
    freeze(dt.datetime.combine(effective - dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC))
    return publish("social-media", "Social Media Policy", POLICY_TEXT + "New rule.\n",
                   "Adds a rule.", effective=effective, minor=minor)  # fmt: skip


@all_databases
def test_someone_overdue_on_version_1_stays_overdue_after_a_material_version(app, freeze):
    social_media_policy(freeze, effective=dt.date(2025, 9, 1))
    late = person("Lea Late", freeze=freeze, signed_on=dt.date(2025, 9, 10))
    # Her year ran out on 10 September 2026: overdue since the 11th.
    assert standing(late, dt.date(2026, 10, 29)).due_date == dt.date(2026, 9, 10)

    version_two(freeze, dt.date(2026, 12, 7))

    found = standing(late, dt.date(2026, 12, 8))
    assert (found.status, found.due_date) == ("overdue", dt.date(2026, 9, 10))
    assert found.days_overdue == 89
    assert found.requirement.basis_number == 2


@all_databases
def test_someone_current_with_eleven_months_left_is_due_30_days_after_it_takes_effect(app, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    keen = person("Kim Keen", freeze=freeze, signed_on=dt.date(2026, 1, 10))
    assert standing(keen, dt.date(2026, 2, 10)).status == "current"

    version_two(freeze, dt.date(2026, 2, 16))

    assert standing(keen, dt.date(2026, 2, 15)).due_date == dt.date(2027, 1, 10)  # as_of before
    found = standing(keen, dt.date(2026, 2, 16))
    assert (found.status, found.due_date) == ("due_soon", dt.date(2026, 3, 18))
    assert standing(keen, dt.date(2026, 3, 19)).status == "overdue"


@all_databases
def test_a_minor_version_changes_nobody(app, freeze):
    social_media_policy(freeze, effective=dt.date(2025, 9, 1))
    late = person("Lea Late", freeze=freeze, signed_on=dt.date(2025, 9, 10))
    keen = person("Kim Keen", freeze=freeze, signed_on=dt.date(2026, 1, 10))
    never = person("Nat Never", hire_date=dt.date(2020, 1, 6))
    day = dt.date(2026, 10, 1)
    before = [(s.status, s.due_date) for s in (standing(p, day) for p in (late, keen, never))]

    version_two(freeze, dt.date(2026, 9, 20), minor=True)

    after = [(s.status, s.due_date) for s in (standing(p, day) for p in (late, keen, never))]
    assert (
        after
        == before
        == [
            ("overdue", dt.date(2026, 9, 10)),
            ("current", dt.date(2027, 1, 10)),
            ("overdue", dt.date(2025, 10, 1)),
        ]
    )


def test_a_second_material_version_cannot_push_back_the_first_ones_deadline(app, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    keen = person("Kim Keen", freeze=freeze, signed_on=dt.date(2026, 1, 10))
    version_two(freeze, dt.date(2026, 2, 16))  # due 18 March
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT + "Third.\n", "Third.",
            effective=dt.date(2026, 3, 10))  # fmt: skip

    assert standing(keen, dt.date(2026, 3, 10)).due_date == dt.date(2026, 3, 18)


def test_a_new_hire_after_a_material_version_gets_new_hire_days(app, freeze):
    social_media_policy(freeze, effective=dt.date(2025, 1, 6))
    version_two(freeze, dt.date(2026, 2, 16))
    newcomer = person("Noa New", hire_date=dt.date(2026, 4, 1))

    assert standing(newcomer, dt.date(2026, 4, 1)).due_date == dt.date(2026, 5, 1)


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_overdue_reminders_and_escalation_carry_on_through_a_material_version(
    app, smtp_server, freeze
):
    social_media_policy(freeze, effective=dt.date(2026, 2, 1))  # never signed: due 3 March
    person("Ann Obi", manager_email="mo@agency.example")
    freeze("2026-03-05T08:00:00+00:00")  # 2 days overdue
    run_reminders()
    assert [row[1:3] for row in reminder_rows()] == [("overdue-1", "sent")]

    version_two(freeze, dt.date(2026, 3, 10))
    freeze("2026-03-17T08:00:00+00:00")  # 14 days overdue on the same cycle
    run_reminders()

    rows = reminder_rows()
    assert ("Ann", "escalate", "sent", "mo@agency.example") in rows
    cycles = hostapp.db.session.scalars(sa.select(Reminder.cycle_due).distinct()).all()
    assert cycles == [dt.date(2026, 3, 3)]
    (digest,) = smtp_server.inbox.to("mo@agency.example")
    assert "due on 3 March 2026, 14 days overdue." in digest.get_body(("plain",)).get_content()
