"""HR's page for versions in force before smattest, beside the import of the paper era.

The same as ``flask smattest policy publish ... --historical`` and ``flask
smattest course import ... --historical``: a policy text (Markdown) or a course
file (JSON), the past day it took effect and where it comes from. Recorded
with the HR user as who recorded it; the paper era is then imported against it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField

from ...evidence.chain import chain_past_version
from ...i18n import gettext, lazy_gettext
from ...publishing.courses import CourseFileError, import_course, parse
from ...publishing.policies import PolicyError, publish
from ..access import hr_required
from ..base import actor, blueprint
from ..forms import Form, read_day, read_upload

TOO_LARGE = lazy_gettext("use 'flask smattest policy publish' or 'course import' on the server.")


class PastPolicyForm(Form):
    """A policy version in force before smattest."""

    slug = StringField(lazy_gettext("Short name in addresses (slug)"), id="smattest-past-slug")
    title = StringField(lazy_gettext("Title"), id="smattest-past-title")
    summary = StringField(
        lazy_gettext("What this version was, in a sentence"), id="smattest-past-summary"
    )
    effective = StringField(lazy_gettext("In force from"), id="smattest-past-effective")
    source = StringField(lazy_gettext("Where the text comes from"), id="smattest-past-source")
    text = FileField(
        lazy_gettext("The text (Markdown, UTF-8)"),
        id="smattest-past-text",
        validators=[FileRequired(lazy_gettext("Choose the file with the version's text."))],
    )


class PastCourseForm(Form):
    """A course version in force before smattest."""

    effective = StringField(lazy_gettext("In force from"), id="smattest-past-course-effective")
    source = StringField(
        lazy_gettext("Where the content comes from"), id="smattest-past-course-source"
    )
    course = FileField(
        lazy_gettext("The course file (JSON)"),
        id="smattest-past-course-file",
        validators=[FileRequired(lazy_gettext("Choose the course file (JSON)."))],
    )


@blueprint.get("/hr/evidence/past-versions")
@hr_required
def hr_past_versions() -> ResponseReturnValue:
    """The two forms: a past policy version, a past course version."""
    return _page(PastPolicyForm(formdata=None), PastCourseForm(formdata=None))


@blueprint.post("/hr/evidence/past-versions/policy")
@hr_required
def hr_past_policy() -> ResponseReturnValue:
    """Record a policy version in force before smattest."""
    form = PastPolicyForm()
    found = read_upload(form, form.text, TOO_LARGE)
    if isinstance(found, int):
        return _page(form, PastCourseForm(formdata=None), status=found)
    data, _ = found
    try:
        effective = read_day(form.effective.data, gettext("The day it came into force"))
        text = data.decode("utf-8-sig")
        version = publish(
            (form.slug.data or "").strip(),
            form.title.data or "",
            text,
            form.summary.data or "",
            effective=effective,
            published_by=actor(),
            historical=form.source.data or "",
            chain=chain_past_version,
        )
    except UnicodeDecodeError as error:
        form.form_errors.append(
            gettext("The text is not UTF-8 (byte %(byte)s): save it as UTF-8.", byte=error.start)
        )
        return _page(form, PastCourseForm(formdata=None), status=400)
    except (ValueError, PolicyError) as error:
        form.form_errors.append(_not_recorded(str(error)))
        return _page(form, PastCourseForm(formdata=None), status=400)
    flash(
        gettext(
            "Recorded past version %(number)s of the %(title)s, in force from %(day)s, from "
            "%(source)s. Import the paper era against it next.",
            number=version.number,
            title=version.policy.title,
            day=version.effective_date.isoformat(),
            source=version.historical_source,
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_past_versions"), 303)


@blueprint.post("/hr/evidence/past-versions/course")
@hr_required
def hr_past_course() -> ResponseReturnValue:
    """Record a course version in force before smattest."""
    form = PastCourseForm()
    found = read_upload(form, form.course, TOO_LARGE)
    if isinstance(found, int):
        return _page(PastPolicyForm(formdata=None), form, status=found)
    data, _ = found
    try:
        effective = read_day(form.effective.data, gettext("The day it came into force"))
        imported = import_course(
            parse(data),
            effective=effective,
            historical=form.source.data or "",
            recorded_by=actor(),
            chain=chain_past_version,
        )
    except CourseFileError as error:
        form.form_errors.extend(_not_recorded(p) for p in error.problems)
        return _page(PastPolicyForm(formdata=None), form, status=400)
    except ValueError as error:
        form.form_errors.append(_not_recorded(str(error)))
        return _page(PastPolicyForm(formdata=None), form, status=400)
    version = imported.version
    if not imported.created:
        form.form_errors.append(
            gettext(
                "Nothing was recorded: version %(number)s of %(slug)s has this content already.",
                number=version.number,
                slug=version.course.slug,
            )
        )
        return _page(PastPolicyForm(formdata=None), form, status=409)
    flash(
        gettext(
            "Recorded past version %(number)s of the %(title)s, from %(source)s. Import the "
            "paper era against it next.",
            number=version.number,
            title=version.course.title,
            source=version.historical_source,
        ),
        "success",
    )
    return redirect(url_for("smattest.hr_past_versions"), 303)


def _not_recorded(problem: str) -> str:
    """A refusal of the service, as the page's error summary lists it."""
    return gettext("Nothing was recorded: %(problem)s", problem=problem)


def _page(policy: PastPolicyForm, course: PastCourseForm, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "smattest/hr/past_versions.html",
        policy_form=policy,
        course_form=course,
        policy_problems=list(policy.form_errors) + [e for f in policy for e in f.errors],
        course_problems=list(course.form_errors) + [e for f in course for e in f.errors],
        method=request.method,
    )
    return page, status
