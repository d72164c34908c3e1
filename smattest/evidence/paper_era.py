"""Importing the paper era: past attestations and training completions from a CSV file.

Agencies switching to smattest have years of paper forms and spreadsheets.
The file has one row per signature or completion::

    employee_id,kind,slug,version,done_on,source
    1001,policy,social-media,1,2024-03-18,"paper form, box 12"
    1001,course,social-media-refresher,1,2024-04-02,training log 2024

Every row is checked before anything is written: the person is on the staff
list, the policy or course and its version exist, the day is neither in the
future nor before the version existed (a policy version's effective date, a
course version's import), and the row repeats neither an earlier line nor
evidence already recorded (the same person, version and day). Every problem
is reported with its line number, and the file is imported whole or not at
all. Imported rows join the evidence chain with method ``import``, the
importing HR user as ``recorded_by`` and the source as ``reason``; they
count for the rule like any other evidence.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import smattest.due.upkeep as due_upkeep
import smattest.evidence.chain as evidence

from ..i18n import format_date, format_number, gettext
from ..models import (
    COURSE,
    POLICY,
    Attestation,
    Course,
    CourseVersion,
    HREvent,
    Policy,
    PolicyVersion,
    Staff,
    TrainingCompletion,
    in_chain,
)
from ..proxies import current_smattest
from ..text import problem as text_problem
from ..text import quoted
from ..timeutil import local_today
from .own import own_records

COLUMNS = ("employee_id", "kind", "slug", "version", "done_on", "source")
#: The longest source kept ("paper form, box 12"), as for a reason.
MAX_SOURCE = 2000
#: A header with more columns than this is refused before anything else is read.
MAX_COLUMNS = 50
#: Problems listed before the rest are only counted.
MAX_PROBLEMS = 200
#: A version number as the file may write it (whole, and within any database's range).
VERSION = re.compile(r"[0-9]{1,9}")
#: Imported rows are timed at noon, local time, of their day.
NOON = dt.time(12, 0)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def paper_day_problem(signed_on: dt.date, took_effect: dt.date, what: str) -> str | None:
    """Why ``signed_on``, the day on a paper form HR records for ``what`` (e.g. "version 2
    of the Social Media Policy", in force from ``took_effect``), cannot be (None: it can)."""
    today = local_today()
    if signed_on > today:
        return gettext(
            "The day on the paper, %(day)s, is in the future: "
            "write the day the form was signed, today (%(today)s) at the latest.",
            day=format_date(signed_on),
            today=format_date(today),
        )
    if signed_on < took_effect:
        return gettext(
            "The day on the paper, %(day)s, is before %(what)s took effect "
            "(%(effective)s): a paper form of an earlier version is paper-era "
            "evidence (Exports → Import past evidence).",
            day=format_date(signed_on),
            what=what,
            effective=format_date(took_effect),
        )
    return None


def paper_time(day: dt.date) -> tuple[dt.datetime, str]:
    """When a paper form of ``day`` counts from (noon, local, in UTC), and the day as read."""
    noon = dt.datetime.combine(day, NOON, tzinfo=current_smattest.timezone)
    return noon.astimezone(dt.UTC), _day(day)


class PaperEraError(ValueError):
    """The file cannot be imported; ``problems`` lists each, with its line number."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problems: " + "; ".join(problems[:3]))


@dataclass(frozen=True)
class Row:
    """One valid line of the file, resolved to the database's ids."""

    line: int
    staff_id: int
    kind: str
    version_id: int
    content_sha256: str
    done_on: dt.date
    source: str


@dataclass
class Plan:
    """Every line of a valid file, ready to import."""

    rows: list[Row] = field(default_factory=list)

    @property
    def attestations(self) -> int:
        return sum(1 for row in self.rows if row.kind == POLICY)

    @property
    def completions(self) -> int:
        return sum(1 for row in self.rows if row.kind == COURSE)


@dataclass(frozen=True)
class _Version:
    id: int
    sha256: str
    exists_from: dt.date


def _versions() -> dict[tuple[str, str, int], _Version]:
    """(kind, slug, number) -> version, for every policy and course version."""
    session = current_smattest.db.session
    tz = current_smattest.timezone
    found: dict[tuple[str, str, int], _Version] = {}
    for vid, slug, number, text_sha, effective in session.execute(
        sa.select(PolicyVersion.id, Policy.slug, PolicyVersion.number, PolicyVersion.text_sha256,
                  PolicyVersion.effective_date).join(Policy, Policy.id == PolicyVersion.policy_id)
    ):  # fmt: skip
        found[(POLICY, slug, number)] = _Version(vid, text_sha, effective)
    for vid, slug, number, stored, created in session.execute(
        sa.select(CourseVersion.id, Course.slug, CourseVersion.number, CourseVersion.stored_sha256,
                  CourseVersion.created_at).join(Course, Course.id == CourseVersion.course_id)
    ):  # fmt: skip
        found[(COURSE, slug, number)] = _Version(vid, stored or "", created.astimezone(tz).date())
    return found


def _existing(version_ids: dict[str, set[int]]) -> set[tuple[str, int, int, dt.date]]:
    """(kind, staff id, version id, local day) of evidence already in the chain."""
    session = current_smattest.db.session
    tz = current_smattest.timezone
    found: set[tuple[str, int, int, dt.date]] = set()
    queries: tuple[tuple[str, Any, Any, Any], ...] = (
        (POLICY, Attestation, Attestation.policy_version_id, Attestation.attested_at),
        (COURSE, TrainingCompletion, TrainingCompletion.course_version_id,
         TrainingCompletion.completed_at),
    )  # fmt: skip
    for kind, model, version_column, at_column in queries:
        if not version_ids[kind]:
            continue
        rows = session.execute(
            sa.select(model.staff_id, version_column, at_column)
            .where(version_column.in_(sorted(version_ids[kind])), in_chain(model.chain_seq))
            .execution_options(yield_per=5000)
        )
        found |= {(kind, s, v, at.astimezone(tz).date()) for s, v, at in rows}
    return found


def plan_csv(data: bytes, *, actor: str | None = None) -> Plan:
    """Check every line of the file; a :class:`Plan` to import, or :class:`PaperEraError`.

    With ``actor`` (HR's lasting id), a line about the actor's own record (now
    or under an earlier id) is a problem: nobody imports evidence about themselves.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem = gettext("The file is not UTF-8 text: save it as 'CSV UTF-8'.")
        raise PaperEraError([problem]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        problem = _at(1, _not_csv(error))
        raise PaperEraError([problem]) from None
    if len(header) > MAX_COLUMNS:
        too_many = gettext(
            "the header has %(count)s columns; the file has %(columns)s: %(names)s.",
            count=format_number(len(header)),
            columns=len(COLUMNS),
            names=", ".join(COLUMNS),
        )
        raise PaperEraError([_at(1, too_many)])
    missing = [name for name in COLUMNS if name not in header]
    unknown = [quoted(name) for name in header if name not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        names = ", ".join(COLUMNS)
        details = [gettext("missing %(names)s", names=", ".join(missing))] if missing else []
        details += [gettext("unknown %(names)s", names=", ".join(unknown))] if unknown else []
        problem = (
            gettext("the columns must be %(names)s (in any order): %(details)s.",
                    names=names, details="; ".join(details))
            if details
            else gettext("the columns must be %(names)s (in any order).", names=names)
        )  # fmt: skip
        raise PaperEraError([_at(1, problem)])
    session = current_smattest.db.session
    staff: dict[str, int] = {
        e: i for e, i in session.execute(sa.select(Staff.external_id, Staff.id))
    }
    versions = _versions()
    today = local_today()
    own = own_records(actor) if actor is not None else set()
    problems: list[tuple[int, str]] = []
    plan = Plan()
    seen: dict[tuple[str, int, int, dt.date], int] = {}
    for line, values in _lines(reader, problems):
        if not any(cell.strip() for cell in values):
            continue
        if len(values) != len(header):
            problems.append((line, gettext(
                "%(cells)s cells, but the header names %(columns)s columns.",
                cells=len(values), columns=len(header))))  # fmt: skip
            continue
        cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
        row, why = _row(line, cells, staff, versions, today)
        if row is None:
            problems.append((line, why))
            continue
        if row.staff_id in own:
            problems.append((line, gettext(
                "employee id %(id)s is your own record: nobody imports evidence about "
                "themselves; another HR person must do it. Nothing was recorded.",
                id=quoted(cells["employee_id"]))))  # fmt: skip
            continue
        key = (row.kind, row.staff_id, row.version_id, row.done_on)
        if key in seen:
            same = (
                gettext("the same policy evidence as line %(line)s.", line=seen[key])
                if row.kind == POLICY
                else gettext("the same course evidence as line %(line)s.", line=seen[key])
            )
            problems.append((line, same))
            continue
        seen[key] = line
        plan.rows.append(row)
    version_ids: dict[str, set[int]] = {POLICY: set(), COURSE: set()}
    for row in plan.rows:
        version_ids[row.kind].add(row.version_id)
    existing = _existing(version_ids)
    problems += [
        (row.line, _already(row))
        for row in plan.rows
        if (row.kind, row.staff_id, row.version_id, row.done_on) in existing
    ]
    if problems:
        problems.sort(key=lambda problem: problem[0])
        extra = len(problems) - MAX_PROBLEMS
        listed = [_at(line, why) for line, why in problems[:MAX_PROBLEMS]]
        raise PaperEraError(
            listed + ([gettext("... and %(extra)s more.", extra=extra)] if extra > 0 else [])
        )
    if not plan.rows:
        raise PaperEraError([gettext("The file has no rows below its header: nothing to import.")])
    return plan


def _at(line: int, problem: str) -> str:
    """A problem with the line it is on: ``line 4: ...``."""
    return gettext("line %(line)s: %(problem)s", line=line, problem=problem)


def _not_csv(error: csv.Error) -> str:
    return gettext("the file is not valid CSV (%(error)s); check its quotes.", error=str(error))


def _already(row: Row) -> str:
    day = row.done_on.isoformat()
    if row.kind == POLICY:
        return gettext(
            "already recorded: this person's policy evidence for that version on %(day)s is "
            "in the evidence chain.",
            day=day,
        )
    return gettext(
        "already recorded: this person's course evidence for that version on %(day)s is "
        "in the evidence chain.",
        day=day,
    )


def _lines(reader: Any, problems: list[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """Each line's number and cells, until the end or a line csv cannot read (a problem)."""
    line = reader.line_num
    try:
        for values in reader:
            line = reader.line_num
            yield line, values
    except csv.Error as error:
        problems.append((line + 1, _not_csv(error)))


def _row(
    line: int,
    cells: dict[str, str],
    staff: dict[str, int],
    versions: dict[tuple[str, str, int], _Version],
    today: dt.date,
) -> tuple[Row | None, str]:
    """One line resolved, or (None, why not)."""
    employee_id, kind, slug = cells["employee_id"], cells["kind"].lower(), cells["slug"]
    if employee_id not in staff:
        return None, gettext(
            "no one on the staff list has employee id %(id)s.", id=quoted(employee_id)
        )
    if kind not in (POLICY, COURSE):
        return None, gettext(
            "kind %(kind)s is neither 'policy' nor 'course'.", kind=quoted(cells["kind"])
        )
    if not VERSION.fullmatch(cells["version"]):
        return None, gettext(
            "version %(version)s is not a version number.", version=quoted(cells["version"])
        )
    version = versions.get((kind, slug, int(cells["version"])))
    if version is None:
        number = cells["version"]
        if not any(k == kind and s == slug for k, s, _ in versions):
            if kind == POLICY:
                return None, gettext("there is no policy with slug %(slug)s.", slug=quoted(slug))
            return None, gettext("there is no course with slug %(slug)s.", slug=quoted(slug))
        if kind == POLICY:
            return None, gettext("the policy %(slug)s has no version %(number)s.",
                                 slug=quoted(slug), number=number)  # fmt: skip
        return None, gettext("the course %(slug)s has no version %(number)s.",
                             slug=quoted(slug), number=number)  # fmt: skip
    try:
        done_on = dt.date.fromisoformat(cells["done_on"])
    except ValueError:
        return None, gettext(
            "done_on %(value)s is not a date written YYYY-MM-DD.", value=quoted(cells["done_on"])
        )
    if done_on > today:
        return None, gettext("done_on %(day)s is in the future.", day=done_on.isoformat())
    if done_on < version.exists_from:
        return None, gettext(
            "done_on %(day)s is before %(slug)s version %(number)s existed (%(since)s).",
            day=done_on.isoformat(), slug=slug, number=cells["version"],
            since=version.exists_from.isoformat())  # fmt: skip
    source = cells["source"]
    if not source:
        return None, gettext(
            'the source is empty: say where the record is, e.g. "paper form, box 12".'
        )
    if len(source) > MAX_SOURCE:
        return None, gettext(
            "the source is %(length)s characters long; keep it to %(most)s.",
            length=len(source),
            most=MAX_SOURCE,
        )
    hidden = text_problem(gettext("the source"), source)
    if hidden:
        return None, hidden
    row = Row(line, staff[employee_id], kind, version.id, version.sha256, done_on, source)
    return row, ""


def apply(data: bytes, *, actor: str, filename: str = "upload.csv", judged: bool = True) -> Plan:
    """Import the file whole, in one transaction, or raise :class:`PaperEraError`.

    ``actor`` is recorded on every row; unless ``judged`` is False (the command
    line, run by IT), a line about the actor's own record is refused.

    The file is checked again while the chain is locked, so evidence recorded
    since a preview is never imported a second time. After the commit the
    due-date table is settled for everyone imported (:func:`smattest.due.upkeep.settle`).
    """
    session = current_smattest.db.session
    head = evidence.lock_chain()
    try:
        plan = plan_csv(data, actor=actor if judged else None)
        # Who and what every row is about, loaded once and held, so that linking each
        # row finds them in the session instead of querying (5,000 rows: 5,000 queries).
        ids = sorted({row.staff_id for row in plan.rows})
        held: list[object] = []
        for start in range(0, len(ids), 1000):
            held += session.scalars(sa.select(Staff).where(Staff.id.in_(ids[start : start + 1000])))
        for model in (Policy, PolicyVersion, Course, CourseVersion):
            held += session.scalars(sa.select(model))
        tz = current_smattest.timezone
        for row in plan.rows:
            at = dt.datetime.combine(row.done_on, NOON, tzinfo=tz).astimezone(dt.UTC)
            record: Attestation | TrainingCompletion
            if row.kind == POLICY:
                record = Attestation(staff_id=row.staff_id, policy_version_id=row.version_id,
                                     attested_at=at, signature="", method="import",
                                     reason=row.source, recorded_by=actor,
                                     text_sha256=row.content_sha256)  # fmt: skip
            else:
                record = TrainingCompletion(staff_id=row.staff_id,
                                            course_version_id=row.version_id, completed_at=at,
                                            method="import", reason=row.source,
                                            recorded_by=actor,
                                            content_sha256=row.content_sha256)  # fmt: skip
            with session.no_autoflush:
                evidence.link(head, record)
        session.add(
            HREvent(actor=actor, action="evidence.import",
                    detail=f"{filename}: {plan.attestations} attestations, "
                    f"{plan.completions} training completions, chain positions "
                    f"{head.last_seq - len(plan.rows) + 1}-{head.last_seq}")
        )  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    # Every row marked its person; the import settles them in bulk now, so that HR's
    # next look finds the due-date table ready rather than doing it.
    due_upkeep.settle()
    return plan
