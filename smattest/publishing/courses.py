"""Refresher courses: the import file format, its validation, and versioned imports.

A course file is JSON (UTF-8)::

    {
      "slug": "social-media-refresher",         required, lower-case-with-hyphens
      "title": "Social Media Refresher",        required
      "policy": "social-media",                 optional: slug of the policy it teaches
      "pass_mark": 80,                          optional, 1-100 (percent), default 80
      "refresh_every_months": 12,               optional, 1-120, default 12
      "questions_per_attempt": 8,               optional: drawn at random per attempt,
                                                1 to the number of questions; default all
      "max_attempts": 3,                        optional, 1-20: failed attempts a day, default 3
      "translations": {"es": {"title": "..."}},   optional: the course in other languages,
                                                see smattest.publishing.course_translations
      "sections": [{"title": "...", "body": "Markdown"}],                 at least one
      "questions": [{
          "id": "friend-request",               required, unique in the file
          "kind": "single" | "multiple",        required
          "prompt": "...",                      required, unique in the file
          "options": [{"text": "...", "correct": true}, {"text": "..."}],   2 or more
          "explanation": "...",                 required: shown after a miss, so it
                                                teaches the rule without naming the option
          "topic": "boundaries",                optional: draws are balanced across topics
          "section": 3                          optional: the section (1, 2, ...) to re-read
      }]
    }

Every problem is reported with where it is, and nothing is imported unless
the whole file is valid. Importing a changed file adds a new version of the
course; completions of earlier versions keep counting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import sqlalchemy as sa

import smattest.markdown as markdown

from ..db import utcnow
from ..i18n import gettext, ngettext
from ..models import Course, CourseSection, CourseVersion, HREvent, Question
from ..proxies import current_smattest
from . import course_translations
from .policies import SLUG, get_policy, historical_problem

COURSE_FIELDS = {"slug", "title", "policy", "pass_mark", "refresh_every_months", "sections",
                 "questions", "questions_per_attempt", "max_attempts",
                 "translations"}  # fmt: skip
REQUIRED_COURSE_FIELDS = {"slug", "title", "sections", "questions"}
SECTION_FIELDS = {"title", "body"}
QUESTION_FIELDS = {"id", "kind", "prompt", "options", "explanation", "topic", "section",
                   "translations"}  # fmt: skip
REQUIRED_QUESTION_FIELDS = {"id", "kind", "prompt", "options", "explanation"}
OPTION_FIELDS = {"text", "correct"}


class CourseFileError(ValueError):
    """A course file has problems; ``problems`` lists each with where it is, in the
    reader's language (HR's past-versions page; the CLI runs in English)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = ngettext("%(num)s problem", "%(num)s problems", len(problems))
        super().__init__(f"{count}: " + "; ".join(problems))


