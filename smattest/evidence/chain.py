"""The evidence hash chain: append-only rows an auditor can verify.

Every evidence row (an attestation, a training completion, an exemption
granted, an exemption ended) takes the next position in one chain:
``chain_seq``, the previous row's hash as ``prev_hash``, and ``record_hash``
= SHA-256 over its own fields and ``prev_hash``. ``ChainHead`` holds the last
position and hash, so removing the newest rows is noticed too. Editing a
field, inserting a row or removing one breaks the chain at that row, and
:func:`smattest.evidence.audit.verify` names it.

The hash format is defined once, in :mod:`smattest.verify` (standard library
only, so auditors can run it offline), and documented in docs/evidence.md.
Rows recorded since format 2 commit to the person's employee id and name and
the requirement's slug and version as they were then; personal fields are
hashed through a salted digest kept beside each, so they can be erased later.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

import smattest.due.marks as due_marks
import smattest.verify as hashformat

from ..db import utcnow
from ..models import (
    Attestation,
    ChainHead,
    ChainPosition,
    Course,
    CourseVersion,
    Exemption,
    ExemptionEnd,
    IdentityLink,
    Policy,
    PolicyTranslation,
    PolicyVersion,
    Staff,
    TrainingCompletion,
    VersionRecord,
)
from ..proxies import current_smattest
from ..publishing.courses import stored_sha256
from ..publishing.policies import text_sha256

Evidence = (
    Attestation
    | TrainingCompletion
    | Exemption
    | ExemptionEnd
    | IdentityLink
    | VersionRecord
    | PolicyTranslation
)
#: Rows that keep their own form and move nobody's due dates.
RECORDS = (IdentityLink, VersionRecord, PolicyTranslation)
#: Rows in a format with a version (1 or 2); an id change has its own fixed form.
Formatted = Attestation | TrainingCompletion | Exemption | ExemptionEnd
#: The name the identity code uses for any chained row.
EvidenceRow = Evidence
_Found = TypeVar("_Found", Staff, Policy, PolicyVersion, Course, CourseVersion)

#: Every table whose rows are in the chain, and each kind's name in the hash format.
KINDS: dict[Any, str] = {
    Attestation: "attestation",
    TrainingCompletion: "training_completion",
    Exemption: "exemption_grant",
    ExemptionEnd: "exemption_end",
    IdentityLink: "identity_link",
    VersionRecord: "version_record",
    PolicyTranslation: hashformat.TRANSLATION,
}
CHAINED: tuple[Any, ...] = tuple(KINDS)
#: How messages name each kind.
KIND_NAMES: dict[Any, str] = {
    Attestation: "attestation",
    TrainingCompletion: "training completion",
    Exemption: "exemption",
    ExemptionEnd: "exemption end",
    IdentityLink: "id change",
    VersionRecord: "past version record",
    PolicyTranslation: "translation",
}
#: The fields format-1 rows hash, per table (format 2: :data:`smattest.verify.FORMAT_2_FIELDS`).
HASHED_FIELDS: dict[Any, tuple[str, ...]] = {
    Attestation: hashformat.FORMAT_1_FIELDS["attestation"],
    TrainingCompletion: hashformat.FORMAT_1_FIELDS["training_completion"],
    IdentityLink: hashformat.FORMAT_1_FIELDS["identity_link"],
}
#: The format new rows are written in (exemption ends: :data:`END_FORMAT`).
FORMAT = 2
#: The format of a row recorded after the day it is about (its ``recorded_at`` is hashed).
FORMAT_RECORDED_LATER = 3
#: Exemption ends since migration 0011 also hash the grant's position and hash.
END_FORMAT = 4
#: A past version's record (:class:`smattest.models.VersionRecord`).
VERSION_FORMAT = 5
#: An attestation signed in a language (its code and the shown text's SHA-256), and a
#: translation's own row.
LANGUAGE_FORMAT = 6
#: The personal fields each kind keeps (each with a salt and digest beside it).
PERSONAL: dict[Any, tuple[str, ...]] = {
    Attestation: ("full_name", "signature", "reason", "ip_address", "user_agent"),
    TrainingCompletion: ("full_name", "reason"),
    Exemption: ("full_name", "reason"),
    ExemptionEnd: ("full_name",),
}


def _at(row: Formatted) -> Any:
    if isinstance(row, Attestation):
        return row.attested_at
    if isinstance(row, TrainingCompletion):
        return row.completed_at
    return row.granted_at if isinstance(row, Exemption) else row.ended_at


def hash_fields(row: Formatted) -> dict[str, Any]:
    """A format-2 or -3 row's fields as :func:`smattest.verify.format_2_hash` takes them."""
    fields: dict[str, Any] = {
        "format": row.format, "kind": KINDS[type(row)], "seq": row.chain_seq,
        "prev_hash": row.prev_hash, "at": _at(row), "staff_id": row.staff_id,
        "employee_id": row.employee_id, "requirement_slug": row.requirement_slug,
    }  # fmt: skip
    if isinstance(row, Attestation):
        fields.update(requirement_kind="policy", version_id=row.policy_version_id,
                      version_number=row.version_number, content_sha256=row.text_sha256,
                      method=row.method, recorded_by=row.recorded_by,
                      recorded_at=row.recorded_at, language=row.language)  # fmt: skip
    elif isinstance(row, TrainingCompletion):
        fields.update(requirement_kind="course", version_id=row.course_version_id,
                      version_number=row.version_number, content_sha256=row.content_sha256,
                      method=row.method, score=row.score, quiz_attempt_id=row.quiz_attempt_id,
                      recorded_by=row.recorded_by, language=row.language)  # fmt: skip
    elif isinstance(row, Exemption):
        fields.update(requirement_kind=row.requirement_kind, requirement_id=row.requirement_id,
                      recorded_by=row.granted_by, until=row.until)  # fmt: skip
    else:
        fields.update(requirement_kind=row.requirement_kind, requirement_id=row.requirement_id,
                      recorded_by=row.ended_by, exemption_id=row.exemption_id)  # fmt: skip
        if row.format >= 4:  # bound to the grant: its chain position and record hash
            fields.update(grant_seq=row.grant_seq, grant_hash=row.grant_hash)
    for name in PERSONAL[type(row)]:
        fields[f"{name}_sha256"] = hashformat.personal_digest(
            getattr(row, name), getattr(row, f"{name}_salt"), getattr(row, f"{name}_sha256")
        )
    return fields


