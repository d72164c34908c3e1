"""The seal on the due-date table (issue 22, "a cache edit is shown as truth").

A database administrator edits, copies or reseals rows of ``smattest_due`` by
plain SQL; every page and export HR and managers read still shows what the
evidence gives, HR's pages say rows fail their seal at once (not after the
daily check), ``compliance check`` names the rows, and ``--rebuild`` ends it.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.due import seal
from smattest.models import DueDate
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases
from .dashboard_helpers import NOW, sign, staff_named
from .evidence_helpers import insider_sql
from .html import Page, page_of, read_csv

BOSS = "morgan.lead@agency.example"
BANNER = "The due-date table fails its seal on 1 row: it was changed outside smattest."


@pytest.fixture
def agency(app, make_staff, make_user, freeze, client):
    """Ana owes the policy (overdue since 31 January), Ben signed; both report to Morgan.
    HR Hana has looked once, so the table is built and sealed."""
    freeze(NOW)
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 1, 1))  # fmt: skip
    make_staff(2, full_name=lambda i: ["Ana Ortiz", "Ben Ng"][i], manager_email=BOSS,
               department="Finance")  # fmt: skip
    sign("Ben Ng", "2026-02-10T10:00:00+00:00", freeze)
    hr = make_user(name="Hana Okafor", is_hr=True)
    morgan = make_user(name="Morgan Lead", email=BOSS, department="Finance")
    for user in (morgan, hr):  # their own staff rows: both signed
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        sign(user.name, "2026-02-20T10:00:00+00:00", freeze)
    assert client.get("/compliance/hr/").status_code == 200
    return {"hr": hr, "morgan": morgan, "ana": staff_named("Ana Ortiz"),
            "ben": staff_named("Ben Ng")}  # fmt: skip


def what_everyone_sees(client, agency) -> dict[str, object]:
    """Ana's status on every page and export that reads the table, as HR and as her manager
    see them, and whether HR's pages carry the seal banner."""
    ana = agency["ana"]
    client.post(f"/login/{agency['hr'].id}")
    people = client.get("/compliance/hr/people").get_data(as_text=True)
    overdue = page_of(client.get("/compliance/hr/people?status=overdue")).names()
    current = page_of(client.get("/compliance/hr/people?status=current")).names()
    person = client.get(f"/compliance/hr/people/{ana.id}").get_data(as_text=True)
    dashboard = client.get("/compliance/hr/").get_data(as_text=True)
    export = read_csv(client.get("/compliance/hr/exports/status.csv").get_data(as_text=True))
    [row] = [r for r in export if r["full_name"] == "Ana Ortiz"]
    client.post(f"/login/{agency['morgan'].id}")
    team = page_of(client.get("/compliance/team?status=overdue")).names()
    return {
        "banner": [BANNER in html for html in (people, person, dashboard)],
        "overdue": overdue,
        "current": current,
        "person": "smattest-status-overdue" in person and "smattest-status-current" not in person,
        "counts": Page(dashboard).by_class["smattest-count"],
        "export": (row["status"], row["due_date"], row["last_done_at"]),
        "team overdue": team,
    }


AS_THE_EVIDENCE_SAYS = {
    "banner": [False, False, False],
    "overdue": ["Ana Ortiz"],
    "current": ["Ben Ng", "Hana Okafor", "Morgan Lead"],
    "person": True,
    "counts": ["1 Overdue 25%", "0 Due soon 0%", "3 Current 75%", "0 Exempt 0%"],
    "export": ("overdue", "2026-01-31", ""),
    "team overdue": ["Ana Ortiz"],
}
WITH_THE_BANNER = {**AS_THE_EVIDENCE_SAYS, "banner": [True, True, True]}


def check(runner):
    return runner.invoke(args=["smattest", "compliance", "check"])


def rebuild(runner) -> None:
    result = runner.invoke(args=["smattest", "compliance", "check", "--rebuild"])
    assert result.exit_code == 0, result.output


def seals_hold() -> bool:
    """Every row of the table passes its seal under the app's key (and there are rows)."""
    session = hostapp.db.session()
    session.expire_all()
    rows = session.scalar(sa.select(sa.func.count()).select_from(DueDate))
    return bool(rows) and seal.failing(session) == 0


