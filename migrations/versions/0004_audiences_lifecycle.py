"""retired policies and courses, withdrawn versions, announcements, policy owners and
reviews, roster-managed staff

A policy or a course can be retired from a day with a reason; a scheduled
policy version can be withdrawn before it takes effect; each person in a
material version's audience gets one announcement, through its own outbox;
a person listed by a roster import keeps the roster's fields over the profile's.

Revision ID: 0004_audiences_lifecycle
Revises: 0003_audiences
Create Date: 2026-11-30 06:40:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0004_audiences_lifecycle"
down_revision = "0003_audiences"
branch_labels = None
depends_on = None

RETIRING = ("smattest_policy", "smattest_course")


def upgrade() -> None:
    with op.batch_alter_table("smattest_staff") as batch:
        batch.add_column(
            sa.Column("roster_managed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    for table in RETIRING:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
            batch.add_column(sa.Column("retired_reason", sa.Text(), nullable=True))
            batch.add_column(sa.Column("retired_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("smattest_policy") as batch:
        batch.add_column(sa.Column("owner_email", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("review_on", sa.Date(), nullable=True))
    op.create_table(
        "smattest_version_withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["smattest_policy_version.id"],
            name=op.f("fk_smattest_version_withdrawal_policy_version_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_version_withdrawal")),
        sa.UniqueConstraint(
            "policy_version_id", name=op.f("uq_smattest_version_withdrawal_policy_version_id")
        ),
    )
    op.create_table(
        "smattest_announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claimed_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("recipient", sa.String(length=255), nullable=True),
        sa.Column("sent_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_announcement_staff_id")
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["smattest_policy_version.id"],
            name=op.f("fk_smattest_announcement_policy_version_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_announcement")),
        sa.UniqueConstraint("staff_id", "policy_version_id", name="uq_smattest_announcement"),
    )
    op.create_index(
        "ix_smattest_announcement_due", "smattest_announcement", ["status", "next_attempt_at"]
    )
    op.create_table(
        "smattest_review_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claimed_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("recipient", sa.String(length=255), nullable=True),
        sa.Column("sent_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["smattest_policy.id"], name=op.f("fk_smattest_review_notice_policy_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_review_notice")),
        sa.UniqueConstraint("policy_id", "review_on", "stage", name="uq_smattest_review_notice"),
    )


def downgrade() -> None:
    op.drop_table("smattest_review_notice")
    op.drop_index("ix_smattest_announcement_due", table_name="smattest_announcement")
    op.drop_table("smattest_announcement")
    with op.batch_alter_table("smattest_policy") as batch:
        batch.drop_column("review_on")
        batch.drop_column("owner_email")
    op.drop_table("smattest_version_withdrawal")
    for table in RETIRING:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("retired_by")
            batch.drop_column("retired_reason")
            batch.drop_column("retired_on")
    with op.batch_alter_table("smattest_staff") as batch:
        batch.drop_column("roster_managed")
