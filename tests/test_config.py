"""Bad configuration fails at start-up with one message naming the key."""

import pytest

from smattest import ConfigurationError
from smattest.config import SETTINGS

from . import hostapp


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"SMATTEST_URL_PREFX": "/compliance"},
            "SMATTEST_URL_PREFX is not a smattest setting. Did you mean SMATTEST_URL_PREFIX?",
        ),
        (
            {"SMATTEST_URL_PREFIX": "compliance"},
            "SMATTEST_URL_PREFIX = 'compliance' is not valid: expected a URL path starting with",
        ),
        (
            {"SMATTEST_URL_PREFIX": "/compliance/"},
            "SMATTEST_URL_PREFIX = '/compliance/' is not valid",
        ),
        (
            {"SMATTEST_IS_HR": "is_hr"},
            "SMATTEST_IS_HR = 'is_hr' is not valid: expected None (use the user's is_hr "
            "attribute) or a callable",
        ),
        (
            {"SMATTEST_PROFILE_LOADER": {"email": "mail"}},
            "SMATTEST_PROFILE_LOADER = {'email': 'mail'} is not valid: expected None or a callable",
        ),
        (
            {"SMATTEST_TIMEZONE": "Mars/Olympus_Mons"},
            "SMATTEST_TIMEZONE = 'Mars/Olympus_Mons' is not valid: expected an IANA time zone",
        ),
        (
            {"SMATTEST_USER_FIELDS": {"fullname": "name"}},
            "SMATTEST_USER_FIELDS = {'fullname': 'name'} is not valid: expected a mapping from "
            "smattest fields (email, full_name, department, manager_email, hire_date, groups, "
            "language)",
        ),
        (
            {"SMATTEST_BASE_TEMPLATE": "layout"},
            "SMATTEST_BASE_TEMPLATE = 'layout' is not valid: expected the name of a Jinja template",
        ),
        (
            {"SMATTEST_BIND_KEY": "compliance"},
            "SMATTEST_BIND_KEY = 'compliance' is not valid: expected a key of SQLALCHEMY_BINDS "
            "(have: none)",
        ),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_bad_setting_fails_at_start_up_naming_the_key(config, message):
    with pytest.raises(ConfigurationError) as caught:
        hostapp.create_app(config)

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_key_with_no_close_match_lists_known_settings():
    with pytest.raises(ConfigurationError, match="SMATTEST_COLOUR is not a smattest setting"):
        hostapp.create_app({"SMATTEST_COLOUR": "blue"})


def test_every_setting_gets_its_default(app):
    for key, setting in SETTINGS.items():
        assert app.config[key] == setting.default, key


# myst-parser still uses Sphinx APIs deprecated for Sphinx 11.
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_configuration_page_documents_every_setting(tmp_path):
    """Build the docs' configuration page: each setting with its default, doc and accepts."""
    import io
    import shutil
    from pathlib import Path

    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    docs = Path(__file__).parent.parent / "docs"
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(docs / "configuration.md", source / "index.md")
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(docs / '_ext')!r})\n"
        "extensions = ['myst_parser', 'smattest_settings']\n"
        "myst_enable_extensions = ['colon_fence']\n"
        "smartquotes = False\n"
    )
    warnings = io.StringIO()
    # As sphinx-build does: what Sphinx registers in docutils is undone afterwards.
    with patch_docutils(source), docutils_namespace():
        sphinx = Sphinx(
            source, source, tmp_path / "out", tmp_path / "doctrees", "dummy",
            status=None, warning=warnings, freshenv=True,
        )  # fmt: skip
        sphinx.build()
        page = " ".join(sphinx.env.get_doctree("index").astext().split())

    def missing(text):
        return " ".join(text.split()) not in page

    entries = {
        key: f"{key} Default {s.default!r} {s.doc} Accepts: {s.accepts}."
        for key, s in SETTINGS.items()
    }
    assert [key for key, entry in entries.items() if missing(entry)] == []
    # Warnings about the generated entries point at config.py (links to the
    # other pages of the site, missing here, are expected).
    assert "config.py" not in warnings.getvalue()


@pytest.mark.parametrize(
    ("value", "ci"),
    [(None, False), ("", False), ("false", False), ("False", False), ("0", False),
     ("true", True), ("1", True), ("yes", True), ("TRUE", True), ("github", True)],
)  # fmt: skip
def test_any_non_empty_ci_other_than_false_or_0_counts_as_ci(value, ci):
    from .conftest import under_ci

    assert under_ci({} if value is None else {"CI": value}) is ci
