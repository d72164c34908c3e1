"""``flask smattest policy ...``: publish policy versions and list policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..audiences import audiences_of
from ..models import POLICY, Policy
from ..policies import PolicyError, publish
from ..proxies import current_smattest
from ..timeutil import local_today
from .audience import audience_command
from .lifecycle import retire_command, withdraw_command
from .params import ISODate


@click.group("policy", cls=AppGroup)
def policy_cli() -> None:
    """Publish policy versions and list policies."""


@policy_cli.command("publish")
@click.option("--slug", required=True, help="The policy's short name in URLs, e.g. social-media.")
@click.option("--title", required=True, help="The policy's title, e.g. 'Social Media Policy'.")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The policy text in Markdown (UTF-8).",
)
@click.option("--summary", required=True, help="One sentence on what this version changes.")
@click.option("--minor", is_flag=True, help="A minor edit: nobody has to sign again.")
@click.option("--effective", type=ISODate(), help="The day it takes effect (default: today).")
@click.option(
    "--every-months",
    type=click.IntRange(1, 120),
    help="How long a signature keeps a person current (default 12).",
)
def policy_publish(
    path: Path,
    slug: str,
    title: str,
    summary: str,
    minor: bool,
    effective: dt.date | None,
    every_months: int | None,
) -> None:
    """Publish FILE as the next version of policy SLUG (creating the policy if new)."""
    if effective is not None and effective < local_today():
        raise click.ClickException(
            f"Nothing published: the effective date {effective.isoformat()} is in the past; "
            "a new version takes effect today or later."
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{path} is not UTF-8 text (byte {error.start}): save it as UTF-8 and try again."
        ) from None
    try:
        version = publish(
            slug, title, text, summary, minor=minor, effective=effective,
            every_months=every_months, published_by="cli",
        )  # fmt: skip
    except PolicyError as error:
        raise click.ClickException(f"Nothing published: {error}") from None
    kind = "minor: nobody has to sign again" if minor else "material: everyone must sign it"
    click.echo(f"Published {slug} version {version.number} ({kind}),")
    click.echo(f"in force from {version.effective_date.isoformat()}.")
    click.echo(f"SHA-256 {version.text_sha256}")


@policy_cli.command("list")
def policy_list() -> None:
    """List every policy with its newest version and its audience."""
    policies = current_smattest.db.session.scalars(sa.select(Policy).order_by(Policy.slug)).all()
    audiences = audiences_of(POLICY)
    if not policies:
        click.echo("No policies yet: publish one with 'flask smattest policy publish'.")
    for policy in policies:
        newest = policy.versions[-1]
        click.echo(
            f"{policy.slug}\t{policy.title}\tversion {newest.number}\t"
            f"in force from {newest.effective_date.isoformat()}\t{newest.text_sha256}\t"
            f"for {audiences[policy.id].describe() if policy.id in audiences else 'everyone'}"
        )


policy_cli.add_command(audience_command(POLICY))
policy_cli.add_command(retire_command(POLICY))
policy_cli.add_command(withdraw_command)
