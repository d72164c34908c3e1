"""Reading pages the way a browser would: which elements and attributes exist."""

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
