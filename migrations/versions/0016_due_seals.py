"""due seals: a keyed hash on each row of the due-date table

Each row of ``smattest_due`` gains ``seal``: BLAKE2b, keyed with a secret from
the app's configuration (``SMATTEST_SEAL_KEY``, or derived from
``SECRET_KEY``), over the row's other columns (issue 22), and the state row
(``smattest_due_state``) gains ``row_count``, ``digest`` (the XOR of the rows'
secret shares, masked), its ``nonce`` and their ``seal``, so that a row deleted,
swapped or put back in an earlier sealed state by hand is noticed too. Readers
sweep the table before trusting it and answer from the evidence while any row
fails its seal. Rows already in the table have none: the migration marks
everyone pending (``("*", 0)``), so the next settle rebuilds the table and seals
every row and the state (the settings stored with the table now name the key
too, which would rebuild it anyway).

Revision ID: 0016_due_seals
Revises: 0015_version_records
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_due_seals"
down_revision = "0015_version_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("smattest_due", sa.Column("seal", sa.String(64), nullable=True))
    op.add_column("smattest_due_state", sa.Column("row_count", sa.Integer(), nullable=True))
    op.add_column("smattest_due_state", sa.Column("digest", sa.String(64), nullable=True))
    op.add_column("smattest_due_state", sa.Column("nonce", sa.String(32), nullable=True))
    op.add_column("smattest_due_state", sa.Column("seal", sa.String(64), nullable=True))
    op.execute(
        "INSERT INTO smattest_due_pending_requirement (requirement_kind, requirement_id, token) "
        "SELECT '*', 0, 'migration-0016' FROM smattest_due_state WHERE id = 1 AND NOT EXISTS "
        "(SELECT 1 FROM smattest_due_pending_requirement "
        "WHERE requirement_kind = '*' AND requirement_id = 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("smattest_due_state") as batch:
        batch.drop_column("seal")
        batch.drop_column("nonce")
        batch.drop_column("digest")
        batch.drop_column("row_count")
    with op.batch_alter_table("smattest_due") as batch:
        batch.drop_column("seal")
