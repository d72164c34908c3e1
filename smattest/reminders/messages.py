"""The three reminder mails: a person's digest, a manager's digest, HR's weekly summary.

Each has a text and an HTML part rendered from ``smattest/mail/<name>.txt``
and ``.html``, which a host overrides like any page. Links are absolute,
built from ``SMATTEST_BASE_URL`` (runs happen outside any request).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_mail import Message

import smattest.rule.compliance as compliance

from ..i18n import format_date, gettext, lazy_gettext
from ..mail import MailTemplates
from ..models import POLICY


@dataclass(frozen=True)
class Owed:
    """One thing a person owes, as a reminder lists it."""

    kind: str
    title: str
    #: What to do: "Sign the policy" or "Complete the course".
    action: str
    status: str
    label: str
    due_date: dt.date
    days_overdue: int
    url: str


@dataclass(frozen=True)
class Report:
    """Someone below a manager, named in their digest, with what they are overdue on."""

    full_name: str
    department: str | None
    owed: list[Owed]


@dataclass
class WeeklySummary:
    """What HR's weekly mail says."""

    week_start: dt.date
    today: dt.date
    #: Per requirement: its title and the number of people per status.
    counts: list[tuple[str, dict[str, int]]]
    #: Reminders given up in the last seven days: (name, requirement, stage, error).
    given_up: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Rows stuck in 'sending': (what it is, when it was claimed).
    stuck: list[tuple[str, dt.datetime]] = field(default_factory=list)
    stuck_count: int = 0
    pending_with_errors: int = 0
    #: Policy versions that took effect in the last seven days:
    #: (title, number, effective date, material).
    took_effect: list[tuple[str, int, dt.date, bool]] = field(default_factory=list)


#: Requirements' page links built in the current :func:`links` context.
_urls: ContextVar[dict[tuple[str, str], str]] = ContextVar("smattest_requirement_urls")


@contextmanager
def links() -> Iterator[None]:
    """A request context whose ``url_for(..., _external=True)`` gives the intranet's links.

    ``SMATTEST_BASE_URL`` may carry a path (an intranet mounted under
    ``/intranet``); the blueprint's ``SMATTEST_URL_PREFIX`` comes on top.
    """
    base = current_app.config["SMATTEST_BASE_URL"] or "http://localhost"
    with current_app.test_request_context("/", base_url=base):
        reset = _urls.set({})
        try:
            yield
        finally:
            _urls.reset(reset)


def owed(standings: Sequence[compliance.Standing], today: dt.date) -> list[Owed]:
    """What a person still has to do, most urgent first (call inside :func:`links`)."""
    # (A standing due soon or overdue always has a due date.)
    due = [
        (s, s.due_date)
        for s in standings
        if s.status in (compliance.DUE_SOON, compliance.OVERDUE) and s.due_date is not None
    ]
    due.sort(
        key=lambda pair: (compliance.URGENCY[pair[0].status], pair[1], pair[0].requirement.title)
    )
    return [
        Owed(
            kind=s.requirement.kind,
            title=s.requirement.title,
            action=SIGN if s.requirement.kind == POLICY else COMPLETE,
            status=s.status,
            label=s.label,
            due_date=due_date,
            days_overdue=max((today - due_date).days, 0),
            url=_url_of(s.requirement),
        )
        for s, due_date in due
    ]


def _url_of(requirement: compliance.Requirement) -> str:
    """A requirement's page, built once per link context (every mail of a batch lists it)."""
    urls = _urls.get({})
    key = (requirement.kind, requirement.slug)
    if key not in urls:
        urls[key] = url_for(
            "smattest.policy" if requirement.kind == POLICY else "smattest.course",
            slug=requirement.slug,
            _external=True,
        )
    return urls[key]


def _day(day: dt.date) -> str:
    return format_date(day)


#: What a person owes, in words: translated when the mail is written, in its
#: recipient's language (the list is made before the language is chosen).
SIGN = lazy_gettext("Sign the policy")
COMPLETE = lazy_gettext("Complete the course")


def staff_subject(items: Sequence[Owed]) -> str:
    """The subject of a person's digest: what is most urgent, in one line."""
    overdue = [i for i in items if i.status == compliance.OVERDUE]
    if len(items) == 1:
        (item,) = items
        if overdue:
            return gettext(
                "Overdue: %(title)s was due on %(day)s", title=item.title, day=_day(item.due_date)
            )
        return gettext(
            "Reminder: %(title)s is due on %(day)s", title=item.title, day=_day(item.due_date)
        )
    if overdue:
        return gettext(
            "Overdue: you have %(count)s compliance tasks to do (%(overdue)s overdue)",
            count=len(items),
            overdue=len(overdue),
        )
    return gettext("Reminder: you have %(count)s compliance tasks due soon", count=len(items))


def staff_reminder(
    person: sa.Row[Any], items: Sequence[Owed], today: dt.date, templates: MailTemplates
) -> Message:
    """A person's digest: everything they owe, each with its due date and link."""
    return templates.compose(
        "reminder",
        staff_subject(items),
        person.email,
        person=person,
        items=items,
        today=today,
        index_url=url_for("smattest.index", _external=True),
    )


def manager_digest(
    manager_email: str,
    teams: Sequence[tuple[str, Sequence[Report]]],
    today: dt.date,
    templates: MailTemplates,
) -> Message:
    """A manager's digest: the people below them (any depth) now overdue long enough to
    escalate, grouped by the direct report they are reached through (``teams``: a
    heading, "Your direct reports" or "Mia Middle's team", and the people)."""
    reports = [report for _, people in teams for report in people]
    count = len(reports)
    subject = (
        gettext("Your team: %(name)s is overdue on compliance", name=reports[0].full_name)
        if count == 1
        else gettext("Your team: %(count)s people are overdue on compliance", count=count)
    )
    team_url = (
        url_for("smattest.team", _external=True)
        if "smattest.team" in current_app.view_functions
        else None
    )
    return templates.compose(
        "manager_digest",
        subject,
        manager_email,
        teams=teams,
        reports=reports,
        today=today,
        team_url=team_url,
    )


def hr_summary(
    recipients: Sequence[str], summary: WeeklySummary, templates: MailTemplates
) -> Message:
    """HR's weekly summary, one message to every address in ``SMATTEST_HR_EMAILS``."""
    message = templates.compose(
        "hr_summary",
        gettext("Compliance summary: week of %(day)s", day=_day(summary.week_start)),
        recipients[0],
        summary=summary,
        labels=compliance.LABELS,
        page_url=url_for("smattest.hr_reminders", _external=True),
    )
    message.recipients = list(recipients)
    return message
