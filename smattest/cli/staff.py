"""``flask smattest staff ...``: keep one person one record when their id changes."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import AppGroup

import smattest.evidence.relink as relink
import smattest.people.identity as identity

from ..timeutil import to_local


@click.group("staff", cls=AppGroup)
def staff_cli() -> None:
    """People's records: link a record to a person's new id, list refused sign-ins."""


def _who() -> str:
    """``cli:<account>``: the command's actor, as HR events and evidence name it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no account name in a bare container
        return "cli"


@staff_cli.command("relink")
@click.argument("old_id", required=False)
@click.argument("new_id", required=False)
@click.option("--reason", required=True, help='Why, for the evidence, e.g. "HR system renumbered".')
@click.option(
    "--file",
    "path",
    metavar="MAP.csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Many changes at once: a CSV with the columns old_id and new_id.",
)
@click.option(
    "--actor",
    default=None,
    help="Who is making the change, recorded in the evidence (default: cli:<your account>).",
)
def staff_relink(
    old_id: str | None, new_id: str | None, reason: str, path: Path | None, actor: str | None
) -> None:
    """Link a person's record to their new id: OLD_ID NEW_ID, or --file MAP.csv.

    \b
    Use it when the id the intranet signs people in by changes (SMATTEST_USER_ID,
    the roster's employee_id): the person keeps their record and all their
    evidence, and the change itself is added to the evidence chain (who, when,
    why, old id and new id), so 'flask smattest audit verify' accounts for it.
    With --file, every line is checked first; with any problem nothing changes
    and each problem is listed with its line. A new id already held by a record
    with nothing recorded (made by a roster import or a visit) is folded into
    the person's record; one with evidence of its own is refused. The actor
    given is recorded and not judged: IT runs this on the server.
    """
    if path is not None and (old_id or new_id):
        raise click.UsageError("Give OLD_ID NEW_ID or --file MAP.csv, not both.")
    try:
        if path is not None:
            changes = relink.read_map(path.read_bytes())
        elif old_id and new_id:
            changes = [relink.Change(old_id.strip(), new_id.strip())]
        else:
            raise click.UsageError("Give OLD_ID NEW_ID, or --file MAP.csv.")
        links = relink.relink(changes, reason, actor or _who(), judged=False)
    except relink.RelinkError as error:
        count = len(error.problems)
        source = f"{path} has" if path is not None else "there"
        click.echo(
            f"Nothing changed: {source} {count} problem{'s' if count != 1 else ''}:", err=True
        )
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    for link in links:
        click.echo(f"  {link.old_external_id} -> {link.new_external_id}  {link.staff.full_name}")
    click.echo(f"Done: {len(links)} record{'s' if len(links) != 1 else ''} linked to a new id.")


@staff_cli.command("unlinked")
def staff_unlinked() -> None:
    """List first sign-ins refused because their email belongs to a person under another id."""
    rows = identity.unlinked_sign_ins()
    if not rows:
        click.echo("No refused sign-ins.")
        return
    for row in rows:
        click.echo(
            f"  {row.external_id}  <{row.email}>  is {row.staff.full_name} "
            f"(id {row.staff.external_id})?  {row.visits} visit(s), last "
            f"{to_local(row.last_seen_at):%Y-%m-%d %H:%M}\n"
            f"    if so: flask smattest staff relink {row.staff.external_id} "
            f"{row.external_id} --reason TEXT"
        )
    click.echo("Or link each from the person's page in HR.")
