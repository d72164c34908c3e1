"""Taking a course: quiz attempts in a shuffled order, scoring, and completions."""

from __future__ import annotations

import random
from dataclasses import dataclass

import sqlalchemy as sa

from . import evidence
from .db import rowcount, utcnow
from .models import (
    Course,
    CourseVersion,
    Question,
    QuizAttempt,
    Staff,
    TrainingCompletion,
    in_chain,
)
from .proxies import current_smattest
from .signals import send_after_commit, training_completed
from .state import current_app_object

_shuffle = random.SystemRandom().shuffle


class QuizError(ValueError):
    """A quiz submission is refused; the message tells the person why."""


def start_attempt(staff: Staff, course: Course) -> QuizAttempt:
    """A new attempt at the newest version of ``course``, questions and options shuffled."""
    if not staff.active:
        raise QuizError("Your compliance record is marked inactive. Please contact HR.")
    version = course.versions[-1]
    presented = []
    for question in version.questions:
        order = list(range(len(question.options)))
        _shuffle(order)
        presented.append({"question": question.id, "options": order})
    _shuffle(presented)
    attempt = QuizAttempt(staff_id=staff.id, course_version_id=version.id, presented=presented)
    current_smattest.db.session.add(attempt)
    current_smattest.db.session.commit()
    return attempt


def attempt_of(staff: Staff, attempt_id: int) -> QuizAttempt | None:
    """One of ``staff``'s own attempts, or None."""
    return current_smattest.db.session.scalar(
        sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id, QuizAttempt.staff_id == staff.id)
    )


def questions_of(attempt: QuizAttempt) -> list[tuple[Question, list[int]]]:
    """The attempt's questions with their option order, as the person saw them."""
    by_id = {
        q.id: q
        for q in current_smattest.db.session.scalars(
            sa.select(Question).where(Question.course_version_id == attempt.course_version_id)
        )
    }
    return [(by_id[item["question"]], item["options"]) for item in attempt.presented]


@dataclass(frozen=True)
class Result:
    """A submitted attempt, and the completion it earned if it passed."""

    attempt: QuizAttempt
    completion: TrainingCompletion | None


def submit(staff: Staff, attempt_id: int, answers: dict[int, list[int]]) -> Result:
    """Score an attempt once; a pass records a training completion in the evidence chain.

    ``answers`` maps question id to the chosen option indexes. Answers to
    questions not in the attempt, options that do not exist, or a second
    submission of the same attempt are refused with :class:`QuizError`.
    """
    session = current_smattest.db.session
    attempt = attempt_of(staff, attempt_id)
    if attempt is None:
        raise QuizError("This quiz attempt does not exist.")
    if attempt.submitted_at is not None:
        raise QuizError("This attempt was already submitted. Start a new attempt to try again.")
    session.refresh(staff)
    if not staff.active:
        raise QuizError(
            "Your compliance record is now inactive, so this quiz was not recorded. "
            "If this is wrong, please contact HR."
        )
    presented = {q.id: (q, order) for q, order in questions_of(attempt)}
    strangers = sorted(set(answers) - set(presented))
    if strangers:
        raise QuizError(
            "The answers do not match the questions of this attempt. Nothing was recorded: "
            "please start a new attempt."
        )
    for question_id, chosen in answers.items():
        options = presented[question_id][0].options
        if not all(0 <= i < len(options) for i in chosen) or len(set(chosen)) != len(chosen):
            raise QuizError("An answer names an option that does not exist. Nothing was recorded.")
    right = sum(
        1 for qid, (q, _) in presented.items() if sorted(answers.get(qid, [])) == sorted(q.correct)
    )
    score = round(100 * right / len(presented))
    version = session.get(CourseVersion, attempt.course_version_id)
    assert version is not None  # the attempt's foreign key
    passed = score >= version.pass_mark
    staff_id, course_version_id, content = staff.id, version.id, version.stored_sha256

    head = evidence.lock_chain() if passed else None
    now = utcnow()
    claimed = session.execute(
        sa.update(QuizAttempt)
        .where(QuizAttempt.id == attempt_id, QuizAttempt.submitted_at.is_(None))
        .values(
            submitted_at=now,
            answers={str(k): sorted(v) for k, v in answers.items()},
            score=score,
            passed=passed,
        )
    )
    if rowcount(claimed) != 1:
        session.rollback()
        raise QuizError("This attempt was already submitted. Start a new attempt to try again.")
    completion = None
    if passed:
        completion = TrainingCompletion(
            staff_id=staff_id,
            course_version_id=course_version_id,
            quiz_attempt_id=attempt_id,
            completed_at=now,
            score=score,
            method="quiz",
            content_sha256=content,
        )
        assert head is not None  # locked above when passed
        evidence.link(head, completion)
    session.commit()
    session.refresh(attempt)
    if completion is not None:
        send_after_commit(training_completed, current_app_object(), completion=completion)
    return Result(attempt, completion)


def completions_of(staff: Staff) -> list[TrainingCompletion]:
    """Every course ``staff`` completed, newest first."""
    return list(
        current_smattest.db.session.scalars(
            sa.select(TrainingCompletion)
            .where(TrainingCompletion.staff_id == staff.id, in_chain(TrainingCompletion.chain_seq))
            .order_by(TrainingCompletion.completed_at.desc())
        )
    )
