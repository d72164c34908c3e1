"""HR's trend: 52 weeks per requirement, today's row the dashboard's, past weeks `--as-of`'s."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter

import pytest
import sqlalchemy as sa

import smattest.reports.trend as trend
import smattest.views.hr.dashboard as dashboard_view
from smattest.attest import attest
from smattest.evidence import paper_era
from smattest.models import Exemption, HREvent, Staff, TrendWeek
from smattest.publishing.courses import import_course
from smattest.publishing.policies import get_policy, publish
from smattest.reports import dashboard

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE
from .evidence_helpers import chain_exemptions

HR = "/compliance/hr"
TODAY = dt.date(2026, 3, 2)  # a Monday
STATUS_NAMES = ("current", "due_soon", "overdue", "exempt")


def person(n: int, hired: dt.date) -> Staff:
    staff = Staff(external_id=f"E{n}", full_name=f"Person {n}", email=f"p{n}@agency.example",
                  department="Child Protection" if n % 2 else "Adult Services", hire_date=hired,
                  active=True)  # fmt: skip
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


@pytest.fixture
def agency(app, freeze):
    """A year and a half of an agency: a policy from January 2025 (yearly), a course from
    June 2025; ten people signing at different times, one hired in the autumn, one
    exempt for the winter. Today is Monday 2 March 2026."""
    freeze("2025-01-06T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2025, 1, 6))  # fmt: skip
    people = [person(n, dt.date(2019, 5, 6)) for n in range(1, 10)]
    people.append(person(10, dt.date(2025, 10, 13)))
    signed = [  # (day, person): who signs when (at 10:00 UTC); the first person twice
        ("2025-01-20", 0), ("2025-02-03", 1), ("2025-03-17", 2), ("2025-05-05", 3),
        ("2025-07-14", 4), ("2025-09-01", 5), ("2025-10-20", 9), ("2026-01-19", 0),
    ]  # fmt: skip
    for day, n in signed:
        if day == "2025-07-14":
            freeze("2025-06-02T09:00:00+00:00")
            import_course(SMALL_COURSE)
        freeze(f"{day}T10:00:00+00:00")
        attest(people[n], "social-media", 1, people[n].full_name)
    freeze("2025-11-03T09:00:00+00:00")
    chain_exemptions(
        Exemption(
            staff_id=people[6].id,
            requirement_kind="policy",
            requirement_id=get_policy("social-media").id,
            reason="Parental leave",
            until=dt.date(2026, 2, 15),
            granted_by="hr-1",
        )  # fmt: skip
    )
    hostapp.db.session.commit()
    freeze(f"{TODAY.isoformat()}T14:00:00+00:00")
    return people


@pytest.fixture
def hr(client, login_as):
    return login_as(name="Hana Okafor", is_hr=True)


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def trend_csv(client) -> list[dict[str, str]]:
    response = client.get(f"{HR}/exports/trend.csv")
    assert response.status_code == 200
    return read_csv(response.get_data(as_text=True))


def as_of_counts(runner, day: dt.date) -> dict[str, dict[str, int]]:
    """What `flask smattest report status --as-of DAY` lists, counted by slug and status."""
    result = runner.invoke(args=["smattest", "report", "status", "--as-of", day.isoformat()])
    assert result.exit_code == 0, result.output
    counts: dict[str, Counter] = {}
    for row in read_csv(result.output):
        counts.setdefault(row["requirement_slug"], Counter())[row["status"]] += 1
    return {slug: {s: c[s] for s in STATUS_NAMES} for slug, c in counts.items()}


def counts_of(row: dict[str, str]) -> dict[str, int]:
    return {s: int(row[s]) for s in STATUS_NAMES}


def test_trend_csv_has_52_weekly_rows_per_requirement_ending_today(client, hr, agency):
    rows = trend_csv(client)

    assert list(rows[0]) == ["week_ending", "requirement", "slug", *STATUS_NAMES]
    for slug, kind in (("social-media", "policy"), ("refresher", "course")):
        mine = [r for r in rows if r["slug"] == slug]
        assert len(mine) == 52
        assert {r["requirement"] for r in mine} == {kind}
        assert [r["week_ending"] for r in mine] == [
            (TODAY - dt.timedelta(days=7 * n)).isoformat() for n in range(51, -1, -1)
        ]
    assert hostapp.db.session.scalars(sa.select(HREvent.action)).all() == ["export.trend"]


def test_the_last_row_equals_todays_dashboard(client, hr, agency):
    rows = trend_csv(client)
    html = client.get(f"{HR}/").get_data(as_text=True)

    for summary in dashboard.summary():
        [last] = [r for r in rows if r["slug"] == summary.requirement.slug][-1:]
        assert last["week_ending"] == TODAY.isoformat()
        assert counts_of(last) == {s: summary.overall.count(s) for s in STATUS_NAMES}
    # and the numbers HR reads at the top of each requirement on the page
    shown = [int(n) for n in re.findall(r'<span class="smattest-count-number">(\d+)</span>', html)]
    policy_today = counts_of([r for r in rows if r["slug"] == "social-media"][-1])
    assert shown[:4] == [policy_today[s] for s in ("overdue", "due_soon", "current", "exempt")]


@all_databases
def test_every_past_week_equals_report_status_as_of_that_day(client, hr, runner, agency):
    rows = trend_csv(client)

    for day in trend.week_endings(TODAY)[:-1]:
        expected = as_of_counts(runner, day)
        for slug in ("social-media", "refresher"):
            [row] = [r for r in rows if r["slug"] == slug and r["week_ending"] == day.isoformat()]
            empty = dict.fromkeys(STATUS_NAMES, 0)  # not in force yet: nobody owes it
            assert counts_of(row) == expected.get(slug, empty), (slug, day)
    # The year moves: some weeks differ from others (the comparison above is not vacuous).
    policy = [tuple(counts_of(r).values()) for r in rows if r["slug"] == "social-media"]
    assert len(set(policy)) > 5


def kept_rows() -> dict[tuple[str, dt.date], dt.datetime]:
    hostapp.db.session.expire_all()
    return {
        (row.requirement_kind, row.week_ending): row.computed_at
        for row in hostapp.db.session.scalars(sa.select(TrendWeek))
    }


def test_past_weeks_are_kept_and_a_signature_today_leaves_them_alone(
    client, hr, runner, agency, freeze
):
    first = trend_csv(client)
    kept = kept_rows()
    assert len(kept) == 2 * 51

    freeze(f"{TODAY.isoformat()}T15:00:00+00:00")
    attest(agency[7], "social-media", 1, agency[7].full_name)
    freeze(f"{TODAY.isoformat()}T16:00:00+00:00")
    second = trend_csv(client)

    assert kept_rows() == kept  # nothing worked out again
    assert second[:-53] == first[:-53] and second[52:-1] == first[52:-1]
    policy_now = [r for r in second if r["slug"] == "social-media"][-1]
    policy_before = [r for r in first if r["slug"] == "social-media"][-1]
    assert int(policy_now["current"]) == int(policy_before["current"]) + 1


@all_databases
def test_a_paper_era_import_works_out_again_the_weeks_from_its_day(
    client, hr, runner, agency, freeze
):
    trend_csv(client)
    kept = kept_rows()

    freeze(f"{TODAY.isoformat()}T15:00:00+00:00")
    paper_era.apply(b"employee_id,kind,slug,version,done_on,source\n"
                    b"E8,policy,social-media,1,2025-08-04,paper form box 3\n",
                    actor="hr-1")  # fmt: skip
    rows = trend_csv(client)

    after = kept_rows()
    imported = dt.date(2025, 8, 4)
    for (kind, day), computed_at in after.items():
        if day < imported:
            assert computed_at == kept[(kind, day)], day  # kept as it was
        else:
            assert computed_at > kept[(kind, day)], day  # worked out again
    for day in trend.week_endings(TODAY)[:-1]:
        [row] = [r for r in rows if r["slug"] == "social-media" and r["week_ending"] == str(day)]
        assert counts_of(row) == as_of_counts(runner, day)["social-media"], day


def test_the_dashboard_draws_the_trend_with_a_table_and_no_script(client, hr, agency):
    html = client.get(f"{HR}/").get_data(as_text=True)

    assert "<script" not in html
    assert html.count('class="smattest-chart smattest-trend-chart"') == 2
    assert "Social Media Policy: share of people by status, each of the last 52 weeks" in html
    assert html.count("<title>Week ending ") >= 52
    caption = "Social Media Policy: people by status, week by week (the last row is today)"
    table = html[html.index(caption) :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row">') == 52
    assert "2 March 2026" in table and "10 March 2025" in table
    assert "not worked out yet" not in html


def test_a_big_roster_leaves_past_weeks_to_the_nightly_job(client, hr, runner, agency, monkeypatch):
    monkeypatch.setattr(dashboard_view, "INLINE_TREND_BUDGET", 0)

    html = client.get(f"{HR}/").get_data(as_text=True)
    assert "51 of the past weeks are not worked out yet." in html
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(TrendWeek)) == 0

    result = runner.invoke(args=["smattest", "report", "trend", "--all-days"])
    assert result.exit_code == 0, result.output
    assert "Worked out 357 days of the past year." in result.output
    again = runner.invoke(args=["smattest", "report", "trend", "--all-days"])
    assert "Worked out 0 days of the past year." in again.output

    html = client.get(f"{HR}/").get_data(as_text=True)
    assert "not worked out yet" not in html
