"""HR policy authoring: drafts, preview, diff against the current version, publish.

Thin views over :mod:`smattest.drafts`. There is no route that changes a
published version: HR writes a draft, and publishing it adds a new version.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from .. import drafts, markdown
from ..diff import compare
from ..models import Policy
from ..policies import PolicyError, get_policy, latest_version, text_sha256, version_in_force
from ..proxies import current_smattest
from ..timeutil import local_today
from .access import hr_required
from .base import blueprint

#: The id of each field's input in the page, for the error summary's links.
FIELD_IDS = {
    "slug": "smattest-draft-slug",
    "title": "smattest-draft-title",
    "body": "smattest-draft-body",
    "summary": "smattest-draft-summary",
    "change": "smattest-draft-material",
    "effective_date": "smattest-draft-effective",
    "every_months": "smattest-publish-every-months",
}
EXPIRED = "This page had expired. Nothing was {done}: please {again}."


class DraftForm(FlaskForm):
    """A draft's fields. Only lengths are checked: a draft may be unfinished."""

    slug = StringField("Address")
    title = StringField("Title")
    body = TextAreaField("Policy text, in Markdown")
    summary = TextAreaField("What this version is")
    #: "material" or "minor"; the radio buttons are in the template.
    change = StringField(default="material")
    effective_date = DateField("Effective date", validators=[Optional()], format="%Y-%m-%d")
    revision = HiddenField()


class PublishForm(FlaskForm):
    """Publish the draft as it was previewed (``revision``)."""

    revision = HiddenField()
    every_months = IntegerField(
        "Sign again every (months)",
        default=12,
        validators=[Optional(), NumberRange(1, 120, "Give a number of months from 1 to 120.")],
    )


class DiscardForm(FlaskForm):
    """Discard the draft as it was seen (``revision``)."""

    revision = HiddenField()


def _actor() -> str:
    return str(current_user.get_id())


def _problems(form, done: str, again: str) -> list[tuple[str | None, str]]:
    """The form's errors as (input id or None, message), the expired page first."""
    problems: list[tuple[str | None, str]] = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            problems.insert(0, (None, EXPIRED.format(done=done, again=again)))
        elif name == "effective_date":
            problems.append(
                (FIELD_IDS[name], "Enter the effective date as a date, e.g. 2026-04-01.")
            )
        else:
            problems += [(FIELD_IDS.get(name), message) for message in errors]
    return problems


def _draft_or_404(draft_id: int):
    draft = drafts.get_draft(draft_id)
    if draft is None:
        abort(404)
    return draft


# -- the list of policies ---------------------------------------------------------------


@blueprint.get("/hr/policies")
@hr_required
def hr_policies():
    """Every policy with its versions and open draft; the ways to start a new one."""
    return _render_policies()


def _render_policies(problems=(), status: int = 200):
    session = current_smattest.db.session
    policies = session.scalars(
        sa.select(Policy).options(selectinload(Policy.versions)).order_by(Policy.title)
    ).all()
    by_policy, new = drafts.open_drafts()
    people = [v.published_by for p in policies for v in p.versions]
    people += [d.updated_by or d.created_by for d in [*by_policy.values(), *new]]
    return (
        render_template(
            "smattest/hr/policies.html",
            policies=policies,
            in_force={p.id: version_in_force(p) for p in policies},
            drafts_by_policy=by_policy,
            new_drafts=new,
            names=drafts.names_of(people),
            today=local_today(),
            problems=problems,
        ),
        status,
    )


# -- writing a draft ----------------------------------------------------------------------


def _render_edit(
    form,
    *,
    draft=None,
    policy=None,
    problems=(),
    theirs=None,
    gone=False,
    problems_heading="Nothing was saved",
    status=200,
):
    """The draft form: a new draft (``draft`` None) or an open one.

    ``theirs`` is the draft someone else saved first (a conflict); ``gone`` says
    the draft was published or discarded while this person was editing it.
    """
    if draft is not None:
        policy = draft.policy
    base = latest_version(policy) if policy is not None else None
    comparison = None
    if theirs is not None:
        comparison = compare(
            drafts.publishable_text(theirs.body_markdown),
            drafts.publishable_text(form.body.data or ""),
        )
    return (
        render_template(
            "smattest/hr/draft_edit.html",
            form=form,
            draft=draft,
            policy=policy,
            base=base,
            number=base.number + 1 if base else 1,
            problems=list(problems),
            theirs=theirs,
            gone=gone,
            comparison=comparison,
            discard_form=DiscardForm(formdata=None, revision=drafts.revision(draft))
            if draft
            else None,
            problems_heading=problems_heading,
            max_text_bytes=drafts.MAX_TEXT_BYTES,
        ),
        status,
    )


