"""Starting, saving, discarding and publishing drafts, each one transaction with its HR event.

The lost-update guard (:func:`~smattest.drafts.reading.revision` and a
conditional write) is described in :mod:`smattest.drafts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..db import rowcount, utcnow
from ..evidence.chain import chain_translations
from ..i18n import format_date, format_time, gettext
from ..models import HREvent, Policy, PolicyDraft, PolicyVersion
from ..proxies import current_smattest
from ..publishing.policies import (
    SLUG,
    PolicyError,
    get_policy,
    publish,
    text_sha256,
)
from ..publishing.translations import attach, checked
from ..timeutil import local_today, to_local
from .approvals import approvers_line, clear_approvals, missing_approvals
from .reading import (
    DraftConflict,
    DraftError,
    draft_slug,
    draft_title,
    draft_translations,
    get_draft,
    length_problems,
    names_of,
    next_number,
    open_draft,
    publishable_text,
    revision,
    stored_translations,
    translation_problems,
)


def _who(draft: PolicyDraft) -> dict[str, str]:
    """Who last saved the draft and when, for a message: Priya Raman, 14:05 UTC, 3 May 2026."""
    actor = draft.updated_by or draft.created_by
    name = names_of([actor]).get(actor) or gettext("HR user %(id)s", id=actor)
    local = to_local(draft.updated_at)
    return {"name": name, "time": format_time(local), "day": format_date(local.date())}


def _nothing(doing: str) -> str:
    """ "Nothing was saved." (or discarded, or published), as its own sentence."""
    if doing == "discarded":
        return gettext("Nothing was discarded.")
    if doing == "published":
        return gettext("Nothing was published.")
    return gettext("Nothing was saved.")


def _check_lengths(
    *, body: str, summary: str, slug: str | None = None, title: str | None = None
) -> None:
    problems = length_problems(body=body, summary=summary, slug=slug, title=title)
    if problems:
        raise DraftError(problems[0][1])


def _check_translations(translations: dict[str, str]) -> None:
    problems = translation_problems(translations)
    if problems:
        raise DraftError(problems[0][1])


def _check_new_slug(slug: str, *, draft_id: int | None = None) -> None:
    """A new policy's address: well formed, not a policy's already, not in another draft."""
    if not SLUG.match(slug):
        raise DraftError(
            gettext(
                "The address %(slug)s is not valid: use lower-case letters, digits and single "
                "hyphens, e.g. 'social-media'.",
                slug=repr(slug),
            )
        )
    if get_policy(slug) is not None:
        raise DraftError(
            gettext(
                "A policy with the address %(slug)s exists already: write a new version of it "
                "from the Policies page.",
                slug=repr(slug),
            )
        )
    other = current_smattest.db.session.scalar(
        sa.select(PolicyDraft.id).where(
            PolicyDraft.policy_id.is_(None), PolicyDraft.slug == slug, PolicyDraft.id != draft_id
        )
    )
    if other is not None:
        raise DraftError(
            gettext(
                "Draft #%(other)s is already writing a new policy at %(slug)s.",
                other=other,
                slug=repr(slug),
            )
        )


def _event(actor: str, action: str, detail: str) -> None:
    current_smattest.db.session.add(HREvent(actor=actor, action=action, detail=detail))


def _describe(draft: PolicyDraft) -> str:
    if draft.policy_id is None:
        return f"draft #{draft.id} of new policy {draft.slug!r}"
    return f"draft #{draft.id} of {draft_slug(draft)!r} version {next_number(draft)}"


def start_draft(
    policy: Policy | None,
    *,
    body: str,
    summary: str,
    requires_reattestation: bool,
    effective_date: dt.date | None,
    actor: str,
    slug: str | None = None,
    title: str | None = None,
    translations: dict[str, str] | None = None,
) -> PolicyDraft:
    """Start a draft of ``policy``'s next version, or (``policy`` None) of a new policy.

    A policy has at most one open draft: when someone opened one first, raises
    :class:`DraftConflict` with theirs, and nothing is written.
    """
    session = current_smattest.db.session
    body = body.replace("\r\n", "\n")
    summary = summary.strip()
    _check_translations(translations or {})
    if policy is None:
        slug = (slug or "").strip()
        title = " ".join((title or "").split())
        _check_lengths(body=body, summary=summary, slug=slug, title=title)
        _check_new_slug(slug)
        if not title:
            raise DraftError(gettext("Give the new policy a title."))
    else:
        slug = title = None
        _check_lengths(body=body, summary=summary)
        # A no-op write takes the policy row's lock (PostgreSQL, MariaDB) or the
        # database's write lock (SQLite): two people starting a draft of one
        # policy at once find each other's instead of opening two.
        session.execute(
            sa.update(Policy)
            .where(Policy.id == policy.id)
            .values(title=Policy.title)
            .execution_options(synchronize_session=False)
        )
        existing = open_draft(policy)
        if existing is not None:
            message = gettext(
                "A draft of the next version of %(title)s is already open: %(name)s saved it "
                "at %(time)s on %(day)s. Nothing was saved: continue in that draft.",
                title=policy.title,
                **_who(existing),
            )
            session.rollback()
            raise DraftConflict(message, get_draft(existing.id))
    now = utcnow()
    draft = PolicyDraft(
        policy=policy,
        slug=slug,
        title=title,
        body_markdown=body,
        translations=stored_translations(translations or {}),
        summary=summary,
        requires_reattestation=requires_reattestation if policy is not None else True,
        effective_date=effective_date,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    _event(actor, "draft.create", _describe(draft))
    session.commit()
    return draft


def _current_or_conflict(draft_id: int, seen: str, doing: str) -> PolicyDraft:
    """The draft if it is still as the person saw it, else :class:`DraftConflict`."""
    draft = get_draft(draft_id)
    if draft is None:
        raise DraftConflict(
            gettext(
                "This draft was published or discarded since you opened it. %(nothing)s",
                nothing=_nothing(doing),
            ),
            None,
        )
    if revision(draft) != seen:
        raise DraftConflict(
            gettext(
                "%(name)s saved this draft at %(time)s on %(day)s, after you opened it. "
                "%(nothing)s",
                nothing=_nothing(doing),
                **_who(draft),
            ),
            draft,
        )
    return draft


def _lost_race(draft_id: int, doing: str) -> DraftConflict:
    session = current_smattest.db.session
    session.rollback()
    draft = get_draft(draft_id)
    if draft is None:
        return DraftConflict(
            gettext(
                "This draft was published or discarded a moment ago. %(nothing)s",
                nothing=_nothing(doing),
            ),
            None,
        )
    return DraftConflict(
        gettext(
            "%(name)s saved this draft at %(time)s on %(day)s, just before you. %(nothing)s",
            nothing=_nothing(doing),
            **_who(draft),
        ),
        draft,
    )


def save_draft(
    draft_id: int,
    seen_revision: str,
    *,
    body: str,
    summary: str,
    requires_reattestation: bool,
    effective_date: dt.date | None,
    actor: str,
    slug: str | None = None,
    title: str | None = None,
    translations: dict[str, str] | None = None,
) -> PolicyDraft:
    """Save the draft's fields, if nobody saved it since ``seen_revision``.

    Raises :class:`DraftConflict` (someone else saved, published or discarded
    it) or :class:`DraftError` (too long, a bad address for a new policy);
    nothing is written then. ``slug`` and ``title`` apply to a new policy only.
    """
    session = current_smattest.db.session
    draft = _current_or_conflict(draft_id, seen_revision, "saved")
    _check_translations(translations or {})
    values: dict[str, Any] = {
        "body_markdown": body.replace("\r\n", "\n"),
        "translations": stored_translations(translations or {}),
        "summary": summary.strip(),
        "requires_reattestation": requires_reattestation if draft.policy_id else True,
        "effective_date": effective_date,
        "updated_by": actor,
        "updated_at": utcnow(),
    }
    if draft.policy_id is None:
        values["slug"] = (slug if slug is not None else draft.slug or "").strip()
        values["title"] = " ".join((title if title is not None else draft.title or "").split())
        _check_lengths(
            body=values["body_markdown"],
            summary=values["summary"],
            slug=values["slug"],
            title=values["title"],
        )
        _check_new_slug(values["slug"], draft_id=draft.id)
        if not values["title"]:
            raise DraftError(gettext("Give the new policy a title."))
    else:
        _check_lengths(body=values["body_markdown"], summary=values["summary"])
    saved = session.execute(
        sa.update(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if rowcount(saved) != 1:
        raise _lost_race(draft_id, "saved")
    # Approvals were of the text as it was: an edit needs reading again.
    cleared = clear_approvals(draft.id)
    described = _describe(draft)
    if cleared:
        described += f"; {cleared} approval{'s' if cleared > 1 else ''} cleared"
    _event(actor, "draft.update", described)
    session.commit()
    saved_draft = get_draft(draft_id)
    assert saved_draft is not None  # saved just now
    return saved_draft


def discard_draft(draft_id: int, seen_revision: str, *, actor: str) -> str:
    """Delete the draft, if nobody saved it since ``seen_revision``; returns what it was."""
    session = current_smattest.db.session
    draft = _current_or_conflict(draft_id, seen_revision, "discarded")
    described = _describe(draft)
    clear_approvals(draft.id)
    gone = session.execute(
        sa.delete(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .execution_options(synchronize_session="fetch")
    )
    if rowcount(gone) != 1:
        raise _lost_race(draft_id, "discarded")
    _event(actor, "draft.discard", described)
    session.commit()
    return described


def publish_draft(
    draft_id: int, seen_revision: str, *, actor: str, every_months: int | None = None
) -> PolicyVersion:
    """Publish the draft as the policy's next version and remove the draft, in one transaction.

    Every rule of :func:`~smattest.publishing.policies.publish` applies (text not empty,
    not the same as the last version, a change summary, not before the last
    version's effective date); besides, a version cannot take effect before
    today. ``every_months`` is how long a signature lasts, for a new policy.
    Raises :class:`DraftConflict`, :class:`DraftError` or
    :class:`~smattest.publishing.policies.PolicyError`; nothing is written then.
    """
    session = current_smattest.db.session
    draft = _current_or_conflict(draft_id, seen_revision, "published")
    today = local_today()
    effective = draft.effective_date or today
    if effective < today:
        raise DraftError(
            gettext(
                "The effective date %(day)s is in the past: a new version takes "
                "effect today or later. Change the date in the draft.",
                day=effective.isoformat(),
            )
        )
    if draft.policy_id is None:
        if get_policy(draft.slug or "") is not None:
            raise DraftError(
                gettext(
                    "A policy with the address %(slug)s was published since this draft "
                    "was started: change the address, or discard this draft.",
                    slug=repr(draft.slug),
                )
            )
        every_months = every_months or 12
    else:
        every_months = None  # an existing policy keeps its period
    missing = missing_approvals(draft)
    if missing:
        raise DraftError(missing)
    approved = approvers_line(draft)
    slug, title, number = draft_slug(draft), draft_title(draft), next_number(draft)
    body, summary = draft.body_markdown, draft.summary
    translations = list(draft_translations(draft).items())
    minor = not draft.requires_reattestation
    clear_approvals(draft.id)
    gone = session.execute(
        sa.delete(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .execution_options(synchronize_session="fetch")
    )
    if rowcount(gone) != 1:
        raise _lost_race(draft_id, "published")
    _event(
        actor,
        "policy.publish",
        f"{slug!r} version {number} ({'minor' if minor else 'material'}), in force from "
        f"{effective.isoformat()}, SHA-256 {text_sha256(publishable_text(body))}, "
        f"from draft #{draft_id}" + (f", {approved}" if approved else ""),
    )
    try:
        # publish() commits: the version, the draft's removal and the event together.
        return publish(
            slug,
            title,
            body,
            summary,
            minor=minor,
            effective=effective,
            every_months=every_months,
            published_by=actor,
            translate=(
                lambda version: attach(
                    version, checked(translations, body), actor, chain_translations
                )
            )
            if translations
            else None,
        )
    except PolicyError:
        session.rollback()
        raise
