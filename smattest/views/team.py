"""A manager's view: the people table for their direct reports only."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

import smattest.reports.dashboard as dashboard
import smattest.reports.people_table as people
import smattest.rule.compliance as compliance
import smattest.training as training

from ..models import Staff
from ..people.staff import is_hr
from ..reports.dashboard import STATUSES
from ..rule.compliance import LABELS
from .access import manager_required
from .base import blueprint, current_staff


@blueprint.get("/team")
@manager_required
def team() -> ResponseReturnValue:
    """The signed-in manager's active direct reports and their status per requirement.

    Only the requirement, status, name, order and page are read from the
    query string: nothing in it can widen the view past the manager's team.
    """
    manager = current_staff()
    # The scope is fixed here, never taken from the request.
    scope = Staff.manager_email == manager.email
    requirements = compliance.requirements()
    context = {
        "manager": manager,
        "requirements": requirements,
        "statuses": STATUSES,
        "labels": LABELS,
        "sorts": people.SORTS,
        "requirement_key": dashboard.requirement_key,
        "no_department_label": dashboard.NO_DEPARTMENT_LABEL,
        # Managers see status and due dates; only HR may open a person's page.
        "link_names": is_hr(current_user),
    }
    try:
        flt = people.parse_filter(request.args, requirements, people.TEAM_FIELDS)
    except people.FilterError as problem:
        return render_template(
            "smattest/team.html",
            flt=people.PeopleFilter(),
            problem=str(problem),
            page=None,
            **context,
        ), 400
    page = people.people_page(
        flt, requirements, page_size=current_app.config["SMATTEST_PAGE_SIZE"], scope=scope
    )
    return render_template(
        "smattest/team.html",
        flt=flt,
        problem=None,
        page=page,
        stuck=training.stuck_today([row.staff_id for row in page.rows]),
        **context,
    )
