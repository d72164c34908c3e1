"""HR's person page: full history and status, exemptions, attestation on someone's behalf."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField

import smattest.exemptions as exemptions
import smattest.rule.compliance as compliance
import smattest.training as training

from ...attest import MAX_REASON, AttestationError, attest_on_behalf
from ...exemptions import ExemptionError
from ...i18n import gettext, lazy_gettext
from ...models import COURSE, Course, Exemption, Staff
from ...proxies import current_smattest
from ...reports.history import history_of
from ...rule.membership import split_groups
from ...timeutil import example_day, local_today
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import CSRFOnlyForm, Form, add_problem, problems_of, read_day, trim_oversized
from ..security import MAX_ID
from ..words import WORDS


class ExemptionForm(Form):
    """The requirements (one or more), reason and the last day covered (or no end date)."""

    requirement = SelectMultipleField(
        lazy_gettext("Exempt from"), validate_choice=False, id="smattest-requirement"
    )
    reason = TextAreaField(lazy_gettext("Reason"), id="smattest-reason")
    until = StringField(lazy_gettext("Last day covered"), id="smattest-until")
    open_ended = BooleanField(
        lazy_gettext("No end date: it lasts until HR ends it"), id="smattest-open-ended"
    )


class OnBehalfForm(Form):
    """The policy, the signature as on the paper form, and why HR records it."""

    policy = SelectField(lazy_gettext("Policy"), validate_choice=False, id="smattest-policy")
    signature = StringField(
        lazy_gettext("Signature, as on the paper form"), id="smattest-signature"
    )
    signed_on = StringField(lazy_gettext("Signed on paper on"), id="smattest-signed-on")
    reason = TextAreaField(lazy_gettext("Reason"), id="smattest-reason")


def _staff_or_404(staff_id: int) -> Staff:
    staff = current_smattest.db.session.get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


@blueprint.get("/hr/people/<int:staff_id>")
@hr_required
def hr_person(staff_id: int) -> ResponseReturnValue:
    """One person's details, status per requirement and everything recorded about them."""
    staff = _staff_or_404(staff_id)
    standings = compliance.person_standings(staff)
    session = current_smattest.db.session
    lockouts = {}
    for standing in standings:
        course = session.get(Course, standing.requirement.id)
        if standing.requirement.kind == COURSE and course is not None:
            lockouts[course.id] = training.lockout(staff, course)
    return render_template(
        "smattest/hr/person.html",
        staff=staff,
        history=history_of(staff),
        standings=standings,
        lockouts={k: v for k, v in lockouts.items() if v is not None},
        is_self=staff.external_id == actor(),
        **WORDS,
        split_groups=split_groups,
        is_active=exemptions.is_active,
        today=local_today(),
        end_form=CSRFOnlyForm(),
    )


@blueprint.route("/hr/people/<int:staff_id>/exemptions/new", methods=["GET", "POST"])
@hr_required
def hr_exemption_grant(staff_id: int) -> ResponseReturnValue:
    """The form to exempt a person from one or more requirements, and granting it."""
    staff = _staff_or_404(staff_id)
    form = ExemptionForm()
    form.requirement.choices = [
        (f"{r.kind}:{r.id}", f"{r.title} ({'policy' if r.kind == 'policy' else 'course'})")
        for r in compliance.requirements()
    ]
    if request.method == "GET":
        if len(form.requirement.choices) == 1:
            form.requirement.data = [form.requirement.choices[0][0]]
        return _render_exemption_form(staff, form)
    if not form.validate():
        return _render_exemption_form(staff, form, 400)
    name = staff.full_name
    # Every problem HR can fix at once, before asking the service (which checks again).
    chosen: list[tuple[str, int]] = []
    until = None
    try:
        chosen = [_requirement(value) for value in form.requirement.data or []]
        if not chosen:
            raise ExemptionError(
                gettext("Choose at least one policy or course to exempt them from.")
            )
    except ExemptionError as error:
        add_problem(form, "requirement", str(error))
    try:
        until = _until(form.until.data, form.open_ended.data)
    except ExemptionError as error:
        add_problem(form, "until", str(error))
    problem = exemptions.reason_problem(form.reason.data)
    if problem:
        add_problem(form, "reason", problem)
    if form.form_errors or any(f.errors for f in form):
        return _render_exemption_form(staff, form, 400)
    try:
        titles = [exemptions.requirement_title(kind, number) for kind, number in chosen]
        exemptions.grant_all(staff, chosen, form.reason.data or "", until, granted_by=actor())
    except ExemptionError as error:
        add_problem(form, error.field, str(error))
        return _render_exemption_form(staff, form, 400)
    # Committed: only what was read before the commit from here on.
    # "the A, the B and the C": the joins are words too (Spanish lists without the article).
    listed = gettext(" and the ").join(
        [gettext(", the ").join(titles[:-1]), titles[-1]] if titles[:-1] else titles
    )
    until_words = exemptions.describe_until(until)
    flash(gettext("%(name)s is exempt from the %(listed)s %(until)s.", name=name,
                  listed=listed, until=until_words), "success")  # fmt: skip
    return redirect(url_for("smattest.hr_person", staff_id=staff_id), 303)


def _render_exemption_form(
    staff: Staff, form: ExemptionForm, status: int = 200
) -> ResponseReturnValue:
    trim_oversized(form, reason=exemptions.MAX_REASON, until=40)
    return (
        render_template(
            "smattest/hr/exemption_form.html",
            staff=staff,
            form=form,
            problems=problems_of(form),
            example_day=example_day(),
        ),
        status,
    )


def _requirement(value: str | None) -> tuple[str, int]:
    kind, _, number = (value or "").partition(":")
    if kind not in ("policy", "course") or not number.isdigit() or int(number) > MAX_ID:
        raise ExemptionError(gettext("Choose the policy or course to exempt them from."))
    return kind, int(number)


