"""The signed texts, for ``audit verify``: what people read and signed is what was hashed.

- Every policy version's text is hashed again and compared with the SHA-256 the
  version and every attestation of it recorded; the same for every course
  version's content and its completions.
- The HTML stored beside each text and course section is rendered again from
  its Markdown and compared: pages never serve the stored copy (they render the
  hashed Markdown), but an edited one is named.
- Every translation's text is hashed again and compared with the SHA-256 recorded
  when it was added and with what every attestation in its language recorded (its
  chain row's hash covers the text too: an edit is named there as well).
- Every version marked as in force before smattest (``historical_source``) has
  its record in the chain (:class:`~smattest.models.VersionRecord`); the record's
  hash, checked with the chain, covers the version as its table holds it.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

import smattest.markdown as markdown

from ..models import (
    Attestation,
    Course,
    CourseVersion,
    Policy,
    PolicyTranslation,
    PolicyVersion,
    TrainingCompletion,
    VersionRecord,
)
from ..proxies import current_smattest
from ..publishing.courses import stored_sha256


def problems() -> list[str]:
    """Every text, rendering or past version that no longer matches what was hashed."""
    return text_problems() + _course_problems() + _past_version_problems()


def _same_html(stored: str, markdown_text: str) -> bool:
    """Whether a stored rendering is its Markdown's, up to whitespace between words and tags."""
    return stored.split() == markdown.render(markdown_text).split()


def _rendering_problem(label: str) -> str:
    return (
        f"{label}: its stored HTML (body_html) is not the rendering of its Markdown: the "
        "HTML was edited. Pages never show it: people read the rendering of the hashed "
        "Markdown."
    )


def text_problems() -> list[str]:
    """Every policy version whose text, or whose evidence, no longer matches its SHA-256."""
    session = current_smattest.db.session
    found: list[str] = []
    actual: dict[int, str] = {}
    labels: dict[int, str] = {}
    versions = session.execute(
        sa.select(PolicyVersion.id, Policy.slug, PolicyVersion.number,
                  PolicyVersion.body_markdown, PolicyVersion.text_sha256, PolicyVersion.body_html)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .order_by(Policy.slug, PolicyVersion.number)
        .execution_options(yield_per=50)
    )  # fmt: skip
    for version_id, slug, number, body, recorded, stored_html in versions:
        labels[version_id] = f"policy {slug} version {number}"
        if not _same_html(stored_html, body):
            found.append(_rendering_problem(labels[version_id]))
        actual[version_id] = hashlib.sha256(body.encode("utf-8")).hexdigest()
        if actual[version_id] != recorded:
            found.append(
                f"{labels[version_id]}: its text no longer matches the SHA-256 recorded when "
                f"it was published ({recorded}; the text now hashes to {actual[version_id]}): "
                "the published text was edited."
            )
    translated = _translation_problems(labels, found)
    signed = session.execute(
        sa.select(Attestation.policy_version_id, Attestation.language, Attestation.text_sha256)
        .where(Attestation.chain_seq.is_not(None))
        .distinct()
    ).all()
    for version_id, language, recorded in signed:
        key = (version_id, language or "")
        if key in translated:
            label, now = f"{labels[version_id]}, {language} translation", translated[key]
        elif version_id in actual:
            label, now = labels[version_id], actual[version_id]
        else:
            continue
        if recorded != now:
            found.append(
                f"{label}: attestations recorded the text's SHA-256 as {recorded}, "
                f"but the text now hashes to {now}: the signed text was edited."
            )
    return found


