"""Checkpoints: the chain's head, sent outside the database so a rewrite shows.

A chain inside the database cannot defend itself against whoever can
rewrite the whole database: they can delete a row, renumber the rest and
recompute every hash and the head. A checkpoint is the head's position and
hash, written down somewhere they cannot reach (a mailbox, a printout, an
auditor's file). ``audit verify --checkpoint`` then fails unless the chain
still passes through every checkpoint given.

Since 0012 a checkpoint also carries the Merkle root (RFC 9162) over the
record hashes of positions 1..N (:mod:`smattest.evidence.proofs`), so a
receipt's inclusion proof can be checked against it alone, and each
checkpoint proves that its tree extends the previous one's::

    smattest-checkpoint v2 position=1234 hash=<64 hex> root=<64 hex> at=2026-11-30T08:05:00Z
    smattest-consistency v1 from=1200 to=1234 path=<64 hex>,<64 hex>,...

Lines of the first form (``v1``, no root) keep verifying by position and
hash; every receipt shows ``position=N hash=H`` for its own row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_mail import Message

from ..db import utcnow
from ..mail import mail_state
from ..models import ChainHead, Checkpoint
from ..proxies import current_smattest
from ..verify import CHECKPOINT, consistency_line, consistent, parse_checkpoints, record_leaf
from .proofs import ChainBroken, Tree, chain_tree, newest_checkpoint

__all__ = ["CHECKPOINT", "Taken", "line", "line_of", "parse_checkpoints", "take"]


def line(position: int, digest: str, at: dt.datetime, root: str | None = None) -> str:
    """The checkpoint line: ``smattest-checkpoint v2 position=N hash=H root=R at=...Z``
    (``v1``, without ``root=``, when there is no root)."""
    moment = at.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    head = f"position={position} hash={digest or '(empty chain)'}"
    if root is None:
        return f"smattest-checkpoint v1 {head} at={moment}"
    return f"smattest-checkpoint v2 {head} root={root} at={moment}"


def line_of(checkpoint: Checkpoint) -> str:
    """The line a logged checkpoint was emailed as."""
    return line(checkpoint.position, checkpoint.hash, checkpoint.at, checkpoint.root)


@dataclass(frozen=True)
class Taken:
    """A checkpoint recorded: its line, who it was emailed to (empty: nobody), the
    consistency proof from the previous checkpoint with a root ("" when there is none
    to give), and what went wrong ("" when nothing did)."""

    line: str
    sent_to: tuple[str, ...]
    consistency: str = ""
    problem: str = ""


def _since(previous: Checkpoint | None, tree: Tree) -> tuple[str, str]:
    """(consistency line, problem) from ``previous`` to ``tree``."""
    if previous is None or previous.root is None:
        return "", ""
    m, n = previous.position, tree.size
    taken = f"the checkpoint of {line_of(previous).rsplit('at=', 1)[1]} (position {m})"
    if m > n:
        return "", (
            f"the chain now ends at position {n}, before {taken}: evidence was removed "
            "since it was taken."
        )
    if tree.root(m).hex() != previous.root:
        return "", (
            f"the chain's first {m} rows no longer hash to the root of {taken} "
            f"({previous.root}): the chain was rewritten since it was taken."
        )
    proof = tree.consistency(m)
    consistent(m, n, bytes.fromhex(previous.root), tree.root(), proof)  # a proof we can stand by
    return consistency_line(m, n, proof), ""


def _tree(head: ChainHead) -> tuple[Tree | None, str]:
    """The Merkle tree over the chain up to ``head``, or None and why not."""
    if head.last_seq == 0:
        return None, ""
    try:
        tree = chain_tree(head.last_seq)
    except ChainBroken as error:
        return None, str(error)
    if tree.leaf(tree.size - 1) != record_leaf(head.last_hash):
        return None, (
            f"the chain's row at position {head.last_seq} does not carry the head's hash "
            f"{head.last_hash}: the head was altered; run 'flask smattest audit verify'."
        )
    return tree, ""


def take() -> Taken:
    """Record the chain's head and its Merkle root in the checkpoint log and email the line
    (with the consistency proof from the previous checkpoint) to SMATTEST_AUDIT_EMAILS.

    Appends nothing to the evidence. With no addresses set the line is only
    logged (and the command prints it). When the chain does not hold together,
    or does not extend the previous checkpoint, the checkpoint is still
    logged and sent, saying so, and :attr:`Taken.problem` says what is wrong.
    Raises :class:`~smattest.mail.MailError` or an SMTP error when the mail
    cannot be sent; the log row is kept, so the line is never lost.
    """
    session = current_smattest.db.session
    session.commit()  # read the head as it is now
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        raise RuntimeError("smattest_chain_head has no row: run 'flask smattest db upgrade'.")
    previous = newest_checkpoint()
    tree, problem = _tree(head)
    consistency = ""
    if tree is not None:
        consistency, problem = _since(previous, tree)
    root = tree.root().hex() if tree is not None else None
    now = utcnow()
    text = line(head.last_seq, head.last_hash, now, root)
    recipients = tuple(current_app.config["SMATTEST_AUDIT_EMAILS"])
    session.add(
        Checkpoint(position=head.last_seq, hash=head.last_hash, root=root, at=now,
                   sent_to=", ".join(recipients) or None)
    )  # fmt: skip
    session.commit()
    if recipients:
        state = mail_state()
        body = f"{text}\n\n"
        if consistency:
            body += (
                "This checkpoint extends the previous one; the proof (RFC 9162):\n"
                + consistency.replace(",", ",\n    ")  # SMTP lines hold 998 characters
                + "\n\n"
            )
        if problem:
            body += f"WARNING: {problem}\n\n"
        body += (
            "Keep this email where the database administrators cannot change it.\n"
            "To check the evidence against it later:\n"
            f'    flask smattest audit verify --checkpoint "{text}"\n'
        )
        if consistency:
            body += (
                "To check offline that it extends the previous checkpoint, with both emails "
                "saved:\n    python -m smattest.verify --checkpoint PREVIOUS.eml "
                "--checkpoint THIS.eml --consistency THIS.eml\n"
            )
        message = Message(
            subject=f"smattest evidence checkpoint: position {head.last_seq}",
            recipients=list(recipients),
            body=body,
        )
        with state.connect() as connection:
            connection.send(message)
    return Taken(text, recipients, consistency, problem)
