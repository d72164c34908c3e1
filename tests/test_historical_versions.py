"""Day one at an agency whose policy predates smattest: past versions with the dates they
were in force, then the paper era imported against them, then today's version."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest
import sqlalchemy as sa

import smattest.db
import smattest.verify as offline
from smattest.evidence import export as evidence_export
from smattest.evidence.chain import chain_past_version
from smattest.models import CourseVersion, HREvent, PolicyVersion, Staff
from smattest.publishing.policies import PolicyError, publish
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE

TODAY = "2026-12-07T15:00:00+00:00"
HANDBOOK = "Staff handbook 2019, HR file 12"
BINDER = "Training binder 2019"


@pytest.fixture
def day_one(app, runner, freeze, tmp_path):
    """The 2019 policy and course recorded as past versions, two people on the roster."""
    freeze(TODAY)
    text = tmp_path / "policy-2019.md"
    text.write_text("# Social Media Policy\n\nNever post about clients.\n", encoding="utf-8")
    published = runner.invoke(args=[
        "smattest", "policy", "publish", "--slug", "social-media",
        "--title", "Social Media Policy", "--file", str(text),
        "--summary", "The 2019 policy.", "--effective", "2019-03-01", "--historical", HANDBOOK,
    ])  # fmt: skip
    assert published.exit_code == 0, published.output
    assert "Recorded past version 1 of social-media, in force from 2019-03-01, from " in (
        published.output
    )
    course = tmp_path / "course-2019.json"
    course.write_text(json.dumps({**SMALL_COURSE, "policy": "social-media"}), encoding="utf-8")
    imported = runner.invoke(args=[
        "smattest", "course", "import", str(course), "--effective", "2019-03-01",
        "--historical", BINDER,
    ])  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert "Recorded past version 1 of" in imported.output
    session = hostapp.db.session
    session.add_all([
        Staff(external_id="E-1", full_name="Ada Early", email="ada@agency.example",
              hire_date=dt.date(2018, 1, 8), active=True),
        Staff(external_id="E-2", full_name="Ben Recent", email="ben@agency.example",
              hire_date=dt.date(2018, 1, 8), active=True),
    ])  # fmt: skip
    session.commit()
    return tmp_path


def paper_file(tmp_path, course_slug: str) -> str:
    """Signatures and completions from 18 (Ada) and 10 (Ben) months ago."""
    path = tmp_path / "paper.csv"
    path.write_text(
        "employee_id,kind,slug,version,done_on,source\n"
        "E-1,policy,social-media,1,2025-06-09,paper form box 3\n"
        f"E-1,course,{course_slug},1,2025-06-09,binder sign-off sheet\n"
        "E-2,policy,social-media,1,2026-02-09,paper form box 7\n"
        f"E-2,course,{course_slug},1,2026-02-09,binder sign-off sheet\n",
        encoding="utf-8",
    )
    return str(path)


def statuses(slug_kind: str) -> dict[str, str]:
    session = hostapp.db.session
    found = {}
    for staff in session.scalars(sa.select(Staff).order_by(Staff.external_id)):
        for standing in compliance.person_standings(staff):
            if standing.requirement.kind == slug_kind:
                found[staff.external_id] = standing.status
    return found


@all_databases
def test_the_paper_era_imports_against_past_versions_and_the_rule_follows(
    day_one, runner, client, login_as
):
    result = runner.invoke(args=[
        "smattest", "evidence", "import", paper_file(day_one, SMALL_COURSE["slug"]),
        "--actor", "hr-1",
    ])  # fmt: skip

    assert result.exit_code == 0, result.output
    assert statuses("policy") == {"E-1": "overdue", "E-2": "current"}
    assert statuses("course") == {"E-1": "overdue", "E-2": "current"}
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.exit_code == 0, verified.output

    version = hostapp.db.session.scalar(sa.select(PolicyVersion))
    assert (version.effective_date, version.historical_source) == (dt.date(2019, 3, 1), HANDBOOK)
    course_version = hostapp.db.session.scalar(sa.select(CourseVersion))
    assert course_version.historical_source == BINDER
    assert course_version.created_at == dt.datetime(2019, 3, 1, 12, tzinfo=dt.UTC)
    assert course_version.recorded_at == dt.datetime(2026, 12, 7, 15, tzinfo=dt.UTC)
    assert course_version.recorded_by == "cli"
    logged = hostapp.db.session.scalars(
        sa.select(HREvent.detail).where(HREvent.action == "version.historical").order_by(HREvent.id)
    ).all()
    assert logged == [
        f"social-media version 1, in force from 2019-03-01, recorded from {HANDBOOK}",
        f"course refresher version 1, in force from 2019-03-01, recorded from {BINDER}",
    ]

    login_as(name="Hana Okafor", is_hr=True)
    note = f"In force before smattest: recorded on 7 December 2026 from {HANDBOOK}."
    assert note in client.get("/compliance/policies/social-media").get_data(as_text=True)
    assert note in client.get("/compliance/policies/social-media/versions/1").get_data(as_text=True)
    course_page = client.get(f"/compliance/courses/{SMALL_COURSE['slug']}")
    assert f"recorded on 7 December 2026 from {BINDER}." in course_page.get_data(as_text=True)
    hr_policies = client.get("/compliance/hr/policies").get_data(as_text=True)
    assert f"In force before smattest: recorded on 7 December 2026 from {HANDBOOK}" in hr_policies
    ada = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == "E-1"))
    person = client.get(f"/compliance/hr/people/{ada.id}").get_data(as_text=True)
    assert f"in force before smattest, recorded after the fact from {HANDBOOK}" in person
    assert f"in force before smattest, recorded after the fact from {BINDER}" in person

    export = client.get("/compliance/hr/exports/evidence.csv").get_data(as_text=True)
    rows = [r for r in csv.DictReader(io.StringIO(export)) if r["kind"] != "chain_head"]
    # The two past versions are the chain's first rows, then the paper era's four.
    assert [r["kind"] for r in rows[:2]] == ["version_record"] * 2
    assert sorted(r["kind"] for r in rows[2:]) == ["attestation"] * 2 + ["training_completion"] * 2
    assert {r["version_historical_source"] for r in rows} == {HANDBOOK, BINDER}
    assert all(r["version_recorded_at_utc"].startswith("2026-12-07") for r in rows)


def test_a_paper_row_before_the_past_version_took_effect_is_still_refused(day_one, runner):
    path = day_one / "early.csv"
    path.write_text(
        "employee_id,kind,slug,version,done_on,source\n"
        "E-1,policy,social-media,1,2019-02-28,paper form box 1\n",
        encoding="utf-8",
    )

    result = runner.invoke(args=["smattest", "evidence", "import", str(path)])

    assert result.exit_code != 0
    assert "line 2: done_on 2019-02-28 is before social-media version 1 existed (2019-03-01)" in (
        result.output
    )


def test_today_s_version_follows_the_past_ones_and_is_announced_normally(day_one, freeze):
    version = publish("social-media", "Social Media Policy", "# Social Media Policy\n\nNew.\n",
                      "Today's policy.", published_by="hr-1")  # fmt: skip

    assert (version.number, version.historical_source) == (2, None)
    assert version.effective_date == dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("effective", "source", "message"),
    [
        (dt.date(2026, 12, 7), HANDBOOK, "a past version needs the day it took effect, before "
                                         "today (2026-12-07); the effective date given is "
                                         "2026-12-07."),
        (None, HANDBOOK, "the effective date given is none."),
        (dt.date(2018, 1, 1), "  ", "a past version needs its source"),
        (dt.date(2019, 3, 1), HANDBOOK, "past version 1 took effect on 2019-03-01, not before "
                                        "2019-03-01: record past versions oldest first."),
    ],
)  # fmt: skip
def test_a_past_version_that_cannot_be_is_refused_and_nothing_recorded(
    day_one, effective, source, message
):
    with pytest.raises(PolicyError) as refused:
        publish("social-media", "Social Media Policy", "# Older\n\nOlder text.\n", "Older.",
                effective=effective, historical=source, chain=chain_past_version)  # fmt: skip
    assert message in str(refused.value)
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1


def test_no_past_version_once_today_s_is_recorded(day_one, runner, tmp_path):
    publish("social-media", "Social Media Policy", "# Social Media Policy\n\nNew.\n", "Today's.")
    text = tmp_path / "policy-2021.md"
    text.write_text("# Social Media Policy\n\nThe 2021 text.\n", encoding="utf-8")

    result = runner.invoke(args=[
        "smattest", "policy", "publish", "--slug", "social-media",
        "--title", "Social Media Policy", "--file", str(text), "--summary", "2021.",
        "--effective", "2021-01-04", "--historical", "Handbook 2021",
    ])  # fmt: skip

    assert result.exit_code == 1
    assert (
        "Nothing published: version 2 was recorded in smattest (in force from 2026-12-07), so a "
        "past version can no longer be added before it. Record past versions first, oldest "
        "first, then the paper-era file, then today's version." in result.output
    )


def test_a_backdated_version_without_historical_says_how(day_one, runner, tmp_path):
    text = tmp_path / "p.md"
    text.write_text("# Social Media Policy\n\nAnother.\n", encoding="utf-8")

    result = runner.invoke(args=[
        "smattest", "policy", "publish", "--slug", "social-media",
        "--title", "Social Media Policy", "--file", str(text), "--summary", "x",
        "--effective", "2021-01-04",
    ])  # fmt: skip

    assert result.exit_code == 1
    assert "add --historical SOURCE" in result.output


def test_hr_records_past_versions_on_the_page_beside_the_paper_era_import(app, client, hr, freeze):
    freeze(TODAY)
    page = client.get("/compliance/hr/evidence/past-versions").get_data(as_text=True)
    assert "Record a past version" in page and 'name="effective"' in page

    response = client.post(
        "/compliance/hr/evidence/past-versions/policy",
        data={
            "slug": "social-media",
            "title": "Social Media Policy",
            "summary": "The 2019 policy.",
            "effective": "2019-03-01",
            "source": HANDBOOK,
            "text": (io.BytesIO(b"# Social Media Policy\n\nNever post.\n"), "policy-2019.md"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    course = json.dumps(SMALL_COURSE).encode()
    response = client.post(
        "/compliance/hr/evidence/past-versions/course",
        data={"effective": "2019-03-01", "source": BINDER,
              "course": (io.BytesIO(course), "course.json")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)

    page = client.get("/compliance/hr/evidence/past-versions").get_data(as_text=True)
    assert f"Recorded past version 1 of the Social Media Refresher, from {BINDER}." in page
    version = hostapp.db.session.scalar(sa.select(PolicyVersion))
    assert (version.historical_source, version.published_by) == (HANDBOOK, str(hr.id))
    course_version = hostapp.db.session.scalar(sa.select(CourseVersion))
    assert (course_version.historical_source, course_version.recorded_by) == (BINDER, str(hr.id))
    # Both are in the evidence chain, recorded by HR.
    export = "".join(evidence_export.evidence_csv()).lstrip("\ufeff")
    rows = [r for r in csv.DictReader(io.StringIO(export)) if r["kind"] != "chain_head"]
    assert [(r["seq"], r["kind"], r["requirement_kind"], r["recorded_by"]) for r in rows] == [
        ("1", "version_record", "policy", str(hr.id)),
        ("2", "version_record", "course", str(hr.id)),
    ]


def test_the_page_refuses_a_past_version_without_its_source(app, client, hr, freeze):
    freeze(TODAY)

    response = client.post(
        "/compliance/hr/evidence/past-versions/policy",
        data={
            "slug": "social-media", "title": "Social Media Policy", "summary": "2019.",
            "effective": "2019-03-01", "source": " ",
            "text": (io.BytesIO(b"# Policy\n\nText.\n"), "p.md"),
        },
        content_type="multipart/form-data",
    )  # fmt: skip

    assert response.status_code == 400
    assert "Nothing was recorded: a past version needs its source" in response.get_data(
        as_text=True
    )
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 0


#: Each field of a past version a DBA might edit, by table and column, with a new value.
EDITS = [
    ("smattest_policy_version", "historical_source", "Staff handbook 2017, HR file 9"),
    ("smattest_policy_version", "published_at", dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)),
    ("smattest_policy_version", "published_by", "hr-9"),
    ("smattest_policy_version", "effective_date", dt.date(2018, 3, 1)),
    ("smattest_policy_version", "body_markdown", "# Social Media Policy\n\nPost freely.\n"),
    ("smattest_course_version", "historical_source", "Training binder 2017"),
    ("smattest_course_version", "recorded_at", dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)),
    ("smattest_course_version", "recorded_by", "hr-9"),
    ("smattest_course_version", "created_at", dt.datetime(2018, 3, 1, 12, tzinfo=dt.UTC)),
    ("smattest_course_section", "body_markdown", "Anything goes."),
]


@all_databases
def test_a_past_version_is_a_chain_row_and_an_edit_to_it_is_named(day_one, runner, tmp_path):
    db = hostapp.db
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "2 evidence rows" in verified.output or "2 rows" in verified.output, verified.output
    clean = tmp_path / "clean.csv"
    clean.write_text("".join(evidence_export.evidence_csv()), encoding="utf-8", newline="")
    assert offline.check_file(str(clean))[0], offline.check_file(str(clean))
    rows = [r for r in csv.DictReader(io.StringIO(clean.read_text(encoding="utf-8-sig")))]
    policy_row, course_row = rows[0], rows[1]
    assert (policy_row["kind"], policy_row["requirement_kind"], policy_row["version"],
            policy_row["recorded_by"], policy_row["version_effective"],
            policy_row["version_historical_source"], policy_row["format"]) == (
        "version_record", "policy", "1", "cli", "2019-03-01", HANDBOOK, "5")  # fmt: skip
    assert policy_row["at_utc"].startswith("2026-12-07T15:00:00")
    assert (
        policy_row["sha256"]
        == hashlib.sha256(b"# Social Media Policy\n\nNever post about clients.\n").hexdigest()
    )
    assert (course_row["requirement_kind"], course_row["version_historical_source"],
            course_row["version_effective"]) == (
        "course", BINDER, "2019-03-01T12:00:00.000000+00:00")  # fmt: skip

    for table, column, value in EDITS:
        typed = smattest.db.metadata.tables[table]
        is_policy = table == "smattest_policy_version"
        with db.engine.begin() as conn:
            row_id, before = conn.execute(
                sa.select(typed.c.id, typed.c[column]).order_by(typed.c.id).limit(1)
            ).one()
            conn.execute(sa.update(typed).where(typed.c.id == row_id).values({column: value}))
        try:
            verified = runner.invoke(args=["smattest", "audit", "verify"])
            assert verified.exit_code == 1, (table, column, verified.output)
            named = (
                "past version record #1 at chain position 1 (policy social-media version 1)"
                if is_policy
                else f"past version record #2 at chain position 2 (course {SMALL_COURSE['slug']}"
                " version 1)"
            )
            assert named in verified.output, (table, column, verified.output)
            edited = tmp_path / f"{table}-{column}.csv"
            edited.write_text("".join(evidence_export.evidence_csv()), encoding="utf-8", newline="")
            ok, message = offline.check_file(str(edited))
            where = "line 2 (version_record #1 at position 1)" if is_policy else (
                "line 3 (version_record #2 at position 2)"
            )  # fmt: skip
            assert (ok, message) == (
                False, f"{where}: its contents no longer match its record hash."
            ), (table, column)  # fmt: skip
        finally:
            with db.engine.begin() as conn:
                conn.execute(sa.update(typed).where(typed.c.id == row_id).values({column: before}))
        assert runner.invoke(args=["smattest", "audit", "verify"]).exit_code == 0, (table, column)


def test_a_version_marked_past_by_sql_has_no_record_and_audit_names_it(day_one, runner):
    publish("social-media", "Social Media Policy", "# Social Media Policy\n\nNew.\n", "Today's.")
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE smattest_policy_version SET historical_source = 'A binder'"
                             " WHERE number = 2"))  # fmt: skip

    verified = runner.invoke(args=["smattest", "audit", "verify"])

    assert verified.exit_code == 1
    assert (
        "policy social-media version 2 is marked as a past version (from A binder) but has no "
        "record in the evidence chain"
    ) in verified.output


def test_a_past_version_is_not_recorded_unchained(day_one):
    with pytest.raises(ValueError, match="a past version is chained"):
        publish("social-media", "Social Media Policy", "# Older\n\nOlder.\n", "Older.",
                effective=dt.date(2018, 1, 1), historical=HANDBOOK)  # fmt: skip
