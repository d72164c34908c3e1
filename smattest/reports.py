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
(:mod:`smattest.compliance`). Who is listed is today's roster: people marked
active now (a leaver who was active then is not listed); on a past day, people
whose hire date is after it are left out.

Evidence export. Every attestation and training completion in chain order,
with every field the row's hash covers, then one last row of kind
``chain_head``: the head's position and hash, read before the rows, so the file
ends where the chain ended when the export began. An auditor can recompute
each ``record_hash`` from the file and compare the head with
``flask smattest audit verify``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from . import compliance
from .db import UTCDateTime, utcnow
from .identity_models import IdentityLink
from .models import (
    Attestation,
    ChainHead,
    Course,
    CourseVersion,
    Exemption,
    ExemptionEnd,
    HREvent,
    Policy,
    PolicyVersion,
    Staff,
    TrainingCompletion,
)
from .proxies import current_smattest
from .timeutil import local_today

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
EVIDENCE_COLUMNS = (
    "seq", "kind", "record_id", "employee_id", "full_name", "staff_id", "requirement_slug",
    "version", "version_id", "at_utc", "method", "signature", "score", "quiz_attempt_id",
    "reason", "recorded_by", "ip_address", "user_agent", "sha256", "prev_hash", "record_hash",
    # Since format 2 (docs/evidence.md): the row's format, what it is about, and the salt
    # and digest beside each personal field.
    "format", "requirement_kind", "requirement_id", "exemption_id", "until",
    "full_name_salt", "full_name_sha256", "signature_salt", "signature_sha256",
    "reason_salt", "reason_sha256", "ip_address_salt", "ip_address_sha256",
    "user_agent_salt", "user_agent_sha256",
    # An id change (kind id_change): the employee id before and after.
    "old_employee_id", "new_employee_id",
)  # fmt: skip
#: The ``kind`` of the evidence export's last row.
CHAIN_HEAD = "chain_head"

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


def _csv_text(
    columns: Iterable[str], rows: Iterable[Iterable[object]], export: Export
) -> Iterator[str]:
    """The BOM and header at once, then the rows as CSV text, ``BATCH`` rows a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the "excel" dialect: CRLF line endings
    buffer.write(BOM)
    writer.writerow(columns)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(value) for value in row])
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
            f"{day.isoformat()} is in the future: a status export can only look back. "
            f"Choose today ({today.isoformat()}) or an earlier day."
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
            f"{shown!r} is not a date: write it as YYYY-MM-DD, e.g. {local_today().isoformat()}."
        ) from None
    return check_as_of(day)


def _record(action: str, actor: str, detail: str) -> None:
    """Log who exported what (auditors ask), committed before the file streams."""
    session = current_smattest.db.session
    session.add(HREvent(actor=actor, action=action, detail=detail))
    session.commit()


# --- Status export -----------------------------------------------------------


def status_rows(as_of: dt.date | None = None) -> Iterator[tuple[object, ...]]:
    """One row per listed person and requirement in force on ``as_of`` (default today).

    Requirement by requirement, from :func:`smattest.compliance.stream_standings`:
    one streamed query per requirement, sorted by department and name, so
    neither the statements nor the memory grow with the number of people.
    """
    today = local_today()
    day = as_of or today
    listed: sa.SQLColumnExpression[bool] = Staff.active
    if day < today:
        listed = sa.and_(listed, sa.or_(Staff.hire_date.is_(None), Staff.hire_date <= day))
    details = (Staff.external_id, Staff.full_name, Staff.email, Staff.department,
               Staff.manager_email)  # fmt: skip
    order = (sa.func.coalesce(Staff.department, ""), Staff.full_name, Staff.id)
    for requirement in compliance.requirements(day):
        for person, standing in compliance.stream_standings(
            requirement, day, where=listed, columns=details, order_by=order, batch=BATCH
        ):
            exempt = standing.status == compliance.EXEMPT
            overdue = standing.status == compliance.OVERDUE
            yield (
                day, person.external_id, person.full_name, person.email, person.department,
                person.manager_email, person.hire_date, requirement.kind, requirement.slug,
                requirement.title, requirement.current_number, standing.status,
                None if exempt else standing.due_date,
                (day - standing.due_date).days if overdue and standing.due_date else 0,
                standing.done_at,
                (standing.due_date or "open-ended") if exempt else None,
            )  # fmt: skip


def status_csv(as_of: dt.date | None = None) -> Iterator[str]:
    """The status export's CSV text, chunk by chunk (nothing recorded)."""
    yield from _csv_text(STATUS_COLUMNS, status_rows(as_of), Export("", iter(())))


