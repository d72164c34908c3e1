"""HR roster upload: preview what a CSV would change, then confirm.

The preview page carries the uploaded file to the confirm step in a hidden
field (compressed, base64, with its SHA-256), so nothing is stored between
the two requests. Confirming checks and plans the file again: if the plan is
not the one HR previewed (the staff list changed meanwhile), HR sees the new
preview instead of an import they did not agree to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired

import smattest.roster as roster

from ...i18n import gettext, lazy_gettext
from ...models import HREvent, Staff
from ...proxies import current_smattest
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import UPLOAD_LIMIT, Form, read_upload

#: The largest request body the upload and the confirmation read: the file, base64
#: and URL-encoded on the way back, with room to spare. Checked before reading.
BODY_LIMIT = 3 * UPLOAD_LIMIT
#: People listed per table in a preview; the counts are always complete.
PREVIEW_ROWS = 1000
#: Problems listed on a preview page; the rest are counted (a hostile file has millions).
PROBLEMS_SHOWN = 200
#: The roster's import events HR sees on the upload page.
RECENT_EVENTS = 5


class RosterUploadForm(Form):
    """The roster file and whether to leave out deactivations."""

    roster = FileField(
        lazy_gettext("Roster file (CSV, UTF-8)"),
        validators=[FileRequired(lazy_gettext("Choose the roster file (CSV) to upload."))],
    )
    partial = BooleanField(lazy_gettext("Partial: add and update only (nobody is deactivated)"))


class RosterConfirmForm(Form):
    """The previewed file, its SHA-256 and the plan HR agreed to."""

    roster = HiddenField(validators=[InputRequired()])
    sha256 = HiddenField(validators=[InputRequired()])
    plan = HiddenField(validators=[InputRequired()])
    partial = HiddenField()
    filename = HiddenField()


@blueprint.route("/hr/roster", methods=["GET", "POST"])
@hr_required
def hr_roster() -> ResponseReturnValue:
    """The upload form (GET); the preview of what the file would change (POST)."""
    form = RosterUploadForm()
    if request.method == "GET":
        return _upload_page(form)
    found = read_upload(
        form,
        form.roster,
        gettext(
            "split it and use a partial import for each part, or use 'flask smattest roster "
            "import' on the server."
        ),
    )
    if isinstance(found, int):
        return _upload_page(form, found)
    data, filename = found
    return _preview(data, partial=form.partial.data, filename=filename)


@blueprint.post("/hr/roster/confirm")
@hr_required
def hr_roster_confirm() -> ResponseReturnValue:
    """Apply the previewed file, if it still plans exactly what HR saw."""
    form = RosterConfirmForm()
    upload_form = RosterUploadForm(formdata=None)
    if not form.validate():
        upload_form.form_errors.append(
            "This confirmation has expired. Nothing was imported: please upload the file again."
        )
        return _upload_page(upload_form, 400)
    data = _unpack(form.roster.data or "")
    if data is None or hashlib.sha256(data).hexdigest() != form.sha256.data:
        upload_form.form_errors.append(
            "The previewed file did not come back intact. Nothing was imported: please upload "
            "the file again."
        )
        return _upload_page(upload_form, 400)
    partial = form.partial.data == "1"
    filename = form.filename.data or "upload.csv"
    try:
        plan = roster.plan_csv(data, partial=partial, source=filename)
    except roster.RosterError as error:
        return _render_preview(data, partial, filename, problems=error.problems, status=400)
    if plan.fingerprint() != form.plan.data:
        message = (
            "The staff list changed since your preview, so nothing was imported. This is what "
            "the file would change now: check it and confirm again."
        )
        return _render_preview(data, partial, filename, plan=plan, message=message, status=409)
    try:
        roster.apply(plan, actor=actor(), action="roster.import")
    except roster.RosterError as error:
        return _render_preview(data, partial, filename, problems=error.problems, status=409)
    counts = plan.counts
    flash(
        gettext(
            "Roster imported from %(file)s: %(new)s new, %(updated)s updated, %(deactivated)s "
            "deactivated, %(reactivated)s reactivated, %(unchanged)s unchanged.",
            file=filename,
            **counts,
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_roster"), 303)


def _preview(data: bytes, *, partial: bool, filename: str) -> ResponseReturnValue:
    try:
        plan = roster.plan_csv(data, partial=partial, source=filename)
    except roster.RosterError as error:
        return _render_preview(data, partial, filename, problems=error.problems, status=400)
    return _render_preview(data, partial, filename, plan=plan)


def _render_preview(
    data: bytes,
    partial: bool,
    filename: str,
    *,
    plan: roster.Plan | None = None,
    problems: Sequence[str] = (),
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    confirm = None
    if plan is not None and plan.changed:
        confirm = RosterConfirmForm(
            formdata=None,
            roster=_pack(data),
            sha256=hashlib.sha256(data).hexdigest(),
            plan=plan.fingerprint(),
            partial="1" if partial else "",
            filename=filename,
        )
    page = render_template(
        "smattest/hr/roster_preview.html",
        plan=plan,
        problems=problems,
        problems_shown=PROBLEMS_SHOWN,
        message=message,
        confirm=confirm,
        filename=filename,
        partial=partial,
        limit=PREVIEW_ROWS,
    )
    return page, status


def _upload_page(form: RosterUploadForm, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "smattest/hr/roster.html",
            form=form,
            columns=roster.COLUMNS,
            required=roster.REQUIRED,
            limit_mb=UPLOAD_LIMIT // (1024 * 1024),
            events=_recent_events(),
        ),
        status,
    )


def _recent_events() -> list[tuple[HREvent, str | None, dict[str, Any]]]:
    """The last roster imports, each with the name of who did it when on the staff list."""
    rows = current_smattest.db.session.execute(
        sa.select(HREvent, Staff.full_name)
        .outerjoin(Staff, Staff.external_id == HREvent.actor)
        .where(HREvent.action.in_(["roster.import", "roster.sync"]))
        .order_by(HREvent.at.desc(), HREvent.id.desc())
        .limit(RECENT_EVENTS)
    )
    return [(event, name, _counts(event.detail)) for event, name in rows]


def _counts(detail: str) -> dict[str, Any]:
    try:
        counts = json.loads(detail)
    except ValueError:
        return {}
    return counts if isinstance(counts, dict) else {}


def _pack(data: bytes) -> str:
    """The file as one line of ASCII: newlines in a form field do not survive browsers."""
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def _unpack(packed: str) -> bytes | None:
    """The file back, or None when it is damaged or bigger than any upload could be."""
    try:
        compressed = base64.b64decode(packed.encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(compressed, UPLOAD_LIMIT + 1)
    except (ValueError, binascii.Error, zlib.error):
        return None
    if len(data) > UPLOAD_LIMIT or inflater.unconsumed_tail or not inflater.eof:
        return None
    return data


hr_roster.smattest_body_limit = BODY_LIMIT  # type: ignore[attr-defined]
hr_roster_confirm.smattest_body_limit = BODY_LIMIT  # type: ignore[attr-defined]
