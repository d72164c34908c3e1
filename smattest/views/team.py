"""A manager's view: everyone below them (any depth), and one team member's page.

The scope is the signed-in manager's reporting tree (:mod:`smattest.people.tree`),
fixed here and never taken from the request: nothing in a query string or a URL
reaches a person outside the tree (their page is "not found", as if they did
not exist).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

import smattest.people.tree as tree
import smattest.reports.dashboard as dashboard
import smattest.reports.people_table as people
import smattest.reports.selection as selection
import smattest.rule.compliance as compliance
import smattest.training as training

from ..models import Staff
from ..people.own_records import completions_of, receipts_of
from ..proxies import current_smattest
from ..reports.dashboard import STATUSES
from ..rule.compliance import LABELS
from .access import manager_required
from .base import blueprint, current_staff


def _context(manager: Staff) -> dict[str, Any]:
    return {
        "manager": manager,
        "statuses": STATUSES,
        "labels": LABELS,
        "sorts": people.SORTS,
        "requirement_key": dashboard.requirement_key,
        "no_department_label": dashboard.NO_DEPARTMENT_LABEL,
    }


@blueprint.get("/team")
@manager_required
def team() -> ResponseReturnValue:
    """Everyone active below the signed-in manager, with counts per status and their status
    per requirement; "direct reports only" narrows it to the people they manage directly.

    Only the requirement, status, name, direct-only, order and page are read
    from the query string: nothing in it can widen the view past the tree.
    """
    manager = current_staff()
    requirements = compliance.requirements()
    context = {"requirements": requirements, **_context(manager)}
    try:
        flt = people.parse_filter(request.args, requirements, people.TEAM_FIELDS)
    except people.FilterError as problem:
        return render_template(
            "smattest/team.html",
            flt=people.PeopleFilter(),
            problem=str(problem),
            page=None,
            counts=None,
            **context,
        ), 400
    # The scope is fixed here, never taken from the request.
    scope = tree.scope(manager, direct_only=flt.direct)
    page = people.people_page(
        flt, requirements, page_size=current_app.config["SMATTEST_PAGE_SIZE"], scope=scope
    )
    return render_template(
        "smattest/team.html",
        flt=flt,
        problem=None,
        page=page,
        counts=selection.status_counts(flt, requirements, scope=scope),
        stuck=training.stuck_today([row.staff_id for row in page.rows]),
        **context,
    )


@blueprint.get("/team/people/<int:staff_id>")
@manager_required
def team_member(staff_id: int) -> ResponseReturnValue:
    """One person below the signed-in manager: what they owe and by when, what they did and
    when. No evidence details (hashes, addresses, signatures): HR keeps those.

    Anyone outside the manager's tree is not found.
    """
    manager = current_staff()
    if not tree.is_below(manager, staff_id):
        abort(404)
    person = current_smattest.db.session.get(Staff, staff_id)
    if person is None:  # (is_below found them: only a concurrent delete, which never happens)
        abort(404)
    boss = (
        current_smattest.db.session.scalar(
            sa.select(Staff.full_name).where(Staff.email == person.manager_email).limit(1)
        )
        if person.manager_email
        else None
    )
    return render_template(
        "smattest/team_member.html",
        person=person,
        their_manager=boss or person.manager_email,
        standings=compliance.person_standings(person),
        signed=receipts_of(person),
        completed=completions_of(person),
        **_context(manager),
    )
