"""Course pages: read the sections, take the quiz, see the result."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from .. import compliance
from ..courses import get_course
from ..models import COURSE, Course, QuizAttempt
from ..training import QuizError, attempt_of, questions_of, start_attempt, submit
from .access import login_required
from .base import blueprint, current_staff
from .forms import CSRFOnlyForm


def _course_or_404(slug: str) -> Course:
    course = get_course(slug)
    if course is None or not course.versions:
        abort(404)
    return course


@blueprint.get("/courses/<slug>")
@login_required
def course(slug: str) -> ResponseReturnValue:
    """The newest version's sections, then the way into the quiz."""
    course = _course_or_404(slug)
    staff = current_staff()
    standing = compliance.standing_for(staff, COURSE, course.id)
    return render_template(
        "smattest/course.html",
        course=course,
        version=course.versions[-1],
        form=CSRFOnlyForm(),
        not_required=staff.active and standing is None,
    )


@blueprint.post("/courses/<slug>/attempts")
@login_required
def course_start(slug: str) -> ResponseReturnValue:
    """Start a new attempt, in its own shuffled order."""
    course = _course_or_404(slug)
    if not CSRFOnlyForm().validate():
        flash("This page had expired. Please start the quiz again.", "error")
        return redirect(url_for("smattest.course", slug=slug))
    try:
        attempt = start_attempt(current_staff(), course)
    except QuizError as error:
        flash(str(error), "error")
        return redirect(url_for("smattest.course", slug=slug))
    return redirect(url_for("smattest.quiz", slug=slug, attempt_id=attempt.id), 303)


@blueprint.route("/courses/<slug>/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def quiz(slug: str, attempt_id: int) -> ResponseReturnValue:
    """The quiz of one attempt; after submitting, its result."""
    course = _course_or_404(slug)
    attempt = attempt_of(current_staff(), attempt_id)
    if attempt is None or attempt.course_version_id not in {v.id for v in course.versions}:
        abort(404)
    form = CSRFOnlyForm()
    problem, status = None, 200
    if request.method == "POST":
        try:
            if not form.validate():
                raise QuizError("This page had expired. Nothing was recorded: please submit again.")
            answers = _answers(request.form)
            unanswered = [q for q, _ in questions_of(attempt) if q.id not in answers]
            if unanswered and attempt.submitted_at is None:
                raise QuizError(
                    f"Please answer every question: {len(unanswered)} "
                    f"{'is' if len(unanswered) == 1 else 'are'} not answered yet."
                )
            result = submit(current_staff(), attempt_id, answers)
        except QuizError as error:
            problem, status = str(error), 400
        else:
            if result.completion is not None:
                flash("You passed. Your training is recorded.", "success")
            return redirect(url_for("smattest.quiz", slug=slug, attempt_id=attempt_id), 303)
    template = "smattest/quiz_result.html" if attempt.submitted_at else "smattest/quiz.html"
    return (
        render_template(
            template,
            course=course,
            attempt=attempt,
            questions=questions_of(attempt),
            chosen=_chosen(attempt) if attempt.submitted_at else _answers_or_empty(request.form),
            form=form,
            problem=problem,
        ),
        status,
    )


def _answers(form: MultiDict[str, str]) -> dict[int, list[int]]:
    """Question id → chosen option indexes, from fields named q<question id>."""
    answers: dict[int, list[int]] = {}
    for name in form:
        if not name.startswith("q"):
            continue
        try:
            answers[int(name[1:])] = [int(value) for value in form.getlist(name)]
        except ValueError:
            raise QuizError(
                "The answers do not match the questions of this attempt. Nothing was recorded: "
                "please start a new attempt."
            ) from None
    return answers


def _answers_or_empty(form: MultiDict[str, str]) -> dict[int, list[int]]:
    try:
        return _answers(form)
    except QuizError:
        return {}


def _chosen(attempt: QuizAttempt) -> dict[int, list[int]]:
    return {int(k): v for k, v in (attempt.answers or {}).items()}
