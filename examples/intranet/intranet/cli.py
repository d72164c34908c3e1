"""``flask intranet seed`` and ``flask intranet reset``: set the demo up, and start over."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from smattest.models import Staff
from smattest.proxies import current_smattest
from smattest.publishing.courses import CourseFileError, import_course, parse
from smattest.publishing.policies import PolicyError, get_policy, publish
from smattest.rule.compliance import CURRENT, DUE_SOON, LABELS, OVERDUE, requirements, standings
from smattest.timeutil import local_today

from . import history
from .models import User, db
from .people import DEPARTMENTS, roster

intranet_cli = AppGroup("intranet", help="The demo intranet: seed its people, or start over.")

POLICY_FILE = Path(__file__).parent / "content" / "social-media-policy.md"
COURSE_FILE = Path(__file__).parent / "content" / "social-media-refresher.json"
STATUSES = (OVERDUE, DUE_SOON, CURRENT)


@intranet_cli.command("seed")
def seed() -> None:
    """Create the intranet's tables and its 40 people, with a year of compliance history.

    The Social Media Policy and its refresher came in 400 days ago; the seed
    imports invented records of who signed and trained since (see
    intranet/history.py), so some people are current, some due soon and some
    overdue, and today's reminder run has mail to send.
    """
    if not sa.inspect(current_smattest.engine).has_table("smattest_policy"):
        raise click.ClickException(
            "smattest's tables are missing: run 'flask smattest db upgrade' first."
        )
    db.create_all(bind_key=None)
    session = db.session
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("The intranet is already seeded: nothing to do.")
        return
    if session.scalar(sa.select(sa.func.count()).select_from(Staff)):
        raise click.ClickException(
            "smattest already has staff but the intranet has no people: "
            "run 'flask intranet reset' to start over."
        )
    if get_policy("social-media") is not None:
        raise click.ClickException(
            "smattest already has the Social Media Policy but the intranet has no people: "
            "run 'flask intranet reset' to start over."
        )

    tz = current_smattest.timezone
    today = local_today()
    start = today - dt.timedelta(days=history.POLICY_AGE_DAYS)
    users = []
    with history.clock_at(history.at_work(start - dt.timedelta(days=1), 0, tz)):
        for person in roster(today):
            user = User(
                email=person.email,
                name=person.name,
                department=person.department,
                manager_email=person.manager_email,
                hire_date=person.hire_date,
                is_hr=person.is_hr,
                job_title=person.job_title,
            )
            session.add(user)
            users.append(user)
        session.flush()  # assigns the ids smattest links to
        staff = [
            Staff(
                external_id=str(user.id),
                email=user.email,
                full_name=user.name,
                department=user.department,
                manager_email=user.manager_email,
                hire_date=user.hire_date,
                active=True,
            )
            for user in users
        ]
        session.add_all(staff)
        session.flush()

    # publish() commits: the people, their staff rows and the policy land together.
    try:
        with history.clock_at(history.at_work(start, 0, tz)):
            version = publish(
                "social-media",
                "Social Media Policy",
                POLICY_FILE.read_text(encoding="utf-8"),
                "First version of the agency's social media policy.",
                effective=start,
                published_by="demo-seed",
            )
        # The refresher teaches the policy, so it is imported once the policy exists.
        with history.clock_at(history.at_work(start, 1, tz)):
            course = import_course(parse(COURSE_FILE.read_bytes())).version
    except (PolicyError, CourseFileError) as exc:
        session.rollback()
        raise click.ClickException(f"could not set up the policy and course: {exc}") from None
    recorded = history.record(history.plan(staff, today, tz), session, version, course)

    departments = {u.department for u in users}
    click.echo(
        f"Created {len(users)} people in {len(departments)} departments; published Social "
        f"Media Policy version {version.number} (sha256 {version.text_sha256}), "
        f"in force since {start.isoformat()}."
    )
    click.echo(
        f"Imported the {course.course.title}: {len(course.sections)} sections, "
        f"{len(course.questions)} questions."
    )
    hr = next(u for u in users if u.is_hr)
    new_hires = [u.name for u in users if u.hire_date > today - dt.timedelta(days=40)]
    click.echo(f"HR: {hr.name} ({hr.email}). New hires: {', '.join(new_hires)}.")
    click.echo("Departments: " + ", ".join(d for d in DEPARTMENTS if d in departments) + ".")
    click.echo(
        f"Imported {recorded} earlier signatures and refresher passes (invented demo history). "
        f"Today, {today.isoformat()}:"
    )
    for requirement in requirements(today):
        counts = Counter(s.status for _, s in standings(requirement, today))
        click.echo(
            f"  {requirement.title}: "
            + ", ".join(f"{counts[status]} {LABELS[status].lower()}" for status in STATUSES)
        )
    click.echo(
        "Send today's reminders with 'flask --app examples/intranet/intranet smattest "
        "reminders send', or the 'Run the reminder job now' button on the Mail sink page."
    )


@intranet_cli.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Delete the demo's SQLite database (people, evidence, captured mail)."""
    engine = db.engines[None]
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            f"reset only deletes a SQLite file; this app uses {url.render_as_string()}. "
            "Drop that database with its own tools instead."
        )
    path = Path(url.database)
    if not path.exists():
        click.echo(f"Nothing to delete: {path} does not exist.")
        return
    if not yes:
        click.confirm(
            f"Delete {path}? Every person, attestation and captured mail in it is lost.",
            abort=True,
        )
    db.session.remove()
    for each in db.engines.values():
        each.dispose()
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if candidate.exists():
            os.remove(candidate)
    click.echo(
        f"Deleted {path}. Start again with 'flask smattest db upgrade' then 'flask intranet seed'."
    )
