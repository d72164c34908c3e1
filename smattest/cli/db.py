"""``flask smattest db ...``: smattest's own Alembic history."""

from __future__ import annotations

import click

import smattest.migrate as migrate

from ..proxies import current_smattest
from .params import Group


@click.group("db", cls=Group)
def db_cli() -> None:
    """Create and migrate smattest's tables (its own Alembic history)."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate smattest's tables up to REVISION (default: the newest)."""
    engine = current_smattest.engine
    migrate.upgrade(engine, revision)
    click.echo(f"smattest tables are at revision {migrate.current_revision(engine)}.")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Migrate smattest's tables down to REVISION (default: one step; 'base' removes them)."""
    engine = current_smattest.engine
    migrate.downgrade(engine, revision)
    click.echo(f"smattest tables are at revision {migrate.current_revision(engine) or 'base'}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the revision smattest's tables are at, and whether it is the newest."""
    engine = current_smattest.engine
    current = migrate.current_revision(engine)
    head = migrate.head_revision(engine)
    if current is None:
        click.echo("smattest tables are not created yet: run 'flask smattest db upgrade'.")
    elif current == head:
        click.echo(f"{current} (head)")
    else:
        click.echo(f"{current} (newest is {head}: run 'flask smattest db upgrade')")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option(
    "--autogenerate/--empty",
    default=True,
    help="Compare the models with the database (default) or write an empty script.",
)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration script (for smattest's developers)."""
    from alembic import command

    command.revision(
        migrate.alembic_config(current_smattest.engine),
        message=message,
        autogenerate=autogenerate,
    )
