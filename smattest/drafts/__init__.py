"""Drafts of policy versions: HR writes, previews and publishes a policy in the browser.

A draft is HR's unpublished text of a policy's next version, or of the first
version of a new policy. It is edited freely (only lengths are checked) and
either discarded or published. Publishing goes through
:func:`smattest.publishing.policies.publish`, so every rule of publishing applies, and
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

Approvals before publishing (``SMATTEST_PUBLISH_APPROVALS``) live in
:mod:`smattest.drafts.approvals`: a save clears them, publishing counts them.

What HR reads and what is checked lives in :mod:`smattest.drafts.reading`;
the acts that change drafts in :mod:`smattest.drafts.writing`. This module
only re-exports.
"""

from .approvals import (
    MAX_COMMENT,
    ApprovalState,
    approval_state,
    approvals_required,
    approve_draft,
    authors_of,
    known_person,
    missing_approvals,
)
from .reading import (
    MAX_SLUG,
    MAX_SUMMARY,
    MAX_TEXT_BYTES,
    MAX_TITLE,
    DraftConflict,
    DraftError,
    base_version,
    draft_slug,
    draft_title,
    draft_translations,
    get_draft,
    length_problems,
    names_of,
    next_number,
    open_draft,
    open_drafts,
    publishable_text,
    revision,
    translation_problems,
)
from .writing import (
    discard_draft,
    publish_draft,
    save_draft,
    start_draft,
)

__all__ = [
    "MAX_COMMENT",
    "ApprovalState",
    "approval_state",
    "approvals_required",
    "approve_draft",
    "authors_of",
    "known_person",
    "missing_approvals",
    "DraftConflict",
    "DraftError",
    "MAX_SLUG",
    "MAX_SUMMARY",
    "MAX_TEXT_BYTES",
    "MAX_TITLE",
    "base_version",
    "discard_draft",
    "draft_slug",
    "draft_title",
    "draft_translations",
    "get_draft",
    "length_problems",
    "names_of",
    "next_number",
    "open_draft",
    "open_drafts",
    "publish_draft",
    "publishable_text",
    "revision",
    "save_draft",
    "start_draft",
    "translation_problems",
]
