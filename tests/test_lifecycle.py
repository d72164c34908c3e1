"""A policy's life after publishing: scheduled versions employees can read ahead,
withdrawing one, retiring a policy or a course while its evidence stays."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from smattest.evidence import export as evidence_export
from smattest.models import HREvent, Staff, VersionWithdrawal
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.reports import exports as reports
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE as COURSE
from .html import read_csv, text_of
from .reminder_helpers import POLICY_TEXT, social_media_policy
from .training_helpers import complete


def page(client, url: str) -> str:
    return text_of(client.get(url).get_data(as_text=True))


def staff_named(name: str) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == name))


def schedule_version_two(freeze, *, minor: bool = False):
    freeze("2026-11-20T09:00:00+00:00")
    text = POLICY_TEXT + "Never post photos.\n"
    return publish("social-media", "Social Media Policy", text, "Adds a rule on photos.",
                   effective=dt.date(2026, 12, 7), minor=minor)  # fmt: skip


def test_a_scheduled_version_is_visible_to_employees_with_what_it_will_mean(
    app, client, login_as, freeze
):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    login_as(name="Ana Diaz")
    client.get("/compliance/")
    from smattest.attest import attest

    freeze("2026-02-01T09:00:00+00:00")
    attest(staff_named("Ana Diaz"), "social-media", 1, "Ana Diaz")  # due again 1 Feb 2027
    schedule_version_two(freeze)

    mine = page(client, "/compliance/")
    on_policy = page(client, "/compliance/policies/social-media")
    version = page(client, "/compliance/policies/social-media/versions/2")
    changes = page(client, "/compliance/policies/social-media/changes?to=2")

    notice = ("Version 2 of the Social Media Policy takes effect on 7 December 2026: Adds a rule "
              "on photos. You will need to sign it by 6 January 2027.")  # fmt: skip
    assert notice in mine and notice in on_policy
    assert "Never post photos." in version
    assert "Never post photos." in changes
    # Version 1 is still the one in force and to sign today.
    assert "Sign version 1" in on_policy


def test_a_minor_scheduled_version_says_no_new_signature(app, client, login_as, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    login_as(name="Ana Diaz")
    schedule_version_two(freeze, minor=True)

    assert "It is a minor change: you will not need to sign again." in page(client, "/compliance/")


@all_databases
def test_hr_withdraws_a_scheduled_version_with_a_reason_and_its_number_is_not_reused(
    app, client, login_as, freeze
):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    schedule_version_two(freeze)
    hr = login_as(name="Hana Reyes", is_hr=True)

    response = client.post(
        "/compliance/hr/policies/social-media/withdrawals",
        data={"number": "2", "reason": "Legal asked for changes."},
    )

    assert response.status_code == 303
    hr_page = page(client, "/compliance/hr/policies")
    assert "2 (withdrawn)" in hr_page
    assert "Withdrawn on 20 November 2026" in hr_page and "Legal asked for changes." in hr_page
    assert "Coming up" not in page(client, "/compliance/")
    assert client.get("/compliance/policies/social-media/versions/2").status_code == 404
    # Past its date it never takes effect.
    later = compliance.policy_requirements(dt.date(2026, 12, 8))
    assert [(r.slug, r.current_number) for r in later] == [("social-media", 1)]
    freeze("2026-11-21T09:00:00+00:00")
    third = publish("social-media", "Social Media Policy", POLICY_TEXT + "Third.\n", "Third.",
                    effective=dt.date(2026, 12, 1))  # fmt: skip
    assert third.number == 3
    (event,) = hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "version.withdraw")
    ).all()
    assert event.actor == str(hr.id) and "Legal asked for changes." in event.detail


def test_a_version_in_force_cannot_be_withdrawn(app, client, login_as, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    login_as(name="Hana Reyes", is_hr=True)

    response = client.post(
        "/compliance/hr/policies/social-media/withdrawals", data={"number": "1", "reason": "Oops."}
    )

    assert "Not withdrawn: Version 1 took effect on 2026-01-05" in page(
        client, response.headers["Location"]
    )
    assert hostapp.db.session.scalar(sa.select(sa.func.count(VersionWithdrawal.id))) == 0


def test_withdrawing_needs_a_reason(app, runner, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    schedule_version_two(freeze)

    result = runner.invoke(args=["smattest", "policy", "withdraw", "social-media", "2",
                                 "--reason", "  "])  # fmt: skip

    assert result.exit_code == 1
    assert "Not withdrawn: give a reason for withdrawing the version." in result.output


@all_databases
def test_a_retired_course_leaves_every_requirement_list_and_its_completions_verify(
    app, client, login_as, runner, freeze
):
    freeze("2026-01-05T09:00:00+00:00")
    import_course(COURSE)
    user = login_as(name="Ana Diaz")
    client.get("/compliance/")
    ana = staff_named("Ana Diaz")
    complete(ana, "2026-01-06T10:00:00+00:00", freeze)
    freeze("2026-03-02T09:00:00+00:00")

    result = runner.invoke(args=["smattest", "course", "retire", "refresher", "--from",
                                 "2026-03-02", "--reason", "Merged into onboarding."])  # fmt: skip

    assert result.exit_code == 0, result.output
    assert compliance.requirements() == []
    assert compliance.person_standings(ana) == []
    mine = page(client, "/compliance/")
    assert "Nothing is required of you right now." in mine
    assert "Social Media Refresher: completed 6 January 2026" in mine  # still readable
    assert "This course was retired on 2 March 2026." in page(
        client, "/compliance/courses/refresher"
    )
    # The day before, it was still owed; the completion stays in the evidence export and chain.
    assert [r.slug for r in compliance.requirements(dt.date(2026, 3, 1))] == ["refresher"]
    evidence = [r for r in read_csv("".join(evidence_export.evidence_csv())) if r["full_name"]]
    assert [(r["full_name"], r["requirement_slug"]) for r in evidence] == [
        ("Ana Diaz", "refresher")
    ]
    assert read_csv("".join(reports.status_csv())) == []
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK: 1 evidence rows")
    login_as(hostapp.db.session.get(hostapp.User, user.id))
    dry = runner.invoke(args=["smattest", "reminders", "send", "--dry-run"])
    assert "refresher" not in dry.output.lower() and "Refresher" not in dry.output


def test_hr_retires_a_policy_from_a_day_with_a_reason(app, client, login_as, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    freeze("2026-03-02T09:00:00+00:00")
    login_as(name="Hana Reyes", is_hr=True)

    response = client.post(
        "/compliance/hr/policies/social-media/retire",
        data={"from": "2026-04-01", "reason": "Replaced by the communications policy."},
    )

    after = page(client, response.headers["Location"])
    assert "Retired from 1 April 2026: Replaced by the communications policy." in after
    assert [r.slug for r in compliance.policy_requirements(dt.date(2026, 3, 31))] == [
        "social-media"
    ]
    assert compliance.policy_requirements(dt.date(2026, 4, 1)) == []
    refused = client.post(
        "/compliance/hr/courses/nothing/retire", data={"from": "2026-04-01", "reason": "x"}
    )
    assert refused.status_code == 404


def test_retiring_from_a_past_day_is_refused(app, runner, freeze):
    social_media_policy(freeze, effective=dt.date(2026, 1, 5))
    freeze("2026-03-02T09:00:00+00:00")

    result = runner.invoke(args=["smattest", "policy", "retire", "social-media", "--from",
                                 "2026-03-01", "--reason", "Old."])  # fmt: skip

    assert result.exit_code == 1
    assert "2026-03-01 is in the past" in result.output
