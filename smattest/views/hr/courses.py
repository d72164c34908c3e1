"""HR's view of a course's quiz: which questions people answer wrong most, per course version."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

import smattest.reports.questions as questions

from ..access import hr_required
from ..base import blueprint


@blueprint.get("/hr/courses/<slug>/questions")
@hr_required
def hr_course_questions(slug: str) -> ResponseReturnValue:
    """Per question of one course version (``?version=N``, default the newest): times shown,
    times answered wrong and the share wrong, worst first, with the section that teaches it."""
    number = request.args.get("version", type=int)
    if "version" in request.args and number is None:
        abort(404)
    try:
        version = questions.find_version(slug, number)
    except questions.QuestionsError:
        abort(404)
    found = questions.version_questions(version)
    return render_template(
        "smattest/hr/course_questions.html",
        found=found,
        versions=found.course.versions,
    )
