"""The data model: staff, policies, evidence, training, exemptions, reminders.

Evidence rows (``Attestation``, ``TrainingCompletion``) are append-only: the
application never updates or deletes them. Each carries ``chain_seq``,
``prev_hash`` and ``record_hash``, one chain across the evidence tables (with
``IdentityLink`` in :mod:`smattest.identity_models`), whose head is
kept in ``ChainHead`` so an auditor can prove nothing was edited or removed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .chain_models import AtTheTime, Checkpoint, ExemptionEnd, SealedDevice, SealedReason
from .db import Base, JSONText, UTCDateTime, utcnow
from .due_models import DueDate, DueState
from .records import Retirable, VersionWithdrawal

__all__ = [
    "Checkpoint",
    "DueDate",
    "DueState",
    "ExemptionEnd",
]  # re-exported: every model is in smattest.models

#: Requirement kinds: a policy to attest to, or a course to complete.
POLICY = "policy"
COURSE = "course"


class Staff(Base):
    """A person who owes compliance, linked to the host user by ``external_id``.

    Leavers are deactivated, never deleted: their evidence must stay readable.
    """

    __tablename__ = "smattest_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    manager_email: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    hire_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    #: Roster groups in lower case, sorted, joined by ``;`` (see :mod:`smattest.membership`).
    groups: Mapped[str | None] = mapped_column(sa.String(500))
    #: Listed by a roster import: a sign-in fills only the fields the roster left empty.
    roster_managed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Staff {self.external_id} {self.full_name!r}>"


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
    #: The sanitised HTML snapshot employees read.
    body_html: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of ``body_markdown`` (UTF-8): what an attestation proves was read.
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: False for a minor edit that changes nobody's status.
    requires_reattestation: Mapped[bool] = mapped_column(default=True)
    effective_date: Mapped[dt.date] = mapped_column(sa.Date)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(sa.String(64))
    policy: Mapped[Policy] = relationship(back_populates="versions")
    #: HR's withdrawal before it took effect (a row apart: a version never changes).
    withdrawal: Mapped[VersionWithdrawal | None] = relationship(lazy="selectin")


class ChainHead(Base):
    """The single row holding the evidence chain's last sequence number and hash.

    Appending evidence first updates this row, which serialises appends on
    every database (a row lock on PostgreSQL and MariaDB, the write lock on
    SQLite) and lets ``audit verify`` notice a removed last row.
    """

    __tablename__ = "smattest_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Attestation(AtTheTime, SealedReason, SealedDevice, Base):
    """Evidence that a person attested to one policy version. Append-only."""

    __tablename__ = "smattest_attestation"
    __table_args__ = (
        sa.Index("ix_smattest_attestation_staff", "staff_id", "policy_version_id", "attested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    policy_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_policy_version.id"))
    attested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(sa.String(200))
    #: ``self``, ``on_behalf`` (with reason and recorder) or ``import``.
    method: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(64))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    #: SHA-256 of the version's text (format 2 hashes it as ``content_sha256``).
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    version_number: Mapped[int | None]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    staff: Mapped[Staff] = relationship()
    policy_version: Mapped[PolicyVersion] = relationship()


class Course(Retirable, Base):
    """A refresher training, versioned by re-import."""

    __tablename__ = "smattest_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    refresh_every_months: Mapped[int] = mapped_column(default=12, server_default="12")
    policy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("smattest_policy.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number"
    )


class CourseVersion(Base):
    """One imported content of a course: sections, questions and pass mark."""

    __tablename__ = "smattest_course_version"
    __table_args__ = (sa.UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_course.id"))
    number: Mapped[int]
    pass_mark: Mapped[int] = mapped_column(default=80)
    #: How many questions one attempt asks, drawn at random (None: all of them).
    questions_per_attempt: Mapped[int | None]
    #: Failed attempts allowed per person per day (in SMATTEST_TIMEZONE).
    max_attempts: Mapped[int] = mapped_column(default=3, server_default="3")
    #: SHA-256 of the imported source, to tell a changed re-import from the same.
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 of the content as stored (sections, questions, pass mark), which
    #: ``audit verify`` recomputes: see :func:`smattest.courses.stored_sha256`.
    stored_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions")
    sections: Mapped[list[CourseSection]] = relationship(order_by="CourseSection.position")
    questions: Mapped[list[Question]] = relationship(order_by="Question.position")


class CourseSection(Base):
    """An ordered section of course content, in Markdown with its safe HTML."""

    __tablename__ = "smattest_course_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("smattest_course_version.id"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)


class Question(Base):
    """A single- or multiple-choice question with its options and explanation."""

    __tablename__ = "smattest_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("smattest_course_version.id"), index=True
    )
    position: Mapped[int]
    #: ``single`` or ``multiple``.
    kind: Mapped[str] = mapped_column(sa.String(10))
    prompt: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[str]] = mapped_column(JSONText)
    #: Indexes into ``options`` of the correct answers.
    correct: Mapped[list[int]] = mapped_column(JSONText)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    #: What the question is about; an attempt's draw is balanced across topics.
    topic: Mapped[str | None] = mapped_column(sa.String(80))
    #: The position of the course section that teaches it (to re-read after a miss).
    section: Mapped[int | None]


class QuizAttempt(Base):
    """One try at a course's quiz, in the shuffled order it was shown."""

    __tablename__ = "smattest_quiz_attempt"
    __table_args__ = (sa.Index("ix_smattest_quiz_attempt_staff", "staff_id", "course_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_course_version.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Question ids and, per question, option indexes in the order shown.
    presented: Mapped[list[dict[str, Any]]] = mapped_column(JSONText)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, list[int]] | None] = mapped_column(JSONText)
    score: Mapped[int | None]
    passed: Mapped[bool | None]


