"""the due-date table's requirement marks; its rows without a foreign key to staff

A version, an audience change, a retirement, or a bulk statement on a watched
table no longer rewrites the due-date table in its own transaction: it leaves
a row here (``*``/0 for everyone), settled by the next settle, as a person's
change leaves one in ``smattest_due_pending``.

Revision ID: 0008_due_marks
Revises: 0007_trend_weeks
Create Date: 2026-12-07 05:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_due_marks"
down_revision = "0007_trend_weeks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The due-date table's rows no longer check their person by a foreign key: a settle
    # writing them would lock people's rows, and wait on those a roster import holds.
    with op.batch_alter_table("smattest_due") as batch:
        batch.drop_constraint("fk_smattest_due_staff_id", type_="foreignkey")
    op.create_table(
        "smattest_due_pending_requirement",
        sa.Column("requirement_kind", sa.String(length=16), nullable=False),
        sa.Column("requirement_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint(
            "requirement_kind", "requirement_id", name=op.f("pk_smattest_due_pending_requirement")
        ),
    )


def downgrade() -> None:
    op.drop_table("smattest_due_pending_requirement")
    with op.batch_alter_table("smattest_due") as batch:
        batch.create_foreign_key(
            "fk_smattest_due_staff_id", "smattest_staff", ["staff_id"], ["id"], ondelete="CASCADE"
        )
