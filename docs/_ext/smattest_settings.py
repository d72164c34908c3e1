"""The ``smattest-settings`` directive: the configuration reference, from the code.

Every ``SMATTEST_*`` setting is one entry of :data:`smattest.config.SETTINGS`
(its default, what it accepts, the check run at start-up, and a sentence on
what it does). This directive renders that table, so the configuration page
lists exactly the settings ``init_app`` knows, with the defaults it applies::

    ```{smattest-settings}
    ```

Each setting becomes a Sphinx ``confval`` entry, so any page can link to one
with ``{confval}`SMATTEST_TIMEZONE```. A setting mentioned by name in another
setting's text is linked the same way.

The entries are written as MyST Markdown (the docs' markup) and parsed in place;
:func:`setting_entries` is the pure part, and the tests call it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

_NAME = re.compile(r"\bSMATTEST_[A-Z_]*[A-Z]\b")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~:$])")


def _escape(text: str) -> str:
    """Markdown-escape plain text so that none of it is read as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _literal(text: str) -> str:
    """An inline code span holding ``text`` exactly, whatever backticks it has."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _prose(text: str, known: Mapping[str, object]) -> str:
    """Escape ``text``, turning the name of any known setting into a link to it."""
    out, last = [], 0
    for match in _NAME.finditer(text):
        if match.group() not in known:
            continue
        out.append(_escape(text[last : match.start()]))
        out.append(f"{{confval}}`{match.group()}`")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def setting_entries(settings: Mapping[str, object]) -> list[str]:
    """One MyST ``confval`` block per setting, in the table's order.

    ``settings`` maps each key to an object with ``default``, ``accepts`` and
    ``doc`` (:class:`smattest.config.Setting`).
    """
    entries = []
    for key, setting in settings.items():
        entries.append(
            "\n".join(
                [
                    f":::{{confval}} {key}",
                    f":default: {_literal(repr(setting.default))}",
                    "",
                    _prose(setting.doc, settings),
                    "",
                    f"**Accepts:** {_prose(setting.accepts, settings)}.",
                    ":::",
                ]
            )
        )
    return entries


class SettingsDirective(SphinxDirective):
    """Render every entry of ``smattest.config.SETTINGS``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from smattest.config import SETTINGS

        self.env.note_dependency(self._config_path())
        container = nodes.container(classes=["smattest-settings"])
        text = "\n\n".join(setting_entries(SETTINGS))
        self.state.nested_parse(
            self._lines(text), self.content_offset, container, match_titles=False
        )
        return container.children

    def _lines(self, text: str):
        from docutils.statemachine import StringList

        return StringList(text.splitlines(), source=self._config_path())

    @staticmethod
    def _config_path() -> str:
        import smattest.config

        return smattest.config.__file__


def setup(app: Sphinx) -> dict:
    app.add_directive("smattest-settings", SettingsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
