"""nudges: who asked for a reminder sent now

HR's "Remind these people now" (and ``flask smattest reminders nudge``) plans
outbox rows of stage ``nudge``, one per person per day by the outbox's unique
key; ``requested_by`` names who asked, for the reminders log. Empty for every
other row.

Revision ID: 0009_nudges
Revises: 0008_due_marks
Create Date: 2026-12-07 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_nudges"
down_revision = "0008_due_marks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_reminder") as batch:
        batch.add_column(sa.Column("requested_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smattest_reminder") as batch:
        batch.drop_column("requested_by")
