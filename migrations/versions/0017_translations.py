"""translations: policy versions in several languages, signed in the language read

``smattest_policy_translation`` holds a published policy version's text in
another language: a row of the evidence chain (format 6, kind
``translation``), whose hash covers its language, who added it and when, and
the SHA-256 of its Markdown as stored. ``smattest_attestation.language`` is the
language of the text a person read and signed (format 6 hashes it, with the
SHA-256 of that text); empty for attestations recorded before, which signed
the original. ``smattest_policy_draft.translations`` holds a draft's
translations (a JSON object of language to Markdown), published with it.
Course versions, sections and questions carry their translations (JSON), and
quiz attempts and training completions the language they were taken in
(format 6 hashes a completion's).

Revision ID: 0017_translations
Revises: 0016_due_seals
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

from smattest.db import UTCDateTime

revision = "0017_translations"
down_revision = "0016_due_seals"
branch_labels = None
depends_on = None

TABLE = "smattest_policy_translation"
#: Course content that carries its translations (JSON), and the rows that record the
#: language a course was taken in.
COURSE_CONTENT = ("smattest_course_version", "smattest_course_section", "smattest_question")
TAKEN_IN = ("smattest_quiz_attempt", "smattest_training_completion")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("chain_table", sa.String(40), nullable=False, server_default=TABLE),
        sa.Column("format", sa.Integer(), nullable=False, server_default="6"),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.CheckConstraint(f"chain_table = '{TABLE}'", name=op.f(f"ck_{TABLE}_chain_table")),
        sa.ForeignKeyConstraint(
            ["chain_seq", "chain_table"],
            ["smattest_chain_position.seq", "smattest_chain_position.tbl"],
            name=op.f(f"fk_{TABLE}_chain_seq"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["smattest_policy_version.id"],
            name=op.f(f"fk_{TABLE}_policy_version_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("chain_seq", name=op.f(f"uq_{TABLE}_chain_seq")),
        sa.UniqueConstraint("record_hash", name=op.f(f"uq_{TABLE}_record_hash")),
        sa.UniqueConstraint(
            "policy_version_id", "language", name=op.f(f"uq_{TABLE}_policy_version_id_language")
        ),
    )
    with op.batch_alter_table("smattest_attestation") as batch:
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))
    with op.batch_alter_table("smattest_policy_draft") as batch:
        batch.add_column(sa.Column("translations", sa.Text(), nullable=True))
    for table in COURSE_CONTENT:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("translations", sa.Text(), nullable=True))
    for table in TAKEN_IN:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))


def downgrade() -> None:
    for table in TAKEN_IN:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("language")
    for table in COURSE_CONTENT:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("translations")
    with op.batch_alter_table("smattest_policy_draft") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("smattest_attestation") as batch:
        batch.drop_column("language")
    op.drop_table(TABLE)
