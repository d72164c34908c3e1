"""``flask smattest course ...``: import refresher courses and list them."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..audiences import audiences_of
from ..courses import CourseFileError, import_course, parse
from ..models import COURSE, Course
from ..proxies import current_smattest
from .audience import audience_command
from .lifecycle import retire_command


@click.group("course", cls=AppGroup)
def course_cli() -> None:
    """Import refresher courses and list them."""


@course_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def course_import(path: Path) -> None:
    """Import a course from a JSON file (format: see smattest.courses or the README).

    Every problem is listed with where it is, and nothing is imported unless
    the whole file is valid. A changed file adds a new version of the course.
    """
    try:
        imported = import_course(parse(path.read_bytes()))
    except CourseFileError as error:
        click.echo(f"Nothing imported: {path} has {len(error.problems)} problem(s):", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    version = imported.version
    if imported.created:
        click.echo(
            f"Imported {version.course.slug} version {version.number}: "
            f"{len(version.sections)} sections, {len(version.questions)} questions, "
            f"pass mark {version.pass_mark}%."
        )
    else:
        click.echo(
            f"{version.course.slug} version {version.number} is unchanged: nothing imported."
        )


@course_cli.command("list")
def course_list() -> None:
    """List every course with its newest version and its audience."""
    courses = current_smattest.db.session.scalars(sa.select(Course).order_by(Course.slug)).all()
    audiences = audiences_of(COURSE)
    if not courses:
        click.echo("No courses yet: import one with 'flask smattest course import FILE'.")
    for course in courses:
        newest = course.versions[-1]
        click.echo(
            f"{course.slug}\t{course.title}\tversion {newest.number}\t"
            f"{len(newest.questions)} questions\tpass mark {newest.pass_mark}%\t"
            f"every {course.refresh_every_months} months\t"
            f"for {audiences[course.id].describe() if course.id in audiences else 'everyone'}"
        )


course_cli.add_command(audience_command(COURSE))
course_cli.add_command(retire_command(COURSE))
