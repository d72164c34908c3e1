"""The staff roster: check a CSV file (or the host's records), plan, then apply.

A roster file is CSV in UTF-8 (with or without a byte order mark), one person
per row, with a header naming its columns in any order::

    employee_id,email,full_name,department,manager_email,hire_date,active
    1001,ada.lovelace@agency.example,Ada Lovelace,Adult Services,grace@agency.example,2021-03-15,yes

``employee_id`` (the host user's id), ``email`` and ``full_name`` are
required; the other columns may be left out, and then leave those fields of
existing people as they are. An empty cell clears the field, except ``active``:
empty (or no column) means active. ``hire_date`` is YYYY-MM-DD; ``active``
is true/false, yes/no or 1/0.

Every row is checked before anything changes, and every problem is reported
with its line; one problem and nothing is imported. A *full* import makes the
staff table match the file: people missing from it are deactivated (never
deleted) and people back in it are reactivated. A *partial* import only adds
and updates. The plan (:func:`plan_csv`, :func:`plan_sync`) says who is new,
updated, deactivated, reactivated and unchanged; :func:`apply` carries it out
in one transaction with set-based statements.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from .db import utcnow
from .models import HREvent, Staff
from .proxies import current_smattest
from .signals import roster_imported

#: The fields of a person the roster sets, besides ``employee_id``.
FIELDS = ("email", "full_name", "department", "manager_email", "hire_date", "active")
#: Every column a roster file may have, in the documented order.
COLUMNS = ("employee_id", *FIELDS)
#: The columns a roster file must have.
REQUIRED = ("employee_id", "email", "full_name")
#: The longest text each column may hold: the staff table's column lengths.
MAX_LENGTH = {
    column: Staff.__table__.c[attribute].type.length
    for column, attribute in [
        ("employee_id", "external_id"),
        ("email", "email"),
        ("full_name", "full_name"),
        ("department", "department"),
        ("manager_email", "manager_email"),
    ]
}
TRUE = ("true", "yes", "1")
FALSE = ("false", "no", "0")
#: ``Plan.source`` of a sync.
SYNC_SOURCE = "SMATTEST_ROSTER_SOURCE"
#: Rows per statement when applying, so a progress bar can move.
CHUNK = 1000

EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Unicode's control characters (category Cc): NUL, escapes, stray carriage returns.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Names and departments read as people type them: one space between words.
SPACED = ("full_name", "department")

T = TypeVar("T")
#: ``progress(items, length, label)`` returns ``items``, e.g. through ``click.progressbar``.
Progress = Callable[[Iterable[T], int, str], Iterable[T]]


def no_progress(items: Iterable[T], length: int, label: str) -> Iterable[T]:
    """The default :data:`Progress`: shows nothing."""
    return items


class RosterError(ValueError):
    """The roster cannot be imported; ``problems`` lists each with its line or record."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


@dataclass
class Row:
    """One person as the roster gives them: where, who, and the fields given."""

    number: int
    where: str
    external_id: str | None
    values: dict[str, Any]


@dataclass
class Parsed:
    """Every row read, and every problem found in the rows on their own."""

    rows: list[Row]
    problems: _Problems


class _Problems(list):
    """Problems as (line or record number, message), to be listed in order."""

    def add(self, number: int, message: str) -> None:
        self.append((number, message))


class _Bad(ValueError):
    pass


# -- reading ---------------------------------------------------------------


