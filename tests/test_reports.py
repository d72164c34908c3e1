"""Exports for audits: the CSV files HR opens, read back the way a spreadsheet would.

Status as of a past day is judged from the evidence alone, across a material
policy change and an exemption ended early; the evidence export lets an
auditor recompute the whole chain; every text cell is safe to open; and the
work does not grow in SQL statements with the number of people.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

import smattest.due.upkeep as due
from smattest import verify as offline
from smattest.attest import attest
from smattest.evidence import audit
from smattest.evidence import chain as evidence
from smattest.evidence import export as evidence_file
from smattest.models import (
    POLICY,
    Attestation,
    CourseVersion,
    Exemption,
    HREvent,
    Staff,
    TrainingCompletion,
)
from smattest.publishing.courses import import_course
from smattest.publishing.policies import get_policy, publish
from smattest.reports import exports as reports
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE as COURSE
from .evidence_helpers import chain_exemptions
from .html import read_csv


def status(as_of: dt.date | None = None) -> list[dict[str, str]]:
    return read_csv("".join(reports.status_csv(as_of)))


def evidence_export() -> list[dict[str, str]]:
    return read_csv("".join(evidence_file.evidence_csv()))


def by_name(rows: list[dict[str, str]], slug: str = "social-media") -> dict[str, dict]:
    return {row["full_name"]: row for row in rows if row["requirement_slug"] == slug}


_employee_ids = itertools.count(1001)


def person(name: str, **fields) -> Staff:
    fields.setdefault("hire_date", dt.date(2020, 1, 6))
    staff = Staff(
        external_id=f"E{next(_employee_ids)}", full_name=name,
        email=f"{name.split()[0].lower()}@agency.example", **fields,
    )  # fmt: skip
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


def chain(*rows) -> None:
    """Append evidence rows to the chain as the services do."""
    head = evidence.lock_chain()
    for row in rows:
        evidence.link(head, row)
    hostapp.db.session.commit()


def signature_row(staff: Staff, version, at: dt.datetime, **fields) -> Attestation:
    fields.setdefault("signature", staff.full_name)
    fields.setdefault("method", "self")
    return Attestation(staff_id=staff.id, policy_version_id=version.id, attested_at=at,
                       text_sha256=version.text_sha256, **fields)  # fmt: skip


# --- Status as of a past day ---------------------------------------------------


@pytest.fixture
def history(app, freeze):
    """v1 from 5 January; v2 (material) published 1 February, in force 1 March.

    Alice signed v1 only; Bob signed v1, then v2 on 5 March; Carol was
    exempt from 6 January until 30 June, but HR ended it on 10 February.
    Today is 1 May 2026.
    """
    freeze("2026-01-05T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Version one.", "First.",
            effective=dt.date(2026, 1, 5))  # fmt: skip
    alice, bob, carol = person("Alice Adams"), person("Bob Brown"), person("Carol Chen")
    chain_exemptions(
        Exemption(
            staff_id=carol.id,
            requirement_kind=POLICY,
            requirement_id=get_policy("social-media").id,
            reason="Long-term leave",
            until=dt.date(2026, 6, 30),
            granted_by="7",
            granted_at=dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC),
            ended_at=dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC),
            ended_by="7",
        )  # fmt: skip
    )
    hostapp.db.session.commit()
    freeze("2026-01-10T10:00:00+00:00")
    attest(alice, "social-media", 1, "Alice Adams")
    freeze("2026-01-10T10:30:00+00:00")
    attest(bob, "social-media", 1, "Bob Brown")
    freeze("2026-02-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Version two.", "Material change.",
            effective=dt.date(2026, 3, 1))  # fmt: skip
    freeze("2026-03-05T09:00:00.123456+00:00")
    attest(bob, "social-media", 2, "Bob Brown")
    freeze("2026-05-01T09:00:00+00:00")


def test_signing_v1_is_current_the_day_before_v2_takes_effect(history):
    rows = by_name(status(dt.date(2026, 2, 28)))

    alice, bob = rows["Alice Adams"], rows["Bob Brown"]
    assert (alice["status"], alice["due_date"], alice["version_in_force"]) == (
        "current", "2027-01-10", "1"
    )  # fmt: skip
    assert alice["last_done_at"] == "2026-01-10T10:00:00.000000+00:00"
    # Bob's v2 signature of 5 March is not evidence yet on 28 February.
    assert (bob["status"], bob["last_done_at"]) == ("current", "2026-01-10T10:30:00.000000+00:00")
    assert {row["as_of"] for row in rows.values()} == {"2026-02-28"}


@all_databases
def test_after_v2s_grace_period_only_those_who_signed_v2_are_current(history):
    # v2 took effect on 1 March; SMATTEST_NEW_HIRE_DAYS (30) later is 31 March.
    rows = by_name(status(dt.date(2026, 4, 1)))

    alice, bob = rows["Alice Adams"], rows["Bob Brown"]
    assert (alice["status"], alice["due_date"], alice["days_overdue"]) == (
        "overdue", "2026-03-31", "1"
    )  # fmt: skip
    assert alice["last_done_at"] == ""  # her v1 signature no longer counts
    assert (bob["status"], bob["due_date"], bob["version_in_force"]) == (
        "current", "2027-03-05", "2"
    )  # fmt: skip
    assert bob["last_done_at"] == "2026-03-05T09:00:00.123456+00:00"


def test_inside_v2s_grace_period_a_v1_signer_is_due_soon(history):
    rows = by_name(status(dt.date(2026, 3, 31)))

    assert (rows["Alice Adams"]["status"], rows["Alice Adams"]["due_date"]) == (
        "due_soon", "2026-03-31"
    )  # fmt: skip


def test_an_exemption_counts_on_a_day_inside_it(history):
    carol = by_name(status(dt.date(2026, 2, 1)))["Carol Chen"]

    assert (carol["status"], carol["exempt_until"], carol["due_date"]) == (
        "exempt", "2026-06-30", ""
    )  # fmt: skip


@all_databases
def test_an_exemption_ended_early_no_longer_counts_after_it_ended(history):
    carol = by_name(status(dt.date(2026, 2, 20)))["Carol Chen"]

    # Owed v1 since 5 January, due 30 days later; the exemption ended on 10 February.
    assert (carol["status"], carol["due_date"], carol["days_overdue"]) == (
        "overdue", "2026-02-04", "16"
    )  # fmt: skip
    assert carol["exempt_until"] == ""


def test_an_open_ended_exemption_reads_open_ended(app, freeze):
    freeze("2026-03-01T09:00:00+00:00")
    policy = publish("social-media", "Social Media Policy", "Text.", "First.")
    dana = person("Dana Diaz")
    chain_exemptions(Exemption(staff_id=dana.id, requirement_kind=POLICY,
                               requirement_id=policy.policy_id, reason="Secondment",
                               granted_by="7"))  # fmt: skip
    hostapp.db.session.commit()

    assert by_name(status())["Dana Diaz"]["exempt_until"] == "open-ended"


def test_todays_roster_decides_who_is_listed_even_for_a_past_day(history):
    """A leaver who was active in February is not listed: "active" is today's flag."""
    carol = hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == "Carol Chen"))
    carol.active = False
    hostapp.db.session.commit()

    assert set(by_name(status(dt.date(2026, 2, 20)))) == {"Alice Adams", "Bob Brown"}


