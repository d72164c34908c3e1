"""Refresher courses: versions, sections, questions, and the quiz attempts people make."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, JSONText, UTCDateTime, utcnow
from ..markdown import rendered
from .lifecycle import Retirable


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
    #: When the version took effect (the rule reads it): the import's time, or for a
    #: version in force before smattest, noon (local) of the day it took effect.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A version in force before smattest: where it was taken from, when and by whom it
    #: was recorded (all None for versions imported as new).
    historical_source: Mapped[str | None] = mapped_column(sa.String(500))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str | None] = mapped_column(sa.String(64))

    #: The course in other languages: language to ``{"title"}`` (None: only its own);
    #: its sections and questions carry theirs (see smattest.publishing.course_translations).
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
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
    #: The rendering stored at import: kept, never served (see :attr:`html`).
    body_html: Mapped[str] = mapped_column(sa.Text)
    #: Language to ``{"title", "body"}`` (None: only the course's own language).
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSONText)

    @property
    def html(self) -> str:
        """What people read: rendered from the hashed Markdown, never the stored copy."""
        return rendered(self.body_markdown)


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
    #: Language to ``{"prompt", "options", "explanation"}``: the same options, in order.
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSONText)


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
    #: The language the quiz was shown in (None: the course's own, before translations).
    language: Mapped[str | None] = mapped_column(sa.String(35))
