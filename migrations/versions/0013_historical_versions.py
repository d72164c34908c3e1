"""historical versions: past policy and course versions, and paper signed on an earlier day

A policy or course version in force before smattest is recorded after the
fact with its source (``historical_source``; a course version also keeps
when and by whom it was recorded, as its ``created_at`` is the day it took
effect). An on-behalf attestation signed on paper on an earlier day keeps
the day HR recorded it (``recorded_at``). Nullable columns: existing rows
are versions published in smattest and signatures recorded as they were
given (issue 21).

Revision ID: 0013_historical_versions
Revises: 0012_checkpoint_roots
Create Date: 2026-12-07 14:40:00
"""

import sqlalchemy as sa
from alembic import op

from smattest.db import UTCDateTime

revision = "0013_historical_versions"
down_revision = "0012_checkpoint_roots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_policy_version") as batch:
        batch.add_column(sa.Column("historical_source", sa.String(length=500), nullable=True))
    with op.batch_alter_table("smattest_course_version") as batch:
        batch.add_column(sa.Column("historical_source", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("recorded_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("recorded_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("smattest_attestation") as batch:
        batch.add_column(sa.Column("recorded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smattest_attestation") as batch:
        batch.drop_column("recorded_at")
    with op.batch_alter_table("smattest_course_version") as batch:
        batch.drop_column("recorded_by")
        batch.drop_column("recorded_at")
        batch.drop_column("historical_source")
    with op.batch_alter_table("smattest_policy_version") as batch:
        batch.drop_column("historical_source")
