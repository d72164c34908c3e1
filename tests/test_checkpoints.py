"""Checkpoints outside the database, and the attack only they catch: a rewritten chain."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import Attestation, ChainHead, Checkpoint, Staff
from smattest.publishing.policies import publish
from smattest.scheduler import Scheduler, jobs_for
from smattest.verify import leaf_hash, node_hash

from . import hostapp
from .conftest import all_databases
from .evidence_helpers import rewrite_without

LINE = r"smattest-checkpoint v1 position=(\d+) hash=([0-9a-f]{64}) at=\S+Z"


def sql(statement: str, **params) -> None:
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    hostapp.db.session.commit()


@pytest.fixture
def signed(app, make_user, freeze, client):
    """Three people signed, each through the policy page (so each got a receipt page)."""
    freeze("2026-03-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    receipts = {}
    for n, name in enumerate(("Ada One", "Ben Two", "Cy Three")):
        user = make_user(name=name)
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        freeze(dt.datetime(2026, 3, 2, 10 + n, tzinfo=dt.UTC))
        staff = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))
        row = attest(staff, "social-media", 1, name).attestation
        receipts[name] = client.get(f"/compliance/receipts/{row.id}").get_data(as_text=True)
    return receipts


@all_databases
def test_a_rewritten_chain_passes_plain_verify_but_not_a_checkpoint_or_receipt(
    signed, runner, tmp_path
):
    taken = runner.invoke(args=["smattest", "audit", "checkpoint"])
    line = taken.output.splitlines()[0]
    receipt = tmp_path / "cy-receipt.html"
    receipt.write_text(signed["Cy Three"])  # Cy kept the receipt page (position 3)

    rewrite_without(2)
    # smattest's own checkpoint log names it (below); the insider empties the log too.
    sql("DELETE FROM smattest_checkpoint")

    plain = runner.invoke(args=["smattest", "audit", "verify"])
    assert plain.exit_code == 0 and plain.output.startswith("OK: 2 evidence rows")
    against_line = runner.invoke(args=["smattest", "audit", "verify", "--checkpoint", line])
    assert against_line.exit_code == 1
    assert "FAILED: checkpoint position=3 hash=" in against_line.output
    assert "the chain now ends at position 2, before it" in against_line.output
    against_receipt = runner.invoke(
        args=["smattest", "audit", "verify", "--checkpoint", str(receipt)]
    )
    assert against_receipt.exit_code == 1
    assert "FAILED: checkpoint position=3 hash=" in against_receipt.output


@all_databases
def test_a_rewrite_that_keeps_the_length_fails_at_the_checkpoint_hash(signed, runner, client):
    """Rewritten and topped up with a forged row: same length, different hashes."""
    line = runner.invoke(args=["smattest", "audit", "checkpoint"]).output.splitlines()[0]
    rewrite_without(2)
    staff = hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == "Ben Two"))
    attest(staff, "social-media", 1, "Ben Two")  # the chain is 3 long again

    result = runner.invoke(args=["smattest", "audit", "verify", "--checkpoint", line])

    assert result.exit_code == 1
    assert "the chain's row at that position now has hash" in result.output
    assert "the chain was rewritten since the checkpoint" in result.output


def test_a_v1_line_from_before_roots_keeps_verifying(signed, runner):
    head = hostapp.db.session.get(ChainHead, 1)
    v1 = f"smattest-checkpoint v1 position=3 hash={head.last_hash} at=2026-03-03T08:05:00Z"

    result = runner.invoke(args=["smattest", "audit", "verify", "--checkpoint", v1])

    assert result.exit_code == 0, result.output
    assert result.output.endswith(", through 1 checkpoints\n")


def test_verify_passes_through_every_checkpoint_and_receipt_given(signed, runner, tmp_path):
    line = runner.invoke(args=["smattest", "audit", "checkpoint"]).output.splitlines()[0]
    saved = tmp_path / "receipts.txt"
    saved.write_text(signed["Ada One"] + "\n" + signed["Ben Two"])

    result = runner.invoke(
        args=["smattest", "audit", "verify", "--checkpoint", line, "--checkpoint", str(saved)]
    )

    assert result.exit_code == 0, result.output
    assert result.output.endswith(", through 3 checkpoints\n")


def test_the_receipt_page_shows_the_rows_place_in_the_chain(signed):
    row = hostapp.db.session.scalar(sa.select(Attestation).where(Attestation.chain_seq == 2))
    assert f"position=2 hash={row.record_hash}" in signed["Ben Two"]


def test_a_checkpoint_argument_without_a_checkpoint_is_refused(signed, runner, tmp_path):
    empty = tmp_path / "notes.txt"
    empty.write_text("nothing here")

    result = runner.invoke(args=["smattest", "audit", "verify", "--checkpoint", str(empty)])

    assert result.exit_code == 1
    assert "no checkpoint found: expected 'position=N hash=<64 hex>'" in result.output


def test_checkpoint_without_addresses_prints_the_line_and_says_so(signed, runner, freeze):
    freeze("2026-03-03T08:05:00.123456+00:00")
    head = hostapp.db.session.get(ChainHead, 1)

    result = runner.invoke(args=["smattest", "audit", "checkpoint"])

    assert result.exit_code == 0, result.output
    # The Merkle root over the three rows, by RFC 9162's definition: ((1, 2), 3).
    leaves = [
        leaf_hash(bytes.fromhex(row.record_hash))
        for row in hostapp.db.session.scalars(
            sa.select(Attestation).order_by(Attestation.chain_seq)
        )
    ]
    root = node_hash(node_hash(leaves[0], leaves[1]), leaves[2]).hex()  # fmt: skip
    assert result.output.splitlines() == [
        f"smattest-checkpoint v2 position=3 hash={head.last_hash} root={root} "
        "at=2026-03-03T08:05:00Z",
        "Not emailed: SMATTEST_AUDIT_EMAILS is empty. Keep this line somewhere the database "
        "administrators cannot change.",
    ]
    [logged] = hostapp.db.session.scalars(sa.select(Checkpoint)).all()
    assert (logged.position, logged.hash, logged.root, logged.sent_to) == (
        3, head.last_hash, root, None
    )  # fmt: skip
    # Nothing was appended to the evidence.
    assert hostapp.db.session.get(ChainHead, 1).last_seq == 3


@pytest.mark.settings(SMATTEST_AUDIT_EMAILS=["audit@county.example", "records@county.example"])
def test_checkpoint_is_emailed_as_plain_text_and_the_email_is_a_checkpoint(
    signed, runner, smtp_server, tmp_path
):
    result = runner.invoke(args=["smattest", "audit", "checkpoint"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        "Emailed to audit@county.example, records@county.example."
    )
    [message] = smtp_server.inbox.to("audit@county.example")
    assert "records@county.example" in message["To"]
    assert not message.is_multipart() and message.get_content_type() == "text/plain"
    body = message.get_content()
    assert body.splitlines()[0] == result.output.splitlines()[0]
    saved = tmp_path / "checkpoint.eml"
    saved.write_bytes(message.as_bytes())

    verified = runner.invoke(args=["smattest", "audit", "verify", "--checkpoint", str(saved)])

    assert verified.exit_code == 0, verified.output
    assert [c.sent_to for c in hostapp.db.session.scalars(sa.select(Checkpoint))] == [
        "audit@county.example, records@county.example"
    ]


@pytest.mark.settings(SMATTEST_TIMEZONE="America/Chicago", SMATTEST_REMINDER_SEND_TIME="08:00")
def test_the_scheduler_takes_the_checkpoint_daily_after_the_reminders(signed, app):
    scheduler = Scheduler(app, jobs_for(app))
    monday_8 = dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)  # 08:00 CDT
    saturday_8 = dt.datetime(2026, 3, 14, 13, 0, tzinfo=dt.UTC)

    names = [outcome.job for outcome in scheduler.run_pending(monday_8)]
    weekend = [outcome.job for outcome in scheduler.run_pending(saturday_8)]

    assert names.index("audit-checkpoint") > names.index("reminders")
    assert "audit-checkpoint" in weekend and "reminders" not in weekend
    assert [c.position for c in hostapp.db.session.scalars(sa.select(Checkpoint))] == [3, 3]


# --- The checkpoint log in the database (issue 22, item 6) -------------------


def truncate_to(position: int) -> None:
    """The insider's cut: delete the newest rows and move the head back, by SQL."""
    kept = hostapp.db.session.scalar(
        sa.select(Attestation.record_hash).where(Attestation.chain_seq == position)
    )
    sql("DELETE FROM smattest_attestation WHERE chain_seq > :p", p=position)
    sql("UPDATE smattest_chain_head SET last_seq = :p, last_hash = :h", p=position, h=kept)