def parse_csv(data: bytes | str, *, progress: Progress = no_progress) -> Parsed:
    """Read a roster file. Raises :class:`RosterError` when it cannot be read at all
    (not UTF-8, bad header, broken quoting); row problems are in the result."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    line = 0
    try:
        header = next(reader, None)
        if header is None:
            raise RosterError(
                [f"the file is empty: its first line must be the header, e.g. {','.join(COLUMNS)}"]
            )
        names = _check_header(header)
        records, line = [], reader.line_num
        for cells in reader:
            # csv's line_num counts the lines a quoted newline spans, so a
            # record starts on the line after the previous one ended.
            start, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
    except csv.Error as error:
        raise RosterError(
            [f"line {line + 1}: the file is not valid CSV ({error}); check its quotes"]
        ) from None
    rows, problems = [], _Problems()
    for number, cells in progress(records, len(records), "Checking rows"):
        where = f"line {number}"
        if len(cells) < len(names):
            problems.add(number, f"{where}: {len(cells)} values; the header has {len(names)}")
            continue
        extra = [
            n
            for n, cell in enumerate(cells, 1)
            if cell.strip() and (n > len(names) or not names[n - 1])
        ]
        if extra:
            problems.add(number, f"{where}: a value in column {extra[0]}, which has no header")
            continue
        raw = {name: cell for name, cell in zip(names, cells, strict=False) if name}
        rows.append(_row(number, where, raw, problems))
    return Parsed(rows, _Problems(problems + _duplicates(rows, "line")))


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RosterError(
            [
                f"the file is not UTF-8 text (first on line {line}): save it as 'CSV UTF-8' "
                "and try again"
            ]
        ) from None


def _check_header(header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    if len(names) == 1 and any(sep in names[0] for sep in ";\t|"):
        raise RosterError(
            [
                f"line 1: the header is one column {names[0]!r}: separate the "
                "columns with commas (save as 'CSV UTF-8 (comma delimited)')"
            ]
        )
    problems = []
    for name in dict.fromkeys(n for n in names if n):
        if names.count(name) > 1:
            problems.append(f"line 1: the column {name!r} appears {names.count(name)} times")
        if name not in COLUMNS:
            problems.append(f"line 1: unknown column {name!r}{_hint(name)}")
    problems += [
        f"line 1: missing column {column!r} (required: {', '.join(REQUIRED)})"
        for column in REQUIRED
        if column not in names
    ]
    if problems:
        raise RosterError(problems)
    return names


def _hint(name: str) -> str:
    close = difflib.get_close_matches(name.lower().strip(), COLUMNS, n=1, cutoff=0.6)
    if close:
        return f": did you mean {close[0]!r}?"
    return f": the columns are {', '.join(COLUMNS)}"


def parse_records(records: Iterable[Any], *, progress: Progress = no_progress) -> Parsed:
    """Read the host's roster: dicts with the roster file's keys; values may be
    text, dates, booleans or whole numbers. Problems say ``record N`` (from 1)."""
    records = list(records)
    rows, problems = [], _Problems()
    unknown: dict[Any, list[int]] = {}
    for number, raw in enumerate(progress(records, len(records), "Checking records"), 1):
        if not isinstance(raw, Mapping):
            problems.add(number, f"record {number}: a {type(raw).__name__}, not a dict")
            continue
        for key in raw:
            if key not in COLUMNS:
                unknown.setdefault(key, []).append(number)
        rows.append(_row(number, f"record {number}", dict(raw), problems))
    for key, numbers in unknown.items():
        more = f" (and {len(numbers) - 1} more records)" if len(numbers) > 1 else ""
        message = f"record {numbers[0]}: unknown key {key!r}{more}{_hint(str(key))}"
        problems.add(numbers[0], message)
    return Parsed(rows, _Problems(problems + _duplicates(rows, "record")))


def _row(number: int, where: str, raw: dict[str, Any], problems: _Problems) -> Row:
    """A row's values, converted; each bad value added to ``problems``."""
    values: dict[str, Any] = {}
    bad = set()
    for column in COLUMNS:
        if column in raw:
            try:
                values[column] = _convert(column, raw[column])
            except _Bad as error:
                problems.add(number, f"{where}: {error}")
                bad.add(column)
    for column in REQUIRED:
        if values.get(column) is None and column not in bad:
            problems.add(number, f"{where}: missing {column}")
    values.setdefault("active", True)
    email, manager = values.get("email"), values.get("manager_email")
    if email and manager == email:
        problems.add(number, f"{where}: {email} is their own manager (manager_email)")
    return Row(number, where, values.pop("employee_id", None), values)


