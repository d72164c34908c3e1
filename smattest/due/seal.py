"""The seal on each row of the due-date table: a keyed hash the database does not hold.

The table (:class:`~smattest.models.DueDate`) is a cache HR's pages count and
filter in SQL, so whoever can write the database could make someone current
by editing their row (``UPDATE smattest_due SET due_on = ...``). Every row
therefore carries a seal: BLAKE2b keyed with a secret from the app's
configuration (``SMATTEST_SEAL_KEY``, or one derived from ``SECRET_KEY``) over
every column of the row. The state row keeps, sealed, the number of rows
smattest left in the table and the XOR of their shares (a second keyed hash of
each row, from the same BLAKE2b, never stored: :func:`sealing`), so that a row
deleted, added, or put back in an earlier sealed state is noticed too: the
shares of the rows in the table no longer XOR to the sum smattest sealed. Only
smattest, holding the key, writes a seal that matches and knows the shares
(:mod:`smattest.due.upkeep`, which XORs out the shares of the rows it deletes,
as it reads them, and XORs in those it writes, so an edit made before it stays
visible after it); readers sweep the whole table before trusting it
(:func:`sweep`, from :func:`smattest.due.read.table_view`), and a row that
fails its seal, or a table whose rows are not those smattest left, sends every
reader to the evidence and puts a banner on HR's pages until ``flask smattest
compliance check --rebuild``.

The sum is stored masked with a keyed hash of a fresh nonce on every write:
whoever reads the database sees neither a row's share nor, by comparing two
states, what a change moved (else they could look for old rows whose shares
XOR to the same). XOR of 256-bit secret shares: rows the table holds at once
differ in person or requirement, so no two shares cancel.

What it does not prove: that the table and its state row together are still
today's. Both put back from a backup pass (the table as it was, with the sum of
its rows), and so does anything written by someone holding the key (IT); the
daily ``compliance check`` names those (it compares every row with the
evidence), and the seal names everything else on the next look.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
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
    return hashlib.blake2b(b"fingerprint v2", key=secret, digest_size=8).hexdigest()


def sealing(
    secret: bytes,
    staff_id: int,
    requirement_kind: str,
    requirement_id: int,
    due_on: dt.date | str,
    done_at: dt.datetime | str | None,
    exempt: bool | int,
    exempt_until: dt.date | str | None,
) -> tuple[str, int]:
    """One row's seal and its share of the table's sum, from one keyed hash of 64 bytes over
    every column but the seal: the seal is its first 32 bytes (64 hexadecimal digits,
    stored with the row), the share its last 32 (never stored: whoever reads the database
    knows each row's seal but not its share). Returns the seal and the whole hash as a
    number (its low 256 bits are the share: :data:`SHARE`).

    Takes the row's values as smattest writes them, or as the database driver
    returns them without SQLAlchemy's types (:func:`scan`: SQLite's text dates,
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
    digest = hashlib.blake2b(message.encode(), key=secret, digest_size=64).digest()
    return digest[:32].hex(), int.from_bytes(digest)


def seal(secret: bytes, *row: Any) -> str:
    """The seal of one row (:func:`sealing`'s first half; ``row``: its columns in
    :data:`COLUMNS` order, without the seal)."""
    return sealing(secret, *row)[0]


def sealed(secret: bytes, row: dict[str, Any]) -> int:
    """Seal a row as a writer inserts it (a dict of its columns: ``seal`` is set); its share
    of the table's sum (:func:`share`)."""
    row["seal"], whole = sealing(
        secret, row["staff_id"], row["requirement_kind"], row["requirement_id"],
        row["due_on"], row["done_at"], row["exempt"], row["exempt_until"],
    )  # fmt: skip
    return whole & SHARE


def share(secret: bytes, row: Any) -> int:
    """A row's share of the table's sum (``row``: its columns in :data:`COLUMNS` order)."""
    return sealing(secret, *row[:7])[1] & SHARE


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


#: The low 256 bits of :func:`sealing`'s number: a row's share.
SHARE = (1 << 256) - 1


def _mask(secret: bytes, nonce: str) -> int:
    return int.from_bytes(hashlib.blake2b(nonce.encode(), key=secret, digest_size=32,
                                          person=b"smattest-mask").digest())  # fmt: skip


def _state_seal(secret: bytes, rows: int, digest: str, nonce: str) -> str:
    return hashlib.blake2b(f"rows={rows};sum={digest};nonce={nonce}".encode(), key=secret,
                           digest_size=32, person=b"smattest-state").hexdigest()  # fmt: skip


def state(secret: bytes, rows: int, total: int) -> dict[str, Any]:
    """The state row's columns for a table of ``rows`` rows whose shares XOR to ``total``:
    the sum stored masked with a fresh nonce (so that two states of the table show nothing
    of what changed between them), and the seal over the count, the masked sum and the
    nonce."""
    nonce = secrets.token_hex(16)
    digest = f"{total ^ _mask(secret, nonce):064x}"
    return {"row_count": rows, "digest": digest, "nonce": nonce,
            "seal": _state_seal(secret, rows, digest, nonce)}  # fmt: skip


def kept(secret: bytes, row: Any) -> tuple[int, int] | None:
    """(rows, sum) a state row (``row_count``, ``digest``, ``nonce``, ``seal``) holds, or
    None when it fails its seal (or was never sealed)."""
    if row is None or None in (row.row_count, row.digest, row.nonce, row.seal):
        return None
    expected = _state_seal(secret, row.row_count, row.digest, row.nonce)
    if not hmac.compare_digest(expected, row.seal):
        return None
    return int(row.row_count), int(row.digest, 16) ^ _mask(secret, row.nonce)


STATE = (DueState.row_count, DueState.digest, DueState.nonce, DueState.seal)


#: The table's columns (Core, so that the result is the driver's own cursor) ...
TABLE: sa.Table = DueDate.__table__  # type: ignore[assignment]
RAW = tuple(TABLE.c[column.key] for column in COLUMNS)
#: ... or, streamed through SQLAlchemy's rows, with no type turning values into others.
UNTYPED = tuple(sa.type_coerce(column, sa.types.NullType()) for column in RAW)


def scan(session: Session, secret: bytes) -> tuple[int, int, int]:
    """Every row read (one query) and checked: (rows, rows failing their seal, the XOR of
    every row's share).

    :func:`sealing`, inlined, over the values as the driver returns them, read from its
    own cursor (streamed where the database can): no SQLAlchemy row, no type turning
    text into dates. At 50,000 staff this runs over 100,000 rows on every look, and
    that makes it some three times faster.
    """
    rows = broken = total = 0
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
            digest = blake2b(message.encode(), key=secret, digest_size=64).digest()
            if digest[:32].hex() != stored:
                broken += 1
            total ^= int.from_bytes(digest)
    return rows, broken, total & SHARE


def failing(session: Session, secret: bytes | None = None) -> int:
    """How many rows of the table fail their seal (or have none), plus how many rows are
    missing from (or added to) the count smattest sealed; 1 more when the state row
    itself fails its seal; 1 when every row passes and the count holds but the rows are
    not those smattest left (their shares' XOR is not the sum it sealed: a row's earlier
    sealed state put back, or a row deleted and another's put in its place).

    The state is read before and after the rows: when a settle committed in between
    (the two differ), the sweep is done again, up to three times.
    """
    secret = secret or key()
    query = sa.select(*STATE).where(DueState.id == 1)
    for _ in range(3):
        before = session.execute(query).one_or_none()
        rows, broken, total = scan(session, secret)
        after = session.execute(query).one_or_none()
        if before == after:
            break
    left = kept(secret, after)
    if left is None:
        return broken + 1
    if broken or rows != left[0]:
        return broken + abs(rows - left[0])
    return 0 if total == left[1] else 1


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
