"""evidence format 2, exemptions in the chain, course content hashes, checkpoints

Evidence rows learn a format version and, for format 2, who and what they
are about at the time (employee id, name, requirement slug and version) with
a salt and digest beside each personal field. Exemptions join the chain:
each existing exemption is appended (its grant, then its end if it was
ended) in time order, so the people exempt before the upgrade stay exempt.
Course versions get the SHA-256 of their stored content. Checkpoints get
their log.

Downgrading drops the exemptions' place in the chain: the chain head then
counts rows the older code no longer sees, and its ``audit verify`` fails.

Revision ID: 0003_evidence
Revises: 0003_identity
Create Date: 2026-11-30 06:10:00
"""

import hashlib
import json
import secrets

import sqlalchemy as sa
from alembic import op

import smattest.db
from smattest import verify as hashformat  # the frozen definition of the hash formats

revision = "0003_evidence"
down_revision = "0003_identity"
branch_labels = None
depends_on = None

AT_THE_TIME = (
    ("format", sa.Integer(), "1"),
    ("employee_id", sa.String(64), None),
    ("full_name", sa.String(200), None),
    ("full_name_salt", sa.String(32), None),
    ("full_name_sha256", sa.String(64), None),
    ("requirement_slug", sa.String(80), None),
)
SEALED_REASON = (("reason_salt", sa.String(32)), ("reason_sha256", sa.String(64)))
SEALED_DEVICE = tuple(
    (f"{name}_{part}", sa.String(32 if part == "salt" else 64))
    for name in ("signature", "ip_address", "user_agent")
    for part in ("salt", "sha256")
)


def _at_the_time(batch_op) -> None:
    for name, type_, default in AT_THE_TIME:
        nullable = default is None
        batch_op.add_column(sa.Column(name, type_, nullable=nullable, server_default=default))


def upgrade() -> None:
    with op.batch_alter_table("smattest_attestation") as batch_op:
        _at_the_time(batch_op)
        for name, type_ in SEALED_REASON + SEALED_DEVICE:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column("version_number", sa.Integer(), nullable=True))
    with op.batch_alter_table("smattest_training_completion") as batch_op:
        _at_the_time(batch_op)
        for name, type_ in SEALED_REASON:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column("version_number", sa.Integer(), nullable=True))
    with op.batch_alter_table("smattest_exemption") as batch_op:
        _at_the_time(batch_op)
        for name, type_ in SEALED_REASON:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("record_hash", sa.String(64), nullable=True))
        batch_op.create_unique_constraint("uq_smattest_exemption_chain_seq", ["chain_seq"])
        batch_op.create_unique_constraint("uq_smattest_exemption_record_hash", ["record_hash"])
    with op.batch_alter_table("smattest_course_version") as batch_op:
        batch_op.add_column(sa.Column("stored_sha256", sa.String(64), nullable=True))
    op.create_table(
        "smattest_exemption_end",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("exemption_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("requirement_kind", sa.String(10), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("ended_by", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        *(
            sa.Column(name, type_, nullable=default is None, server_default=default)
            for name, type_, default in AT_THE_TIME
        ),
        sa.ForeignKeyConstraint(
            ["exemption_id"], ["smattest_exemption.id"],
            name=op.f("fk_smattest_exemption_end_exemption_id"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_exemption_end_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_exemption_end")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_smattest_exemption_end_chain_seq")),
        sa.UniqueConstraint("record_hash", name=op.f("uq_smattest_exemption_end_record_hash")),
    )  # fmt: skip
    op.create_index(
        "ix_smattest_exemption_end_exemption_id", "smattest_exemption_end", ["exemption_id"]
    )
    op.create_table(
        "smattest_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("sent_to", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_checkpoint")),
    )
    _hash_course_contents()
    _chain_exemptions()


def _hash_course_contents() -> None:
    """Each course version's stored content hash (as smattest.publishing.courses.stored_sha256)."""
    conn = op.get_bind()
    versions = conn.execute(sa.text("SELECT id, pass_mark FROM smattest_course_version")).all()
    for version_id, pass_mark in versions:
        sections = conn.execute(
            sa.text("SELECT title, body_markdown FROM smattest_course_section"
                    " WHERE course_version_id = :v ORDER BY position"), {"v": version_id},
        ).all()  # fmt: skip
        questions = conn.execute(
            sa.text("SELECT kind, prompt, options, correct, explanation FROM smattest_question"
                    " WHERE course_version_id = :v ORDER BY position"), {"v": version_id},
        ).all()  # fmt: skip
        content = {
            "pass_mark": pass_mark,
            "sections": [{"title": t, "body": b} for t, b in sections],
            "questions": [
                {"kind": k, "prompt": p, "options": json.loads(o), "correct": json.loads(c),
                 "explanation": e}
                for k, p, o, c, e in questions
            ],
        }  # fmt: skip
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        conn.execute(
            sa.text("UPDATE smattest_course_version SET stored_sha256 = :h WHERE id = :v"),
            {"h": hashlib.sha256(canonical.encode("utf-8")).hexdigest(), "v": version_id},
        )


def _sealed(value):
    if not hashformat.present(value):
        return None, None
    salt = secrets.token_hex(16)
    return salt, hashformat.field_digest(salt, value)


