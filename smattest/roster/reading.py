"""Reading a roster: a CSV file or the host's records, every row checked, every problem named.

The format is described in :mod:`smattest.roster`. Nothing here touches the
database: :func:`parse_csv` and :func:`parse_records` return the checked rows
or raise :class:`RosterError` listing every problem with its line.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

import sqlalchemy as sa

import smattest.text as text_rules
from smattest.text import quoted

from ..i18n import format_number, gettext, normalise
from ..models import Staff
from ..rule.membership import join_groups, parse_groups

#: The fields of a person the roster sets, besides ``employee_id``.
FIELDS = (
    "email",
    "full_name",
    "department",
    "manager_email",
    "hire_date",
    "groups",
    "active",
    "language",
)
#: Every column a roster file may have, in the documented order.
COLUMNS = ("employee_id", *FIELDS)
#: The columns a roster file must have.
REQUIRED = ("employee_id", "email", "full_name")
#: A header with more columns than this is refused before anything else is read
#: (a roster has eight; a file with thousands is not a roster).
MAX_COLUMNS = 50


def _column_length(attribute: str) -> int:
    length = cast(sa.String, Staff.__table__.c[attribute].type).length
    assert length is not None  # every text column of the staff table has one
    return length


#: The longest text each column may hold: the staff table's column lengths.
MAX_LENGTH = {
    column: _column_length(attribute)
    for column, attribute in [
        ("employee_id", "external_id"),
        ("email", "email"),
        ("full_name", "full_name"),
        ("department", "department"),
        ("manager_email", "manager_email"),
        ("groups", "groups"),
    ]
}
TRUE = ("true", "yes", "1")
FALSE = ("false", "no", "0")

EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: What each column may contain (smattest.text); the others as any one-line text.
_TEXT_RULE = {"employee_id": text_rules.id_problem, "full_name": text_rules.name_problem}
# Names and departments read as people type them: one space between words.
SPACED = ("full_name", "department")

T = TypeVar("T")


class Progress(Protocol):
    """``progress(items, length, label)`` returns ``items``, e.g. through ``click.progressbar``."""

    def __call__(self, items: Iterable[T], length: int, label: str) -> Iterable[T]: ...


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


class _Problems(list[tuple[int, str]]):
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
                [
                    gettext(
                        "the file is empty: its first line must be the header, e.g. %(header)s",
                        header=",".join(COLUMNS),
                    )
                ]
            )
        names = _check_header(header)
        records, line = [], reader.line_num
        for cells in reader:
            # csv's line_num counts the lines a quoted newline spans, so a
            # record starts on the line after the previous one ended.
            start, line = line + 1, reader.line_num
            if any(map(str.strip, cells)):
                records.append((start, cells))
    except csv.Error as error:
        raise RosterError(
            [
                _at(
                    _line(line + 1),
                    gettext(
                        "the file is not valid CSV (%(error)s); check its quotes", error=str(error)
                    ),
                )
            ]
        ) from None
    rows, problems = [], _Problems()
    for number, cells in progress(records, len(records), "Checking rows"):
        where = _line(number)
        if len(cells) < len(names):
            problems.add(
                number,
                _at(
                    where,
                    gettext(
                        "%(values)s values; the header has %(columns)s",
                        values=len(cells),
                        columns=len(names),
                    ),
                ),
            )
            continue
        extra = [
            n
            for n, cell in enumerate(cells, 1)
            if cell.strip() and (n > len(names) or not names[n - 1])
        ]
        if extra:
            problems.add(
                number,
                _at(
                    where,
                    gettext("a value in column %(column)s, which has no header", column=extra[0]),
                ),
            )
            continue
        raw = {name: cell for name, cell in zip(names, cells, strict=False) if name}
        rows.append(_row(number, where, raw, problems))
    return Parsed(rows, _Problems(problems + _duplicates(rows, "line")))


def _line(number: int) -> str:
    """Where a problem is in a roster file: ``line 4``."""
    return gettext("line %(line)s", line=number)


def _at(where: str, problem: str) -> str:
    """A problem with where it is: ``line 4: ...``."""
    return gettext("%(where)s: %(problem)s", where=where, problem=problem)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RosterError(
            [
                gettext(
                    "the file is not UTF-8 text (first on line %(line)s): save it as "
                    "'CSV UTF-8' and try again",
                    line=line,
                )
            ]
        ) from None


def _check_header(header: list[str]) -> list[str]:
    if len(header) > MAX_COLUMNS:
        raise RosterError(
            [
                _at(
                    _line(1),
                    gettext(
                        "the header has %(count)s columns; a roster has at most %(most)s "
                        "(%(names)s): is this the right file?",
                        count=format_number(len(header)),
                        most=len(COLUMNS),
                        names=", ".join(COLUMNS),
                    ),
                )
            ]
        )
    names = [name.strip() for name in header]
    if len(names) == 1 and any(sep in names[0] for sep in ";\t|"):
        raise RosterError(
            [
                _at(
                    _line(1),
                    gettext(
                        "the header is one column %(name)s: separate the columns with commas "
                        "(save as 'CSV UTF-8 (comma delimited)')",
                        name=quoted(names[0]),
                    ),
                )
            ]
        )
    problems = []
    for name, times in Counter(n for n in names if n).items():
        if times > 1:
            problems.append(
                _at(
                    _line(1),
                    gettext(
                        "the column %(name)s appears %(times)s times",
                        name=quoted(name),
                        times=times,
                    ),
                )
            )
        if name not in COLUMNS:
            problems.append(
                _at(
                    _line(1),
                    gettext("unknown column %(name)s%(hint)s", name=quoted(name), hint=_hint(name)),
                )
            )
    problems += [
        _at(
            _line(1),
            gettext(
                "missing column %(name)s (required: %(required)s)",
                name=repr(column),
                required=", ".join(REQUIRED),
            ),
        )
        for column in REQUIRED
        if column not in names
    ]
    if problems:
        raise RosterError(problems)
    return names


def _hint(name: str) -> str:
    close = difflib.get_close_matches(name.lower().strip()[:60], COLUMNS, n=1, cutoff=0.6)
    if close:
        return gettext(": did you mean %(name)s?", name=repr(close[0]))
    return gettext(": the columns are %(names)s", names=", ".join(COLUMNS))


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
        message = f"record {numbers[0]}: unknown key {quoted(key)}{more}{_hint(str(key))}"
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
                problems.add(number, _at(where, str(error)))
                bad.add(column)
    for column in REQUIRED:
        if values.get(column) is None and column not in bad:
            problems.add(number, _at(where, gettext("missing %(column)s", column=column)))
    values.setdefault("active", True)
    email, manager = values.get("email"), values.get("manager_email")
    if email and manager == email:
        problems.add(
            number,
            _at(where, gettext("%(email)s is their own manager (manager_email)", email=email)),
        )
    return Row(number, where, values.pop("employee_id", None), values)


def _convert(column: str, value: Any) -> Any:
    if column == "hire_date":
        return _date(value)
    if column == "active":
        return _active(value)
    if column == "groups":
        return _groups(value)
    if column == "language":
        return _language(value)
    text = _text(column, value)
    if text is None:
        return None
    if len(text) > MAX_LENGTH[column]:
        raise _Bad(
            gettext(
                "%(column)s is %(length)s characters long; at most %(most)s",
                column=column,
                length=len(text),
                most=MAX_LENGTH[column],
            )
        )
    if column in ("email", "manager_email"):
        text = text.lower()
        if not EMAIL.fullmatch(text):
            raise _Bad(
                gettext(
                    "%(column)s %(value)s is not an email address",
                    column=column,
                    value=quoted(text),
                )
            )
    return text


def _text(column: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _Bad(f"{column} must be text, not {type(value).__name__} {quoted(value)}")
    text = " ".join(value.split()) if column in SPACED else value.strip()
    hidden = _TEXT_RULE.get(column, text_rules.problem)(column, text)
    if hidden:
        raise _Bad(hidden.rstrip("."))
    return text or None


def _groups(value: Any) -> str | None:
    hidden = text_rules.problem("groups", value) if isinstance(value, str) else None
    if hidden:
        raise _Bad(hidden.rstrip("."))
    try:
        text = join_groups(parse_groups(value))
    except ValueError as error:
        raise _Bad(str(error)) from None
    if text is not None and len(text) > MAX_LENGTH["groups"]:
        raise _Bad(
            gettext(
                "groups are %(length)s characters long; at most %(most)s",
                length=len(text),
                most=MAX_LENGTH["groups"],
            )
        )
    return text


def _language(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    tag = normalise(value) if isinstance(value, str) else None
    if tag is None:
        raise _Bad(
            gettext(
                "language %(value)s is not a language tag: write it as es, en or es-MX "
                "(empty: the person's browser chooses)",
                value=repr(value),
            )
        )
    return tag


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
    raise _Bad(
        gettext(
            "hire_date %(value)s is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18",
            value=quoted(value),
        )
    )


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
    raise _Bad(
        gettext(
            "active %(value)s is not one of true/false, yes/no, 1/0 (empty means active)",
            value=quoted(value),
        )
    )


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
                also = _line(first) if unit == "line" else f"record {first}"
                message = _at(
                    row.where,
                    gettext(
                        "duplicate %(column)s %(value)s, also on %(first)s",
                        column=label,
                        value=quoted(value),
                        first=also,
                    ),
                )
                problems.add(row.number, message)
            else:
                seen[value] = row
    return problems
