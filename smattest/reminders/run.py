"""One reminder run: plan the outbox, claim, re-check, send, record; and its report."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

from .. import compliance
from ..config import WEEKDAYS
from ..db import utcnow
from ..mail import Batch, address_problem, describe_error, mail_state
from ..models import HRSummary, Reminder, Staff
from ..proxies import current_smattest
from ..signals import reminder_sent
from . import messages, outbox
from .cadence import ESCALATE, Cadence
from .outbox import REMINDERS, SUMMARIES, session

log = logging.getLogger("smattest.reminders")

#: At most this many stuck rows are listed one by one (all are counted).
STUCK_LISTED = 100


class ReminderError(ValueError):
    """Reminders cannot be run or changed as asked; the message says what to do."""


@dataclass(frozen=True)
class MailOut:
    """One mail a run sent (or, in a dry run, would send)."""

    kind: str  # "staff", "manager" or "hr"
    recipient: str
    stages: tuple[str, ...]
    requirements: tuple[str, ...]
    #: Why it cannot go out (a dry run tells in advance), else None.
    problem: str | None = None

    def line(self) -> str:
        text = f"  {self.kind:<7} {self.recipient or '(no address)'}"
        if self.stages:
            text += f"  [{', '.join(self.stages)}]"
        if self.requirements:
            text += f"  {'; '.join(self.requirements)}"
        return text + (f"  -- will fail: {self.problem}" if self.problem else "")


@dataclass(frozen=True)
class StuckRow:
    """A row left 'sending' past SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES."""

    kind: str  # "reminder" or "summary"
    id: int
    description: str
    claimed_at: dt.datetime


@dataclass
class RunReport:
    """What one run did, in numbers and in lines a person reads."""

    now: dt.datetime
    today: dt.date
    dry_run: bool = False
    business_day: bool = True
    #: New outbox rows (in a dry run: rows that would be new).
    planned: int = 0
    #: Rows this run claimed to send (reminders; the HR summary is counted apart).
    claimed: int = 0
    people_mailed: int = 0
    managers_mailed: int = 0
    hr_mailed: int = 0
    #: Claimed rows not sent because the person no longer owes it, the cycle changed...
    skipped: int = 0
    #: Rows whose mail failed in this run (back to pending to retry, or given up).
    failed: int = 0
    #: Of the failed rows, those given up for good (listed for HR).
    given_up: int = 0
    #: Claimed rows never tried because the mail server failed first: pending again.
    returned: int = 0
    stuck: list[StuckRow] = field(default_factory=list)
    stuck_count: int = 0
    mails: list[MailOut] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True unless a send failed in this run."""
        return self.failed == 0

    def lines(self) -> list[str]:
        """The report as a person reads it (the CLI prints these)."""
        tz = current_smattest.timezone
        when = self.now.astimezone(tz)
        head = f"Reminders for {self.today:%A} {self.today.day} {self.today:%B %Y}, {when:%H:%M %Z}"
        lines = [head + (" (dry run: nothing written, nothing sent)" if self.dry_run else "")]
        lines += [f"Warning: {warning}" for warning in self.warnings]
        if not self.business_day:
            lines.append("Not a business day: no reminders are planned or sent today.")
        if self.dry_run:
            lines.append(f"Would plan {self.planned} new reminder(s).")
            lines.append(f"Would send {len(self.mails)} mail(s):")
            lines += [mail.line() for mail in self.mails]
            if self.skipped:
                lines.append(f"Would skip {self.skipped} waiting reminder(s) no longer owed.")
        else:
            lines.append(f"Planned {self.planned} new reminder(s); claimed {self.claimed}.")
            lines.append(
                f"Mails sent: {self.people_mailed} to people, {self.managers_mailed} to "
                f"managers, {self.hr_mailed} to HR."
            )
            lines.append(
                f"Skipped {self.skipped} (no longer owed); failed {self.failed} "
                f"({self.given_up} given up); returned unsent {self.returned}."
            )
            lines += [f"  failed: {problem}" for problem in self.problems]
        lines.append(f"Stuck in 'sending' (reported, not resent): {self.stuck_count}.")
        for row in self.stuck:
            claimed = row.claimed_at.astimezone(tz)
            lines.append(
                f"  {row.kind} {row.id}: {row.description}, claimed {claimed:%Y-%m-%d %H:%M %Z}"
            )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


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
    return _Run(now.astimezone(dt.UTC), dry_run).run()