def version_fields(row: VersionRecord) -> dict[str, Any]:
    """A past version's record as :func:`smattest.verify.format_2_hash` takes it (format 5).

    Read from the version's own row as it is now (with its slug, which is not
    hashed): the SHA-256 of a policy version's text or of a course version's
    content as stored is computed here, so an edited text, source, effective
    day, recorder or recording time no longer matches the record's hash.
    """
    fields: dict[str, Any] = {"format": row.format, "kind": KINDS[VersionRecord],
                              "seq": row.chain_seq, "prev_hash": row.prev_hash,
                              "requirement_kind": row.requirement_kind}  # fmt: skip
    if row.course_version_id is None:
        policy_version = _found(PolicyVersion, row.policy_version_id or 0)
        fields.update(
            at=policy_version.published_at, recorded_by=policy_version.published_by,
            requirement_id=policy_version.policy_id, version_id=policy_version.id,
            version_number=policy_version.number,
            content_sha256=text_sha256(policy_version.body_markdown),
            effective=policy_version.effective_date, source=policy_version.historical_source,
            slug=_found(Policy, policy_version.policy_id).slug,
        )  # fmt: skip
    else:
        course_version = _found(CourseVersion, row.course_version_id)
        fields.update(
            at=course_version.recorded_at, recorded_by=course_version.recorded_by,
            requirement_id=course_version.course_id, version_id=course_version.id,
            version_number=course_version.number, content_sha256=stored_sha256(course_version),
            effective=course_version.created_at, source=course_version.historical_source,
            slug=_found(Course, course_version.course_id).slug,
        )  # fmt: skip
    return fields


