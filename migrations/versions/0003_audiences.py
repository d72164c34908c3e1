"""roster groups, placement history, dated audiences

Staff gain roster groups; every change of a person's department or groups is
kept as a dated placement, and every policy's or course's audience as a dated
change, so that a past day is judged by that day's audience. Existing staff
get one placement holding what they have now.

Revision ID: 0003_audiences
Revises: 0003_journeys
Create Date: 2026-11-30 06:30:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0003_audiences"
down_revision = "0003_journeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_staff") as batch:
        batch.add_column(sa.Column("groups", sa.String(length=500), nullable=True))
    op.create_table(
        "smattest_placement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("department", sa.String(length=120), nullable=True),
        sa.Column("groups", sa.String(length=500), nullable=True),
        sa.Column("recorded_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_placement_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_placement")),
    )
    op.create_index("ix_smattest_placement_staff", "smattest_placement", ["staff_id", "since"])
    op.create_table(
        "smattest_audience",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_kind", sa.String(length=10), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", smattest.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_audience")),
    )
    op.create_index(
        "ix_smattest_audience_requirement",
        "smattest_audience",
        ["requirement_kind", "requirement_id", "since"],
    )
    staff = sa.table(
        "smattest_staff", sa.column("id"), sa.column("department"), sa.column("updated_at")
    )
    placement = sa.table(
        "smattest_placement",
        sa.column("staff_id"),
        sa.column("department"),
        sa.column("recorded_at"),
    )
    op.execute(
        placement.insert().from_select(
            ["staff_id", "department", "recorded_at"],
            sa.select(staff.c.id, staff.c.department, staff.c.updated_at),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_smattest_audience_requirement", table_name="smattest_audience")
    op.drop_table("smattest_audience")
    op.drop_table("smattest_placement")  # its index goes with it (MariaDB needs it for the FK)
    with op.batch_alter_table("smattest_staff") as batch:
        batch.drop_column("groups")
