"""The offline verifier: an auditor checks an evidence export with the standard library alone."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import smattest.verify
from smattest import exemptions, training
from smattest.attest import attest, attest_on_behalf
from smattest.evidence import chain as evidence
from smattest.evidence import export as evidence_export
from smattest.models import POLICY, Attestation, ChainPosition, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases
from .content import SMALL_COURSE

VERIFY_PY = Path(smattest.verify.__file__)


def person(name: str) -> Staff:
    staff = Staff(external_id=f"E-{name.split()[0]}", full_name=name, email="x@agency.example")
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


@pytest.fixture
def export(app, freeze, tmp_path):
    """A real export holding every kind of row, in both formats, with an erased field."""
    freeze("2026-03-02T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "=Be careful online.", "First.")
    course = import_course(SMALL_COURSE).version
    ann, ben, cy = person("Ann Archer"), person("Ben Bello"), person("Cy Çelik")
    # A format-1 row, as smattest wrote them before format 2.
    head = evidence.lock_chain()
    old = Attestation(staff_id=ann.id, policy_version_id=version.id, signature="Ann Archer",
                      attested_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), method="self",
                      ip_address="10.0.0.7", text_sha256=version.text_sha256, format=1,
                      chain_seq=1, prev_hash="")  # fmt: skip
    old.record_hash = evidence.record_hash(old)
    head.last_seq, head.last_hash = 1, old.record_hash
    hostapp.db.session.add(ChainPosition(seq=1, tbl="smattest_attestation"))
    hostapp.db.session.add(old)
    hostapp.db.session.commit()
    freeze("2026-03-03T10:00:00+00:00")
    attest(ben, "social-media", 1, "Ben Bello", ip_address="10.0.0.8", user_agent="Firefox/140")
    attest_on_behalf(cy, "social-media", "Cy Çelik", "+Paper form, box 12", "hr-1")
    attempt = training.start_attempt(ben, course.course)
    training.submit(ben, attempt.id, {q.id: q.correct for q in course.questions})
    granted = exemptions.grant(ann, POLICY, version.policy_id, "Leave", dt.date(2026, 6, 30), "hr")
    exemptions.end(granted, "hr-2")
    # The retention schedule erased Ben's user agent (field and salt).
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE smattest_attestation SET user_agent = NULL,"
                             " user_agent_salt = NULL WHERE chain_seq = 2"))  # fmt: skip
    path = tmp_path / "evidence.csv"
    path.write_text("".join(evidence_export.evidence_csv()), encoding="utf-8", newline="")
    return path


def run_verifier(*args: str | Path, python: str = sys.executable, cwd=None):
    return subprocess.run(
        [python, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")


def test_a_clean_export_passes_with_one_summary_line(export):
    head = rows_of(export)[-1]

    result = run_verifier("-m", "smattest.verify", export)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"OK: 6 evidence rows, head {head['record_hash']}\n"
    assert head["seq"] == "6"


def test_it_runs_as_one_copied_file_in_a_fresh_virtualenv_with_nothing_installed(export, tmp_path):
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    alone = tmp_path / "auditor"
    alone.mkdir()
    shutil.copy(VERIFY_PY, alone / "verify.py")
    python = str(venv / "bin" / "python")
    installed = run_verifier("-c", "import sys; print(sys.prefix != sys.base_prefix)",
                             python=python)  # fmt: skip
    assert installed.stdout == "True\n"
    # -I: isolated, so nothing from this test run (smattest, SQLAlchemy, ...) is importable.
    nothing = run_verifier("-I", "-c", "import flask", python=python)
    assert nothing.returncode == 1 and "ModuleNotFoundError" in nothing.stderr

    result = run_verifier("-I", "verify.py", export, python=python, cwd=alone)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: 6 evidence rows")
    # And as a module of the smattest package (its source tree, Flask not installed).
    as_module = run_verifier("-m", "smattest.verify", export, python=python,
                             cwd=VERIFY_PY.parent.parent)  # fmt: skip
    assert (as_module.returncode, as_module.stderr) == (0, "")
    assert as_module.stdout == result.stdout


def test_a_tampered_export_fails_at_the_right_row(export, tmp_path):
    rows = rows_of(export)
    rows[2]["signature"] = "Someone Else"  # line 4 of the file: Cy's attestation
    tampered = tmp_path / "tampered.csv"
    write_rows(tampered, rows)

    result = run_verifier(VERIFY_PY, tampered)

    assert result.returncode == 1
    assert result.stdout == (
        f"FAILED: line 4 (attestation #{rows[2]['record_id']} at position 3): "
        "its contents no longer match its record hash.\n"
    )


def test_a_removed_row_fails_where_the_gap_is(export, tmp_path):
    rows = rows_of(export)
    del rows[1]
    cut = tmp_path / "cut.csv"
    write_rows(cut, rows)

    result = run_verifier(VERIFY_PY, cut)

    assert result.returncode == 1
    assert "line 3 (attestation" in result.stdout and "expected position 2" in result.stdout


def test_a_row_removed_then_the_rest_renumbered_and_rehashed_fails_the_link_check(export, tmp_path):
    rows = rows_of(export)
    del rows[1]  # Ben's attestation, position 2
    for row in rows[1:]:
        row["seq"] = str(int(row["seq"]) - 1)
    for row in rows[:-1]:  # every row's own hash made right again, in its new place
        stored = {name: smattest.verify._cell(text, name) for name, text in row.items()}
        row["record_hash"] = smattest.verify.row_hash(stored)
    rows[-1]["record_hash"] = rows[-2]["record_hash"]  # and the chain_head row with them
    forged = tmp_path / "forged.csv"
    write_rows(forged, rows)

    result = run_verifier(VERIFY_PY, forged)

    assert result.returncode == 1
    assert result.stdout == (
        f"FAILED: line 3 ({rows[1]['kind']} #{rows[1]['record_id']} at position 2): "
        "does not link to the row before it.\n"
    )


def test_checkpoints_are_honoured(export, tmp_path):
    rows = rows_of(export)
    good = f"smattest-checkpoint v1 position=3 hash={rows[2]['record_hash']} at=2026-03-03T10:00Z"
    bad = f"position=2 hash={'0' * 64}"
    receipts = tmp_path / "receipts.txt"
    receipts.write_text(f"Your receipt\nposition=2 hash={rows[1]['record_hash']}\n")

    passing = run_verifier(VERIFY_PY, export, "--checkpoint", good, "--checkpoint", receipts)
    failing = run_verifier(VERIFY_PY, export, "--checkpoint", bad)
    beyond = run_verifier(VERIFY_PY, export, "--checkpoint", f"position=9 hash={'a' * 64}")

    assert passing.returncode == 0, passing.stdout
    assert passing.stdout.endswith(", through 2 checkpoints\n")
    assert failing.returncode == 1
    assert "checkpoint position=2" in failing.stdout and "rewritten" in failing.stdout
    assert beyond.returncode == 1 and "past the end of the file's chain" in beyond.stdout


def test_an_unreadable_file_exits_2(tmp_path):
    result = run_verifier(VERIFY_PY, tmp_path / "missing.csv")

    assert result.returncode == 2 and "cannot read the evidence file" in result.stderr


def test_a_missing_column_is_named_with_the_line(export, tmp_path):
    rows = rows_of(export)
    for row in rows:
        del row["prev_hash"]
    cut = tmp_path / "cut.csv"
    write_rows(cut, rows)

    result = run_verifier(VERIFY_PY, cut)

    assert result.returncode == 2
    assert result.stderr == (
        f"{cut}, line 1: the header has no column prev_hash: is this smattest's evidence export?\n"
    )


def test_a_missing_format_2_column_names_the_row_that_needs_it(export, tmp_path):
    rows = rows_of(export)
    for row in rows:
        del row["signature_salt"]
    cut = tmp_path / "cut.csv"
    write_rows(cut, rows)

    result = run_verifier(VERIFY_PY, cut)

    assert result.returncode == 2
    assert f"{cut}, line 3 (attestation #" in result.stderr
    assert "the header has no column signature_salt, which a format-2 attestation row needs" in (
        result.stderr
    )


@pytest.mark.parametrize("score", ["1e999999", "9" * 5000, "½"])
def test_a_malformed_number_is_named_with_its_line_and_column(export, tmp_path, score):
    rows = rows_of(export)
    rows[3]["score"] = score  # line 5: Ben's training completion
    bad = tmp_path / "bad.csv"
    write_rows(bad, rows)

    result = run_verifier(VERIFY_PY, bad)

    assert result.returncode == 2
    assert result.stderr.startswith(f"{bad}, line 5: column score: ")
    assert result.stderr.endswith(" is not a whole number.\n") and len(result.stderr) < 300


def test_an_unreadable_checkpoint_file_is_named_as_such(export, tmp_path):
    result = run_verifier(VERIFY_PY, export, "--checkpoint", tmp_path / "receipts.txt")

    assert result.returncode == 2
    assert result.stderr == (
        f"cannot read the checkpoint file {tmp_path / 'receipts.txt'}: No such file or "
        "directory; give a file of checkpoints or a line 'position=N hash=H'.\n"
    )


# --- An independent implementation of docs/evidence.md -----------------------------------


def _independent_value(cell: str, integer: bool):
    if cell == "":
        return None
    cell = cell[1:] if cell[0] == "'" else cell
    return int(cell) if integer else cell


def _independent_hash(row: dict[str, str]) -> str:
    """Written from docs/evidence.md alone: no smattest code."""
    whole = {"seq", "staff_id", "version", "version_id", "score", "quiz_attempt_id",
             "requirement_id", "exemption_id", "format", "grant_seq"}  # fmt: skip
    v = {name: _independent_value(cell, name in whole) for name, cell in row.items()}
    if v["format"] == 1:
        if v["kind"] == "attestation":
            doc = {"chain_seq": v["seq"], "staff_id": v["staff_id"],
                   "policy_version_id": v["version_id"], "attested_at": v["at_utc"],
                   "signature": v["signature"], "method": v["method"], "reason": v["reason"],
                   "recorded_by": v["recorded_by"], "ip_address": v["ip_address"],
                   "user_agent": v["user_agent"], "text_sha256": v["sha256"],
                   "kind": "smattest_attestation"}  # fmt: skip
        else:
            doc = {"chain_seq": v["seq"], "staff_id": v["staff_id"],
                   "course_version_id": v["version_id"], "quiz_attempt_id": v["quiz_attempt_id"],
                   "completed_at": v["at_utc"], "score": v["score"], "method": v["method"],
                   "reason": v["reason"], "recorded_by": v["recorded_by"],
                   "content_sha256": v["sha256"],
                   "kind": "smattest_training_completion"}  # fmt: skip
        doc["prev_hash"] = v["prev_hash"] or ""
    else:
        doc = {"format": v["format"], "kind": v["kind"], "seq": v["seq"],
               "prev_hash": v["prev_hash"] or "",
               "at": v["at_utc"], "staff_id": v["staff_id"], "employee_id": v["employee_id"],
               "requirement_kind": v["requirement_kind"], "requirement_id": v["requirement_id"],
               "requirement_slug": v["requirement_slug"], "version_id": v["version_id"],
               "version_number": v["version"], "content_sha256": v["sha256"],
               "method": v["method"], "score": v["score"],
               "quiz_attempt_id": v["quiz_attempt_id"], "recorded_by": v["recorded_by"],
               "exemption_id": v["exemption_id"], "until": v["until"]}  # fmt: skip
        for name in ("full_name", "signature", "reason", "ip_address", "user_agent"):
            value, salt = v[name], v[f"{name}_salt"]
            if value is not None:
                digest = hashlib.sha256((salt + value).encode("utf-8")).hexdigest()
                assert digest == v[f"{name}_sha256"]
            doc[f"{name}_sha256"] = v[f"{name}_sha256"]
        if v["format"] == 4:  # an exemption end bound to its grant
            doc.update(grant_seq=v["grant_seq"], grant_hash=v["grant_hash"])
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@all_databases
def test_an_independent_implementation_of_the_documented_format_agrees(export):
    *rows, head = rows_of(export)

    assert {(r["kind"], r["format"]) for r in rows} == {
        ("attestation", "1"), ("attestation", "2"), ("training_completion", "2"),
        ("exemption_grant", "2"), ("exemption_end", "4"),
    }  # fmt: skip
    previous = ""
    for row in rows:
        assert row["prev_hash"] == previous, row["seq"]
        assert _independent_hash(row) == row["record_hash"], row["seq"]
        previous = row["record_hash"]
    assert (head["kind"], head["record_hash"]) == ("chain_head", previous)


# --- A known answer for format 2 ----------------------------------------------------------

SALT = "0123456789abcdef0123456789abcdef"
#: The canonical text of one format-2 attestation, written out by hand from docs/evidence.md.
FORMAT_2_TEXT = (
    '{"at":"2026-03-02T14:30:05.123456+00:00","content_sha256":"' + "a" * 64 + '",'
    '"employee_id":"E-42","exemption_id":null,"format":2,'
    '"full_name_sha256":"' + hashlib.sha256((SALT + "Priya Raman").encode()).hexdigest() + '",'
    '"ip_address_sha256":null,"kind":"attestation","method":"self","prev_hash":"'
    + "c"
    * 64
    + '","quiz_attempt_id":null,"reason_sha256":null,"recorded_by":null,"requirement_id":null,'
    '"requirement_kind":"policy","requirement_slug":"social-media","score":null,"seq":7,'
    '"signature_sha256":"' + hashlib.sha256((SALT + "Priya Raman").encode()).hexdigest() + '",'
    '"staff_id":42,"until":null,"user_agent_sha256":null,"version_id":3,"version_number":2}'
)


def test_a_format_2_row_hashes_to_the_sha256_of_its_documented_canonical_text():
    row = Attestation(
        format=2, chain_seq=7, prev_hash="c" * 64, staff_id=42, policy_version_id=3,
        attested_at=dt.datetime(2026, 3, 2, 14, 30, 5, 123456, tzinfo=dt.UTC),
        employee_id="E-42", full_name="Priya Raman", full_name_salt=SALT,
        requirement_slug="social-media", version_number=2, signature="Priya Raman",
        signature_salt=SALT, method="self", text_sha256="a" * 64,
    )  # fmt: skip

    assert evidence.record_hash(row) == hashlib.sha256(FORMAT_2_TEXT.encode()).hexdigest()
    # Erased name and salt, digest kept: the same hash.
    row.full_name_sha256 = hashlib.sha256((SALT + "Priya Raman").encode()).hexdigest()
    row.full_name = row.full_name_salt = None
    assert evidence.record_hash(row) == hashlib.sha256(FORMAT_2_TEXT.encode()).hexdigest()