def test_people_hired_after_the_day_are_left_out(history):
    person("Erin Early", hire_date=dt.date(2026, 4, 15))

    assert "Erin Early" not in by_name(status(dt.date(2026, 4, 1)))
    assert by_name(status())["Erin Early"]["status"] == "due_soon"


def test_a_past_day_lists_only_requirements_in_force_then(history):
    import_course(COURSE)  # imported today, 1 May

    assert {row["requirement_slug"] for row in status(dt.date(2026, 4, 1))} == {"social-media"}
    assert {row["requirement"] for row in status()} == {"policy", "course"}


def test_a_row_holds_the_persons_details_for_each_requirement(app, freeze):
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Text.", "First.")
    import_course(COURSE)
    femi = person("Femi Okafor", department="Child Protection",
                  manager_email="lead@agency.example")  # fmt: skip

    rows = status()

    assert [(r["requirement"], r["requirement_slug"], r["requirement_title"]) for r in rows] == [
        ("policy", "social-media", "Social Media Policy"),
        ("course", "refresher", "Social Media Refresher"),
    ]
    assert {
        (r["employee_id"], r["full_name"], r["email"], r["department"], r["manager_email"],
         r["hire_date"], r["status"], r["due_date"])
        for r in rows
    } == {
        (femi.external_id, "Femi Okafor", "femi@agency.example", "Child Protection",
         "lead@agency.example", "2020-01-06", "due_soon", "2026-03-31"),
    }  # fmt: skip


