"""The question bank's weak spots: per quiz question, how often it was shown and answered wrong.

Counted from submitted quiz attempts (:class:`~smattest.models.QuizAttempt`),
per course version, because a re-imported course has new questions: an
attempt counts for the version it was taken at. A question is *shown* once per
submitted attempt that drew it, and *answered wrong* when the options chosen
are not exactly its correct ones, as the quiz's score counts it
(:func:`smattest.training.submit`): a question left unanswered is wrong. An
attempt started and never submitted is not counted (nobody answered it).

Questions are listed worst first: by the share answered wrong, then by how
many times wrong, then in the course's order; a question never shown comes
last. The attempts are read as a stream, a thousand at a time, so memory stays
flat whatever their number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from ..i18n import gettext
from ..models import Course, CourseSection, CourseVersion, Question, QuizAttempt
from ..proxies import current_smattest
from .exports import BATCH, Export, csv_text, record_export

QUESTION_COLUMNS = (
    "course", "course_title", "version", "question_number", "question", "section_number",
    "section", "shown", "wrong", "share_wrong",
)  # fmt: skip


class QuestionsError(LookupError):
    """No such course or course version; the message says which exist."""


@dataclass(frozen=True)
class QuestionCounts:
    """One question of one course version: how often shown and answered wrong."""

    question: Question
    #: The title of the section that teaches it (None when the question names none).
    section_title: str | None
    shown: int
    wrong: int

    @property
    def share_wrong(self) -> float | None:
        """Wrong answers as a share of times shown (0 to 1), None when never shown."""
        return self.wrong / self.shown if self.shown else None

    @property
    def percent_label(self) -> str:
        share = self.share_wrong
        return "—" if share is None else f"{100 * share:.0f}%"


@dataclass(frozen=True)
class VersionQuestions:
    """A course version's questions, worst first, and how many attempts were counted."""

    course: Course
    version: CourseVersion
    attempts: int
    questions: list[QuestionCounts]


def _worst_first(counts: QuestionCounts) -> tuple[int, float, int, int]:
    share = counts.share_wrong
    return (share is None, -(share or 0.0), -counts.wrong, counts.question.position)


def version_questions(version: CourseVersion) -> VersionQuestions:
    """Every question of ``version`` with its counts, worst first."""
    session = current_smattest.db.session
    questions = session.scalars(
        sa.select(Question).where(Question.course_version_id == version.id)
    ).all()
    sections = dict(
        session.execute(
            sa.select(CourseSection.position, CourseSection.title).where(
                CourseSection.course_version_id == version.id
            )
        ).all()
    )
    correct = {q.id: sorted(q.correct) for q in questions}
    shown = dict.fromkeys(correct, 0)
    wrong = dict.fromkeys(correct, 0)
    attempts = 0
    query = (
        sa.select(QuizAttempt.presented, QuizAttempt.answers)
        .where(QuizAttempt.course_version_id == version.id, QuizAttempt.submitted_at.is_not(None))
        .execution_options(yield_per=BATCH)
    )
    with session.execute(query) as result:
        for presented, answers in result:
            attempts += 1
            answers = answers or {}
            for item in presented:
                question_id = item["question"]
                if question_id not in shown:
                    continue  # a question since removed from the version: cannot happen
                shown[question_id] += 1
                if sorted(answers.get(str(question_id), [])) != correct[question_id]:
                    wrong[question_id] += 1
    counts = [
        QuestionCounts(
            q, sections.get(q.section) if q.section is not None else None, shown[q.id], wrong[q.id]
        )
        for q in questions
    ]
    return VersionQuestions(version.course, version, attempts, sorted(counts, key=_worst_first))


def find_version(slug: str, number: int | None = None) -> CourseVersion:
    """Course ``slug``'s version ``number`` (default its newest); :class:`QuestionsError`."""
    session = current_smattest.db.session
    course = session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None or not course.versions:
        raise QuestionsError(gettext("There is no course %(slug)s.", slug=repr(slug)))
    if number is None:
        return course.versions[-1]
    version = next((v for v in course.versions if v.number == number), None)
    if version is None:
        numbers = ", ".join(str(v.number) for v in course.versions)
        raise QuestionsError(
            gettext(
                "%(title)s has no version %(number)s; it has %(numbers)s.",
                title=course.title,
                number=number,
                numbers=numbers,
            )
        )
    return version


def every_version() -> list[CourseVersion]:
    """Every course version, by course slug then version number."""
    return list(
        current_smattest.db.session.scalars(
            sa.select(CourseVersion)
            .join(Course, Course.id == CourseVersion.course_id)
            .order_by(Course.slug, CourseVersion.number)
        )
    )


def question_rows() -> Iterator[tuple[object, ...]]:
    """One row of :data:`QUESTION_COLUMNS` per question of every course version, worst first."""
    for version in every_version():
        found = version_questions(version)
        for counts in found.questions:
            share = counts.share_wrong
            yield (
                found.course.slug, found.course.title, version.number, counts.question.position,
                counts.question.prompt, counts.question.section, counts.section_title or "",
                counts.shown, counts.wrong, "" if share is None else f"{share:.4f}",
            )  # fmt: skip


def questions_export(*, actor: str, record: bool = True) -> Export:
    """The questions file to stream, recorded as an HR event (``export.questions``)."""
    if record:
        record_export("export.questions", actor, "every course version")
    export = Export("smattest-questions.csv", iter(()))
    export.chunks = csv_text(QUESTION_COLUMNS, question_rows(), export)
    return export