def _until(value: str | None, open_ended: bool) -> dt.date | None:
    """The last day covered from the form: a date, or None when HR ticked 'No end date'."""
    value = (value or "").strip()
    if open_ended and value:
        raise ExemptionError(gettext("Give a last day or tick 'No end date', not both."))
    if open_ended:
        return None
    if not value:
        raise ExemptionError(
            gettext("Give the last day the exemption covers, or tick 'No end date'.")
        )
    try:
        return read_day(value, gettext("The last day covered"))
    except ValueError as error:
        raise ExemptionError(str(error)) from None


class EndExemptionForm(Form):
    """Why HR ends an exemption early, and that they mean it."""

    reason = TextAreaField(lazy_gettext("Why end it now"), id="smattest-end-reason")
    confirm = BooleanField(id="smattest-end-confirm")


@blueprint.route("/hr/exemptions/<int:exemption_id>/end", methods=["GET", "POST"])
@hr_required
def hr_exemption_end(exemption_id: int) -> ResponseReturnValue:
    """Ask why and for a confirmation, then end an active exemption now."""
    if exemption_id > MAX_ID:
        abort(404)
    exemption = exemptions.get_exemption(exemption_id)
    if exemption is None:
        abort(404)
    staff = _staff_or_404(exemption.staff_id)
    title = exemptions.requirement_title(exemption.requirement_kind, exemption.requirement_id)
    form = EndExemptionForm()
    if request.method == "GET":
        return _render_end_form(staff, exemption, title, form)
    if not form.validate():
        return _render_end_form(staff, exemption, title, form, 400)
    reason = (form.reason.data or "").strip()
    if not reason:
        add_problem(form, "reason", gettext("Say why the exemption ends now: it goes in HR's log."))
    elif len(reason) > exemptions.MAX_REASON:
        add_problem(
            form,
            "reason",
            gettext("Keep the reason to %(most)s characters at most.", most=exemptions.MAX_REASON),
        )
    if not form.confirm.data:
        add_problem(
            form,
            "confirm",
            gettext(
                "Tick the box to confirm %(name)s owes the %(title)s again.",
                name=staff.full_name,
                title=title,
            ),
        )
    if any(field.errors for field in form):
        return _render_end_form(staff, exemption, title, form, 400)
    try:
        exemptions.end(exemption, ended_by=actor(), reason=reason)
    except ExemptionError as error:
        add_problem(form, None, str(error))
        return _render_end_form(staff, exemption, title, form, 400)
    flash(
        gettext(
            "The exemption from the %(title)s has ended. %(outlook)s",
            title=title,
            outlook=exemptions.owed_once_ended(exemption),
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_person", staff_id=staff.id), 303)


def _render_end_form(
    staff: Staff, exemption: Exemption, title: str, form: EndExemptionForm, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "smattest/hr/exemption_end.html",
            staff=staff,
            exemption=exemption,
            title=title,
            form=form,
            problems=problems_of(form),
            active=(active := exemptions.is_active(exemption)),
            describe_until=exemptions.describe_until,
            owed=exemptions.owed_once_ended(exemption) if active else None,
        ),
        status,
    )


@blueprint.route("/hr/people/<int:staff_id>/attest", methods=["GET", "POST"])
@hr_required
def hr_attest_on_behalf(staff_id: int) -> ResponseReturnValue:
    """Record an attestation signed on paper, on the person's behalf."""
    staff = _staff_or_404(staff_id)
    form = OnBehalfForm()
    in_force = compliance.policy_requirements()
    form.policy.choices = [(r.slug, f"{r.title} (version {r.current_number})") for r in in_force]
    if request.method == "GET":
        form.signed_on.data = local_today().isoformat()
        return _render_attest_form(staff, form)
    if not form.validate():
        return _render_attest_form(staff, form, 400)
    name, staff_id = staff.full_name, staff.id
    try:
        # A form from before the field existed (no signed_on at all) means today; a
        # blank one is refused.
        sent = form.signed_on.data if "signed_on" in request.form else local_today().isoformat()
        signed_on = read_day(sent, gettext("The day on the paper"))
    except ValueError as error:
        add_problem(form, "signed_on", str(error))
        return _render_attest_form(staff, form, 400)
    try:
        recorded = attest_on_behalf(
            staff,
            form.policy.data or "",
            form.signature.data or "",
            form.reason.data or "",
            recorded_by=actor(),
            recorder_ip=request.remote_addr,
            signed_on=signed_on,
        )
    except AttestationError as error:
        for field, message in error.problems:
            add_problem(form, field, message)
        return _render_attest_form(staff, form, 400)
    # Committed: only what was read before the commit from here on.
    title, number = recorded.policy_title, recorded.version_number
    if recorded.created:
        flash(
            gettext(
                "Recorded %(name)s's signature on the %(title)s, version %(number)s, on their "
                "behalf.",
                name=name,
                title=title,
                number=number,
            ),
            "success",
        )
    else:
        flash(
            gettext(
                "%(name)s is already current on version %(number)s of the %(title)s; nothing "
                "new was recorded.",
                name=name,
                number=number,
                title=title,
            ),
            "info",
        )
    return redirect(url_for("smattest.hr_person", staff_id=staff_id), 303)


def _render_attest_form(staff: Staff, form: OnBehalfForm, status: int = 200) -> ResponseReturnValue:
    trim_oversized(form, reason=MAX_REASON, signature=200)
    return (
        render_template(
            "smattest/hr/attest_form.html",
            staff=staff,
            form=form,
            problems=problems_of(form),
            is_self=staff.external_id == actor(),
        ),
        status,
    )
