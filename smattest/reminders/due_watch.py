"""The due-date table watched: ``compliance check`` daily, differences emailed and shown.

HR's pages count, filter and order from the due-date table, a cache of the
rule. Whoever can write the database can edit it (``UPDATE smattest_due SET
due_on = ...``) and the pages would show the invention as truth. The scheduler
runs :func:`watch` every day: it checks the table against the evidence
(:func:`smattest.due.check.check`), records what it found, and emails any
difference to ``SMATTEST_AUDIT_EMAILS``. While the newest check found
differences, every HR page says its statuses cannot be trusted until IT runs
``flask smattest compliance check --rebuild``.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_mail import Message

from ..due import check as due_check
from ..mail import MailError, mail_state
from ..models import DueCheck

logger = logging.getLogger(__name__)

#: What HR and the email say to do about a difference.
REBUILD = "flask smattest compliance check --rebuild"


def watch() -> DueCheck:
    """Check the due-date table, record the outcome, and email any difference.

    A mail that cannot be sent is logged; the recorded check (and so HR's
    banner) stands either way.
    """
    report = due_check.check()
    recipients = tuple(current_app.config["SMATTEST_AUDIT_EMAILS"])
    sent_to = None
    if report.differences and recipients:
        try:
            _email(report, recipients)
            sent_to = ", ".join(recipients)
        except (MailError, OSError) as error:
            logger.error("compliance check: the differences were not emailed: %s", error)
    return due_check.record(report, sent_to)


def _email(report: due_check.Report, recipients: tuple[str, ...]) -> None:
    count = len(report.differences)
    lines = [str(difference) for difference in report.differences[: due_check.KEPT]]
    if count > due_check.KEPT:
        lines.append(f"... and {count - due_check.KEPT} more.")
    message = Message(
        subject=f"smattest: the due-date table differs from the evidence ({count} rows)",
        recipients=list(recipients),
        body=(
            f"The daily compliance check on {report.day.isoformat()} found {count} due "
            f"date{'s' if count != 1 else ''} on HR's pages that the evidence does not give:\n\n"
            + "\n".join(f"  {line}" for line in lines)
            + "\n\nThe table is a cache: someone or something changed it. Until it is rebuilt, "
            "HR's pages say their statuses cannot be trusted. After finding out how it "
            f"happened, rebuild it:\n    {REBUILD}\n"
        ),
    )
    with mail_state().connect() as connection:
        connection.send(message)