def test_statuses_agree_with_the_compliance_rule_for_everyone(app, freeze, make_staff):
    freeze("2026-01-05T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Text.", "First.")
    ids = make_staff(40, hire_date=lambda i: dt.date(2025, 12, 1) + dt.timedelta(days=2 * i))
    staff = hostapp.db.session.scalars(sa.select(Staff).where(Staff.id.in_(ids))).all()
    chain(*(signature_row(s, version, dt.datetime(2026, 1, 6, 9, i, tzinfo=dt.UTC))
            for i, s in enumerate(staff[::3])))  # fmt: skip
    freeze("2026-02-20T09:00:00+00:00")

    rows = {r["employee_id"]: r for r in status()}

    (requirement,) = compliance.requirements()
    expected = {row.id: s for row, s in compliance.standings(requirement)}
    assert {s.external_id: rows[s.external_id]["status"] for s in staff} == {
        s.external_id: expected[s.id].status for s in staff
    }
    assert {r["status"] for r in rows.values()} == {"current", "overdue", "due_soon"}


# --- What a spreadsheet opens --------------------------------------------------


def test_status_csv_is_utf8_with_bom_crlf_and_a_header(app, freeze):
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Text.", "First.")
    person("Zoë Ångström")

    data = "".join(reports.status_csv()).encode("utf-8")

    assert data.startswith(b"\xef\xbb\xbf" + b"as_of,employee_id,full_name,email,department,")
    lines = data.split(b"\r\n")
    assert lines[0].endswith(b"last_done_at,exempt_until") and lines[-1] == b""
    assert b"\n" not in b"".join(lines)
    assert "Zoë Ångström".encode() in lines[1]


TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_status_text_cells_starting_a_formula_get_a_quote(app, freeze, trigger):
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Text.", "First.")
    person(f"{trigger}HYPERLINK(\"http://evil\")", department=f"{trigger}1+1",
           manager_email=f"{trigger}cmd|' /C calc'!A0")  # fmt: skip

    (row,) = status()

    assert row["full_name"] == f'\'{trigger}HYPERLINK("http://evil")'
    assert row["department"] == f"'{trigger}1+1"
    assert row["manager_email"] == f"'{trigger}cmd|' /C calc'!A0"


