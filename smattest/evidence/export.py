"""The evidence export: every evidence row in chain order, then the chain's head.

Every attestation and training completion in chain order,
with every field the row's hash covers, then one last row of kind
``chain_head``: the head's position and hash, read before the rows, so the file
ends where the chain ended when the export began. An auditor can recompute
each ``record_hash`` from the file and compare the head with
``flask smattest audit verify``.

Cells and CSV text are those of :mod:`smattest.reports.exports`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import smattest.verify as hashformat

from ..db import UTCDateTime, utcnow
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
from ..reports.exports import BATCH, Export, ReportError, csv_text, record_export
from ..timeutil import local_today
from .chain import version_fields

EVIDENCE_COLUMNS = (
    "seq", "kind", "record_id", "employee_id", "full_name", "staff_id", "requirement_slug",
    "version", "version_id", "at_utc", "method", "signature", "score", "quiz_attempt_id",
    "reason", "recorded_by", "ip_address", "user_agent", "sha256", "prev_hash", "record_hash",
    # Since format 2 (docs/evidence.md): the row's format, what it is about, and the salt
    # and digest beside each personal field.
    "format", "requirement_kind", "requirement_id", "exemption_id", "until",
    "full_name_salt", "full_name_sha256", "signature_salt", "signature_sha256",
    "reason_salt", "reason_sha256", "ip_address_salt", "ip_address_sha256",
    "user_agent_salt", "user_agent_sha256",
    # An id change (kind id_change): the employee id before and after.
    "old_employee_id", "new_employee_id",
    # A signature given on paper on an earlier day (at_utc: noon of that day): when HR
    # recorded it (format 3 hashes it).
    "recorded_at_utc",
    # A version in force before smattest, recorded after the fact: its source and when
    # it was recorded (empty for versions published or imported in smattest).
    "version_historical_source", "version_recorded_at_utc",
    # Since format 4 (exemption ends): the position and record hash of the grant ended.
    "grant_seq", "grant_hash",
    # Since format 5 (kind version_record): the day (policy) or moment (course, UTC) a
    # past version took effect, as hashed.
    "version_effective",
    # Since format 6: the language of the text signed (an attestation) or of a
    # translation (kind translation, whose Markdown is in ``text``: the offline
    # verifier hashes it).
    "language", "text",
)  # fmt: skip
#: The ``kind`` of the evidence export's last row.
CHAIN_HEAD = "chain_head"


@dataclass(frozen=True)
class Head:
    """The chain's head as read at the start of an export."""

    last_seq: int
    last_hash: str
    read_at: dt.datetime


def read_head() -> Head:
    """The chain head, read in a fresh transaction (what the database holds now)."""
    session = current_smattest.db.session
    # As audit.verify does: end any older snapshot (MariaDB's repeatable read).
    session.commit()
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        raise ReportError("smattest_chain_head has no row: run 'flask smattest db upgrade'.")
    return Head(head.last_seq, head.last_hash, utcnow())


def _row_or_now(row_value: Any, joined: Any, model: Any) -> Any:
    """A format-2 row's own value (as it was then), else the joined one (format 1)."""
    return sa.case((model.format >= 2, row_value), else_=joined)


def _select(model: Any, values: dict[str, Any]) -> Any:
    """One kind's part of the evidence query: every export column, typed NULL where absent."""
    return sa.select(
        *(
            values[name].label(name) if name in values else sa.cast(sa.null(), _TYPES[name])
            for name in EVIDENCE_COLUMNS
        )
    ).where(
        model.chain_seq.between(sa.bindparam("first_seq"), sa.bindparam("last_seq")),
        _owned(model),
    )


def _owned(model: Any) -> Any:
    """The row holds its position (a row forged at another's position is left out)."""
    return sa.exists().where(
        ChainPosition.seq == model.chain_seq, ChainPosition.tbl == model.__tablename__
    )


