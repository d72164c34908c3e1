"""HR's trend: per requirement, the count of each status on each of the last 52 weeks.

The weeks end today: today, 7 days ago, ... 357 days ago. Today's counts are
the dashboard's (:func:`smattest.reports.dashboard.summary`, the due-date
table). A past day's are what ``flask smattest report status --as-of DAY``
lists for it (:func:`smattest.reports.exports.status_rows`): the same people
(the active roster, less anyone hired after the day) and the same rule, asked
through :func:`smattest.rule.compliance.standings` with the evidence
recorded by the end of that day. Nothing here re-implements the rule.

A past day costs one pass over the roster per requirement (seconds at 50,000
staff), so past days are kept in :class:`~smattest.models.TrendWeek` rows,
one per requirement and day, and a kept day is worked out again only when
something changes what it counted:

- evidence *about* that day or earlier, added since (a paper-era import, a
  paper form recorded on someone's behalf with its date, a relinked id): each
  row keeps the chain's head (``evidence_seq``) it was worked out at, and a
  read treats as out of date the days on or after the earliest moment any
  evidence appended since is about (attestations, completions, exemptions
  granted and ended; a relink counts as the beginning of time). Evidence about
  today (a signature now) leaves every past day alone;
- the rule's settings or the requirements (versions, audiences, withdrawals,
  retirements): the row's ``basis`` fingerprints them.

The roster is not in the basis, on purpose: a kept day counts the roster as it
was when the day was worked out (normally the night after it), so a leaver
marked inactive later stays in the weeks they were counted in, where ``report
status --as-of`` (which lists today's active roster) no longer lists them.
``flask smattest report trend --rework`` works every day out again.

The weeks end on a different weekday each day, so :func:`fill_year` keeps
every day of the past year (the scheduler's nightly ``trend`` job: once the
year is kept, each night works out one new day); :func:`fill` works out just
the days the 52 weeks need (the trend export, ``flask smattest report trend``,
and the dashboard when the roster is small). :func:`weeks` only reads, so the
dashboard costs a few statements whatever the roster's size, and shows a day
not worked out yet, or worked out before evidence about it arrived, as such.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

import smattest.rule.compliance as compliance

from ..db import utcnow
from ..models import (
    Attestation,
    AudienceChange,
    ChainHead,
    Course,
    CourseVersion,
    Exemption,
    ExemptionEnd,
    IdentityLink,
    Policy,
    PolicyVersion,
    TrainingCompletion,
    TrendWeek,
    VersionWithdrawal,
)
from ..proxies import current_smattest
from ..rule.compliance import CURRENT, DUE_SOON, EXEMPT, OVERDUE, Requirement
from ..rule.requirements import end_of_day_utc
from ..timeutil import local_today
from . import dashboard
from .exports import Export, csv_text, listed_on, record_export

#: Weeks in the trend, the last ending today.
WEEKS = 52
STATUSES = (CURRENT, DUE_SOON, OVERDUE, EXEMPT)
TREND_COLUMNS = ("week_ending", "requirement", "slug", *STATUSES)


def week_endings(today: dt.date | None = None) -> list[dt.date]:
    """The last day of each of the 52 weeks, oldest first; the last is today."""
    today = today or local_today()
    return [today - dt.timedelta(days=7 * n) for n in range(WEEKS - 1, -1, -1)]


@dataclass(frozen=True)
class WeekCounts:
    """One requirement's counts on one day (None: that past day is not worked out yet)."""

    day: dt.date
    counts: dict[str, int] | None
    #: Worked out before a change that may move it (roster, settings, evidence about
    #: the past): shown until :func:`fill` works it out again.
    stale: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values()) if self.counts else 0

    def share(self, status: str) -> float:
        """The share of people with ``status``, 0 to 1 (0 when nobody is counted)."""
        total = self.total
        return self.counts[status] / total if self.counts and total else 0.0


@dataclass(frozen=True)
class RequirementTrend:
    """A requirement in force today and its 52 weeks, oldest first."""

    requirement: Requirement
    weeks: list[WeekCounts]

    @property
    def missing(self) -> int:
        """Past days never worked out."""
        return sum(1 for week in self.weeks if week.counts is None)

    @property
    def stale(self) -> int:
        """Past days worked out before a later change, to be worked out again."""
        return sum(1 for week in self.weeks if week.stale)


# -- what a kept day depends on -------------------------------------------------------------