def status_export(as_of: str | dt.date | None, *, actor: str, record: bool = True) -> Export:
    """Check the day, record the export as an HR event, and return the file to stream.

    ``as_of`` is a date, YYYY-MM-DD text, or empty for today; a malformed or
    future day raises :class:`ReportError` and records nothing. ``record=False``
    (a HEAD request, which downloads nothing) leaves no HR event.
    """
    day = check_as_of(as_of) if isinstance(as_of, dt.date) else parse_as_of(as_of)
    if record:
        _record("export.status", actor, f"as_of={day.isoformat()}")
    export = Export(f"smattest-status-{day.isoformat()}.csv", iter(()), as_of=day)
    export.chunks = _csv_text(STATUS_COLUMNS, status_rows(day), export)
    return export


# --- Evidence export ---------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """The chain's head as read at the start of an export."""

    last_seq: int
    last_hash: str
    read_at: dt.datetime


def read_head() -> Head:
    """The chain head, read in a fresh transaction (what the database holds now)."""
    session = current_smattest.db.session
    # As audit.verify does: end any older snapshot (MariaDB's repeatable read).
    session.commit()
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        raise ReportError("smattest_chain_head has no row: run 'flask smattest db upgrade'.")
    return Head(head.last_seq, head.last_hash, utcnow())


def _row_or_now(row_value: Any, joined: Any, model: Any) -> Any:
    """A format-2 row's own value (as it was then), else the joined one (format 1)."""
    return sa.case((model.format >= 2, row_value), else_=joined)


def _select(model: Any, values: dict[str, Any]) -> Any:
    """One kind's part of the evidence query: every export column, typed NULL where absent."""
    return sa.select(
        *(
            values[name].label(name) if name in values else sa.cast(sa.null(), _TYPES[name])
            for name in EVIDENCE_COLUMNS
        )
    ).where(model.chain_seq.between(1, sa.bindparam("last_seq")))


_TYPES: dict[str, Any] = dict.fromkeys(EVIDENCE_COLUMNS, sa.String(512)) | dict.fromkeys(
    ("seq", "record_id", "staff_id", "version", "version_id", "score", "quiz_attempt_id",
     "format", "requirement_id", "exemption_id"), sa.Integer()
) | {"at_utc": UTCDateTime(), "until": sa.Date(), "reason": sa.Text()}  # fmt: skip


def _common(model: Any, slug: Any, number: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "seq": model.chain_seq, "record_id": model.id, "staff_id": model.staff_id,
        "format": model.format,
        "employee_id": _row_or_now(model.employee_id, Staff.external_id, model),
        "full_name": _row_or_now(model.full_name, Staff.full_name, model),
        "full_name_salt": model.full_name_salt, "full_name_sha256": model.full_name_sha256,
        "requirement_slug": _row_or_now(model.requirement_slug, slug, model),
        "prev_hash": model.prev_hash, "record_hash": model.record_hash,
    }  # fmt: skip
    if number is not None:
        values["version"] = _row_or_now(model.version_number, number, model)
    if hasattr(model, "reason_salt"):
        values.update(reason_salt=model.reason_salt, reason_sha256=model.reason_sha256)
    return values


