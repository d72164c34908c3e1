"""`flask smattest roster import` and `roster sync`: check everything, plan, apply at once."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from smattest import roster as service
from smattest.models import HREvent, Staff
from smattest.signals import roster_imported

from . import hostapp
from .conftest import all_databases

HEADER = "employee_id,email,full_name,department,manager_email,hire_date,active"
BOSS = "1,Grace.Hopper@Agency.example ,Grace Hopper,Adult Services,,2015-09-01,yes"
ADA = "2,ada@agency.example,Ada Lovelace,Adult Services,grace.hopper@agency.example,2021-03-15,"


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze("2026-03-02T09:00:00+00:00")


def csv_file(tmp_path, *rows, header=HEADER, encoding="utf-8", name="staff.csv"):
    path = tmp_path / name
    path.write_bytes("\n".join([header, *rows, ""]).encode(encoding))
    return path


def roster(runner, path, *options):
    return runner.invoke(args=["smattest", "roster", "import", str(path), *options])


def sync(runner, *options):
    return runner.invoke(args=["smattest", "roster", "sync", *options])


def staff() -> dict[str, Staff]:
    hostapp.db.session.expire_all()
    return {s.external_id: s for s in hostapp.db.session.scalars(sa.select(Staff))}


def events() -> list[HREvent]:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(HREvent).order_by(HREvent.id)).all()


def problems(result) -> list[str]:
    return [line[4:] for line in result.output.splitlines() if line.startswith("  - ")]


def test_import_adds_everyone_in_the_file(runner, tmp_path):
    result = roster(runner, csv_file(tmp_path, BOSS, ADA))

    assert result.exit_code == 0, result.output
    assert "new          2" in result.output and "Done: 2 people added or changed." in result.output
    people = staff()
    assert sorted(people) == ["1", "2"]
    grace, ada = people["1"], people["2"]
    assert grace.email == "grace.hopper@agency.example"  # lowercased, trimmed
    assert (ada.full_name, ada.department, ada.manager_email, ada.hire_date, ada.active) == (
        "Ada Lovelace", "Adult Services", "grace.hopper@agency.example", dt.date(2021, 3, 15), True
    )  # fmt: skip


def test_import_records_one_hr_event_with_the_counts(runner, tmp_path):
    roster(runner, csv_file(tmp_path, BOSS, ADA))

    [event] = events()
    assert (event.actor, event.action, event.staff_id) == ("cli", "roster.import", None)
    assert json.loads(event.detail) == {
        "source": "staff.csv", "partial": False, "new": 2, "updated": 0, "deactivated": 0,
        "reactivated": 0, "unchanged": 0,
    }  # fmt: skip


def test_dry_run_prints_every_change_and_changes_nothing(runner, tmp_path, make_staff):
    make_staff(1, external_id="2", email="ada@agency.example", full_name="Ada Lovelace",
               department="Intake", hire_date=dt.date(2021, 3, 15))  # fmt: skip

    result = roster(runner, csv_file(tmp_path, BOSS, ADA), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "New:\n  1  Grace Hopper <grace.hopper@agency.example>  (line 2)" in result.output
    assert "Updated:\n  2  Ada Lovelace <ada@agency.example>  (line 3)" in result.output
    assert "department: Intake -> Adult Services" in result.output
    assert "manager_email: (empty) -> grace.hopper@agency.example" in result.output
    assert result.output.endswith("Dry run: nothing changed.\n")
    assert staff()["2"].department == "Intake" and "1" not in staff()
    assert events() == []


def test_full_import_deactivates_people_missing_from_the_file_but_keeps_them(
    runner, tmp_path, make_staff
):
    make_staff(1, external_id="9", email="alan@agency.example", full_name="Alan Turing")

    result = roster(runner, csv_file(tmp_path, BOSS, ADA))

    assert "deactivated  1" in result.output
    assert staff()["9"].active is False
    assert staff()["9"].full_name == "Alan Turing"


def test_dry_run_lists_who_would_be_deactivated_and_why(runner, tmp_path, make_staff):
    make_staff(1, external_id="9", email="alan@agency.example", full_name="Alan Turing")

    result = roster(runner, csv_file(tmp_path, BOSS, ADA), "--dry-run")

    assert "Deactivated:\n  9  Alan Turing <alan@agency.example>\n      active: yes -> no" in (
        result.output
    )
    assert staff()["9"].active is True


def test_full_import_reactivates_people_back_in_the_file(runner, tmp_path, make_staff):
    make_staff(1, external_id="2", email="ada@agency.example", full_name="Ada Lovelace",
               department="Adult Services", hire_date=dt.date(2021, 3, 15), active=False,
               manager_email="grace.hopper@agency.example")  # fmt: skip

    result = roster(runner, csv_file(tmp_path, BOSS, ADA))

    assert "reactivated  1" in result.output
    assert staff()["2"].active is True


def test_active_no_in_the_file_deactivates(runner, tmp_path, make_staff):
    make_staff(1, external_id="2", email="ada@agency.example", full_name="Ada Lovelace")

    roster(runner, csv_file(tmp_path, BOSS, "2,ada@agency.example,Ada Lovelace,,,,No"))

    assert staff()["2"].active is False


def test_partial_import_adds_and_updates_but_deactivates_nobody(runner, tmp_path, make_staff):
    make_staff(1, external_id="9", email="alan@agency.example", full_name="Alan Turing")
    make_staff(1, external_id="2", email="ada@agency.example", full_name="Ada King")

    result = roster(runner, csv_file(tmp_path, BOSS, ADA), "--partial")

    assert result.exit_code == 0, result.output
    people = staff()
    assert people["9"].active is True
    assert people["2"].full_name == "Ada Lovelace" and people["1"].active is True
    assert json.loads(events()[0].detail)["partial"] is True


def test_partial_import_accepts_a_manager_already_on_the_staff_list(runner, tmp_path, make_staff):
    make_staff(1, external_id="1", email="grace.hopper@agency.example", full_name="Grace Hopper")

    partial = roster(runner, csv_file(tmp_path, ADA), "--partial")

    assert partial.exit_code == 0, partial.output
    assert staff()["2"].manager_email == "grace.hopper@agency.example"


def test_full_import_needs_the_manager_in_the_file(runner, tmp_path, make_staff):
    make_staff(1, external_id="1", email="grace.hopper@agency.example", full_name="Grace Hopper")

    result = roster(runner, csv_file(tmp_path, ADA))

    assert result.exit_code == 1
    assert problems(result) == [
        "line 2: manager_email grace.hopper@agency.example is nobody's email in the file"
    ]


def test_partial_import_refuses_an_email_an_active_person_already_has(runner, tmp_path, make_staff):
    make_staff(1, external_id="7", email="ada@agency.example", full_name="Ada Other")

    result = roster(runner, csv_file(tmp_path, BOSS, ADA), "--partial")

    assert result.exit_code == 1
    assert problems(result) == [
        "line 3: email ada@agency.example already belongs to active staff member '7'"
    ]
    assert sorted(staff()) == ["7"]


def test_a_left_out_column_keeps_the_value_and_an_empty_cell_clears_it(
    runner, tmp_path, make_staff
):
    make_staff(1, external_id="2", email="ada@agency.example", full_name="Ada Lovelace",
               department="Intake", hire_date=dt.date(2021, 3, 15))  # fmt: skip

    result = roster(runner, csv_file(tmp_path, "ada@agency.example,2,Ada Lovelace,",
                                     header="email,employee_id,full_name,department"))  # fmt: skip

    assert result.exit_code == 0, result.output
    ada = staff()["2"]
    assert ada.department is None and ada.hire_date == dt.date(2021, 3, 15)


def test_unchanged_people_are_counted_and_left_alone(runner, tmp_path):
    path = csv_file(tmp_path, BOSS, ADA)
    roster(runner, path)
    before = staff()["2"].updated_at

    result = roster(runner, path)

    assert "unchanged    2" in result.output and "Done: nothing needed changing." in result.output
    assert staff()["2"].updated_at == before


def test_a_file_with_a_byte_order_mark_imports(runner, tmp_path):
    result = roster(runner, csv_file(tmp_path, BOSS, ADA, encoding="utf-8-sig"))

    assert result.exit_code == 0, result.output
    assert sorted(staff()) == ["1", "2"]


def test_a_file_that_is_not_utf8_gets_one_clear_error(runner, tmp_path):
    path = csv_file(tmp_path, BOSS, "2,jose@agency.example,José Núñez,,,,", encoding="latin-1")

    result = roster(runner, path)

    assert result.exit_code == 1
    assert problems(result) == [
        "the file is not UTF-8 text (first on line 3): save it as 'CSV UTF-8' and try again"
    ]
    assert staff() == {}


def test_an_unknown_column_suggests_the_closest_one(runner, tmp_path):
    result = roster(
        runner, csv_file(tmp_path, BOSS, header=HEADER.replace("department", "departmnt"))
    )

    assert result.exit_code == 1
    assert problems(result) == ["line 1: unknown column 'departmnt': did you mean 'department'?"]


def test_a_missing_required_column_is_named(runner, tmp_path):
    result = roster(runner, csv_file(tmp_path, "1,Grace", header="employee_id,full_name"))

    assert result.exit_code == 1
    assert problems(result) == [
        "line 1: missing column 'email' (required: employee_id, email, full_name)"
    ]


def test_a_semicolon_separated_file_is_explained(runner, tmp_path):
    result = roster(runner, csv_file(tmp_path, header=HEADER.replace(",", ";")))

    assert result.exit_code == 1
    assert "separate the columns with commas" in problems(result)[0]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (",x@agency.example,X,,,,", "line 3: missing employee_id"),
        ("3,,X,,,,", "line 3: missing email"),
        ("3,x@agency,X,,,,", "line 3: email 'x@agency' is not an email address"),
        ("3,x@agency.example,,,,,", "line 3: missing full_name"),
        ("3,x@agency.example,X,,,03/15/2021,",
         "line 3: hire_date '03/15/2021' is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18"),
        ("3,x@agency.example,X,,,2021-02-30,",
         "line 3: hire_date '2021-02-30' is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18"),
        ("3,x@agency.example,X,,,,maybe",
         "line 3: active 'maybe' is not one of true/false, yes/no, 1/0 (empty means active)"),
        ("3,x@agency.example,X,,X@agency.example,,",
         "line 3: x@agency.example is their own manager (manager_email)"),
        ("3,x@agency.example,X,,nobody@agency.example,,",
         "line 3: manager_email nobody@agency.example is nobody's email in the file"),
        ("3,x@agency.example," + "X" * 201 + ",,,,",
         "line 3: full_name is 201 characters long; at most 200"),
        ("E" * 65 + ",x@agency.example,X,,,,",
         "line 3: employee_id is 65 characters long; at most 64"),
        ("3,x@agency.example,X," + "D" * 121 + ",,,",
         "line 3: department is 121 characters long; at most 120"),
        ("1,x@agency.example,X,,,,", "line 3: duplicate employee_id '1', also on line 2"),
        ("3,GRACE.HOPPER@agency.example,X,,,,",
         "line 3: duplicate email 'grace.hopper@agency.example', also on line 2"),
        ("3,x@agency.example,X,,,", "line 3: 6 values; the header has 7"),
        ("3,x@agency.example,X,,,,,Dept", "line 3: a value in column 8, which has no header"),
        ("3,x@agency.example,Bad\x00Name,,,,",
         "line 3: full_name contains an invisible or direction-changing character "
         "(U+0000 NULL) at character 4: remove it and try again"),
        ("3,x@agency.example,Ann\u202eLee,,,,",
         "line 3: full_name contains an invisible or direction-changing character "
         "(U+202E RIGHT-TO-LEFT OVERRIDE) at character 4: remove it and try again"),
        ("3,x@agency.example,X,Child\u200bCare,,,",
         "line 3: department contains an invisible or direction-changing character "
         "(U+200B ZERO WIDTH SPACE) at character 6: remove it and try again"),
    ],
)  # fmt: skip
def test_each_bad_row_is_named_with_its_line_and_nothing_is_imported(
    runner, tmp_path, row, problem
):
    result = roster(runner, csv_file(tmp_path, BOSS, row))

    assert result.exit_code == 1
    assert problems(result) == [problem]
    assert result.output.startswith(f"Nothing imported: {tmp_path / 'staff.csv'} has 1 problem:")
    assert staff() == {} and events() == []


def test_line_numbers_count_newlines_inside_quoted_values(runner, tmp_path):
    path = csv_file(tmp_path, '1,grace.hopper@agency.example,"Grace\nHopper",,,,', "",
                    "2,ada@agency.example,Ada,,,someday,")  # fmt: skip

    result = roster(runner, path)

    assert problems(result) == [
        "line 5: hire_date 'someday' is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18"
    ]


def test_an_unclosed_quote_is_reported_where_the_row_starts(runner, tmp_path):
    result = roster(runner, csv_file(tmp_path, BOSS, '2,ada@agency.example,"Ada,,,,'))

    assert problems(result) == [
        "line 3: the file is not valid CSV (unexpected end of data); check its quotes"
    ]


def test_a_full_import_of_nobody_is_refused(runner, tmp_path, make_staff):
    make_staff(3)

    result = roster(runner, csv_file(tmp_path))

    assert problems(result) == [
        "the file has nobody in it: a full import would deactivate everyone"
    ]
    assert all(person.active for person in staff().values())


def test_a_thousand_rows_with_three_bad_lines_import_nothing_and_name_exactly_those(
    runner, tmp_path
):
    rows = [f"{n},p{n}@agency.example,Person {n},Dept {n % 7},,2020-01-06,yes"
            for n in range(1, 1001)]  # fmt: skip
    # Rows are on lines 2..1001; break three of them in three different ways.
    rows[120] = "121,p121@agency.example,Person 121,,,2020-13-01,yes"  # line 122
    rows[499] = "500,,Person 500,,,2020-01-06,yes"  # line 501
    rows[998] = "999,p999@agency.example,Person 999,,,2020-01-06,perhaps"  # line 1000

    result = roster(runner, csv_file(tmp_path, *rows))

    assert result.exit_code == 1
    assert [p.split(":")[0] for p in problems(result)] == ["line 122", "line 501", "line 1000"]
    assert "has 3 problems:" in result.output
    assert staff() == {} and events() == []


def test_long_imports_show_progress_on_a_terminal(runner, tmp_path, monkeypatch):
    monkeypatch.setattr("smattest.cli.roster.is_terminal", lambda: True)
    rows = [f"{n},p{n}@agency.example,Person {n},,,," for n in range(1, 1201)]

    result = roster(runner, csv_file(tmp_path, *rows))

    assert result.exit_code == 0, result.output
    assert "Checking rows" in result.stderr and "Applying" in result.stderr
    assert len(staff()) == 1200


def test_long_imports_print_no_progress_bar_into_a_cron_log(runner, tmp_path):
    rows = [f"{n},p{n}@agency.example,Person {n},,,," for n in range(1, 1201)]

    result = roster(runner, csv_file(tmp_path, *rows))

    assert result.exit_code == 0, result.output
    assert "Checking rows" not in result.stderr and "Applying" not in result.stderr
    assert "Done: 1200 people added or changed." in result.output  # what was done, in one line


@all_databases
def test_applying_is_set_based_and_does_everything_in_one_go(
    runner, tmp_path, make_staff, count_statements
):
    make_staff(1, external_id="stays", email="stays@agency.example", full_name="Stays Put")
    make_staff(1, external_id="moves", email="moves@agency.example", full_name="Moves On",
               department="Intake")  # fmt: skip
    make_staff(1, external_id="back", email="back@agency.example", full_name="Comes Back",
               active=False)  # fmt: skip
    make_staff(1, external_id="gone", email="gone@agency.example", full_name="Has Left")
    # Optional fields empty on some rows and not on others, as in real files.
    rows = [f"new{n},new{n}@agency.example,New Person {n},Outreach,"
            f"{'stays@agency.example' if n % 2 else ''},{'2026-03-02' if n % 3 else ''},"
            for n in range(2500)]  # fmt: skip
    rows += [
        "stays,stays@agency.example,Stays Put,Adult Services,,2020-01-06,yes",
        "moves,moves@agency.example,Moves On,Outreach,,2020-01-06,yes",
        "back,back@agency.example,Comes Back,Adult Services,,2020-01-06,",
    ]

    with count_statements() as counter:
        result = roster(runner, csv_file(tmp_path, *rows))

    assert result.exit_code == 0, result.output
    people = staff()
    assert len(people) == 2504
    assert people["new7"].hire_date == dt.date(2026, 3, 2) and people["new7"].active
    assert people["new7"].manager_email == "stays@agency.example"
    assert people["new6"].hire_date is None and people["new6"].manager_email is None
    assert people["moves"].department == "Outreach"
    assert people["back"].active and not people["gone"].active and people["stays"].active
    assert json.loads(events()[0].detail) == {
        "source": "staff.csv", "partial": False, "new": 2500, "updated": 1, "deactivated": 1,
        "reactivated": 1, "unchanged": 1,
    }  # fmt: skip
    # One SELECT of the staff, 3 INSERT batches, one UPDATE batch, the event:
    # the same handful of statements for 25 or 25,000 new people. Then the import
    # settles the due-date table (a rebuild: the Core statements marked everyone),
    # its first statement the table's lock, again a handful whatever the size.
    settle = next(n for n, s in enumerate(counter.statements)
                  if s.startswith("UPDATE smattest_due_state"))  # fmt: skip
    assert settle < 15, counter.statements[:settle]
    assert len(counter.statements) - settle < 15, counter.statements[settle:]


def test_a_clash_while_applying_changes_nothing(app):
    plan = service.plan_csv(f"{HEADER}\n{BOSS}\n{ADA}\n", source="staff.csv")
    # Ada signs in between the plan and the apply: her row now exists.
    hostapp.db.session.add(Staff(external_id="2", email="ada@agency.example", full_name="Ada"))
    hostapp.db.session.commit()

    with pytest.raises(service.RosterError, match="someone was added to the staff table"):
        service.apply(plan, actor="cli")

    assert sorted(staff()) == ["2"] and events() == []


def test_roster_imported_is_sent_after_the_commit_with_the_plan(app, runner, tmp_path):
    seen = []

    def receiver(sender, result):
        seen.append((sender, result.counts, sorted(staff())))

    with roster_imported.connected_to(receiver, app):
        roster(runner, csv_file(tmp_path, BOSS, ADA))

    assert seen == [(app, {"new": 2, "updated": 0, "deactivated": 0, "reactivated": 0,
                           "unchanged": 0}, ["1", "2"])]  # fmt: skip


def host_roster():
    return [
        {"employee_id": 1, "email": "Grace.Hopper@agency.example", "full_name": "Grace Hopper",
         "hire_date": dt.date(2015, 9, 1), "active": True},
        {"employee_id": "2", "email": "ada@agency.example", "full_name": "Ada Lovelace",
         "manager_email": "grace.hopper@agency.example", "hire_date": "2021-03-15",
         "active": 1, "department": "Adult Services"},
    ]  # fmt: skip


@pytest.mark.settings(SMATTEST_ROSTER_SOURCE=host_roster)
def test_sync_reads_the_host_roster(runner, make_staff):
    make_staff(1, external_id="9", email="alan@agency.example", full_name="Alan Turing")

    result = sync(runner)

    assert result.exit_code == 0, result.output
    people = staff()
    assert people["1"].email == "grace.hopper@agency.example"
    assert people["1"].hire_date == dt.date(2015, 9, 1)
    assert people["2"].manager_email == "grace.hopper@agency.example"
    assert people["9"].active is False
    [event] = events()
    assert (event.actor, event.action) == ("cli", "roster.sync")


@pytest.mark.settings(SMATTEST_ROSTER_SOURCE=host_roster)
def test_sync_dry_run_changes_nothing(runner):
    result = sync(runner, "--dry-run")

    assert "new          2" in result.output and "Dry run: nothing changed." in result.output
    assert staff() == {}


def broken_host_roster():
    return [
        {"employee_id": 1, "email": "a@agency.example", "full_name": "A", "hire_date": "soon"},
        {"employee_id": 2, "emial": "b@agency.example", "full_name": "B"},
        {"employee_id": 3, "email": "c@agency.example", "full_name": "C", "active": "perhaps"},
    ]


@pytest.mark.settings(SMATTEST_ROSTER_SOURCE=broken_host_roster)
def test_sync_problems_name_the_record(runner):
    result = sync(runner)

    assert result.exit_code == 1
    assert problems(result) == [
        "record 1: hire_date 'soon' is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18",
        "record 2: missing email",
        "record 2: unknown key 'emial': did you mean 'email'?",
        "record 3: active 'perhaps' is not one of true/false, yes/no, 1/0 (empty means active)",
    ]
    assert staff() == {}


def test_sync_without_a_source_names_the_setting(runner):
    result = sync(runner)

    assert result.exit_code == 1
    assert "SMATTEST_ROSTER_SOURCE is not set" in problems(result)[0]


def failing_host_roster():
    yield {"employee_id": 1, "email": "a@agency.example", "full_name": "A"}
    raise ConnectionError("directory server unreachable")


@pytest.mark.settings(SMATTEST_ROSTER_SOURCE=failing_host_roster)
def test_a_failing_source_is_one_clear_error(runner):
    result = sync(runner)

    assert result.exit_code == 1
    assert problems(result) == [
        "SMATTEST_ROSTER_SOURCE failed: ConnectionError: directory server unreachable"
    ]
    assert staff() == {}