@pytest.mark.parametrize("trigger", TRIGGERS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_evidence_text_cells_starting_a_formula_get_a_quote(app, freeze, trigger):
    freeze("2026-03-01T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Text.", "First.")
    staff = person(f"{trigger}SUM(A1:A9)")
    chain(signature_row(staff, version, freeze("2026-03-02T09:00:00+00:00"), method="on_behalf",
                        reason=f"{trigger}paper form", recorded_by=f"{trigger}7"))  # fmt: skip

    row = evidence_export()[0]

    assert row["full_name"] == row["signature"] == f"'{trigger}SUM(A1:A9)"
    assert (row["reason"], row["recorded_by"]) == (f"'{trigger}paper form", f"'{trigger}7")


def test_a_cell_starting_with_a_quote_gets_another_so_one_quote_is_always_removed(app, freeze):
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Text.", "First.")
    person("'=Quoted")

    assert status()[0]["full_name"] == "''=Quoted"


def test_html_and_plain_text_are_written_as_they_are(app, freeze):
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Text.", "First.")
    person("<b>Mary</b> O'Brien & Sons", department="Adult Services, North")

    (row,) = status()

    assert (row["full_name"], row["department"]) == (
        "<b>Mary</b> O'Brien & Sons", "Adult Services, North"
    )  # fmt: skip


# --- As of which day -----------------------------------------------------------


def test_a_future_day_is_refused(app, freeze):
    freeze("2026-03-01T09:00:00+00:00")

    with pytest.raises(reports.ReportError) as refused:
        reports.status_export("2026-03-02", actor="7")

    assert str(refused.value) == (
        "2026-03-02 is in the future: a status export can only look back. "
        "Choose today (2026-03-01) or an earlier day."
    )
    assert hostapp.db.session.scalars(sa.select(HREvent)).all() == []


@pytest.mark.parametrize("text", ["2026-02-30", "1/3/2026", "20260301", "yesterday"])
def test_a_malformed_day_is_refused(app, freeze, text):
    freeze("2026-03-01T09:00:00+00:00")

    with pytest.raises(reports.ReportError) as refused:
        reports.parse_as_of(text)

    assert str(refused.value) == (
        f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01."
    )


@pytest.mark.settings(SMATTEST_TIMEZONE="America/Chicago")
def test_an_empty_day_means_today_in_the_agencys_time_zone(app, freeze):
    freeze("2026-03-01T03:00:00+00:00")  # still 28 February in Chicago

    assert reports.parse_as_of("") == dt.date(2026, 2, 28)


# --- Evidence ------------------------------------------------------------------


@pytest.fixture
def evidence_rows(app, freeze):
    """Three signatures (one recorded by HR) and a training completion, chained."""
    freeze("2026-03-01T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Text.", "First.")
    course_version = import_course(COURSE).version
    ann, ben = person("Ann Archer"), person("Ben Bello")
    chain(
        signature_row(ann, version, dt.datetime(2026, 3, 2, 9, 0, 0, 1, tzinfo=dt.UTC),
                      ip_address="10.0.0.7", user_agent="Firefox/140"),
        TrainingCompletion(staff_id=ann.id, course_version_id=course_version.id,
                           completed_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), score=100,
                           method="import", content_sha256=course_version.stored_sha256),
        signature_row(ben, version, dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC),
                      method="on_behalf", signature="=Ben Bello",
                      reason="-Signed the paper form on 2 March", recorded_by="7"),
        signature_row(ben, version, dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC)),
    )  # fmt: skip
    freeze("2026-03-05T09:00:00+00:00")
    return version, course_version


def test_evidence_rows_come_in_chain_order_with_names_and_versions(evidence_rows):
    rows = evidence_export()

    assert [(r["seq"], r["kind"], r["full_name"], r["requirement_slug"], r["version"])
            for r in rows] == [
        ("1", "attestation", "Ann Archer", "social-media", "1"),
        ("2", "training_completion", "Ann Archer", "refresher", "1"),
        ("3", "attestation", "Ben Bello", "social-media", "1"),
        ("4", "attestation", "Ben Bello", "social-media", "1"),
        ("4", "chain_head", "", "", ""),
    ]  # fmt: skip
    assert rows[0]["at_utc"] == "2026-03-02T09:00:00.000001+00:00"
    assert (rows[0]["ip_address"], rows[0]["user_agent"]) == ("10.0.0.7", "Firefox/140")
    assert (rows[1]["score"], rows[1]["signature"]) == ("100", "")
    assert rows[2]["method"] == "on_behalf" and rows[2]["recorded_by"] == "7"
    assert rows[0]["sha256"] == evidence_rows[0].text_sha256
    assert rows[1]["sha256"] == evidence_rows[1].stored_sha256


@all_databases
def test_recomputing_the_chain_from_the_csv_arrives_at_the_head(evidence_rows, runner, tmp_path):
    """The offline verifier (standard library only) recomputes every row from the file alone."""
    path = tmp_path / "evidence.csv"
    path.write_text("".join(evidence_file.evidence_csv()), encoding="utf-8", newline="")
    *rows, head = evidence_export()

    ok, summary = offline.check_file(str(path))

    assert ok, summary
    assert summary == f"OK: 4 evidence rows, head {head['record_hash']}"
    assert head["kind"] == "chain_head" and head["record_hash"] == rows[-1]["record_hash"]
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.stdout == f"OK: {head['seq']} evidence rows, head {head['record_hash']}\n"


def test_the_head_row_records_when_the_head_was_read(evidence_rows):
    head = evidence_export()[-1]

    assert head["at_utc"] == "2026-03-05T09:00:00.000000+00:00"
    assert [cell for name, cell in head.items() if name not in ("seq", "kind", "at_utc",
            "record_hash")] == [""] * (len(evidence_file.EVIDENCE_COLUMNS) - 4)  # fmt: skip


