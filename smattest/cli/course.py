"""``flask smattest course ...``: import refresher courses and list them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import sqlalchemy as sa

from ..evidence.chain import chain_past_version
from ..models import COURSE, Course
from ..proxies import current_smattest
from ..publishing.audiences import audiences_of
from ..publishing.courses import CourseFileError, import_course, parse
from .audience import audience_command
from .lifecycle import retire_command
from .params import Group, ISODate, echo_table, plural


@click.group("course", cls=Group)
def course_cli() -> None:
    """Import refresher courses and list them."""


@course_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--effective",
    type=ISODate(),
    help="With --historical: the past day this version took effect.",
)
@click.option(
    "--historical",
    metavar="SOURCE",
    help="Record a version that was in force before smattest, from SOURCE (e.g. 'training "
    "binder 2019'), with --effective the past day it took effect. Past versions go first, "
    "oldest first; then 'evidence import', then today's version.",
)
def course_import(path: Path, effective: dt.date | None, historical: str | None) -> None:
    """Import a course from a JSON file (format: see smattest.publishing.courses or the README).

    Every problem is listed with where it is, and nothing is imported unless
    the whole file is valid. A changed file adds a new version of the course.
    """
    try:
        imported = import_course(
            parse(path.read_bytes()), effective=effective, historical=historical,
            recorded_by="cli" if historical else None, chain=chain_past_version,
        )  # fmt: skip
    except CourseFileError as error:
        click.echo(f"Nothing imported: {path} has {plural(len(error.problems), 'problem')}:",
                   err=True)  # fmt: skip
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    version = imported.version
    if imported.created and version.historical_source is not None:
        click.echo(
            f"Recorded past version {version.number} of {version.course.slug}, in force from "
            f"{effective.isoformat() if effective else ''}, from {version.historical_source}: "
            f"{plural(len(version.sections), 'section')}, "
            f"{plural(len(version.questions), 'question')}."
        )
    elif imported.created:
        click.echo(
            f"Imported {version.course.slug} version {version.number}: "
            f"{plural(len(version.sections), 'section')}, "
            f"{plural(len(version.questions), 'question')}, "
            f"pass mark {version.pass_mark}%."
        )
    else:
        click.echo(
            f"{version.course.slug} version {version.number} is unchanged: nothing imported."
        )


@course_cli.command("list")
def course_list() -> None:
    """List every course: the version in force, how it is taken, and who must take it."""
    courses = current_smattest.db.session.scalars(sa.select(Course).order_by(Course.slug)).all()
    audiences = audiences_of(COURSE)
    if not courses:
        click.echo("No courses yet: import one with 'flask smattest course import FILE'.")
        return
    rows = []
    for course in courses:
        newest = course.versions[-1]
        asked = newest.questions_per_attempt or len(newest.questions)
        rows.append((
            course.slug,
            course.title,
            f"version {newest.number} since {newest.created_at.date().isoformat()}",
            f"{asked} of {plural(len(newest.questions), 'question')}",
            f"{newest.pass_mark}%",
            str(newest.max_attempts),
            plural(course.refresh_every_months, "month"),
            audiences[course.id].describe() if course.id in audiences else "everyone",
        ))  # fmt: skip
    echo_table(
        (
            "SLUG",
            "TITLE",
            "IN FORCE",
            "ASKED",
            "PASS MARK",
            "TRIES A DAY",
            "DUE AGAIN AFTER",
            "FOR",
        ),
        rows,
    )
    click.echo("A course has no scheduled versions: an import is in force at once.")


course_cli.add_command(audience_command(COURSE))
course_cli.add_command(retire_command(COURSE))
