"""HR's identity pages: refused sign-ins to link, people without a name, linking a new id."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import StringField, TextAreaField

import smattest.evidence.relink as relink
import smattest.people.identity as identity

from ...i18n import gettext, lazy_gettext
from ...models import Staff
from ...proxies import current_smattest
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import Form

EXPIRED = lazy_gettext("This form has expired. Nothing was changed: please fill it in again.")


class RelinkForm(Form):
    """The person's new id and why it changed."""

    new_id = StringField(lazy_gettext("New id"))
    reason = TextAreaField(lazy_gettext("Reason"))


@blueprint.get("/hr/identity")
@hr_required
def hr_identity() -> ResponseReturnValue:
    """Sign-ins refused because their email is someone else's id, and people without a name."""
    return render_template(
        "smattest/hr/identity.html",
        unlinked=identity.unlinked_sign_ins(),
        nameless=identity.nameless_people(),
    )


@blueprint.route("/hr/people/<int:staff_id>/relink", methods=["GET", "POST"])
@hr_required
def hr_relink(staff_id: int) -> ResponseReturnValue:
    """Link a person's record to the new id they sign in with; their evidence stays theirs."""
    staff = current_smattest.db.session.get(Staff, staff_id)
    if staff is None:
        abort(404)
    form = RelinkForm()
    if request.method == "GET":
        form.new_id.data = request.args.get("new_id", "")
        return _render(staff, form)
    if not form.validate():
        form.form_errors.append(EXPIRED)
        return _render(staff, form, 400)
    old_id = staff.external_id
    try:
        relink.relink(
            [relink.Change(old_id, (form.new_id.data or "").strip())],
            form.reason.data or "",
            recorded_by=actor(),
        )
    except relink.RelinkError as error:
        form.form_errors.extend(error.problems)
        return _render(staff, form, 400)
    flash(
        gettext(
            "%(name)s's record is now linked to the id %(new)s (it was %(old)s); all their "
            "evidence stays on it.",
            name=staff.full_name,
            new=staff.external_id,
            old=old_id,
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_person", staff_id=staff.id), 303)


def _render(staff: Staff, form: RelinkForm, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "smattest/hr/relink_form.html",
            staff=staff,
            form=form,
            waiting=identity.unlinked_sign_ins(staff.id),
        ),
        status,
    )
