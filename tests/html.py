"""Reading what HR and employees see: pages the way a browser would build them, and CSV files."""

import csv
import io
import re
from html.parser import HTMLParser


class Elements(HTMLParser):
    """Every element and attribute a browser would build from some HTML."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def has_handler_or_script(self) -> bool:
        """Any <script>, on* attribute, or javascript: URL."""
        return "script" in self.tags or any(
            name.startswith("on") or value.strip().lower().startswith("javascript:")
            for name, value in self.attributes
        )


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    INLINE = frozenset({"a", "abbr", "b", "code", "em", "i", "small", "span", "strong", "time"})

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self._skip += 1
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._skip -= 1
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    """A page's visible text with tags removed and whitespace collapsed to single spaces."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


class _SummaryLinks(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.depth = 0  # >0 inside the error summary
        self.href: str | None = None
        self.text = ""
        self.links: list[tuple[str, str]] = []
        self.items: list[str] = []
        self.item: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth:
            self.depth += tag not in ("input", "br", "img")
        elif attributes.get("id") == "smattest-error-summary":
            self.depth = 1
        if self.depth and tag == "a":
            self.href, self.text = attributes.get("href"), ""
        if self.depth and tag == "li":
            self.item = ""

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if tag == "a" and self.href is not None:
            self.links.append((self.href, " ".join(self.text.split())))
            self.href = None
        if tag == "li" and self.item is not None:
            self.items.append(" ".join(self.item.split()))
            self.item = None

    def handle_data(self, data):
        if self.depth and self.href is not None:
            self.text += data
        if self.depth and self.item is not None:
            self.item += data


def error_summary_links(html: str) -> list[tuple[str, str]]:
    """The error summary's links, (href, text), in order, as a browser shows them."""
    return _SummaryLinks(html).links


def error_summary_items(html: str) -> list[str]:
    """The error summary's list items' texts, in order."""
    return _SummaryLinks(html).items


VOID = {"br", "input", "img", "meta", "link", "hr", "col", "wbr", "source"}


class Page(HTMLParser):
    """What a sighted reader sees: tables (caption and cell texts), and text by class.

    Text inside ``smattest-vh`` (for screen readers only) is left out, except in captions.
    """

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[tuple[str, set[str]]] = []
        self.tables: list[dict] = []
        self.by_class: dict[str, list[str]] = {}
        self._open: list[tuple[str, list[str]]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == "br":
                self.handle_data(" ")
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.stack.append((tag, classes))
        for name in classes:
            self._open.append((name, []))
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._caption = []

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID or not self.stack:
            return
        open_tag, classes = self.stack.pop()
        for _ in classes:
            name, parts = self._open.pop()
            self.by_class.setdefault(name, []).append(" ".join("".join(parts).split()))
        if open_tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif open_tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None

    def handle_data(self, data):
        if self._caption is not None:  # captions may be for screen readers only
            self._caption.append(data)
        if any("smattest-vh" in classes for _, classes in self.stack):
            return
        for _, parts in self._open:
            parts.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, caption_start: str) -> list[list[str]]:
        (found,) = [t for t in self.tables if t["caption"].startswith(caption_start)]
        return found["rows"]

    def names(self) -> list[str]:
        """The people table's names (the first cell of each body row, email left out)."""
        if not any(t["caption"].startswith("People") for t in self.tables):
            return []
        rows = self.table("People")[1:]
        return [re.sub(r" \S+@\S+$", "", row[0]) for row in rows]


def page_of(response) -> Page:
    return Page(response.get_data(as_text=True))


BOM = "\ufeff"


def read_csv(text: str) -> list[dict[str, str]]:
    """The rows HR would see: the BOM checked and stripped, then parsed as CSV."""
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM) :], newline="")))
