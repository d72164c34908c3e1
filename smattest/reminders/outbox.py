"""The outbox: planning rows, claiming them, and recording what became of each.

The database, not the scheduler, guarantees that a reminder goes out once:

1. *Plan*: every run inserts the rows it finds due with INSERT … ON CONFLICT
   DO NOTHING against UNIQUE (staff, requirement, cycle, stage), so any number
   of runs, on any number of hosts, plan each row once.
2. *Claim* a batch (``SMATTEST_MAIL_BATCH_SIZE`` rows, people or managers):
   one conditional UPDATE turns ``pending`` rows into ``sending`` with this
   run's random token, and one commit; the run proceeds only with rows
   carrying its token. Two runs never hold the same row: the second UPDATE
   finds it no longer pending. The claim is committed before any mail is sent.
3. *Send* the batch outside any transaction over one SMTP connection, then
   record every outcome in one commit (:mod:`.delivery`): one UPDATE marks the
   accepted mails' rows ``sent``; a failed row goes back to ``pending`` with
   its error and a later ``next_attempt_at``, and after the last attempt is
   ``failed`` (given up). Only then is the next batch claimed: a process
   killed mid-send leaves at most that one batch ``sending``, which is
   reported, never resent on a guess: HR decides.

The same functions serve :class:`~smattest.models.HRSummary`, whose columns
mirror the reminder's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask_sqlalchemy.session import Session
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import scoped_session

from ..models import HRSummary, Reminder, Staff
from ..models.outbox import RECEIPT_STAGE
from ..proxies import current_smattest
from .cadence import ESCALATE

PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
#: The stage (and requirement kind) of a reminder HR asked to send now (:mod:`.nudge`).
NUDGE = "nudge"

# A declarative model's __table__ is typed as any FromClause; these are Tables.
REMINDERS = cast(sa.Table, Reminder.__table__)
SUMMARIES = cast(sa.Table, HRSummary.__table__)

#: Escalation rows: to the manager (``escalate``) or further up (``escalate-2``, ...).
IS_ESCALATION = sa.or_(
    REMINDERS.c.stage == ESCALATE, REMINDERS.c.stage.startswith(f"{ESCALATE}-", autoescape=True)
)

T = TypeVar("T")


def session() -> scoped_session[Session]:
    """The host's session, which smattest's tables are used through."""
    return current_smattest.db.session


def insert_ignoring_duplicates(table: sa.Table) -> sa.Insert:
    """An INSERT that silently keeps the existing row when a unique key is taken.

    PostgreSQL and SQLite: ``ON CONFLICT DO NOTHING``. MariaDB/MySQL: ``ON
    DUPLICATE KEY UPDATE id = id``, a no-op update. Not ``INSERT IGNORE``,
    which also turns other errors (a value too long, a NULL in a NOT NULL
    column, a broken foreign key) into warnings and inserts mangled rows;
    the no-op update only ever applies to a duplicate key.
    """
    name = current_smattest.engine.dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if name in ("mysql", "mariadb"):
        return mysql.insert(table).on_duplicate_key_update(id=table.c.id)
    raise NotImplementedError(f"smattest does not support the {name} database for reminders")


def retry_on_deadlock(work: Callable[[], T], attempts: int = 4) -> T:
    """Run ``work`` (which commits), retrying when the database broke a deadlock.

    Concurrent inserts of the same keys can deadlock on MariaDB (gap locks);
    the database rolls one transaction back, and trying again is safe because
    every statement here is idempotent.
    """
    for attempt in range(attempts):
        try:
            return work()
        except sa.exc.OperationalError as error:
            session().rollback()
            text = str(error.orig).lower()
            if attempt == attempts - 1 or ("deadlock" not in text and "1213" not in text):
                raise
    raise AssertionError("unreachable")


KEY = ("staff_id", "requirement_kind", "requirement_id", "cycle_due", "stage")


def not_planned_yet(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose key is not in the outbox yet (one SELECT, on their due dates).

    Most days most rows a run finds due were planned by an earlier run; leaving
    them out keeps the daily INSERT small (on MariaDB a duplicate costs about
    as much as a new row).
    """
    cycles = sorted({row["cycle_due"] for row in rows})
    if not cycles:
        return []
    existing = set(
        session().execute(
            sa.select(*(REMINDERS.c[name] for name in KEY)).where(REMINDERS.c.cycle_due.in_(cycles))
        )
    )
    return [row for row in rows if tuple(row[name] for name in KEY) not in existing]


def plan(rows: list[dict[str, Any]], token: str, now: dt.datetime) -> int:
    """Insert the reminder rows not planned yet; return how many were new.

    ``rows`` hold ``staff_id``, ``requirement_kind``, ``requirement_id``,
    ``cycle_due`` and ``stage``. Two statements however many rows: a SELECT
    of the keys already there, then one ``executemany`` INSERT that still
    ignores duplicates, since another run may insert the same rows meanwhile.
    New rows carry ``token`` until claimed, which is how this run counts the
    rows it planned itself (drivers do not agree on the row count of an
    ``executemany`` that skipped duplicates).
    """
    rows = not_planned_yet(rows)
    if not rows:
        return 0
    rows = sorted(
        rows,
        key=lambda r: (r["staff_id"], r["requirement_kind"], r["requirement_id"], r["stage"]),
    )  # one order in every process, so concurrent runs lock keys in the same order
    values = [
        {**row, "status": PENDING, "attempts": 0, "claim_token": token, "created_at": now}
        for row in rows
    ]

    def insert() -> int:
        session().execute(insert_ignoring_duplicates(REMINDERS), values)
        planned = (
            session()
            .execute(
                sa.select(sa.func.count())
                .select_from(REMINDERS)
                .where(REMINDERS.c.status == PENDING, REMINDERS.c.claim_token == token)
            )
            .scalar_one()
        )
        session().commit()
        return planned

    return retry_on_deadlock(insert)


