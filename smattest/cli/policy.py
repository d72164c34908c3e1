"""``flask smattest policy ...``: publish policy versions and list policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import sqlalchemy as sa

from ..models import POLICY, Policy
from ..proxies import current_smattest
from ..publishing.audiences import audiences_of
from ..publishing.policies import PolicyError, publish, scheduled_versions, version_in_force
from ..timeutil import local_today
from .audience import audience_command
from .lifecycle import retire_command, withdraw_command
from .params import Group, ISODate, echo_table


@click.group("policy", cls=Group)
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
    """List every policy: the version in force today, any scheduled after it, and who owes it."""
    policies = current_smattest.db.session.scalars(sa.select(Policy).order_by(Policy.slug)).all()
    audiences = audiences_of(POLICY)
    if not policies:
        click.echo("No policies yet: publish one with 'flask smattest policy publish'.")
        return
    rows = []
    for policy in policies:
        in_force = version_in_force(policy)
        later = scheduled_versions(policy)
        rows.append((
            policy.slug,
            policy.title,
            f"version {in_force.number} since {in_force.effective_date.isoformat()}"
            if in_force else "none yet",
            ", ".join(f"version {v.number} from {v.effective_date.isoformat()}" for v in later)
            or "none",
            in_force.text_sha256[:12] if in_force else "",
            audiences[policy.id].describe() if policy.id in audiences else "everyone",
        ))  # fmt: skip
    echo_table(("SLUG", "TITLE", "IN FORCE", "SCHEDULED", "SHA-256 (IN FORCE)", "FOR"), rows)


policy_cli.add_command(audience_command(POLICY))
policy_cli.add_command(retire_command(POLICY))
policy_cli.add_command(withdraw_command)
