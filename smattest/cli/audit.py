"""``flask smattest audit ...``: check the evidence for tampering."""

from __future__ import annotations

import click

import smattest.evidence.audit as audit
import smattest.evidence.checkpoints as checkpoints

from ..mail import MailError
from ..verify import checkpoint_texts, parse_checkpoints, parse_roots
from .params import Group


@click.group("audit", cls=Group)
def audit_cli() -> None:
    """Check the evidence for tampering."""


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "given",
    multiple=True,
    metavar="LINE_OR_FILE",
    help="A checkpoint line or receipt ('position=N hash=H'), or a file holding any number "
    "of them (saved checkpoint emails, receipts). Repeatable.",
)
def audit_verify(given: tuple[str, ...]) -> None:
    """Check every evidence row, the hash chain from 1 to its head, and every signed text.

    Prints OK with the row count and head hash, or one FAILED line per problem
    (exit status 1): the first break in the chain, every row outside it (by
    table, id and position), every edited text, every checkpoint the chain no
    longer passes through, and every checkpoint in smattest's own log the chain
    no longer reaches. Warns (on standard error, without failing) when the
    newest logged checkpoint is more than two days old, or none was taken.
    """
    try:
        texts = checkpoint_texts(given)
        found = parse_checkpoints(texts)
    except OSError as error:
        raise click.ClickException(f"cannot read the checkpoint file: {error}") from None
    if given and not found:
        raise click.ClickException(
            "no checkpoint found: expected 'position=N hash=<64 hex>' in the lines or files given."
        )
    result = audit.verify(found, [(position, root) for position, _, root in parse_roots(texts)])
    if not result.ok:
        if result.problem:
            click.echo(f"FAILED after {result.rows} good rows: {result.problem}", err=True)
        for problem in result.problems:
            click.echo(f"FAILED: {problem}", err=True)
    else:
        through = f", through {len(set(found))} checkpoints" if found else ""
        click.echo(
            f"OK: {result.rows} evidence rows, head {result.head_hash or '(empty chain)'}{through}"
        )
    for warning in result.warnings:
        click.echo(f"WARNING: {warning}", err=True)
    if not result.ok:
        raise SystemExit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Record the chain's head and Merkle root and email them to SMATTEST_AUDIT_EMAILS.

    Appends nothing to the evidence. Prints the checkpoint line (v2: position,
    hash and the RFC 9162 Merkle root over the chain) and, when an earlier
    checkpoint has a root, the consistency proof that this one extends it.
    Keep the lines somewhere the database administrators cannot write to;
    'audit verify --checkpoint LINE' later proves the chain still passes
    through it, and 'python -m smattest.verify --checkpoint OLD --checkpoint NEW
    --consistency PROOF' checks the proof offline. With SMATTEST_AUDIT_EMAILS
    empty the lines are printed only, and the command says so. Exits 1 when
    the chain does not extend the previous checkpoint (it was rewritten), after
    logging and sending the new one.
    """
    try:
        taken = checkpoints.take()
    except (MailError, OSError) as error:
        raise click.ClickException(f"the checkpoint was logged but not emailed: {error}") from None
    click.echo(taken.line)
    if taken.consistency:
        click.echo(taken.consistency)
    if taken.sent_to:
        click.echo(f"Emailed to {', '.join(taken.sent_to)}.")
    else:
        click.echo(
            "Not emailed: SMATTEST_AUDIT_EMAILS is empty. Keep this line somewhere the database "
            "administrators cannot change."
        )
    if taken.problem:
        click.echo(f"FAILED: {taken.problem}", err=True)
        raise SystemExit(1)
