"""One claimed batch of outbox rows on its way: one SMTP connection, one commit for the outcome.

Every sender (reminders, managers' digests, receipts, announcements, review
reminders) works the same way:

1. *Claim* up to ``SMATTEST_MAIL_BATCH_SIZE`` rows (or people, or managers):
   one conditional UPDATE to ``sending`` stamped with the run's token, one commit.
2. *Send* them inside ``with Delivery(...) as delivery``: every mail is
   composed from templates looked up once for the batch
   (:class:`~smattest.mail.MailTemplates`) and goes over one SMTP connection.
   Nothing is written while the batch is on the wire.
3. *Record*, when the block ends, in one transaction: one UPDATE marks the rows
   of every accepted mail ``sent`` (each with its recipient); each failed row
   gets its own attempt count, error and next try (or is given up); rows found
   not worth sending are ``skipped``; rows never tried because the server
   broke go back to ``pending``.

Only then is the next batch claimed, so a process killed at any moment leaves
at most one batch ``sending``: mails of it the server accepted and mails never
sent alike. Those rows are reported to HR after
``SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES`` (:mod:`.stuck`) and never resent
on a guess; HR marks them sent or releases them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message

from ..i18n import in_language
from ..mail import Batch, MailTemplates, describe_error
from ..models import Staff
from .messages import links
from .outbox import FAILED, PENDING, SENDING, SENT, SKIPPED, session

log = logging.getLogger("smattest.reminders")


def language_of(email: str) -> str | None:
    """The roster language of the active person with this address (a manager, a policy
    owner), for mail addressed by email rather than to a staff row."""
    found: str | None = session().scalar(
        sa.select(Staff.language)
        .where(sa.func.lower(Staff.email) == email.strip().lower(), Staff.active)
        .limit(1)
    )
    return found


@dataclass(frozen=True)
class Accepted:
    """A mail the server accepted: the outbox rows it carried, to whom, and what it listed."""

    rows: tuple[sa.Row[Any], ...]
    recipient: str
    listed: tuple[str, ...]


class Delivery:
    """The sending of one claimed batch of ``table``'s rows, and the record of what became of each.

    Use it as a context manager: entering opens the link context (absolute
    links from ``SMATTEST_BASE_URL``) and prepares the templates; the SMTP
    connection opens with the first mail; leaving closes it and writes every
    outcome in one commit. After the block, :attr:`accepted`, :attr:`failed`,
    :attr:`given_up`, :attr:`problems` and :attr:`returned` tell the caller's report.
    """

    def __init__(self, table: sa.Table, token: str, now: dt.datetime) -> None:
        config = current_app.config
        self.table = table
        self.token = token
        self.now = now
        self.retry_minutes: int = config["SMATTEST_REMINDER_RETRY_MINUTES"]
        self.max_attempts: int = config["SMATTEST_REMINDER_MAX_ATTEMPTS"]
        self.accepted: list[Accepted] = []
        #: Failed rows, each with its error and whether it is given up at once.
        self.failures: list[tuple[sa.Row[Any], str, bool]] = []
        self.skipped: dict[int, str] = {}
        self.untried: list[sa.Row[Any]] = []
        #: What the mail server did once the connection broke; nothing more is sent then.
        self.broken: str | None = None
        self.failed = 0
        self.given_up = 0
        self.problems: list[str] = []
        self._stack = ExitStack()
        self.templates: MailTemplates

    def __enter__(self) -> Delivery:
        self._stack.enter_context(links())
        self.templates = MailTemplates()
        self._batch = self._stack.enter_context(Batch())
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()  # QUIT before anything is written
        self._record()

    @property
    def returned(self) -> int:
        """How many rows were given back untried."""
        return len(self.untried)

    def send(
        self,
        rows: Sequence[sa.Row[Any]],
        recipient: str,
        compose: Callable[[MailTemplates], Message],
        listed: tuple[str, ...] = (),
        language: str | None = None,
    ) -> bool:
        """Compose and send the one mail that carries ``rows``; False once the server broke.

        A mail that fails on its own (a refused recipient, a template error)
        fails its rows and the batch goes on. When the connection is gone,
        the caller gives the rest back with :meth:`give_back` and stops.
        The mail is written in ``language``, the recipient's (None: the default).
        """
        try:
            with in_language(language):
                message = compose(self.templates)
            self._batch.send(message)
        except Exception as error:
            self.fail(rows, describe_error(error))
            if self._batch.broken:
                self.broken = describe_error(error)
                return False
            return True
        self.accepted.append(Accepted(tuple(rows), recipient, listed))
        return True

    def fail(self, rows: Iterable[sa.Row[Any]], error: str, give_up: bool = False) -> None:
        """Count a failed attempt for ``rows``: retried with backoff, or given up.

        A row goes back to ``pending`` with ``last_error`` and waits
        ``SMATTEST_REMINDER_RETRY_MINUTES`` × 2^(attempts-1) before its next
        try; after ``SMATTEST_REMINDER_MAX_ATTEMPTS`` (or at once with
        ``give_up``, for an address no retry can fix) it becomes ``failed``
        and is listed for HR.
        """
        rows = list(rows)
        for row in rows:
            self.failures.append((row, f"Not sent: {error}.", give_up))
            if give_up or row.attempts + 1 >= self.max_attempts:
                self.given_up += 1
        self.failed += len(rows)
        self.problems.append(error)
        log.warning("outbox rows %s not sent: %s", [row.id for row in rows], error)

    def skip(self, row: sa.Row[Any], reason: str) -> None:
        """A row not to send any more (the person is current, the cycle changed...), with why."""
        self.skipped[row.id] = f"Not sent: {reason}."

    def give_back(self, rows: Iterable[sa.Row[Any]]) -> None:
        """Rows never tried because the server broke: ``pending`` again for a later run."""
        self.untried.extend(rows)

    def _record(self) -> None:
        """Every outcome of the batch, in one transaction."""
        table, token = self.table, self.token
        mine = table.c.claim_token == token
        sent = [
            {"row_id": row.id, "to": mail.recipient} for mail in self.accepted for row in mail.rows
        ]
        if sent:
            # One UPDATE for the batch's sent rows, each with its own recipient, run
            # as one executemany. Keyed on the token, not on the status: a row HR
            # released while this run was sending it still ends up sent, not sent again.
            session().execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"), mine)
                .values(
                    status=SENT, sent_at=self.now, last_error=None, recipient=sa.bindparam("to")
                ),
                sent,
            )
        for row, error, give_up in self.failures:
            attempts = row.attempts + 1
            values: dict[str, str | dt.datetime | None]
            if give_up or attempts >= self.max_attempts:
                values = {"status": FAILED, "next_attempt_at": None}
            else:
                wait = dt.timedelta(minutes=self.retry_minutes * 2 ** (attempts - 1))
                values = {"status": PENDING, "next_attempt_at": self.now + wait}
            session().execute(
                sa.update(table)
                .where(table.c.id == row.id, mine)
                .values(attempts=attempts, last_error=error, **values)
            )
        by_reason: dict[str, list[int]] = defaultdict(list)
        for row_id, reason in self.skipped.items():
            by_reason[reason].append(row_id)
        for reason, ids in by_reason.items():
            session().execute(
                sa.update(table)
                .where(table.c.id.in_(ids), mine)
                .values(status=SKIPPED, last_error=reason)
            )
        if self.untried:
            session().execute(
                sa.update(table)
                .where(table.c.id.in_([row.id for row in self.untried]), mine)
                .where(table.c.status == SENDING)
                .values(
                    status=PENDING,
                    last_error=f"Not sent: the mail server failed earlier in the run "
                    f"({self.broken or 'no answer'}); a later run sends it.",
                )
            )
        session().commit()
