"""The mail log HR reads: every mail smattest sent, of every kind, newest first, paged.

Reminders, managers' digests (escalations), reminders HR asked for now (nudges),
receipts, announcements of new versions, policy owners' review reminders and
HR's weekly summaries live in four outbox tables; one ``UNION ALL`` over them
gives the database the filtering by kind, the order and the paging, so a page
costs the same few statements for 100 mails as for a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from ..i18n import gettext, lazy_gettext
from ..models import (
    COURSE,
    POLICY,
    Announcement,
    Course,
    HRSummary,
    Policy,
    PolicyVersion,
    ReviewNotice,
    Staff,
)
from ..models.outbox import RECEIPT_STAGE
from ..people.staff import names_of
from . import outbox
from .hr import stage_label
from .outbox import REMINDERS, session

#: The kinds of mail, by query value, as HR reads them.
KINDS = {
    "reminder": lazy_gettext("Reminders"),
    "escalation": lazy_gettext("Managers told"),
    "nudge": lazy_gettext("Reminded now"),
    "receipt": lazy_gettext("Receipts"),
    "announcement": lazy_gettext("Announcements of new versions"),
    "review": lazy_gettext("Review reminders to policy owners"),
    "summary": lazy_gettext("HR's weekly summaries"),
}


class LogError(ValueError):
    """A mail log query that cannot be answered; the message says which value is wrong."""


@dataclass(frozen=True)
class SentMail:
    """One mail in the log."""

    kind: str
    #: The person it was about (None for a review reminder or HR's summary).
    staff_id: int | None
    full_name: str | None
    #: What it was about: a requirement, a version, a week.
    about: str
    #: The stage in HR's words, or "".
    detail: str
    recipient: str | None
    sent_at: Any
    #: Who asked for it (a nudge), by name.
    asked_by: str | None


@dataclass(frozen=True)
class LogPage:
    """One page of the mail log, and where it sits among all sent mails of the kind."""

    mails: list[SentMail]
    total: int
    page: int
    page_size: int
    kind: str | None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.mails) - 1


def _word(value: str) -> sa.ColumnElement[str]:
    """A constant word written into the SQL (not a bound parameter: the branches of a
    UNION must agree on types, which an untyped parameter may not tell PostgreSQL)."""
    assert value.isidentifier()  # our own constants only, never input
    return sa.literal_column(f"'{value}'", sa.String)


def _reminder_kind() -> sa.ColumnElement[str]:
    stage = REMINDERS.c.stage
    return sa.case(
        (stage.startswith(RECEIPT_STAGE, autoescape=True), _word("receipt")),
        (stage == outbox.NUDGE, _word("nudge")),
        (outbox.IS_ESCALATION, _word("escalation")),
        else_=_word("reminder"),
    )


def _sent() -> sa.Subquery:
    """Every sent mail as (kind, row_id, staff_id, ref_kind, ref_id, stage, recipient,
    sent_at, requested_by)."""
    announcements = cast(sa.Table, Announcement.__table__)
    reviews = cast(sa.Table, ReviewNotice.__table__)
    summaries = cast(sa.Table, HRSummary.__table__)
    null_text = sa.null().cast(sa.String(200))
    null_int = sa.null().cast(sa.Integer)
    parts = [
        sa.select(
            _reminder_kind().label("kind"),
            REMINDERS.c.id.label("row_id"),
            REMINDERS.c.staff_id.label("staff_id"),
            REMINDERS.c.requirement_kind.label("ref_kind"),
            REMINDERS.c.requirement_id.label("ref_id"),
            REMINDERS.c.stage.label("stage"),
            REMINDERS.c.recipient.label("recipient"),
            REMINDERS.c.sent_at.label("sent_at"),
            REMINDERS.c.requested_by.label("requested_by"),
        ).where(REMINDERS.c.status == outbox.SENT),
        sa.select(
            _word("announcement"),
            announcements.c.id,
            announcements.c.staff_id,
            _word("version"),
            announcements.c.policy_version_id,
            sa.literal_column("''", sa.String),
            announcements.c.recipient,
            announcements.c.sent_at,
            null_text,
        ).where(announcements.c.status == outbox.SENT),
        sa.select(
            _word("review"),
            reviews.c.id,
            null_int,
            _word(POLICY),
            reviews.c.policy_id,
            reviews.c.stage,
            reviews.c.recipient,
            reviews.c.sent_at,
            null_text,
        ).where(reviews.c.status == outbox.SENT),
        sa.select(
            _word("summary"),
            summaries.c.id,
            null_int,
            _word("week"),
            null_int,
            sa.literal_column("''", sa.String),
            summaries.c.recipient,
            summaries.c.sent_at,
            null_text,
        ).where(summaries.c.status == outbox.SENT),
    ]
    return sa.union_all(*parts).subquery("smattest_sent")


def parse_kind(value: str | None) -> str | None:
    """The kind a query string asks for (None: every kind); :class:`LogError` if unknown."""
    if not value:
        return None
    if value not in KINDS:
        known = ", ".join(repr(k) for k in KINDS)
        raise LogError(
            gettext("Kind %(kind)s is not one of %(known)s.", kind=repr(value), known=known)
        )
    return value


def sent_mails(kind: str | None, page: int, page_size: int) -> LogPage:
    """One page of the mails sent, newest first, of one ``kind`` (or all)."""
    sent = _sent()
    where = sa.true() if kind is None else sent.c.kind == kind
    total = session().execute(sa.select(sa.func.count()).select_from(sent).where(where))
    count = int(total.scalar_one())
    rows = list(
        session().execute(
            sa.select(sent)
            .where(where)
            .order_by(sent.c.sent_at.desc(), sent.c.kind, sent.c.row_id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    return LogPage(_described(rows), count, page, page_size, kind)


def _described(rows: Sequence[sa.Row[Any]]) -> list[SentMail]:
    """The page's rows in HR's words: names, titles, versions (a few statements)."""
    staff_ids = {row.staff_id for row in rows if row.staff_id is not None}
    people = {
        staff_id: name
        for staff_id, name in session().execute(
            sa.select(Staff.id, Staff.full_name).where(Staff.id.in_(staff_ids))
        )
    }
    titles = {(POLICY, i): t for i, t in session().execute(sa.select(Policy.id, Policy.title))}
    titles.update(
        {(COURSE, i): t for i, t in session().execute(sa.select(Course.id, Course.title))}
    )
    version_ids = {row.ref_id for row in rows if row.ref_kind == "version"}
    versions = {
        v.id: gettext(
            "%(title)s, version %(number)s",
            title=titles.get((POLICY, v.policy_id)) or gettext("a policy"),
            number=v.number,
        )
        for v in session().execute(
            sa.select(PolicyVersion.id, PolicyVersion.policy_id, PolicyVersion.number).where(
                PolicyVersion.id.in_(version_ids)
            )
        )
    }
    askers = names_of(row.requested_by for row in rows)
    mails = []
    for row in rows:
        if row.kind == "nudge":
            about = gettext("Everything they owe")
        elif row.kind == "announcement":
            about = versions.get(row.ref_id) or gettext("a new version")
        elif row.kind == "summary":
            about = gettext("The week's compliance summary")
        else:
            about = titles.get((row.ref_kind, row.ref_id), row.ref_kind)
        detail = ""
        if row.kind == "review":
            detail = (
                gettext("30 days before the review")
                if row.stage == "before"
                else gettext("review due")
            )
        elif row.kind in ("reminder", "escalation"):
            detail = stage_label(row.stage)
        mails.append(
            SentMail(
                kind=row.kind,
                staff_id=row.staff_id,
                full_name=people.get(row.staff_id),
                about=about,
                detail=detail,
                recipient=row.recipient,
                sent_at=row.sent_at,
                asked_by=askers.get(row.requested_by) if row.requested_by else None,
            )
        )
    return mails
