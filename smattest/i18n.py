"""smattest's words in the reader's language: its own gettext domain, ``smattest``.

Every user-facing string goes through :func:`gettext` (Python) or ``_st``
(templates), looked up in the catalogs shipped in the wheel under
``smattest/translations/<locale>/LC_MESSAGES/smattest.mo``: a host's own
catalog (Flask-Babel's ``messages`` domain) never collides with smattest's.

Flask-Babel is optional (the ``babel`` extra). With it installed smattest
loads its catalogs with Babel whether or not the host called ``Babel(app)``:
smattest registers nothing on the host's app, and reads the host's Flask-Babel
only to ask the host's locale selector, which wins. Without it, every string
is its English source and dates read as before, with no error.

The language of a request, first answer wins: the host's Flask-Babel locale
selector; ``SMATTEST_LOCALE_SELECTOR``; the signed-in person's ``language``
(roster or user field); the browser's ``Accept-Language`` among the languages
smattest has; ``SMATTEST_DEFAULT_LOCALE``. A mail is written in its
recipient's language (:func:`in_language`), whoever triggers it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import gettext as stdlib_gettext
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from typing import Any, cast

from flask import current_app, has_request_context, request
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

try:  # the optional ``babel`` extra
    import babel.dates as babel_dates
    import babel.numbers as babel_numbers
    import flask_babel  # noqa: F401  (its presence switches translations on)
    from babel import Locale, UnknownLocaleError
    from babel.support import Translations
except ImportError:  # tests/test_languages.py hides them to test this
    BABEL_INSTALLED = False
else:
    BABEL_INSTALLED = True

#: smattest's gettext domain: its catalogs are ``<locale>/LC_MESSAGES/smattest.mo``.
DOMAIN = "smattest"
#: The language smattest's source strings are written in.
SOURCE_LANGUAGE = "en"
#: Scripts written right to left: a page or mail in one of them gets ``dir="rtl"``.
RIGHT_TO_LEFT = frozenset({"ar", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"})
#: A language tag as the roster, the user field or a selector may give it: ``es``,
#: ``es-MX``, ``pt_BR``, ``zh-Hant-TW``.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}")

_forced: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "smattest_language", default=None
)


def translations_folder() -> str:
    """Where the compiled catalogs live inside the installed package."""
    return str(files("smattest") / "translations")


def enabled() -> bool:
    """Whether translations are on: Flask-Babel (and so Babel) is installed."""
    return BABEL_INSTALLED


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages smattest speaks: English (its source) and each shipped catalog."""
    found = [SOURCE_LANGUAGE]
    if enabled():
        folder = files("smattest") / "translations"
        if folder.is_dir():
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if (entry / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
                    found.append(entry.name)
    return tuple(dict.fromkeys(found))


def is_language_tag(value: object) -> bool:
    """Whether ``value`` is a language tag smattest accepts (``es``, ``es-MX``, ``pt_BR``)."""
    return isinstance(value, str) and LANGUAGE_TAG.fullmatch(value) is not None


def normalise(tag: str | None) -> str | None:
    """``es-MX`` → ``es_MX``, ``ES`` → ``es``; None for anything not a language tag."""
    if not tag or not LANGUAGE_TAG.fullmatch(tag.strip()):
        return None
    parts = tag.strip().replace("-", "_").split("_")
    return "_".join([parts[0].lower(), *(p if len(p) == 4 else p.upper() for p in parts[1:])])


@functools.cache
def _catalog(locale: str) -> stdlib_gettext.NullTranslations:
    if not enabled() or locale.split("_")[0] == SOURCE_LANGUAGE:
        return stdlib_gettext.NullTranslations()
    return Translations.load(translations_folder(), [locale], domain=DOMAIN)


def catalog(locale: str | None = None) -> stdlib_gettext.NullTranslations:
    """The translations for ``locale`` (the current one by default); source strings if none."""
    return _catalog(locale or current_locale())


@contextmanager
def in_language(locale: str | None) -> Iterator[None]:
    """Write everything inside in ``locale`` (a person's language; the default if None)."""
    chosen = normalise(locale) or default_locale()
    token = _forced.set(chosen)
    try:
        yield
    finally:
        _forced.reset(token)


def default_locale() -> str:
    """``SMATTEST_DEFAULT_LOCALE`` (``en`` outside an app)."""
    try:
        return str(current_app.config.get("SMATTEST_DEFAULT_LOCALE") or SOURCE_LANGUAGE)
    except RuntimeError:
        return SOURCE_LANGUAGE


def current_locale() -> str:
    """The language smattest writes in now: forced for a mail, else the request's choice."""
    forced = _forced.get()
    if forced is not None:
        return forced
    if not has_request_context():
        return default_locale()
    chosen = request.environ.get("smattest.locale")
    if chosen is None:
        chosen = _choose()
        request.environ["smattest.locale"] = chosen
    return str(chosen)


def _choose() -> str:
    config = current_app.config
    host = current_app.extensions.get("babel")
    selector = getattr(host, "locale_selector", None) if enabled() else None
    if selector is not None:
        # The host's own selector, asked as Flask-Babel's get_locale() would ask it,
        # but per request: Flask-Babel caches its answer on g, which can outlive one.
        chosen = normalise(str(selector() or ""))
        if chosen:
            return chosen
    selector = config.get("SMATTEST_LOCALE_SELECTOR")
    if selector is not None:
        chosen = normalise(selector())
        if chosen:
            return chosen
    person: Callable[[], str | None] | None = current_app.extensions["smattest"].person_language
    if person is not None:
        chosen = normalise(person())
        if chosen:
            return chosen
    matched = request.accept_languages.best_match(
        [*languages(), *(code.replace("_", "-") for code in languages())]
    )
    return normalise(matched) or default_locale()


def direction(locale: str | None = None) -> str:
    """``rtl`` for a right-to-left language, else ``ltr``: for ``dir`` attributes."""
    return "rtl" if (locale or current_locale()).split("_")[0] in RIGHT_TO_LEFT else "ltr"


def html_lang(locale: str | None = None) -> str:
    """The locale as an HTML ``lang`` attribute takes it: ``es``, ``es-MX``."""
    return (locale or current_locale()).replace("_", "-")


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the current language, with ``%(name)s`` filled from ``variables``."""
    text = catalog().gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """The singular or plural form for ``n`` in the current language; ``%(num)s`` is ``n``."""
    text = catalog().ngettext(singular, plural, n)
    return text % {"num": n, **variables}


class LazyString:
    """A string translated when it is read (form labels and messages made at import)."""

    __slots__ = ("_message", "_variables")

    def __init__(self, message: str, variables: dict[str, Any]) -> None:
        self._message = message
        self._variables = variables

    def __str__(self) -> str:
        return gettext(self._message, **self._variables)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"lazy_gettext({self._message!r})"

    def __len__(self) -> int:
        return len(str(self))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mod__(self, other: Any) -> str:
        text: str = str(self) % other
        return text

    def __getattr__(self, name: str) -> Any:
        return getattr(str(self), name)


def lazy_gettext(message: str, **variables: Any) -> str:
    """:func:`gettext` at the time the string is shown, not when it is made.

    Typed as ``str`` because it is used where libraries take one (WTForms labels and
    messages, flash, exceptions): it is a :class:`LazyString`, which reads, compares,
    joins, formats and renders in templates like the translated string.
    """
    return cast(str, LazyString(message, variables))


@pass_eval_context
def template_gettext(context: EvalContext, message: str, **variables: Any) -> str:
    """``_st("...")`` in templates: HTML pages escape the variables, not the message."""
    if context.autoescape:
        text = Markup(catalog().gettext(message))
        return text % variables if variables else text
    return gettext(message, **variables)


@pass_eval_context
def template_ngettext(
    context: EvalContext, singular: str, plural: str, n: int, **variables: Any
) -> str:
    """``_stn("one ...", "%(num)s ...", n)`` in templates."""
    if context.autoescape:
        return Markup(catalog().ngettext(singular, plural, n)) % {"num": n, **variables}
    return ngettext(singular, plural, n, **variables)


def format_date(day: dt.date) -> str:
    """A date as people read it in the current language: 3 May 2026, 3 de mayo de 2026."""
    locale = current_locale()
    if not enabled() or locale.split("_")[0] == SOURCE_LANGUAGE:
        return f"{day.day} {day:%B %Y}"
    return str(babel_dates.format_date(day, format="long", locale=_babel_locale(locale)))


def format_time(moment: dt.datetime) -> str:
    """A local time of day with its zone: 14:05 CST."""
    locale = current_locale()
    if not enabled() or locale.split("_")[0] == SOURCE_LANGUAGE:
        return f"{moment:%H:%M %Z}"
    clock = babel_dates.format_time(moment, format="HH:mm", locale=_babel_locale(locale))
    return f"{clock} {moment:%Z}"


def format_datetime(moment: dt.datetime) -> str:
    """A local moment (already in the agency's zone): 21 November 2026, 14:05 CST."""
    return f"{format_date(moment.date())}, {format_time(moment)}"


def format_number(number: int | float) -> str:
    """A number with the current language's grouping: 50,000 or 50.000."""
    locale = current_locale()
    if not enabled() or locale.split("_")[0] == SOURCE_LANGUAGE:
        return f"{number:,}"
    return str(babel_numbers.format_decimal(number, locale=_babel_locale(locale)))


@functools.cache
def _babel_locale(locale: str) -> Any:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


def text_language(code: str | None) -> str | None:
    """A policy text's language tag as stored (``es``, ``pt_BR``), or None when ``code``
    is not one: with Babel installed, a locale Babel knows; without it, any language tag."""
    tag = normalise(code)
    if tag is None or not enabled():
        return tag
    try:
        Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        return None
    return tag


def choose_language(offered: Sequence[str], asked: str | None) -> str:
    """Which of ``offered`` (a text's languages, its own first) to show: the one asked for,
    else the reader's own (or its base language: ``es`` for ``es_MX``), else the first."""
    reader = current_locale()
    for wanted in (asked, reader, reader.split("_")[0]):
        if wanted is not None and wanted in offered:
            return wanted
    return offered[0]


def original_language() -> str:
    """The language a policy version's own text is written in: ``SMATTEST_DEFAULT_LOCALE``."""
    return normalise(default_locale()) or SOURCE_LANGUAGE


def language_name(code: str, *, in_reader: bool = False) -> str:
    """A language's name in its own words, for a reader choosing it (``Español``), or
    with ``in_reader`` in the reader's language (``inglés``); the code itself without
    Babel."""
    if not enabled():
        return code
    try:
        locale = Locale.parse(code)
        name = locale.get_display_name(_babel_locale(current_locale()) if in_reader else locale)
    except (UnknownLocaleError, ValueError):
        return code
    return str(name[:1].upper() + name[1:]) if name else code
