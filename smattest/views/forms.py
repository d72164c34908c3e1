"""Forms (Flask-WTF, so every POST carries a CSRF token), and their problems as pages show them."""

from __future__ import annotations

import datetime as dt
import functools
import gettext as stdlib_gettext
import secrets
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, StringField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, InputRequired, Length

from ..i18n import current_locale, enabled, format_date, gettext, lazy_gettext
from ..timeutil import example_day, parse_day

#: One problem with a submitted form: the id of the field it is about (None
#: for the form as a whole) and the message, as the error summary lists it.
Problem = tuple[str | None, str]


@functools.cache
def _wtforms_catalog(locale: str) -> stdlib_gettext.NullTranslations:
    return stdlib_gettext.translation(
        "wtforms", messages_path(), languages=[locale, locale.split("_")[0]], fallback=True
    )


class Form(FlaskForm):
    """A smattest form: WTForms' own messages (a required field left empty, a number or
    a date it cannot read, a choice not offered) in smattest's language, from the catalogs
    WTForms ships, whether or not the host set up Flask-Babel (Flask-WTF's own
    translations follow the host's Flask-Babel only)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if not enabled():
                return None
            return _wtforms_catalog(current_locale())


#: The form had no valid CSRF token (expired session, a second tab, a stale page).
EXPIRED = lazy_gettext("This form has expired. Nothing was recorded: please fill it in again.")


class AttestForm(Form):
    """The statement, the tick box and the typed signature."""

    version = HiddenField(validators=[InputRequired()])
    #: The language of the text shown and its SHA-256: the signature is bound to them.
    language = HiddenField()
    text_sha256 = HiddenField()
    #: A fresh token each time the form is shown: the same form sent twice (a double
    #: click, a retried POST) records one signature (see :func:`smattest.attest.attest`).
    submission = HiddenField(default=lambda: secrets.token_urlsafe(16))
    agree = BooleanField(
        id="smattest-agree",
        validators=[
            DataRequired(
                lazy_gettext("Tick the box to confirm you have read and understood the policy.")
            )
        ],
    )
    signature = StringField(
        lazy_gettext("Type your full name to sign"),
        id="smattest-signature",
        validators=[
            DataRequired(lazy_gettext("Type your full name to sign.")),
            Length(max=200, message=lazy_gettext("A name is at most 200 characters.")),
        ],
    )


#: What a page shown again shows of a field over its limit: enough to recognise it.
EXCERPT = 100


def trim_oversized(form: FlaskForm, **limits: int) -> None:
    """Before showing ``form`` again: a field longer than its limit keeps only its start.

    A 5 MB title refused for its length is not echoed back whole (a 15 MB
    page); the message already says how long it was and what fits.
    """
    for name, limit in limits.items():
        field = form[name]
        if isinstance(field.data, str) and len(field.data) > limit:
            field.data = field.data[:EXCERPT] + "…"
            field.raw_data = [field.data]


class CSRFOnlyForm(Form):
    """A form whose fields are built in the template (the quiz, start buttons)."""


def add_problem(form: FlaskForm, field: str | None, message: str) -> None:
    """Attach ``message`` to ``form``'s field named ``field`` (None: the whole form)."""
    if field is None:
        form.form_errors.append(message)
    else:
        errors = form[field].errors
        form[field].errors = [*errors, message]


def problems_of(form: FlaskForm, expired: str = EXPIRED) -> list[Problem]:
    """Every problem of a submitted form, form-wide ones first, then each field's in order.

    A missing or stale CSRF token becomes one form-wide ``expired`` message:
    the person cannot fix a hidden field.
    """
    problems: list[Problem] = [(None, message) for message in form.form_errors]
    for field in form:
        if field.type == "CSRFTokenField":
            if field.errors:
                problems.insert(0, (None, str(expired)))
            continue
        if field.type == "HiddenField":
            problems += [(None, message) for message in field.errors]
            continue
        problems += [(field.id, message) for message in field.errors]
    return problems


#: The largest file an upload page accepts (a roster of about 50,000 people).
UPLOAD_LIMIT = 5 * 1024 * 1024


def read_upload(form: FlaskForm, field: FileField, too_large: str) -> tuple[bytes, str] | int:
    """An upload form's file: its bytes and name (at most 100 characters).

    Or, when there is none to read, the HTTP status to answer with, the reason
    added to the form's errors: 400 when the form does not validate (an expired
    form says so), 413 when the file is over :data:`UPLOAD_LIMIT`, then
    ``too_large`` says what to do instead. Nothing is recorded either way.
    """
    if not form.validate():
        if "csrf_token" in form.errors:
            form.form_errors.append(gettext("This form has expired: please choose the file again."))
        return 400
    upload = field.data
    data = upload.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        form.form_errors.append(
            gettext(
                "The file is larger than %(size)s MB. Nothing was imported: %(instead)s",
                size=UPLOAD_LIMIT // (1024 * 1024),
                instead=too_large,
            )
        )
        return 413
    return data, (upload.filename or "upload.csv")[-100:]


def read_day(value: str | None, what: str) -> dt.date:
    """A day HR typed in any form :func:`smattest.timeutil.parse_day` reads, or
    ``ValueError`` naming ``what`` (translated by the caller) with an example in the
    future, written for the reader's language."""
    text = (value or "").strip()
    example = example_day()
    like = gettext("%(day)s or %(iso)s", day=format_date(example), iso=example.isoformat())
    if not text:
        raise ValueError(gettext("%(what)s is missing: write it like %(like)s.", what=what,
                                 like=like))  # fmt: skip
    day = parse_day(text)
    if day is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(gettext(
            "%(what)s: %(shown)s is not a date this form can read: write it like %(like)s.",
            what=what, shown=repr(shown), like=like))  # fmt: skip
    return day
