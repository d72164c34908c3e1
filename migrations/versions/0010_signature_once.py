"""signature once: the signing form's token, unique per person

A double click or a retried POST of the same signing form sent the same
token twice; the database now refuses the second row, in or out of the
policy's audience (issue 24). The token is not hashed into the evidence:
older rows and rows not signed in a form leave it empty.

Revision ID: 0010_signature_once
Revises: 0009_nudges
Create Date: 2026-12-07 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_signature_once"
down_revision = "0009_nudges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_attestation") as batch:
        batch.add_column(sa.Column("submission", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(
            "uq_smattest_attestation_submission", ["staff_id", "submission"]
        )


def downgrade() -> None:
    with op.batch_alter_table("smattest_attestation") as batch:
        batch.drop_constraint("uq_smattest_attestation_submission", type_="unique")
        batch.drop_column("submission")