def test_evidence_recorded_after_the_head_was_read_is_left_for_the_next_export(
    evidence_rows, freeze
):
    export = evidence_file.evidence_export(actor="7")  # the head is read here
    late = person("Late Comer")
    chain(signature_row(late, evidence_rows[0], freeze("2026-03-05T09:01:00+00:00")))

    rows = read_csv("".join(export.chunks))

    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "4"]
    assert "Late Comer" not in {r["full_name"] for r in rows}


def test_an_empty_chain_exports_only_its_head(app, freeze):
    freeze("2026-03-05T09:00:00+00:00")

    (head,) = evidence_export()

    assert (head["seq"], head["kind"], head["record_hash"]) == ("0", "chain_head", "")


# --- Statements do not grow with the number of people -------------------------


def _populate(make_staff, n: int, version, course_version) -> None:
    """``n`` more people: a third signed, a third trained, some exempt."""
    ids = make_staff(n, department=lambda i: f"Dept {i % 7}")
    chain(
        *(Attestation(staff_id=staff_id, policy_version_id=version.id, signature=f"P {staff_id}",
                      attested_at=dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC), method="import",
                      text_sha256=version.text_sha256) for staff_id in ids[::3]),
        *(TrainingCompletion(staff_id=staff_id, course_version_id=course_version.id,
                             completed_at=dt.datetime(2026, 1, 7, 9, tzinfo=dt.UTC),
                             method="import", content_sha256=course_version.stored_sha256)
          for staff_id in ids[1::3]),
    )  # fmt: skip
    chain_exemptions(
        *(Exemption(staff_id=staff_id, requirement_kind=POLICY, requirement_id=version.policy_id,
                    reason="Leave", granted_by="7") for staff_id in ids[2::30])
    )  # fmt: skip
    hostapp.db.session.commit()


@pytest.fixture
def small_batches(monkeypatch):
    """Exports fetch and write 50 rows at a time instead of 1,000: a few hundred rows
    span as many batches as many thousands would, for a tenth of the set-up."""
    import smattest.reports.questions

    for module in (reports, evidence_file, smattest.reports.questions):
        monkeypatch.setattr(module, "BATCH", 50)
    return 50


@pytest.fixture
def scaled(app, freeze, make_staff, count_statements, small_batches):
    """A function: grow the roster to ``n`` people, then count one export's statements."""
    freeze("2026-01-05T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Text.", "First.")
    course_version = hostapp.db.session.get(CourseVersion, import_course(COURSE).version.id)
    freeze("2026-03-01T09:00:00+00:00")
    people = [0]

    def grow_and_count(n: int, export) -> tuple[int, int]:
        _populate(make_staff, n - people[0], version, course_version)
        people[0] = n
        due.settle()  # HR's due-date table is built (once, on its first read)
        hostapp.db.session.commit()
        with count_statements() as counter:
            rows = len(read_csv("".join(export())))
        return counter.count, rows

    return grow_and_count


def test_status_export_statements_do_not_grow_with_the_roster(scaled):
    small, small_rows = scaled(20, reports.status_csv)
    large, large_rows = scaled(500, reports.status_csv)

    # 40 rows fit one batch of 50; 1,000 take twenty.
    assert (small_rows, large_rows) == (40, 1000)
    assert small == large


def test_evidence_export_statements_do_not_grow_with_the_chain(scaled):
    small, small_rows = scaled(20, evidence_file.evidence_csv)
    large, large_rows = scaled(500, evidence_file.evidence_csv)

    # Signed, trained and exempt people, then the head row.
    assert (small_rows, large_rows) == (7 + 7 + 1 + 1, 167 + 167 + 17 + 1)
    assert small == large


# --- The command line ----------------------------------------------------------


def test_cli_writes_the_status_csv_to_standard_output(history, runner):
    result = runner.invoke(args=["smattest", "report", "status", "--as-of", "2026-04-01"])

    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfas_of,employee_id,")
    rows = by_name(read_csv(result.stdout_bytes.decode("utf-8")))
    assert (rows["Alice Adams"]["status"], rows["Bob Brown"]["status"]) == ("overdue", "current")


