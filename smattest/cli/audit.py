"""``flask smattest audit ...``: check the evidence for tampering."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .. import evidence


@click.group("audit", cls=AppGroup)
def audit_cli() -> None:
    """Check the evidence for tampering."""


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the evidence hash chain: OK with the row count and head hash, or the first break."""
    result = evidence.verify()
    if not result.ok:
        click.echo(f"FAILED after {result.rows} good rows: {result.problem}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {result.rows} evidence rows, head {result.head_hash or '(empty chain)'}")
