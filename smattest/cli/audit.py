"""``flask smattest audit ...``: check the evidence for tampering."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .. import audit


@click.group("audit", cls=AppGroup)
def audit_cli() -> None:
    """Check the evidence for tampering."""


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check every evidence row, the hash chain from 1 to its head, and every signed text.

    Prints OK with the row count and head hash, or one FAILED line per problem
    (exit status 1): the first break in the chain, every row outside it (by
    table, id and position), every edited text.
    """
    result = audit.verify()
    if not result.ok:
        if result.problem:
            click.echo(f"FAILED after {result.rows} good rows: {result.problem}", err=True)
        for problem in result.problems:
            click.echo(f"FAILED: {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {result.rows} evidence rows, head {result.head_hash or '(empty chain)'}")