@all_databases
def test_cutting_the_newest_rows_is_named_by_the_checkpoint_log(signed, runner, freeze):
    freeze("2026-03-02T20:00:00+00:00")
    assert runner.invoke(args=["smattest", "audit", "checkpoint"]).exit_code == 0

    truncate_to(1)

    result = runner.invoke(args=["smattest", "audit", "verify"])
    assert result.exit_code == 1
    assert "FAILED: smattest's checkpoint log records position=3 hash=" in result.output
    assert (
        "beyond the chain's head at position 1: the newest evidence rows were removed and the "
        "head moved back." in result.output
    )


@all_databases
def test_a_rewrite_off_a_logged_checkpoint_is_named_without_the_line(signed, runner, client):
    assert runner.invoke(args=["smattest", "audit", "checkpoint"]).exit_code == 0
    rewrite_without(2)
    staff = hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == "Ben Two"))
    attest(staff, "social-media", 1, "Ben Two")  # the chain is 3 long again

    result = runner.invoke(args=["smattest", "audit", "verify"])

    assert result.exit_code == 1
    assert "FAILED: smattest's checkpoint log records position=3" in result.output
    assert "the chain was rewritten since that checkpoint" in result.output


def test_verify_warns_when_the_newest_checkpoint_is_older_than_two_days(signed, runner, freeze):
    freeze("2026-03-02T20:00:00+00:00")
    runner.invoke(args=["smattest", "audit", "checkpoint"])
    freeze("2026-03-04T19:59:00+00:00")
    fresh = runner.invoke(args=["smattest", "audit", "verify"])
    freeze("2026-03-04T20:01:00+00:00")
    stale = runner.invoke(args=["smattest", "audit", "verify"])

    assert fresh.exit_code == 0 and "WARNING" not in fresh.output
    assert stale.exit_code == 0, stale.output
    assert stale.stdout.startswith("OK: 3 evidence rows")
    assert (
        "WARNING: the newest checkpoint was taken 2026-03-02T20:00:00.000000+00:00, more than "
        "two days ago" in stale.stderr
    )


def test_verify_warns_when_no_checkpoint_was_taken_in_two_days_of_evidence(signed, runner, freeze):
    first = runner.invoke(args=["smattest", "audit", "verify"])
    freeze("2026-03-05T09:00:00+00:00")
    later = runner.invoke(args=["smattest", "audit", "verify"])

    assert first.exit_code == 0 and "WARNING" not in first.output
    assert later.exit_code == 0
    assert (
        "WARNING: no checkpoint has been taken, and evidence has been recorded since "
        "2026-03-02T10:00:00.000000+00:00" in later.stderr
    )