def due(table: sa.Table, now: dt.datetime) -> sa.ColumnElement[bool]:
    """Rows waiting to be sent whose (next) attempt time has come."""
    return sa.and_(
        table.c.status == PENDING,
        sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
    )


def claim_people(token: str, now: dt.datetime, limit: int) -> list[int] | None:
    """Claim the due staff-stage rows of up to ``limit`` people; return their ids.

    All of a person's due rows are claimed together so that one run sends one
    digest per person. Returns None when nothing is left to claim, and an
    empty list when other runs took the people picked first.
    """
    # Receipts and nudges share the outbox but are sent by the mail job
    # (receipts.py, nudge.py).
    waiting = sa.and_(
        due(REMINDERS, now),
        sa.not_(IS_ESCALATION),
        REMINDERS.c.stage != NUDGE,
        sa.not_(REMINDERS.c.stage.startswith(RECEIPT_STAGE)),
    )

    def claim() -> list[int] | None:
        people = list(
            session().scalars(
                sa.select(REMINDERS.c.staff_id)
                .where(waiting)
                .distinct()
                .order_by(REMINDERS.c.staff_id)
                .limit(limit)
            )
        )
        if not people:
            return None
        session().execute(
            sa.update(REMINDERS)
            .where(waiting, REMINDERS.c.staff_id.in_(people))
            .values(status=SENDING, claim_token=token, claimed_at=now)
        )
        session().commit()
        return people

    return retry_on_deadlock(claim)


def claim_managers(token: str, now: dt.datetime, limit: int) -> list[str] | None:
    """Claim the due escalation rows of up to ``limit`` managers; return the managers.

    All the rows of the people below a manager (at any level) are claimed
    together, so that one run sends each manager one digest. Managers are told
    apart by their address, trimmed and lower-cased: the row's recipient, planned
    with it, or for a row planned without one the person's manager's (a report
    without one is claimed under ``''`` and then skipped). Returns None when
    nothing is left to claim.
    """
    staff = cast(sa.Table, Staff.__table__)
    manager = sa.func.coalesce(
        REMINDERS.c.recipient, sa.func.lower(sa.func.trim(staff.c.manager_email)), ""
    )
    waiting = sa.and_(due(REMINDERS, now), IS_ESCALATION)

    def claim() -> list[str] | None:
        managers = list(
            session().scalars(
                sa.select(manager)
                .select_from(REMINDERS.join(staff, staff.c.id == REMINDERS.c.staff_id))
                .where(waiting)
                .distinct()
                .order_by(manager)
                .limit(limit)
            )
        )
        if not managers:
            return None
        rows = (
            sa.select(REMINDERS.c.id)
            .select_from(REMINDERS.join(staff, staff.c.id == REMINDERS.c.staff_id))
            .where(waiting, manager.in_(managers))
        )
        ids = list(session().scalars(rows))
        session().execute(
            sa.update(REMINDERS)
            .where(waiting, REMINDERS.c.id.in_(ids))
            .values(status=SENDING, claim_token=token, claimed_at=now)
        )
        session().commit()
        return managers

    return retry_on_deadlock(claim)


def claimed(token: str, *where: sa.ColumnElement[bool]) -> list[sa.Row[Any]]:
    """This run's rows still ``sending`` (its current claim), as plain rows."""
    return list(
        session().execute(
            sa.select(REMINDERS)
            .where(REMINDERS.c.claim_token == token, REMINDERS.c.status == SENDING, *where)
            .order_by(REMINDERS.c.staff_id, REMINDERS.c.id)
        )
    )


def stuck(table: sa.Table, now: dt.datetime, timeout_minutes: int) -> sa.ColumnElement[bool]:
    """Rows ``sending`` for longer than the timeout: their run died, or is hung."""
    return sa.and_(
        table.c.status == SENDING,
        table.c.claimed_at < now - dt.timedelta(minutes=timeout_minutes),
    )


def plan_summary(week_start: dt.date, now: dt.datetime) -> None:
    """The week's HR summary row, inserted once whatever the number of runs."""
    session().execute(
        insert_ignoring_duplicates(SUMMARIES),
        [{"week_start": week_start, "status": PENDING, "attempts": 0, "created_at": now}],
    )
    session().commit()


def claim_summary(week_start: dt.date, token: str, now: dt.datetime) -> sa.Row[Any] | None:
    """Claim the week's HR summary if it is due; the row, or None when another run has it."""
    session().execute(
        sa.update(SUMMARIES)
        .where(SUMMARIES.c.week_start == week_start, due(SUMMARIES, now))
        .values(status=SENDING, claim_token=token, claimed_at=now)
    )
    session().commit()
    return (
        session()
        .execute(
            sa.select(SUMMARIES).where(
                SUMMARIES.c.week_start == week_start,
                SUMMARIES.c.claim_token == token,
                SUMMARIES.c.status == SENDING,
            )
        )
        .first()
    )
