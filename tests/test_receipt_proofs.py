"""A receipt that proves itself: inclusion proofs against a checkpoint's Merkle root, and
the consistency of successive checkpoints, each checked offline with the standard library."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys

import pytest
import sqlalchemy as sa

import smattest.verify
from smattest.attest import attest
from smattest.evidence import proofs
from smattest.models import Attestation, Checkpoint, Staff

from . import hostapp
from .conftest import all_databases
from .evidence_helpers import rewrite_without

LINE_V2 = re.compile(
    r"smattest-checkpoint v2 position=(\d+) hash=([0-9a-f]{64}) root=([0-9a-f]{64}) at=\S+Z"
)
PEOPLE = ("Ada One", "Ben Two", "Cy Three")


def sql(statement: str, **params) -> None:
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    hostapp.db.session.commit()


def staff_named(name: str) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == name))


@pytest.fixture
def people(app, make_user, freeze, client):
    """Three people signed, each through their own sign-in, each with a distinct IP."""
    freeze("2026-03-02T09:00:00+00:00")
    from smattest.publishing.policies import publish

    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    users = {}
    for n, name in enumerate(PEOPLE):
        user = make_user(name=name)
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        freeze(dt.datetime(2026, 3, 2, 10 + n, tzinfo=dt.UTC))
        attest(staff_named(name), "social-media", 1, name, ip_address=f"10.9.8.{n + 1}",
               user_agent=f"Browser-of-{name.split()[0]}")  # fmt: skip
        users[name] = user
    return users


def checkpoint(runner) -> list[str]:
    result = runner.invoke(args=["smattest", "audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def fetch_proof(client, user, number: int):
    client.post(f"/login/{user.id}")
    return client.get(f"/compliance/receipts/{number}/proof.json")


def run_verifier(*args, python: str = sys.executable, cwd=None):
    return subprocess.run(
        [python, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=60
    )


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A fresh virtualenv with nothing installed, and the verifier copied out as one file."""
    base = tmp_path_factory.mktemp("auditor")
    venv = base / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    alone = base / "alone"
    alone.mkdir()
    shutil.copy(smattest.verify.__file__, alone / "verify.py")
    python = str(venv / "bin" / "python")
    assert run_verifier("-I", "-c", "import flask", python=python).returncode == 1

    def verify(*args):
        return run_verifier("-I", "verify.py", *args, python=python, cwd=alone)

    return verify


@all_databases
def test_a_receipts_proof_verifies_offline_against_the_emailed_line_and_one_letter_fails(
    people, runner, client, tmp_path, bare_python
):
    [line, *_] = checkpoint(runner)
    position, head_hash, root = LINE_V2.fullmatch(line).groups()
    assert position == "3"
    ben = hostapp.db.session.scalar(sa.select(Attestation).where(Attestation.chain_seq == 2))

    page = (client.post(f"/login/{people['Ben Two'].id}"),
            client.get("/compliance/receipts/2").get_data(as_text=True))[1]  # fmt: skip
    response = client.get("/compliance/receipts/2/proof.json")

    assert 'href="/compliance/receipts/2/proof.json"' in page
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "smattest-receipt-2-proof.json" in response.headers["Content-Disposition"]
    proof = response.get_json()
    assert proof["row"]["full_name"] == "Ben Two" and proof["row"]["signature"] == "Ben Two"
    assert proof["row"]["record_hash"] == ben.record_hash
    assert (proof["tree_size"], proof["root"], proof["checkpoint"]) == (3, root, line)
    saved = tmp_path / "proof.json"
    saved.write_bytes(response.get_data())

    result = bare_python(saved, "--checkpoint", line)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"OK: receipt 2 (attestation of social-media version 1, {ben.employee_id}, at "
        f"2026-03-02T11:00:00.000000+00:00) is in the evidence tree of 3 rows with root {root}, "
        "checked against the checkpoint given\n"
    )
    # One letter changed anywhere that matters, and it fails.
    text = saved.read_text()
    for before, after in (('"Ben Two"', '"Ben Twp"'), ('"10.9.8.2"', '"10.9.8.3"'),
                          (proof["audit_path"][0][:8], "0" * 8)):  # fmt: skip
        forged = tmp_path / "forged.json"
        forged.write_text(text.replace(before, after, 1))
        failed = bare_python(forged, "--checkpoint", line)
        assert failed.returncode == 1, (before, failed.stdout)
        assert failed.stdout.startswith("FAILED: ")
    # Against a line with one letter of its root changed, it fails too.
    other_root = line.replace(f"root={root}", f"root={root[:-1]}{'0' if root[-1] != '0' else '1'}")
    assert bare_python(saved, "--checkpoint", other_root).returncode == 1