_TYPES: dict[str, Any] = dict.fromkeys(EVIDENCE_COLUMNS, sa.String(512)) | dict.fromkeys(
    ("seq", "record_id", "staff_id", "version", "version_id", "score", "quiz_attempt_id",
     "format", "requirement_id", "exemption_id", "grant_seq"), sa.Integer()
) | {"at_utc": UTCDateTime(), "recorded_at_utc": UTCDateTime(), "until": sa.Date(),
   "version_recorded_at_utc": UTCDateTime(), "reason": sa.Text(), "text": sa.Text()}  # fmt: skip


def _common(model: Any, slug: Any, number: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "seq": model.chain_seq, "record_id": model.id, "staff_id": model.staff_id,
        "format": model.format,
        "employee_id": _row_or_now(model.employee_id, Staff.external_id, model),
        "full_name": _row_or_now(model.full_name, Staff.full_name, model),
        "full_name_salt": model.full_name_salt, "full_name_sha256": model.full_name_sha256,
        "requirement_slug": _row_or_now(model.requirement_slug, slug, model),
        "prev_hash": model.prev_hash, "record_hash": model.record_hash,
    }  # fmt: skip
    if number is not None:
        values["version"] = _row_or_now(model.version_number, number, model)
    if hasattr(model, "reason_salt"):
        values.update(reason_salt=model.reason_salt, reason_sha256=model.reason_sha256)
    return values


