"""Reading drafts and checking what HR typed: lengths, addresses, revisions, who saved last.

Nothing here writes; :mod:`smattest.drafts.writing` starts, saves, discards
and publishes drafts with these checks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import sqlalchemy as sa

import smattest.text as text

from ..i18n import format_number, gettext, language_name
from ..models import Policy, PolicyDraft, PolicyVersion, Staff
from ..proxies import current_smattest
from ..publishing.policies import (
    latest_version,
    normalise_text,
)

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
    """``text`` as :func:`~smattest.publishing.policies.publish` stores it (line ends, space)."""
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
        draft.translations or "",
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()[:32]


def length_problems(
    *, body: str, summary: str, slug: str | None = None, title: str | None = None
) -> list[tuple[str, str]]:
    """What is too long to keep or hides a character (:mod:`smattest.text`), by field."""
    problems = []
    if slug is not None and len(slug) > MAX_SLUG:
        problems.append(
            (
                "slug",
                gettext(
                    "The address is %(length)s characters; at most %(most)s.",
                    length=len(slug),
                    most=MAX_SLUG,
                ),
            )
        )
    if title is not None and len(title) > MAX_TITLE:
        problems.append(
            (
                "title",
                gettext(
                    "The title is %(length)s characters; at most %(most)s.",
                    length=len(title),
                    most=MAX_TITLE,
                ),
            )
        )
    size = len(body.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        problems.append((
            "body",
            gettext("The policy text is too long to keep: %(size)s bytes; at most %(most)s "
                    "(about as many letters of plain English).",
                    size=format_number(size), most=format_number(MAX_TEXT_BYTES)),
        ))  # fmt: skip
    if len(summary) > MAX_SUMMARY:
        problems.append((
            "summary",
            gettext("The change summary is %(length)s characters; at most %(most)s.",
                    length=format_number(len(summary)), most=format_number(MAX_SUMMARY)),
        ))  # fmt: skip
    hidden = [
        ("title", text.problem(gettext("The title"), title)),
        ("summary", text.problem(gettext("The change summary"), summary, multiline=True)),
        ("body", text.markdown_problem(gettext("The policy text (outside code)"), body)),
    ]
    problems += [(field, message) for field, message in hidden if message]
    return problems


def draft_translations(draft: PolicyDraft) -> dict[str, str]:
    """The draft's translations: language tag to Markdown, by language."""
    found = json.loads(draft.translations) if draft.translations else {}
    return {str(k): str(v) for k, v in sorted(found.items())}


def stored_translations(translations: dict[str, str]) -> str | None:
    """Translations as the draft keeps them (None for none)."""
    kept = {k: v.replace("\r\n", "\n") for k, v in sorted(translations.items()) if v.strip()}
    return json.dumps(kept, ensure_ascii=False) if kept else None


def translation_problems(translations: dict[str, str]) -> list[tuple[str, str]]:
    """What is too long or hides a character in each translation, by language."""
    problems = []
    for code, body in sorted(translations.items()):
        size = len(body.encode("utf-8"))
        name = f"{language_name(code)} ({code})"
        if size > MAX_TEXT_BYTES:
            problems.append((code, gettext(
                "The text in %(language)s is too long to keep: %(size)s bytes; at most "
                "%(most)s.", language=name, size=format_number(size),
                most=format_number(MAX_TEXT_BYTES))))  # fmt: skip
        hidden = text.markdown_problem(
            gettext("The text in %(language)s (outside code)", language=name), body
        )
        if hidden:
            problems.append((code, hidden))
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


def names_of(external_ids: Iterable[str | None]) -> dict[str, str]:
    """The full names of people by host user id, for "published by" and "saved by"."""
    ids = {i for i in external_ids if i}
    if not ids:
        return {}
    rows = current_smattest.db.session.execute(
        sa.select(Staff.external_id, Staff.full_name).where(Staff.external_id.in_(ids))
    )
    return dict(rows.all())
