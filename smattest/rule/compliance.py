"""The one place that decides what a person owes: due dates and statuses.

For a staff member and a requirement (a policy to attest to, or a course to
complete) the rule gives a due date and one status:

- ``current``: done, and the next due date is further away than
  ``SMATTEST_DUE_SOON_DAYS``;
- ``due_soon``: due within ``SMATTEST_DUE_SOON_DAYS``, or owed and not yet done
  (a new hire, a new material version) but not yet late;
- ``overdue``: the due date has passed;
- ``exempt``: HR granted an exemption that covers the day.

Courses. Any version's completion counts: due ``refresh_every_months`` after
the last completion; never completed, ``SMATTEST_NEW_HIRE_DAYS`` after the
later of the hire date and the day the course was first imported.

Policies. The *basis* is the newest version in force that requires
re-attestation (a minor version changes nobody's status). A person is done when
they attested to the basis or any later version; they are then due again
``policy.every_months`` after that attestation.

A new material version brings a due date forward, never back: someone not done
on the basis is due on the earlier of

- the obligation they already had: ``policy.every_months`` after their last
  attestation to any version, or, if they never signed, ``SMATTEST_NEW_HIRE_DAYS``
  after the later of their hire date and the first version's effective date;
- ``SMATTEST_NEW_HIRE_DAYS`` after the later of their hire date and the
  effective date of the first material version after the newest they signed.

So a person already late stays late (their overdue reminders and their
manager's escalation carry on, as the due date they are keyed on does not
move), and a person with months left gets ``SMATTEST_NEW_HIRE_DAYS`` to sign
the new text. ``as_of`` answers follow the same rule with what was in force and
recorded on that day.

Audiences. A requirement is owed only by the people in its audience on the day
(:mod:`smattest.rule.membership`): its audience that day, their department and
groups that day. Someone who joined the audience (a transfer, a new group, a
wider audience) is due no sooner than ``SMATTEST_NEW_HIRE_DAYS`` after the day
they joined, as if hired then; someone outside it owes nothing and keeps
their evidence.

Everything here works for one person (:func:`standing`, :func:`person_standings`)
and, with one query per requirement, for every person at once (:func:`standings`
on a day, :func:`positions` whatever the day). Pages, exports and reminders ask it
through :func:`smattest.due.read.standings`, which answers today's from the
due-date table when it can.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from flask import current_app

import smattest.rule.evidence_queries as counting

from ..models import POLICY, Staff
from ..proxies import current_smattest
from ..timeutil import local_today
from .membership import DatedAudience, entry
from .requirements import Requirement as Requirement
from .requirements import course_requirements as course_requirements
from .requirements import end_of_day_utc, placements
from .requirements import policy_requirements as policy_requirements
from .requirements import requirements as requirements
from .standing import CURRENT as CURRENT
from .standing import DUE_SOON as DUE_SOON
from .standing import EXEMPT as EXEMPT
from .standing import LABELS as LABELS
from .standing import OVERDUE as OVERDUE
from .standing import URGENCY as URGENCY
from .standing import Position as Position
from .standing import Standing as Standing


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, on the month's last day when the day is missing.

    29 February 2024 plus 12 months is 28 February 2025.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class _Settings:
    """The settings the rule reads, looked up once per call of :func:`standings`."""

    timezone: dt.tzinfo
    new_hire_days: dt.timedelta
    due_soon_days: int

    @classmethod
    def current(cls) -> _Settings:
        config = current_app.config
        return cls(
            current_smattest.timezone,
            dt.timedelta(days=config["SMATTEST_NEW_HIRE_DAYS"]),
            config["SMATTEST_DUE_SOON_DAYS"],
        )


@dataclass(frozen=True)
class Record:
    """What a person did about one requirement, as the rule needs it.

    ``done_at`` is the latest evidence that counts for the basis (for a course,
    any completion); ``last_at`` and ``last_number`` are the latest evidence of
    any version and the highest version number it was for.
    """

    done_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    last_number: int | None = None


def _pending_basis(requirement: Requirement, last_number: int | None) -> dt.date:
    """The effective date of the first basis version after ``last_number``."""
    for number, effective in requirement.material:
        if number > (last_number or 0):
            return effective
    return requirement.basis_effective


def due_date(
    requirement: Requirement,
    hire_date: dt.date | None,
    record: Record,
    settings: _Settings,
    entered: dt.date | None = None,
) -> dt.date:
    """The rule's due date for one person who is not exempt (see the module docstring).

    ``entered`` is the day they joined the requirement's audience, if they
    were not in it from the start: they are due no sooner than
    ``SMATTEST_NEW_HIRE_DAYS`` after it.
    """
    if entered is not None:
        hire_date = max(hire_date or entered, entered)
        return max(_due(requirement, hire_date, record, settings), entered + settings.new_hire_days)
    return _due(requirement, hire_date, record, settings)


def _due(
    requirement: Requirement, hire_date: dt.date | None, record: Record, settings: _Settings
) -> dt.date:
    tz = settings.timezone
    if record.done_at is not None:
        return add_months(record.done_at.astimezone(tz).date(), requirement.every_months)
    first_effective = requirement.material[0][1] if requirement.material else None
    first_effective = first_effective or requirement.basis_effective
    start = hire_date or first_effective
    if record.last_at is not None:
        already = add_months(record.last_at.astimezone(tz).date(), requirement.every_months)
    else:
        already = max(start, first_effective) + settings.new_hire_days
    pending = max(start, _pending_basis(requirement, record.last_number)) + settings.new_hire_days
    return min(already, pending)


def evaluate(
    requirement: Requirement,
    staff_id: int,
    hire_date: dt.date | None,
    done_at: dt.datetime | None,
    exemption_until: dt.date | None | Literal[False],
    today: dt.date,
    settings: _Settings | None = None,
    *,
    record: Record | None = None,
    entered: dt.date | None = None,
) -> Standing:
    """The rule itself, for one person: their due date and status on ``today``.

    ``exemption_until`` is False when no exemption covers ``today``, None for
    an open-ended exemption, else the exemption's last day. ``record`` adds
    the person's evidence of earlier versions (without it, ``done_at`` is all
    they did); ``entered`` is the day they joined the audience, if not from the start.
    """
    settings = settings or _Settings.current()
    found = position(requirement, staff_id, hire_date, done_at, exemption_until, settings,
                     record=record, entered=entered)  # fmt: skip
    return found.on(requirement, today, settings.due_soon_days)


def position(
    requirement: Requirement,
    staff_id: int,
    hire_date: dt.date | None,
    done_at: dt.datetime | None,
    exemption_until: dt.date | None | Literal[False],
    settings: _Settings,
    *,
    record: Record | None = None,
    entered: dt.date | None = None,
) -> Position:
    """The rule's :class:`Position` for one person, whatever the day (arguments as for
    :func:`evaluate`, which gives the :class:`Standing` on a day)."""
    record = record or Record(done_at, done_at, None)
    due = due_date(requirement, hire_date, record, settings, entered)
    if exemption_until is False:
        return Position(staff_id, due, done_at)
    return Position(staff_id, due, done_at, True, exemption_until)


def standings(
    requirement: Requirement,
    as_of: dt.date | None = None,
    *,
    where: sa.SQLColumnExpression[bool] | None = None,
    staff_ids: Sequence[int] | None = None,
    columns: Sequence[sa.SQLColumnExpression[Any]] = (),
    order_by: Sequence[sa.SQLColumnExpression[Any]] = (Staff.id,),
    batch: int = 1000,
) -> Iterator[tuple[sa.Row[Any], Standing]]:
    """Every active person in its audience: their standing for ``requirement``, one at a time.

    One streamed query whatever the number of people (the roster joined to
    each person's latest evidence and widest exemption), so memory stays flat
    for any roster. Yields the person's row (``id`` and the extra ``columns``,
    e.g. ``Staff.full_name``) with the standing, in ``order_by`` order.
    ``where`` narrows with a condition on :class:`Staff` columns (a
    department, a manager, a name search), so a filter over 50,000 people
    never becomes a list of 50,000 ids; ``staff_ids`` narrows to given people
    (a page, a batch of mails) and reads only their evidence. ``as_of`` looks
    back at a past day using the evidence recorded by then.

    The rule from the evidence, always: readers of today's statuses ask
    :func:`smattest.due.read.standings`, which may answer from the due-date table.
    """
    today = as_of or local_today()
    soon = current_app.config["SMATTEST_DUE_SOON_DAYS"]
    found = positions(requirement, today, where=where, staff_ids=staff_ids,
                      columns=columns, order_by=order_by, batch=batch)  # fmt: skip
    for row, where_now in found:
        yield row, where_now.on(requirement, today, soon)


def positions(
    requirement: Requirement,
    day: dt.date,
    *,
    where: sa.SQLColumnExpression[bool] | None = None,
    staff_ids: Sequence[int] | None = None,
    columns: Sequence[sa.SQLColumnExpression[Any]] = (),
    order_by: Sequence[sa.SQLColumnExpression[Any]] = (Staff.id,),
    batch: int = 1000,
) -> Iterator[tuple[sa.Row[Any], Position]]:
    """Every active person in the audience on ``day``: their :class:`Position`, from the
    evidence recorded by the end of ``day`` (arguments as for :func:`standings`)."""
    until = end_of_day_utc(day)
    done = counting.last_done_query(requirement, until, staff_ids).subquery()
    covering = counting.exemptions_query(requirement, day, until, staff_ids).subquery()
    # The widest exemption wins: open-ended beats any date, else the latest date.
    exempt = (
        sa.select(
            covering.c.staff_id,
            sa.func.max(covering.c.until).label("last_day"),
            (sa.func.count() - sa.func.count(covering.c.until)).label("open_ended"),
        )
        .group_by(covering.c.staff_id)
        .subquery()
    )
    query = (
        sa.select(Staff.id, Staff.hire_date, Staff.department, Staff.groups,
                  done.c.done_at, done.c.last_at, done.c.last_number,
                  exempt.c.staff_id.label("exempt_id"), exempt.c.last_day, exempt.c.open_ended,
                  *columns)
        .outerjoin(done, done.c.staff_id == Staff.id)
        .outerjoin(exempt, exempt.c.staff_id == Staff.id)
        .where(
            Staff.active,
            *([] if where is None else [where]),
            *([] if staff_ids is None else [Staff.id.in_(staff_ids)]),
        )
        .order_by(*order_by)
        .execution_options(yield_per=batch)
    )  # fmt: skip
    settings = _Settings.current()
    narrowed = not requirement.for_everyone
    moved = placements(day, where, staff_ids) if narrowed else {}
    dated: list[DatedAudience] = list(requirement.audiences)
    # Closed on the way out, also when the caller stops half-way.
    with current_smattest.db.session.execute(query) as result:
        for row in result:
            exemption_until: dt.date | None | Literal[False]
            entered = None
            if narrowed:
                history = moved.get(row.id) or [(None, row.department, row.groups)]
                inside, entered = entry(dated, history, day)
                if not inside:
                    continue
            if row.exempt_id is None:
                exemption_until = False
            else:
                exemption_until = None if row.open_ended else row.last_day
            record = Record(row.done_at, row.last_at, row.last_number)
            found = position(
                requirement, row.id, row.hire_date, row.done_at, exemption_until, settings,
                record=record, entered=entered,
            )  # fmt: skip
            yield row, found


def standing(
    staff: Staff, kind: str, requirement_id: int, as_of: dt.date | None = None
) -> Standing | None:
    """One person's standing for one requirement (a policy and a course may share an id),
    or None when it is not in force or the person is inactive."""
    if not staff.active:
        return None
    listing = policy_requirements(as_of) if kind == POLICY else course_requirements(as_of)
    requirement = next((r for r in listing if r.id == requirement_id), None)
    return _one(requirement, staff, as_of) if requirement else None


def _one(requirement: Requirement, staff: Staff, as_of: dt.date | None) -> Standing | None:
    found = standings(requirement, as_of, staff_ids=[staff.id])
    return next((standing for _, standing in found), None)


def person_standings(staff: Staff, as_of: dt.date | None = None) -> list[Standing]:
    """One person's standing for every requirement, most urgent first."""
    if not staff.active:
        return []
    found = [_one(requirement, staff, as_of) for requirement in requirements(as_of)]
    return sorted(
        (s for s in found if s is not None),
        key=lambda s: (URGENCY[s.status], s.due_date or dt.date.max, s.requirement.title),
    )
