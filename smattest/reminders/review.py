"""Review reminders: a policy's owner is told 30 days before its review date and on the day.

Through an outbox of its own, UNIQUE (policy, review date, stage): planned
with INSERT … ON CONFLICT DO NOTHING, claimed with a conditional UPDATE, sent,
marked sent, so each reminder goes out once whatever the number of runs.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any, cast

import sqlalchemy as sa
from flask import url_for
from flask_mail import Message

import smattest.reminders.outbox as outbox

from ..i18n import gettext
from ..mail import MailTemplates, address_problem
from ..models import Policy, ReviewNotice
from ..proxies import current_smattest
from ..publishing.lifecycle import REVIEW_NOTICE_DAYS, review_date
from .context import RunContext
from .delivery import Delivery, language_of
from .outbox import PENDING, SENDING, insert_ignoring_duplicates, retry_on_deadlock
from .report import MailOut

NOTICES = cast(sa.Table, ReviewNotice.__table__)
BEFORE, DUE = "before", "due"


def stage_on(review_on: dt.date, today: dt.date) -> str | None:
    """The review reminder reached on ``today``: ``due`` from the day, ``before`` from
    30 days ahead, else None."""
    if today >= review_on:
        return DUE
    if today >= review_on - dt.timedelta(days=REVIEW_NOTICE_DAYS):
        return BEFORE
    return None


def send_review_reminders(run: RunContext) -> None:
    """Plan, claim and send the owners' review reminders due today."""
    if run.broken:
        return
    session = current_smattest.db.session
    policies = {
        p.id: p
        for p in session.scalars(sa.select(Policy).where(Policy.owner_email.is_not(None)))
        if p.retired_on is None or p.retired_on > run.today
    }
    planned: list[dict[str, object]] = []
    for policy in policies.values():
        due = review_date(policy)
        stage = stage_on(due, run.today) if due is not None else None
        if due is not None and stage is not None:
            planned.append({"policy_id": policy.id, "review_on": due, "stage": stage})
    if run.dry_run:
        for plan in planned:
            listed = policies[cast(int, plan["policy_id"])]
            stages = (f"review-{plan['stage']}",)
            mail = MailOut("hr", listed.owner_email or "", stages, (listed.title,))
            run.report.mails.append(mail)
        return
    if planned:
        values = [
            {**row, "status": PENDING, "attempts": 0, "created_at": run.now}
            for row in sorted(planned, key=lambda r: (str(r["policy_id"]), str(r["stage"])))
        ]

        def insert() -> None:
            session.execute(insert_ignoring_duplicates(NOTICES), values)
            session.commit()

        retry_on_deadlock(insert)

    def claim() -> None:
        session.execute(
            sa.update(NOTICES)
            .where(outbox.due(NOTICES, run.now))
            .values(status=SENDING, claim_token=run.token, claimed_at=run.now)
        )
        session.commit()

    retry_on_deadlock(claim)
    rows = list(
        session.execute(
            sa.select(NOTICES)
            .where(NOTICES.c.claim_token == run.token, NOTICES.c.status == SENDING)
            .order_by(NOTICES.c.id)
        )
    )
    if not rows:
        return
    run.report.claimed += len(rows)
    with Delivery(NOTICES, run.token, run.now) as delivery:
        for index, row in enumerate(rows):
            found = session.get(Policy, row.policy_id)
            owner = found.owner_email if found is not None else None
            problem = address_problem(owner)
            if found is None or owner is None or problem:
                delivery.fail([row], f"{problem or 'no owner'} (the policy owner's)", True)
                continue
            notice = partial(_notice, row, found, owner)
            if not delivery.send([row], owner, notice, (found.title,), language_of(owner)):
                delivery.give_back(rows[index + 1 :])
                break
    run.tally(delivery, ReviewNotice, "hr")


def _notice(row: sa.Row[Any], policy: Policy, owner: str, templates: MailTemplates) -> Message:
    """The owner's review reminder: 30 days ahead, or on the day."""
    return templates.compose(
        "review_reminder",
        gettext("Review due today: %(title)s", title=policy.title)
        if row.stage == DUE
        else gettext("Review due in 30 days: %(title)s", title=policy.title),
        owner,
        policy=policy,
        review_on=row.review_on,
        due_today=row.stage == DUE,
        url=url_for("smattest.hr_policies", _external=True),
    )