class TrainingCompletion(AtTheTime, SealedReason, Base):
    """Evidence that a person completed a course version. Append-only."""

    __tablename__ = "smattest_training_completion"
    __table_args__ = (
        sa.Index(
            "ix_smattest_training_completion_staff", "staff_id", "course_version_id", "completed_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_seq: Mapped[int] = mapped_column(unique=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    course_version_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_course_version.id"))
    quiz_attempt_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("smattest_quiz_attempt.id"), unique=True
    )
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    score: Mapped[int | None]
    method: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: Format 1: the version's ``content_sha256``; format 2: its ``stored_sha256``.
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    version_number: Mapped[int | None]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    record_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    staff: Mapped[Staff] = relationship()
    course_version: Mapped[CourseVersion] = relationship()


class Exemption(AtTheTime, SealedReason, Base):
    """HR's decision that a person owes a requirement nothing until a date.

    The grant is an evidence row in the chain; ending it early is another
    (:class:`ExemptionEnd`). ``ended_at``/``ended_by`` repeat the end for
    pages; the rule reads the chained end.
    """

    __tablename__ = "smattest_exemption"
    __table_args__ = (
        sa.Index("ix_smattest_exemption_staff", "staff_id", "requirement_kind", "requirement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    requirement_kind: Mapped[str] = mapped_column(sa.String(10))
    requirement_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    #: Last day covered; None for open-ended.
    until: Mapped[dt.date | None] = mapped_column(sa.Date)
    granted_by: Mapped[str] = mapped_column(sa.String(64))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(sa.String(64))
    #: None only for a row that never joined the chain (it counts for nothing).
    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    record_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)


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
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    requires_reattestation: Mapped[bool] = mapped_column(default=True)
    effective_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    policy: Mapped[Policy | None] = relationship()


class HREvent(Base):
    """Who in HR did what, and when: roster imports, exemptions, drafts, publishing.

    Evidence of the people's own acts is in the hash chain; this log records
    HR's acts around it, for the person page and for an auditor's questions.
    """

    __tablename__ = "smattest_hr_event"
    __table_args__ = (sa.Index("ix_smattest_hr_event_staff", "staff_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The host user id of the HR person, or ``cli`` for a command.
    actor: Mapped[str] = mapped_column(sa.String(64))
    #: e.g. ``roster.import``, ``exemption.grant``, ``exemption.end``,
    #: ``attestation.on_behalf``, ``draft.create``, ``policy.publish``.
    action: Mapped[str] = mapped_column(sa.String(40))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("smattest_staff.id"))
    detail: Mapped[str] = mapped_column(sa.Text, default="")


def in_chain(position: Any) -> sa.ColumnElement[bool]:
    """Whether an evidence row's ``chain_seq`` is inside the chain, 1 to the head.

    Only such rows count, for the rule, the pages, the receipts and the
    exports: a row inserted by SQL outside the chain's positions changes
    nobody's status (and ``audit verify`` names it).
    """
    head = sa.select(ChainHead.last_seq).where(ChainHead.id == 1).scalar_subquery()
    return sa.and_(position >= 1, position <= head)


@sa.event.listens_for(ChainHead.__table__, "after_create")
def _insert_chain_head(target: sa.Table, connection: sa.Connection, **kw: object) -> None:
    """``create_all`` (tests, quick starts) gets the head row the migration inserts."""
    connection.execute(target.insert().values(id=1, last_seq=0, last_hash=""))
