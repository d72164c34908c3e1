"""``policy retire``, ``course retire``, ``policy withdraw``: a policy's life after publishing."""

from __future__ import annotations

import datetime as dt

import click

from ..publishing.lifecycle import LifecycleError, retire, withdraw_version
from .params import ISODate


def retire_command(kind: str) -> click.Command:
    """The ``retire`` command of the ``policy`` or ``course`` group."""

    @click.command(
        "retire",
        help=(
            f"Retire {kind} SLUG from a day (today or later): from then on nobody owes it and "
            "nobody is reminded; everything recorded stays readable, exportable and verifiable."
        ),
    )
    @click.argument("slug")
    @click.option(
        "--from", "day", type=ISODate(), required=True, help="The first day it is retired."
    )
    @click.option("--reason", required=True, help="Why it is retired (recorded).")
    def command(slug: str, day: dt.date, reason: str) -> None:
        try:
            found = retire(kind, slug, day, reason, actor="cli")
        except LifecycleError as error:
            raise click.ClickException(f"Not retired: {error}.") from None
        click.echo(f"{found.title} is retired from {day.isoformat()}.")

    return command


@click.command("withdraw")
@click.argument("slug")
@click.argument("number", type=int)
@click.option("--reason", required=True, help="Why the version is withdrawn (recorded).")
def withdraw_command(slug: str, number: int, reason: str) -> None:
    """Withdraw version NUMBER of policy SLUG before it takes effect; its number is not reused."""
    try:
        withdraw_version(slug, number, reason, actor="cli")
    except LifecycleError as error:
        raise click.ClickException(f"Not withdrawn: {error}.") from None
    click.echo(f"Version {number} of {slug} is withdrawn: it will not take effect.")
