"""The dry run: who would get which reminder, with nothing written and nothing sent."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

import smattest.people.tree as tree
import smattest.reminders.messages as messages
import smattest.reminders.outbox as outbox

from ..mail import address_problem
from ..models import Staff
from ..rule.compliance import Standing
from .cadence import ESCALATE, escalation_level
from .context import RunContext
from .outbox import NUDGE, REMINDERS, session
from .report import MailOut


def preview(run: RunContext, planned: list[dict[str, Any]]) -> None:
    """Who would get what, without writing or sending anything."""
    # Planned rows and outbox rows alike: read by attribute.
    new: list[Any] = [SimpleNamespace(**row) for row in outbox.not_planned_yet(planned)]
    run.report.planned = len(new)
    waiting = list(session().execute(sa.select(REMINDERS).where(outbox.due(REMINDERS, run.now))))
    candidates = sorted(new + waiting, key=lambda row: row.staff_id)
    roster = {
        p.id: p
        for p in session().execute(
            sa.select(Staff.id, Staff.full_name, Staff.email, Staff.manager_email).where(
                Staff.active
            )
        )
    }
    lines = tree.managers_above()
    managers: dict[str, list[tuple[Any, Standing]]] = defaultdict(list)
    with messages.links():
        for staff_id, group in groupby(candidates, key=lambda row: row.staff_id):
            person = roster.get(staff_id)
            owed = {
                key: found[staff_id] for key, found in run.standings.items() if staff_id in found
            }
            stages = []
            line = lines.get(staff_id, [])
            for row in group:
                if row.stage == NUDGE:
                    continue  # sent by the mail job, not by a reminder run
                standing = owed.get((row.requirement_kind, row.requirement_id))
                level = escalation_level(row.stage)
                manager = line[level - 1] if level and len(line) >= level else None
                if run.verdict(row, standing, manager) or (
                    level is None and staff_id in run.announced
                ):
                    run.report.skipped += 1  # (the announcement carries a person's reminder)
                elif level is not None:
                    # verdict: no manager or no standing, no escalation
                    assert manager is not None and standing is not None
                    managers[manager].append((person, standing))
                else:
                    stages.append(row.stage)
            if stages:
                assert person is not None  # verdict: an inactive person is sent nothing
                items = messages.owed(list(owed.values()), run.today)
                run.report.mails.append(
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
        run.report.mails.append(
            MailOut(
                "manager",
                manager,
                (ESCALATE,),
                tuple(sorted(set(listed))),
                address_problem(manager),
            )
        )