@all_databases
@pytest.mark.tampers
def test_an_invented_last_done_date_is_shown_nowhere_and_bannered_at_once(agency, client, runner):
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS
    ana = agency["ana"]
    insider_sql(
        "UPDATE smattest_due SET due_on = :due, done_at = :done WHERE staff_id = :staff",
        due=dt.date(2027, 11, 30), done=dt.datetime(2026, 11, 30, 10), staff=ana.id,
    )  # fmt: skip

    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    client.post(f"/login/{agency['hr'].id}")
    people = client.get("/compliance/hr/people").get_data(as_text=True)
    assert "flask smattest compliance check --rebuild" in people
    assert "30 November 2027" not in people

    result = check(runner)
    assert result.exit_code == 1
    assert (
        f"staff {ana.external_id} (id {ana.id}): the table says due 2027-11-30, last done "
        "2026-11-30T10:00:00+00:00 (the row fails its seal: written outside smattest); the "
        "evidence says due 2026-01-31, never done"
    ) in result.output

    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS
    assert seals_hold()


@all_databases
@pytest.mark.tampers
def test_a_row_copied_from_someone_current_fails_its_seal(agency, client, runner):
    ana, ben = agency["ana"], agency["ben"]
    # Ben's whole row, seal and all, put in Ana's place.
    insider_sql("DELETE FROM smattest_due WHERE staff_id = :ana", ana=ana.id)
    insider_sql(
        "INSERT INTO smattest_due (staff_id, requirement_kind, requirement_id, due_on, done_at, "
        "exempt, exempt_until, seal) SELECT :ana, requirement_kind, requirement_id, due_on, "
        "done_at, exempt, exempt_until, seal FROM smattest_due WHERE staff_id = :ben",
        ana=ana.id, ben=ben.id,
    )  # fmt: skip

    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    result = check(runner)
    assert result.exit_code == 1
    assert f"staff {ana.external_id} (id {ana.id}): the table says due 2027-02-10" in (
        result.output
    )
    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS


@pytest.mark.tampers
@pytest.mark.parametrize("forged", ["0" * 64, None])
def test_a_seal_edited_or_cleared_alone_is_named(agency, client, runner, forged):
    ana = agency["ana"]
    insider_sql("UPDATE smattest_due SET seal = :seal WHERE staff_id = :ana",
                seal=forged, ana=ana.id)  # fmt: skip

    # The row still says what the evidence says, but nothing vouches for it.
    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    result = check(runner)
    assert result.exit_code == 1
    assert (
        "the table says due 2026-01-31, never done (the row fails its seal: written outside "
        "smattest); the evidence says due 2026-01-31, never done"
    ) in result.output
    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS


def test_a_new_key_reseals_the_table_on_the_next_look(agency, app, client, runner):
    old = {row.staff_id: row.seal for row in hostapp.db.session.scalars(sa.select(DueDate))}
    app.config["SMATTEST_SEAL_KEY"] = "a new key, rotated by IT, 2026-03"
    hostapp.db.session.rollback()

    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS  # no banner: resealed
    hostapp.db.session.expire_all()
    new = {row.staff_id: row.seal for row in hostapp.db.session.scalars(sa.select(DueDate))}
    assert new.keys() == old.keys() and not set(new.values()) & set(old.values())
    assert seals_hold()
    result = check(runner)
    assert result.exit_code == 0, result.output


def test_the_seal_covers_every_column():
    secret = b"k" * 64
    row = (7, "policy", 1, dt.date(2026, 1, 31), None, False, None)
    base = seal.seal(secret, *row)
    changed = [
        (8, "policy", 1, dt.date(2026, 1, 31), None, False, None),
        (7, "course", 1, dt.date(2026, 1, 31), None, False, None),
        (7, "policy", 2, dt.date(2026, 1, 31), None, False, None),
        (7, "policy", 1, dt.date(2026, 2, 1), None, False, None),
        (7, "policy", 1, dt.date(2026, 1, 31), dt.datetime(2026, 1, 1, tzinfo=dt.UTC), False,
         None),
        (7, "policy", 1, dt.date(2026, 1, 31), None, True, None),
        (7, "policy", 1, dt.date(2026, 1, 31), None, True, dt.date(2026, 6, 30)),
    ]  # fmt: skip
    assert len({base, *(seal.seal(secret, *other) for other in changed)}) == 8
    assert seal.seal(b"x" * 64, *row) != base