def _length_problems(form, *, new_policy: bool) -> list[tuple[str | None, str]]:
    found = drafts.length_problems(
        body=form.body.data or "",
        summary=form.summary.data or "",
        slug=(form.slug.data or "") if new_policy else None,
        title=(form.title.data or "") if new_policy else None,
    )
    return [(FIELD_IDS[name], message) for name, message in found]


def _fields(form, *, new_policy: bool) -> dict:
    fields = {
        "body": form.body.data or "",
        "summary": form.summary.data or "",
        "requires_reattestation": form.change.data != "minor",
        "effective_date": form.effective_date.data,
        "actor": _actor(),
    }
    if new_policy:
        fields.update(slug=form.slug.data or "", title=form.title.data or "")
    return fields


def _after_save(draft):
    flash("Draft saved. Nothing is published until you publish it.", "success")
    if request.form.get("next") == "preview":
        return redirect(url_for("smattest.hr_draft_preview", draft_id=draft.id), 303)
    return redirect(url_for("smattest.hr_draft_edit", draft_id=draft.id), 303)


@blueprint.route("/hr/drafts/new", methods=["GET", "POST"])
@hr_required
def hr_draft_new():
    """Start a draft: ``?policy=<slug>`` for a policy's next version, else a new policy."""
    policy = None
    if request.args.get("policy"):
        policy = get_policy(request.args["policy"])
        if policy is None:
            abort(404)
        existing = drafts.open_draft(policy)
        if existing is not None and request.method == "GET":
            flash("A draft of the next version is already open: continue here.", "info")
            return redirect(url_for("smattest.hr_draft_edit", draft_id=existing.id))
    if request.method == "GET":
        base = latest_version(policy) if policy is not None else None
        form = DraftForm(body=base.body_markdown if base else "")
        return _render_edit(form, policy=policy)

    form = DraftForm()
    new_policy = policy is None
    problems = [] if form.validate() else _problems(form, "saved", "save again")
    problems += _length_problems(form, new_policy=new_policy)
    if problems:
        return _render_edit(form, policy=policy, problems=problems, status=400)
    try:
        draft = drafts.start_draft(policy, **_fields(form, new_policy=new_policy))
    except drafts.DraftConflict as conflict:
        problems = [(None, str(conflict))]
        return _render_edit(
            form, policy=policy, problems=problems, theirs=conflict.draft, status=409
        )
    except drafts.DraftError as error:
        return _render_edit(form, policy=policy, problems=[(None, str(error))], status=400)
    return _after_save(draft)


@blueprint.route("/hr/drafts/<int:draft_id>", methods=["GET", "POST"])
@hr_required
def hr_draft_edit(draft_id: int):
    """Edit an open draft; a save someone else's overtook is refused, the text kept."""
    if request.method == "GET":
        draft = _draft_or_404(draft_id)
        return _render_edit(_form_of(draft), draft=draft)

    form = DraftForm()
    draft = drafts.get_draft(draft_id)
    new_policy = draft is not None and draft.policy_id is None
    problems = [] if form.validate() else _problems(form, "saved", "save again")
    problems += _length_problems(form, new_policy=new_policy)
    if problems and draft is not None:
        return _render_edit(form, draft=draft, problems=problems, status=400)
    try:
        saved = drafts.save_draft(
            draft_id, form.revision.data or "", **_fields(form, new_policy=new_policy)
        )
    except drafts.DraftConflict as conflict:
        theirs = conflict.draft
        if theirs is None:
            return _render_edit(form, problems=[(None, str(conflict))], gone=True, status=409)
        # Saving again now replaces their version with this one, knowingly.
        form.revision.data = drafts.revision(theirs)
        return _render_edit(
            form, draft=theirs, problems=[(None, str(conflict))], theirs=theirs, status=409
        )
    except drafts.DraftError as error:
        return _render_edit(form, draft=draft, problems=[(None, str(error))], status=400)
    return _after_save(saved)


# -- reading a draft as employees will --------------------------------------------------