def _chain_exemptions() -> None:
    """Append every existing exemption's grant (and end) to the chain, in time order."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT e.id, e.staff_id, e.requirement_kind, e.requirement_id, e.reason, e.until,"
            " e.granted_by, e.granted_at, e.ended_at, e.ended_by, s.external_id, s.full_name,"
            " COALESCE(p.slug, c.slug)"
            " FROM smattest_exemption e JOIN smattest_staff s ON s.id = e.staff_id"
            " LEFT JOIN smattest_policy p ON e.requirement_kind = 'policy'"
            "  AND p.id = e.requirement_id"
            " LEFT JOIN smattest_course c ON e.requirement_kind = 'course'"
            "  AND c.id = e.requirement_id"
        )
    ).all()
    if not rows:
        return
    utc = smattest.db.UTCDateTime()
    dialect = conn.dialect
    events = []
    for row in rows:
        granted_at = utc.process_result_value(row[7], dialect)
        events.append((granted_at, 0, row))
        if row[8] is not None:
            events.append((utc.process_result_value(row[8], dialect), 1, row))
    events.sort(key=lambda e: (e[0], e[2][0], e[1]))
    seq, last_hash = conn.execute(
        sa.text("SELECT last_seq, last_hash FROM smattest_chain_head WHERE id = 1")
    ).one()
    for at, is_end, row in events:
        (exemption_id, staff_id, kind, requirement_id, reason, until, granted_by, _, _,
         ended_by, employee_id, full_name, slug) = row  # fmt: skip
        seq += 1
        name_salt, name_sha = _sealed(full_name)
        fields = {
            "format": 2, "kind": "exemption_end" if is_end else "exemption_grant", "seq": seq,
            "prev_hash": last_hash, "at": at, "staff_id": staff_id, "employee_id": employee_id,
            "full_name_sha256": name_sha, "requirement_kind": kind,
            "requirement_id": requirement_id, "requirement_slug": slug,
            "recorded_by": ended_by if is_end else granted_by,
        }  # fmt: skip
        common = {"seq": seq, "prev": last_hash, "format": 2, "employee_id": employee_id,
                  "full_name": full_name, "name_salt": name_salt, "name_sha": name_sha,
                  "slug": slug}  # fmt: skip
        if is_end:
            fields["exemption_id"] = exemption_id
            last_hash = hashformat.format_2_hash(fields)
            conn.execute(
                sa.text(
                    "INSERT INTO smattest_exemption_end (chain_seq, exemption_id, staff_id,"
                    " requirement_kind, requirement_id, ended_at, ended_by, prev_hash,"
                    " record_hash, format, employee_id, full_name, full_name_salt,"
                    " full_name_sha256, requirement_slug) VALUES (:seq, :exemption, :staff,"
                    " :kind, :requirement, :at, :by, :prev, :hash, :format, :employee_id,"
                    " :full_name, :name_salt, :name_sha, :slug)"
                ).bindparams(sa.bindparam("at", type_=utc)),
                {**common, "exemption": exemption_id, "staff": staff_id, "kind": kind,
                 "requirement": requirement_id, "at": at, "by": ended_by, "hash": last_hash},
            )  # fmt: skip
        else:
            reason_salt, reason_sha = _sealed(reason)
            fields.update(reason_sha256=reason_sha, until=until)
            last_hash = hashformat.format_2_hash(fields)
            conn.execute(
                sa.text(
                    "UPDATE smattest_exemption SET chain_seq = :seq, prev_hash = :prev,"
                    " record_hash = :hash, format = :format, employee_id = :employee_id,"
                    " full_name = :full_name, full_name_salt = :name_salt,"
                    " full_name_sha256 = :name_sha, requirement_slug = :slug,"
                    " reason_salt = :reason_salt, reason_sha256 = :reason_sha WHERE id = :id"
                ),
                {**common, "hash": last_hash, "reason_salt": reason_salt,
                 "reason_sha": reason_sha, "id": exemption_id},
            )  # fmt: skip
    conn.execute(
        sa.text("UPDATE smattest_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
        {"seq": seq, "hash": last_hash},
    )


def downgrade() -> None:
    op.drop_table("smattest_checkpoint")
    op.drop_table("smattest_exemption_end")  # its index goes with it
    with op.batch_alter_table("smattest_course_version") as batch_op:
        batch_op.drop_column("stored_sha256")
    with op.batch_alter_table("smattest_exemption") as batch_op:
        batch_op.drop_constraint("uq_smattest_exemption_record_hash", type_="unique")
        batch_op.drop_constraint("uq_smattest_exemption_chain_seq", type_="unique")
        for name in ("record_hash", "prev_hash", "chain_seq", "reason_sha256", "reason_salt"):
            batch_op.drop_column(name)
        for name, _, _ in reversed(AT_THE_TIME):
            batch_op.drop_column(name)
    with op.batch_alter_table("smattest_training_completion") as batch_op:
        for name in ("version_number", "reason_sha256", "reason_salt"):
            batch_op.drop_column(name)
        for name, _, _ in reversed(AT_THE_TIME):
            batch_op.drop_column(name)
    with op.batch_alter_table("smattest_attestation") as batch_op:
        batch_op.drop_column("version_number")
        for name, _ in reversed(SEALED_REASON + SEALED_DEVICE):
            batch_op.drop_column(name)
        for name, _, _ in reversed(AT_THE_TIME):
            batch_op.drop_column(name)