def translation_fields(row: PolicyTranslation) -> dict[str, Any]:
    """A translation's row as :func:`smattest.verify.format_2_hash` takes it (format 6).

    The SHA-256 of its text is computed here from the Markdown as stored, so an edited
    translation no longer matches the row's hash, whether or not anyone signed it.
    """
    version = _found(PolicyVersion, row.policy_version_id)
    return {
        "format": row.format, "kind": KINDS[PolicyTranslation], "seq": row.chain_seq,
        "prev_hash": row.prev_hash, "at": row.added_at, "recorded_by": row.added_by,
        "requirement_kind": "policy", "requirement_id": version.policy_id,
        "version_id": version.id, "version_number": version.number,
        "content_sha256": text_sha256(row.body_markdown), "language": row.language,
    }  # fmt: skip


def chain_translations(translations: list[PolicyTranslation]) -> None:
    """Take the chain's lock in the current transaction and chain translations just added.

    Passed as ``chain`` to :func:`smattest.publishing.translations` functions (which
    sit below the chain): the translations commit with their rows in the chain, or not
    at all.
    """
    if not translations:
        return
    head = lock_chain(fresh=False)
    for translation in translations:
        translation.format = LANGUAGE_FORMAT
        if translation.added_at is None:
            translation.added_at = utcnow()
        link(head, translation)


def link_version(head: ChainHead, version: PolicyVersion | CourseVersion) -> VersionRecord:
    """Chain a past version just added (flushed here) at the (locked) head's next position."""
    current_smattest.db.session.flush()
    if isinstance(version, PolicyVersion):
        record = VersionRecord(requirement_kind="policy", policy_version_id=version.id)
    else:
        record = VersionRecord(requirement_kind="course", course_version_id=version.id)
    record.format = VERSION_FORMAT
    link(head, record)
    return record


def chain_past_version(version: PolicyVersion | CourseVersion) -> None:
    """Take the chain's lock in the current transaction and chain a past version in it.

    Passed as ``chain`` to :func:`smattest.publishing.policies.publish` and
    :func:`smattest.publishing.courses.import_course` (which sit below the chain):
    the version and its record commit together, or neither does.
    """
    link_version(lock_chain(fresh=False), version)


def record_hash(row: Evidence) -> str:
    """The SHA-256 a row must carry, from its fields and its ``prev_hash``, in its format."""
    if isinstance(row, VersionRecord):
        return hashformat.format_2_hash(version_fields(row))
    if isinstance(row, PolicyTranslation):
        return hashformat.format_2_hash(translation_fields(row))
    if isinstance(row, IdentityLink) or (
        (row.format or 1) == 1 and isinstance(row, Attestation | TrainingCompletion)
    ):
        kind = KINDS[type(row)]
        fields = {name: getattr(row, name) for name in hashformat.FORMAT_1_FIELDS[kind]}
        return hashformat.format_1_hash(kind, fields, row.prev_hash or "")
    return hashformat.format_2_hash(hash_fields(row))


def seal(row: Formatted) -> None:
    """Give each personal field that holds a value a fresh salt and its digest."""
    for name in PERSONAL[type(row)]:
        value = getattr(row, name)
        if hashformat.present(value):
            salt = secrets.token_hex(16)
            setattr(row, f"{name}_salt", salt)
            setattr(row, f"{name}_sha256", hashformat.field_digest(salt, value))
        else:
            setattr(row, f"{name}_salt", None)
            setattr(row, f"{name}_sha256", None)


def _found(model: type[_Found], row_id: int) -> _Found:
    found = current_smattest.db.session.get(model, row_id)
    if found is None:
        raise ValueError(f"evidence names {model.__tablename__} id {row_id}, which does not exist")
    return found


@dataclass(frozen=True)
class AtTheTime:
    """Who and what a row is about as they are now, when the caller already has them."""

    employee_id: str
    full_name: str
    requirement_slug: str
    version_number: int | None = None


def _at_the_time(row: Formatted, known: AtTheTime | None) -> None:
    """Copy who and what the row is about, as they are now, into the row."""
    if known is not None:
        row.employee_id, row.full_name = known.employee_id, known.full_name
        row.requirement_slug = known.requirement_slug
        if isinstance(row, Attestation | TrainingCompletion):
            row.version_number = known.version_number
        return
    staff = _found(Staff, row.staff_id)
    row.employee_id, row.full_name = staff.external_id, staff.full_name
    if isinstance(row, Attestation):
        version = _found(PolicyVersion, row.policy_version_id)
        row.requirement_slug = _found(Policy, version.policy_id).slug
        row.version_number = version.number
    elif isinstance(row, TrainingCompletion):
        course_version = _found(CourseVersion, row.course_version_id)
        row.requirement_slug = _found(Course, course_version.course_id).slug
        row.version_number = course_version.number
    elif row.requirement_kind == "policy":
        row.requirement_slug = _found(Policy, row.requirement_id).slug
    else:
        row.requirement_slug = _found(Course, row.requirement_id).slug