def _render_preview(draft, form=None, problems=(), status=200):
    text = drafts.publishable_text(draft.body_markdown)
    # formdata=None: after a refused POST, the new revision, not the one posted.
    form = form or PublishForm(formdata=None, revision=drafts.revision(draft))
    return (
        render_template(
            "smattest/hr/draft_preview.html",
            draft=draft,
            title=drafts.draft_title(draft),
            number=drafts.next_number(draft),
            base=drafts.base_version(draft),
            body_html=markdown.render(text),
            sha256=text_sha256(text),
            form=form,
            problems=list(problems),
            today=local_today(),
        ),
        status,
    )


@blueprint.get("/hr/drafts/<int:draft_id>/preview")
@hr_required
def hr_draft_preview(draft_id: int):
    """The draft rendered exactly as employees will read it, and the publish button."""
    return _render_preview(_draft_or_404(draft_id))


@blueprint.get("/hr/drafts/<int:draft_id>/diff")
@hr_required
def hr_draft_diff(draft_id: int):
    """What the draft changes, against the newest version (or ``?from=<number>``)."""
    draft = _draft_or_404(draft_id)
    versions = draft.policy.versions if draft.policy else []
    old = None
    if versions:
        wanted = request.args.get("from", default=versions[-1].number, type=int)
        old = next((v for v in versions if v.number == wanted), None)
        if old is None:
            abort(404)
    comparison = None
    if old is not None:
        comparison = compare(old.body_markdown, drafts.publishable_text(draft.body_markdown))
    return render_template(
        "smattest/hr/draft_diff.html",
        draft=draft,
        title=drafts.draft_title(draft),
        number=drafts.next_number(draft),
        versions=versions,
        old=old,
        in_force=version_in_force(draft.policy) if draft.policy else None,
        comparison=comparison,
    )


# -- publishing or discarding -------------------------------------------------------------


@blueprint.post("/hr/drafts/<int:draft_id>/publish")
@hr_required
def hr_draft_publish(draft_id: int):
    """Publish the draft as previewed; on any problem, nothing is published."""
    form = PublishForm()
    draft = drafts.get_draft(draft_id)
    if draft is None:
        problem = "This draft was published or discarded by someone else. Nothing was published."
        return _render_policies([(None, problem)], 409)
    if not form.validate():
        return _render_preview(draft, form, _problems(form, "published", "publish again"), 400)
    try:
        version = drafts.publish_draft(
            draft_id,
            form.revision.data or "",
            actor=_actor(),
            every_months=form.every_months.data if draft.policy_id is None else None,
        )
    except drafts.DraftConflict as conflict:
        if conflict.draft is None:
            return _render_policies([(None, str(conflict))], 409)
        # The preview now shows their text; publishing again publishes that, knowingly.
        return _render_preview(conflict.draft, problems=[(None, str(conflict))], status=409)
    except (drafts.DraftError, PolicyError) as error:
        draft = drafts.get_draft(draft_id)
        message = str(error)
        return _render_preview(draft, form, [(None, message[:1].upper() + message[1:])], 400)
    kind = "everyone must sign it" if version.requires_reattestation else "nobody has to sign again"
    flash(
        f"Published version {version.number} of {version.policy.title}, in force from "
        f"{version.effective_date.day} {version.effective_date:%B %Y}: {kind}.",
        "success",
    )
    return redirect(url_for("smattest.hr_policies"), 303)


@blueprint.post("/hr/drafts/<int:draft_id>/discard")
@hr_required
def hr_draft_discard(draft_id: int):
    """Delete the draft as it was seen; published versions are untouched."""
    form = DiscardForm()
    draft = drafts.get_draft(draft_id)
    if draft is None:
        flash("This draft had already been published or discarded.", "info")
        return redirect(url_for("smattest.hr_policies"), 303)
    if not form.validate():
        problems = _problems(form, "discarded", "discard again")
        return _render_edit(
            _form_of(draft), draft=draft, problems=problems,
            problems_heading="Nothing was discarded", status=400,
        )  # fmt: skip
    try:
        drafts.discard_draft(draft_id, form.revision.data or "", actor=_actor())
    except drafts.DraftConflict as conflict:
        if conflict.draft is None:
            flash(str(conflict), "info")
            return redirect(url_for("smattest.hr_policies"), 303)
        return _render_edit(
            _form_of(conflict.draft), draft=conflict.draft, problems=[(None, str(conflict))],
            problems_heading="Nothing was discarded", status=409,
        )  # fmt: skip
    flash("Draft discarded. No published version was changed.", "success")
    return redirect(url_for("smattest.hr_policies"), 303)


def _form_of(draft) -> DraftForm:
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
