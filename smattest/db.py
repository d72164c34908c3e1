"""smattest's declarative base, its own MetaData, and the column types it needs.

The tables live on their own ``MetaData`` so that a host's ``db.create_all()``
and ``db.drop_all()`` never touch them; queries still go through the host's
``db.session`` so that one request is one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Base class of every smattest model; not the host's ``db.Model``."""

    metadata = metadata


#: Tests (and ``reminders send --now``) set this to step through time; never a request.
frozen_now: dt.datetime | None = None


def rowcount(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run through ``Session.execute`` matched.

    The session types its result as a plain ``Result``; for these statements
    it is a ``CursorResult``, which has the count.
    """
    return cast("sa.CursorResult[Any]", result).rowcount


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC: the one clock smattest reads."""
    return frozen_now if frozen_now is not None else dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A point in time stored as naive UTC and returned timezone-aware.

    MariaDB's DATETIME drops microseconds unless asked (fsp=6); the evidence
    hash covers the time, so the stored value must be exactly the hashed one.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("smattest stores timezone-aware datetimes only")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | str | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite without type detection
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC)


class JSONText(sa.TypeDecorator[Any]):
    """JSON kept in a TEXT column: the same type on SQLite, PostgreSQL and MariaDB.

    MariaDB reflects its JSON type as LONGTEXT, which would make the models and
    the migrations disagree; plain text with our own (sorted) encoding does not.
    """

    impl = sa.Text
    cache_ok = True

    # Any: a column holds whatever JSON its model declares (a list, a dict).
    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)
