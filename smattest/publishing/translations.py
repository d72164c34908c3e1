"""A policy version's text in other languages: checked here, chained from above.

A translation is published with its version (``policy publish --translation
es=FILE``, or a draft's translations) or added to a version already published
(``policy translate``), which changes nothing anyone owes: no due date moves and
nobody is told. Each is a row of the evidence chain; publishing sits below the
chain, so the caller passes the chain step (:func:`smattest.evidence.chain.chain_translations`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa

import smattest.text as text_rules

from ..i18n import gettext, language_name, original_language, text_language
from ..models import HREvent, PolicyTranslation, PolicyVersion
from ..proxies import current_smattest
from .policies import PolicyError, get_version, normalise_text, text_sha256

#: The chain step: chains translations just added, in the caller's transaction.
Chain = Callable[[list[PolicyTranslation]], None]


def checked(translations: Iterable[tuple[str, str]], original: str) -> dict[str, str]:
    """``(language, text)`` pairs as stored (language tag, normalised text), by language.

    Raises :class:`PolicyError` on a language code that is not one, the original's
    own language, a language given twice, an empty text, a text the same as the
    original, or a hidden or direction-changing character outside code.
    """
    found: dict[str, str] = {}
    own = original_language()
    for given, body in translations:
        language = text_language(given)
        if language is None:
            raise PolicyError(gettext(
                "%(code)s is not a language code: use one such as 'es', 'fr' or 'pt_BR'.",
                code=repr(given)))  # fmt: skip
        if language == own:
            raise PolicyError(gettext(
                "the version's own text is in %(code)s (SMATTEST_DEFAULT_LOCALE): a "
                "translation is in another language.", code=language))  # fmt: skip
        if language in found:
            raise PolicyError(gettext(
                "the %(code)s translation is given twice: give each language once.",
                code=language))  # fmt: skip
        text = normalise_text(body)
        if not text.strip():
            raise PolicyError(gettext("the %(code)s translation is empty.", code=language))
        if text == normalise_text(original):
            raise PolicyError(gettext(
                "the %(code)s translation is the same as the original text: give the "
                "translated text.", code=language))  # fmt: skip
        hidden = text_rules.markdown_problem(
            gettext("The %(code)s translation (outside code)", code=language), text
        )
        if hidden:
            raise PolicyError(hidden)
        found[language] = text
    return found


def attach(
    version: PolicyVersion, translations: dict[str, str], added_by: str | None, chain: Chain
) -> list[PolicyTranslation]:
    """Add :func:`checked` translations to ``version`` and chain them (the caller commits)."""
    current_smattest.db.session.flush()  # the version's id; the chain step adds each row
    rows = [
        PolicyTranslation(
            policy_version_id=version.id,
            language=language,
            body_markdown=text,
            text_sha256=text_sha256(text),
            added_by=added_by,
        )  # fmt: skip
        for language, text in translations.items()
    ]
    chain(rows)
    return rows


def add_translation(
    slug: str, number: int, language: str, text: str, *, added_by: str | None, chain: Chain
) -> PolicyTranslation:
    """Add a translation to version ``number`` of policy ``slug``, already published.

    Nobody owes anything new: the version, its due dates and its announcements stay
    as they are. HR's log records who added which language. Raises
    :class:`PolicyError` when the version does not exist, already has that
    language, or the text is refused by :func:`checked`.
    """
    session = current_smattest.db.session
    version = get_version(slug, number)
    if version is None:
        raise PolicyError(
            gettext("policy %(slug)s has no version %(number)s.", slug=repr(slug), number=number)
        )
    wanted = checked([(language, text)], version.body_markdown)
    code = next(iter(wanted))
    if any(t.language == code for t in translations_of(version)):
        raise PolicyError(gettext(
            "version %(number)s of %(slug)s already has its %(code)s translation: a "
            "published translation never changes (publish a new version to change it).",
            number=number, slug=slug, code=code))  # fmt: skip
    (row,) = attach(version, wanted, added_by, chain)
    session.add(
        HREvent(
            actor=added_by or "cli",
            action="translation.add",
            detail=f"{slug} version {number}: {code} ({language_name(code)}), SHA-256 "
            f"{row.text_sha256}",
        )
    )
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        raise PolicyError(gettext(
            "the %(code)s translation of %(slug)s version %(number)s was added at the same "
            "moment; nothing was recorded.",
            code=code, slug=slug, number=number)) from None  # fmt: skip
    return row


def shown(
    version: PolicyVersion, language: str | None, read: list[PolicyTranslation] | None = None
) -> tuple[str, str, str]:
    """What a reader asking for ``language`` reads: (language, Markdown, its SHA-256).

    The translation in that language when the version has one, else the original.
    The SHA-256 is of the text as read now, not the one stored beside it: a
    signature commits to what was shown. ``read``: the version's translations, when
    the caller has read them already (:func:`translations_of`).
    """
    for translation in translations_of(version) if read is None else read:
        if translation.language == language:
            body = translation.body_markdown
            return translation.language, body, text_sha256(body)
    return original_language(), version.body_markdown, text_sha256(version.body_markdown)


def languages_of(read: list[PolicyTranslation]) -> list[str]:
    """The languages a version can be read in: its own first, then those of its
    translations ``read`` (:func:`translations_of`)."""
    return [original_language(), *(t.language for t in read)]


def translations_of(version: PolicyVersion) -> list[PolicyTranslation]:
    """A version's translations, by language."""
    return list(
        current_smattest.db.session.scalars(
            sa.select(PolicyTranslation)
            .where(PolicyTranslation.policy_version_id == version.id)
            .order_by(PolicyTranslation.language)
        )
    )
