"""HR's page of a policy's or course's audience (who owes it, its history, changing it), and
retiring a policy or course or withdrawing a scheduled version."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import smattest.publishing.audiences as audiences

from ...i18n import gettext
from ...models import COURSE, POLICY, Course, Policy
from ...people.staff import names_of
from ...publishing.audiences import AudienceError
from ...publishing.lifecycle import (
    LifecycleError,
    retire,
    review_date,
    set_review,
    withdraw_version,
)
from ...rule.membership import Audience
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import CSRFOnlyForm, read_day

KINDS = {"policies": POLICY, "courses": COURSE}


def _requirement(kinds: str, slug: str) -> tuple[str, Policy | Course]:
    if kinds not in KINDS:
        abort(404)
    try:
        return KINDS[kinds], audiences.requirement_of(KINDS[kinds], slug)
    except AudienceError:
        abort(404)


@blueprint.route("/hr/<kinds>/<slug>/audience", methods=["GET", "POST"])
@hr_required
def hr_audience(kinds: str, slug: str) -> ResponseReturnValue:
    """Who owes the policy or course from today; a change is recorded with before and after."""
    kind, requirement = _requirement(kinds, slug)
    form = CSRFOnlyForm()
    current = audiences.current_audience(kind, requirement.id)
    chosen, problem, status = current, None, 200
    if request.method == "POST":
        everyone = request.form.get("who") == "everyone"
        chosen = Audience(
            tuple(() if everyone else request.form.getlist("department")),
            tuple(() if everyone else request.form.getlist("group")),
            tuple(request.form.getlist("except_group")),
        )
        try:
            if not form.validate():
                raise AudienceError(
                    gettext("this form had expired; nothing was changed: try again")
                )
            if not everyone and not (chosen.departments or chosen.groups):
                raise AudienceError(
                    gettext("choose at least one department or group, or choose everyone")
                )
            built = audiences.build_audience(
                chosen.departments, chosen.groups, chosen.except_groups
            )
            before, changed = audiences.set_audience(kind, slug, built, actor=actor())
        except AudienceError as error:
            message = str(error)
            problem, status = gettext("%(problem)s.", problem=_sentence(message)), 400
        else:
            if changed:
                flash(
                    gettext(
                        "%(title)s is now for %(audience)s (was %(before)s), from today.",
                        title=requirement.title,
                        audience=built.describe(),
                        before=before.describe(),
                    ),
                    "success",
                )
            else:
                flash(
                    gettext(
                        "%(title)s was already for %(audience)s.",
                        title=requirement.title,
                        audience=built.describe(),
                    ),
                    "info",
                )
            return redirect(url_for("smattest.hr_audience", kinds=kinds, slug=slug), 303)
    history = audiences.history(kind, requirement.id)
    return render_template(
        "smattest/hr/audience.html",
        kind=kind,
        kinds=kinds,
        requirement=requirement,
        current=current,
        chosen=chosen,
        departments=audiences.known_departments(),
        groups=audiences.known_groups(),
        history=history,
        names=names_of(change.set_by for change in history),
        Audience=Audience,
        form=form,
        problem=problem,
        review_on=review_date(requirement) if isinstance(requirement, Policy) else None,
    ), status


def _sentence(message: str) -> str:
    """A refusal as the start of a sentence: its first letter upper-case."""
    return message[:1].upper() + message[1:]


@blueprint.post("/hr/<kinds>/<slug>/retire")
@hr_required
def hr_retire(kinds: str, slug: str) -> ResponseReturnValue:
    """Retire the policy or course from a day, with a reason; nothing is removed."""
    kind, requirement = _requirement(kinds, slug)
    try:
        if not CSRFOnlyForm().validate():
            raise LifecycleError(gettext("this form had expired; nothing was changed: try again"))
        try:
            day = read_day(request.form.get("from"), gettext("the first day it is retired"))
        except ValueError as error:
            raise LifecycleError(str(error).rstrip(".")) from None
        retire(kind, slug, day, request.form.get("reason", ""), actor=actor())
    except LifecycleError as error:
        message = str(error)
        flash(gettext("Not retired: %(problem)s.", problem=_sentence(message)), "error")
    else:
        flash(
            gettext(
                "%(title)s is retired from %(day)s: nobody owes it then.",
                title=requirement.title,
                day=day.isoformat(),
            ),
            "success",
        )
    return redirect(url_for("smattest.hr_audience", kinds=kinds, slug=slug), 303)


@blueprint.post("/hr/policies/<slug>/withdrawals")
@hr_required
def hr_version_withdraw(slug: str) -> ResponseReturnValue:
    """Withdraw a scheduled version (its number in the form), with a reason; the version
    row is untouched, the withdrawal recorded beside it, listed as withdrawn."""
    number = request.form.get("number", type=int) or 0
    try:
        if not CSRFOnlyForm().validate():
            raise LifecycleError(gettext("this form had expired; nothing was changed: try again"))
        withdraw_version(slug, number, request.form.get("reason", ""), actor=actor())
    except LifecycleError as error:
        message = str(error)
        flash(gettext("Not withdrawn: %(problem)s.", problem=_sentence(message)), "error")
    else:
        flash(
            gettext("Version %(number)s is withdrawn: it will not take effect.", number=number),
            "success",
        )
    return redirect(url_for("smattest.hr_policies"), 303)


@blueprint.post("/hr/policies/<slug>/review")
@hr_required
def hr_review(slug: str) -> ResponseReturnValue:
    """Set the policy's owner and review date; recorded with before and after."""
    try:
        if not CSRFOnlyForm().validate():
            raise LifecycleError(gettext("this form had expired; nothing was changed: try again"))
        try:
            day = read_day(request.form.get("review_on"), gettext("the review date"))
        except ValueError as error:
            raise LifecycleError(str(error).rstrip(".")) from None
        owner = request.form.get("owner_email", "")
        policy = set_review(slug, owner, day, actor=actor())
    except LifecycleError as error:
        message = str(error)
        flash(gettext("Not changed: %(problem)s.", problem=_sentence(message)), "error")
    else:
        flash(
            gettext(
                "%(title)s: owner %(owner)s, review on %(day)s.",
                title=policy.title,
                owner=policy.owner_email,
                day=day.isoformat(),
            ),
            "success",
        )
    return redirect(url_for("smattest.hr_audience", kinds="policies", slug=slug), 303)
