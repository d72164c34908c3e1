"""Linking a person's record to a new id: evidence kept, the change chained, all or nothing."""

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from smattest import training
from smattest.attest import attest
from smattest.evidence import audit
from smattest.evidence import chain as evidence
from smattest.models import (
    Attestation,
    Exemption,
    IdentityLink,
    Staff,
    TrainingCompletion,
    UnlinkedSignIn,
)
from smattest.publishing.courses import import_course

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE

pytestmark = pytest.mark.policy(
    now="2026-03-02T09:00:00+00:00", text="Be careful online.", summary="First."
)


@pytest.fixture
def ada(app, make_user, policy):
    """Ada, id 'E-1' in the roster, signed the policy and passed the course."""
    version = import_course(SMALL_COURSE).version
    staff = Staff(external_id="E-1", full_name="Ada Lovelace", email="ada@agency.example")
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    attest(staff, "social-media", 1, "Ada Lovelace")
    attempt = training.start_attempt(staff, version.course)
    correct = {q.id: list(q.correct) for q in version.questions}
    training.submit(staff, attempt.id, correct)
    return staff


def relink(runner, *args):
    return runner.invoke(args=["smattest", "staff", "relink", *args])


def staff_by_id() -> dict[str, Staff]:
    hostapp.db.session.expire_all()
    return {s.external_id: s for s in hostapp.db.session.scalars(sa.select(Staff))}


def links() -> list[IdentityLink]:
    return list(hostapp.db.session.scalars(sa.select(IdentityLink).order_by(IdentityLink.id)))


@all_databases
def test_relink_keeps_every_piece_of_evidence_and_chains_the_change(ada, runner, freeze):
    staff_id = ada.id
    before = audit.verify()
    freeze("2026-04-01T10:00:00+00:00")

    result = relink(runner, "E-1", "7", "--reason", "Intranet moved to Flask-Security accounts")

    assert result.exit_code == 0, result.output
    assert "E-1 -> 7  Ada Lovelace" in result.output
    assert "Done: 1 record linked to a new id." in result.output
    people = staff_by_id()
    assert set(people) == {"7"} and people["7"].id == staff_id
    assert {a.staff_id for a in hostapp.db.session.scalars(sa.select(Attestation))} == {staff_id}
    assert {c.staff_id for c in hostapp.db.session.scalars(sa.select(TrainingCompletion))} == {
        staff_id
    }
    (link,) = links()
    assert (link.staff_id, link.old_external_id, link.new_external_id) == (staff_id, "E-1", "7")
    assert link.reason == "Intranet moved to Flask-Security accounts"
    assert link.recorded_by.startswith("cli")
    assert link.linked_at == dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC)
    assert link.chain_seq == before.rows + 1 and link.prev_hash == before.head_hash
    after = runner.invoke(args=["smattest", "audit", "verify"])
    assert after.exit_code == 0, after.output
    assert f"OK: {before.rows + 1} evidence rows, head {link.record_hash}" in after.output


@all_databases
def test_an_edited_id_change_breaks_the_chain(ada, runner):
    relink(runner, "E-1", "7", "--reason", "New accounts")
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE smattest_identity_link SET old_external_id = 'E-9'"))

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert "id change #1 at chain position 3 was altered" in result.output


def test_the_person_signs_in_under_the_new_id_and_finds_their_receipts(
    ada, runner, client, make_user
):
    user = make_user(name="Ada Lovelace", email="ada@agency.example")
    client.post(f"/login/{user.id}")
    assert client.get("/compliance/").status_code == 409

    relink(runner, "E-1", str(user.id), "--reason", "New accounts")
    page = client.get("/compliance/").get_data(as_text=True)

    assert "Signed in as <strong>Ada Lovelace</strong>" in page
    assert "Social Media Policy" in page and "version 1" in page
    assert "Current" in page
    assert list(staff_by_id()) == [str(user.id)]
    assert hostapp.db.session.scalars(sa.select(UnlinkedSignIn)).all() == []


