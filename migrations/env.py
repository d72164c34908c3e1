"""Alembic environment for smattest's own tables (see smattest.migrate)."""

from alembic import context

import smattest.models  # noqa: F401  (fills the metadata)
from smattest.db import metadata
from smattest.migrate import VERSION_TABLE, is_smattest_table


def include_object(object, name, type_, reflected, compare_to):  # noqa: A002
    """Only smattest's tables: the host's share the database but not the history."""
    if type_ == "table":
        return is_smattest_table(name)
    return True


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            include_object=include_object,
            compare_type=True,
            # SQLite cannot ALTER most things in place: copy-and-move batches.
            render_as_batch=connection.dialect.name == "sqlite",
            user_module_prefix="smattest.db.",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("smattest's migrations run online only: flask smattest db upgrade")
run_migrations_online()