def test_cli_writes_a_file_and_says_how_many_rows(history, runner, tmp_path):
    target = tmp_path / "status.csv"

    result = runner.invoke(args=["smattest", "report", "status", "-o", str(target)])

    assert result.exit_code == 0
    assert result.output == f"Wrote 3 rows (status as of 2026-05-01) to {target}.\n"
    assert len(read_csv(target.read_text(encoding="utf-8"))) == 3


def test_cli_evidence_file_names_its_row_count(evidence_rows, runner, tmp_path):
    target = tmp_path / "evidence.csv"

    result = runner.invoke(args=["smattest", "report", "evidence", "-o", str(target)])

    assert result.exit_code == 0
    assert f"Wrote 4 evidence rows and the chain head to {target}.\n" in result.output
    assert read_csv(target.read_text(encoding="utf-8"))[-1]["kind"] == "chain_head"


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-05-02", "Error: 2026-05-02 is in the future: a status export can only look back. "
                       "Choose today (2026-05-01) or an earlier day.\n"),
        ("2026-13-01", "Error: '2026-13-01' is not a date: write it as YYYY-MM-DD, "
                       "e.g. 2026-05-01.\n"),
    ],
    ids=["future", "malformed"],
)  # fmt: skip
def test_cli_refuses_a_bad_day_in_one_line_and_writes_nothing(
    history, runner, tmp_path, as_of, message
):
    target = tmp_path / "exports" / "status.csv"
    target.parent.mkdir()

    result = runner.invoke(
        args=["smattest", "report", "status", "--as-of", as_of, "-o", str(target)]
    )

    assert result.exit_code == 1
    assert result.output == message
    assert list(target.parent.iterdir()) == []


def test_a_failed_export_leaves_the_old_file_untouched_and_no_temporary_file(
    history, runner, tmp_path, monkeypatch
):
    target = tmp_path / "exports" / "status.csv"
    target.parent.mkdir()
    target.write_text("last week's export\n")
    real_rows = reports.status_rows

    def rows_then_a_lost_connection(as_of):
        yield next(real_rows(as_of))
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(reports, "status_rows", rows_then_a_lost_connection)

    result = runner.invoke(args=["smattest", "report", "status", "-o", str(target)])

    assert result.exit_code != 0
    assert target.read_text() == "last week's export\n"
    assert [p.name for p in target.parent.iterdir()] == ["status.csv"]


def test_cli_exports_are_logged_as_hr_events_by_cli(history, runner, tmp_path):
    runner.invoke(args=["smattest", "report", "status", "--as-of", "2026-02-28"])
    runner.invoke(args=["smattest", "report", "evidence"])

    events = hostapp.db.session.scalars(sa.select(HREvent).order_by(HREvent.id)).all()
    assert [(e.actor, e.action, e.detail) for e in events] == [
        ("cli", "export.status", "as_of=2026-02-28"),
        ("cli", "export.evidence", f"chain head seq=5 hash={_head_hash()}"),
    ]


def _head_hash() -> str:
    return hostapp.db.session.scalars(
        sa.select(Attestation.record_hash).order_by(Attestation.chain_seq.desc())
    ).first()


@all_databases
def test_an_abandoned_download_leaves_the_connection_usable(app, freeze, make_staff, small_batches):
    """A browser that stops half-way must not leave a half-read cursor behind."""
    freeze("2026-03-01T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Text.", "First.")
    ids = make_staff(120)
    chain(*(Attestation(staff_id=staff_id, policy_version_id=version.id, signature="P",
                        attested_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), method="import",
                        text_sha256=version.text_sha256) for staff_id in ids))  # fmt: skip
    download = evidence_file.evidence_csv()
    next(download), next(download)  # the header, then the first fifty rows

    download.close()

    assert len(status()) == 120
    assert audit.verify().ok


def test_cli_refuses_a_missing_folder_before_exporting(history, runner, tmp_path):
    target = tmp_path / "no-such-folder" / "evidence.csv"

    result = runner.invoke(args=["smattest", "report", "evidence", "-o", str(target)])

    assert result.exit_code == 1
    assert result.output == (
        f"Error: Cannot write {target}: the folder {target.parent} does not exist.\n"
    )
    assert hostapp.db.session.scalars(sa.select(HREvent)).all() == []
