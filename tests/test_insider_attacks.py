"""The insiders' attacks of issue 22, done by SQL on SQLite and PostgreSQL (and MariaDB).

Each test plays a database administrator or an HR insider: it changes rows with
plain SQL (no smattest code) and then asks what ``flask smattest audit verify``
or the daily ``compliance check`` says, and what the person, HR and the exports
show. Each attack is named, and changes nobody's status.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from smattest import exemptions
from smattest.attest import attest
from smattest.models import POLICY, Attestation, ExemptionEnd, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases
from .evidence_helpers import insider_sql
from .html import read_csv
from .test_training import course_file

ADDED = "<p>You MAY post photos of clients.</p>"


def sql(statement: str, **params) -> None:
    """Run one statement in its own transaction, as an insider at a SQL prompt would."""
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    hostapp.db.session.commit()


def staff_of(user) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))


def verify(runner):
    return runner.invoke(args=["smattest", "audit", "verify"])


@pytest.fixture
def world(app, make_user, freeze, client):
    """Ada signed the policy; Mallory has not. Both have a staff row."""
    freeze("2026-03-02T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "# Rules\n\nBe careful.", "First.")
    people = {}
    for name in ("Ada Signer", "Mallory Unsigned"):
        user = make_user(name=name)
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        people[name.split()[0].lower()] = user
    freeze("2026-03-02T10:00:00+00:00")
    attest(staff_of(people["ada"]), "social-media", 1, "Ada Signer")
    people["version"] = version
    return people


# --- Item 1: what people read is rendered from the hashed Markdown ---------------------


@all_databases
def test_an_edited_policy_rendering_is_named_and_never_served(world, runner, client):
    sql(
        "UPDATE smattest_policy_version SET body_html = replace(body_html, '</h1>', :added)",
        added="</h1>" + ADDED,
    )

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        "FAILED: policy social-media version 1: its stored HTML (body_html) is not the rendering "
        "of its Markdown: the HTML was edited." in result.output
    )
    client.post(f"/login/{world['mallory'].id}")
    for page in (
        "/compliance/policies/social-media",
        "/compliance/policies/social-media/versions/1",
    ):
        shown = client.get(page).get_data(as_text=True)
        assert "Be careful." in shown and "You MAY post" not in shown, page


@all_databases
def test_an_edited_course_section_rendering_is_named_and_never_served(
    app, runner, client, login_as, freeze
):
    freeze("2026-06-01T09:00:00+00:00")
    import_course(course_file())
    login_as(name="Kofi Mensah")
    sql(
        "UPDATE smattest_course_section SET body_html = replace(body_html, '</p>', :added)",
        added="</p>" + ADDED,
    )

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        "FAILED: course refresher version 1, section 1: its stored HTML (body_html) is not the "
        "rendering of its Markdown" in result.output
    )
    shown = client.get("/compliance/courses/refresher").get_data(as_text=True)
    assert "Clients <strong>trust</strong> us." in shown and "You MAY post" not in shown


# --- What HR and the person see: nobody's status changes ------------------------------


def rebuild(runner) -> None:
    """The due-date table worked out again from the evidence (as after any rebuild)."""
    result = runner.invoke(args=["smattest", "compliance", "check", "--rebuild"])
    assert result.exit_code == 0, result.output


def status_everywhere(client, make_user, person: Staff) -> dict[str, str]:
    """The person's status on the policy in HR's export, HR's people table and person
    page, and the compliance rule itself, as HR Hana sees them."""
    from smattest.rule import compliance

    hr = make_user(name="Hana Okafor", is_hr=True)
    client.post(f"/login/{hr.id}")
    export = read_csv(client.get("/compliance/hr/exports/status.csv").get_data(as_text=True))
    [row] = [r for r in export if r["full_name"] == person.full_name]
    table = client.get(f"/compliance/hr/people?q={person.full_name.split()[0]}").get_data(
        as_text=True
    )
    page = client.get(f"/compliance/hr/people/{person.id}").get_data(as_text=True)
    hostapp.db.session.expire_all()
    standing = compliance.standing(person, POLICY, row_policy_id())
    return {
        "export": row["status"],
        "table": "exempt" if "smattest-status-exempt" in table else (
            "current" if "smattest-status-current" in table else "owes"),
        "page": "exempt" if "smattest-status-exempt" in page else (
            "current" if "smattest-status-current" in page else "owes"),
        "rule": standing.status,
    }  # fmt: skip


def row_policy_id() -> int:
    from smattest.models import Policy

    return hostapp.db.session.scalar(sa.select(Policy.id).where(Policy.slug == "social-media"))


# --- Item 2: an ended exemption cannot be revived ---------------------------------------


@all_databases
@pytest.mark.tampers
def test_a_revived_exemption_is_named_and_exempts_nobody(world, runner, client, make_user, freeze):
    mallory = staff_of(world["mallory"])
    freeze("2026-03-03T09:00:00+00:00")
    granted = exemptions.grant(mallory, POLICY, row_policy_id(), "Leave", None, "hr-1")
    freeze("2026-03-04T09:00:00+00:00")
    exemptions.end(granted, "hr-2")
    grant_id = granted.id
    before = status_everywhere(client, make_user, mallory)

    insider_sql(
        "UPDATE smattest_exemption SET id = 999, ended_at = NULL, ended_by = NULL WHERE id = :id",
        id=grant_id,
    )
    result = verify(runner)
    rebuild(runner)

    assert result.exit_code == 1
    assert (
        f"ends exemption #{grant_id}, but the grant at chain position 2 is exemption #999: the "
        "exemption was renumbered or swapped." in result.output
    )
    assert (
        "exemption #999: its end on record (not ended, -) differs from the chained end"
        in result.output
    )
    assert before["export"] == "due_soon"
    assert status_everywhere(client, make_user, mallory) == before


@all_databases
def test_an_exemption_end_swapped_to_another_grant_is_named(world, runner, freeze):
    ada, mallory = staff_of(world["ada"]), staff_of(world["mallory"])
    freeze("2026-03-03T09:00:00+00:00")
    first = exemptions.grant(mallory, POLICY, row_policy_id(), "Leave", None, "hr-1")
    exemptions.grant(ada, POLICY, row_policy_id(), "Secondment", None, "hr-1")
    exemptions.end(first, "hr-2")
    end_id = hostapp.db.session.scalar(sa.select(ExemptionEnd.id))

    # Point the (older-format) copy of the end at Ada's grant instead: the rule reads it.
    insider_sql("UPDATE smattest_exemption_end SET grant_seq = 3 WHERE id = :id", id=end_id)
    result = verify(runner)

    assert result.exit_code == 1
    assert f"exemption end #{end_id} at chain position 4" in result.output


# --- Item 3: one owner per chain position -----------------------------------------------

FORGE = (
    "INSERT INTO smattest_attestation (chain_seq, staff_id, policy_version_id, attested_at,"
    " signature, method, text_sha256, prev_hash, record_hash)"
    " VALUES (:seq, :staff, :version, :at, 'Mallory Unsigned (forged)', 'self', :sha, :prev,"
    " :hash)"
)


def forge_at(seq: int, mallory: Staff, version) -> dict:
    return dict(seq=seq, staff=mallory.id, version=version.id, at=dt.datetime(2026, 3, 2, 15),
                sha=version.text_sha256, prev="0" * 64, hash="e" * 64)  # fmt: skip


@all_databases
def test_the_database_refuses_a_row_at_a_position_another_table_holds(world, runner, freeze):
    """Position 2 is an exemption grant; an attestation forged there has no position of its
    own. PostgreSQL and MariaDB refuse it. SQLite enforces foreign keys only when the host
    asks (``PRAGMA foreign_keys=ON``): there the row is stored, and verify names it (that it
    counts for nobody is the next test's)."""
    mallory = staff_of(world["mallory"])
    freeze("2026-03-03T09:00:00+00:00")
    exemptions.grant(staff_of(world["ada"]), POLICY, row_policy_id(), "Leave", None, "hr-1")
    forged = 1
    if hostapp.db.engine.dialect.name == "sqlite":
        with hostapp.db.engine.begin() as conn:
            conn.execute(sa.text(FORGE), forge_at(2, mallory, world["version"]))
        forged = 2
        result = verify(runner)
        assert result.exit_code == 1
        assert "chain position 2 is held by 2 rows" in result.output
    else:
        with pytest.raises(IntegrityError):
            with hostapp.db.engine.begin() as conn:
                conn.execute(sa.text(FORGE), forge_at(2, mallory, world["version"]))
    # Nor can the forger take the position over: it has one owner (the primary key).
    with pytest.raises(IntegrityError):
        with hostapp.db.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO smattest_chain_position (seq, tbl)"
                        " VALUES (2, 'smattest_attestation')")
            )  # fmt: skip
    hostapp.db.session.rollback()
    count = sa.select(sa.func.count()).select_from(Attestation)
    assert hostapp.db.session.scalar(count) == forged