def test_a_proof_holds_nothing_about_anyone_else(people, runner, client):
    checkpoint(runner)
    others = [staff_named(name) for name in ("Ada One", "Cy Three")]

    text = fetch_proof(client, people["Ben Two"], 2).get_data(as_text=True)

    for other in others:
        for value in (other.full_name, f'"{other.external_id}"', other.email, "Ada", "Cy ",
                      "Browser-of-Ada", "Browser-of-Cy", "10.9.8.1", "10.9.8.3"):  # fmt: skip
            assert value not in text
        row = hostapp.db.session.scalar(
            sa.select(Attestation).where(Attestation.staff_id == other.id)
        )
        for salted in (row.full_name_salt, row.signature_salt, row.ip_address_salt):
            assert salted not in text
    # Only Ben's row is a row: everything else is a hash.
    proof = json.loads(text)
    assert set(proof) == {"proof", "about", "row", "leaf_index", "leaf", "tree_size", "root",
                          "checkpoint", "audit_path"}  # fmt: skip
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in proof["audit_path"])


def test_only_the_person_and_hr_fetch_a_proof(people, runner, client, hr, login_as):
    """(Anonymous visitors go to sign in: test_access checks it for every route.)"""
    checkpoint(runner)

    assert fetch_proof(client, people["Ada One"], 2).status_code == 404  # Ben's
    assert fetch_proof(client, people["Ada One"], 99).status_code == 404
    assert fetch_proof(client, people["Ben Two"], 2).status_code == 200
    login_as(hr)
    history = client.get(f"/compliance/hr/people/{staff_named('Ben Two').id}")
    as_hr = client.get("/compliance/receipts/2/proof.json")
    assert 'href="/compliance/receipts/2/proof.json"' in history.get_data(as_text=True)
    assert as_hr.status_code == 200 and as_hr.get_json()["row"]["full_name"] == "Ben Two"


def test_before_any_checkpoint_the_receipt_says_when_its_proof_is_ready(people, client, runner):
    client.post(f"/login/{people['Cy Three'].id}")
    page = client.get("/compliance/receipts/3").get_data(as_text=True)
    early = client.get("/compliance/receipts/3/proof.json")

    assert "/compliance/receipts/3/proof.json" not in page  # no link yet
    assert "is ready after the next daily evidence checkpoint" in page
    assert early.status_code == 409
    assert "no checkpoint covers receipt 3 yet" in early.get_json()["error"]


def test_a_row_changed_after_the_checkpoint_gets_no_proof(people, runner, client):
    checkpoint(runner)
    sql("UPDATE smattest_attestation SET signature = 'Ben Too' WHERE chain_seq = 2")

    response = fetch_proof(client, people["Ben Two"], 2)

    assert response.status_code == 409
    assert "receipt 2 no longer matches the evidence chain" in response.get_json()["error"]


@all_databases
def test_successive_checkpoints_prove_consistency_offline_and_a_rewrite_between_fails(
    people, runner, make_user, freeze, bare_python, tmp_path
):
    [first, *_] = checkpoint(runner)
    freeze("2026-03-03T10:00:00+00:00")
    dee = make_user(name="Dee Four")
    hostapp.db.session.add(Staff(external_id=str(dee.id), full_name="Dee Four"))
    hostapp.db.session.commit()
    attest(staff_named("Dee Four"), "social-media", 1, "Dee Four")
    second, consistency, *_ = checkpoint(runner)

    assert consistency.startswith("smattest-consistency v1 from=3 to=4 path=")
    ok = bare_python("--checkpoint", first, "--checkpoint", second, "--consistency", consistency)
    assert (ok.returncode, ok.stderr) == (0, "")
    assert ok.stdout.startswith("OK: the checkpoint at position 4 (root ")
    assert ok.stdout.endswith("the first 3 rows are unchanged\n")

    # The insider rewrites the chain (Ben's row gone, the rest rehashed) and tops it up.
    rewrite_without(2)
    freeze("2026-03-04T10:00:00+00:00")
    attest(staff_named("Ben Two"), "social-media", 1, "Ben Two")
    third = runner.invoke(args=["smattest", "audit", "checkpoint"])

    assert third.exit_code == 1
    third_line = third.output.splitlines()[0]
    assert LINE_V2.fullmatch(third_line)
    assert "smattest-consistency" not in third.output
    assert "FAILED: the chain's first 4 rows no longer hash to the root of the checkpoint" in (
        third.output
    )
    assert "the chain was rewritten since it was taken" in third.output
    # Offline: no proof ties the second checkpoint to the third, not the honest one
    # from before, nor one the insider cuts from the rewritten chain.
    rewritten = proofs.chain_tree(4)
    forged = smattest.verify.consistency_line(3, 4, rewritten.consistency(3))
    old_proof = consistency.replace("from=3 to=4", "from=4 to=4")
    for proof in (forged, old_proof):
        failed = bare_python("--checkpoint", second, "--checkpoint", third_line,
                             "--consistency", proof)  # fmt: skip
        assert failed.returncode == 1, failed.stdout
    against_first = bare_python("--checkpoint", first, "--checkpoint", third_line,
                                "--consistency", forged)  # fmt: skip
    assert against_first.returncode == 1
    assert "the first 3 rows are not the rows that checkpoint was taken over" in (
        against_first.stdout
    )
    logged = hostapp.db.session.scalars(sa.select(Checkpoint).order_by(Checkpoint.id)).all()
    assert [c.position for c in logged] == [3, 4, 4]
    assert all(c.root for c in logged)


