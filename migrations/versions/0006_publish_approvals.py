"""approvals of policy drafts before publishing (SMATTEST_PUBLISH_APPROVALS)

One row per HR user approving a draft's text; a save of the draft removes
them, publishing or discarding the draft removes them with it.

Revision ID: 0006_publish_approvals
Revises: 0005_due_dates
Create Date: 2026-12-07 05:30:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0006_publish_approvals"
down_revision = "0005_due_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smattest_draft_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(length=64), nullable=False),
        sa.Column("approved_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["smattest_policy_draft.id"],
            name=op.f("fk_smattest_draft_approval_draft_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_draft_approval")),
        sa.UniqueConstraint(
            "draft_id", "approver", name=op.f("uq_smattest_draft_approval_draft_id_approver")
        ),
    )


def downgrade() -> None:
    op.drop_table("smattest_draft_approval")