def _evidence_query(last_seq: int, first_seq: int = 1) -> Any:
    """Every kind of evidence from ``first_seq`` to ``last_seq``, joined to names, in
    chain order."""
    attestations = _select(Attestation, {
        **_common(Attestation, Policy.slug, PolicyVersion.number),
        "kind": sa.literal("attestation"), "requirement_kind": sa.literal("policy"),
        "version_id": Attestation.policy_version_id, "at_utc": Attestation.attested_at,
        "method": Attestation.method, "signature": Attestation.signature,
        "reason": Attestation.reason, "recorded_by": Attestation.recorded_by,
        "ip_address": Attestation.ip_address, "user_agent": Attestation.user_agent,
        "sha256": Attestation.text_sha256, "recorded_at_utc": Attestation.recorded_at,
        "language": Attestation.language,
        "version_historical_source": PolicyVersion.historical_source,
        "version_recorded_at_utc": sa.case(
            (PolicyVersion.historical_source.is_not(None), PolicyVersion.published_at)
        ),
        **{f"{name}_{part}": getattr(Attestation, f"{name}_{part}")
           for name in ("signature", "ip_address", "user_agent") for part in ("salt", "sha256")},
    }).join(Staff, Staff.id == Attestation.staff_id).join(
        PolicyVersion, PolicyVersion.id == Attestation.policy_version_id
    ).join(Policy, Policy.id == PolicyVersion.policy_id)  # fmt: skip
    completions = _select(TrainingCompletion, {
        **_common(TrainingCompletion, Course.slug, CourseVersion.number),
        "kind": sa.literal("training_completion"), "requirement_kind": sa.literal("course"),
        "version_id": TrainingCompletion.course_version_id,
        "at_utc": TrainingCompletion.completed_at, "method": TrainingCompletion.method,
        "score": TrainingCompletion.score, "quiz_attempt_id": TrainingCompletion.quiz_attempt_id,
        "reason": TrainingCompletion.reason, "recorded_by": TrainingCompletion.recorded_by,
        "sha256": TrainingCompletion.content_sha256, "language": TrainingCompletion.language,
        "version_historical_source": CourseVersion.historical_source,
        "version_recorded_at_utc": CourseVersion.recorded_at,
    }).join(Staff, Staff.id == TrainingCompletion.staff_id).join(
        CourseVersion, CourseVersion.id == TrainingCompletion.course_version_id
    ).join(Course, Course.id == CourseVersion.course_id)  # fmt: skip
    grants = _select(Exemption, {
        **_common(Exemption, Exemption.requirement_slug, None),
        "kind": sa.literal("exemption_grant"), "requirement_kind": Exemption.requirement_kind,
        "requirement_id": Exemption.requirement_id, "at_utc": Exemption.granted_at,
        "reason": Exemption.reason, "recorded_by": Exemption.granted_by,
        "until": Exemption.until,
    }).join(Staff, Staff.id == Exemption.staff_id)  # fmt: skip
    ends = _select(ExemptionEnd, {
        **_common(ExemptionEnd, ExemptionEnd.requirement_slug, None),
        "kind": sa.literal("exemption_end"), "requirement_kind": ExemptionEnd.requirement_kind,
        "requirement_id": ExemptionEnd.requirement_id, "at_utc": ExemptionEnd.ended_at,
        "recorded_by": ExemptionEnd.ended_by, "exemption_id": ExemptionEnd.exemption_id,
        # Hashed since format 4; an older end's copy (not hashed) is left out.
        "grant_seq": sa.case((ExemptionEnd.format >= 4, ExemptionEnd.grant_seq)),
        "grant_hash": ExemptionEnd.grant_hash,
    }).join(Staff, Staff.id == ExemptionEnd.staff_id)  # fmt: skip
    id_changes: Any = sa.select(
        *(
            {
                "seq": IdentityLink.chain_seq, "kind": sa.literal("id_change"),
                "record_id": IdentityLink.id, "employee_id": Staff.external_id,
                "full_name": Staff.full_name, "staff_id": IdentityLink.staff_id,
                "at_utc": IdentityLink.linked_at, "reason": IdentityLink.reason,
                "recorded_by": IdentityLink.recorded_by, "prev_hash": IdentityLink.prev_hash,
                "record_hash": IdentityLink.record_hash,
                "old_employee_id": IdentityLink.old_external_id,
                "new_employee_id": IdentityLink.new_external_id,
            }.get(name, sa.cast(sa.null(), _TYPES[name])).label(name)
            for name in EVIDENCE_COLUMNS
        )
    ).join(Staff, Staff.id == IdentityLink.staff_id).where(
        IdentityLink.chain_seq.between(sa.bindparam("first_seq"), sa.bindparam("last_seq")),
        _owned(IdentityLink),
    )  # fmt: skip
    past_versions: Any = sa.select(
        *(
            {
                "seq": VersionRecord.chain_seq, "kind": sa.literal("version_record"),
                "record_id": VersionRecord.id, "format": VersionRecord.format,
                "requirement_kind": VersionRecord.requirement_kind,
                "prev_hash": VersionRecord.prev_hash, "record_hash": VersionRecord.record_hash,
            }.get(name, sa.cast(sa.null(), _TYPES[name])).label(name)
            for name in EVIDENCE_COLUMNS
        )
    ).where(
        VersionRecord.chain_seq.between(sa.bindparam("first_seq"), sa.bindparam("last_seq")),
        _owned(VersionRecord),
    )  # fmt: skip
    translations = _select(PolicyTranslation, {
        "seq": PolicyTranslation.chain_seq, "kind": sa.literal(hashformat.TRANSLATION),
        "record_id": PolicyTranslation.id, "format": PolicyTranslation.format,
        "requirement_kind": sa.literal("policy"), "requirement_id": PolicyVersion.policy_id,
        "requirement_slug": Policy.slug, "version_id": PolicyVersion.id,
        "version": PolicyVersion.number, "at_utc": PolicyTranslation.added_at,
        "recorded_by": PolicyTranslation.added_by, "sha256": PolicyTranslation.text_sha256,
        "language": PolicyTranslation.language, "text": PolicyTranslation.body_markdown,
        "prev_hash": PolicyTranslation.prev_hash, "record_hash": PolicyTranslation.record_hash,
    }).join(PolicyVersion, PolicyVersion.id == PolicyTranslation.policy_version_id).join(
        Policy, Policy.id == PolicyVersion.policy_id
    )  # fmt: skip
    query = sa.union_all(
        attestations, completions, grants, ends, id_changes, past_versions, translations
    ).order_by(sa.column("seq"))
    return query.params(first_seq=first_seq, last_seq=last_seq)


