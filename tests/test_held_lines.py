"""Tests that hold the line: each catches a mutation of the code the rest of the suite let pass.

``tests/MUTATIONS.md`` lists each mutation, the test here that catches it, and
that it was applied by hand and seen to fail.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import smattest.evidence.chain as chain
import smattest.evidence.paper_era as paper_era
import smattest.rule.requirements as requirements
from smattest import exemptions, training
from smattest.attest import attest
from smattest.due import sql as due_sql
from smattest.due import upkeep
from smattest.due.check import check
from smattest.models import (
    COURSE,
    POLICY,
    Attestation,
    AudienceChange,
    ChainHead,
    DueDate,
    Staff,
)
from smattest.publishing.audiences import audiences_of, build_audience, set_audience
from smattest.publishing.courses import import_course
from smattest.rule import compliance
from smattest.rule.membership import EVERYONE, Audience, entry

from . import hostapp
from .content import SMALL_COURSE

TODAY = dt.date(2026, 3, 2)
TOMORROW = TODAY + dt.timedelta(days=1)


def person(name: str = "Ann Obi", department: str = "Child Protection") -> Staff:
    staff = Staff(external_id=f"E-{name.split()[0]}", full_name=name, department=department,
                  email=f"{name.split()[0].lower()}@agency.example",
                  hire_date=dt.date(2025, 1, 6))  # fmt: skip
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


# --- a course's refresh period ------------------------------------------------------------


def test_a_course_refreshed_every_6_months_is_due_6_months_after_completion(app, freeze):
    freeze("2026-03-02T10:00:00+00:00")
    course = import_course({**SMALL_COURSE, "refresh_every_months": 6}).version.course
    ann = person()
    attempt = training.start_attempt(ann, course)
    right = {q.id: list(q.correct) for q in course.versions[-1].questions}
    assert training.submit(ann, attempt.id, right).attempt.passed

    standing = compliance.standing(ann, COURSE, course.id)

    assert standing.due_date == dt.date(2026, 9, 2)


# --- an exemption's last day, in the dashboard's SQL ----------------------------------------


def test_an_exemption_ending_today_counts_as_exempt_in_the_dashboards_sql(
    app, freeze, policy_version
):
    freeze("2026-03-02T10:00:00+00:00")
    ann = person()
    exemptions.grant(ann, POLICY, policy_version.policy_id, "Leave", TODAY, "hr-1")
    upkeep.settle()

    def statuses(day):
        return {row[3]: row[4] for row in due_sql.counts(hostapp.db.session, day)}

    assert statuses(TODAY) == {"exempt": 1}
    assert "exempt" not in statuses(TOMORROW)


# --- dated audiences: each filter on its own ---------------------------------------------


def test_membership_ignores_an_audience_change_dated_tomorrow():
    outreach_only = Audience(departments=("Outreach",))

    inside, since = entry([(TOMORROW, outreach_only)], [(None, "Child Protection", None)], TODAY)

    assert (inside, since) == (True, None)
    assert entry([(TOMORROW, outreach_only)], [(None, "Child Protection", None)], TOMORROW) == (
        False,
        None,
    )


def test_membership_ignores_a_transfer_dated_tomorrow():
    outreach_only = Audience(departments=("Outreach",))
    placements = [(None, "Outreach", None), (TOMORROW, "Child Protection", None)]

    assert entry([(None, outreach_only)], placements, TODAY) == (True, None)
    assert entry([(None, EVERYONE)], placements, TODAY) == (True, None)


def _audience_dated_tomorrow(freeze, policy_version) -> None:
    person("Ann Obi")
    person("Bo Lee", department="Outreach")
    freeze("2026-03-03T10:00:00+00:00")
    set_audience(POLICY, "social-media", build_audience(["Outreach"]), actor="hr-1")
    freeze("2026-03-02T10:00:00+00:00")
    [change] = hostapp.db.session.scalars(sa.select(AudienceChange)).all()
    assert change.since == TOMORROW


def test_the_rules_list_of_audience_changes_leaves_out_one_dated_tomorrow(
    app, freeze, policy_version
):
    _audience_dated_tomorrow(freeze, policy_version)

    assert requirements._audiences(POLICY, TODAY) == {}
    assert list(requirements._audiences(POLICY, TOMORROW)) == [policy_version.policy_id]


def test_hrs_listing_of_audiences_leaves_out_one_dated_tomorrow(app, freeze, policy_version):
    _audience_dated_tomorrow(freeze, policy_version)

    assert audiences_of(POLICY) == {}


# --- compliance check compares every column -------------------------------------------------


@pytest.mark.tampers
@pytest.mark.parametrize("column", ["exempt", "exempt_until", "done_at", "due_on"])
def test_compliance_check_notices_an_edit_of_each_column_it_compares(
    app, freeze, policy_version, column
):
    freeze("2026-03-02T10:00:00+00:00")
    ann, bo = person("Ann Obi"), person("Bo Lee")
    attest(ann, "social-media", 1, "Ann Obi")
    exemptions.grant(bo, POLICY, policy_version.policy_id, "Leave", dt.date(2026, 6, 30), "hr")
    upkeep.settle()
    assert check().ok
    edits = {
        "exempt": (ann, True),
        "exempt_until": (bo, dt.date(2026, 12, 31)),
        "done_at": (ann, dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)),
        "due_on": (ann, dt.date(2027, 6, 1)),
    }
    who, value = edits[column]
    hostapp.db.session.execute(
        sa.update(DueDate).where(DueDate.staff_id == who.id).values({column: value})
    )
    hostapp.db.session.commit()

    report = check()

    assert [d.staff_id for d in report.differences] == [who.id], column


# --- the quiz's daily limit resets at the agency's midnight --------------------------------


@pytest.mark.settings(SMATTEST_TIMEZONE="Asia/Tokyo")
def test_the_quiz_reopens_after_local_midnight_before_utc_midnight(app, freeze):
    freeze("2026-03-01T23:00:00+00:00")  # 08:00 on 2 March in Tokyo
    course = import_course({**SMALL_COURSE, "max_attempts": 1}).version.course
    ann = person()
    attempt = training.start_attempt(ann, course)
    assert not training.submit(
        ann, attempt.id, {}
    ).attempt.passed  # 08:00 Tokyo, 23:00 UTC the day before

    freeze("2026-03-02T01:00:00+00:00")  # 10:00 the same day in Tokyo
    assert training.lockout(ann, course) is not None
    freeze("2026-03-02T14:30:00+00:00")  # 23:30 in Tokyo: still that day
    assert training.lockout(ann, course) is not None
    freeze("2026-03-02T15:30:00+00:00")  # 00:30 on 3 March in Tokyo, before UTC midnight
    assert training.lockout(ann, course) is None


# --- the paper era imports whole or not at all ----------------------------------------------


def test_an_import_failing_partway_leaves_no_row_and_the_head_unmoved(
    app, freeze, policy_version, monkeypatch
):
    for name in ("Ann Obi", "Bo Lee", "Cy Day"):
        person(name)
    head_before = hostapp.db.session.get(ChainHead, 1).last_seq
    data = (b"employee_id,kind,slug,version,done_on,source\n"
            b"E-Ann,policy,social-media,1,2026-03-01,box 1\n"
            b"E-Bo,policy,social-media,1,2026-03-01,box 2\n"
            b"E-Cy,policy,social-media,1,2026-03-01,box 3\n")  # fmt: skip
    real_link, linked = chain.link, []

    def failing_on_the_third(head, record, *args, **kwargs):
        linked.append(record)
        if len(linked) == 3:
            raise RuntimeError("the disk filled up")
        return real_link(head, record, *args, **kwargs)

    monkeypatch.setattr(paper_era.evidence, "link", failing_on_the_third)

    with pytest.raises(RuntimeError):
        paper_era.apply(data, actor="hr-1")

    hostapp.db.session.expire_all()
    assert len(linked) == 3
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Attestation)) == 0
    assert hostapp.db.session.get(ChainHead, 1).last_seq == head_before