@all_databases
@pytest.mark.tampers
def test_a_deleted_row_is_missed_at_once_and_no_settle_vouches_for_it(
    agency, client, runner, freeze
):
    ana = agency["ana"]
    insider_sql("DELETE FROM smattest_due WHERE staff_id = :ana", ana=ana.id)

    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    # Someone signs: a settle works their row out again, and still does not vouch for
    # a table it did not leave so.
    sign("Ben Ng", "2026-02-28T10:00:00+00:00", freeze)
    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    result = check(runner)
    assert result.exit_code == 1
    assert (
        f"staff {ana.external_id} (id {ana.id}): the table says nothing owed; the evidence "
        "says due 2026-01-31, never done"
    ) in result.output
    assert (
        "the due-date table as a whole: it holds 3 rows, but smattest left 4; rows were "
        "deleted or added outside smattest"
    ) in result.output
    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS


@pytest.mark.tampers
def test_an_edited_row_count_is_named(agency, client, runner):
    insider_sql("UPDATE smattest_due_state SET row_count = row_count + 1")

    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    result = check(runner)
    assert result.exit_code == 1
    assert (
        "the due-date table as a whole: it holds 4 rows, and the state kept with it fails "
        "its seal; the state was edited outside smattest"
    ) in result.output
    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS


def test_a_person_deleted_by_the_host_leaves_the_table_sealed(agency, client, runner):
    from smattest.models import Staff

    gone = agency["ana"]
    hostapp.db.session.delete(hostapp.db.session.get(Staff, gone.id))
    hostapp.db.session.commit()

    client.post(f"/login/{agency['hr'].id}")
    people = client.get("/compliance/hr/people").get_data(as_text=True)
    assert "fails its seal" not in people and "Ana Ortiz" not in people
    assert seals_hold()
    result = check(runner)
    assert result.exit_code == 0, result.output


@all_databases
def test_the_migration_leaves_rows_unsealed_and_the_next_settle_seals_them(make_app, freeze):
    from smattest.due import upkeep

    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        hostapp.db.create_all(bind_key=None)
        assert (
            runner.invoke(args=["smattest", "db", "upgrade", "0015_version_records"]).exit_code == 0
        )
        with hostapp.db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE smattest_due_state SET computed_on = '2026-03-01', "
                                 "settings = 'tz=UTC;new_hire_days=30' WHERE id = 1"))  # fmt: skip

        upgraded = runner.invoke(args=["smattest", "db", "upgrade"])

        assert upgraded.exit_code == 0, upgraded.output
        with hostapp.db.engine.connect() as conn:
            marks = conn.execute(
                sa.text(
                    "SELECT requirement_kind, requirement_id FROM smattest_due_pending_requirement"
                )
            ).all()
            state = conn.execute(
                sa.text("SELECT row_count, digest, nonce, seal FROM smattest_due_state")
            ).one()
        assert [tuple(mark) for mark in marks] == [("*", 0)] and tuple(state) == (None,) * 4
        freeze(NOW)
        session = hostapp.db.session()
        assert seal.failing(session) == 1  # the state: never sealed
        assert upkeep.settle()
        session.rollback()
        assert seal.failing(session) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(DueDate)) == 0


def ana_row(staff_id: int) -> dict[str, object]:
    """Ana's row of the table as a DBA would save it: every column, seal included."""
    with hostapp.db.engine.connect() as conn:
        return dict(
            conn.execute(
                sa.text("SELECT * FROM smattest_due WHERE staff_id = :staff"), {"staff": staff_id}
            )
            .one()
            ._mapping
        )


def put_back(row: dict[str, object]) -> None:
    """The saved row, seal and all, back in the table in place of the person's row."""
    insider_sql("DELETE FROM smattest_due WHERE staff_id = :staff_id", staff_id=row["staff_id"])
    insider_sql(
        "INSERT INTO smattest_due (staff_id, requirement_kind, requirement_id, due_on, done_at, "
        "exempt, exempt_until, seal) VALUES (:staff_id, :requirement_kind, :requirement_id, "
        ":due_on, :done_at, :exempt, :exempt_until, :seal)",
        **row,
    )


WHOLE_TABLE = (
    "the due-date table as a whole: it holds 4 rows, but not the rows smattest left; rows "
    "were changed, swapped or put back from an earlier state outside smattest"
)


