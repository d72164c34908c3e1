"""Text policy: what each kind of text smattest keeps may contain, decided in this one module.

A right-to-left override (U+202E) in a policy title reverses the visible
signing statement; a zero-width space (U+200B) makes two names that look the
same differ; a combining strike-through (``M̶a̶r̶i̶a̶m̶``) or a combining grapheme
joiner disguises a signature that still matches the name. Every entry point
(forms, commands, roster, relink, the paper era, :func:`publish` itself) asks
the function here for its kind of text:

* :func:`problem`: titles, summaries, departments, groups, reasons, sources,
  comments. Unicode's format characters (category Cf: bidi controls,
  zero-width characters, soft hyphens, byte-order marks) and control
  characters (Cc; line breaks and tabs only where the field has several
  lines) are refused.
* :func:`name_problem`: people's names. As :func:`problem`, except that a
  zero-width non-joiner or joiner (U+200C, U+200D) between two letters is
  kept: Persian, Indic and other scripts write names with them.
* :func:`signature_problem`: a typed signature. As a name, and no mark that
  disguises one: the combining grapheme joiner, variation selectors,
  overlaying marks (strike-through, slash), enclosing marks, marks for
  symbols, or more than :data:`MAX_MARKS` marks on one letter.
* :func:`id_problem`: employee ids. No format or control character and no
  space but the plain one.
* :func:`markdown_problem`: a policy body. Such characters stand only inside
  code (a code span or block), where they are shown, not obeyed.

Each answers None, or one sentence naming the field, the character and its
position, in the reader's language (smattest's gettext domain; the caller names the
field in it too). Unicode's name of the character stays as Unicode gives it.
:func:`unstorable` is the narrower rule the request guard applies to everything a
request brings: what no database can hold at all.
"""

from __future__ import annotations

import re
import unicodedata

from .i18n import gettext

#: Line breaks and tabs, allowed in fields of several lines.
_LAYOUT = frozenset("\n\r\t")

#: A code span: a run of backticks, anything, the same run (CommonMark's rule, on one line).
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


#: Zero-width non-joiner and joiner: kept in names between two letters, where scripts need them.
JOINERS = frozenset("\u200c\u200d")
#: Combining marks one letter may carry in a signature (Vietnamese has two; more disguise).
MAX_MARKS = 3
#: Canonical combining class of overlaying marks (U+0334-U+0338: tilde, strokes, slashes).
_OVERLAY = 1


def _refused(char: str, multiline: bool) -> bool:
    category = unicodedata.category(char)
    if category == "Cf" or category in ("Zl", "Zp"):
        return True
    return category == "Cc" and not (multiline and char in _LAYOUT)


def unstorable(value: str) -> tuple[int, str] | None:
    """The first character no database or evidence row may hold, as (position from 1, char).

    NUL (PostgreSQL refuses it: a driver error, not a message), the other
    control characters but tab and line breaks, and lone surrogates (not text
    at all: no database stores them as UTF-8).
    """
    for position, char in enumerate(value, start=1):
        code = ord(char)
        if (code < 32 and char not in _LAYOUT) or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return position, char
    return None


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    name = "NULL" if char == "\0" else unicodedata.name(char, "control character")
    return f"U+{ord(char):04X} {name}"


def problem(field: str, value: str | None, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be kept as ``field``, in one sentence, or None when it can.

    ``field`` is the name people know the field by ("The title", "full_name").
    """
    for position, char in enumerate(value or "", start=1):
        if _refused(char, multiline):
            return _message(field, char, position)
    return None


def name_problem(field: str, value: str | None) -> str | None:
    """Like :func:`problem` for a person's name: ZWNJ and ZWJ between two letters are kept."""
    value = value or ""
    for position, char in enumerate(value, start=1):
        if char in JOINERS and _between_letters(value, position - 1):
            continue
        if _refused(char, False):
            return _message(field, char, position)
    return None


def signature_problem(field: str, value: str | None) -> str | None:
    """Like :func:`name_problem` for a typed signature, refusing the marks that disguise one."""
    found = name_problem(field, value)
    if found:
        return found
    run = 0
    for position, char in enumerate(value or "", start=1):
        category = unicodedata.category(char)
        run = run + 1 if category.startswith("M") else 0
        if _disguises(char, category) or run > MAX_MARKS:
            return gettext(
                "%(field)s contains a mark that changes how it looks (%(character)s) at "
                "character %(position)s: type the name with plain letters and try again.",
                field=field,
                character=describe(char),
                position=position,
            )
    return None


def id_problem(field: str, value: str | None) -> str | None:
    """Why ``value`` cannot be an employee id: a format or control character, or a space
    other than the plain one (a no-break or thin space makes two ids that look the same)."""
    for position, char in enumerate(value or "", start=1):
        if _refused(char, False) or (unicodedata.category(char) == "Zs" and char != " "):
            if unicodedata.category(char) == "Zs":
                return gettext(
                    "%(field)s contains a space (%(character)s) at character %(position)s: an "
                    "id is letters, digits and punctuation only.",
                    field=field,
                    character=describe(char),
                    position=position,
                )
            return gettext(
                "%(field)s contains an invisible character (%(character)s) at character "
                "%(position)s: an id is letters, digits and punctuation only.",
                field=field,
                character=describe(char),
                position=position,
            )
    return None


def _between_letters(value: str, index: int) -> bool:
    before = value[index - 1] if index > 0 else ""
    after = value[index + 1] if index + 1 < len(value) else ""
    return all(c and unicodedata.category(c)[0] in "LM" for c in (before, after))


def _disguises(char: str, category: str) -> bool:
    code = ord(char)
    return (
        code == 0x034F  # combining grapheme joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
        or 0x20D0 <= code <= 0x20FF  # combining marks for symbols
        or category == "Me"  # enclosing marks
        or (category == "Mn" and unicodedata.combining(char) == _OVERLAY)
    )


def markdown_problem(field: str, source: str | None) -> str | None:
    """Like :func:`problem` for a Markdown body: such characters may stand only inside code."""
    position = 0
    fence: str | None = None
    for line in (source or "").splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
        elif opening:
            fence = opening.group(1)
        elif not line.startswith(("    ", "\t")):
            spans = [m.span(2) for m in _CODE_SPAN.finditer(line)]
            for offset, char in enumerate(line):
                if _refused(char, True) and not any(a <= offset < b for a, b in spans):
                    return _message(field, char, position + offset + 1)
        position += len(line)
    return None


#: How much of a value a problem message quotes: enough to find it in a file.
QUOTED = 60


def quoted(value: object) -> str:
    """``value``'s repr cut to :data:`QUOTED` characters: a message never echoes a whole cell."""
    shown = repr(value)
    return shown if len(shown) <= QUOTED else shown[: QUOTED - 1] + "…"


def _message(field: str, char: str, position: int) -> str:
    return gettext(
        "%(field)s contains an invisible or direction-changing character (%(character)s) "
        "at character %(position)s: remove it and try again.",
        field=field,
        character=describe(char),
        position=position,
    )
