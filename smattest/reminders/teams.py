"""A manager's digest covers their tree: who was escalated to them, grouped by the direct
report each person is reached through ("Your direct reports", "Mia Middle's team")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, TypeAlias

import sqlalchemy as sa

import smattest.reminders.messages as messages
import smattest.rule.compliance as compliance

from ..i18n import gettext
from ..models import Staff
from .outbox import session

#: Someone escalated to a manager in a run: the person, the outbox row, the standing,
#: and the address of the manager's direct report they are reached through ("": the
#: person reports to the manager directly).
Escalated: TypeAlias = "tuple[sa.Row[*tuple[Any, ...]], sa.Row[Any], compliance.Standing, str]"


def normal(email: str | None) -> str:
    """An address as outbox rows name managers: trimmed, lower case."""
    return (email or "").strip().lower()


def names_of(emails: set[str]) -> dict[str, str]:
    """The names of the people with these (normalised) addresses, in one statement."""
    if not emails:
        return {}
    found = session().execute(
        sa.select(Staff.email, Staff.full_name)
        .where(sa.func.lower(sa.func.trim(Staff.email)).in_(sorted(emails)))
        .order_by(Staff.id)
    )
    names: dict[str, str] = {}
    for email, name in found:
        names.setdefault(normal(email), name)
    return names


def by_direct_report(
    entries: list[Escalated], names: dict[str, str], today: dt.date
) -> list[tuple[str, list[messages.Report]]]:
    """The manager's overdue people grouped by the direct report they are reached
    through: a heading, then the people, each with what was escalated. Direct reports
    first, then teams by name (call inside the mail's link context)."""
    by_via: dict[str, list[Escalated]] = defaultdict(list)
    for entry in entries:
        by_via[entry[3]].append(entry)
    ordered = sorted(by_via.items(), key=lambda i: (i[0] != "", names.get(i[0], i[0]).casefold()))
    return [
        (
            gettext("%(name)s's team", name=names.get(via, via))
            if via
            else gettext("Your direct reports"),
            _reports(group, today),
        )
        for via, group in ordered
    ]


def _reports(entries: list[Escalated], today: dt.date) -> list[messages.Report]:
    """Overdue people, each with the requirements escalated today."""
    by_person: dict[sa.Row[*tuple[Any, ...]], list[compliance.Standing]] = defaultdict(list)
    for person, _row, standing, _via in entries:
        by_person[person].append(standing)
    return [
        messages.Report(person.full_name, person.department, messages.owed(owed, today))
        for person, owed in sorted(by_person.items(), key=lambda item: item[0].full_name)
    ]
