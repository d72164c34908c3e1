"""Text hygiene: the invisible characters smattest refuses in what people read and sign.

A right-to-left override (U+202E) in a policy title reverses the visible
signing statement; a zero-width space (U+200B) makes two names that look the
same differ. Titles, summaries, names, departments, groups and reasons refuse
Unicode's format characters (category Cf: bidi controls, zero-width
characters, soft hyphens, byte-order marks) and control characters (Cc; line
breaks and tabs only where the field has several lines), with a message that
names the field and the character's position. A Markdown body keeps them only
inside code (a code span or block), where they are shown, not obeyed.
"""

from __future__ import annotations

import re
import unicodedata

#: Line breaks and tabs, allowed in fields of several lines.
_LAYOUT = frozenset("\n\r\t")

#: A code span: a run of backticks, anything, the same run (CommonMark's rule, on one line).
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


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
    return (
        f"{field} contains an invisible or direction-changing character "
        f"({describe(char)}) at character {position}: remove it and try again."
    )