def _past_versions(last_seq: int, first_seq: int = 1) -> dict[int, dict[str, Any]]:
    """The export's values of each past version's record (by record id), read from the
    versions as they are now (:func:`smattest.evidence.chain.version_fields`).

    Read before the rows stream (one past version per year at most: a few rows), as
    a streaming cursor may not share its connection with other queries.
    """
    records = current_smattest.db.session.scalars(
        sa.select(VersionRecord).where(VersionRecord.chain_seq.between(first_seq, last_seq))
    )
    found = {}
    for record in records:
        fields = version_fields(record)
        found[record.id] = {
            "requirement_id": fields["requirement_id"], "requirement_slug": fields["slug"],
            "version_id": fields["version_id"], "version": fields["version_number"],
            "at_utc": fields["at"], "recorded_by": fields["recorded_by"],
            "sha256": fields["content_sha256"], "version_historical_source": fields["source"],
            "version_recorded_at_utc": fields["at"],
            "version_effective": hashformat.canonical(fields["effective"]),
        }  # fmt: skip
    return found


def _filled(row: Any, past: dict[int, dict[str, Any]]) -> tuple[object, ...]:
    """A row of the query, with a past version's record filled in from its version."""
    if row.kind != "version_record" or row.record_id not in past:
        return tuple(row)
    values = dict(zip(EVIDENCE_COLUMNS, row, strict=True)) | past[row.record_id]
    return tuple(values.values())


def evidence_rows(head: Head) -> Iterator[tuple[object, ...]]:
    """Every evidence row up to ``head`` in chain order (one streamed query).

    The rows come through a server-side cursor ``BATCH`` at a time, so memory
    stays flat however long the chain is.
    """
    past = _past_versions(head.last_seq)
    query = _evidence_query(head.last_seq).execution_options(yield_per=BATCH)
    # Closed on the way out, also when a download is abandoned half-way.
    with current_smattest.db.session.execute(query) as result:
        for row in result:
            yield _filled(row, past)


def evidence_row_values(seq: int) -> list[tuple[object, ...]]:
    """The export's values (in ``EVIDENCE_COLUMNS`` order) of the row at chain position
    ``seq``: normally one; more when a row was forged at a taken position."""
    past = _past_versions(seq, seq)
    return [
        _filled(row, past) for row in current_smattest.db.session.execute(_evidence_query(seq, seq))
    ]


def _with_head(rows: Iterator[tuple[object, ...]], head: Head) -> Iterator[tuple[object, ...]]:
    yield from rows
    closing = dict.fromkeys(EVIDENCE_COLUMNS)
    closing.update(seq=head.last_seq, kind=CHAIN_HEAD, at_utc=head.read_at,
                   record_hash=head.last_hash)  # fmt: skip
    yield tuple(closing.values())


def evidence_csv(head: Head | None = None) -> Iterator[str]:
    """The evidence export's CSV text, chunk by chunk (nothing recorded)."""
    head = head or read_head()
    yield from csv_text(
        EVIDENCE_COLUMNS, _with_head(evidence_rows(head), head), Export("", iter(()))
    )


def evidence_export(*, actor: str, record: bool = True) -> Export:
    """Read the chain head, record the export as an HR event, and return the file to stream.

    The rows streamed are those up to the head read here: evidence recorded
    while the file streams is left for the next export. ``record=False`` (a
    HEAD request) leaves no HR event.
    """
    head = read_head()
    if record:
        chain = f"chain head seq={head.last_seq} hash={head.last_hash or '(empty chain)'}"
        record_export("export.evidence", actor, chain)
    export = Export(f"smattest-evidence-{local_today().isoformat()}.csv", iter(()), head.last_seq)
    rows = _with_head(evidence_rows(head), head)
    export.chunks = csv_text(EVIDENCE_COLUMNS, rows, export)
    return export
