"""``flask smattest ...``: the commands IT and HR run, grouped by subject."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from . import evidence, migrate
from .courses import CourseFileError, import_course, parse
from .models import Course, Policy
from .policies import PolicyError, publish
from .proxies import current_smattest

smattest_cli = AppGroup("smattest", help="smattest: policy attestation and refresher training.")


@smattest_cli.group("db")
def db_cli() -> None:
    """Create and migrate smattest's tables (its own Alembic history)."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate smattest's tables up to REVISION (default: the newest)."""
    engine = current_smattest.engine
    migrate.upgrade(engine, revision)
    click.echo(f"smattest tables are at revision {migrate.current_revision(engine)}.")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Migrate smattest's tables down to REVISION (default: one step; 'base' removes them)."""
    engine = current_smattest.engine
    migrate.downgrade(engine, revision)
    click.echo(f"smattest tables are at revision {migrate.current_revision(engine) or 'base'}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the revision smattest's tables are at, and whether it is the newest."""
    engine = current_smattest.engine
    current = migrate.current_revision(engine)
    head = migrate.head_revision(engine)
    if current is None:
        click.echo("smattest tables are not created yet: run 'flask smattest db upgrade'.")
    elif current == head:
        click.echo(f"{current} (head)")
    else:
        click.echo(f"{current} (newest is {head}: run 'flask smattest db upgrade')")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option(
    "--autogenerate/--empty",
    default=True,
    help="Compare the models with the database (default) or write an empty script.",
)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration script (for smattest's developers)."""
    from alembic import command

    command.revision(
        migrate.alembic_config(current_smattest.engine),
        message=message,
        autogenerate=autogenerate,
    )


class ISODate(click.ParamType):
    """A date written YYYY-MM-DD, with a message that says so."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01.")


@smattest_cli.group("policy")
def policy_cli() -> None:
    """Publish policy versions and list policies."""


@policy_cli.command("publish")
@click.option("--slug", required=True, help="The policy's short name in URLs, e.g. social-media.")
@click.option("--title", required=True, help="The policy's title, e.g. 'Social Media Policy'.")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The policy text in Markdown (UTF-8).",
)
@click.option("--summary", required=True, help="One sentence on what this version changes.")
@click.option("--minor", is_flag=True, help="A minor edit: nobody has to sign again.")
@click.option("--effective", type=ISODate(), help="The day it takes effect (default: today).")
@click.option(
    "--every-months",
    type=click.IntRange(1, 120),
    help="How long a signature keeps a person current (default 12).",
)
def policy_publish(path, slug, title, summary, minor, effective, every_months) -> None:
    """Publish FILE as the next version of policy SLUG (creating the policy if new)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"{path} is not UTF-8 text (byte {error.start}): save it as UTF-8 and try again."
        ) from None
    try:
        version = publish(
            slug, title, text, summary, minor=minor, effective=effective,
            every_months=every_months, published_by="cli",
        )  # fmt: skip
    except PolicyError as error:
        raise click.ClickException(f"Nothing published: {error}") from None
    kind = "minor: nobody has to sign again" if minor else "material: everyone must sign it"
    click.echo(f"Published {slug} version {version.number} ({kind}),")
    click.echo(f"in force from {version.effective_date.isoformat()}.")
    click.echo(f"SHA-256 {version.text_sha256}")


@policy_cli.command("list")
def policy_list() -> None:
    """List every policy with its newest version."""
    policies = current_smattest.db.session.scalars(sa.select(Policy).order_by(Policy.slug)).all()
    if not policies:
        click.echo("No policies yet: publish one with 'flask smattest policy publish'.")
    for policy in policies:
        newest = policy.versions[-1]
        click.echo(
            f"{policy.slug}\t{policy.title}\tversion {newest.number}\t"
            f"in force from {newest.effective_date.isoformat()}\t{newest.text_sha256}"
        )


@smattest_cli.group("audit")
def audit_cli() -> None:
    """Check the evidence for tampering."""


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the evidence hash chain: OK with the row count and head hash, or the first break."""
    result = evidence.verify()
    if not result.ok:
        click.echo(f"FAILED after {result.rows} good rows: {result.problem}", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {result.rows} evidence rows, head {result.head_hash or '(empty chain)'}")


@smattest_cli.group("course")
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
    """List every course with its newest version."""
    courses = current_smattest.db.session.scalars(sa.select(Course).order_by(Course.slug)).all()
    if not courses:
        click.echo("No courses yet: import one with 'flask smattest course import FILE'.")
    for course in courses:
        newest = course.versions[-1]
        click.echo(
            f"{course.slug}\t{course.title}\tversion {newest.number}\t"
            f"{len(newest.questions)} questions\tpass mark {newest.pass_mark}%\t"
            f"every {course.refresh_every_months} months"
        )


# The subject groups live in their own modules; importing them registers them.
from . import cli_reminders, cli_reports, cli_roster, cli_scheduler  # noqa: E402,F401
