"""version records: past versions in the evidence chain

A policy or course version in force before smattest, recorded after the fact
(``--historical SOURCE``), is now a row of the evidence chain
(``smattest_version_record``, format 5): its hash covers who recorded the
version, when, from what source, its effective date and the SHA-256 of its
text or content, as the version's own table holds them (issue 21). Past
versions recorded before this revision (unreleased: since 0013) have no
record; ``audit verify`` names them.

Revision ID: 0015_version_records
Revises: 0014_chain_positions
Create Date: 2026-12-07 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_version_records"
down_revision = "0014_chain_positions"
branch_labels = None
depends_on = None

TABLE = "smattest_version_record"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("chain_table", sa.String(40), nullable=False, server_default=TABLE),
        sa.Column("format", sa.Integer(), nullable=False, server_default="5"),
        sa.Column("requirement_kind", sa.String(10), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=True),
        sa.Column("course_version_id", sa.Integer(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["smattest_course_version.id"],
            name=op.f(f"fk_{TABLE}_course_version_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("chain_seq", name=op.f(f"uq_{TABLE}_chain_seq")),
        sa.UniqueConstraint("record_hash", name=op.f(f"uq_{TABLE}_record_hash")),
        sa.UniqueConstraint("policy_version_id", name=op.f(f"uq_{TABLE}_policy_version_id")),
        sa.UniqueConstraint("course_version_id", name=op.f(f"uq_{TABLE}_course_version_id")),
    )


def downgrade() -> None:
    op.drop_table(TABLE)
