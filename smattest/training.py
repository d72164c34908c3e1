"""Taking a course: quiz attempts in a shuffled order, scoring, and completions."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

import smattest.evidence.chain as evidence

from .db import rowcount, utcnow
from .i18n import format_date, gettext, lazy_gettext, ngettext
from .models import (
    COURSE,
    Course,
    CourseVersion,
    Question,
    QuizAttempt,
    Reminder,
    Staff,
    TrainingCompletion,
)
from .proxies import current_smattest
from .publishing.course_translations import languages_of
from .signals import send_after_commit, training_completed
from .state import current_app_object
from .timeutil import local_today, to_local

_random = random.SystemRandom()

#: A second submission of one attempt (a double click, the back button).
ALREADY_SUBMITTED = lazy_gettext("This attempt was already submitted. Start a new attempt to try again.")  # noqa: E501  # fmt: skip


class QuizError(ValueError):
    """A quiz submission is refused; the message tells the person why."""


@dataclass(frozen=True)
class Presented:
    """One question of an attempt as shown: its options in order, each with its opaque id.

    The ids are random per attempt, so the answers of one attempt (or the
    options' places in the course file) say nothing about another's.
    """

    question: Question
    #: (opaque id, index into ``question.options``), in the order shown.
    options: list[tuple[str, int]]


@dataclass(frozen=True)
class Lockout:
    """Someone has used the day's failed attempts at a course."""

    failed_today: int
    allowed: int
    #: When the next attempt opens: the start of the next day, in SMATTEST_TIMEZONE.
    opens_at: dt.datetime


def draw(questions: list[Question], count: int | None) -> list[Question]:
    """``count`` questions (all when None) at random, as evenly spread over topics as they go.

    Topics take turns in a random order, each giving one random question of
    its own per turn, so 8 questions from 4 topics are 2 from each.
    """
    by_topic: dict[str | None, list[Question]] = {}
    for question in questions:
        by_topic.setdefault(question.topic, []).append(question)
    pools = list(by_topic.values())
    for pool in pools:
        _random.shuffle(pool)
    _random.shuffle(pools)
    wanted = len(questions) if count is None else min(count, len(questions))
    picked: list[Question] = []
    while len(picked) < wanted:
        for pool in pools:
            if pool and len(picked) < wanted:
                picked.append(pool.pop())
    _random.shuffle(picked)
    return picked


def _option_ids(count: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < count:
        ids.add("o" + secrets.token_hex(4))  # never a bare number, like a position
    return list(ids)


def failed_today(staff: Staff, course: Course) -> int:
    """How many attempts at ``course`` (any version) ``staff`` failed today, locally."""
    day_start = dt.datetime.combine(local_today(), dt.time(), current_smattest.timezone)
    return (
        current_smattest.db.session.scalar(
            sa.select(sa.func.count())
            .select_from(QuizAttempt)
            .join(CourseVersion, CourseVersion.id == QuizAttempt.course_version_id)
            .where(
                QuizAttempt.staff_id == staff.id,
                CourseVersion.course_id == course.id,
                QuizAttempt.passed.is_(False),
                QuizAttempt.submitted_at >= day_start.astimezone(dt.UTC),
            )
        )
        or 0
    )


def lockout(staff: Staff, course: Course) -> Lockout | None:
    """The lockout ``staff`` is under for ``course`` today, or None when they may start.

    Only failed attempts count, at any version of the course, from the start
    of today in SMATTEST_TIMEZONE; the limit is the newest version's.
    """
    allowed = course.versions[-1].max_attempts
    failed = failed_today(staff, course)
    if failed < allowed:
        return None
    tomorrow = local_today() + dt.timedelta(days=1)
    opens_at = dt.datetime.combine(tomorrow, dt.time(), current_smattest.timezone)
    return Lockout(failed_today=failed, allowed=allowed, opens_at=opens_at.astimezone(dt.UTC))


def stuck_today(staff_ids: list[int]) -> dict[int, set[int]]:
    """Of ``staff_ids``, who has used today's failed attempts, and at which course ids.

    One query for a page of the people table, not one per person.
    """
    if not staff_ids:
        return {}
    session = current_smattest.db.session
    day_start = dt.datetime.combine(local_today(), dt.time(), current_smattest.timezone)
    failed = session.execute(
        sa.select(QuizAttempt.staff_id, CourseVersion.course_id, sa.func.count())
        .join(CourseVersion, CourseVersion.id == QuizAttempt.course_version_id)
        .where(
            QuizAttempt.staff_id.in_(staff_ids),
            QuizAttempt.passed.is_(False),
            QuizAttempt.submitted_at >= day_start.astimezone(dt.UTC),
        )
        .group_by(QuizAttempt.staff_id, CourseVersion.course_id)
    ).all()
    if not failed:
        return {}
    newest = (
        sa.select(CourseVersion.course_id, sa.func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    allowed = dict(
        session.execute(
            sa.select(CourseVersion.course_id, CourseVersion.max_attempts).join(
                newest,
                sa.and_(
                    newest.c.course_id == CourseVersion.course_id,
                    newest.c.number == CourseVersion.number,
                ),
            )
        ).all()
    )
    stuck: dict[int, set[int]] = {}
    for staff_id, course_id, count in failed:
        if count >= allowed.get(course_id, 3):
            stuck.setdefault(staff_id, set()).add(course_id)
    return stuck


def open_attempt(staff: Staff, course: Course) -> QuizAttempt | None:
    """``staff``'s unsubmitted attempt at the newest version of ``course``, if any."""
    return current_smattest.db.session.scalar(
        sa.select(QuizAttempt)
        .where(
            QuizAttempt.staff_id == staff.id,
            QuizAttempt.course_version_id == course.versions[-1].id,
            QuizAttempt.submitted_at.is_(None),
        )
        .order_by(QuizAttempt.id.desc())
        .limit(1)
    )


def start_attempt(staff: Staff, course: Course, language: str | None = None) -> QuizAttempt:
    """An attempt at the newest version of ``course``: its own draw, order and option ids.

    ``language`` is the language the quiz is shown in (one the version offers, else
    None: its own); a passed attempt's completion records it.

    An attempt already open is returned instead of a new one, so starting
    again does not draw other questions. Raises :class:`QuizError` when the
    person is inactive or has used the day's failed attempts.
    """
    if not staff.active:
        raise QuizError(gettext("Your compliance record is marked inactive. Please contact HR."))
    existing = open_attempt(staff, course)
    if existing is not None:
        return existing
    locked = lockout(staff, course)
    if locked is not None:
        raise QuizError(lockout_message(locked))
    version = course.versions[-1]
    presented = []
    for question in draw(list(version.questions), version.questions_per_attempt):
        order = list(range(len(question.options)))
        _random.shuffle(order)
        ids = _option_ids(len(order))
        presented.append(
            {"question": question.id, "options": [list(p) for p in zip(ids, order, strict=True)]}
        )
    shown_in = language if language in languages_of(version) else None
    attempt = QuizAttempt(
        staff_id=staff.id, course_version_id=version.id, presented=presented, language=shown_in
    )
    current_smattest.db.session.add(attempt)
    current_smattest.db.session.commit()
    return attempt


def lockout_message(locked: Lockout) -> str:
    """What a person who has used the day's attempts reads: when it reopens, whom to ask."""
    opens, contact = to_local(locked.opens_at), current_app_object().config["SMATTEST_HELP_CONTACT"]
    used = ngettext(
        "You have used today's %(num)s attempt at this quiz.",
        "You have used today's %(num)s attempts at this quiz.",
        locked.allowed,
    )
    when = {"time": f"{opens:%H:%M}", "day": format_date(opens.date())}
    return " ".join((
        used,
        gettext("The next attempt opens at %(time)s on %(day)s.", **when),
        gettext("Until then, re-read the sections named in your last result."),
        gettext("If you are stuck, ask %(contact)s.", contact=contact),
    ))  # fmt: skip


def course_version_of(attempt: QuizAttempt) -> CourseVersion:
    """The course version ``attempt`` was taken at."""
    version = current_smattest.db.session.get(CourseVersion, attempt.course_version_id)
    assert version is not None  # a foreign key
    return version


def attempt_of(staff: Staff, attempt_id: int) -> QuizAttempt | None:
    """One of ``staff``'s own attempts, or None."""
    return current_smattest.db.session.scalar(
        sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id, QuizAttempt.staff_id == staff.id)
    )


def questions_of(attempt: QuizAttempt) -> list[Presented]:
    """The attempt's questions with their options' order and ids, as the person saw them."""
    by_id = {
        q.id: q
        for q in current_smattest.db.session.scalars(
            sa.select(Question).where(Question.course_version_id == attempt.course_version_id)
        )
    }
    shown = []
    for item in attempt.presented:
        # Attempts started before option ids existed stored bare indexes.
        options = [
            (str(o), o) if isinstance(o, int) else (str(o[0]), int(o[1])) for o in item["options"]
        ]
        shown.append(Presented(by_id[item["question"]], options))
    return shown


def chosen_indexes(attempt: QuizAttempt, choices: dict[int, list[str]]) -> dict[int, list[int]]:
    """Question id → option indexes, from the option ids a form sent for ``attempt``.

    Raises :class:`QuizError` for a question or option id this attempt did
    not show (an id from another attempt, or a made-up one).
    """
    shown = {p.question.id: dict(p.options) for p in questions_of(attempt)}
    answers: dict[int, list[int]] = {}
    for question_id, ids in choices.items():
        options = shown.get(question_id)
        if options is None or not all(i in options for i in ids):
            raise QuizError(
                gettext(
                    "The answers do not match the questions of this attempt. Nothing was "
                    "recorded: please start a new attempt."
                )
            )
        answers[question_id] = [options[i] for i in ids]
    return answers


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
        raise QuizError(gettext("This quiz attempt does not exist."))
    if attempt.submitted_at is not None:
        raise QuizError(ALREADY_SUBMITTED)
    session.refresh(staff)
    if not staff.active:
        raise QuizError(
            gettext(
                "Your compliance record is now inactive, so this quiz was not recorded. "
                "If this is wrong, please contact HR."
            )
        )
    presented = {p.question.id: (p.question, p.options) for p in questions_of(attempt)}
    strangers = sorted(set(answers) - set(presented))
    if strangers:
        raise QuizError(
            gettext(
                "The answers do not match the questions of this attempt. Nothing was recorded: "
                "please start a new attempt."
            )
        )
    for question_id, chosen in answers.items():
        options = presented[question_id][0].options
        if not all(0 <= i < len(options) for i in chosen) or len(set(chosen)) != len(chosen):
            raise QuizError(
                gettext("An answer names an option that does not exist. Nothing was recorded.")
            )
    right = sum(
        1 for qid, (q, _) in presented.items() if sorted(answers.get(qid, [])) == sorted(q.correct)
    )
    score = round(100 * right / len(presented))
    version = session.get(CourseVersion, attempt.course_version_id)
    assert version is not None  # the attempt's foreign key
    passed = score >= version.pass_mark
    staff_id, course_version_id, content = staff.id, version.id, version.stored_sha256
    attempt_language = attempt.language
    course_id = version.course_id

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
        raise QuizError(ALREADY_SUBMITTED)
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
            language=attempt_language,
        )
        assert head is not None  # locked above when passed
        evidence.link(head, completion)
        session.flush()
        # The receipt goes out through the outbox, planned in the same transaction as
        # the completion, as a signature's does.
        session.add(
            Reminder(
                staff_id=staff_id,
                requirement_kind=COURSE,
                requirement_id=course_id,
                cycle_due=local_today(),
                stage=course_receipt_stage(completion.id),
                status="pending",
                attempts=0,
            )
        )
    session.commit()
    session.refresh(attempt)
    if completion is not None:
        send_after_commit(training_completed, current_app_object(), completion=completion)
    return Result(attempt, completion)


#: The outbox stage of a course receipt: ``rcpt:c<completion id>``. It starts like a
#: signature's (``rcpt:<attestation id>``), so the receipt job sends both.
COURSE_RECEIPT_STAGE = "rcpt:c"


def course_receipt_stage(completion_id: int) -> str:
    """The outbox stage of the receipt for training completion ``completion_id``."""
    return f"{COURSE_RECEIPT_STAGE}{completion_id}"
