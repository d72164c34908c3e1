"""HR's person page: full history and status, exemptions, attestation on someone's behalf."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from .. import compliance, exemptions
from ..attest import MAX_REASON, AttestationError, attest_on_behalf
from ..exemptions import ExemptionError
from ..history import history_of
from ..membership import split_groups
from ..models import Staff
from ..proxies import current_smattest
from ..timeutil import local_today
from .access import hr_required
from .base import actor, blueprint
from .forms import CSRFOnlyForm, trim_oversized
from .security import MAX_ID

EXPIRED = "This form has expired. Nothing was recorded: please fill it in again."


class ExemptionForm(FlaskForm):
    """Requirement, reason and the last day covered (or no end date)."""

    requirement = SelectField("Requirement", validate_choice=False)
    reason = TextAreaField("Reason")
    until = StringField("Last day covered")
    open_ended = BooleanField("No end date: it lasts until HR ends it")


class OnBehalfForm(FlaskForm):
    """The policy, the signature as on the paper form, and why HR records it."""

    policy = SelectField("Policy", validate_choice=False)
    signature = StringField("Signature, as on the paper form")
    reason = TextAreaField("Reason")


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
    return render_template(
        "smattest/hr/person.html",
        staff=staff,
        history=history_of(staff),
        standings=compliance.standing_of(staff),
        split_groups=split_groups,
        is_active=exemptions.is_active,
        today=local_today(),
        end_form=CSRFOnlyForm(),
    )


@blueprint.route("/hr/people/<int:staff_id>/exemptions/new", methods=["GET", "POST"])
@hr_required
def hr_exemption_grant(staff_id: int) -> ResponseReturnValue:
    """The form to exempt a person from one requirement, and granting it."""
    staff = _staff_or_404(staff_id)
    form = ExemptionForm()
    form.requirement.choices = [
        (f"{r.kind}:{r.id}", f"{r.title} ({'policy' if r.kind == 'policy' else 'course'})")
        for r in compliance.requirements()
    ]
    if request.method == "GET":
        return _render_exemption_form(staff, form)
    if not form.validate():
        form.form_errors.append(EXPIRED)
        return _render_exemption_form(staff, form, 400)
    name = staff.full_name
    try:
        kind, requirement_id = _requirement(form.requirement.data)
        until = _until(form.until.data, form.open_ended.data)
        title = exemptions.requirement_title(kind, requirement_id)
        exemptions.grant(
            staff, kind, requirement_id, form.reason.data or "", until, granted_by=actor()
        )
    except ExemptionError as error:
        form.form_errors.append(str(error))
        return _render_exemption_form(staff, form, 400)
    # Committed: only what was read before the commit from here on.
    flash(f"{name} is exempt from the {title} {exemptions.describe_until(until)}.", "success")
    return redirect(url_for("smattest.hr_person", staff_id=staff_id), 303)


def _render_exemption_form(
    staff: Staff, form: ExemptionForm, status: int = 200
) -> ResponseReturnValue:
    trim_oversized(form, reason=exemptions.MAX_REASON, until=40)
    return render_template("smattest/hr/exemption_form.html", staff=staff, form=form), status


def _requirement(value: str | None) -> tuple[str, int]:
    kind, _, number = (value or "").partition(":")
    if kind not in ("policy", "course") or not number.isdigit() or int(number) > MAX_ID:
        raise ExemptionError("Choose the policy or course to exempt them from.")
    return kind, int(number)


def _until(value: str | None, open_ended: bool) -> dt.date | None:
    """The last day covered from the form: a date, or None when HR ticked 'No end date'."""
    value = (value or "").strip()
    if open_ended and value:
        raise ExemptionError("Give a last day or tick 'No end date', not both.")
    if open_ended:
        return None
    if not value:
        raise ExemptionError("Give the last day the exemption covers, or tick 'No end date'.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ExemptionError(
            f"{shown!r} is not a date: give the last day as YYYY-MM-DD, e.g. 2026-06-30."
        ) from None


@blueprint.post("/hr/exemptions/<int:exemption_id>/end")
@hr_required
def hr_exemption_end(exemption_id: int) -> ResponseReturnValue:
    """End an active exemption now, then back to the person's page."""
    exemption = exemptions.get_exemption(exemption_id)
    if exemption is None:
        abort(404)
    staff_id = exemption.staff_id
    if not CSRFOnlyForm().validate():
        flash("This form has expired. Nothing was changed: please try again.", "error")
    else:
        try:
            exemptions.end(exemption, ended_by=actor())
        except ExemptionError as error:
            flash(str(error), "error")
        else:
            title = exemptions.requirement_title(
                exemption.requirement_kind, exemption.requirement_id
            )
            flash(f"The exemption from the {title} has ended; it is owed again.", "success")
    return redirect(url_for("smattest.hr_person", staff_id=staff_id), 303)


@blueprint.route("/hr/people/<int:staff_id>/attest", methods=["GET", "POST"])
@hr_required
def hr_attest_on_behalf(staff_id: int) -> ResponseReturnValue:
    """Record an attestation signed on paper, on the person's behalf."""
    staff = _staff_or_404(staff_id)
    form = OnBehalfForm()
    in_force = compliance.policy_requirements()
    form.policy.choices = [(r.slug, f"{r.title} (version {r.current_number})") for r in in_force]
    if request.method == "GET":
        return _render_attest_form(staff, form)
    if not form.validate():
        form.form_errors.append(EXPIRED)
        return _render_attest_form(staff, form, 400)
    name, staff_id = staff.full_name, staff.id
    try:
        recorded = attest_on_behalf(
            staff,
            form.policy.data or "",
            form.signature.data or "",
            form.reason.data or "",
            recorded_by=actor(),
            recorder_ip=request.remote_addr,
        )
    except AttestationError as error:
        form.form_errors.append(str(error))
        return _render_attest_form(staff, form, 400)
    # Committed: only what was read before the commit from here on.
    title, number = recorded.policy_title, recorded.version_number
    if recorded.created:
        flash(
            f"Recorded {name}'s signature on the {title}, version {number}, on their behalf.",
            "success",
        )
    else:
        flash(
            f"{name} is already current on version {number} of the {title}; "
            "nothing new was recorded.",
            "info",
        )
    return redirect(url_for("smattest.hr_person", staff_id=staff_id), 303)


def _render_attest_form(staff: Staff, form: OnBehalfForm, status: int = 200) -> ResponseReturnValue:
    trim_oversized(form, reason=MAX_REASON, signature=200)
    return render_template("smattest/hr/attest_form.html", staff=staff, form=form), status