def test_a_map_file_with_any_problem_changes_nothing_and_names_each_line(
    ada, runner, tmp_path, make_staff
):
    make_staff(1, external_id="E-2", full_name="Grace Hopper")
    mapping = tmp_path / "ids.csv"
    mapping.write_text("old_id,new_id\nE-2,2\nE-404,3\nE-1,2\n,5\n")

    result = relink(runner, "--file", str(mapping), "--reason", "New scheme")

    assert result.exit_code == 1
    assert "Nothing changed:" in result.output and "has 3 problems" in result.output
    assert result.output.index("line 3:") < result.output.index("line 4:")
    assert "line 4: '2' is already given on line 2." in result.output
    assert "line 5: give both the old id and the new id." in result.output
    assert "line 3: nobody on record has the id 'E-404'." in result.output
    assert set(staff_by_id()) == {"E-1", "E-2"}
    assert links() == []


@all_databases
def test_a_map_file_moves_everyone_at_once(ada, runner, tmp_path, make_staff):
    make_staff(3, external_id=lambda i: f"E-{i + 2}")
    mapping = tmp_path / "ids.csv"
    mapping.write_text("new_id,old_id\n" + "".join(f"{n},E-{n}\n" for n in range(1, 5)))

    result = relink(runner, "--file", str(mapping), "--reason", "HR system renumbered staff")

    assert result.exit_code == 0, result.output
    assert "Done: 4 records linked to a new id." in result.output
    assert set(staff_by_id()) == {"1", "2", "3", "4"}
    assert [(k.old_external_id, k.new_external_id) for k in links()] == [
        (f"E-{n}", str(n)) for n in range(1, 5)
    ]
    assert audit.verify().ok
    again = relink(runner, "--file", str(mapping), "--reason", "HR system renumbered staff")
    assert again.exit_code == 1
    assert "line 2: 'E-1' was already changed to '1' on 2026-03-02" in again.output


def test_a_new_id_held_by_an_empty_duplicate_is_folded_in(ada, runner, make_staff):
    # A roster keyed by the new ids was imported first: it made Ada a second,
    # empty record and deactivated the one holding her evidence.
    make_staff(1, external_id="7", full_name="Ada Lovelace", email="ada@agency.example",
               department="Records")  # fmt: skip
    ada.active = False
    hostapp.db.session.commit()

    result = relink(runner, "E-1", "7", "--reason", "Roster now keyed by intranet ids")

    assert result.exit_code == 0, result.output
    (record,) = staff_by_id().values()
    assert (record.id, record.external_id, record.active, record.department) == (
        ada.id, "7", True, "Records"
    )  # fmt: skip
    assert audit.verify().ok


def test_a_new_id_whose_record_holds_evidence_is_refused(ada, runner, make_staff):
    (other,) = make_staff(1, external_id="7", full_name="Ada L.")
    hostapp.db.session.add(
        Exemption(
            staff_id=other,
            requirement_kind="policy",
            requirement_id=1,
            reason="x",
            granted_by="cli",
        )  # fmt: skip
    )
    hostapp.db.session.commit()

    result = relink(runner, "E-1", "7", "--reason", "New accounts")

    assert result.exit_code == 1
    assert "the id '7' belongs to Ada L., whose record holds evidence or history" in result.output
    assert set(staff_by_id()) == {"E-1", "7"}


def test_relink_needs_a_reason_and_two_different_ids(ada, runner):
    assert "Missing option '--reason'" in relink(runner, "E-1", "7").output
    blank = relink(runner, "E-1", "7", "--reason", "  ")
    assert blank.exit_code == 1 and "Give the reason for the change" in blank.output
    same = relink(runner, "E-1", "E-1", "--reason", "x")
    assert "the old and the new id are the same" in same.output
    assert links() == []


