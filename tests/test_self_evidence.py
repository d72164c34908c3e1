"""Nobody records evidence about themselves (issue 22, item 4).

HR's own paper-era upload, a relink round trip, an on-behalf signature and an
exemption about themselves record nothing and say why; judged by the lasting
id against every id the record has held. The command line (IT) is not judged.
"""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa

from smattest.models import Attestation, Exemption, ExemptionEnd, IdentityLink, Staff
from smattest.views.hr.roster import _pack

from . import hostapp
from .conftest import all_databases
from .exemption_helpers import grant_page

ANOTHER = "another HR person must do it. Nothing was recorded."
HEADER = "employee_id,kind,slug,version,done_on,source\n"


def evidence_rows() -> int:
    hostapp.db.session.expire_all()
    return sum(
        hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Attestation, Exemption, ExemptionEnd, IdentityLink)
    )


def record_of(user) -> Staff:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == user.name))


@pytest.fixture
def hana(client, login_as, policy_version):
    """HR, on the roster after a first visit, owing the policy."""
    user = login_as(name="Hana Okafor", is_hr=True)
    client.get("/compliance/")
    return user


def text_of(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


@all_databases
def test_hr_cannot_import_paper_era_evidence_about_themselves(client, hana):
    data = (HEADER + f"{hana.id},policy,social-media,1,2026-03-01,paper form box 1\n").encode()

    preview = client.post(
        "/compliance/hr/evidence/import",
        data={"evidence": (io.BytesIO(data), "mine.csv")},
        content_type="multipart/form-data",
    )
    # A hand-made confirmation, skipping the preview, is judged the same.
    confirm = client.post(
        "/compliance/hr/evidence/import/confirm",
        data={
            "evidence": _pack(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "filename": "mine.csv",
        },
    )

    why = (
        f"line 2: employee id '{hana.id}' is your own record: nobody imports evidence about "
        f"themselves; {ANOTHER}"
    )
    assert preview.status_code == 400 and why in text_of(preview)
    assert confirm.status_code == 409 and why in text_of(confirm)
    assert evidence_rows() == 0
    page = client.get("/compliance/").get_data(as_text=True)
    assert "smattest-status-current" not in page


@all_databases
def test_the_command_line_records_its_actor_and_is_not_judged(runner, hana, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + f"{hana.id},policy,social-media,1,2026-03-01,paper form box 1\n")

    result = runner.invoke(
        args=["smattest", "evidence", "import", str(path), "--actor", str(hana.id)]
    )

    assert result.exit_code == 0, result.output
    [row] = hostapp.db.session.scalars(sa.select(Attestation)).all()
    assert (row.method, row.recorded_by) == ("import", str(hana.id))


@all_databases
def test_hr_cannot_relink_their_own_record(client, hana):
    hanas = record_of(hana)

    response = client.post(
        f"/compliance/hr/people/{hanas.id}/relink", data={"new_id": "36x", "reason": "test"}
    )

    assert response.status_code == 400
    assert f"the record '{hana.id}' is your own: {ANOTHER}" in text_of(response)
    assert record_of(hana).external_id == str(hana.id) and evidence_rows() == 0


@all_databases
def test_a_relink_round_trip_does_not_let_hr_act_on_their_own_record(
    client, runner, hana, make_user
):
    """IT moves Hana's record to 36x (as the CLI may); Hana then tries every path on 36x."""
    moved = runner.invoke(
        args=["smattest", "staff", "relink", str(hana.id), "36x", "--reason", "renumbered",
              "--actor", "it-admin"]
    )  # fmt: skip
    assert moved.exit_code == 0, moved.output
    record = record_of(hana)
    assert record.external_id == "36x"
    before = evidence_rows()

    granted = grant_page(client, record, policy_version_of())
    on_behalf = client.post(
        f"/compliance/hr/people/{record.id}/attest",
        data={"policy": "social-media", "signature": "Hana Okafor", "reason": "paper form"},
    )
    back = client.post(
        f"/compliance/hr/people/{record.id}/relink",
        data={"new_id": str(hana.id), "reason": "back"},
    )

    assert f"You cannot grant yourself an exemption: {ANOTHER}" in text_of(granted)
    assert (
        "You cannot record an attestation on your own behalf: sign it yourself on the policy "
        f"page, or {ANOTHER}" in text_of(on_behalf)
    )
    assert f"the record '36x' is your own: {ANOTHER}" in text_of(back)
    assert evidence_rows() == before


def policy_version_of():
    from smattest.models import Policy

    return hostapp.db.session.scalar(sa.select(Policy).where(Policy.slug == "social-media"))


@all_databases
def test_hr_cannot_end_their_own_exemption(client, hana, login_as):
    hanas = record_of(hana)
    colleague = login_as(name="Theo Colleague", is_hr=True)
    assert grant_page(client, hanas, policy_version_of()).status_code == 303
    [exemption] = hostapp.db.session.scalars(sa.select(Exemption)).all()
    assert exemption.granted_by == str(colleague.id)
    client.post(f"/login/{hana.id}")
    before = evidence_rows()

    response = client.post(
        f"/compliance/hr/exemptions/{exemption.id}/end",
        data={"reason": "I'm back.", "confirm": "y"},
    )

    assert f"You cannot end your own exemption: {ANOTHER}" in text_of(response)
    assert evidence_rows() == before