def _evidence_query(last_seq: int) -> Any:
    """Every kind of evidence up to ``last_seq``, joined to names, in chain order."""
    attestations = _select(Attestation, {
        **_common(Attestation, Policy.slug, PolicyVersion.number),
        "kind": sa.literal("attestation"), "requirement_kind": sa.literal("policy"),
        "version_id": Attestation.policy_version_id, "at_utc": Attestation.attested_at,
        "method": Attestation.method, "signature": Attestation.signature,
        "reason": Attestation.reason, "recorded_by": Attestation.recorded_by,
        "ip_address": Attestation.ip_address, "user_agent": Attestation.user_agent,
        "sha256": Attestation.text_sha256,
        **{f"{name}_{part}": getattr(Attestation, f"{name}_{part}")
           for name in ("signature", "ip_address", "user_agent") for part in ("salt", "sha256")},
    }).join(Staff, Staff.id == Attestation.staff_id).join(
        PolicyVersion, PolicyVersion.id == Attestation.policy_version_id
    ).join(Policy, Policy.id == PolicyVersion.policy_id)  # fmt: skip
    completions = _select(TrainingCompletion, {
        **_common(TrainingCompletion, Course.slug, CourseVersion.number),
        "kind": sa.literal("training_completion"), "requirement_kind": sa.literal("course"),
        "version_id": TrainingCompletion.course_version_id,
        "at_utc": TrainingCompletion.completed_at, "method": TrainingCompletion.method,
        "score": TrainingCompletion.score, "quiz_attempt_id": TrainingCompletion.quiz_attempt_id,
        "reason": TrainingCompletion.reason, "recorded_by": TrainingCompletion.recorded_by,
        "sha256": TrainingCompletion.content_sha256,
    }).join(Staff, Staff.id == TrainingCompletion.staff_id).join(
        CourseVersion, CourseVersion.id == TrainingCompletion.course_version_id
    ).join(Course, Course.id == CourseVersion.course_id)  # fmt: skip
    grants = _select(Exemption, {
        **_common(Exemption, Exemption.requirement_slug, None),
        "kind": sa.literal("exemption_grant"), "requirement_kind": Exemption.requirement_kind,
        "requirement_id": Exemption.requirement_id, "at_utc": Exemption.granted_at,
        "reason": Exemption.reason, "recorded_by": Exemption.granted_by,
        "until": Exemption.until,
    }).join(Staff, Staff.id == Exemption.staff_id)  # fmt: skip
    ends = _select(ExemptionEnd, {
        **_common(ExemptionEnd, ExemptionEnd.requirement_slug, None),
        "kind": sa.literal("exemption_end"), "requirement_kind": ExemptionEnd.requirement_kind,
        "requirement_id": ExemptionEnd.requirement_id, "at_utc": ExemptionEnd.ended_at,
        "recorded_by": ExemptionEnd.ended_by, "exemption_id": ExemptionEnd.exemption_id,
    }).join(Staff, Staff.id == ExemptionEnd.staff_id)  # fmt: skip
    id_changes: Any = sa.select(
        *(
            {
                "seq": IdentityLink.chain_seq, "kind": sa.literal("id_change"),
                "record_id": IdentityLink.id, "employee_id": Staff.external_id,
                "full_name": Staff.full_name, "staff_id": IdentityLink.staff_id,
                "at_utc": IdentityLink.linked_at, "reason": IdentityLink.reason,
                "recorded_by": IdentityLink.recorded_by, "prev_hash": IdentityLink.prev_hash,
                "record_hash": IdentityLink.record_hash,
                "old_employee_id": IdentityLink.old_external_id,
                "new_employee_id": IdentityLink.new_external_id,
            }.get(name, sa.cast(sa.null(), _TYPES[name])).label(name)
            for name in EVIDENCE_COLUMNS
        )
    ).join(Staff, Staff.id == IdentityLink.staff_id).where(
        IdentityLink.chain_seq.between(1, sa.bindparam("last_seq"))
    )  # fmt: skip
    query = sa.union_all(attestations, completions, grants, ends, id_changes).order_by(
        sa.column("seq")
    )
    return query.params(last_seq=last_seq)


def evidence_rows(head: Head) -> Iterator[tuple[object, ...]]:
    """Every evidence row up to ``head`` in chain order (one streamed query).

    The rows come through a server-side cursor ``BATCH`` at a time, so memory
    stays flat however long the chain is.
    """
    query = _evidence_query(head.last_seq).execution_options(yield_per=BATCH)
    # Closed on the way out, also when a download is abandoned half-way.
    with current_smattest.db.session.execute(query) as result:
        for row in result:
            yield tuple(row)


def _with_head(rows: Iterator[tuple[object, ...]], head: Head) -> Iterator[tuple[object, ...]]:
    yield from rows
    closing = dict.fromkeys(EVIDENCE_COLUMNS)
    closing.update(seq=head.last_seq, kind=CHAIN_HEAD, at_utc=head.read_at,
                   record_hash=head.last_hash)  # fmt: skip
    yield tuple(closing.values())


def evidence_csv(head: Head | None = None) -> Iterator[str]:
    """The evidence export's CSV text, chunk by chunk (nothing recorded)."""
    head = head or read_head()
    yield from _csv_text(
        EVIDENCE_COLUMNS, _with_head(evidence_rows(head), head), Export("", iter(()))
    )


def evidence_export(*, actor: str, record: bool = True) -> Export:
    """Read the chain head, record the export as an HR event, and return the file to stream.

    The rows streamed are those up to the head read here: evidence recorded
    while the file streams is left for the next export. ``record=False`` (a
    HEAD request) leaves no HR event.
    """
    head = read_head()
    if record:
        chain = f"chain head seq={head.last_seq} hash={head.last_hash or '(empty chain)'}"
        _record("export.evidence", actor, chain)
    export = Export(f"smattest-evidence-{local_today().isoformat()}.csv", iter(()), head.last_seq)
    rows = _with_head(evidence_rows(head), head)
    export.chunks = _csv_text(EVIDENCE_COLUMNS, rows, export)
    return export