def _convert(column: str, value: Any) -> Any:
    if column == "hire_date":
        return _date(value)
    if column == "active":
        return _active(value)
    text = _text(column, value)
    if text is None:
        return None
    if column in ("email", "manager_email"):
        text = text.lower()
        if not EMAIL.fullmatch(text):
            raise _Bad(f"{column} {text!r} is not an email address")
    if len(text) > MAX_LENGTH[column]:
        raise _Bad(f"{column} is {len(text)} characters long; at most {MAX_LENGTH[column]}")
    return text


def _text(column: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _Bad(f"{column} must be text, not {type(value).__name__} {value!r}")
    text = " ".join(value.split()) if column in SPACED else value.strip()
    if CONTROL.search(text):
        raise _Bad(f"{column} contains a control character")
    return text or None


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad(f"hire_date {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18")


def _active(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True if value is None else value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word == "":
        return True
    if word in TRUE or word in FALSE:
        return word in TRUE
    raise _Bad(f"active {value!r} is not one of true/false, yes/no, 1/0 (empty means active)")


def _duplicates(rows: list[Row], unit: str) -> _Problems:
    problems = _Problems()
    for key, label in (("external_id", "employee_id"), ("email", "email")):
        seen: dict[str, Row] = {}
        for row in rows:
            value = row.external_id if key == "external_id" else row.values.get("email")
            if value is None:
                continue
            if value in seen:
                first = seen[value].number
                message = f"{row.where}: duplicate {label} {value!r}, also on {unit} {first}"
                problems.add(row.number, message)
            else:
                seen[value] = row
    return problems


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
        problems.add(0, f"{whole} has nobody in it: a full import would deactivate everyone")
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
            message = f"{row.where}: email {email} already belongs to active staff member {owner!r}"
            problems.add(row.number, message)
        if manager and manager != email and manager not in emails and manager not in others:
            also = " or among active staff" if partial else ""
            message = f"{row.where}: manager_email {manager} is nobody's email in {whole}{also}"
            problems.add(row.number, message)
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise RosterError([message for _, message in problems])
    return _compare(rows, existing, partial=partial, source=source)


def _compare(rows: list[Row], existing: dict, *, partial: bool, source: str) -> Plan:
    groups: dict[str, list[Change]] = {
        "new": [],
        "updated": [],
        "deactivated": [],
        "reactivated": [],
    }
    unchanged = 0
    for row in rows:
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
    return Plan(source=source, partial=partial, unchanged=unchanged, **groups)


def _change(external_id, where, staff_id, values, changes) -> Change:
    return Change(
        external_id, values["full_name"], values["email"], where, staff_id, values, changes
    )


# -- applying --------------------------------------------------------------


def apply(
    plan: Plan, *, actor: str, action: str = "roster.import", progress: Progress = no_progress
) -> Plan:
    """Carry out a plan in one transaction and record one HR event.

    New people are inserted and changed people updated with one executemany
    per :data:`CHUNK` rows; nobody is deleted. Sends ``roster_imported`` with
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
    table = Staff.__table__
    insert = table.insert()
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("staff_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in (*FIELDS, "updated_at")})
    )
    rows = [(insert, row) for row in inserts] + [(update, row) for row in updates]
    detail = {"source": plan.source, "partial": plan.partial, **plan.counts}
    try:
        batch: list[dict] = []
        for n, (statement, row) in enumerate(progress(rows, len(rows), "Applying"), 1):
            batch.append(row)
            if len(batch) == CHUNK or n == len(rows) or rows[n][0] is not statement:
                session.execute(statement, batch)
                batch = []
        session.add(HREvent(actor=actor, action=action, detail=json.dumps(detail, sort_keys=True)))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RosterError(
            [
                "someone was added to the staff table while the roster was applied; nothing "
                "changed: run the import again"
            ]
        ) from None
    roster_imported.send(current_app._get_current_object(), result=plan)
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
