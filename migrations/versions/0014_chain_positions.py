"""chain positions: one owner per position; exemption ends bound to their grant; due checks

Every evidence row now references its chain position in
``smattest_chain_position`` (primary key: the position), with its
``chain_table`` fixed to its own table by a CHECK constraint, so the database
refuses a second row at a taken position, in any evidence table (issue 22).
The upgrade fills the positions from the rows already there; a chain with a
position held by two rows (a forgery ``audit verify`` names) is refused, with
the positions named.

Exemption ends get ``grant_seq`` (the grant's chain position) and
``grant_hash``: ends written from now on (format 4) hash both; for older ends
``grant_seq`` is copied from the grant their ``exemption_id`` names (not
hashed; ``audit verify`` checks it against that grant).

``smattest_due_check`` keeps each run of ``compliance check``, for HR's banner.

Revision ID: 0014_chain_positions
Revises: 0013_historical_versions
Create Date: 2026-12-07 15:00:00
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0014_chain_positions"
down_revision = "0013_historical_versions"
branch_labels = None
depends_on = None

#: Every evidence table, each of whose rows holds one chain position.
CHAINED = (
    "smattest_attestation",
    "smattest_training_completion",
    "smattest_exemption",
    "smattest_exemption_end",
    "smattest_identity_link",
)


def _positions_held(table: str) -> sa.Select:  # type: ignore[type-arg]
    """The chain positions the rows of an evidence table hold."""
    seq = sa.column("chain_seq", sa.Integer())
    return sa.select(seq).select_from(sa.table(table, seq)).where(seq.is_not(None))


def upgrade() -> None:
    conn = op.get_bind()
    held = sa.union_all(*(_positions_held(table) for table in CHAINED)).subquery()
    shared = conn.execute(
        sa.select(held.c.chain_seq).group_by(held.c.chain_seq).having(sa.func.count() > 1)
    ).scalars().all()[:20]  # fmt: skip
    if shared:
        raise RuntimeError(
            "smattest cannot upgrade: chain positions "
            + ", ".join(str(seq) for seq in shared)
            + " are each held by more than one evidence row (rows added outside smattest; "
            "'flask smattest audit verify' names them). Resolve them with your auditor first."
        )
    op.create_table(
        "smattest_chain_position",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tbl", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_smattest_chain_position")),
        sa.UniqueConstraint("seq", "tbl", name=op.f("uq_smattest_chain_position_seq_tbl")),
    )
    positions = sa.table("smattest_chain_position", sa.column("seq"), sa.column("tbl"))
    for table in CHAINED:
        owned = _positions_held(table).add_columns(sa.literal(table, sa.String(40)))
        conn.execute(positions.insert().from_select(["seq", "tbl"], owned))
    for table in CHAINED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("chain_table", sa.String(40), nullable=False, server_default=table)
            )
            batch.create_check_constraint(
                op.f(f"ck_{table}_chain_table"), sa.text(f"chain_table = '{table}'")
            )
            batch.create_foreign_key(
                op.f(f"fk_{table}_chain_seq"),
                "smattest_chain_position",
                ["chain_seq", "chain_table"],
                ["seq", "tbl"],
            )
    with op.batch_alter_table("smattest_exemption_end") as batch:
        batch.add_column(sa.Column("grant_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("grant_hash", sa.String(64), nullable=True))
        batch.create_index("ix_smattest_exemption_end_grant_seq", ["grant_seq"])
    conn.execute(
        sa.text(
            "UPDATE smattest_exemption_end SET grant_seq = (SELECT g.chain_seq FROM"
            " smattest_exemption g WHERE g.id = smattest_exemption_end.exemption_id)"
        )
    )
    op.create_table(
        "smattest_due_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("sent_to", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_due_check")),
    )
    op.create_index("ix_smattest_due_check_checked_at", "smattest_due_check", ["checked_at"])


def downgrade() -> None:
    op.drop_index("ix_smattest_due_check_checked_at", table_name="smattest_due_check")
    op.drop_table("smattest_due_check")
    with op.batch_alter_table("smattest_exemption_end") as batch:
        batch.drop_index("ix_smattest_exemption_end_grant_seq")
        batch.drop_column("grant_hash")
        batch.drop_column("grant_seq")
    for table in CHAINED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_chain_seq"), type_="foreignkey")
            batch.drop_constraint(op.f(f"ck_{table}_chain_table"), type_="check")
            batch.drop_column("chain_table")
    op.drop_table("smattest_chain_position")
