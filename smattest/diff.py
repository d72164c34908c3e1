"""A readable comparison of two policy texts: line by line, words within a changed line."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass
class Line:
    """One line of the comparison: ``same``, ``added``, ``removed`` or ``changed``.

    ``parts`` are ``(kind, text)`` pairs with kind ``same``, ``added`` or
    ``removed``; a changed line shows its removed and added words in place.
    """

    kind: str
    parts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Comparison:
    lines: list[Line]
    added: int
    removed: int
    changed: int

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _words(old: str, new: str) -> list[tuple[str, str]]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("removed", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("added", "".join(b[j1:j2])))
    return parts


def compare(old_text: str, new_text: str) -> Comparison:
    """Compare two texts for people: which lines were added, removed or changed."""
    old, new = old_text.splitlines(), new_text.splitlines()
    lines: list[Line] = []
    added = removed = changed = 0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [Line("same", [("same", text)]) for text in old[i1:i2]]
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            lines.append(Line("changed", _words(old[i1 + k], new[j1 + k])))
        lines += [Line("removed", [("removed", text)]) for text in old[i1 + pairs : i2]]
        lines += [Line("added", [("added", text)]) for text in new[j1 + pairs : j2]]
        changed += pairs
        removed += i2 - i1 - pairs
        added += j2 - j1 - pairs
    return Comparison(lines, added, removed, changed)
