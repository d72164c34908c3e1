"""Markdown to safe HTML: markdown-it-py with raw HTML off, then nh3 with an allow-list.

Two layers on purpose: markdown-it never passes raw HTML through and refuses
``javascript:`` links, and nh3 removes anything outside the allow-list should a
future parser option or plugin let something through.
"""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

# "js-default": CommonMark plus tables and strikethrough, html=False, no linkify.
parser = MarkdownIt("js-default")

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> str:
    """Render Markdown ``text`` to HTML that is safe to show as-is."""
    return clean(parser.render(text))


@functools.lru_cache(maxsize=256)
def rendered(text: str) -> str:
    """What people read of a hashed Markdown ``text``: :func:`render`, cached in the process.

    Pages show this, never a stored rendering: the Markdown is what the
    evidence fingerprints (its SHA-256), so what people read is derived from
    what was hashed. The cache is keyed by the text itself (a published text
    never changes, so a version is rendered once per process).
    """
    return render(text)


def clean(
    html: str,
    extra_tags: frozenset[str] | set[str] = frozenset(),
    extra_attributes: dict[str, set[str]] | None = None,
) -> str:
    """``html`` through the allow-list (plus ``extra_tags`` and ``extra_attributes``)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS | set(extra_tags),
        attributes={**ALLOWED_ATTRIBUTES, **(extra_attributes or {})},
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
