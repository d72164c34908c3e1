"""Drafts of policy versions: HR writes, previews and publishes a policy in the browser.

A draft is HR's unpublished text of a policy's next version, or of the first
version of a new policy. It is edited freely (only lengths are checked) and
either discarded or published. Publishing goes through
:func:`smattest.policies.publish`, so every rule of publishing applies, and
removes the draft in the same transaction that creates the version: a
published version never changes, a draft never outlives its publication.

Lost updates. Every form that changes a draft carries the draft's
:func:`revision`, a token for the draft as that person saw it. If someone else
saved (or published, or discarded) the draft since, the change is refused
with :class:`DraftConflict` and nothing is written. The write itself is a
conditional ``UPDATE``/``DELETE`` on the draft's ``updated_at``, so two saves
at the same moment cannot both pass the check.

Each act is recorded as an :class:`~smattest.models.HREvent`
(``draft.create``, ``draft.update``, ``draft.discard``, ``policy.publish``)
in the same transaction as the act.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa

from .db import utcnow
from .models import HREvent, Policy, PolicyDraft, PolicyVersion, Staff
from .policies import (
    SLUG,
    PolicyError,
    get_policy,
    latest_version,
    normalise_text,
    publish,
    text_sha256,
)
from .proxies import current_smattest
from .timeutil import local_today, to_local

#: Longest slug and title (the columns' sizes) and change summary, in characters.
MAX_SLUG = 80
MAX_TITLE = 200
MAX_SUMMARY = 2_000
#: Longest policy text in bytes of UTF-8: its rendered HTML must still fit a
#: TEXT column on MariaDB (64 KiB).
MAX_TEXT_BYTES = 40_000


class DraftError(ValueError):
    """A draft cannot be saved, discarded or published as asked; the message says why."""


class DraftConflict(DraftError):
    """Someone changed the draft since this person opened it; nothing was written.

    ``draft`` is the draft as it is now, or None when it was published or
    discarded in the meantime.
    """

    def __init__(self, message: str, draft: PolicyDraft | None):
        super().__init__(message)
        self.draft = draft


def publishable_text(text: str) -> str:
    """``text`` as :func:`~smattest.policies.publish` will store it (line ends, outer space)."""
    return normalise_text(text)


def revision(draft: PolicyDraft) -> str:
    """A token for the draft as it is now; it changes with every save."""
    fields = [
        draft.updated_at.isoformat(),
        draft.updated_by or "",
        draft.slug or "",
        draft.title or "",
        draft.body_markdown,
        draft.summary,
        str(draft.requires_reattestation),
        draft.effective_date.isoformat() if draft.effective_date else "",
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()[:32]


def length_problems(
    *, body: str, summary: str, slug: str | None = None, title: str | None = None
) -> list[tuple[str, str]]:
    """What is too long to keep, as ``(field, message)`` pairs; empty when all fits."""
    problems = []
    if slug is not None and len(slug) > MAX_SLUG:
        problems.append(("slug", f"The address is {len(slug)} characters; at most {MAX_SLUG}."))
    if title is not None and len(title) > MAX_TITLE:
        problems.append(("title", f"The title is {len(title)} characters; at most {MAX_TITLE}."))
    size = len(body.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        problems.append((
            "body",
            f"The policy text is too long to keep: {size:,} bytes; at most {MAX_TEXT_BYTES:,} "
            "(about as many letters of plain English).",
        ))  # fmt: skip
    if len(summary) > MAX_SUMMARY:
        problems.append((
            "summary",
            f"The change summary is {len(summary):,} characters; at most {MAX_SUMMARY:,}.",
        ))  # fmt: skip
    return problems


def get_draft(draft_id: int) -> PolicyDraft | None:
    """The draft with ``draft_id`` as the database holds it now, or None."""
    return current_smattest.db.session.get(PolicyDraft, draft_id, populate_existing=True)


def open_draft(policy: Policy) -> PolicyDraft | None:
    """The open draft of ``policy``'s next version, if someone started one."""
    return current_smattest.db.session.scalar(
        sa.select(PolicyDraft).where(PolicyDraft.policy_id == policy.id).order_by(PolicyDraft.id)
    )


