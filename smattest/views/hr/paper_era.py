"""HR's import of the paper era: upload a CSV of past evidence, preview it, confirm.

As on the roster page, the preview carries the file to the confirm step in a
hidden field (compressed, base64, with its SHA-256), so nothing is stored
between the two requests, and confirming checks the whole file again.
"""

from __future__ import annotations

import hashlib

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired

import smattest.evidence.paper_era as paper_era

from ...i18n import gettext, lazy_gettext
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import UPLOAD_LIMIT, Form, read_upload
from .roster import BODY_LIMIT, _pack, _unpack

#: Rows listed in a preview; the counts are always complete.
PREVIEW_ROWS = 50


class PaperEraUploadForm(Form):
    """The file of past evidence."""

    evidence = FileField(
        lazy_gettext("Past evidence (CSV, UTF-8)"),
        validators=[
            FileRequired(lazy_gettext("Choose the file (CSV) of past evidence to upload."))
        ],
    )


class PaperEraConfirmForm(Form):
    """The previewed file and its SHA-256."""

    evidence = HiddenField(validators=[InputRequired()])
    sha256 = HiddenField(validators=[InputRequired()])
    filename = HiddenField()


@blueprint.route("/hr/evidence/import", methods=["GET", "POST"])
@hr_required
def hr_paper_era() -> ResponseReturnValue:
    """The upload form (GET); the preview of what the file would import (POST)."""
    form = PaperEraUploadForm()
    if request.method == "GET":
        return _upload_page(form)
    found = read_upload(
        form,
        form.evidence,
        gettext("split it, or use 'flask smattest evidence import' on the server."),
    )
    if isinstance(found, int):
        return _upload_page(form, found)
    data, filename = found
    return _preview(data, filename)


@blueprint.post("/hr/evidence/import/confirm")
@hr_required
def hr_paper_era_confirm() -> ResponseReturnValue:
    """Import the previewed file, whole, after checking every line again."""
    form = PaperEraConfirmForm()
    upload_form = PaperEraUploadForm(formdata=None)
    data = _unpack(form.evidence.data or "") if form.validate() else None
    if data is None or hashlib.sha256(data).hexdigest() != form.sha256.data:
        upload_form.form_errors.append(
            "This confirmation has expired or the file did not come back intact. Nothing was "
            "imported: please upload the file again."
        )
        return _upload_page(upload_form, 400)
    filename = form.filename.data or "upload.csv"
    try:
        plan = paper_era.apply(data, actor=actor(), filename=filename)
    except paper_era.PaperEraError as error:
        return _render_preview(data, filename, problems=error.problems, status=409)
    flash(
        gettext(
            "Imported from %(file)s: %(attestations)s attestations and %(completions)s "
            "training completions, in the evidence chain with method 'import'.",
            file=filename,
            attestations=plan.attestations,
            completions=plan.completions,
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_paper_era"), 303)


def _preview(data: bytes, filename: str) -> ResponseReturnValue:
    try:
        plan = paper_era.plan_csv(data, actor=actor())
    except paper_era.PaperEraError as error:
        return _render_preview(data, filename, problems=error.problems, status=400)
    return _render_preview(data, filename, plan=plan)


def _render_preview(
    data: bytes,
    filename: str,
    *,
    plan: paper_era.Plan | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    confirm = None
    if plan is not None:
        confirm = PaperEraConfirmForm(
            formdata=None,
            evidence=_pack(data),
            sha256=hashlib.sha256(data).hexdigest(),
            filename=filename,
        )
    page = render_template(
        "smattest/hr/paper_era_preview.html",
        plan=plan,
        problems=problems or [],
        confirm=confirm,
        filename=filename,
        limit=PREVIEW_ROWS,
    )
    return page, status


def _upload_page(form: PaperEraUploadForm, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "smattest/hr/paper_era.html",
        form=form,
        columns=paper_era.COLUMNS,
        limit_mb=UPLOAD_LIMIT // (1024 * 1024),
    )
    return page, status


# The upload page promises UPLOAD_LIMIT (5 MB), and the confirmation carries the file back:
# both read bodies over Flask's default form cap (500 kB).
hr_paper_era.smattest_body_limit = BODY_LIMIT  # type: ignore[attr-defined]
hr_paper_era_confirm.smattest_body_limit = BODY_LIMIT  # type: ignore[attr-defined]
