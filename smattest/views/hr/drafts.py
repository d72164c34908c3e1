"""HR writes a draft, reads it as employees will, and compares it with the version in force.

Thin views over :mod:`smattest.drafts`. There is no route that changes a
published version: HR writes a draft, and publishing it (:mod:`.hr_policies`)
adds a new version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import smattest.drafts as drafts
import smattest.markdown as markdown

from ...diff import compare, compare_rendered
from ...i18n import gettext, language_name, lazy_gettext, ngettext, original_language, text_language
from ...models import Policy, PolicyDraft
from ...publishing.policies import get_policy, latest_version, text_sha256, version_in_force
from ...timeutil import local_today
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import trim_oversized
from .draft_forms import (
    FIELD_IDS,
    ApproveForm,
    DiscardForm,
    DraftForm,
    PublishForm,
    draft_or_404,
    form_of,
    form_problems,
)

# -- writing a draft ----------------------------------------------------------------------


def render_edit(
    form: DraftForm,
    *,
    draft: PolicyDraft | None = None,
    policy: Policy | None = None,
    problems: Iterable[tuple[str | None, str]] = (),
    theirs: PolicyDraft | None = None,
    gone: bool = False,
    problems_heading: str = lazy_gettext("Nothing was saved"),
    status: int = 200,
    translations: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """The draft form: a new draft (``draft`` None) or an open one.

    ``theirs`` is the draft someone else saved first (a conflict); ``gone`` says
    the draft was published or discarded while this person was editing it.
    """
    trim_oversized(
        form,
        slug=drafts.MAX_SLUG,
        title=drafts.MAX_TITLE,
        summary=drafts.MAX_SUMMARY,
        body=drafts.MAX_TEXT_BYTES,
    )
    if translations is None:
        translations = drafts.draft_translations(draft) if draft is not None else {}
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
            translations=translations,
            new_language=request.form.get("new_language", "") if request.method == "POST" else "",
            new_translation=request.form.get("new_translation", "")
            if request.method == "POST"
            else "",
            original_language=original_language(),
        ),
        status,
    )


def _length_problems(form: DraftForm, *, new_policy: bool) -> list[tuple[str | None, str]]:
    found = drafts.length_problems(
        body=form.body.data or "",
        summary=form.summary.data or "",
        slug=(form.slug.data or "") if new_policy else None,
        title=(form.title.data or "") if new_policy else None,
    )
    return [(FIELD_IDS[name], message) for name, message in found]


#: The id of a translation's textarea, and of the new language's field.
TRANSLATION_ID = "smattest-draft-translation-{}"
NEW_LANGUAGE_ID = "smattest-draft-new-language"


def _translations() -> tuple[dict[str, str], list[tuple[str | None, str]]]:
    """The translations the form sent (language to text; an emptied one is removed) and
    the problems with them: a language code that is not one, the original's, given twice,
    or a new language without its text."""
    found = {
        key.removeprefix("translation-"): value
        for key, value in request.form.items()
        if key.startswith("translation-") and value.strip()
    }
    problems: list[tuple[str | None, str]] = []
    given = request.form.get("new_language", "").strip()
    text = request.form.get("new_translation", "")
    if given or text.strip():
        code = text_language(given)
        if code is None:
            problems.append((NEW_LANGUAGE_ID, gettext(
                "%(code)s is not a language code: use one such as es, fr or pt_BR.",
                code=repr(given))))  # fmt: skip
        elif code == original_language():
            problems.append((NEW_LANGUAGE_ID, gettext(
                "The policy text itself is in %(language)s: a translation is in another "
                "language.", language=language_name(code, in_reader=True))))  # fmt: skip
        elif code in found:
            problems.append((NEW_LANGUAGE_ID, gettext(
                "The draft has a text in %(language)s already: edit it above.",
                language=language_name(code, in_reader=True))))  # fmt: skip
        elif not text.strip():
            problems.append((NEW_LANGUAGE_ID, gettext(
                "Type or paste the text in %(language)s.",
                language=language_name(code, in_reader=True))))  # fmt: skip
        else:
            found[code] = text
    problems += [
        (TRANSLATION_ID.format(code), message)
        for code, message in drafts.translation_problems(found)
    ]
    return found, problems


def _fields(form: DraftForm, *, new_policy: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "body": form.body.data or "",
        "summary": form.summary.data or "",
        "requires_reattestation": form.change.data != "minor",
        "effective_date": form.effective_date.data,
        "actor": actor(),
    }
    if new_policy:
        fields.update(slug=form.slug.data or "", title=form.title.data or "")
    return fields


def _after_save(draft: PolicyDraft, cleared: int = 0) -> ResponseReturnValue:
    flash(gettext("Draft saved. Nothing is published until you publish it."), "success")
    if cleared:
        flash(
            ngettext(
                "Its approval was cleared: the draft changed, so it needs approving again.",
                "Its %(num)s approvals were cleared: the draft changed, so it needs approving "
                "again.",
                cleared,
            ),
            "info",
        )
    if request.form.get("next") == "preview":
        return redirect(url_for("smattest.hr_draft_preview", draft_id=draft.id), 303)
    return redirect(url_for("smattest.hr_draft_edit", draft_id=draft.id), 303)


@blueprint.route("/hr/drafts/new", methods=["GET", "POST"])
@hr_required
def hr_draft_new() -> ResponseReturnValue:
    """Start a draft: ``?policy=<slug>`` for a policy's next version, else a new policy."""
    policy = None
    if request.args.get("policy"):
        policy = get_policy(request.args["policy"])
        if policy is None:
            abort(404)
        existing = drafts.open_draft(policy)
        if existing is not None and request.method == "GET":
            flash(gettext("A draft of the next version is already open: continue here."), "info")
            return redirect(url_for("smattest.hr_draft_edit", draft_id=existing.id))
    if request.method == "GET":
        base = latest_version(policy) if policy is not None else None
        form = DraftForm(body=base.body_markdown if base else "")
        return render_edit(form, policy=policy)

    form = DraftForm()
    new_policy = policy is None
    problems = [] if form.validate() else form_problems(form, "saved", "save again")
    problems += _length_problems(form, new_policy=new_policy)
    translations, translation_problems = _translations()
    problems += translation_problems
    if problems:
        return render_edit(
            form, policy=policy, problems=problems, status=400, translations=translations
        )
    try:
        draft = drafts.start_draft(
            policy, **_fields(form, new_policy=new_policy), translations=translations
        )
    except drafts.DraftConflict as conflict:
        problems = [(None, str(conflict))]
        return render_edit(
            form, policy=policy, problems=problems, theirs=conflict.draft, status=409
        )
    except drafts.DraftError as error:
        return render_edit(form, policy=policy, problems=[(None, str(error))], status=400)
    return _after_save(draft)


