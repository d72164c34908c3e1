"""A person's full history, as HR and an auditor read it.

Everything recorded about one person: attestations, quiz attempts, training
completions, exemptions, reminders, HR's acts and changes of their id. Loaded in a fixed number of
queries whatever the length of the history (no query per row), with the
names of the people who recorded, granted or ended anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..models import (
    COURSE,
    POLICY,
    Attestation,
    Course,
    CourseVersion,
    Exemption,
    HREvent,
    IdentityLink,
    Policy,
    PolicyVersion,
    QuizAttempt,
    Reminder,
    Staff,
    TrainingCompletion,
    UnlinkedSignIn,
    in_chain,
)
from ..proxies import current_smattest


@dataclass
class History:
    """One person's records, each list newest first."""

    staff: Staff
    #: Rows of (Attestation, policy_title, policy_slug, version_number, version_source: the
    #: source of a version in force before smattest, recorded after the fact, else None).
    attestations: Sequence[sa.Row[Attestation, str, str, int, str | None]] = field(
        default_factory=list
    )
    #: Rows with the attempt's columns plus course_title and version_number.
    quiz_attempts: Sequence[
        sa.Row[int, dt.datetime, dt.datetime | None, int | None, bool | None, str, int]
    ] = field(default_factory=list)
    #: Rows of (TrainingCompletion, course_title, version_number, version_source).
    completions: Sequence[sa.Row[TrainingCompletion, str, int, str | None]] = field(
        default_factory=list
    )
    exemptions: list[Exemption] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    hr_events: list[HREvent] = field(default_factory=list)
    #: Changes of the person's id (evidence in the chain), newest first.
    links: list[IdentityLink] = field(default_factory=list)
    #: Sign-ins refused because they carried this person's email under another id.
    waiting: list[UnlinkedSignIn] = field(default_factory=list)
    #: Host user id -> full name, for everyone named as a recorder or actor.
    names: dict[str, str] = field(default_factory=dict)
    #: (kind, id) -> title of every policy and course.
    titles: dict[tuple[str, int], str] = field(default_factory=dict)
    #: The manager's staff row, when the manager's email is on the roster.
    manager: Staff | None = None

    def who(self, external_id: str | None) -> str:
        """The name of the person with this host user id, else the id itself (``cli``, ``sync``)."""
        if not external_id:
            return ""
        return self.names.get(external_id, external_id)

    def title(self, kind: str, requirement_id: int) -> str:
        """The title of a policy or course, or ``policy 7`` if it no longer exists."""
        return self.titles.get((kind, requirement_id), f"{kind} {requirement_id}")