@pytest.mark.settings(SMATTEST_AUDIT_EMAILS=["audit@county.example"])
def test_the_saved_checkpoint_emails_are_all_the_offline_check_needs(
    people, runner, make_user, freeze, smtp_server, bare_python, tmp_path
):
    checkpoint(runner)
    for n in range(40):  # a longer proof: its line is longer than an email line may be
        freeze(dt.datetime(2026, 3, 3, 9, n, tzinfo=dt.UTC))
        staff = Staff(external_id=f"E-{n}", full_name=f"Signer {n}")
        hostapp.db.session.add(staff)
        hostapp.db.session.commit()
        attest(staff, "social-media", 1, f"Signer {n}")
    checkpoint(runner)
    mails = smtp_server.inbox.to("audit@county.example")
    first, second = sorted(mails, key=lambda mail: int(mail["Subject"].rsplit(" ", 1)[1]))
    paths = []
    for n, message in enumerate((first, second)):
        paths.append(tmp_path / f"checkpoint-{n}.eml")
        paths[-1].write_bytes(message.as_bytes())
    assert "smattest-consistency v1 from=3 to=43 path=" in second.get_content()
    assert max(len(line) for line in second.get_content().splitlines()) < 300

    result = bare_python("--checkpoint", paths[0], "--checkpoint", paths[1],
                         "--consistency", paths[1])  # fmt: skip

    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    assert result.stdout.startswith("OK: the checkpoint at position 43 (root ")


def test_verify_names_a_root_the_chain_does_not_have(people, runner):
    [line, *_] = checkpoint(runner)
    root = LINE_V2.fullmatch(line)[3]
    wrong = root[:-1] + ("0" if root[-1] != "0" else "1")

    good = runner.invoke(args=["smattest", "audit", "verify", "--checkpoint", line])
    forged_line = runner.invoke(
        args=["smattest", "audit", "verify", "--checkpoint", line.replace(root, wrong)]
    )
    sql("UPDATE smattest_checkpoint SET root = :r", r=wrong)
    forged_log = runner.invoke(args=["smattest", "audit", "verify"])

    assert good.exit_code == 0, good.output
    assert forged_line.exit_code == 1
    assert (
        f"FAILED: checkpoint position=3 root={wrong}: the chain's first 3 rows now have "
        f"Merkle root {root}" in forged_line.output
    )
    assert forged_log.exit_code == 1
    assert f"FAILED: smattest's checkpoint log records position=3 root={wrong}" in (
        forged_log.output
    )


def test_proofs_read_the_rows_below_the_levels_a_process_keeps(
    people, runner, client, monkeypatch, bare_python, tmp_path
):
    """With subtrees of two rows kept (not 256), Ada's proof reads rows 1-2 back and
    checks them against the kept subtree; a row changed since is refused, not proved."""
    monkeypatch.setattr(proofs, "LOW", 1)
    [line, *_] = checkpoint(runner)
    proofs._trees.clear()

    response = fetch_proof(client, people["Ada One"], 1)
    saved = tmp_path / "proof.json"
    saved.write_bytes(response.get_data())
    assert response.status_code == 200
    assert bare_python(saved, "--checkpoint", line).returncode == 0

    proofs._trees.clear()
    tree = proofs.chain_tree(3)
    sql("UPDATE smattest_attestation SET record_hash = :h WHERE chain_seq = 2", h="ab" * 32)
    with pytest.raises(proofs.ProofUnavailable, match="positions 1..2 no longer hash"):
        tree.inclusion(0)


def test_the_daily_job_logs_a_rewrite_as_an_error(people, runner, caplog):
    import logging

    from smattest.scheduler import take_checkpoint

    checkpoint(runner)
    rewrite_without(2)
    attest(staff_named("Ben Two"), "social-media", 1, "Ben Two")
    caplog.set_level(logging.INFO, logger="smattest.scheduler")

    taken = take_checkpoint(dt.datetime(2026, 3, 5, 13, tzinfo=dt.UTC))

    assert "the chain was rewritten since it was taken" in taken.problem
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == f"checkpoint: {taken.problem}"


def test_a_training_completions_proof_verifies_offline(people, runner, client, tmp_path):
    from smattest import training
    from smattest.publishing.courses import import_course

    from .content import SMALL_COURSE

    course = import_course(SMALL_COURSE).version
    ada = staff_named("Ada One")
    attempt = training.start_attempt(ada, course.course)
    training.submit(ada, attempt.id, {q.id: q.correct for q in course.questions})
    [line, *_] = checkpoint(runner)

    response = fetch_proof(client, people["Ada One"], 4)
    saved = tmp_path / "proof.json"
    saved.write_bytes(response.get_data())
    result = run_verifier("-m", "smattest.verify", saved, "--checkpoint", line)

    assert response.get_json()["row"]["kind"] == "training_completion"
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: receipt 4 (training completion of ")
