"""the due-date table: each person's due date per requirement, for the HR pages

A cache of the rule, kept in the same transaction as every change that moves
a due date; empty after this migration, it is built on the first read (or by
``flask smattest compliance check --rebuild``).

Revision ID: 0005_due_dates
Revises: 0004_audiences_lifecycle
Create Date: 2026-11-30 09:20:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0005_due_dates"
down_revision = "0004_audiences_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smattest_due",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("requirement_kind", sa.String(length=16), nullable=False),
        sa.Column("requirement_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("exempt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("exempt_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["smattest_staff.id"],
            name=op.f("fk_smattest_due_staff_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "staff_id", "requirement_kind", "requirement_id", name=op.f("pk_smattest_due")
        ),
    )
    op.create_index(
        "ix_smattest_due_requirement",
        "smattest_due",
        ["requirement_kind", "requirement_id", "due_on"],
    )
    op.create_table(
        "smattest_due_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=True),
        sa.Column("settings", sa.String(length=255), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_due_state")),
    )
    op.execute(
        sa.text("INSERT INTO smattest_due_state (id, computed_on, settings) VALUES (1, NULL, '')")
    )


def downgrade() -> None:
    op.drop_table("smattest_due_state")
    op.drop_index("ix_smattest_due_requirement", table_name="smattest_due")
    op.drop_table("smattest_due")
