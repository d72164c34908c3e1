"""Announcements: when a material policy version takes effect, everyone in its audience
gets one email (their due date, a link, what changed if they signed an earlier version,
and anything else they owe), through an outbox of its own. It is that day's only mail
from the run: a reminder planned for the same person that day is not sent.

Planned with INSERT … ON CONFLICT DO NOTHING against UNIQUE (person, version),
claimed with a conditional UPDATE, sent, marked sent: once per person whatever
the number of runs or hosts (see :mod:`smattest.reminders.outbox`). A minor
version announces nothing. A version is announced on the reminder runs of the
:data:`WINDOW_DAYS` days from its effective date, so a weekend or a missed run
does not lose it, and a version that took effect long before this feature was
installed is not announced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any, cast

import sqlalchemy as sa
from flask import url_for
from flask_mail import Message
from sqlalchemy.orm import joinedload

import smattest.reminders.messages as messages
import smattest.reminders.outbox as outbox
import smattest.rule.compliance as compliance

from ..i18n import gettext
from ..mail import MailTemplates, address_problem
from ..models import (
    POLICY,
    Announcement,
    Attestation,
    Policy,
    PolicyVersion,
    Staff,
    VersionWithdrawal,
)
from ..proxies import current_smattest
from .context import RunContext
from .delivery import Delivery
from .outbox import PENDING, SENDING, insert_ignoring_duplicates, retry_on_deadlock
from .report import MailOut

ANNOUNCEMENTS = cast(sa.Table, Announcement.__table__)
#: A material version is announced on runs up to this many days after it took effect.
WINDOW_DAYS = 7


def versions_to_announce(today: dt.date) -> list[PolicyVersion]:
    """Material versions (after the first) that took effect in the window."""
    found = current_smattest.db.session.scalars(
        sa.select(PolicyVersion)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(
            PolicyVersion.number > 1,  # a policy's first version is not a change to announce
            PolicyVersion.requires_reattestation,
            PolicyVersion.historical_source.is_(None),  # in force before smattest
            PolicyVersion.id.not_in(sa.select(VersionWithdrawal.policy_version_id)),
            PolicyVersion.effective_date <= today,
            PolicyVersion.effective_date > today - dt.timedelta(days=WINDOW_DAYS),
        )
        .order_by(PolicyVersion.effective_date, PolicyVersion.id)
    )
    return list(found)


def _to_announce(run: RunContext) -> list[tuple[int, PolicyVersion]]:
    """(person, version) for everyone in the audience of a version to announce today."""
    bases = {r.id: r for r in run.requirements if r.kind == POLICY}
    planned = []
    for version in versions_to_announce(run.today):
        requirement = bases.get(version.policy_id)
        if requirement is None or requirement.basis_number != version.number:
            continue  # retired, or a later material version replaced it already
        for staff_id, owed in run.standings[(POLICY, version.policy_id)].items():
            if owed.status != compliance.EXEMPT:
                planned.append((staff_id, version))
    return planned


def plan_announcements(run: RunContext) -> set[int]:
    """Plan today's announcements (the dry run lists them instead); the people announced to.

    A run plans them before it sends any reminder, so that a person's reminder of
    the same day is left out: the announcement carries what they owe
    (:func:`announced_today`).
    """
    if run.broken:
        return set()
    planned = _to_announce(run)
    if not run.dry_run:
        if planned:
            _plan(sorted((staff_id, version.id) for staff_id, version in planned), run.now)
        return {staff_id for staff_id, _ in planned}
    already = {
        (row.staff_id, row.policy_version_id)
        for row in current_smattest.db.session.execute(
            sa.select(ANNOUNCEMENTS.c.staff_id, ANNOUNCEMENTS.c.policy_version_id)
        )
    }
    emails = {
        row.id: row.email
        for row in current_smattest.db.session.execute(
            sa.select(Staff.id, Staff.email).where(Staff.id.in_({s for s, _ in planned}))
        )
    }
    new = set()
    for staff_id, version in planned:
        if (staff_id, version.id) not in already:
            new.add(staff_id)
            recipient = emails.get(staff_id) or f"staff {staff_id}"
            listed = (version.policy.title,)
            run.report.mails.append(MailOut("staff", recipient, ("announce",), listed))
    return new | announced_today(run, {staff_id for staff_id, _ in planned})


def announced_today(run: RunContext, staff_ids: Iterable[int]) -> set[int]:
    """Those of ``staff_ids`` whose announcement was planned on the run's (local) day.

    Their reminder of that day is not sent: the announcement took its place.
    """
    ids = sorted(set(staff_ids))
    if not ids:
        return set()
    midnight = dt.datetime.combine(run.today, dt.time(0), tzinfo=current_smattest.timezone)
    start = midnight.astimezone(dt.UTC)
    end = (midnight + dt.timedelta(days=1)).astimezone(dt.UTC)
    found: set[int] = set()
    for chunk in range(0, len(ids), 1000):
        found.update(
            current_smattest.db.session.scalars(
                sa.select(ANNOUNCEMENTS.c.staff_id).where(
                    ANNOUNCEMENTS.c.staff_id.in_(ids[chunk : chunk + 1000]),
                    ANNOUNCEMENTS.c.created_at >= start,
                    ANNOUNCEMENTS.c.created_at < end,
                )
            )
        )
    return found


def send_announcements(run: RunContext) -> None:
    """Claim and send the planned announcements, a batch at a time (not in a dry run)."""
    if run.dry_run:
        return
    size = run.config["SMATTEST_MAIL_BATCH_SIZE"]
    while not run.broken:
        rows = _claim(run.token, run.now, size)
        if not rows:
            return
        run.report.claimed += len(rows)
        _send(run, rows)


def held_earlier(version: PolicyVersion, staff_ids: Iterable[int]) -> set[int]:
    """Those of ``staff_ids`` who signed an earlier version of ``version``'s policy.

    Only they are told what changed: to a new hire the new version is simply the policy.
    """
    earlier = sa.select(PolicyVersion.id).where(
        PolicyVersion.policy_id == version.policy_id, PolicyVersion.number < version.number
    )
    return set(
        current_smattest.db.session.scalars(
            sa.select(Attestation.staff_id)
            .where(
                Attestation.staff_id.in_(sorted(set(staff_ids))),
                Attestation.policy_version_id.in_(earlier),
            )
            .distinct()
        )
    )


def _send(run: RunContext, rows: list[sa.Row[Any]]) -> None:
    """Send one claimed batch of announcements over one connection; record it in one commit.

    Each mail carries the person's due date for the version and everything else
    they owe on the day, worked out from the evidence: it replaces their
    reminder of the day.
    """
    versions = {
        v.id: v
        for v in current_smattest.db.session.scalars(
            sa.select(PolicyVersion)
            .where(PolicyVersion.id.in_({row.policy_version_id for row in rows}))
            .options(joinedload(PolicyVersion.policy))
        )
    }
    fresh = run.rechecked({row.staff_id for row in rows})
    held = {
        version.id: held_earlier(
            version, [row.staff_id for row in rows if row.policy_version_id == version.id]
        )
        for version in versions.values()
    }
    with Delivery(ANNOUNCEMENTS, run.token, run.now) as delivery:
        for index, row in enumerate(rows):
            version = versions[row.policy_version_id]
            owed = fresh.get(row.staff_id, {})
            standing = owed.get((POLICY, version.policy_id))
            if standing is None:
                standing = run.standings.get((POLICY, version.policy_id), {}).get(row.staff_id)
            others = [s for key, s in owed.items() if key != (POLICY, version.policy_id)]
            problem = address_problem(row.email)
            if problem:
                delivery.fail([row], f"{problem}; correct it in the roster", True)
                continue
            mail = partial(
                announcement,
                row,
                version,
                standing,
                also_owed=messages.owed(others, run.today),
                held_earlier=row.staff_id in held[version.id],
            )
            listed = (version.policy.title,)
            if not delivery.send([row], row.email, mail, listed, row.language):
                delivery.give_back(rows[index + 1 :])
                break
    run.tally(delivery, Announcement, "staff", "announce")


def announcement(
    row: sa.Row[Any],
    version: PolicyVersion,
    standing: compliance.Standing | None,
    templates: MailTemplates,
    *,
    also_owed: Sequence[messages.Owed] = (),
    held_earlier: bool = True,
) -> Message:
    """One person's email: the version, their due date, a link, and what else they owe.

    "What changed" only for someone who signed an earlier version (``held_earlier``).
    """
    policy = version.policy
    overdue = standing is not None and standing.status == compliance.OVERDUE
    return templates.compose(
        "announcement",
        gettext("New version of the %(title)s: please sign it", title=policy.title),
        row.email,
        full_name=row.full_name,
        policy=policy,
        version=version,
        due_date=standing.due_date if standing is not None else None,
        overdue=overdue,
        also_owed=also_owed,
        url=url_for("smattest.policy", slug=policy.slug, _external=True),
        changes_url=url_for(
            "smattest.policy_changes", slug=policy.slug, to=version.number, _external=True
        )
        if version.number > 1 and held_earlier
        else None,
    )


def _plan(keys: list[tuple[int, int]], now: dt.datetime) -> None:
    values = [
        {"staff_id": staff_id, "policy_version_id": version_id, "status": PENDING,
         "attempts": 0, "created_at": now}
        for staff_id, version_id in keys
    ]  # fmt: skip

    def insert() -> None:
        current_smattest.db.session.execute(insert_ignoring_duplicates(ANNOUNCEMENTS), values)
        current_smattest.db.session.commit()

    retry_on_deadlock(insert)


def _claim(token: str, now: dt.datetime, limit: int) -> list[sa.Row[Any]]:
    """Claim up to ``limit`` due announcements (one UPDATE, one commit); this claim's rows."""
    session = current_smattest.db.session

    def claim() -> None:
        ids = list(
            session.scalars(
                sa.select(ANNOUNCEMENTS.c.id)
                .where(outbox.due(ANNOUNCEMENTS, now))
                .order_by(ANNOUNCEMENTS.c.id)
                .limit(limit)
            )
        )
        if ids:
            session.execute(
                sa.update(ANNOUNCEMENTS)
                .where(ANNOUNCEMENTS.c.id.in_(ids), outbox.due(ANNOUNCEMENTS, now))
                .values(status=SENDING, claim_token=token, claimed_at=now)
            )
        session.commit()

    retry_on_deadlock(claim)
    return list(
        session.execute(
            sa.select(ANNOUNCEMENTS, Staff.full_name, Staff.email, Staff.language)
            .join(Staff, Staff.id == ANNOUNCEMENTS.c.staff_id)
            .where(ANNOUNCEMENTS.c.claim_token == token, ANNOUNCEMENTS.c.status == SENDING)
            .order_by(ANNOUNCEMENTS.c.id)
        )
    )
