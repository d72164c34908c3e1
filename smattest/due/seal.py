"""The seal on each row of the due-date table: a keyed hash the database does not hold.

The table (:class:`~smattest.models.DueDate`) is a cache HR's pages count and
filter in SQL, so whoever can write the database could make someone current
by editing their row (``UPDATE smattest_due SET due_on = ...``). Every row
therefore carries a seal: BLAKE2b keyed with a secret from the app's
configuration (``SMATTEST_SEAL_KEY``, or one derived from ``SECRET_KEY``) over
every column of the row, and the number of rows it left in the table is kept,
sealed, in the state row (so that a row deleted outside smattest is noticed
too). Only smattest, holding the key, writes a seal that matches
(:mod:`smattest.due.upkeep`); readers sweep the whole table before
trusting it (:func:`sweep`, from :func:`smattest.due.read.table_view`), and
a row that fails its seal sends every reader to the evidence and puts a
banner on HR's pages until ``flask smattest compliance check --rebuild``.

What it does not prove: that a sealed row is still today's. A row's own
earlier sealed state, put back by someone who kept it, passes its seal (as
does a deleted row whose place in the count is taken by an old sealed row
nobody reads), and so does anything written by someone holding the key (IT);
the daily
``compliance check`` names those (it compares every row with the evidence),
and the seal names everything else on the next look.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session

from ..models import DueDate, DueState

#: The key when neither ``SMATTEST_SEAL_KEY`` nor ``SECRET_KEY`` is set: public, so the
#: seal then proves nothing (``flask smattest doctor`` warns).
UNKEYED = b"smattest: no SMATTEST_SEAL_KEY and no SECRET_KEY set"
#: What the key is derived from ``SECRET_KEY`` for (so the same secret signing CSRF
#: tokens and sealing rows gives two unrelated keys).
PURPOSE = b"smattest due-date table seal, v1"
#: Where a request (its WSGI environ: one per request, unlike ``g``, which a test's or a
#: host's outer app context may share between requests) keeps what its sweep found.
SWEPT = "smattest.seal_failures"


def configured() -> bool:
    """Whether the seal has a secret key (``SMATTEST_SEAL_KEY`` or ``SECRET_KEY``)."""
    config = current_app.config
    return bool(config.get("SMATTEST_SEAL_KEY") or config.get("SECRET_KEY"))


def key() -> bytes:
    """The key rows are sealed with (64 bytes, BLAKE2b's longest)."""
    config = current_app.config
    given = config.get("SMATTEST_SEAL_KEY")
    if given:
        secret = given.encode() if isinstance(given, str) else bytes(given)
        return hashlib.blake2b(secret, person=b"smattest-seal").digest()
    host = config.get("SECRET_KEY")
    if host:
        secret = host.encode() if isinstance(host, str) else bytes(host)
        return hmac.digest(secret, PURPOSE, "sha512")
    return hashlib.blake2b(UNKEYED).digest()


def fingerprint(secret: bytes) -> str:
    """A short name for the key, stored with the table's settings: a new key (a rotated
    ``SMATTEST_SEAL_KEY`` or ``SECRET_KEY``) makes the next settle rebuild and reseal.
    It tells nothing about the key itself."""
    return hashlib.blake2b(b"fingerprint", key=secret, digest_size=8).hexdigest()


def seal(
    secret: bytes,
    staff_id: int,
    requirement_kind: str,
    requirement_id: int,
    due_on: dt.date | str,
    done_at: dt.datetime | str | None,
    exempt: bool | int,
    exempt_until: dt.date | str | None,
) -> str:
    """The seal of one row: 64 hexadecimal digits over every column but the seal.

    Takes the row's values as smattest writes them, or as the database driver
    returns them without SQLAlchemy's types (:func:`_scan`: SQLite's text dates,
    PostgreSQL's and MariaDB's naive UTC times), which spell the same message: dates
    as ``YYYY-MM-DD``, the time as naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (as
    SQLite stores it), no value as ``None``.
    """
    if done_at is not None and done_at.__class__ is not str:
        moment: dt.datetime = done_at  # type: ignore[assignment]
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        done_at = moment.isoformat(" ", "microseconds")
    message = (
        f"{staff_id}|{requirement_kind}|{requirement_id}|{due_on}|{done_at}|"
        f"{1 if exempt else 0}|{exempt_until}"
    )
    return hashlib.blake2b(message.encode(), key=secret, digest_size=32).hexdigest()


def sealed(secret: bytes, row: dict[str, Any]) -> dict[str, Any]:
    """A row as a writer inserts it (a dict of its columns), with its seal."""
    row["seal"] = seal(
        secret, row["staff_id"], row["requirement_kind"], row["requirement_id"],
        row["due_on"], row["done_at"], row["exempt"], row["exempt_until"],
    )  # fmt: skip
    return row


COLUMNS = (
    DueDate.staff_id,
    DueDate.requirement_kind,
    DueDate.requirement_id,
    DueDate.due_on,
    DueDate.done_at,
    DueDate.exempt,
    DueDate.exempt_until,
    DueDate.seal,
)


def count_seal(secret: bytes, rows: int) -> str:
    """The seal of the table's row count, kept in the state row."""
    return hashlib.blake2b(f"rows={rows}".encode(), key=secret, digest_size=32,
                           person=b"smattest-count").hexdigest()  # fmt: skip


def count_holds(secret: bytes, rows: int | None, sealed: str | None) -> bool:
    """Whether a stored row count passes its seal."""
    return (
        rows is not None
        and sealed is not None
        and hmac.compare_digest(count_seal(secret, rows), sealed)
    )


#: The table's columns (Core, so that the result is the driver's own cursor) ...
TABLE: sa.Table = DueDate.__table__  # type: ignore[assignment]
RAW = tuple(TABLE.c[column.key] for column in COLUMNS)
#: ... or, streamed through SQLAlchemy's rows, with no type turning values into others.
UNTYPED = tuple(sa.type_coerce(column, sa.types.NullType()) for column in RAW)


def _scan(session: Session, secret: bytes) -> tuple[int, int]:
    """Every row read (one query) and checked: (rows, rows failing their seal).

    :func:`seal`, inlined, over the values as the driver returns them, read from its
    own cursor (streamed where the database can): no SQLAlchemy row, no type turning
    text into dates. At 50,000 staff this runs over 100,000 rows on every look, and
    that makes it some three times faster.
    """
    rows = broken = 0
    blake2b = hashlib.blake2b
    connection = session.connection(bind_arguments={"mapper": DueDate})
    if connection.dialect.name in ("mysql", "mariadb"):
        # Their drivers' plain cursors hold every row in Python at once: stream instead.
        query, options = sa.select(*UNTYPED), {"yield_per": 20000}
    else:
        # SQLite's cursor steps through the file; libpq holds PostgreSQL's rows as text.
        query, options = sa.select(*RAW), {}
    with connection.execute(query, execution_options=options) as result:
        found: Iterable[tuple[Any, ...]] = result if options else result.cursor  # type: ignore[assignment]
        for staff_id, kind, requirement_id, due_on, done_at, exempt, until, stored in found:
            rows += 1
            if done_at is not None and done_at.__class__ is not str:
                done_at = done_at.isoformat(" ", "microseconds")  # naive UTC, as stored
            message = f"{staff_id}|{kind}|{requirement_id}|{due_on}|{done_at}|" + (
                f"{1 if exempt else 0}|{until}"
            )
            if blake2b(message.encode(), key=secret, digest_size=32).hexdigest() != stored:
                broken += 1
    return rows, broken


def failing(session: Session, secret: bytes | None = None) -> int:
    """How many rows of the table fail their seal (or have none), plus how many rows are
    missing from (or added to) the count smattest sealed; 1 more when the count itself
    fails its seal.

    The count is read before and after the rows: when a settle committed in between
    (the two differ), the sweep is done again, up to three times.
    """
    secret = secret or key()
    state = sa.select(DueState.row_count, DueState.seal).where(DueState.id == 1)
    for _ in range(3):
        before = session.execute(state).one_or_none()
        rows, broken = _scan(session, secret)
        after = session.execute(state).one_or_none()
        if before == after:
            break
    if after is None or not count_holds(secret, after.row_count, after.seal):
        return broken + 1
    return broken + abs(rows - int(after.row_count))


def sweep(session: Session) -> int:
    """:func:`failing`, and the answer kept for this request's banner.

    Every request sweeps again: nothing outside the request says the table was
    clean, since whoever edits the table could edit that too. Within one request
    (a page asking the table twice) the first answer stands.
    """
    kept = request.environ if has_request_context() else {}
    if kept.get(SWEPT) is not None:
        found: int = kept[SWEPT]
        return found
    found = failing(session)
    kept[SWEPT] = found
    return found


def swept() -> int | None:
    """What this request's sweep found, or None if it has not swept."""
    found: int | None = request.environ.get(SWEPT) if has_request_context() else None
    return found
