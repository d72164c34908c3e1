"""Policies, their published versions (never changed once published) and HR's drafts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..markdown import rendered
from .lifecycle import Retirable, VersionWithdrawal


class Policy(Retirable, Base):
    """A policy that staff attest to, e.g. the social media policy."""

    __tablename__ = "smattest_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: How long an attestation keeps a person current.
    every_months: Mapped[int] = mapped_column(default=12, server_default="12")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The owner is reminded of the review date (None: 12 months after the latest version).
    owner_email: Mapped[str | None] = mapped_column(sa.String(255))
    review_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy", order_by="PolicyVersion.number"
    )


class PolicyVersion(Base):
    """One published text of a policy. A published version never changes."""

    __tablename__ = "smattest_policy_version"
    __table_args__ = (sa.UniqueConstraint("policy_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_policy.id"))
    number: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    #: The sanitised HTML rendered when it was published. Kept for the record, never
    #: served: pages show :attr:`html`, and ``audit verify`` names a stored copy that no
    #: longer matches its Markdown.
    body_html: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of ``body_markdown`` (UTF-8): what an attestation proves was read.
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: False for a minor edit that changes nobody's status.
    requires_reattestation: Mapped[bool] = mapped_column(default=True)
    effective_date: Mapped[dt.date] = mapped_column(sa.Date)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: Where a version in force before smattest was taken from ("the 2019 handbook, HR
    #: file 12"); None for versions published in smattest. Such a version is recorded
    #: after the fact: on ``published_at`` by ``published_by``, in force from
    #: ``effective_date``.
    historical_source: Mapped[str | None] = mapped_column(sa.String(500))
    policy: Mapped[Policy] = relationship(back_populates="versions")
    #: HR's withdrawal before it took effect (a row apart: a version never changes).
    withdrawal: Mapped[VersionWithdrawal | None] = relationship(lazy="selectin")

    @property
    def html(self) -> str:
        """What people read: rendered from the hashed Markdown, never the stored copy."""
        return rendered(self.body_markdown)


class PolicyDraft(Base):
    """HR's unpublished text of a policy's next version (or of a new policy).

    A draft is edited freely and either published, which turns it into an
    immutable :class:`PolicyVersion` and removes the draft, or discarded.
    """

    __tablename__ = "smattest_policy_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None while the draft is for a policy that does not exist yet.
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("smattest_policy.id"))
    #: Slug and title of a new policy (unused when ``policy_id`` is set).
    slug: Mapped[str | None] = mapped_column(sa.String(80))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    #: The text in other languages, published with it: a JSON object of language tag to
    #: Markdown (None: none).
    translations: Mapped[str | None] = mapped_column(sa.Text)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    requires_reattestation: Mapped[bool] = mapped_column(default=True)
    effective_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    policy: Mapped[Policy | None] = relationship()


class DraftApproval(Base):
    """An HR user other than the draft's author approving its text for publishing.

    ``SMATTEST_PUBLISH_APPROVALS`` says how many a draft needs. Any save of the
    draft removes its approvals (they approved a text that is no longer the
    draft's); publishing or discarding removes them with the draft, and HR's
    log keeps every approval as an ``draft.approve`` event.
    """

    __tablename__ = "smattest_draft_approval"
    __table_args__ = (sa.UniqueConstraint("draft_id", "approver"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        sa.ForeignKey("smattest_policy_draft.id", ondelete="CASCADE")
    )
    #: The approver's lasting id (``SMATTEST_USER_ID``).
    approver: Mapped[str] = mapped_column(sa.String(64))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The draft as approved (:func:`smattest.drafts.revision`): only an approval of
    #: the draft as it is now counts.
    revision: Mapped[str] = mapped_column(sa.String(32))
    #: The SHA-256 of the text approved, as it would be published.
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
