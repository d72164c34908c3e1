"""Course pages: read the sections, take the quiz, see the result."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

import smattest.rule.compliance as compliance

from ..i18n import choose_language, gettext
from ..models import COURSE, Course, QuizAttempt
from ..people.own_records import completion_of
from ..publishing import course_translations as translated
from ..publishing.courses import get_course
from ..training import (
    Presented,
    QuizError,
    attempt_of,
    chosen_indexes,
    course_version_of,
    failed_today,
    lockout,
    lockout_message,
    open_attempt,
    questions_of,
    start_attempt,
    submit,
)
from .access import login_required
from .base import blueprint, current_staff
from .forms import CSRFOnlyForm, Problem

log = logging.getLogger("smattest.views")


def _course_or_404(slug: str) -> Course:
    course = get_course(slug)
    if course is None or not course.versions:
        abort(404)
    return course


@blueprint.get("/courses/<slug>")
@login_required
def course(slug: str) -> ResponseReturnValue:
    """The newest version's sections, then the way into the quiz (or when it reopens)."""
    course = _course_or_404(slug)
    staff = current_staff()
    standing = compliance.standing(staff, COURSE, course.id)
    version = course.versions[-1]
    language = choose_language(translated.languages_of(version), request.args.get("lang"))
    return render_template(
        "smattest/course.html",
        course=course,
        version=version,
        language=language,
        languages=translated.languages_of(version),
        title=translated.title_in(version, language),
        sections=[translated.SectionIn(s, language) for s in version.sections],
        form=CSRFOnlyForm(),
        not_required=staff.active and standing is None,
        locked=lockout(staff, course),
        lockout_message=lockout_message,
        resuming=open_attempt(staff, course),
        attempts_left=course.versions[-1].max_attempts - failed_today(staff, course),
    )


@blueprint.post("/courses/<slug>/attempts")
@login_required
def course_start(slug: str) -> ResponseReturnValue:
    """Start a new attempt, in its own draw and order (or go back to the one open)."""
    course = _course_or_404(slug)
    if not CSRFOnlyForm().validate():
        flash(gettext("This page had expired. Please start the quiz again."), "error")
        return redirect(url_for("smattest.course", slug=slug))
    try:
        version = course.versions[-1]
        language = choose_language(translated.languages_of(version), request.form.get("language"))
        attempt = start_attempt(current_staff(), course, language)
    except QuizError as error:
        flash(str(error), "error")
        return redirect(url_for("smattest.course", slug=slug, _anchor="smattest-quiz"), 303)
    return redirect(url_for("smattest.quiz", slug=slug, attempt_id=attempt.id), 303)


@blueprint.route("/courses/<slug>/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def quiz(slug: str, attempt_id: int) -> ResponseReturnValue:
    """The quiz of one attempt; after submitting, its result."""
    course = _course_or_404(slug)
    staff = current_staff()
    email = staff.email  # read before any commit
    attempt = attempt_of(staff, attempt_id)
    if attempt is None or attempt.course_version_id not in {v.id for v in course.versions}:
        abort(404)
    form = CSRFOnlyForm()
    problems: list[Problem] = []
    choices = _choices(request.form) if request.method == "POST" else {}
    presented = [
        Presented(translated.QuestionIn(p.question, attempt.language), p.options)  # type: ignore[arg-type]
        for p in questions_of(attempt)
    ]
    status = 200
    if request.method == "POST":
        try:
            if not form.validate():
                raise QuizError(
                    gettext("This page had expired. Nothing was recorded: please submit again.")
                )
            if attempt.submitted_at is None:
                problems = _unanswered(presented, choices)
            if not problems:
                result = submit(staff, attempt_id, chosen_indexes(attempt, choices))
        except QuizError as error:
            problems = [(None, str(error))]
        if problems:
            status = 400
        else:
            if result.completion is not None:
                flash(
                    gettext("You passed. Your training is recorded.")
                    + (
                        " " + gettext("A copy of your receipt is on its way to your email.")
                        if email
                        else ""
                    ),
                    "success",
                )
            return redirect(url_for("smattest.quiz", slug=slug, attempt_id=attempt_id), 303)
    if attempt.submitted_at is None:
        return render_template(
            "smattest/quiz.html",
            course=course,
            attempt=attempt,
            questions=presented,
            chosen=choices,
            form=form,
            problems=problems,
            language=attempt.language,
            title=translated.title_in(course_version_of(attempt), attempt.language),
        ), status  # fmt: skip
    version = course_version_of(attempt)
    locked = None if attempt.passed else lockout(staff, course)
    return render_template(
        "smattest/quiz_result.html",
        course=course,
        version=version,
        attempt=attempt,
        questions=presented,
        chosen=_chosen(attempt),
        sections={s.position: translated.SectionIn(s, attempt.language)
                  for s in version.sections},  # fmt: skip
        language=attempt.language,
        title=translated.title_in(version, attempt.language),
        form=form,
        problems=problems,
        locked=locked,
        lockout_message=lockout_message,
        attempts_left=version.max_attempts - failed_today(staff, course),
        completion=completion_of(attempt) if attempt.passed else None,
    ), status  # fmt: skip


def _choices(form: MultiDict[str, str]) -> dict[int, list[str]]:
    """Question id → the option ids chosen, from fields named q<question id>."""
    choices: dict[int, list[str]] = {}
    for name in form:
        if name.startswith("q") and name[1:].isdigit():
            choices[int(name[1:])] = form.getlist(name)
    return choices


def _unanswered(presented: list[Presented], choices: dict[int, list[str]]) -> list[Problem]:
    """One problem per question left unanswered, linked to its first option."""
    return [
        (
            f"q{p.question.id}-{p.options[0][0]}",
            gettext(
                "Question %(number)s is not answered: %(prompt)s",
                number=n,
                prompt=_short(p.question.prompt),
            ),
        )
        for n, p in enumerate(presented, 1)
        if not choices.get(p.question.id)
    ]


def _short(prompt: str, limit: int = 90) -> str:
    """A question's prompt, cut at a word near ``limit`` characters for the error summary."""
    if len(prompt) <= limit:
        return prompt
    return prompt[:limit].rsplit(" ", 1)[0] + "…"


def _chosen(attempt: QuizAttempt) -> dict[int, list[int]]:
    return {int(k): v for k, v in (attempt.answers or {}).items()}
