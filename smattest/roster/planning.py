"""Planning and applying a roster: who is new, updated, deactivated or back, then one transaction.

:func:`plan_csv` and :func:`plan_sync` compare checked rows (from
:mod:`.reading`) with the staff table; :func:`apply` carries a plan out with
set-based statements and records it as an HR event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

import smattest.due.upkeep as due_upkeep

from ..db import utcnow
from ..i18n import gettext
from ..models import HREvent, Staff
from ..proxies import current_smattest
from ..publishing.audiences import record_placements
from ..signals import roster_imported, send_after_commit
from ..state import current_app_object
from .reading import (
    FIELDS,
    Parsed,
    Progress,
    RosterError,
    Row,
    _Problems,
    no_progress,
    parse_csv,
    parse_records,
)

#: ``Plan.source`` of a sync.
SYNC_SOURCE = "SMATTEST_ROSTER_SOURCE"
#: Rows per statement when applying, so a progress bar can move.
CHUNK = 1000

# -- planning --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A person the roster adds or changes, with each field's old and new value."""

    external_id: str
    full_name: str
    email: str | None
    #: The line or record; None for someone a full import deactivates as missing.
    where: str | None
    #: None for a new person.
    staff_id: int | None
    #: Every field as it will be.
    values: dict[str, Any]
    #: field -> (old, new); for a new person, every field given.
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Plan:
    """What an import would do (or did): new, updated, deactivated, reactivated, unchanged."""

    source: str
    partial: bool
    new: list[Change]
    updated: list[Change]
    deactivated: list[Change]
    reactivated: list[Change]
    unchanged: int
    #: Employee ids of everyone already on staff whom the roster lists (changed or not).
    listed: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many people in each group."""
        return {
            "new": len(self.new),
            "updated": len(self.updated),
            "deactivated": len(self.deactivated),
            "reactivated": len(self.reactivated),
            "unchanged": self.unchanged,
        }

    @property
    def changed(self) -> int:
        """How many people the import adds or changes."""
        return sum(self.counts.values()) - self.unchanged

    def fingerprint(self) -> str:
        """SHA-256 of every change with its old and new values: equal plans, equal prints."""
        groups = [self.partial] + [
            [
                [c.external_id, sorted((k, [str(o), str(n)]) for k, (o, n) in c.changes.items())]
                for c in group
            ]
            for group in (self.new, self.updated, self.deactivated, self.reactivated)
        ]
        return hashlib.sha256(json.dumps(groups).encode()).hexdigest()


def plan_csv(
    data: bytes | str,
    *,
    partial: bool = False,
    source: str = "upload",
    progress: Progress = no_progress,
) -> Plan:
    """Check a roster file and plan its import; :class:`RosterError` lists every problem."""
    return plan(parse_csv(data, progress=progress), partial=partial, source=source)


def plan_sync(*, partial: bool = False, progress: Progress = no_progress) -> Plan:
    """Read ``SMATTEST_ROSTER_SOURCE``, check every record and plan the sync."""
    source = current_app.config["SMATTEST_ROSTER_SOURCE"]
    if source is None:
        raise RosterError(
            [
                "SMATTEST_ROSTER_SOURCE is not set: set it to a callable returning the roster "
                "as dicts (employee_id, email, full_name, ...), or import a CSV file instead"
            ]
        )
    try:
        records = source()
        if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
            raise RosterError(
                [
                    f"SMATTEST_ROSTER_SOURCE returned a {type(records).__name__}; "
                    "it must return an iterable of dicts, one per person"
                ]
            )
        records = list(records)
    except RosterError:
        raise
    except Exception as error:  # the host's code: say whose it is, keep the cause
        raise RosterError(
            [f"SMATTEST_ROSTER_SOURCE failed: {type(error).__name__}: {error}"]
        ) from error
    parsed = parse_records(records, progress=progress)
    return plan(parsed, partial=partial, source=SYNC_SOURCE)


def plan(parsed: Parsed, *, partial: bool, source: str) -> Plan:
    """Compare the rows with the staff table (one query) and say what would change.

    Raises :class:`RosterError` with every problem, the rows' own and those that
    need the whole roster (managers, emails already in use), in line order.
    """
    names = ("id", "external_id", *FIELDS)
    result = current_smattest.db.session.execute(sa.select(*(getattr(Staff, n) for n in names)))
    existing = {row[1]: dict(zip(names, row, strict=True)) for row in result}
    problems = _Problems(parsed.problems)
    rows = parsed.rows
    whole = "SMATTEST_ROSTER_SOURCE" if source == SYNC_SOURCE else "the file"
    if not rows and not partial and not problems:
        nobody = (
            f"{whole} has nobody in it: a full import would deactivate everyone"
            if source == SYNC_SOURCE
            else gettext("the file has nobody in it: a full import would deactivate everyone")
        )
        problems.add(0, nobody)
    in_file = {row.external_id for row in rows}
    emails = {row.values["email"] for row in rows if row.values.get("email")}
    others = {}
    if partial:  # people left alone by a partial import still count
        others = {
            person["email"]: external_id
            for external_id, person in existing.items()
            if person["active"] and person["email"] and external_id not in in_file
        }
    for row in rows:
        email, manager = row.values.get("email"), row.values.get("manager_email")
        if email in others:
            owner = others[email]
            message = gettext(
                "%(where)s: email %(email)s already belongs to active staff member %(owner)s",
                where=row.where,
                email=email,
                owner=repr(owner),
            )
            problems.add(row.number, message)
        if manager and manager != email and manager not in emails and manager not in others:
            if source == SYNC_SOURCE:
                also = " or among active staff" if partial else ""
                message = f"{row.where}: manager_email {manager} is nobody's email in {whole}{also}"
            elif partial:
                message = gettext(
                    "%(where)s: manager_email %(manager)s is nobody's email in the file or among "
                    "active staff",
                    where=row.where,
                    manager=manager,
                )
            else:
                message = gettext(
                    "%(where)s: manager_email %(manager)s is nobody's email in the file",
                    where=row.where,
                    manager=manager,
                )
            problems.add(row.number, message)
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise RosterError([message for _, message in problems])
    return _compare(rows, existing, partial=partial, source=source)


def _compare(
    rows: list[Row], existing: dict[str, dict[str, Any]], *, partial: bool, source: str
) -> Plan:
    groups: dict[str, list[Change]] = {
        "new": [],
        "updated": [],
        "deactivated": [],
        "reactivated": [],
    }
    unchanged = 0
    for row in rows:
        assert row.external_id is not None  # a row without one is a problem, raised above
        before = existing.get(row.external_id)
        if before is None:
            values = {field: row.values.get(field) for field in FIELDS}
            changes = {f: (None, v) for f, v in values.items() if v is not None}
            groups["new"].append(_change(row.external_id, row.where, None, values, changes))
            continue
        old = {field: before[field] for field in FIELDS}
        values = {**old, **row.values}
        changes = {f: (old[f], values[f]) for f in FIELDS if old[f] != values[f]}
        if not changes:
            unchanged += 1
            continue
        group = "updated"
        if "active" in changes:
            group = "reactivated" if values["active"] else "deactivated"
        groups[group].append(_change(row.external_id, row.where, before["id"], values, changes))
    if not partial:
        in_file = {row.external_id for row in rows}
        for external_id, before in existing.items():
            if before["active"] and external_id not in in_file:
                values = {field: before[field] for field in FIELDS}
                values["active"] = False
                groups["deactivated"].append(
                    _change(external_id, None, before["id"], values, {"active": (True, False)})
                )
    listed = [row.external_id for row in rows if row.external_id in existing]
    return Plan(source=source, partial=partial, unchanged=unchanged, listed=listed, **groups)


def _change(
    external_id: str,
    where: str | None,
    staff_id: int | None,
    values: dict[str, Any],
    changes: dict[str, tuple[Any, Any]],
) -> Change:
    return Change(
        external_id, values["full_name"], values["email"], where, staff_id, values, changes
    )


# -- applying --------------------------------------------------------------


def apply(
    plan: Plan, *, actor: str, action: str = "roster.import", progress: Progress = no_progress
) -> Plan:
    """Carry out a plan in one transaction and record one HR event.

    New people are inserted and changed people updated with one executemany
    per :data:`CHUNK` rows; nobody is deleted. Then settles the due-date table
    (:func:`smattest.due.upkeep.settle`: a rebuild). Sends ``roster_imported`` with
    ``result=plan`` after the commit. Raises :class:`RosterError` (and changes
    nothing) when the staff table changed in a way that clashes meanwhile.
    """
    session = current_smattest.db.session
    now = utcnow()
    inserts = [
        {"external_id": c.external_id, **c.values, "created_at": now, "updated_at": now}
        for c in plan.new
    ]
    updates = [
        {
            "staff_id": c.staff_id,
            "new_updated_at": now,
            **{f"new_{k}": v for k, v in c.values.items()},
        }
        for c in plan.updated + plan.deactivated + plan.reactivated
    ]
    # Core statements: the ORM's bulk insert leaves out None values, which would
    # split the rows into many small batches whenever an optional field is empty.
    table = cast(sa.Table, Staff.__table__)  # a declarative model's table is a Table
    insert = table.insert()
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("staff_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in (*FIELDS, "updated_at")})
    )
    rows = [(insert, row) for row in inserts] + [(update, row) for row in updates]
    detail = {"source": plan.source, "partial": plan.partial, **plan.counts}
    try:
        batch: list[dict[str, Any]] = []
        for n, (statement, row) in enumerate(progress(rows, len(rows), "Applying"), 1):
            batch.append(row)
            if len(batch) == CHUNK or n == len(rows) or rows[n][0] is not statement:
                session.execute(statement, batch)
                batch = []
        listed = [c.external_id for c in plan.new] + plan.listed
        for start in range(0, len(listed), CHUNK):
            session.execute(
                sa.update(Staff)
                .where(Staff.external_id.in_(listed[start : start + CHUNK]))
                .values(roster_managed=True)
            )
        record_placements()
        session.add(HREvent(actor=actor, action=action, detail=json.dumps(detail, sort_keys=True)))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RosterError(
            [
                gettext(
                    "someone was added to the staff table while the roster was applied; "
                    "nothing changed: run the import again"
                )
            ]
        ) from None
    # Core statements on the staff table marked everyone: settled now, in bulk.
    due_upkeep.settle()
    send_after_commit(roster_imported, current_app_object(), result=plan)
    return plan


def describe(value: Any) -> str:
    """A field's value as HR reads it in a plan: dates ISO, yes/no, '(empty)'."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
