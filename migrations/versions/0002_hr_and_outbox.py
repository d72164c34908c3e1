"""outbox claims, HR summary, policy drafts, HR events

Reminder rows learn which run claimed them and where the mail went; HR's
weekly summary gets its own once-a-week outbox; HR writes policy drafts; HR's
acts are logged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 14:31:33.218795
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smattest_hr_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claimed_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("sent_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_hr_summary")),
        sa.UniqueConstraint("week_start", name=op.f("uq_smattest_hr_summary_week_start")),
    )
    op.create_table(
        "smattest_hr_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_hr_event_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_hr_event")),
    )
    op.create_index("ix_smattest_hr_event_staff", "smattest_hr_event", ["staff_id", "at"])

    op.create_table(
        "smattest_policy_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=80), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("requires_reattestation", sa.Boolean(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["smattest_policy.id"], name=op.f("fk_smattest_policy_draft_policy_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_policy_draft")),
    )
    with op.batch_alter_table("smattest_reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("recipient", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smattest_reminder", schema=None) as batch_op:
        batch_op.drop_column("recipient")
        batch_op.drop_column("claim_token")

    op.drop_table("smattest_policy_draft")
    # Dropping the table drops its index (MariaDB refuses to drop it first: the FK needs it).
    op.drop_table("smattest_hr_event")
    op.drop_table("smattest_hr_summary")
