"""Sphinx configuration for smattest's documentation (``make docs``)."""

import sys
from pathlib import Path

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

import blinker  # noqa: E402

import smattest  # noqa: E402

# A signal's value in the API page: its name, not blinker's repr with a memory
# address (which would also change the HTML on every build).
blinker.NamedSignal.__repr__ = lambda self: f"<signal {self.name!r}>"

project = "smattest"
copyright = "smattest contributors"
release = smattest.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "smattest_settings",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
# Settings and commands quote values literally: '/compliance', not curly quotes.
smartquotes = False

# Headings get anchors, so a page can link to a section of another:
# [the roster](hr.md#the-staff-roster).
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]  # ::: fences, used by the settings directive

autodoc_member_order = "bysource"
autodoc_preserve_defaults = True  # show `(Staff.full_name,)`, not an object repr
autodoc_default_options = {"members": True}

html_theme = "alabaster"
html_title = f"smattest {release}"
html_theme_options = {
    "description": "Policy attestation and refresher training for Flask intranets",
    "fixed_sidebar": False,
    "page_width": "1100px",  # room for command lines and tables without scrolling
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
