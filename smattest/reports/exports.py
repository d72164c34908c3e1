"""Exports for audits: everyone's status (today or on a past day) and every evidence row.

Both exports are CSV produced as a stream of text chunks, never as one string
in memory, so a page or a command can send 50,000 people or millions of
evidence rows as they are read.

The files are what a spreadsheet expects: UTF-8 with a byte order mark, CRLF
line endings, one header row. Every text cell that a spreadsheet could run as
a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is written with a single quote in front; so is a cell that already
starts with a quote, so that removing one leading quote always gives back the
stored value. Every time is UTC, ISO 8601 with microseconds (what the evidence
hash covers); every date is ISO (YYYY-MM-DD). An empty cell is a missing value.

Status export. One row per person and requirement in force on the day. A past
day ("as of") is judged from the evidence alone: signatures, completions and
exemptions recorded by the end of that day, by the same rule as every page
(:mod:`smattest.rule.compliance`). Who is listed is today's roster: people marked
active now (a leaver who was active then is not listed); on a past day, people
whose hire date is after it are left out.

The evidence export is :mod:`smattest.evidence.export`; it writes its file
with the same cells and CSV text as here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

import smattest.due.read as due_read
import smattest.rule.compliance as compliance

from ..i18n import gettext
from ..models import (
    HREvent,
    Staff,
)
from ..proxies import current_smattest
from ..timeutil import local_today

#: Rows fetched from the database at a time, and written per text chunk.
BATCH = 1000
BOM = "\ufeff"
#: A text cell starting with one of these is written with a ``'`` in front.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

STATUS_COLUMNS = (
    "as_of", "employee_id", "full_name", "email", "department", "manager_email", "hire_date",
    "requirement", "requirement_slug", "requirement_title", "version_in_force", "status",
    "due_date", "days_overdue", "last_done_at", "exempt_until",
)  # fmt: skip
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReportError(ValueError):
    """An export cannot be made; the message tells HR why, in one line."""


@dataclass
class Export:
    """A file ready to stream: its name, its text chunks, and rows written so far."""

    filename: str
    chunks: Iterator[str]
    #: Rows the chunks are expected to hold, when known beforehand (for a progress bar).
    total: int | None = None
    #: The day a status export looks at.
    as_of: dt.date | None = None
    #: CSV rows written so far, after the header (the evidence export's head row included).
    rows: int = field(default=0)


# --- Cells and CSV text ------------------------------------------------------


def neutralise(text: str) -> str:
    """``text`` safe to open in a spreadsheet: a leading formula character gets a ``'``."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def utc_iso(moment: dt.datetime) -> str:
    """A time as the evidence hash sees it: UTC, ISO 8601, microseconds."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _cell(value: object) -> object:
    # Called for every cell of every row: the common cases first.
    if type(value) is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return utc_iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def csv_text(
    columns: Iterable[str],
    rows: Iterable[Iterable[object]],
    export: Export,
    *,
    cells: bool = False,
) -> Iterator[str]:
    """The BOM and header at once, then the rows as CSV text, ``BATCH`` rows a chunk.

    ``cells``: the rows hold the cells' text already (neutralised), as
    :func:`status_rows` makes them for 100,000 rows at a time.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the "excel" dialect: CRLF line endings
    buffer.write(BOM)
    writer.writerow(columns)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow(row if cells else [_cell(value) for value in row])
        export.rows = n
        if n % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# --- As of which day ---------------------------------------------------------


def check_as_of(day: dt.date) -> dt.date:
    """``day`` if a status export can look at it; :class:`ReportError` for a future day."""
    today = local_today()
    if day > today:
        raise ReportError(
            gettext(
                "%(day)s is in the future: a status export can only look back. Choose today "
                "(%(today)s) or an earlier day.",
                day=day.isoformat(),
                today=today.isoformat(),
            )
        )
    return day


