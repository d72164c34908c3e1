"""One reminder run: plan the outbox, claim, re-check, send, record; and its report."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message

import smattest.due.read as due_read
import smattest.people.tree as tree
import smattest.reminders.announce as announce
import smattest.reminders.messages as messages
import smattest.reminders.outbox as outbox
import smattest.reminders.review as review
import smattest.reminders.stuck as stuck
import smattest.reminders.teams as teams
import smattest.rule.compliance as compliance

from ..db import utcnow
from ..mail import MailTemplates, address_problem, mail_state
from ..models import Reminder, Staff
from ..proxies import current_smattest
from ..signals import reminder_sent
from ..state import current_app_object
from .cadence import Cadence, escalation_level, escalation_stage
from .delivery import Delivery, language_of
from .outbox import REMINDERS, session
from .preview import preview
from .report import MailOut, ReminderError, RunReport
from .weekly import send_hr_summary

log = logging.getLogger("smattest.reminders")


def run_reminders(now: dt.datetime | None = None, *, dry_run: bool = False) -> RunReport:
    """Plan and send the reminders due at ``now`` (default: the clock); safe to run anywhere.

    Any number of runs, at the same moment on several hosts, send each
    reminder once (see :mod:`smattest.reminders.outbox`). ``now`` without a
    time zone is local time in ``SMATTEST_TIMEZONE``. A dry run reads but
    writes and sends nothing; its report says who would get what. Raises
    :class:`ReminderError` (``SMATTEST_BASE_URL`` unset) or
    :class:`~smattest.mail.MailError` (mail not configured) before anything is
    written.
    """
    if now is None:
        now = utcnow()
    elif now.tzinfo is None:
        now = now.replace(tzinfo=current_smattest.timezone)
    return ReminderRun(now.astimezone(dt.UTC), dry_run).run()


class ReminderRun:
    """The state of one run; :meth:`run` does the work in order.

    The dry run (:mod:`.preview`) and HR's weekly summary (:mod:`.weekly`)
    work on the same object.
    """

    def __init__(self, now: dt.datetime, dry_run: bool) -> None:
        self.config: Mapping[str, Any] = current_app.config
        self.now = now
        self.today = now.astimezone(current_smattest.timezone).date()
        self.dry_run = dry_run
        self.token = str(uuid.uuid4())
        self.cadence = Cadence.from_config(self.config)
        self.report = RunReport(now=now, today=self.today, dry_run=dry_run)
        #: Set to the error once the mail server failed: the run stops sending.
        self.broken: str | None = None
        self._standings: dict[tuple[str, int], dict[int, compliance.Standing]] | None = None
        #: People announced a new version in this run (planned by it or an earlier run today).
        self.announced: set[int] = set()

    def run(self) -> RunReport:
        """Plan today's rows into the outbox, then send what is due; the report."""
        self.plan()
        return self.send()

    def plan(self) -> None:
        """Check the configuration and plan the rows due today (the dry run lists them).

        Raises before anything is written when mail cannot be sent as configured.
        """
        self._check_configuration()
        self.requirements: Sequence[compliance.Requirement] = compliance.requirements(self.today)
        self.titles = {(r.kind, r.id): r.title for r in self.requirements}
        self.report.business_day = self.cadence.is_business_day(self.today)
        if self.report.business_day:
            rows = self._rows_to_plan()
            # Announcements first: a person announced to today gets no reminder today.
            self.announced = announce.plan_announcements(self)
            if self.dry_run:
                preview(self, rows)
            else:
                self.report.planned = outbox.plan(rows, self.token, self.now)

    def send(self) -> RunReport:
        """Send what the outbox holds for today, a batch at a time, after :meth:`plan`."""
        if self.report.business_day:
            if not self.dry_run:
                announce.send_announcements(self)
                self._send_to_people()
                self._send_to_managers()
            review.send_review_reminders(self)
        send_hr_summary(self)
        self.find_stuck()
        session().commit()  # end the last read transaction: a run holds nothing open
        return self.report

    # -- checks, standings -------------------------------------------------------------------

    def _check_configuration(self) -> None:
        if not self.config["SMATTEST_BASE_URL"]:
            message = (
                "SMATTEST_BASE_URL is not set: reminder mails need absolute links. Set it to "
                "the intranet's address as people reach it, e.g. 'https://intranet.agency.example'."
            )
            if not self.dry_run:
                raise ReminderError(message)
            self.report.warnings.append(message)
        if not self.dry_run:
            mail_state()  # raises MailError with what to set

    @property
    def standings(self) -> dict[tuple[str, int], dict[int, compliance.Standing]]:
        """Everyone's standing for each requirement on the run's day, by (kind, id) then
        staff id (:func:`smattest.due.read.standings`: from the due-date table for today).

        What the run plans from it is checked against the evidence itself before
        any mail goes out (:meth:`rechecked`).
        """
        if self._standings is None:
            self._standings = due_read.by_requirement(self.requirements, self.today)
        return self._standings

    def rechecked(
        self, staff_ids: Iterable[int]
    ) -> dict[int, dict[tuple[str, int], compliance.Standing]]:
        """A batch's people's standings worked out again from the evidence itself, by person
        then requirement: what they signed or completed since the run planned counts, and a
        stale row of the due-date table never mails nor escalates anyone."""
        found: dict[int, dict[tuple[str, int], compliance.Standing]] = {}
        ids = sorted(staff_ids)
        for row, standing in due_read.standings(self.requirements, self.today, staff_ids=ids,
                                                evidence=True):  # fmt: skip
            found.setdefault(row.id, {})[(standing.requirement.kind, standing.requirement.id)] = (
                standing
            )
        return found

    # -- planning ----------------------------------------------------------------------------

    def _rows_to_plan(self) -> list[dict[str, Any]]:
        """The latest stage reached by everyone who owes something, and due escalations:
        one to each manager up the person's reporting line, each naming its recipient."""
        lines = tree.managers_above()
        rows: list[dict[str, Any]] = []
        for (kind, requirement_id), by_person in self.standings.items():
            for staff_id, standing in by_person.items():
                # (Due soon and overdue standings always have a due date.)
                if standing.status not in (compliance.DUE_SOON, compliance.OVERDUE):
                    continue
                if standing.due_date is None:
                    continue
                key = {
                    "staff_id": staff_id,
                    "requirement_kind": kind,
                    "requirement_id": requirement_id,
                    "cycle_due": standing.due_date,
                }
                stage = self.cadence.latest_staff_stage(standing.due_date, self.today)
                if stage is not None:
                    rows.append({**key, "stage": stage, "recipient": None})
                if staff_id in lines and self.cadence.escalation_reached(
                    standing.due_date, self.today
                ):
                    rows.extend(
                        {**key, "stage": escalation_stage(level), "recipient": manager}
                        for level, manager in enumerate(lines[staff_id], 1)
                    )
        return rows

    def verdict(
        self,
        row: Any,
        standing: compliance.Standing | None,
        manager_email: str | None = None,
    ) -> str | None:
        """None when ``row`` is still to be sent today, else why not (it is then skipped)."""
        if standing is None:
            return "the person is inactive, or the requirement is no longer in force"
        if standing.status not in (compliance.DUE_SOON, compliance.OVERDUE):
            return f"the person is now {standing.label.lower()}"
        if standing.due_date != row.cycle_due:
            return f"the due date changed to {standing.due_date}"  # ISO, as str(date) is
        if escalation_level(row.stage) is not None:
            if not manager_email:
                return "there is no manager email on record"
            if row.recipient and row.recipient != manager_email.strip().lower():
                return "the reporting line changed"
            if not self.cadence.escalation_reached(row.cycle_due, self.today):
                return "the escalation is not due"
            return None
        latest = self.cadence.latest_staff_stage(row.cycle_due, self.today)
        if latest != row.stage:
            return f"superseded by {latest}" if latest else "no reminder is due for it today"
        return None

    # -- sending -----------------------------------------------------------------------------

    def _send_to_people(self) -> None:
        """Claim people a batch at a time and send each one digest."""
        limit = self.config["SMATTEST_MAIL_BATCH_SIZE"]
        while not self.broken:
            people = outbox.claim_people(self.token, self.now, limit)
            if people is None:
                return
            rows = outbox.claimed(self.token, sa.not_(outbox.IS_ESCALATION))
            self.report.claimed += len(rows)
            if rows:
                self._send_people_batch(rows)

    def _send_people_batch(self, rows: list[sa.Row[Any]]) -> None:
        ids = {row.staff_id for row in rows}
        people = {
            p.id: p
            for p in session().execute(
                sa.select(Staff.id, Staff.full_name, Staff.email, Staff.language).where(
                    Staff.id.in_(ids)
                )
            )
        }
        fresh = self.rechecked(ids)
        announced = announce.announced_today(self, ids)
        with Delivery(REMINDERS, self.token, self.now) as delivery:
            mails: list[tuple[Any, list[sa.Row[Any]], list[compliance.Standing]]] = []
            for staff_id, group in groupby(rows, key=lambda row: row.staff_id):
                owed = fresh.get(staff_id, {})
                sendable = []
                for row in group:
                    reason = self.verdict(row, owed.get((row.requirement_kind, row.requirement_id)))
                    if reason is None and staff_id in announced:
                        reason = "today's announcement of a new policy version carries it"
                    if reason:
                        delivery.skip(row, reason)
                    else:
                        sendable.append(row)
                if sendable:
                    mails.append((people[staff_id], sendable, list(owed.values())))
            for index, (person, sendable, standings_owed) in enumerate(mails):
                problem = address_problem(person.email)
                if problem:
                    delivery.fail(sendable, f"{problem}; correct it in the roster", True)
                    continue
                items = messages.owed(standings_owed, self.today)
                mail = partial(messages.staff_reminder, person, items, self.today)
                listed = tuple(i.title for i in items)
                if not delivery.send(sendable, person.email, mail, listed, person.language):
                    delivery.give_back(row for _, later, _ in mails[index + 1 :] for row in later)
                    break
        self.tally(delivery, Reminder, "staff")

    def _send_to_managers(self) -> None:
        """One digest per manager, listing their reports escalated in this run."""
        limit = self.config["SMATTEST_MAIL_BATCH_SIZE"]
        while not self.broken:
            if outbox.claim_managers(self.token, self.now, limit) is None:
                return
            rows = outbox.claimed(self.token, outbox.IS_ESCALATION)
            self.report.claimed += len(rows)
            if rows:
                self._send_managers_batch(rows)

    def _send_managers_batch(self, rows: list[sa.Row[Any]]) -> None:
        ids = {row.staff_id for row in rows}
        people = {
            p.id: p
            for p in session().execute(
                sa.select(Staff.id, Staff.full_name, Staff.department, Staff.email).where(
                    Staff.id.in_(ids)
                )
            )
        }
        fresh = self.rechecked(ids)
        lines = tree.managers_above(sorted(ids))
        with Delivery(REMINDERS, self.token, self.now) as delivery:
            by_manager: dict[str, list[teams.Escalated]] = defaultdict(list)
            for row in rows:
                person = people[row.staff_id]
                owed = fresh.get(row.staff_id, {})
                standing = owed.get((row.requirement_kind, row.requirement_id))
                level = escalation_level(row.stage) or 1
                line = lines.get(row.staff_id, [])
                manager = line[level - 1] if len(line) >= level else None
                reason = self.verdict(row, standing, manager)
                if reason:
                    delivery.skip(row, reason)
                else:
                    assert standing is not None and manager  # verdict: else no escalation
                    # The manager's direct report the person is reached through ("": none,
                    # the person reports to the manager directly).
                    via = "" if level == 1 else line[level - 2]
                    by_manager[manager].append((person, row, standing, via))
            names = teams.names_of({via for es in by_manager.values() for *_, via in es} - {""})
            managers = sorted(by_manager.items())
            for index, (manager, entries) in enumerate(managers):
                sendable = [row for _, row, _, _ in entries]
                problem = address_problem(manager)
                if problem:
                    delivery.fail(sendable, f"{problem} (the manager's)", True)
                    continue
                grouped = teams.by_direct_report(entries, names, self.today)
                listed = tuple(r.full_name for _, reports in grouped for r in reports)
                mail = partial(self.digest, manager, entries, names)
                if not delivery.send(sendable, manager, mail, listed, language_of(manager)):
                    delivery.give_back(r for _, es in managers[index + 1 :] for _, r, _, _ in es)
                    break
        self.tally(delivery, Reminder, "manager")

    def digest(
        self,
        manager: str,
        entries: list[teams.Escalated],
        names: dict[str, str],
        templates: MailTemplates,
    ) -> Message:
        """A manager's digest, grouped and written in the language it is sent in (the
        headings, "Your direct reports", are words of the mail)."""
        grouped = teams.by_direct_report(entries, names, self.today)
        return messages.manager_digest(manager, grouped, self.today, templates)

    def title(self, row: Any) -> str:
        key = (row.requirement_kind, row.requirement_id)
        return self.titles.get(key, f"{row.requirement_kind} {row.requirement_id}")

    # -- outcomes ----------------------------------------------------------------------------

    def tally(self, delivery: Delivery, model: type[Any], kind: str, unstaged: str = "") -> None:
        """Report a recorded batch: mails sent (and the signal), failures, rows given back.

        ``unstaged`` names the stage of rows that have none (announcements, HR's summary).
        """
        report = self.report
        report.failed += delivery.failed
        report.given_up += delivery.given_up
        report.problems += delivery.problems
        report.skipped += len(delivery.skipped)
        report.returned += delivery.returned
        counter = {"staff": "people_mailed", "manager": "managers_mailed", "hr": "hr_mailed"}[kind]
        setattr(report, counter, getattr(report, counter) + len(delivery.accepted))
        for mail in delivery.accepted:
            stages = tuple(sorted({getattr(row, "stage", unstaged) for row in mail.rows}))
            report.mails.append(MailOut(kind, mail.recipient, stages, mail.listed))
        if delivery.broken:
            self.broken = delivery.broken
            report.warnings.append(
                f"The mail server failed ({self.broken}): nothing more was sent in this run."
            )
        if reminder_sent.receivers and delivery.accepted:
            ids = [row.id for mail in delivery.accepted for row in mail.rows]
            found = {
                row.id: row for row in session().scalars(sa.select(model).where(model.id.in_(ids)))
            }
            for mail in delivery.accepted:
                reminder_sent.send(
                    current_app_object(),
                    reminders=[found[row.id] for row in mail.rows],
                    recipient=mail.recipient,
                    kind=kind,
                )

    # -- dry run, stuck rows -----------------------------------------------------------------

    def find_stuck(self) -> None:
        stuck.find_stuck(self)
