"""HR's weekly trend: the rule's counts per requirement on past days, cached

A cache of ``report status --as-of`` counts, never evidence: empty after this
migration, filled by the dashboard's trend job or the trend export.

Revision ID: 0007_trend_weeks
Revises: 0006_publish_approvals
Create Date: 2026-12-07 05:40:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0007_trend_weeks"
down_revision = "0006_publish_approvals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smattest_trend_week",
        sa.Column("requirement_kind", sa.String(length=16), nullable=False),
        sa.Column("requirement_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("week_ending", sa.Date(), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("due_soon", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("exempt", sa.Integer(), nullable=False),
        sa.Column("evidence_seq", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("computed_at", smattest.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "requirement_kind", "requirement_id", "week_ending", name=op.f("pk_smattest_trend_week")
        ),
    )


def downgrade() -> None:
    op.drop_table("smattest_trend_week")
