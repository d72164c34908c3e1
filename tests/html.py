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
