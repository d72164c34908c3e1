"""``flask smattest roster ...``: import the staff roster from a CSV file or the host."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import click

import smattest.roster as roster

from .params import Group, is_terminal

#: Below this many rows the work is quick and a progress bar would only flicker.
PROGRESS_FROM = 1000


@click.group("roster", cls=Group)
def roster_cli() -> None:
    """Import the staff roster: from a CSV file, or from the host (SMATTEST_ROSTER_SOURCE)."""


DRY_RUN = click.option("--dry-run", is_flag=True, help="Show every change; change nothing.")
PARTIAL = click.option(
    "--partial",
    is_flag=True,
    help="Only add and update people; nobody missing from the roster is deactivated.",
)


@roster_cli.command("import")
@click.argument(
    "path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@DRY_RUN
@PARTIAL
def roster_import(path: Path, dry_run: bool, partial: bool) -> None:
    """Import the staff roster from a CSV file (UTF-8), all of it or nothing.

    \b
    The header names the columns, in any order:
      employee_id    the id SMATTEST_USER_ID gives for the person (required)
      email          required
      full_name      required
      department     optional
      manager_email  optional; must be the email of someone in the file
      hire_date      optional; YYYY-MM-DD
      active         optional; true/false, yes/no, 1/0; empty means active

    Every row is checked first; with any problem nothing changes and each one
    is listed with its line. A full import (the default) makes the staff list
    match the file: people missing from it are deactivated (never deleted, and
    their records kept), people back in it are reactivated. Run with --dry-run
    first to see every change.
    """
    try:
        plan = roster.plan_csv(
            path.read_bytes(), partial=partial, source=path.name, progress=_progress
        )
    except roster.RosterError as error:
        _fail(f"Nothing imported: {path} has", error)
    _carry_out(plan, dry_run, action="roster.import")


@roster_cli.command("sync")
@DRY_RUN
@PARTIAL
def roster_sync(dry_run: bool, partial: bool) -> None:
    """Sync the staff roster from the host's SMATTEST_ROSTER_SOURCE, all of it or nothing.

    SMATTEST_ROSTER_SOURCE is a callable returning one dict per person, with
    the keys of the roster file's columns (see 'flask smattest roster import
    --help'). The same checks apply; problems name the record (counted from
    1). Run it from cron, e.g. nightly, after checking a --dry-run once.
    """
    try:
        plan = roster.plan_sync(partial=partial, progress=_progress)
    except roster.RosterError as error:
        _fail("Nothing synced: the roster has", error)
    _carry_out(plan, dry_run, action="roster.sync")


def _carry_out(plan: roster.Plan, dry_run: bool, *, action: str) -> None:
    kind = "partial (add and update only)" if plan.partial else "full"
    click.echo(f"Roster from {plan.source}, {kind}:")
    for group, count in plan.counts.items():
        click.echo(f"  {group:<12} {count}")
    if dry_run:
        _echo_changes(plan)
        click.echo("Dry run: nothing changed.")
        return
    try:
        roster.apply(plan, actor="cli", action=action, progress=_progress)
    except roster.RosterError as error:
        _fail("Nothing imported:", error)
    if plan.changed:
        click.echo(f"Done: {plan.changed} people added or changed.")
    else:
        click.echo("Done: nothing needed changing.")


def _echo_changes(plan: roster.Plan) -> None:
    for title, group in (
        ("New", plan.new),
        ("Updated", plan.updated),
        ("Deactivated", plan.deactivated),
        ("Reactivated", plan.reactivated),
    ):
        if not group:
            continue
        click.echo(f"{title}:")
        for change in group:
            click.echo(
                f"  {change.external_id}  {change.full_name} <{change.email or ''}>"
                f"{'  (' + change.where + ')' if change.where else ''}"
            )
            if title == "New":
                continue
            for field, (old, new) in change.changes.items():
                click.echo(f"      {field}: {roster.describe(old)} -> {roster.describe(new)}")


def _fail(lead: str, error: roster.RosterError) -> None:
    count = len(error.problems)
    click.echo(f"{lead} {count} problem{'s' if count != 1 else ''}:", err=True)
    for problem in error.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)


T = TypeVar("T")


def _progress(items: Iterable[T], length: int, label: str) -> Iterable[T]:
    if length < PROGRESS_FROM or not is_terminal():
        # A cron log gets no bar: the command's summary line says what was done.
        yield from items
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
        yield from bar