def open_drafts() -> tuple[dict[int, PolicyDraft], list[PolicyDraft]]:
    """Every open draft: by policy id for existing policies, and those of new policies."""
    drafts = current_smattest.db.session.scalars(sa.select(PolicyDraft).order_by(PolicyDraft.id))
    by_policy: dict[int, PolicyDraft] = {}
    new: list[PolicyDraft] = []
    for draft in drafts:
        if draft.policy_id is None:
            new.append(draft)
        else:
            by_policy.setdefault(draft.policy_id, draft)
    return by_policy, new


def base_version(draft: PolicyDraft) -> PolicyVersion | None:
    """The newest published version the draft would follow (None for a new policy)."""
    return latest_version(draft.policy) if draft.policy else None


def next_number(draft: PolicyDraft) -> int:
    """The number the draft will have once published."""
    base = base_version(draft)
    return base.number + 1 if base else 1


def draft_slug(draft: PolicyDraft) -> str:
    return draft.policy.slug if draft.policy else (draft.slug or "")


def draft_title(draft: PolicyDraft) -> str:
    return draft.policy.title if draft.policy else (draft.title or "")


def names_of(external_ids) -> dict[str, str]:
    """The full names of people by host user id, for "published by" and "saved by"."""
    ids = {i for i in external_ids if i}
    if not ids:
        return {}
    rows = current_smattest.db.session.execute(
        sa.select(Staff.external_id, Staff.full_name).where(Staff.external_id.in_(ids))
    )
    return dict(rows.all())


def _who(draft: PolicyDraft, did: str) -> str:
    """Who last saved the draft and when: "Priya Raman saved this draft at 14:05 UTC on ..."."""
    actor = draft.updated_by or draft.created_by
    name = names_of([actor]).get(actor, f"HR user {actor}")
    local = to_local(draft.updated_at)
    return f"{name} {did} at {local:%H:%M %Z} on {local.day} {local:%B %Y}"


def _check_lengths(**fields) -> None:
    problems = length_problems(**fields)
    if problems:
        raise DraftError(problems[0][1])


def _check_new_slug(slug: str, *, draft_id: int | None = None) -> None:
    """A new policy's address: well formed, not a policy's already, not in another draft."""
    if not SLUG.match(slug):
        raise DraftError(
            f"The address {slug!r} is not valid: use lower-case letters, digits and single "
            "hyphens, e.g. 'social-media'."
        )
    if get_policy(slug) is not None:
        raise DraftError(
            f"A policy with the address {slug!r} exists already: write a new version of it "
            "from the Policies page."
        )
    other = current_smattest.db.session.scalar(
        sa.select(PolicyDraft.id).where(
            PolicyDraft.policy_id.is_(None), PolicyDraft.slug == slug, PolicyDraft.id != draft_id
        )
    )
    if other is not None:
        raise DraftError(f"Draft #{other} is already writing a new policy at {slug!r}.")


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
) -> PolicyDraft:
    """Start a draft of ``policy``'s next version, or (``policy`` None) of a new policy.

    A policy has at most one open draft: when someone opened one first, raises
    :class:`DraftConflict` with theirs, and nothing is written.
    """
    session = current_smattest.db.session
    body = body.replace("\r\n", "\n")
    summary = summary.strip()
    if policy is None:
        slug = (slug or "").strip()
        title = " ".join((title or "").split())
        _check_lengths(body=body, summary=summary, slug=slug, title=title)
        _check_new_slug(slug)
        if not title:
            raise DraftError("Give the new policy a title.")
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
            message = (
                f"A draft of the next version of {policy.title} is already open: "
                f"{_who(existing, 'saved it')}. Nothing was saved: continue in that draft."
            )
            session.rollback()
            raise DraftConflict(message, get_draft(existing.id))
    now = utcnow()
    draft = PolicyDraft(
        policy=policy,
        slug=slug,
        title=title,
        body_markdown=body,
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
            f"This draft was published or discarded since you opened it. Nothing was {doing}.",
            None,
        )
    if revision(draft) != seen:
        raise DraftConflict(
            f"{_who(draft, 'saved this draft')}, after you opened it. Nothing was {doing}.",
            draft,
        )
    return draft