def _count_max(column: Any) -> list[sa.ScalarSelect[Any]]:
    return [
        sa.select(sa.func.count(column)).scalar_subquery(),
        sa.select(sa.func.max(column)).scalar_subquery(),
    ]


def basis() -> str:
    """A fingerprint of what besides evidence a past day's counts depend on: the rule's
    settings and the requirements (versions, audiences, withdrawals, retirements).

    One statement of counts and maxima. Versions and audiences only ever change
    from today on, so a change here is rare; the roster is left out on purpose
    (see the module's notes).
    """
    parts: list[sa.ScalarSelect[Any]] = []
    for column in (PolicyVersion.id, CourseVersion.id, AudienceChange.id, VersionWithdrawal.id,
                   Policy.id, Course.id, Policy.retired_on, Course.retired_on):  # fmt: skip
        parts += _count_max(column)
    row = current_smattest.db.session.execute(sa.select(*parts)).one()
    config = current_app.config
    settings = (config["SMATTEST_TIMEZONE"], config["SMATTEST_NEW_HIRE_DAYS"],
                config["SMATTEST_DUE_SOON_DAYS"])  # fmt: skip
    text = repr((tuple(_plain(value) for value in row), settings))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _utc(moment: dt.datetime) -> dt.datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _plain(value: object) -> object:
    # A time read back may carry no zone (a max() over a column, on some databases):
    # the same instant in UTC on every read of the same row.
    return _utc(value) if isinstance(value, dt.datetime) else value


_EVIDENCE_TIMES = (
    (Attestation.chain_seq, Attestation.attested_at),
    (TrainingCompletion.chain_seq, TrainingCompletion.completed_at),
    (Exemption.chain_seq, Exemption.granted_at),
    (ExemptionEnd.chain_seq, ExemptionEnd.ended_at),
)


def earliest_evidence_since(seq: int) -> dt.datetime | None:
    """The earliest moment any evidence appended after chain position ``seq`` is about.

    A relinked id appended since counts as the beginning of time (it moves a
    person's whole history). Uses the chain positions' unique indexes: the
    cost follows the rows appended since, not the chain's length.
    """
    relinked = sa.select(IdentityLink.id).where(IdentityLink.chain_seq > seq).limit(1)
    found = current_smattest.db.session.execute(
        sa.select(
            relinked.scalar_subquery(),
            *(
                sa.select(sa.func.min(moment)).where(position > seq).scalar_subquery()
                for position, moment in _EVIDENCE_TIMES
            ),
        )  # fmt: skip
    ).one()
    if found[0] is not None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    moments = [_utc(m) for m in found[1:] if m is not None]
    return min(moments) if moments else None


def _head() -> int:
    head = current_smattest.db.session.get(ChainHead, 1, populate_existing=True)
    return head.last_seq if head else 0


# -- reading and filling --------------------------------------------------------------------

Key = tuple[str, int, dt.date]


def _kept(days: Sequence[dt.date], fingerprint: str) -> dict[Key, tuple[TrendWeek, bool]]:
    """The kept rows of ``days``, each with whether it is still right: worked out on
    the same basis, and no evidence about that day or before appended since."""
    session = current_smattest.db.session
    rows = session.scalars(sa.select(TrendWeek).where(TrendWeek.week_ending.in_(days))).all()
    earliest: dict[int, dt.datetime | None] = {}
    kept = {}
    for row in rows:
        right = row.basis == fingerprint
        if right:
            if row.evidence_seq not in earliest:
                earliest[row.evidence_seq] = earliest_evidence_since(row.evidence_seq)
            since = earliest[row.evidence_seq]
            right = since is None or since > end_of_day_utc(row.week_ending)
        kept[(row.requirement_kind, row.requirement_id, row.week_ending)] = (row, right)
    return kept


def _to_do(
    past: Sequence[dt.date],
    wanted: Sequence[tuple[str, int]],
    kept: dict[Key, tuple[TrendWeek, bool]],
) -> list[dt.date]:
    """The past days some wanted requirement has no right row for."""
    return [
        day for day in past if any(not kept.get((k, r, day), (None, False))[1] for k, r in wanted)
    ]


def counts_on(day: dt.date) -> dict[tuple[str, int], dict[str, int]]:
    """Per requirement in force on past ``day``: what ``report status --as-of day`` counts."""
    found = {}
    for requirement in compliance.requirements(day):
        tally = dict.fromkeys(STATUSES, 0)
        standings = compliance.standings(requirement, day, where=listed_on(day), order_by=())
        for _, standing in standings:
            tally[standing.status] += 1
        found[(requirement.kind, requirement.id)] = tally
    return found


