"""Approvals before publishing: HR users other than a draft's author approve its text.

``SMATTEST_PUBLISH_APPROVALS`` says how many approvals a draft needs before
:func:`~smattest.drafts.publish_draft` publishes it (0: none). An approval is
of the draft as it is at that moment (its :func:`~smattest.drafts.revision`):
a save removes every approval of the draft, in the save's transaction, and
only approvals of the draft as it is now are counted. The draft's authors
(whoever started it and whoever saved it last) cannot approve it. Each
approval is an ``draft.approve`` event in HR's log, with its comment.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

import smattest.text as text

from ..db import rowcount, utcnow
from ..i18n import format_date, format_number, format_time, gettext, ngettext
from ..models import DraftApproval, HREvent, PolicyDraft, Staff
from ..proxies import current_smattest
from ..publishing.policies import text_sha256
from ..timeutil import to_local
from .reading import (
    DraftConflict,
    DraftError,
    draft_slug,
    get_draft,
    names_of,
    next_number,
    publishable_text,
    revision,
)

#: Longest approval comment, in characters.
MAX_COMMENT = 2_000


def approvals_required() -> int:
    """How many approvals a draft needs before it is published (``SMATTEST_PUBLISH_APPROVALS``)."""
    required: int = current_app.config["SMATTEST_PUBLISH_APPROVALS"]
    return required


def authors_of(draft: PolicyDraft) -> set[str]:
    """Who wrote the draft: whoever started it and whoever saved it last."""
    return {a for a in (draft.created_by, draft.updated_by) if a}


def counted(draft: PolicyDraft) -> list[DraftApproval]:
    """The draft's approvals that count: of the draft as it is now, by someone not its author."""
    now = revision(draft)
    authors = authors_of(draft)
    rows = current_smattest.db.session.scalars(
        sa.select(DraftApproval)
        .where(DraftApproval.draft_id == draft.id)
        .order_by(DraftApproval.approved_at, DraftApproval.id)
        .execution_options(populate_existing=True)
    )
    return [a for a in rows if a.revision == now and a.approver not in authors]


@dataclass(frozen=True)
class ApprovalState:
    """What a draft's page says about its approvals."""

    required: int
    approvals: list[DraftApproval]
    #: Approvers' names by their id.
    names: dict[str, str]

    @property
    def missing(self) -> int:
        return max(0, self.required - len(self.approvals))


def approval_state(draft: PolicyDraft) -> ApprovalState:
    """The approvals the draft needs and those it has, with the approvers' names."""
    approvals = counted(draft)
    return ApprovalState(approvals_required(), approvals, names_of(a.approver for a in approvals))


def missing_approvals(draft: PolicyDraft) -> str | None:
    """Why the draft cannot be published yet for want of approvals, or None when it can."""
    required = approvals_required()
    have = len(counted(draft))
    if have >= required:
        return None
    return ngettext(
        "This draft needs %(num)s approval from HR users other than its author before it is "
        "published, and has %(have)s. Ask another HR user to open the draft's preview and "
        "approve it (or run 'flask smattest policy approve %(id)s --actor ID'); saving "
        "the draft again clears its approvals.",
        "This draft needs %(num)s approvals from HR users other than its author before it is "
        "published, and has %(have)s. Ask another HR user to open the draft's preview and "
        "approve it (or run 'flask smattest policy approve %(id)s --actor ID'); saving "
        "the draft again clears its approvals.",
        required,
        have=have,
        id=draft.id,
    )


def _describe(draft: PolicyDraft) -> str:
    if draft.policy_id is None:
        return f"draft #{draft.id} of new policy {draft.slug!r}"
    return f"draft #{draft.id} of {draft_slug(draft)!r} version {next_number(draft)}"


def approve_draft(
    draft_id: int, seen_revision: str, *, actor: str, comment: str = ""
) -> DraftApproval:
    """Approve the draft as ``actor`` saw it (``seen_revision``), with an optional comment.

    Refused with :class:`DraftConflict` when the draft changed since (or is
    gone), and with :class:`DraftError` when ``actor`` wrote it, approved it
    already, or the comment cannot be kept; nothing is written then.
    """
    session = current_smattest.db.session
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise DraftError(
            gettext(
                "The comment is %(length)s characters; at most %(most)s.",
                length=format_number(len(comment)),
                most=format_number(MAX_COMMENT),
            )
        )
    hidden = text.problem(gettext("The comment"), comment, multiline=True)
    if hidden:
        raise DraftError(hidden)
    draft = get_draft(draft_id)
    if draft is None:
        raise DraftConflict(
            gettext(
                "This draft was published or discarded since you opened it. Nothing was approved."
            ),
            None,
        )
    if revision(draft) != seen_revision:
        raise DraftConflict(
            gettext(
                "The draft was saved again after you opened it, so you would approve a text you "
                "have not read. Nothing was approved: read it again below."
            ),
            draft,
        )
    if actor in authors_of(draft):
        raise DraftError(
            gettext(
                "You wrote this draft (started it or saved it last): its approval must come from "
                "another HR user."
            )
        )
    earlier = next((a for a in counted(draft) if a.approver == actor), None)
    if earlier is not None:
        local = to_local(earlier.approved_at)
        raise DraftError(
            gettext(
                "You approved this draft already, at %(time)s on %(day)s.",
                time=format_time(local),
                day=format_date(local.date()),
            )
        )
    # A no-op write on the draft's row, conditional on the draft as it was read: it
    # takes the row's lock, so a save at the same moment either came first (and this
    # finds no row) or waits and then removes this approval with the others.
    locked = session.execute(
        sa.update(PolicyDraft)
        .where(PolicyDraft.id == draft.id, PolicyDraft.updated_at == draft.updated_at)
        .values(updated_at=PolicyDraft.updated_at)
        .execution_options(synchronize_session=False)
    )
    if rowcount(locked) != 1:
        session.rollback()
        raise DraftConflict(
            gettext("The draft was saved or published a moment ago. Nothing was approved."),
            get_draft(draft_id),
        )
    session.execute(
        sa.delete(DraftApproval)
        .where(DraftApproval.draft_id == draft.id, DraftApproval.approver == actor)
        .execution_options(synchronize_session=False)
    )
    sha = text_sha256(publishable_text(draft.body_markdown))
    approval = DraftApproval(
        draft_id=draft.id,
        approver=actor,
        approved_at=utcnow(),
        revision=seen_revision,
        text_sha256=sha,
        comment=comment,
    )
    session.add(approval)
    detail = f"{_describe(draft)}, text SHA-256 {sha}"
    if comment:
        detail += f"; comment: {comment}"
    session.add(HREvent(actor=actor, action="draft.approve", detail=detail))
    session.commit()
    return approval


def clear_approvals(draft_id: int) -> int:
    """Remove every approval of the draft (in the caller's transaction); how many there were."""
    gone = current_smattest.db.session.execute(
        sa.delete(DraftApproval)
        .where(DraftApproval.draft_id == draft_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(gone)


def approvers_line(draft: PolicyDraft) -> str:
    """The approvers for the publish event: "approved by Ana Ruiz (a2), Ben Ode (b7)", or ""."""
    approvals = counted(draft)
    if not approvals:
        return ""
    names = names_of(a.approver for a in approvals)
    return "approved by " + ", ".join(
        f"{names.get(a.approver, 'HR user')} ({a.approver})" for a in approvals
    )


def known_person(external_id: str) -> Staff | None:
    """The active person with ``external_id``, for a command's ``--actor``."""
    return current_smattest.db.session.scalar(
        sa.select(Staff).where(Staff.external_id == external_id, Staff.active)
    )
