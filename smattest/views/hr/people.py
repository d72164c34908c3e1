"""HR's people list: everyone active with their status per requirement, filtered and paged,
and "remind these people now" for the filter shown.

The table itself is read by :mod:`smattest.reports.people_table`; this page parses
the filter from the query string and renders one page of it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, InputRequired

import smattest.publishing.audiences as audiences
import smattest.reminders.nudge as nudge
import smattest.reports.dashboard as dashboard
import smattest.reports.people_table as people
import smattest.rule.compliance as compliance
import smattest.training as training

from ...i18n import gettext, lazy_gettext, ngettext
from ...reports.dashboard import STATUSES
from ...rule.compliance import LABELS, Requirement
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import Form

#: The most managers offered as suggestions (a <datalist>) in the people filter.
MANAGER_LIST_LIMIT = 100


class NudgeForm(Form):
    """HR's confirmation of "remind these people now": the number HR saw, and a tick."""

    expected = IntegerField(
        validators=[InputRequired(lazy_gettext("The form did not say how many people."))]
    )
    confirm = BooleanField(
        validators=[
            DataRequired(
                lazy_gettext("Tick the box to confirm the reminders before they are sent.")
            )
        ]
    )


def _render(
    requirements: list[Requirement],
    flt: people.PeopleFilter | None,
    problem: str | None,
    form: NudgeForm,
    status: int = 200,
) -> ResponseReturnValue:
    departments, anyone_without = people.departments()
    context = {
        "groups": audiences.known_groups(),
        "requirements": requirements,
        "departments": departments,
        "anyone_without_department": anyone_without,
        "managers": people.managers(),
        # Past this many, a list of suggestions costs more page than it saves typing.
        "manager_list_limit": MANAGER_LIST_LIMIT,
        "statuses": STATUSES,
        "labels": LABELS,
        "sorts": people.SORTS,
        "requirement_key": dashboard.requirement_key,
        "no_department": dashboard.NO_DEPARTMENT,
        "no_department_label": dashboard.NO_DEPARTMENT_LABEL,
        "raw": request.args,
        "form": form,
    }
    if flt is None:
        return render_template(
            "smattest/hr/people.html",
            flt=people.PeopleFilter(),
            problem=problem,
            page=None,
            nudge=None,
            **context,
        ), 400
    page = people.people_page(flt, requirements, page_size=current_app.config["SMATTEST_PAGE_SIZE"])
    return render_template(
        "smattest/hr/people.html",
        flt=flt,
        problem=problem,
        page=page,
        nudge=(
            nudge.preview_nudge(replace(flt, left=False), requirements=requirements)
            if requirements
            else None
        ),
        stuck=training.stuck_today([row.staff_id for row in page.rows]),
        **context,
    ), status


def _filter(requirements: list[Requirement]) -> people.PeopleFilter | str:
    try:
        return people.parse_filter(request.args, requirements, people.HR_FIELDS)
    except people.FilterError as problem:
        return str(problem)


@blueprint.get("/hr/people")
@hr_required
def hr_people() -> ResponseReturnValue:
    """Every active person (and, when asked, those who have left) with their status per
    requirement: filtered, sorted, paged; and "remind these people now" for the filter."""
    requirements = compliance.requirements()
    flt = _filter(requirements)
    if isinstance(flt, str):
        return _render(requirements, None, flt, NudgeForm())
    return _render(requirements, flt, None, NudgeForm())


@blueprint.post("/hr/people/nudge")
@hr_required
def hr_people_nudge() -> ResponseReturnValue:
    """Remind now everyone the filter (in the query string) reaches who owes something:
    one reminder per person per day, planned into the outbox, sent by the mail job."""
    requirements = compliance.requirements()
    flt = _filter(requirements)
    form = NudgeForm()
    if isinstance(flt, str):
        return _render(requirements, None, flt, form)
    if not form.validate():
        if "csrf_token" in form.errors:
            # Back to the list (read afresh), without reading anything for this request.
            flash(gettext("This form had expired. Nobody was reminded: please try again."), "error")
            return redirect(url_for("smattest.hr_people", **_query(flt)), 303)
        for errors in form.errors.values():
            form.form_errors.extend(e for e in errors if e not in form.form_errors)
        return _render(requirements, flt, None, form, 400)
    flt = replace(flt, left=False, page=1)
    try:
        plan = nudge.plan_nudges(flt, actor(), expected=form.expected.data)
    except nudge.NudgeChanged as error:
        form.form_errors.append(str(error))
        return _render(requirements, flt, None, form, 409)
    every = current_app.config["SMATTEST_MAIL_SEND_EVERY_MINUTES"]
    flash(
        ngettext(
            "%(num)s person will get a reminder with the next mail run (within %(every)s "
            "minutes). The Reminders page lists them.",
            "%(num)s people will get a reminder with the next mail run (within %(every)s "
            "minutes). The Reminders page lists them.",
            plan.planned,
            every=every,
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_people", **_query(flt)), 303)


def _query(flt: people.PeopleFilter) -> dict[str, Any]:
    """The filter's query string values, for a link back to the list."""
    return dict(flt.args())
