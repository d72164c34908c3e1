"""Policy pages: read the version in force, older versions, what changed, and sign."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import smattest.rule.compliance as compliance

from ..attest import AttestationError, attest, statement
from ..diff import compare_rendered
from ..i18n import choose_language, gettext, lazy_gettext
from ..markdown import rendered
from ..models import POLICY, Policy, PolicyTranslation, PolicyVersion
from ..publishing.lifecycle import upcoming_for
from ..publishing.policies import get_policy, scheduled_versions, version_in_force
from ..publishing.translations import languages_of, shown, translations_of
from .access import login_required
from .base import blueprint, current_staff
from .forms import AttestForm, add_problem, problems_of, trim_oversized

log = logging.getLogger("smattest.views")

SIGN_AGAIN = lazy_gettext("This form has expired. Nothing was recorded: please sign again.")


def _policy_or_404(slug: str) -> Policy:
    policy = get_policy(slug, with_versions=True)
    if policy is None or version_in_force(policy) is None:
        abort(404)
    return policy


@blueprint.get("/policies/")
@login_required
def policies() -> ResponseReturnValue:
    """Every policy in force, with the signed-in person's status for each."""
    standing = {
        s.requirement.id: s
        for s in compliance.person_standings(current_staff())
        if s.requirement.kind == POLICY
    }
    return render_template(
        "smattest/policies.html",
        requirements=compliance.policy_requirements(),
        standing=standing,
    )


@blueprint.get("/policies/<slug>")
@login_required
def policy(slug: str) -> ResponseReturnValue:
    """The version in force, and the form to sign it."""
    policy = _policy_or_404(slug)
    version = _in_force(policy)
    read = translations_of(version)
    asked = choose_language(languages_of(read), request.args.get("lang"))
    language, _, sha256 = shown(version, asked, read)
    form = AttestForm(version=version.number, language=language, text_sha256=sha256)
    return _render_policy(policy, form, read=read)


def _in_force(policy: Policy) -> PolicyVersion:
    """The version in force of a policy :func:`_policy_or_404` let through (it has one)."""
    version = version_in_force(policy)
    assert version is not None
    return version


def _render_policy(
    policy: Policy,
    form: AttestForm,
    status: int = 200,
    *,
    read: list[PolicyTranslation] | None = None,
) -> ResponseReturnValue:
    trim_oversized(form, signature=200)
    version = _in_force(policy)
    staff = current_staff()
    read = translations_of(version) if read is None else read
    asked = choose_language(languages_of(read), form.language.data)
    language, body, sha256 = shown(version, asked, read)
    if request.method == "POST":  # shown again: the text and hash of what is shown now
        form.language.data, form.text_sha256.data = language, sha256
    return (
        render_template(
            "smattest/policy.html",
            policy=policy,
            version=version,
            languages=languages_of(read),
            language=language,
            text_html=rendered(body),
            statement=statement(policy, version),
            form=form,
            standing=(standing := compliance.standing(staff, POLICY, policy.id)),
            staff=staff,
            not_required=staff.active and standing is None and policy.retired_on is None,
            upcoming=upcoming_for(staff, policy) if staff.active else [],
            problems=problems_of(form, SIGN_AGAIN) if request.method == "POST" else [],
        ),
        status,
    )


@blueprint.get("/policies/<slug>/versions/<int:number>")
@login_required
def policy_version(slug: str, number: int) -> ResponseReturnValue:
    """Any published version in force or past, read-only."""
    policy = _policy_or_404(slug)
    version = next((v for v in policy.versions if v.number == number), None)
    readable = [v.number for v in scheduled_versions(policy)]
    if version is None or (version.number > _in_force(policy).number
                           and version.number not in readable):  # fmt: skip
        abort(404)
    return render_template(
        "smattest/policy_version.html",
        policy=policy,
        version=version,
        current=_in_force(policy),
    )


@blueprint.get("/policies/<slug>/changes")
@login_required
def policy_changes(slug: str) -> ResponseReturnValue:
    """What changed between two versions (default: the previous one and the current)."""
    policy = _policy_or_404(slug)
    in_force = [v for v in policy.versions if v.number <= _in_force(policy).number]
    in_force = [v for v in in_force if v.withdrawal is None] + scheduled_versions(policy)
    numbers = {v.number: v for v in in_force}
    newest = _in_force(policy).number
    new_number = request.args.get("to", default=newest, type=int)
    old_number = request.args.get("from", default=max(new_number - 1, 1), type=int)
    if old_number not in numbers or new_number not in numbers:
        abort(404)
    old, new = numbers[old_number], numbers[new_number]
    return render_template(
        "smattest/policy_changes.html",
        policy=policy,
        old=old,
        new=new,
        versions=in_force,
        current=_in_force(policy),
        comparison=compare_rendered(old.body_markdown, new.body_markdown),
    )


@blueprint.post("/policies/<slug>/attest")
@login_required
def policy_attest(slug: str) -> ResponseReturnValue:
    """Record the signature; on a problem, show the page again with the reason."""
    policy = _policy_or_404(slug)
    form = AttestForm()
    if not form.validate():
        return _render_policy(policy, form, 400)
    staff = current_staff()
    email = staff.email
    try:
        recorded = attest(
            staff,
            slug,
            _version_number(form.version.data or ""),
            form.signature.data or "",
            ip_address=request.remote_addr,
            user_agent=request.headers.get("User-Agent"),
            policy=policy,
            submission=form.submission.data or None,
            language=form.language.data or None,
            shown_sha256=form.text_sha256.data or None,
        )
    except AttestationError as error:
        for field, message in error.problems:
            add_problem(form, field if field == "signature" else None, message)
        return _render_policy(policy, form, 400)
    # Committed: nothing below touches the database, so nothing can turn a recorded
    # signature into an error page. The receipt mail is in the outbox already.
    if recorded.created:
        flash(
            gettext("Thank you. Your signature is recorded; this is your receipt.")
            + (" " + gettext("A copy is on its way to your email.") if email else ""),
            "success",
        )
    else:
        flash(gettext("You had already signed this version; this is your receipt."), "info")
    return redirect(url_for("smattest.receipt", number=recorded.receipt_number), 303)


def _version_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise AttestationError(
            gettext(
                "The form did not say which version you read. Nothing was recorded: please "
                "reload the page and sign again."
            )
        ) from None