@all_databases
@pytest.mark.tampers
def test_a_row_put_back_from_while_its_exemption_was_open_is_caught_at_once(
    agency, client, runner, freeze
):
    from smattest.exemptions import end, grant
    from smattest.models import POLICY, Policy

    ana = agency["ana"]
    policy = hostapp.db.session.scalar(sa.select(Policy))
    exemption = grant(ana, POLICY, policy.id, "Long-term leave", None, "hr-2")
    hostapp.db.session.commit()
    client.post(f"/login/{agency['hr'].id}")
    assert page_of(client.get("/compliance/hr/people?status=exempt")).names() == ["Ana Ortiz"]
    while_exempt = ana_row(ana.id)
    assert while_exempt["exempt"]
    end(exemption, "hr-2", "Back from leave")
    hostapp.db.session.commit()
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS
    assert not ana_row(ana.id)["exempt"]

    # The DBA puts the exempt row back, its own valid seal with it.
    put_back(while_exempt)
    assert ana_row(ana.id) == while_exempt
    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    client.post(f"/login/{agency['hr'].id}")
    assert page_of(client.get("/compliance/hr/people?status=exempt")).names() == []
    # A settle after it (Ben signs again) works its own rows, and vouches for nothing else.
    sign("Ben Ng", "2026-02-28T10:00:00+00:00", freeze)
    assert what_everyone_sees(client, agency) == WITH_THE_BANNER

    result = check(runner)
    assert result.exit_code == 1
    assert (
        f"staff {ana.external_id} (id {ana.id}): the table says due 2026-01-31, never done, "
        "exempt until open-ended; the evidence says due 2026-01-31, never done"
    ) in result.output
    assert WHOLE_TABLE in result.output
    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS
    assert seals_hold()
    assert check(runner).exit_code == 0


@all_databases
@pytest.mark.tampers
def test_a_row_swapped_for_someone_elses_earlier_row_keeps_the_count_and_is_caught(
    agency, client, runner, make_staff
):
    from smattest.models import Staff

    ana = agency["ana"]
    make_staff(1, full_name="Cy Leaver", department="Finance")
    client.post(f"/login/{agency['hr'].id}")
    assert "Cy Leaver" in page_of(client.get("/compliance/hr/people?status=overdue")).names()
    cy = staff_named("Cy Leaver")
    saved = ana_row(cy.id)  # Cy's sealed row, saved while he was on the roster
    hostapp.db.session.get(Staff, cy.id).active = False
    hostapp.db.session.commit()
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS
    with hostapp.db.engine.connect() as conn:
        assert not conn.scalar(
            sa.text("SELECT COUNT(*) FROM smattest_due WHERE staff_id = :cy"), {"cy": cy.id}
        )

    # Ana's row goes; Cy's old row takes its place in the count. Every seal holds.
    insider_sql("DELETE FROM smattest_due WHERE staff_id = :ana", ana=ana.id)
    put_back(saved)
    session = hostapp.db.session()
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(DueDate)) == 4
    assert seal.failing(session) == 1

    assert what_everyone_sees(client, agency) == WITH_THE_BANNER
    result = check(runner)
    assert result.exit_code == 1
    assert (
        f"staff {ana.external_id} (id {ana.id}): the table says nothing owed; the evidence "
        "says due 2026-01-31, never done"
    ) in result.output
    assert WHOLE_TABLE in result.output
    rebuild(runner)
    assert what_everyone_sees(client, agency) == AS_THE_EVIDENCE_SAYS
    assert check(runner).exit_code == 0


def test_the_state_row_shows_nothing_of_what_a_change_moved(agency, client, freeze):
    """The sum is stored masked with a fresh nonce: two states of the same table differ."""
    from smattest.due import upkeep

    def state() -> tuple[object, ...]:
        with hostapp.db.engine.connect() as conn:
            return tuple(
                conn.execute(sa.text("SELECT row_count, digest, nonce, seal FROM "
                                     "smattest_due_state")).one()
            )  # fmt: skip

    first = state()
    upkeep.rebuild_now()
    second = state()
    assert first[0] == second[0] == 4
    assert len({first[1], second[1]}) == 2 and len({first[2], second[2]}) == 2
    assert seals_hold()