def parse(source: bytes) -> dict[str, Any]:
    """Decode and parse a course file, or raise :class:`CourseFileError` saying where."""
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CourseFileError(
            [gettext("the file is not UTF-8 (byte %(byte)s)", byte=error.start)]
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CourseFileError(
            [
                gettext(
                    "line %(line)s, column %(column)s: not valid JSON (%(why)s)",
                    line=error.lineno,
                    column=error.colno,
                    why=error.msg,
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise CourseFileError([gettext("the file must hold one JSON object {...}, the course")])
    return data


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _fields(where: str, item: Any, allowed: set[str], required: set[str]) -> list[str]:
    if not isinstance(item, dict):
        return [gettext("%(where)s: must be an object {...}", where=where)]
    problems = [
        gettext("%(where)s: unknown field %(name)s", where=where, name=repr(name))
        for name in item
        if name not in allowed
    ]
    problems += [
        gettext("%(where)s: missing %(name)s", where=where, name=repr(name))
        for name in sorted(required - set(item))
    ]
    return problems


def validate(data: dict[str, Any]) -> list[str]:
    """Every problem in a parsed course file, each saying where it is; [] when valid."""
    problems = _fields("course", data, COURSE_FIELDS, REQUIRED_COURSE_FIELDS)
    if "slug" in data and not (isinstance(data["slug"], str) and SLUG.match(data["slug"])):
        problems.append(
            gettext("slug: %(value)s is not lower-case-with-hyphens", value=repr(data["slug"]))
        )
    if "title" in data and not _text(data["title"]):
        problems.append(_not_text("title"))
    if "pass_mark" in data and not _whole(data["pass_mark"], 1, 100):
        problems.append(_not_whole("pass_mark", data["pass_mark"], 100))
    months = data.get("refresh_every_months", 12)
    if not _whole(months, 1, 120):
        problems.append(_not_whole("refresh_every_months", months, 120))
    if "policy" in data and (not isinstance(data["policy"], str) or not get_policy(data["policy"])):
        problems.append(gettext("policy: no policy with slug %(slug)s", slug=repr(data["policy"])))
    sections = data.get("sections", [])
    if not isinstance(sections, list) or not sections:
        problems.append(gettext("sections: must be a list with at least one section"))
        sections = []
    for n, section in enumerate(sections, 1):
        where = f"sections[{n}]"
        problems += _fields(where, section, SECTION_FIELDS | {"translations"}, SECTION_FIELDS)
        if isinstance(section, dict):
            problems += [_not_text(f"{where}.{k}") for k in ("title", "body")
                         if k in section and not _text(section[k])]  # fmt: skip
    questions = data.get("questions", [])
    if not isinstance(questions, list) or not questions:
        problems.append(gettext("questions: must be a list with at least one question"))
        questions = []
    seen_ids: dict[str, int] = {}
    seen_prompts: dict[str, int] = {}
    for n, question in enumerate(questions, 1):
        problems += _question_problems(n, question, seen_ids, seen_prompts, len(sections))
    if "questions_per_attempt" in data and not _whole(
        data["questions_per_attempt"], 1, max(len(questions), 1)
    ):
        problems.append(
            gettext(
                "questions_per_attempt: %(value)s is not a whole number from 1 to %(most)s "
                "(the number of questions)",
                value=repr(data["questions_per_attempt"]),
                most=len(questions),
            )
        )
    if "max_attempts" in data and not _whole(data["max_attempts"], 1, 20):
        problems.append(_not_whole("max_attempts", data["max_attempts"], 20))
    return problems + course_translations.problems(data)


def _not_text(where: str) -> str:
    return gettext("%(where)s: must be non-empty text", where=where)


def _not_whole(where: str, value: Any, most: int) -> str:
    return gettext(
        "%(where)s: %(value)s is not a whole number from 1 to %(most)s",
        where=where,
        value=repr(value),
        most=most,
    )


def _question_problems(
    n: int,
    question: Any,
    seen_ids: dict[str, int],
    seen_prompts: dict[str, int],
    sections: int,
) -> list[str]:
    where = f"questions[{n}]"
    problems = _fields(where, question, QUESTION_FIELDS, REQUIRED_QUESTION_FIELDS)
    if not isinstance(question, dict):
        return problems
    qid = question.get("id")
    if "id" in question:
        where = f"questions[{n}] (id {qid!r})"
        if not (isinstance(qid, str) and SLUG.match(qid)):
            problems.append(gettext("%(where)s: id must be lower-case-with-hyphens", where=where))
        elif qid in seen_ids:
            problems.append(
                gettext(
                    "%(where)s: duplicate question: the same id as questions[%(other)s]",
                    where=where,
                    other=seen_ids[qid],
                )
            )
        else:
            seen_ids[qid] = n
    prompt = question.get("prompt")
    if "prompt" in question and not _text(prompt):
        problems.append(_not_text(f"{where}.prompt"))
    elif _text(prompt):
        key = " ".join(prompt.split()).casefold()
        if key in seen_prompts:
            problems.append(
                gettext(
                    "%(where)s: duplicate question: the same prompt as questions[%(other)s]",
                    where=where,
                    other=seen_prompts[key],
                )
            )
        seen_prompts.setdefault(key, n)
    if "explanation" in question and not _text(question["explanation"]):
        problems.append(_not_text(f"{where}.explanation"))
    if "topic" in question and not (_text(question["topic"]) and len(question["topic"]) <= 80):
        problems.append(
            gettext(
                "%(where)s.topic: must be non-empty text of at most %(most)s characters",
                where=where,
                most=80,
            )
        )
    if "section" in question and not _whole(question["section"], 1, max(sections, 1)):
        problems.append(
            gettext(
                "%(where)s.section: %(value)s is not a section number from 1 to %(most)s",
                where=where,
                value=repr(question["section"]),
                most=sections,
            )
        )
    kind = question.get("kind")
    if "kind" in question and kind not in ("single", "multiple"):
        problems.append(
            gettext(
                "%(where)s.kind: %(value)s is neither 'single' nor 'multiple'",
                where=where,
                value=repr(kind),
            )
        )
    options = question.get("options")
    if "options" not in question:
        return problems
    if not isinstance(options, list) or len(options) < 2:
        return problems + [
            gettext("%(where)s.options: must be a list of at least 2 options", where=where)
        ]
    texts = set()
    for m, option in enumerate(options, 1):
        at = f"{where}.options[{m}]"
        problems += _fields(at, option, OPTION_FIELDS, {"text"})
        if not isinstance(option, dict):
            continue
        if "text" in option and not _text(option["text"]):
            problems.append(_not_text(f"{at}.text"))
        elif _text(option.get("text")):
            if option["text"].strip() in texts:
                problems.append(gettext("%(where)s: the same text as another option", where=at))
            texts.add(option["text"].strip())
        if "correct" in option and not isinstance(option["correct"], bool):
            problems.append(gettext("%(where)s.correct: must be true or false", where=at))
    correct = sum(1 for o in options if isinstance(o, dict) and o.get("correct") is True)
    if correct == 0:
        problems.append(
            gettext('%(where)s: no option is marked correct ("correct": true)', where=where)
        )
    elif kind == "single" and correct > 1:
        problems.append(
            gettext(
                "%(where)s: a 'single' question has %(correct)s correct options; it needs 1",
                where=where,
                correct=correct,
            )
        )
    return problems


@dataclass(frozen=True)
class Imported:
    """The course version that stands after an import, and whether it is new."""

    version: CourseVersion
    created: bool


def content_sha256(data: dict[str, Any]) -> str:
    """A fingerprint of a course file's content, blind to formatting and key order."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stored_sha256(version: CourseVersion) -> str:
    """A fingerprint of a course version's content as stored: what people read and answer.

    SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of
    ``{"pass_mark", "sections": [{"title", "body"}], "questions": [{"kind",
    "prompt", "options", "correct", "explanation"}]}`` in their order; a course
    in several languages adds ``translations`` to the object, each section and
    each question (as stored: language to fields), so they are covered too.
    Training completions (format 2) record it; ``audit verify`` recomputes it.
    """
    content: dict[str, Any] = {
        "pass_mark": version.pass_mark,
        "sections": [{"title": s.title, "body": s.body_markdown} for s in version.sections],
        "questions": [
            {"kind": q.kind, "prompt": q.prompt, "options": list(q.options),
             "correct": list(q.correct), "explanation": q.explanation}
            for q in version.questions
        ],
    }  # fmt: skip
    if version.translations:
        content["translations"] = version.translations
        for item, section in zip(content["sections"], version.sections, strict=True):
            item["translations"] = section.translations
        for item, question in zip(content["questions"], version.questions, strict=True):
            item["translations"] = question.translations
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def import_course(
    data: dict[str, Any],
    *,
    effective: dt.date | None = None,
    historical: str | None = None,
    recorded_by: str | None = None,
    chain: Callable[[CourseVersion], None] | None = None,
) -> Imported:
    """Import a parsed course file in one transaction: all of it, or nothing.

    Raises :class:`CourseFileError` listing every problem. An unchanged file
    creates nothing; a changed one adds the next version.

    ``historical`` (with ``effective``, a past day) records a version that was in
    force before smattest, taken from that source: it takes effect at noon, local,
    of ``effective`` (the rule reads ``created_at``), and keeps when and by whom it
    was recorded. It must be newer than every version the course has, each of
    them historical too (see :func:`smattest.publishing.policies.historical_problem`),
    and ``chain`` (:func:`smattest.evidence.chain.chain_past_version`) puts it in the
    evidence chain in the same transaction.
    """
    if historical is not None and chain is None:
        raise ValueError("a past version is chained: pass chain=chain_past_version")
    problems = validate(data)
    if problems:
        raise CourseFileError(problems)
    session = current_smattest.db.session
    digest = content_sha256(data)
    course = session.scalar(sa.select(Course).where(Course.slug == data["slug"]))
    latest = course.versions[-1] if course and course.versions else None
    created_at = utcnow()
    if historical is not None:
        historical = " ".join(historical.split())
        tz = current_smattest.timezone
        existing = [
            (v.number, v.created_at.astimezone(tz).date(), v.historical_source)
            for v in (course.versions if course else [])
        ]
        problem = historical_problem(historical, effective, existing, course=True)
        if problem:
            raise CourseFileError([problem])
        assert effective is not None  # historical_problem: a past day
        created_at = dt.datetime.combine(effective, dt.time(12), tzinfo=tz).astimezone(dt.UTC)
    elif effective is not None:
        raise CourseFileError(
            [gettext("a course version takes effect when it is imported: --effective is for "
                     "a past version, with --historical SOURCE.")]
        )  # fmt: skip
    if latest is not None and latest.content_sha256 == digest:
        return Imported(latest, created=False)
    policy = get_policy(data["policy"]) if data.get("policy") else None
    if course is None:
        course = Course(slug=data["slug"])
        session.add(course)
    course.title = " ".join(data["title"].split())
    course.refresh_every_months = data.get("refresh_every_months", 12)
    course.policy_id = policy.id if policy else None
    version = CourseVersion(
        course=course,
        number=latest.number + 1 if latest else 1,
        pass_mark=data.get("pass_mark", 80),
        questions_per_attempt=data.get("questions_per_attempt"),
        max_attempts=data.get("max_attempts", 3),
        content_sha256=digest,
        created_at=created_at,
        historical_source=historical,
        recorded_at=utcnow() if historical is not None else None,
        recorded_by=recorded_by if historical is not None else None,
        translations=course_translations.stored(data),
    )
    version.sections = [
        CourseSection(position=n, title=s["title"].strip(), body_markdown=s["body"],
                      body_html=markdown.render(s["body"]),
                      translations=course_translations.stored(s))
        for n, s in enumerate(data["sections"], 1)
    ]  # fmt: skip
    version.questions = [
        Question(
            position=n,
            kind=q["kind"],
            prompt=q["prompt"].strip(),
            options=[o["text"].strip() for o in q["options"]],
            correct=[i for i, o in enumerate(q["options"]) if o.get("correct") is True],
            explanation=q["explanation"].strip(),
            topic=" ".join(q["topic"].split()) if q.get("topic") else None,
            section=q.get("section"),
            translations=course_translations.stored(q),
        )
        for n, q in enumerate(data["questions"], 1)
    ]
    version.stored_sha256 = stored_sha256(version)
    session.add(version)
    if historical is not None and effective is not None:
        session.add(
            HREvent(
                actor=recorded_by or "cli",
                action="version.historical",
                detail=f"course {course.slug} version {version.number}, in force from "
                f"{effective.isoformat()}, recorded from {historical}",
            )
        )
        assert chain is not None
        chain(version)
    session.commit()
    return Imported(version, created=True)


def get_course(slug: str) -> Course | None:
    """The course with ``slug``, or None."""
    return current_smattest.db.session.scalar(sa.select(Course).where(Course.slug == slug))
