"""The forms of HR's policy authoring pages and how their problems are shown.

Shared by :mod:`.hr_drafts` (writing, preview, comparison) and
:mod:`.hr_policies` (the list, publishing, discarding).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

import smattest.drafts as drafts

from ...i18n import format_date, gettext, lazy_gettext
from ...models import PolicyDraft
from ...timeutil import example_day, parse_day
from ..forms import Form

#: The id of each field's input in the page, for the error summary's links.
FIELD_IDS = {
    "slug": "smattest-draft-slug",
    "title": "smattest-draft-title",
    "body": "smattest-draft-body",
    "summary": "smattest-draft-summary",
    "change": "smattest-draft-material",
    "effective_date": "smattest-draft-effective",
    "every_months": "smattest-publish-every-months",
    "comment": "smattest-approve-comment",
}


class DayField(DateField):
    """A day in any form every HR date field accepts (:func:`smattest.timeutil.parse_day`):
    the date input's ``2027-03-08``, or ``8 March 2027`` typed where it falls back to text."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = " ".join(str(v) for v in valuelist).strip()
        self.data = parse_day(text) if text else None
        if text and self.data is None:
            raise ValueError(gettext("Not a date this form can read."))


class DraftForm(Form):
    """A draft's fields. Only lengths are checked: a draft may be unfinished."""

    slug = StringField(lazy_gettext("Address"))
    title = StringField(lazy_gettext("Title"))
    body = TextAreaField(lazy_gettext("Policy text, in Markdown"))
    summary = TextAreaField(lazy_gettext("What this version is"))
    #: "material" or "minor"; the radio buttons are in the template.
    change = StringField(default="material")
    effective_date = DayField(
        lazy_gettext("Effective date"),
        validators=[Optional()],
    )
    revision = HiddenField()


class PublishForm(Form):
    """Publish the draft as it was previewed (``revision``)."""

    revision = HiddenField()
    every_months = IntegerField(
        lazy_gettext("Sign again every (months)"),
        default=12,
        validators=[
            Optional(),
            NumberRange(1, 120, lazy_gettext("Give a number of months from 1 to 120.")),
        ],
    )


class ApproveForm(Form):
    """Approve the draft as it was read (``revision``), with an optional comment."""

    revision = HiddenField()
    comment = TextAreaField(lazy_gettext("Comment (optional)"))


class DiscardForm(Form):
    """Discard the draft as it was seen (``revision``)."""

    revision = HiddenField()


def _expired(done: str) -> str:
    """The expired page's problem, for what was not done (saved, published, ...)."""
    if done == "published":
        return gettext("This page had expired. Nothing was published: please publish again.")
    if done == "approved":
        return gettext("This page had expired. Nothing was approved: please approve again.")
    if done == "discarded":
        return gettext("This page had expired. Nothing was discarded: please discard again.")
    return gettext("This page had expired. Nothing was saved: please save again.")


def form_problems(form: Form, done: str, again: str) -> list[tuple[str | None, str]]:
    """The form's errors as (input id or None, message), the expired page first."""
    problems: list[tuple[str | None, str]] = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            problems.insert(0, (None, _expired(done)))
        elif name == "effective_date":
            example = example_day()
            problems.append(
                (
                    FIELD_IDS[name],
                    gettext(
                        "Write the effective date like %(day)s or %(iso)s.",
                        day=format_date(example),
                        iso=example.isoformat(),
                    ),
                )
            )
        else:
            problems += [(FIELD_IDS.get(name), message) for message in errors]
    return problems


def draft_or_404(draft_id: int) -> PolicyDraft:
    draft = drafts.get_draft(draft_id)
    if draft is None:
        abort(404)
    return draft


def form_of(draft: PolicyDraft) -> DraftForm:
    """The form filled with the draft as the database holds it."""
    return DraftForm(
        formdata=None,
        slug=draft.slug,
        title=draft.title,
        body=draft.body_markdown,
        summary=draft.summary,
        change="material" if draft.requires_reattestation else "minor",
        effective_date=draft.effective_date,
        revision=drafts.revision(draft),
    )