@all_databases
@pytest.mark.tampers
def test_a_row_forged_at_a_taken_position_with_checks_off_counts_for_nothing(
    world, runner, client, make_user, freeze
):
    mallory = staff_of(world["mallory"])
    freeze("2026-03-03T09:00:00+00:00")
    exemptions.grant(staff_of(world["ada"]), POLICY, row_policy_id(), "Leave", None, "hr-1")
    before = status_everywhere(client, make_user, mallory)

    insider_sql(FORGE, **forge_at(2, mallory, world["version"]))
    forged = hostapp.db.session.scalar(
        sa.select(Attestation.id).where(Attestation.staff_id == mallory.id)
    )
    result = verify(runner)
    rebuild(runner)

    assert result.exit_code == 1
    assert (
        f"attestation #{forged} (smattest_attestation) claims chain position 2, which belongs "
        "to smattest_exemption in smattest_chain_position" in result.output
    )
    assert "chain position 2 is held by 2 rows" in result.output
    assert before["export"] == "due_soon"
    assert status_everywhere(client, make_user, mallory) == before
    client.post(f"/login/{world['mallory'].id}")
    assert client.get(f"/compliance/receipts/{forged}").status_code == 404


# --- Item 5: the due-date table watched ------------------------------------------------


@all_databases
@pytest.mark.tampers
@pytest.mark.settings(
    SMATTEST_AUDIT_EMAILS=["audit@county.example"], SMATTEST_REMINDER_SEND_TIME="08:00"
)
def test_a_cache_edit_is_emailed_and_bannered_by_the_daily_check_until_rebuilt(
    world, app, runner, client, make_user, freeze, smtp_server
):
    from smattest.models import DueCheck
    from smattest.scheduler import Scheduler, jobs_for

    mallory = staff_of(world["mallory"])
    before = status_everywhere(client, make_user, mallory)  # the table is settled
    insider_sql(
        "UPDATE smattest_due SET due_on = :due, done_at = :done WHERE staff_id = :staff",
        due=dt.date(2027, 11, 30), done=dt.datetime(2026, 11, 30, 12), staff=mallory.id,
    )  # fmt: skip

    scheduler = Scheduler(app, jobs_for(app))
    ran = scheduler.run_pending(dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC))
    people = client.get("/compliance/hr/people").get_data(as_text=True)

    assert [o.ok for o in ran if o.job == "compliance-check"] == [True]
    [mail] = smtp_server.inbox.to("audit@county.example")[-1:]
    assert "the due-date table differs from the evidence (1 rows)" in mail["Subject"]
    body = mail.get_content()
    assert f"staff {mallory.external_id} (id {mallory.id}): the table says due 2027-11-30" in body
    assert "flask smattest compliance check --rebuild" in body
    assert "The statuses on these pages cannot be trusted." in people
    assert "flask smattest compliance check --rebuild" in people
    [run] = hostapp.db.session.scalars(sa.select(DueCheck)).all()
    assert (run.differences, run.sent_to) == (1, "audit@county.example")

    rebuild(runner)

    people = client.get("/compliance/hr/people").get_data(as_text=True)
    assert "cannot be trusted" not in people
    assert status_everywhere(client, make_user, mallory) == before
