"""Importing the paper era: past signatures and completions from a CSV, whole or not at all."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
import sqlalchemy as sa

from smattest.evidence import paper_era
from smattest.models import POLICY, Attestation, HREvent, Staff, TrainingCompletion
from smattest.publishing.courses import import_course
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE

pytestmark = [
    pytest.mark.hr_on_roster,
    pytest.mark.policy(
        now="2026-03-02T15:00:00+00:00",
        text="Be careful online.",
        summary="First.",
        effective=dt.date(2023, 1, 2),
    ),
]

HEADER = "employee_id,kind,slug,version,done_on,source\n"


def evidence_count() -> int:
    session = hostapp.db.session
    session.commit()
    return session.scalar(sa.select(sa.func.count()).select_from(Attestation)) + session.scalar(
        sa.select(sa.func.count()).select_from(TrainingCompletion)
    )


def five_thousand(make_staff) -> tuple[list[str], list[int]]:
    """5,000 lines for 5,000 people: even lines signed in Dec 2025, odd in Jan 2025."""
    ids = make_staff(5000)
    staff = {i: e for i, e in hostapp.db.session.execute(sa.select(Staff.id, Staff.external_id))}
    lines = [
        f"{staff[sid]},policy,social-media,1,{'2025-12-01' if n % 2 == 0 else '2025-01-15'},"
        f'"paper form, box {n // 100}"\n'
        for n, sid in enumerate(ids)
    ]
    return lines, ids


@all_databases
def test_five_thousand_rows_with_three_bad_import_nothing_then_everything_once_fixed(
    policy_version, make_staff, runner, tmp_path
):
    lines, ids = five_thousand(make_staff)
    bad = list(lines)
    bad[99] = "nobody-1,policy,social-media,1,2025-12-01,paper form\n"  # file line 101
    bad[2000] = bad[2000].replace("2025-12-01", "2026-03-03")  # line 2002: tomorrow
    bad[3998] = lines[1]  # line 4000: the same as line 3
    broken = tmp_path / "paper-era-bad.csv"
    broken.write_text(HEADER + "".join(bad), encoding="utf-8")

    refused = runner.invoke(args=["smattest", "evidence", "import", str(broken)])

    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        "line 101: no one on the staff list has employee id 'nobody-1'.",
        "line 2002: done_on 2026-03-03 is in the future.",
        "line 4000: the same policy evidence as line 3.",
        "Nothing was imported: 3 problems.",
    ]
    assert evidence_count() == 0

    fixed = tmp_path / "paper-era.csv"
    fixed.write_text(HEADER + "".join(lines), encoding="utf-8")
    started = time.perf_counter()
    imported = runner.invoke(args=["smattest", "evidence", "import", str(fixed), "--actor", "hr-9"])
    seconds = time.perf_counter() - started

    assert imported.exit_code == 0, imported.output
    assert imported.output == (
        f"Imported 5000 attestations and 0 training completions from {fixed}.\n"
    )
    print(f"5,000-row import: {seconds:.1f} s")
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK: 5000 evidence rows")
    first, second = (hostapp.db.session.get(Staff, sid) for sid in ids[:2])
    recent = compliance.standing(first, POLICY, policy_version.policy_id)
    old = compliance.standing(second, POLICY, policy_version.policy_id)
    assert (recent.status, recent.due_date) == (compliance.CURRENT, dt.date(2026, 12, 1))
    assert (old.status, old.due_date) == (compliance.OVERDUE, dt.date(2026, 1, 15))
    row = hostapp.db.session.scalar(sa.select(Attestation).where(Attestation.staff_id == ids[0]))
    assert (row.method, row.recorded_by, row.reason) == ("import", "hr-9", "paper form, box 0")
    assert (row.employee_id, row.requirement_slug, row.version_number) == (
        first.external_id,
        "social-media",
        1,
    )


def test_a_dry_run_checks_everything_and_imports_nothing(
    policy_version, make_staff, runner, tmp_path
):
    (sid,) = make_staff(1)
    employee = hostapp.db.session.get(Staff, sid).external_id
    path = tmp_path / "one.csv"
    path.write_text(HEADER + f"{employee},policy,social-media,1,2024-05-01,binder 3\n")

    result = runner.invoke(args=["smattest", "evidence", "import", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Would import 1 attestations and 0 training completions" in result.output
    assert evidence_count() == 0


def test_every_kind_of_problem_is_named_with_its_line(policy_version, make_staff):
    (sid,) = make_staff(1)
    employee = hostapp.db.session.get(Staff, sid).external_id
    import_course(SMALL_COURSE)  # imported today (2 March 2026)
    text = HEADER + "".join([
        f"{employee},policy,social-media,1,2024-05-01,binder 3\n",  # line 2: fine
        f"{employee},policy,no-such-policy,1,2024-05-01,binder 3\n",
        f"{employee},policy,social-media,2,2024-05-01,binder 3\n",
        f"{employee},policy,social-media,1,2022-12-31,binder 3\n",
        f"{employee},policy,social-media,1,01/05/2024,binder 3\n",
        f"{employee},quiz,social-media,1,2024-05-01,binder 3\n",
        f"{employee},course,refresher,1,2025-05-01,training log\n",
        f"{employee},policy,social-media,1,2024-06-01,\n",
    ])  # fmt: skip

    with pytest.raises(paper_era.PaperEraError) as raised:
        paper_era.plan_csv(text.encode())

    assert raised.value.problems == [
        "line 3: there is no policy with slug 'no-such-policy'.",
        "line 4: the policy 'social-media' has no version 2.",
        "line 5: done_on 2022-12-31 is before social-media version 1 existed (2023-01-02).",
        "line 6: done_on '01/05/2024' is not a date written YYYY-MM-DD.",
        "line 7: kind 'quiz' is neither 'policy' nor 'course'.",
        "line 8: done_on 2025-05-01 is before refresher version 1 existed (2026-03-02).",
        'line 9: the source is empty: say where the record is, e.g. "paper form, box 12".',
    ]


def test_evidence_already_recorded_is_not_imported_twice(policy_version, make_staff):
    (sid,) = make_staff(1)
    employee = hostapp.db.session.get(Staff, sid).external_id
    data = (HEADER + f"{employee},policy,social-media,1,2024-05-01,binder 3\n").encode()
    paper_era.apply(data, actor="hr")

    with pytest.raises(paper_era.PaperEraError) as raised:
        paper_era.apply(data, actor="hr")

    assert raised.value.problems == [
        "line 2: already recorded: this person's policy evidence for that version on "
        "2024-05-01 is in the evidence chain."
    ]
    assert evidence_count() == 1


def test_a_file_with_wrong_columns_is_refused_on_line_1(policy_version):
    with pytest.raises(paper_era.PaperEraError) as raised:
        paper_era.plan_csv(b"employee,kind,slug,version,done_on\n1,policy,x,1,2024-01-01\n")

    assert raised.value.problems == [
        "line 1: the columns must be employee_id, kind, slug, version, done_on, source "
        "(in any order): missing employee_id, source; unknown 'employee'."
    ]


# --- The HR page: upload, preview, confirm ------------------------------------------------


def upload(client, text: str, name: str = "paper.csv"):
    return client.post(
        "/compliance/hr/evidence/import",
        data={"evidence": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def test_hr_uploads_previews_and_confirms_and_the_rows_show_as_imported(
    policy_version, hr, client, make_staff
):
    import re

    (sid,) = make_staff(1, full_name="Rosa Gutierrez")
    employee = hostapp.db.session.get(Staff, sid).external_id
    text = HEADER + f'{employee},policy,social-media,1,2025-11-20,"paper form, box 12"\n'

    preview = upload(client, text)
    page = preview.get_data(as_text=True)

    assert preview.status_code == 200
    assert "<dt>Signatures (policies)</dt><dd>1</dd>" in page
    assert "paper form, box 12" in page
    assert evidence_count() == 0
    fields = dict(re.findall(r'name="(evidence|sha256|filename)"[^>]*value="([^"]*)"', page))
    confirmed = client.post("/compliance/hr/evidence/import/confirm", data=fields)

    assert confirmed.status_code == 303
    done = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "Imported from paper.csv: 1 attestations and 0 training completions" in done
    assert evidence_count() == 1
    [event] = hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "evidence.import")
    ).all()
    assert (event.actor, event.detail) == (
        str(hr.id),
        "paper.csv: 1 attestations, 0 training completions, chain positions 1-1",
    )
    person = client.get(f"/compliance/hr/people/{sid}").get_data(as_text=True)
    assert "Imported" in person and "paper form, box 12" in person
    export = client.get("/compliance/hr/exports/evidence.csv").get_data(as_text=True)
    assert ",import," in export and "paper form, box 12" in export
    standing = compliance.standing(
        hostapp.db.session.get(Staff, sid), POLICY, policy_version.policy_id
    )
    assert standing.due_date == dt.date(2026, 11, 20)


def test_hr_sees_every_problem_with_its_line_and_nothing_is_imported(policy_version, hr, client):
    text = HEADER + "nobody,policy,social-media,1,2025-11-20,box 1\n"

    preview = upload(client, text)
    page = preview.get_data(as_text=True)

    assert preview.status_code == 400
    assert "Nothing can be imported: 1 problem in paper.csv" in page
    assert "line 2: no one on the staff list has employee id &#39;nobody&#39;." in page
    assert "Import 1 record" not in page
    assert evidence_count() == 0


def test_a_tampered_confirmation_imports_nothing(policy_version, hr, client, make_staff):
    response = client.post(
        "/compliance/hr/evidence/import/confirm",
        data={"evidence": "bm90IHppcA==", "sha256": "0" * 64, "filename": "x.csv"},
    )

    assert response.status_code == 400
    assert "Nothing was imported: please upload the file again" in response.get_data(as_text=True)
    assert evidence_count() == 0