def _titles(requirements) -> dict[tuple[str, int], str]:
    return {(r.kind, r.id): r.title for r in requirements}


class _Run:
    """The state of one run; :meth:`run` does the work in order."""

    def __init__(self, now: dt.datetime, dry_run: bool) -> None:
        self.config = current_app.config
        self.now = now
        self.today = now.astimezone(current_smattest.timezone).date()
        self.dry_run = dry_run
        self.token = str(uuid.uuid4())
        self.cadence = Cadence.from_config(self.config)
        self.report = RunReport(now=now, today=self.today, dry_run=dry_run)
        #: Set to the error once the mail server failed: the run stops sending.
        self.broken: str | None = None
        self._standings: dict[tuple[str, int], dict[int, compliance.Standing]] | None = None

    def run(self) -> RunReport:
        self._check_configuration()
        self.requirements = compliance.requirements(self.today)
        self.titles = _titles(self.requirements)
        self.report.business_day = self.cadence.is_business_day(self.today)
        if self.report.business_day:
            rows = self._rows_to_plan()
            if self.dry_run:
                self._preview(rows)
            else:
                self.report.planned = outbox.plan(rows, self.token, self.now)
                self._send_to_people()
                self._send_to_managers()
        self._send_hr_summary()
        self._find_stuck()
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
        """Everyone's standing for each requirement today: 3 statements per requirement."""
        if self._standings is None:
            self._standings = {
                (r.kind, r.id): compliance.standings(r, as_of=self.today) for r in self.requirements
            }
        return self._standings

    def _standings_of(self, staff_ids) -> dict[int, dict[tuple[str, int], compliance.Standing]]:
        """Fresh standings of some people, by person then requirement (for the re-check)."""
        found: dict[int, dict[tuple[str, int], compliance.Standing]] = defaultdict(dict)
        ids = sorted(staff_ids)
        for r in self.requirements:
            for staff_id, standing in compliance.standings(
                r, as_of=self.today, where=Staff.id.in_(ids)
            ).items():
                found[staff_id][(r.kind, r.id)] = standing
        return found

    # -- planning ----------------------------------------------------------------------------

    def _rows_to_plan(self) -> list[dict]:
        """The latest stage reached by everyone who owes something, and due escalations."""
        managers = dict(
            session()
            .execute(
                sa.select(Staff.id, Staff.manager_email).where(
                    Staff.active, Staff.manager_email.is_not(None), Staff.manager_email != ""
                )
            )
            .all()
        )
        rows = []
        for (kind, requirement_id), by_person in self.standings.items():
            for staff_id, standing in by_person.items():
                if standing.status not in (compliance.DUE_SOON, compliance.OVERDUE):
                    continue
                key = {
                    "staff_id": staff_id,
                    "requirement_kind": kind,
                    "requirement_id": requirement_id,
                    "cycle_due": standing.due_date,
                }
                stage = self.cadence.latest_staff_stage(standing.due_date, self.today)
                if stage is not None:
                    rows.append({**key, "stage": stage})
                if staff_id in managers and self.cadence.escalation_reached(
                    standing.due_date, self.today
                ):
                    rows.append({**key, "stage": ESCALATE})
        return rows

    def _verdict(self, row, standing: compliance.Standing | None, manager_email=None) -> str | None:
        """None when ``row`` is still to be sent today, else why not (it is then skipped)."""
        if standing is None:
            return "the person is inactive, or the requirement is no longer in force"
        if standing.status not in (compliance.DUE_SOON, compliance.OVERDUE):
            return f"the person is now {standing.label.lower()}"
        if standing.due_date != row.cycle_due:
            return f"the due date changed to {standing.due_date.isoformat()}"
        if row.stage == ESCALATE:
            if not manager_email:
                return "there is no manager email on record"
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
            rows = outbox.claimed(self.token, REMINDERS.c.stage != ESCALATE)
            self.report.claimed += len(rows)
            if rows:
                self._send_people_batch(rows)

    def _send_people_batch(self, rows: list[sa.Row]) -> None:
        ids = {row.staff_id for row in rows}
        people = {
            p.id: p
            for p in session().execute(
                sa.select(Staff.id, Staff.full_name, Staff.email).where(Staff.id.in_(ids))
            )
        }
        fresh = self._standings_of(ids)
        skips: dict[int, str] = {}
        mails = []
        for staff_id, group in groupby(rows, key=lambda row: row.staff_id):
            owed = fresh.get(staff_id, {})
            sendable = []
            for row in group:
                reason = self._verdict(row, owed.get((row.requirement_kind, row.requirement_id)))
                if reason:
                    skips[row.id] = reason
                else:
                    sendable.append(row)
            if sendable:
                mails.append((people[staff_id], sendable, list(owed.values())))
        outbox.mark_skipped(skips, self.token)
        self.report.skipped += len(skips)

        with Batch() as batch:
            for index, (person, sendable, owed) in enumerate(mails):
                problem = address_problem(person.email)
                if problem:
                    self._fail(REMINDERS, sendable, f"{problem}; correct it in the roster", True)
                    continue
                try:
                    with messages.links():
                        items = messages.owed(owed, self.today)
                        message = messages.staff_reminder(person, items, self.today)
                    batch.send(message)
                except Exception as error:
                    self._fail(REMINDERS, sendable, describe_error(error))
                    if batch.broken:
                        later = [row for _, rows_, _ in mails[index + 1 :] for row in rows_]
                        self._stop(error, later)
                        return
                    continue
                self._sent(Reminder, sendable, person.email, "staff", tuple(i.title for i in items))

    def _send_to_managers(self) -> None:
        """One digest per manager, listing their reports escalated in this run."""
        if self.broken:
            return
        outbox.claim_escalations(self.token, self.now)
        rows = outbox.claimed(self.token, REMINDERS.c.stage == ESCALATE)
        self.report.claimed += len(rows)
        if not rows:
            return
        ids = {row.staff_id for row in rows}
        people = {
            p.id: p
            for p in session().execute(
                sa.select(Staff.id, Staff.full_name, Staff.department, Staff.manager_email).where(
                    Staff.id.in_(ids)
                )
            )
        }
        fresh = self._standings_of(ids)
        skips: dict[int, str] = {}
        by_manager: dict[str, list] = defaultdict(list)
        for row in rows:
            person = people[row.staff_id]
            standing = fresh.get(row.staff_id, {}).get((row.requirement_kind, row.requirement_id))
            reason = self._verdict(row, standing, person.manager_email)
            if reason:
                skips[row.id] = reason
            else:
                by_manager[person.manager_email.strip().lower()].append((person, row, standing))
        outbox.mark_skipped(skips, self.token)
        self.report.skipped += len(skips)

        managers = sorted(by_manager.items())
        size = self.config["SMATTEST_MAIL_BATCH_SIZE"]
        for start in range(0, len(managers), size):
            with Batch() as batch:
                for index, (manager, entries) in enumerate(managers[start : start + size]):
                    sendable = [row for _, row, _ in entries]
                    problem = address_problem(manager)
                    if problem:
                        self._fail(REMINDERS, sendable, f"{problem} (the manager's)", True)
                        continue
                    try:
                        with messages.links():
                            reports = self._reports(entries)
                            message = messages.manager_digest(manager, reports, self.today)
                        batch.send(message)
                    except Exception as error:
                        self._fail(REMINDERS, sendable, describe_error(error))
                        if batch.broken:
                            rest = managers[start + index + 1 :]
                            self._stop(error, [r for _, es in rest for _, r, _ in es])
                            return
                        continue
                    names = tuple(report.full_name for report in reports)
                    self._sent(Reminder, sendable, manager, "manager", names)

    def _reports(self, entries) -> list[messages.Report]:
        """The manager's overdue reports, each with the requirements escalated today."""
        by_person = defaultdict(list)
        for person, _row, standing in entries:
            by_person[person].append(standing)
        return [
            messages.Report(person.full_name, person.department, messages.owed(owed, self.today))
            for person, owed in sorted(by_person.items(), key=lambda item: item[0].full_name)
        ]

    def _send_hr_summary(self) -> None:
        """HR's weekly summary, once per week: on SMATTEST_HR_SUMMARY_WEEKDAY, or at the
        first later business day of the week if no run happened that day."""
        emails = list(self.config["SMATTEST_HR_EMAILS"])
        weekday = WEEKDAYS.index(self.config["SMATTEST_HR_SUMMARY_WEEKDAY"].lower())
        on_time = self.today.weekday() == weekday
        late = self.today.weekday() > weekday and self.report.business_day
        if not emails or not (on_time or late) or self.broken:
            return
        week_start = self.today - dt.timedelta(days=self.today.weekday())
        recipient = ", ".join(emails)
        status = session().scalar(
            sa.select(SUMMARIES.c.status).where(SUMMARIES.c.week_start == week_start)
        )
        if status not in (None, outbox.PENDING):
            return  # sent, given up, or being sent by another run
        if self.dry_run:
            self.report.mails.append(MailOut("hr", recipient, (), ("weekly summary",)))
            return
        if status is None:
            outbox.plan_summary(week_start, self.now)
        row = outbox.claim_summary(week_start, self.token, self.now)
        if row is None:
            return
        problems = [p for p in map(address_problem, emails) if p]
        if problems:
            self._fail(SUMMARIES, [row], "; ".join(problems) + " (SMATTEST_HR_EMAILS)", True)
            return
        try:
            self._find_stuck()
            with messages.links():
                message = messages.hr_summary(emails, self._weekly_summary(week_start))
            with Batch() as batch:
                batch.send(message)
        except Exception as error:
            self._fail(SUMMARIES, [row], describe_error(error))
            return
        self._sent(HRSummary, [row], recipient, "hr", ("weekly summary",))

    def _weekly_summary(self, week_start: dt.date) -> messages.WeeklySummary:
        counts = []
        for r in self.requirements:
            tally = Counter(s.status for s in self.standings[(r.kind, r.id)].values())
            counts.append((r.title, {status: tally[status] for status in compliance.URGENCY}))
        week_ago = self.now - dt.timedelta(days=7)
        given_up = session().execute(
            sa.select(Staff.full_name, REMINDERS)
            .join(Staff, Staff.id == REMINDERS.c.staff_id)
            .where(REMINDERS.c.status == outbox.FAILED, REMINDERS.c.claimed_at >= week_ago)
            .order_by(REMINDERS.c.claimed_at.desc())
        )
        pending_with_errors = session().scalar(
            sa.select(sa.func.count())
            .select_from(REMINDERS)
            .where(REMINDERS.c.status == outbox.PENDING, REMINDERS.c.last_error.is_not(None))
        )
        return messages.WeeklySummary(
            week_start=week_start,
            today=self.today,
            counts=counts,
            given_up=[(r.full_name, self._title(r), r.stage, r.last_error or "") for r in given_up],
            stuck=[(row.description, row.claimed_at) for row in self.report.stuck],
            stuck_count=self.report.stuck_count,
            pending_with_errors=pending_with_errors,
        )

    def _title(self, row) -> str:
        key = (row.requirement_kind, row.requirement_id)
        return self.titles.get(key, f"{row.requirement_kind} {row.requirement_id}")

    # -- outcomes ----------------------------------------------------------------------------

    def _sent(self, model, rows, recipient: str, kind: str, listed: tuple[str, ...]) -> None:
        ids = [row.id for row in rows]
        table = model.__table__
        outbox.mark_sent(table, ids, self.token, self.now, recipient)
        counter = {"staff": "people_mailed", "manager": "managers_mailed", "hr": "hr_mailed"}[kind]
        setattr(self.report, counter, getattr(self.report, counter) + 1)
        stages = tuple(sorted({getattr(row, "stage", "weekly") for row in rows}))
        self.report.mails.append(MailOut(kind, recipient, stages, listed))
        if reminder_sent.receivers:
            sent = session().scalars(sa.select(model).where(model.id.in_(ids)).order_by(model.id))
            reminder_sent.send(
                current_app._get_current_object(),
                reminders=list(sent),
                recipient=recipient,
                kind=kind,
            )

    def _fail(self, table, rows, error: str, give_up: bool = False) -> None:
        rows = list(rows)
        given_up = outbox.record_failure(
            table,
            rows,
            self.token,
            self.now,
            f"Not sent: {error}.",
            retry_minutes=self.config["SMATTEST_REMINDER_RETRY_MINUTES"],
            max_attempts=self.config["SMATTEST_REMINDER_MAX_ATTEMPTS"],
            give_up=give_up,
        )
        self.report.failed += len(rows)
        self.report.given_up += given_up
        self.report.problems.append(error)
        log.warning("reminder rows %s not sent: %s", [row.id for row in rows], error)

    def _stop(self, error: BaseException, unsent) -> None:
        """The mail server is gone: give back what was claimed, send nothing more."""
        self.broken = describe_error(error)
        unsent = list(unsent)
        outbox.return_unsent(
            unsent,
            self.token,
            f"Not sent: the mail server failed earlier in the run ({self.broken}); "
            "a later run sends it.",
        )
        self.report.returned += len(unsent)
        self.report.warnings.append(
            f"The mail server failed ({self.broken}): nothing more was sent in this run."
        )

    # -- dry run, stuck rows -----------------------------------------------------------------

    def _preview(self, planned: list[dict]) -> None:
        """Who would get what, without writing or sending anything."""
        cycles = {row["cycle_due"] for row in planned}
        existing = set()
        if cycles:
            existing = set(
                session().execute(
                    sa.select(
                        REMINDERS.c.staff_id,
                        REMINDERS.c.requirement_kind,
                        REMINDERS.c.requirement_id,
                        REMINDERS.c.cycle_due,
                        REMINDERS.c.stage,
                    ).where(REMINDERS.c.cycle_due.in_(sorted(cycles)))
                )
            )
        new = [
            SimpleNamespace(**row)
            for row in planned
            if (
                row["staff_id"],
                row["requirement_kind"],
                row["requirement_id"],
                row["cycle_due"],
                row["stage"],
            )
            not in existing
        ]
        self.report.planned = len(new)
        waiting = list(
            session().execute(sa.select(REMINDERS).where(outbox.due(REMINDERS, self.now)))
        )
        candidates = sorted(new + waiting, key=lambda row: row.staff_id)
        roster = {
            p.id: p
            for p in session().execute(
                sa.select(Staff.id, Staff.full_name, Staff.email, Staff.manager_email).where(
                    Staff.active
                )
            )
        }
        managers: dict[str, list] = defaultdict(list)
        with messages.links():
            for staff_id, group in groupby(candidates, key=lambda row: row.staff_id):
                person = roster.get(staff_id)
                owed = {
                    key: found[staff_id]
                    for key, found in self.standings.items()
                    if staff_id in found
                }
                stages = []
                for row in group:
                    standing = owed.get((row.requirement_kind, row.requirement_id))
                    manager = person.manager_email if person else None
                    if self._verdict(row, standing, manager):
                        self.report.skipped += 1
                    elif row.stage == ESCALATE:
                        managers[manager.strip().lower()].append((person, standing))
                    else:
                        stages.append(row.stage)
                if stages:
                    items = messages.owed(list(owed.values()), self.today)
                    self.report.mails.append(
                        MailOut(
                            "staff",
                            person.email or "",
                            tuple(sorted(set(stages))),
                            tuple(f"{i.title} (due {i.due_date.isoformat()})" for i in items),
                            address_problem(person.email),
                        )
                    )
        for manager, entries in sorted(managers.items()):
            listed = tuple(
                f"{person.full_name}: {standing.requirement.title}" for person, standing in entries
            )
            self.report.mails.append(
                MailOut("manager", manager, (ESCALATE,), listed, address_problem(manager))
            )

    def _find_stuck(self) -> None:
        timeout = self.config["SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES"]
        reminders = (
            session()
            .execute(
                sa.select(REMINDERS, Staff.full_name)
                .join(Staff, Staff.id == REMINDERS.c.staff_id)
                .where(outbox.stuck(REMINDERS, self.now, timeout))
                .order_by(REMINDERS.c.claimed_at, REMINDERS.c.id)
            )
            .all()
        )
        summaries = (
            session()
            .execute(sa.select(SUMMARIES).where(outbox.stuck(SUMMARIES, self.now, timeout)))
            .all()
        )
        found = [
            StuckRow(
                "reminder",
                row.id,
                f"{row.full_name}, {self._title(row)}, {row.stage}",
                row.claimed_at,
            )
            for row in reminders
        ] + [
            StuckRow(
                "summary", row.id, f"HR summary of the week of {row.week_start}", row.claimed_at
            )
            for row in summaries
        ]
        self.report.stuck_count = len(found)
        self.report.stuck = found[:STUCK_LISTED]
