"""checkpoints carry the Merkle root over the chain (v2 checkpoint lines)

A checkpoint's root is the RFC 9162 Merkle tree hash over the record hashes of
positions 1..position: a receipt's inclusion proof leads to it, and the next
checkpoint's consistency proof starts from it. Checkpoints taken before keep
no root (their v1 lines still verify by position and hash).

Revision ID: 0012_checkpoint_roots
Revises: 0011_languages
Create Date: 2026-12-07 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_checkpoint_roots"
down_revision = "0011_languages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_checkpoint") as batch:
        batch.add_column(sa.Column("root", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smattest_checkpoint") as batch:
        batch.drop_column("root")
