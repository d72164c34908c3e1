"""smattest's own Alembic environment, run by ``flask smattest db ...``.

smattest keeps its migration history in ``smattest_alembic_version``, so a
host's ``alembic_version`` (Flask-Migrate, Flask-Alembic or plain Alembic) is
never read or written. Hosts that autogenerate their own migrations use
:func:`include_object` to keep smattest's tables out of them.
"""

from __future__ import annotations

import sys
from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlalchemy.schema import SchemaItem

#: smattest's Alembic version table, beside (never instead of) the host's.
VERSION_TABLE = "smattest_alembic_version"
TABLE_PREFIX = "smattest_"


def is_smattest_table(name: str | None) -> bool:
    """Whether a table name belongs to smattest (its version table included)."""
    return name is not None and name.startswith(TABLE_PREFIX)


def include_object(
    object: SchemaItem,  # noqa: A002 (Alembic's names)
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: SchemaItem | None,
) -> bool:
    """For a host's Flask-Migrate / Alembic: leave smattest's tables alone.

    ``Migrate(app, db, include_object=smattest.include_object)``; a host with
    its own hook calls this one first and returns False when it does.
    """
    if type_ == "table":
        return not is_smattest_table(name)
    table = getattr(object, "table", None)
    return not is_smattest_table(getattr(table, "name", None))


def alembic_config(engine: Engine) -> Config:
    """An Alembic config for smattest's migrations against ``engine``."""
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(files("smattest.migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate smattest's tables up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate smattest's tables down to ``revision`` (``base`` removes them all)."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision smattest's tables are at, or None before the first upgrade."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision(engine: Engine) -> str:
    """The newest revision smattest ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if head is None:
        raise RuntimeError("smattest's migrations directory has no revisions")
    return head