def parse_as_of(text: str | None) -> dt.date:
    """The day a status export looks at: ``text`` as YYYY-MM-DD, or today when empty.

    Raises :class:`ReportError` for anything that is not such a date, and for
    a day after today (the evidence of the future is not recorded yet).
    """
    text = (text or "").strip()
    if not text:
        return local_today()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ReportError(
            gettext(
                "%(text)s is not a date: write it as YYYY-MM-DD, e.g. %(today)s.",
                text=repr(shown),
                today=local_today().isoformat(),
            )
        ) from None
    return check_as_of(day)


def record_export(action: str, actor: str, detail: str) -> None:
    """Log who exported what (auditors ask), committed before the file streams."""
    session = current_smattest.db.session
    session.add(HREvent(actor=actor, action=action, detail=detail))
    session.commit()


# --- Status export -----------------------------------------------------------


def listed_on(day: dt.date) -> sa.SQLColumnExpression[bool]:
    """Who a status export lists for ``day``: today's active roster, and on a past day
    only those hired by then (the trend counts the same people)."""
    listed: sa.SQLColumnExpression[bool] = Staff.active
    if day < local_today():
        listed = sa.and_(listed, sa.or_(Staff.hire_date.is_(None), Staff.hire_date <= day))
    return listed


def status_rows(as_of: dt.date | None = None) -> Iterator[tuple[str, ...]]:
    """One row of CSV cells per listed person and requirement in force on ``as_of``
    (default today), text as the file holds it (neutralised for spreadsheets).

    Requirement by requirement, one streamed query each, sorted by department
    and name, so neither the statements nor the memory grow with the number of
    people: from :func:`smattest.due.read.standings` (today's from the due-date
    table when it answers, a past day's from the evidence).
    """
    today = local_today()
    day = as_of or today
    listed = listed_on(day)
    details = (Staff.external_id, Staff.full_name, Staff.email, Staff.department,
               Staff.manager_email)  # fmt: skip
    order = (sa.func.coalesce(Staff.department, ""), Staff.full_name, Staff.id)
    on, n = day.isoformat(), neutralise
    found = due_read.standings(compliance.requirements(day), day, where=listed, columns=details,
                               order_by=order, batch=BATCH)  # fmt: skip
    described: dict[tuple[str, int], tuple[str, ...]] = {}
    for person, standing in found:
        r = standing.requirement
        what = described.get((r.kind, r.id)) or described.setdefault(
            (r.kind, r.id), (r.kind, n(r.slug), n(r.title), str(r.current_number))
        )
        status, due_date, done_at = standing.status, standing.due_date, standing.done_at
        exempt = status == compliance.EXEMPT
        yield (
            on, n(person.external_id), n(person.full_name), n(person.email or ""),
            n(person.department or ""), n(person.manager_email or ""),
            person.hire_date.isoformat() if person.hire_date else "", *what, status,
            "" if exempt or due_date is None else due_date.isoformat(),
            str(standing.days_overdue), utc_iso(done_at) if done_at else "",
            (due_date.isoformat() if due_date else "open-ended") if exempt else "",
        )  # fmt: skip


def status_csv(as_of: dt.date | None = None) -> Iterator[str]:
    """The status export's CSV text, chunk by chunk (nothing recorded)."""
    yield from csv_text(STATUS_COLUMNS, status_rows(as_of), Export("", iter(())), cells=True)


def status_export(as_of: str | dt.date | None, *, actor: str, record: bool = True) -> Export:
    """Check the day, record the export as an HR event, and return the file to stream.

    ``as_of`` is a date, YYYY-MM-DD text, or empty for today; a malformed or
    future day raises :class:`ReportError` and records nothing. ``record=False``
    (a HEAD request, which downloads nothing) leaves no HR event.
    """
    day = check_as_of(as_of) if isinstance(as_of, dt.date) else parse_as_of(as_of)
    if record:
        record_export("export.status", actor, f"as_of={day.isoformat()}")
    export = Export(f"smattest-status-{day.isoformat()}.csv", iter(()), as_of=day)
    export.chunks = csv_text(STATUS_COLUMNS, status_rows(day), export, cells=True)
    return export
