"""A course in several languages: the course file's per-language fields, checked and read.

A course file may give, besides its own text, the same course in other languages::

    "translations": {"es": {"title": "..."}}                      on the course
    "translations": {"es": {"title": "...", "body": "..."}}       on each section
    "translations": {"es": {"prompt": "...", "options": ["...", "..."],
                            "explanation": "..."}}                on each question

A language given anywhere must be given everywhere, and each question's options in
that language are the same options in the same order: the quiz asks the same
questions with the same answers, only in the reader's words. The translations are
part of the content as stored, so its SHA-256 (which completions record) covers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import smattest.text as text_rules

from ..i18n import gettext, original_language, text_language
from ..markdown import rendered
from ..models import CourseSection, CourseVersion, Question

#: The fields of each kind of item's per-language object.
FIELDS = {
    "course": ("title",),
    "section": ("title", "body"),
    "question": ("prompt", "options", "explanation"),
}


def problems(data: dict[str, Any]) -> list[str]:
    """Every problem with a parsed course file's translations, each saying where it is."""
    items: list[tuple[str, str, Any]] = [("course", "course", data)]
    items += [(f"sections[{n}]", "section", s) for n, s in enumerate(data.get("sections") or [], 1)]
    items += [
        (f"questions[{n}]", "question", q) for n, q in enumerate(data.get("questions") or [], 1)
    ]
    items = [(where, kind, item) for where, kind, item in items if isinstance(item, dict)]
    found: list[str] = []
    languages: set[str] = set()
    for where, _, item in items:
        given = item.get("translations", {})
        if not isinstance(given, dict):
            found.append(gettext("%(where)s.translations: must be an object {...}", where=where))
            continue
        languages.update(given)
    for code in sorted(languages):
        language = text_language(code)
        if language is None or language != code:
            found.append(gettext(
                "translations: %(code)s is not a language code as smattest writes it: use one "
                "such as es, fr or pt_BR.", code=repr(code)))  # fmt: skip
            continue
        if language == original_language():
            found.append(gettext(
                "translations: %(code)s is the course's own language "
                "(SMATTEST_DEFAULT_LOCALE); a translation is in another language.",
                code=code))  # fmt: skip
            continue
        for where, kind, item in items:
            found += _item_problems(f"{where}.translations.{code}", kind, item, code)
    return found


def _item_problems(where: str, kind: str, item: dict[str, Any], code: str) -> list[str]:
    given = (item.get("translations") or {}).get(code)
    if not isinstance(given, dict):
        return [gettext(
            "%(where)s: missing: a language given anywhere in the file is given for the "
            "course, every section and every question.", where=where)]  # fmt: skip
    found = [
        gettext("%(where)s: unknown field %(name)s", where=where, name=repr(name))
        for name in given
        if name not in FIELDS[kind]
    ]
    for name in FIELDS[kind]:
        value = given.get(name)
        if name == "options":
            count = len(item.get("options") or [])
            if not (isinstance(value, list) and len(value) == count
                    and all(isinstance(v, str) and v.strip() for v in value)):  # fmt: skip
                found.append(gettext(
                    "%(where)s.options: must list the %(count)s options' texts, in the same "
                    "order as the question's own options.", where=where, count=count))  # fmt: skip
                continue
            texts = value
        elif not (isinstance(value, str) and value.strip()):
            found.append(gettext("%(where)s: must be non-empty text", where=f"{where}.{name}"))
            continue
        else:
            texts = [value]
        for one in texts:
            hidden = (
                text_rules.markdown_problem(f"{where}.{name}", one)
                if name == "body"
                else text_rules.problem(f"{where}.{name}", one, multiline=True)
            )
            if hidden:
                found.append(hidden)
                break
    return found


def stored(item: dict[str, Any]) -> dict[str, Any] | None:
    """An item's translations as stored (None: none)."""
    given = item.get("translations")
    return dict(sorted(given.items())) if given else None


def languages_of(version: CourseVersion) -> list[str]:
    """The languages a course version can be read and taken in: its own first."""
    return [original_language(), *sorted(version.translations or {})]


def _in(item: CourseSection | Question | CourseVersion, language: str | None) -> dict[str, Any]:
    return ((item.translations or {}).get(language or "") or {}) if language else {}


@dataclass(frozen=True)
class SectionIn:
    """A course section as a reader of ``language`` reads it."""

    section: CourseSection
    language: str | None

    @property
    def position(self) -> int:
        return self.section.position

    @property
    def title(self) -> str:
        return str(_in(self.section, self.language).get("title") or self.section.title)

    @property
    def html(self) -> str:
        """Rendered from the hashed Markdown of that language, never a stored copy."""
        body = _in(self.section, self.language).get("body")
        return rendered(body) if body else self.section.html


@dataclass(frozen=True)
class QuestionIn:
    """A question as a reader of ``language`` sees it: the same options, in the same order."""

    question: Question
    language: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.question, name)

    @property
    def prompt(self) -> str:
        return str(_in(self.question, self.language).get("prompt") or self.question.prompt)

    @property
    def options(self) -> list[str]:
        return list(_in(self.question, self.language).get("options") or self.question.options)

    @property
    def explanation(self) -> str:
        found = _in(self.question, self.language).get("explanation")
        return str(found or self.question.explanation)


def title_in(version: CourseVersion, language: str | None) -> str:
    """The course's title in ``language`` (its own title when the file gave none)."""
    return str(_in(version, language).get("title") or version.course.title)
