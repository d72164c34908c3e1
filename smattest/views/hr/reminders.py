"""HR's view of the outbox: what is stuck, what failed, and every mail sent, by kind, paged."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired

import smattest.reminders.log as mail_log

from ...i18n import gettext, lazy_gettext
from ...reminders import ReminderError
from ...reminders.hr import ACTIONS, BULK, overview, resolve_all, resolve_stuck, stage_label
from ...reports.people_table import MAX_PAGE
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import Form

#: The form had no valid CSRF token.
EXPIRED = lazy_gettext("This form has expired. Nothing was changed: please try again.")


class StuckRowForm(Form):
    """HR's decision on one stuck row: which button was pressed (and the CSRF token)."""

    action = StringField(
        validators=[AnyOf(list(ACTIONS), message=lazy_gettext("Choose one of the two buttons."))]
    )


class BulkForm(Form):
    """HR's one decision on a whole group, confirmed once with the number HR saw."""

    group = StringField(
        validators=[AnyOf(["stuck", "given_up"], message=lazy_gettext("Choose a list."))]
    )
    action = StringField()
    expected = IntegerField(
        validators=[InputRequired(lazy_gettext("The form did not say how many rows."))]
    )
    confirm = BooleanField(
        validators=[
            DataRequired(lazy_gettext("Tick the box to confirm the decision for every row listed."))
        ]
    )


def _page(form: StuckRowForm | BulkForm, status: int = 200) -> ResponseReturnValue:
    problem = None
    kind, page = None, 1
    try:
        kind = mail_log.parse_kind(request.args.get("kind"))
        raw_page = request.args.get("page", "1").strip() or "1"
        if not raw_page.isdecimal() or not 1 <= int(raw_page) <= MAX_PAGE:
            raise mail_log.LogError(
                gettext(
                    "Page %(page)s is not a page number: use a whole number from 1.",
                    page=repr(raw_page),
                )
            )
        page = int(raw_page)
    except mail_log.LogError as error:
        problem, status = str(error), 400
    return (
        render_template(
            "smattest/hr/reminders.html",
            outbox=overview(),
            form=form,
            actions=ACTIONS,
            bulk=BULK,
            stage_label=stage_label,
            log=mail_log.sent_mails(kind, page, current_app.config["SMATTEST_PAGE_SIZE"]),
            kinds=mail_log.KINDS,
            log_problem=problem,
        ),
        status,
    )


@blueprint.get("/hr/reminders")
@hr_required
def hr_reminders() -> ResponseReturnValue:
    """Stuck rows (with HR's two choices), given-up rows, retries, and recent mails."""
    return _page(StuckRowForm())


@blueprint.post("/hr/reminders/<any(reminder, summary):kind>/<int:row_id>/resolve")
@hr_required
def hr_reminder_resolve(kind: str, row_id: int) -> ResponseReturnValue:
    """Mark a stuck row as sent, or release it to be sent by the next run."""
    form = StuckRowForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            form.form_errors.append(EXPIRED)
        return _page(form, 400)
    try:
        done = resolve_stuck(kind, row_id, form.action.data or "", actor())
    except ReminderError as error:
        form.form_errors.append(str(error))
        return _page(form, 409)
    flash(done, "success")
    return redirect(url_for("smattest.hr_reminders"), 303)


@blueprint.post("/hr/reminders/bulk")
@hr_required
def hr_reminder_bulk() -> ResponseReturnValue:
    """Release or mark every stuck (or given-up) reminder at once: one confirmation, recorded."""
    form = BulkForm()
    if not form.validate():
        if "csrf_token" in form.errors:
            form.form_errors.append(EXPIRED)
        for errors in form.errors.values():
            form.form_errors.extend(e for e in errors if e not in form.form_errors)
        return _page(form, 400)
    try:
        done = resolve_all(
            form.group.data or "",
            form.action.data or "",
            form.expected.data or 0,
            actor(),
        )
    except ReminderError as error:
        form.form_errors.append(str(error))
        return _page(form, 409)
    flash(done, "success")
    return redirect(url_for("smattest.hr_reminders"), 303)
