"""Checkpoints: the chain's head, sent outside the database so a rewrite shows.

A chain inside the database cannot defend itself against whoever can
rewrite the whole database: they can delete a row, renumber the rest and
recompute every hash and the head. A checkpoint is the head's position and
hash, written down somewhere they cannot reach (a mailbox, a printout, an
auditor's file). ``audit verify --checkpoint`` then fails unless the chain
still passes through every checkpoint given.

The line has one form, which every receipt also shows for its own row::

    smattest-checkpoint v1 position=1234 hash=<64 hex> at=2026-11-30T08:05:00Z
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
from ..verify import CHECKPOINT, parse_checkpoints

__all__ = ["CHECKPOINT", "Taken", "line", "parse_checkpoints", "take"]


def line(position: int, digest: str, at: dt.datetime) -> str:
    """The checkpoint line: ``smattest-checkpoint v1 position=N hash=H at=...Z``."""
    moment = at.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return (
        f"smattest-checkpoint v1 position={position} hash={digest or '(empty chain)'} at={moment}"
    )


@dataclass(frozen=True)
class Taken:
    """A checkpoint recorded: its line, and who it was emailed to (empty: nobody)."""

    line: str
    sent_to: tuple[str, ...]


def take() -> Taken:
    """Record the chain's head in the checkpoint log and email its line to SMATTEST_AUDIT_EMAILS.

    Appends nothing to the evidence. With no addresses set the line is only
    logged (and the command prints it). Raises :class:`~smattest.mail.MailError`
    or an SMTP error when the mail cannot be sent; the log row is kept, so
    the line is never lost.
    """
    session = current_smattest.db.session
    session.commit()  # read the head as it is now
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        raise RuntimeError("smattest_chain_head has no row: run 'flask smattest db upgrade'.")
    now = utcnow()
    text = line(head.last_seq, head.last_hash, now)
    recipients = tuple(current_app.config["SMATTEST_AUDIT_EMAILS"])
    session.add(
        Checkpoint(position=head.last_seq, hash=head.last_hash, at=now,
                   sent_to=", ".join(recipients) or None)
    )  # fmt: skip
    session.commit()
    if recipients:
        state = mail_state()
        message = Message(
            subject=f"smattest evidence checkpoint: position {head.last_seq}",
            recipients=list(recipients),
            body=(
                f"{text}\n\n"
                "Keep this email where the database administrators cannot change it.\n"
                "To check the evidence against it later:\n"
                f'    flask smattest audit verify --checkpoint "{text}"\n'
            ),
        )
        with state.connect() as connection:
            connection.send(message)
    return Taken(text, recipients)
