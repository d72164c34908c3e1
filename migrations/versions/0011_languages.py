"""languages: the language each person reads smattest in

``smattest_staff.language`` holds a language tag (``es``, ``es_MX``) from the
roster's ``language`` column or the host's user field; empty for everyone
until then, who keep reading the browser's language (pages) and
``SMATTEST_DEFAULT_LOCALE`` (mails).

Revision ID: 0011_languages
Revises: 0010_signature_once
Create Date: 2026-12-07 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_languages"
down_revision = "0010_signature_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("smattest_staff") as batch:
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("smattest_staff") as batch:
        batch.drop_column("language")