def history_of(staff: Staff) -> History:
    """Everything recorded about ``staff``: ten queries, however long the history."""
    session = current_smattest.db.session
    found = History(staff=staff)
    found.attestations = session.execute(
        sa.select(
            Attestation,
            Policy.title.label("policy_title"),
            Policy.slug.label("policy_slug"),
            PolicyVersion.number.label("version_number"),
            PolicyVersion.historical_source.label("version_source"),
        )
        .join(PolicyVersion, PolicyVersion.id == Attestation.policy_version_id)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(Attestation.staff_id == staff.id, in_chain(Attestation.chain_seq))
        .order_by(Attestation.attested_at.desc(), Attestation.id.desc())
    ).all()
    found.quiz_attempts = session.execute(
        sa.select(
            QuizAttempt.id,
            QuizAttempt.started_at,
            QuizAttempt.submitted_at,
            QuizAttempt.score,
            QuizAttempt.passed,
            Course.title.label("course_title"),
            CourseVersion.number.label("version_number"),
        )
        .join(CourseVersion, CourseVersion.id == QuizAttempt.course_version_id)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(QuizAttempt.staff_id == staff.id)
        .order_by(QuizAttempt.started_at.desc(), QuizAttempt.id.desc())
    ).all()
    found.completions = session.execute(
        sa.select(
            TrainingCompletion,
            Course.title.label("course_title"),
            CourseVersion.number.label("version_number"),
            CourseVersion.historical_source.label("version_source"),
        )
        .join(CourseVersion, CourseVersion.id == TrainingCompletion.course_version_id)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(TrainingCompletion.staff_id == staff.id, in_chain(TrainingCompletion.chain_seq))
        .order_by(TrainingCompletion.completed_at.desc(), TrainingCompletion.id.desc())
    ).all()
    found.exemptions = list(
        session.scalars(
            sa.select(Exemption)
            .where(Exemption.staff_id == staff.id, in_chain(Exemption.chain_seq))
            .order_by(Exemption.granted_at.desc(), Exemption.id.desc())
        )
    )
    found.reminders = list(
        session.scalars(
            sa.select(Reminder)
            .where(Reminder.staff_id == staff.id)
            .order_by(Reminder.cycle_due.desc(), Reminder.created_at.desc(), Reminder.id.desc())
        )
    )
    found.hr_events = list(
        session.scalars(
            sa.select(HREvent)
            .where(HREvent.staff_id == staff.id)
            .order_by(HREvent.at.desc(), HREvent.id.desc())
        )
    )
    found.links = list(
        session.scalars(
            sa.select(IdentityLink)
            .where(IdentityLink.staff_id == staff.id)
            .order_by(IdentityLink.chain_seq.desc())
        )
    )
    found.waiting = list(
        session.scalars(
            sa.select(UnlinkedSignIn)
            .where(UnlinkedSignIn.staff_id == staff.id)
            .order_by(UnlinkedSignIn.last_seen_at.desc())
        )
    )
    found.titles = {
        (kind, requirement_id): title
        for kind, requirement_id, title in session.execute(
            sa.union_all(
                sa.select(sa.literal_column(f"'{POLICY}'", sa.String), Policy.id, Policy.title),
                sa.select(sa.literal_column(f"'{COURSE}'", sa.String), Course.id, Course.title),
            )
        )
    }
    people = {row.Attestation.recorded_by for row in found.attestations}
    people |= {row.TrainingCompletion.recorded_by for row in found.completions}
    people |= {e.granted_by for e in found.exemptions} | {e.ended_by for e in found.exemptions}
    people |= {e.actor for e in found.hr_events} | {link.recorded_by for link in found.links}
    people.discard(None)
    # The people named (by their id now, or by an id they had before a change),
    # and the manager, in one query.
    wanted: list[sa.ColumnElement[bool]] = []
    if people:
        earlier = sa.select(IdentityLink.staff_id).where(
            IdentityLink.old_external_id.in_(sorted(people))
        )
        wanted += [Staff.external_id.in_(sorted(people)), Staff.id.in_(earlier)]
    if staff.manager_email:
        wanted.append(Staff.email == staff.manager_email)
    found_people = list(session.scalars(sa.select(Staff).where(sa.or_(*wanted)))) if wanted else []
    former = _former_ids(people, found_people)
    if wanted:
        for person in found_people:
            for external_id in {person.external_id, *former.get(person.id, ())} & people:
                found.names[external_id] = person.full_name
            if staff.manager_email and person.email == staff.manager_email:
                # Several rows may share an email (a leaver and a rehire): prefer the active one.
                if found.manager is None or (person.active and not found.manager.active):
                    found.manager = person
    return found


def _former_ids(people: set[str], found: list[Staff]) -> dict[int, list[str]]:
    """Ids among ``people`` that the records in ``found`` held before a change of id."""
    former: dict[int, list[str]] = {}
    for staff_id, old_id in current_smattest.db.session.execute(
        sa.select(IdentityLink.staff_id, IdentityLink.old_external_id).where(
            IdentityLink.old_external_id.in_(sorted(people)),
            IdentityLink.staff_id.in_([p.id for p in found]),
        )
    ):
        former.setdefault(staff_id, []).append(old_id)
    return former
