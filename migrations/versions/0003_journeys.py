"""quiz draws and daily attempts: questions per attempt, attempts per day, topics, sections

A course version may ask fewer questions than it has (drawn per attempt,
balanced by topic) and allows a number of failed attempts a day; each
question may name its topic and the section that teaches it.

Revision ID: 0003_journeys
Revises: 0003_evidence
Create Date: 2026-11-30 06:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_journeys"
down_revision = "0003_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_course_version") as batch:
        batch.add_column(sa.Column("questions_per_attempt", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False)
        )
    with op.batch_alter_table("smattest_question") as batch:
        batch.add_column(sa.Column("topic", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("section", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smattest_question") as batch:
        batch.drop_column("section")
        batch.drop_column("topic")
    with op.batch_alter_table("smattest_course_version") as batch:
        batch.drop_column("max_attempts")
        batch.drop_column("questions_per_attempt")
