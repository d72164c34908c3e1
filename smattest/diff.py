"""Readable comparisons of two policy texts.

:func:`compare` goes line by line through the Markdown source (HR editing a
draft reads source); :func:`compare_rendered` goes block by block and renders
the changed blocks as the policy is shown, for "what changed" pages.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import smattest.markdown as markdown

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


# --- "What changed", rendered: the policy's blocks as employees read them. ---

#: Private-use characters that mark insertions and deletions in Markdown source
#: until it is rendered; removed from the texts first, so only the diff makes them.
_INS, _INS_END, _DEL, _DEL_END = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKERS = re.compile("[\ue000-\ue003]")
_MARKUP = re.compile(r"^(#{1,6}|[-*+]|\d+[.)]|>)$")
_TAGS = {
    _INS: '<ins><span class="smattest-vh">[added] </span>',
    _INS_END: '<span class="smattest-vh"> [end of added]</span></ins>',
    _DEL: '<del><span class="smattest-vh">[removed] </span>',
    _DEL_END: '<span class="smattest-vh"> [end of removed]</span></del>',
}


@dataclass(frozen=True)
class Block:
    """One stretch of the rendered comparison.

    ``kind`` is ``changed`` (words inserted and deleted in place), ``added``,
    ``removed``, ``context`` (the heading a change sits under, unchanged) or
    ``unchanged`` (``count`` blocks collapsed, no ``html``).
    """

    kind: str
    html: str = ""
    count: int = 0


@dataclass(frozen=True)
class RenderedComparison:
    """The changed blocks of a policy text, rendered, with unchanged stretches collapsed."""

    blocks: list[Block]
    changed: int
    added: int
    removed: int

    @property
    def identical(self) -> bool:
        return not (self.changed or self.added or self.removed)


def blocks_of(text: str) -> list[str]:
    """The Markdown source of each top-level block (each list item on its own)."""
    lines = _MARKERS.sub("", text).splitlines()
    spans: list[tuple[int, int]] = []
    for token in markdown.parser.parse("\n".join(lines)):
        if token.map is None or token.nesting == -1:
            continue
        if token.level == 0 and token.type not in ("bullet_list_open", "ordered_list_open"):
            spans.append((token.map[0], token.map[1]))
        elif token.level == 1 and token.type == "list_item_open":
            spans.append((token.map[0], token.map[1]))
    return ["\n".join(lines[start:end]).strip() for start, end in spans]


def _render(source: str) -> str:
    """Render one block, its markers turned into <ins>/<del> with words for screen readers."""
    html = markdown.render(source)
    for marker, tag in _TAGS.items():
        html = html.replace(marker, tag)
    return markdown.clean(html, extra_tags={"ins", "span"}, extra_attributes={"span": {"class"}})


def _merged(old: str, new: str) -> str | None:
    """One block's source with deleted and inserted words marked, or None when its
    kind changed (a paragraph became a heading): then it is shown removed and added."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    if (a[:1] != b[:1]) and (_MARKUP.match(a[0] if a else "") or _MARKUP.match(b[0] if b else "")):
        return None
    merged = []
    for part, text in _words(old, new):
        if part == "added":
            merged.append(f"{_INS}{text}{_INS_END}")
        elif part == "removed":
            merged.append(f"{_DEL}{text}{_DEL_END}")
        else:
            merged.append(text)
    return "".join(merged)


def _whole(kind: str, source: str) -> Block:
    """A block added or removed whole: rendered as it is, inside one <ins> or <del>."""
    start, end = (_INS, _INS_END) if kind == "added" else (_DEL, _DEL_END)
    return Block(kind, _TAGS[start] + markdown.render(source) + _TAGS[end])


def _heading_before(blocks: list[str], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if blocks[i].startswith("#"):
            return i
    return None


def compare_rendered(old_text: str, new_text: str) -> RenderedComparison:
    """Compare two policy texts block by block, rendered as the policy is.

    A changed block shows its words inserted and deleted in place; an added or
    removed block is shown whole. Unchanged blocks collapse to a count, except
    the heading a change sits under, kept as context.
    """
    old, new = blocks_of(old_text), blocks_of(new_text)
    matcher = difflib.SequenceMatcher(
        None, [" ".join(b.split()) for b in old], [" ".join(b.split()) for b in new],
        autojunk=False,
    )  # fmt: skip
    shown: list[tuple[int, Block]] = []  # (index in new, block); unchanged ones left out
    changed = added = removed = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            merged = _merged(old[i1 + k], new[j1 + k])
            if merged is None:
                shown.append((j1 + k, _whole("removed", old[i1 + k])))
                shown.append((j1 + k, _whole("added", new[j1 + k])))
            else:
                shown.append((j1 + k, Block("changed", _render(merged))))
        for i in range(i1 + pairs, i2):
            shown.append((j1 + pairs, _whole("removed", old[i])))
        for j in range(j1 + pairs, j2):
            shown.append((j, _whole("added", new[j])))
        changed += pairs
        removed += i2 - i1 - pairs
        added += j2 - j1 - pairs
    changed_at = {index for index, _ in shown}
    for index in sorted(changed_at):
        heading = _heading_before(new, index)
        if heading is not None and heading not in changed_at:
            shown.append((heading, Block("context", _render(new[heading]))))
            changed_at.add(heading)
    shown.sort(key=lambda item: (item[0], item[1].kind != "context"))
    blocks: list[Block] = []
    seen = 0  # blocks of the new text accounted for so far
    for index, block in shown:
        if index > seen:
            blocks.append(Block("unchanged", count=index - seen))
        if block.kind in ("context", "changed", "added"):
            seen = max(seen, index + 1)
        else:
            seen = max(seen, index)
        blocks.append(block)
    if len(new) > seen:
        blocks.append(Block("unchanged", count=len(new) - seen))
    return RenderedComparison(blocks, changed, added, removed)