def _translation_problems(labels: dict[int, str], found: list[str]) -> dict[tuple[int, str], str]:
    """Add to ``found`` every translation whose text no longer matches its SHA-256; return
    each translation's text hash as it is now, by (version id, language)."""
    actual: dict[tuple[int, str], str] = {}
    rows = current_smattest.db.session.execute(
        sa.select(PolicyTranslation.policy_version_id, PolicyTranslation.language,
                  PolicyTranslation.body_markdown, PolicyTranslation.text_sha256)
        .order_by(PolicyTranslation.policy_version_id, PolicyTranslation.language)
    )  # fmt: skip
    for version_id, language, body, recorded in rows:
        now = actual[(version_id, language)] = hashlib.sha256(body.encode("utf-8")).hexdigest()
        if now != recorded:
            found.append(
                f"{labels.get(version_id, f'policy version #{version_id}')}, {language} "
                f"translation: its text no longer matches the SHA-256 recorded when it was "
                f"added ({recorded}; the text now hashes to {now}): the translation was edited."
            )
    return actual


def _course_problems() -> list[str]:
    """Course versions whose content, or whose completions, no longer match its SHA-256."""
    session = current_smattest.db.session
    found: list[str] = []
    actual: dict[int, str] = {}
    labels: dict[int, str] = {}
    versions = session.scalars(
        sa.select(CourseVersion)
        .options(
            selectinload(CourseVersion.course),
            selectinload(CourseVersion.sections),
            selectinload(CourseVersion.questions),
        )
        .execution_options(populate_existing=True)
    ).all()
    for version in versions:
        labels[version.id] = f"course {version.course.slug} version {version.number}"
        found += [
            _rendering_problem(f"{labels[version.id]}, section {section.position}")
            for section in version.sections
            if not _same_html(section.body_html, section.body_markdown)
        ]
        actual[version.id] = stored_sha256(version)
        if version.stored_sha256 is not None and actual[version.id] != version.stored_sha256:
            found.append(
                f"{labels[version.id]}: its content no longer matches the SHA-256 recorded when "
                f"it was imported ({version.stored_sha256}; it now hashes to "
                f"{actual[version.id]}): the course content was edited."
            )
    recorded = session.execute(
        sa.select(TrainingCompletion.course_version_id, TrainingCompletion.format,
                  TrainingCompletion.content_sha256, CourseVersion.content_sha256)
        .join(CourseVersion, CourseVersion.id == TrainingCompletion.course_version_id)
        .distinct()
    ).all()  # fmt: skip
    for version_id, row_format, completion_hash, source_hash in recorded:
        # Format 1 recorded the imported file's hash; format 2 the content as stored.
        expected = source_hash if (row_format or 1) == 1 else actual.get(version_id)
        if completion_hash != expected:
            found.append(
                f"{labels[version_id]}: completions recorded its content's SHA-256 as "
                f"{completion_hash}, but it is {expected}: the course content was edited."
            )
    return found


def _past_version_problems() -> list[str]:
    """Versions marked as in force before smattest that have no record in the chain."""
    session = current_smattest.db.session
    unchained_policies = session.execute(
        sa.select(Policy.slug, PolicyVersion.number, PolicyVersion.historical_source)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .outerjoin(VersionRecord, VersionRecord.policy_version_id == PolicyVersion.id)
        .where(PolicyVersion.historical_source.is_not(None), VersionRecord.id.is_(None))
        .order_by(Policy.slug, PolicyVersion.number)
    ).all()
    unchained_courses = session.execute(
        sa.select(Course.slug, CourseVersion.number, CourseVersion.historical_source)
        .join(Course, Course.id == CourseVersion.course_id)
        .outerjoin(VersionRecord, VersionRecord.course_version_id == CourseVersion.id)
        .where(CourseVersion.historical_source.is_not(None), VersionRecord.id.is_(None))
        .order_by(Course.slug, CourseVersion.number)
    ).all()
    return [
        f"{kind} {slug} version {number} is marked as a past version (from {source}) but "
        "has no record in the evidence chain: it was marked outside smattest (or recorded "
        "before migration 0015)."
        for kind, rows in (("policy", unchained_policies), ("course", unchained_courses))
        for slug, number, source in rows
    ]
