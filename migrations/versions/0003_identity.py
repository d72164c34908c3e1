"""id changes as evidence, refused sign-ins for HR

A person's record can be linked to a new id (``smattest_identity_link``, a row
of the evidence chain); a first visit under a new id with a known email is
refused and kept for HR (``smattest_unlinked_sign_in``).

Revision ID: 0003_identity
Revises: 0002
Create Date: 2026-11-30 06:40:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0003_identity"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smattest_identity_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("old_external_id", sa.String(length=64), nullable=False),
        sa.Column("new_external_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("linked_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_identity_link_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_identity_link")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_smattest_identity_link_chain_seq")),
        sa.UniqueConstraint("record_hash", name=op.f("uq_smattest_identity_link_record_hash")),
    )
    for column in ("new_external_id", "old_external_id", "staff_id"):
        op.create_index(
            op.f(f"ix_smattest_identity_link_{column}"), "smattest_identity_link", [column]
        )
    op.create_table(
        "smattest_unlinked_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("first_seen_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_unlinked_sign_in_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_unlinked_sign_in")),
        sa.UniqueConstraint("external_id", name=op.f("uq_smattest_unlinked_sign_in_external_id")),
    )
    op.create_index(
        op.f("ix_smattest_unlinked_sign_in_staff_id"), "smattest_unlinked_sign_in", ["staff_id"]
    )


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop them first: the FKs need them).
    op.drop_table("smattest_unlinked_sign_in")
    op.drop_table("smattest_identity_link")
