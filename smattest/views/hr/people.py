"""HR's people list: everyone active with their status per requirement, filtered and paged.

The table itself is read by :mod:`smattest.reports.people_table`; this page parses
the filter from the query string and renders one page of it.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

import smattest.publishing.audiences as audiences
import smattest.reports.dashboard as dashboard
import smattest.reports.people_table as people
import smattest.rule.compliance as compliance
import smattest.training as training

from ...reports.dashboard import STATUSES
from ...rule.compliance import LABELS
from ..access import hr_required
from ..base import blueprint

#: The most managers offered as suggestions (a <datalist>) in the people filter.
MANAGER_LIST_LIMIT = 100


@blueprint.get("/hr/people")
@hr_required
def hr_people() -> ResponseReturnValue:
    """Every active person with their status per requirement: filtered, sorted, paged."""
    requirements = compliance.requirements()
    departments, anyone_without = people.departments()
    managers = people.managers()
    context = {
        "groups": audiences.known_groups(),
        "requirements": requirements,
        "departments": departments,
        "anyone_without_department": anyone_without,
        "managers": managers,
        # Past this many, a list of suggestions costs more page than it saves typing.
        "manager_list_limit": MANAGER_LIST_LIMIT,
        "statuses": STATUSES,
        "labels": LABELS,
        "sorts": people.SORTS,
        "requirement_key": dashboard.requirement_key,
        "no_department": dashboard.NO_DEPARTMENT,
        "no_department_label": dashboard.NO_DEPARTMENT_LABEL,
    }
    try:
        flt = people.parse_filter(request.args, requirements, people.HR_FIELDS)
    except people.FilterError as problem:
        return render_template(
            "smattest/hr/people.html",
            flt=people.PeopleFilter(),
            raw=request.args,
            problem=str(problem),
            page=None,
            **context,
        ), 400
    page = people.people_page(flt, requirements, page_size=current_app.config["SMATTEST_PAGE_SIZE"])
    return render_template(
        "smattest/hr/people.html",
        flt=flt,
        raw=request.args,
        problem=None,
        page=page,
        stuck=training.stuck_today([row.staff_id for row in page.rows]),
        **context,
    )