def single_writer() -> bool:
    """Whether the database writes one transaction at a time (SQLite): no row locks."""
    return current_smattest.db.session.get_bind(ChainHead).dialect.name == "sqlite"


def lock_chain(*, fresh: bool = True) -> ChainHead:
    """Start a transaction that owns the chain's head until it commits.

    Ends the session's current transaction first (unless ``fresh`` is False:
    the caller just did, and has read since only what it must), so that every
    read after the lock sees what concurrent appends committed (MariaDB's
    repeatable read would otherwise keep an older snapshot). The UPDATE takes the head
    row's lock on PostgreSQL and MariaDB and the write lock on SQLite; where
    the database can return what it updated (PostgreSQL, SQLite), the same
    statement reads the head, so the lock costs one round trip, not two.
    """
    session = current_smattest.db.session
    if fresh:
        session.commit()
    take = sa.update(ChainHead).where(ChainHead.id == 1).values(updated_at=utcnow())
    head: ChainHead | None
    if session.get_bind(ChainHead).dialect.update_returning:
        head = session.scalars(
            take.returning(ChainHead), execution_options={"populate_existing": True}
        ).one_or_none()
    else:
        session.execute(take)
        # A locking read: MariaDB's consistent read would show the transaction's
        # snapshot when the UPDATE changed nothing (the same updated_at, to the second).
        head = session.get(ChainHead, 1, populate_existing=True, with_for_update=True)
    if head is None:
        raise RuntimeError("smattest_chain_head has no row: run 'flask smattest db upgrade'.")
    return head


def prepare(row: Evidence, known: AtTheTime | None = None) -> None:
    """Fill in what a row says that does not depend on its chain position, in format 2.

    Who and what the row is about as they are now (employee id, name,
    requirement slug and version number; ``known`` when the caller read them
    already), and its personal fields sealed. A caller may do this before
    taking the chain's lock, so that under it only the position and the hash
    are worked out (then it passes ``prepared=True`` to :func:`link`).
    """
    if not isinstance(row, RECORDS):  # these keep their own form
        # A paper form recorded after its day also commits to when it was recorded; an
        # exemption end, to the grant it ends.
        later = isinstance(row, Attestation) and row.recorded_at is not None
        row.format = FORMAT_RECORDED_LATER if later else FORMAT
        if isinstance(row, ExemptionEnd):
            row.format = END_FORMAT
        if isinstance(row, Attestation | TrainingCompletion) and row.language is not None:
            row.format = LANGUAGE_FORMAT  # the language read (and the text's SHA-256)
        _at_the_time(row, known)
        seal(row)


def link(
    head: ChainHead, row: Evidence, known: AtTheTime | None = None, *, prepared: bool = False
) -> None:
    """Record ``row`` in format 2 at the next chain position and advance the (locked) head.

    Unless ``prepared`` (see :func:`prepare`), first fills in who and what the
    row is about as they are now (``known`` when the caller read them already,
    so nothing is queried under the chain's lock) and seals its personal
    fields; then hashes it. The append is the one place evidence marks its person's
    due dates stale (:func:`smattest.due.marks.evidence_appended`): the mark
    commits with the row.
    """
    if not prepared and not isinstance(row, VersionRecord | PolicyTranslation):
        prepare(row, known)
    row.chain_seq = head.last_seq + 1
    row.prev_hash = head.last_hash
    row.record_hash = record_hash(row)
    head.last_seq, head.last_hash = row.chain_seq, row.record_hash
    session = current_smattest.db.session
    # The position's one owner: the database refuses a second row at it, in any table.
    session.add(ChainPosition(seq=row.chain_seq, tbl=type(row).__tablename__))
    session.add(row)
    # An id change moves no due date by itself; a past version, dated before, none either.
    if not isinstance(row, RECORDS):
        due_marks.evidence_appended(session(), row)