@all_databases
def test_hr_links_a_refused_sign_in_from_the_person_page(ada, client, make_user, login_as):
    user = make_user(name="Ada Lovelace", email="ada@agency.example")
    client.post(f"/login/{user.id}")
    client.get("/compliance/")
    hr = login_as(name="Hana Okafor", is_hr=True)
    client.get("/compliance/")
    person = client.get(f"/compliance/hr/people/{ada.id}").get_data(as_text=True)
    assert f'href="/compliance/hr/people/{ada.id}/relink"' in person
    form = client.get(f"/compliance/hr/people/{ada.id}/relink?new_id={user.id}")
    assert f'value="{user.id}"' in form.get_data(as_text=True)

    no_reason = client.post(f"/compliance/hr/people/{ada.id}/relink", data={"new_id": user.id})
    assert no_reason.status_code == 400 and "Give the reason" in no_reason.get_data(as_text=True)
    done = client.post(
        f"/compliance/hr/people/{ada.id}/relink",
        data={"new_id": str(user.id), "reason": "New intranet account"},
    )

    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"now linked to the id {user.id} (it was E-1)" in page
    assert "New intranet account" in page and "Hana Okafor" in page
    (link,) = links()
    assert link.recorded_by == str(hr.id)
    assert audit.verify().ok
    client.post(f"/login/{user.id}")
    assert "Current" in client.get("/compliance/").get_data(as_text=True)
    assert len(staff_by_id()) == 2  # Ada and Hana, nobody twice


def test_hr_acts_under_an_earlier_id_still_show_the_hr_persons_name(ada, client, login_as, runner):
    hr = login_as(name="Hana Okafor", is_hr=True)
    client.get("/compliance/")
    client.post(
        f"/compliance/hr/people/{ada.id}/exemptions/new",
        data={"requirement": "policy:1", "reason": "On leave", "open_ended": "y"},
    )
    relink(runner, str(hr.id), "H-1", "--reason", "HR renumbered")

    page = client.get(f"/compliance/hr/people/{ada.id}")

    assert "by Hana Okafor" in page.get_data(as_text=True)


@all_databases
def test_the_evidence_export_carries_the_id_change_so_the_chain_recomputes(ada, runner):
    from smattest.evidence.export import evidence_csv

    relink(runner, "E-1", "7", "--reason", "New accounts")
    text = "".join(evidence_csv()).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    *chain, head = rows

    (change,) = [row for row in chain if row["kind"] == "id_change"]
    assert (change["employee_id"], change["old_employee_id"], change["new_employee_id"]) == (
        "7", "E-1", "7"
    )  # fmt: skip
    rebuilt = IdentityLink(
        chain_seq=int(change["seq"]), staff_id=int(change["staff_id"]),
        old_external_id=change["old_employee_id"], new_external_id=change["new_employee_id"],
        reason=change["reason"], recorded_by=change["recorded_by"],
        linked_at=dt.datetime.fromisoformat(change["at_utc"]), prev_hash=change["prev_hash"],
    )  # fmt: skip
    assert evidence.record_hash(rebuilt) == change["record_hash"]
    assert [int(row["seq"]) for row in chain] == list(range(1, len(chain) + 1))
    assert all(b["prev_hash"] == a["record_hash"] for a, b in zip(chain, chain[1:], strict=False))
    assert head["record_hash"] == chain[-1]["record_hash"] == change["record_hash"]


def test_refused_sign_ins_are_listed_by_the_command_with_the_relink_to_run(
    ada, runner, client, make_user
):
    assert runner.invoke(args=["smattest", "staff", "unlinked"]).output == "No refused sign-ins.\n"
    user = make_user(name="Ada Lovelace", email="ada@agency.example")
    client.post(f"/login/{user.id}")
    client.get("/compliance/")

    listed = runner.invoke(args=["smattest", "staff", "unlinked"])

    assert listed.exit_code == 0
    assert (
        f"{user.id}  <ada@agency.example>  is Ada Lovelace (id E-1)?  1 visit(s)" in listed.output
    )
    assert f"if so: flask smattest staff relink E-1 {user.id} --reason TEXT" in listed.output
