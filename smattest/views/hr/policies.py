"""HR's policies page: every policy with its versions and drafts; publishing and discarding.

Publishing goes through :func:`smattest.drafts.publish_draft`; there is no
route that changes a published version.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

import smattest.drafts as drafts
import smattest.publishing.audiences as audiences

from ...i18n import format_date, gettext
from ...models import POLICY, Policy
from ...proxies import current_smattest
from ...publishing.lifecycle import review_date, review_state
from ...publishing.policies import PolicyError, version_in_force
from ...rule.membership import EVERYONE
from ...timeutil import local_today
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import CSRFOnlyForm
from .draft_forms import ApproveForm, DiscardForm, PublishForm, form_of, form_problems
from .drafts import render_edit, render_preview

# -- the list of policies ---------------------------------------------------------------


@blueprint.get("/hr/policies")
@hr_required
def hr_policies() -> ResponseReturnValue:
    """Every policy with its versions and open draft; the ways to start a new one."""
    return _render_policies()


def _render_policies(
    problems: Iterable[tuple[str | None, str]] = (), status: int = 200
) -> ResponseReturnValue:
    session = current_smattest.db.session
    policies = session.scalars(
        sa.select(Policy).options(selectinload(Policy.versions)).order_by(Policy.title)
    ).all()
    by_policy, new = drafts.open_drafts()
    people = [v.published_by for p in policies for v in p.versions]
    people += [v.withdrawal.by for p in policies for v in p.versions if v.withdrawal]
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
            audience_of=audiences.audiences_of(POLICY),
            withdraw_form=CSRFOnlyForm(),
            review_date=review_date,
            review_state=review_state,
            everyone=EVERYONE,
        ),
        status,
    )


# -- publishing or discarding -------------------------------------------------------------


@blueprint.post("/hr/drafts/<int:draft_id>/publish")
@hr_required
def hr_draft_publish(draft_id: int) -> ResponseReturnValue:
    """Publish the draft as previewed; on any problem, nothing is published."""
    form = PublishForm()
    draft = drafts.get_draft(draft_id)
    if draft is None:
        problem = gettext(
            "This draft was published or discarded by someone else. Nothing was published."
        )
        return _render_policies([(None, problem)], 409)
    if not form.validate():
        return render_preview(draft, form, form_problems(form, "published", "publish again"), 400)
    try:
        version = drafts.publish_draft(
            draft_id,
            form.revision.data or "",
            actor=actor(),
            every_months=form.every_months.data if draft.policy_id is None else None,
        )
    except drafts.DraftConflict as conflict:
        if conflict.draft is None:
            return _render_policies([(None, str(conflict))], 409)
        # The preview now shows their text; publishing again publishes that, knowingly.
        return render_preview(conflict.draft, problems=[(None, str(conflict))], status=409)
    except (drafts.DraftError, PolicyError) as error:
        draft = drafts.get_draft(draft_id)
        assert draft is not None  # refused, not published or discarded
        message = str(error)
        return render_preview(draft, form, [(None, message[:1].upper() + message[1:])], 400)
    published = (
        gettext(
            "Published version %(number)s of %(title)s, in force from %(day)s: everyone must "
            "sign it.",
            number=version.number,
            title=version.policy.title,
            day=format_date(version.effective_date),
        )
        if version.requires_reattestation
        else gettext(
            "Published version %(number)s of %(title)s, in force from %(day)s: nobody has to "
            "sign again.",
            number=version.number,
            title=version.policy.title,
            day=format_date(version.effective_date),
        )
    )
    flash(published, "success")
    return redirect(url_for("smattest.hr_policies"), 303)


@blueprint.post("/hr/drafts/<int:draft_id>/approve")
@hr_required
def hr_draft_approve(draft_id: int) -> ResponseReturnValue:
    """Approve the draft as it was read, with an optional comment; the author cannot."""
    form = ApproveForm()
    draft = drafts.get_draft(draft_id)
    if draft is None:
        problem = gettext(
            "This draft was published or discarded by someone else. Nothing was approved."
        )
        return _render_policies([(None, problem)], 409)
    heading = gettext("Nothing was approved")
    if not form.validate():
        problems = form_problems(form, "approved", "approve again")
        return render_preview(
            draft, problems=problems, approve_form=form, problems_heading=heading, status=400
        )
    try:
        drafts.approve_draft(
            draft_id, form.revision.data or "", actor=actor(), comment=form.comment.data or ""
        )
    except drafts.DraftConflict as conflict:
        if conflict.draft is None:
            return _render_policies([(None, str(conflict))], 409)
        return render_preview(
            conflict.draft, problems=[(None, str(conflict))], approve_form=form,
            problems_heading=heading, status=409,
        )  # fmt: skip
    except drafts.DraftError as error:
        return render_preview(
            draft, problems=[(None, str(error))], approve_form=form,
            problems_heading=heading, status=400,
        )  # fmt: skip
    flash(gettext("You approved this draft. Saving it again would clear the approval."), "success")
    return redirect(url_for("smattest.hr_draft_preview", draft_id=draft_id), 303)


@blueprint.post("/hr/drafts/<int:draft_id>/discard")
@hr_required
def hr_draft_discard(draft_id: int) -> ResponseReturnValue:
    """Delete the draft as it was seen; published versions are untouched."""
    form = DiscardForm()
    draft = drafts.get_draft(draft_id)
    if draft is None:
        flash(gettext("This draft had already been published or discarded."), "info")
        return redirect(url_for("smattest.hr_policies"), 303)
    if not form.validate():
        problems = form_problems(form, "discarded", "discard again")
        return render_edit(
            form_of(draft), draft=draft, problems=problems,
            problems_heading=gettext("Nothing was discarded"), status=400,
        )  # fmt: skip
    try:
        drafts.discard_draft(draft_id, form.revision.data or "", actor=actor())
    except drafts.DraftConflict as conflict:
        if conflict.draft is None:
            flash(str(conflict), "info")
            return redirect(url_for("smattest.hr_policies"), 303)
        return render_edit(
            form_of(conflict.draft), draft=conflict.draft, problems=[(None, str(conflict))],
            problems_heading=gettext("Nothing was discarded"), status=409,
        )  # fmt: skip
    flash(gettext("Draft discarded. No published version was changed."), "success")
    return redirect(url_for("smattest.hr_policies"), 303)
