"""Receipts through the outbox: planned with the signature, sent by the mail job.

A web request never talks to SMTP. Signing adds the receipt's outbox row (a
:class:`~smattest.models.Reminder` whose stage is ``rcpt:<attestation id>``)
in the same transaction as the evidence; :func:`send_receipts` (``flask
smattest mail send``, and the scheduler's ``mail`` job every
``SMATTEST_MAIL_SEND_EVERY_MINUTES``) claims, sends and records each like a
reminder: once whatever the number of runs, retried with backoff, given up
after ``SMATTEST_REMINDER_MAX_ATTEMPTS`` and listed for HR, and reported to HR
when a run dies with it 'sending'. Links come from ``SMATTEST_BASE_URL``,
never from a request's Host header.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_mail import Message
from sqlalchemy.orm import joinedload

import smattest.reminders.outbox as outbox

from ..db import utcnow
from ..i18n import gettext
from ..mail import MailTemplates, address_problem, mail_state
from ..models import Attestation, CourseVersion, PolicyVersion, TrainingCompletion
from ..models.outbox import RECEIPT_STAGE, attestation_of_stage
from ..proxies import current_smattest
from ..timeutil import to_local
from ..training import COURSE_RECEIPT_STAGE
from .delivery import Delivery
from .report import ReminderError

#: The outbox: receipts are rows of the reminders' table.
REMINDERS = outbox.REMINDERS
#: Outbox rows that are receipts, not reminders.
IS_RECEIPT = REMINDERS.c.stage.startswith(RECEIPT_STAGE)


def session() -> Any:
    """The host's session, which smattest's tables are used through."""
    return current_smattest.db.session


@dataclass
class ReceiptReport:
    """What one :func:`send_receipts` did."""

    sent: int = 0
    failed: int = 0
    given_up: int = 0
    returned: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True unless a send failed in this run."""
        return self.failed == 0

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        lines = [
            f"Receipts sent: {self.sent}; failed {self.failed} ({self.given_up} given up); "
            f"returned unsent {self.returned}."
        ]
        return lines + [f"  failed: {problem}" for problem in self.problems]


def check_configuration() -> None:
    """Raise before anything is claimed when mail cannot be sent as configured."""
    if not current_app.config["SMATTEST_BASE_URL"]:
        raise ReminderError(
            "SMATTEST_BASE_URL is not set: mails need absolute links, and smattest never "
            "builds them from a request's Host header. Set it to the intranet's address as "
            "people reach it, e.g. 'https://intranet.agency.example'."
        )
    mail_state()  # raises MailError with what to set


def send_receipts(now: dt.datetime | None = None) -> ReceiptReport:
    """Claim the receipts waiting in the outbox and send them, one SMTP connection per batch."""
    check_configuration()
    now = now or utcnow()
    report = ReceiptReport()
    size = current_app.config["SMATTEST_MAIL_BATCH_SIZE"]
    while True:
        token = str(uuid.uuid4())
        rows = _claim(token, now, size)
        if not rows:
            break
        if not _send(rows, token, now, report) or len(rows) < size:
            break
    session().commit()
    return report


def _claim(token: str, now: dt.datetime, limit: int) -> list[sa.Row[Any]]:
    def claim() -> list[sa.Row[Any]]:
        ids = list(
            session().scalars(
                sa.select(REMINDERS.c.id)
                .where(outbox.due(REMINDERS, now), IS_RECEIPT)
                .order_by(REMINDERS.c.id)
                .limit(limit)
            )
        )
        if ids:
            session().execute(
                sa.update(REMINDERS)
                .where(REMINDERS.c.id.in_(ids), outbox.due(REMINDERS, now))
                .values(status=outbox.SENDING, claim_token=token, claimed_at=now)
            )
        session().commit()
        return ids

    if not outbox.retry_on_deadlock(claim):
        return []
    return outbox.claimed(token, IS_RECEIPT)


def _send(rows: list[sa.Row[Any]], token: str, now: dt.datetime, report: ReceiptReport) -> bool:
    """Send one claimed batch; False when the mail server failed and the run must stop."""
    records = _records(rows)
    with Delivery(REMINDERS, token, now) as delivery:
        for index, row in enumerate(rows):
            record = records.get(row.stage)
            email = record.staff.email if record else None
            problem = address_problem(email) if record else "the signature or completion is gone"
            if problem or record is None or email is None:
                delivery.fail([row], f"{problem}; correct it in the roster", True)
                continue
            compose = partial(_message, record)
            if not delivery.send([row], email, compose, (), record.staff.language):
                delivery.give_back(rows[index + 1 :])
                break
    report.sent += len(delivery.accepted)
    report.failed += delivery.failed
    report.given_up += delivery.given_up
    report.returned += delivery.returned
    report.problems += delivery.problems
    return delivery.broken is None


def _records(rows: list[sa.Row[Any]]) -> dict[str, Attestation | TrainingCompletion]:
    """The signatures and course completions the batch's outbox stages name, by stage.

    Two queries for the batch, each loading the person and the version with it.
    """
    signed: dict[int, str] = {}
    completed: dict[int, str] = {}
    for row in rows:
        if row.stage.startswith(COURSE_RECEIPT_STAGE):
            completed[int(row.stage.removeprefix(COURSE_RECEIPT_STAGE))] = row.stage
        else:
            signed[attestation_of_stage(row.stage)] = row.stage
    found: dict[str, Attestation | TrainingCompletion] = {}
    if signed:
        for attestation in session().scalars(
            sa.select(Attestation)
            .where(Attestation.id.in_(list(signed)))
            .options(
                joinedload(Attestation.staff),
                joinedload(Attestation.policy_version).joinedload(PolicyVersion.policy),
            )
        ):
            found[signed[attestation.id]] = attestation
    if completed:
        for completion in session().scalars(
            sa.select(TrainingCompletion)
            .where(TrainingCompletion.id.in_(list(completed)))
            .options(
                joinedload(TrainingCompletion.staff),
                joinedload(TrainingCompletion.course_version).joinedload(CourseVersion.course),
            )
        ):
            found[completed[completion.id]] = completion
    return found


def _message(record: Attestation | TrainingCompletion, templates: MailTemplates) -> Message:
    if isinstance(record, TrainingCompletion):
        course_version = record.course_version
        return templates.compose(
            "course_receipt",
            gettext("Receipt: you completed the %(title)s", title=course_version.course.title),
            record.staff.email or "",
            staff=record.staff,
            completion=record,
            version=course_version,
            receipt_url=url_for("smattest.receipt", number=record.chain_seq, _external=True),
        )
    attestation = record
    version = attestation.policy_version
    return templates.compose(
        "receipt",
        gettext(
            "Receipt: you signed %(title)s, version %(number)s",
            title=version.policy.title,
            number=version.number,
        ),
        attestation.staff.email or "",
        staff=attestation.staff,
        attestation=attestation,
        version=version,
        signed_at=to_local(attestation.attested_at),
        receipt_url=url_for("smattest.receipt", number=attestation.chain_seq, _external=True),
    )