def _lost_race(draft_id: int, doing: str) -> DraftConflict:
    session = current_smattest.db.session
    session.rollback()
    draft = get_draft(draft_id)
    if draft is None:
        return DraftConflict(
            f"This draft was published or discarded a moment ago. Nothing was {doing}.", None
        )
    return DraftConflict(
        f"{_who(draft, 'saved this draft')}, just before you. Nothing was {doing}.", draft
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
) -> PolicyDraft:
    """Save the draft's fields, if nobody saved it since ``seen_revision``.

    Raises :class:`DraftConflict` (someone else saved, published or discarded
    it) or :class:`DraftError` (too long, a bad address for a new policy);
    nothing is written then. ``slug`` and ``title`` apply to a new policy only.
    """
    session = current_smattest.db.session
    draft = _current_or_conflict(draft_id, seen_revision, "saved")
    values = {
        "body_markdown": body.replace("\r\n", "\n"),
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
            raise DraftError("Give the new policy a title.")
    else:
        _check_lengths(body=values["body_markdown"], summary=values["summary"])
    saved = session.execute(
        sa.update(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if saved.rowcount != 1:
        raise _lost_race(draft_id, "saved")
    _event(actor, "draft.update", _describe(draft))
    session.commit()
    return get_draft(draft_id)


def discard_draft(draft_id: int, seen_revision: str, *, actor: str) -> str:
    """Delete the draft, if nobody saved it since ``seen_revision``; returns what it was."""
    session = current_smattest.db.session
    draft = _current_or_conflict(draft_id, seen_revision, "discarded")
    described = _describe(draft)
    gone = session.execute(
        sa.delete(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .execution_options(synchronize_session="fetch")
    )
    if gone.rowcount != 1:
        raise _lost_race(draft_id, "discarded")
    _event(actor, "draft.discard", described)
    session.commit()
    return described


def publish_draft(
    draft_id: int, seen_revision: str, *, actor: str, every_months: int | None = None
) -> PolicyVersion:
    """Publish the draft as the policy's next version and remove the draft, in one transaction.

    Every rule of :func:`~smattest.policies.publish` applies (text not empty,
    not the same as the last version, a change summary, not before the last
    version's effective date); besides, a version cannot take effect before
    today. ``every_months`` is how long a signature lasts, for a new policy.
    Raises :class:`DraftConflict`, :class:`DraftError` or
    :class:`~smattest.policies.PolicyError`; nothing is written then.
    """
    session = current_smattest.db.session
    draft = _current_or_conflict(draft_id, seen_revision, "published")
    today = local_today()
    effective = draft.effective_date or today
    if effective < today:
        raise DraftError(
            f"The effective date {effective.isoformat()} is in the past: a new version takes "
            "effect today or later. Change the date in the draft."
        )
    if draft.policy_id is None:
        if get_policy(draft.slug or "") is not None:
            raise DraftError(
                f"A policy with the address {draft.slug!r} was published since this draft "
                "was started: change the address, or discard this draft."
            )
        every_months = every_months or 12
    else:
        every_months = None  # an existing policy keeps its period
    slug, title, number = draft_slug(draft), draft_title(draft), next_number(draft)
    body, summary = draft.body_markdown, draft.summary
    minor = not draft.requires_reattestation
    gone = session.execute(
        sa.delete(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .execution_options(synchronize_session="fetch")
    )
    if gone.rowcount != 1:
        raise _lost_race(draft_id, "published")
    _event(
        actor,
        "policy.publish",
        f"{slug!r} version {number} ({'minor' if minor else 'material'}), in force from "
        f"{effective.isoformat()}, SHA-256 {text_sha256(publishable_text(body))}, "
        f"from draft #{draft_id}",
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
        )
    except PolicyError:
        session.rollback()
        raise