@blueprint.route("/hr/drafts/<int:draft_id>", methods=["GET", "POST"])
@hr_required
def hr_draft_edit(draft_id: int) -> ResponseReturnValue:
    """Edit an open draft; a save someone else's overtook is refused, the text kept."""
    if request.method == "GET":
        found = draft_or_404(draft_id)
        return render_edit(form_of(found), draft=found)

    form = DraftForm()
    draft = drafts.get_draft(draft_id)
    new_policy = draft is not None and draft.policy_id is None
    problems = [] if form.validate() else form_problems(form, "saved", "save again")
    problems += _length_problems(form, new_policy=new_policy)
    translations, translation_problems = _translations()
    problems += translation_problems
    if problems and draft is not None:
        return render_edit(
            form, draft=draft, problems=problems, status=400, translations=translations
        )
    approved = len(drafts.approval_state(draft).approvals) if draft is not None else 0
    try:
        saved = drafts.save_draft(
            draft_id,
            form.revision.data or "",
            **_fields(form, new_policy=new_policy),
            translations=translations,
        )
    except drafts.DraftConflict as conflict:
        theirs = conflict.draft
        if theirs is None:
            return render_edit(form, problems=[(None, str(conflict))], gone=True, status=409)
        # Saving again now replaces their version with this one, knowingly.
        form.revision.data = drafts.revision(theirs)
        return render_edit(
            form, draft=theirs, problems=[(None, str(conflict))], theirs=theirs, status=409
        )
    except drafts.DraftError as error:
        return render_edit(form, draft=draft, problems=[(None, str(error))], status=400)
    return _after_save(saved, approved)


# -- reading a draft as employees will --------------------------------------------------


def render_preview(
    draft: PolicyDraft,
    form: PublishForm | None = None,
    problems: Iterable[tuple[str | None, str]] = (),
    status: int = 200,
    approve_form: ApproveForm | None = None,
    problems_heading: str = lazy_gettext("Nothing was published"),
) -> ResponseReturnValue:
    text = drafts.publishable_text(draft.body_markdown)
    # formdata=None: after a refused POST, the new revision, not the one posted.
    form = form or PublishForm(formdata=None, revision=drafts.revision(draft))
    approve_form = approve_form or ApproveForm(formdata=None)
    approve_form.revision.data = drafts.revision(draft)
    me = actor()
    approvals = drafts.approval_state(draft)
    return (
        render_template(
            "smattest/hr/draft_preview.html",
            draft=draft,
            title=drafts.draft_title(draft),
            number=drafts.next_number(draft),
            base=drafts.base_version(draft),
            body_html=markdown.render(text),
            sha256=text_sha256(text),
            translations=[
                (code, markdown.render(body), text_sha256(drafts.publishable_text(body)))
                for code, body in drafts.draft_translations(draft).items()
            ],
            form=form,
            problems=list(problems),
            problems_heading=problems_heading,
            today=local_today(),
            approvals=approvals,
            approve_form=approve_form,
            is_author=me in drafts.authors_of(draft),
            has_approved=any(a.approver == me for a in approvals.approvals),
            author_names=drafts.names_of(drafts.authors_of(draft)),
            max_comment=drafts.MAX_COMMENT,
        ),
        status,
    )


@blueprint.get("/hr/drafts/<int:draft_id>/preview")
@hr_required
def hr_draft_preview(draft_id: int) -> ResponseReturnValue:
    """The draft rendered exactly as employees will read it, and the publish button."""
    return render_preview(draft_or_404(draft_id))


@blueprint.get("/hr/drafts/<int:draft_id>/diff")
@hr_required
def hr_draft_diff(draft_id: int) -> ResponseReturnValue:
    """What the draft changes, against the newest version (or ``?from=<number>``)."""
    draft = draft_or_404(draft_id)
    versions = draft.policy.versions if draft.policy else []
    old = None
    if versions:
        wanted = request.args.get("from", default=versions[-1].number, type=int)
        old = next((v for v in versions if v.number == wanted), None)
        if old is None:
            abort(404)
    comparison = None
    if old is not None:
        comparison = compare_rendered(
            old.body_markdown, drafts.publishable_text(draft.body_markdown)
        )
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