def _work_out(days: Sequence[dt.date], today: dt.date, rework: bool = False) -> int:
    """Work out and keep those of ``days`` missing or out of date (all with ``rework``).

    Each day is committed on its own, so an interrupted run keeps what it
    finished: call it where the session holds nothing else (a command, a job,
    the start of a page). Returns the number of days worked out.
    """
    session = current_smattest.db.session
    fingerprint = basis()
    wanted = [(r.kind, r.id) for r in compliance.requirements(today)]
    todo = list(days) if rework else _to_do(days, wanted, _kept(days, fingerprint))
    for day in todo:
        seq = _head()  # read first: evidence appended meanwhile is noticed on the next read
        counts = counts_on(day)
        now = utcnow()
        session.execute(sa.delete(TrendWeek).where(TrendWeek.week_ending == day))
        session.add_all(
            TrendWeek(requirement_kind=kind, requirement_id=rid, week_ending=day,
                      evidence_seq=seq, basis=fingerprint, computed_at=now,
                      **counts.get((kind, rid), dict.fromkeys(STATUSES, 0)))
            for kind, rid in wanted
        )  # fmt: skip
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()  # another process kept the same day a moment ago
    return len(todo)


def fill(today: dt.date | None = None, *, rework: bool = False) -> int:
    """Work out the past days the 52 weeks ending ``today`` need; how many were."""
    today = today or local_today()
    return _work_out(week_endings(today)[:-1], today, rework)


def fill_year(today: dt.date | None = None, *, rework: bool = False) -> int:
    """Work out every day of the past year not kept (the nightly job), and forget older ones.

    Once the year is kept, a night works out one day: the weeks of any day to
    come end on days kept already.
    """
    today = today or local_today()
    first = today - dt.timedelta(days=7 * (WEEKS - 1))
    session = current_smattest.db.session
    session.execute(sa.delete(TrendWeek).where(TrendWeek.week_ending < first))
    session.commit()
    days = [first + dt.timedelta(days=n) for n in range((today - first).days)]
    return _work_out(days, today, rework)


@dataclass(frozen=True)
class Trends:
    """Every requirement's trend, and the past days :func:`fill` would work out now."""

    requirements: list[RequirementTrend]
    to_do: int


def weeks(
    today: dt.date | None = None, summaries: Sequence[dashboard.RequirementSummary] | None = None
) -> Trends:
    """Per requirement in force today, its 52 weeks: kept past days and today's counts.

    Reads only. A past day never worked out has no counts; one worked out
    before a later change (``stale``) keeps its old counts until :func:`fill`
    works it out again. ``summaries`` are today's dashboard counts, when the
    caller has them already.
    """
    today = today or local_today()
    days = week_endings(today)
    summaries = dashboard.summary() if summaries is None else summaries
    kept = _kept(days[:-1], basis())
    wanted = [(s.requirement.kind, s.requirement.id) for s in summaries]
    found = []
    for summary in summaries:
        requirement = summary.requirement
        past = []
        for day in days[:-1]:
            row, right = kept.get((requirement.kind, requirement.id, day), (None, False))
            counts = None if row is None else {s: getattr(row, s) for s in STATUSES}
            past.append(WeekCounts(day, counts, stale=row is not None and not right))
        now = WeekCounts(today, {s: summary.overall.count(s) for s in STATUSES})
        found.append(RequirementTrend(requirement, [*past, now]))
    return Trends(found, len(_to_do(days[:-1], wanted, kept)))


# -- the export ------------------------------------------------------------------------------


def trend_rows(today: dt.date | None = None) -> Iterator[tuple[object, ...]]:
    """One row of :data:`TREND_COLUMNS` per requirement and week, filling what is missing."""
    fill(today)
    for trend in weeks(today).requirements:
        for week in trend.weeks:
            counts = week.counts or {}
            yield (week.day, trend.requirement.kind, trend.requirement.slug,
                   *(counts.get(s, 0) for s in STATUSES))  # fmt: skip


def trend_export(*, actor: str, record: bool = True) -> Export:
    """The trend file to stream (52 weeks per requirement), recorded as ``export.trend``."""
    today = local_today()
    if record:
        record_export("export.trend", actor, f"52 weeks ending {today.isoformat()}")
    export = Export(f"smattest-trend-{today.isoformat()}.csv", iter(()), as_of=today)
    export.chunks = csv_text(TREND_COLUMNS, trend_rows(today), export)
    return export
