"""Every string smattest shows is in every catalog, translated, not fuzzy, and compiled."""

from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "smattest" / "translations"
#: The keywords `make translations-extract` passes to pybabel (with Babel's defaults).
KEYWORDS = {
    "_st": None,
    "_stn": (1, 2),
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
}


def source_strings(root: Path) -> dict[object, str]:
    """Every msgid in the sources under ``root`` (read as babel.cfg says), with where."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[object, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def catalog_problems(root: Path, po_path: Path) -> list[str]:
    """What is wrong with the catalog at ``po_path`` for the sources under ``root``."""
    with open(po_path, "rb") as file:
        catalog = read_po(file)
    problems = []
    for message, where in source_strings(root).items():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"{where}: {msgid!r} is not in {po_path.parent.parent.name}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            problems.append(f"{where}: {msgid!r} is not translated")
        if entry.fuzzy:
            problems.append(f"{where}: {msgid!r} is fuzzy (check it, then remove the flag)")
        if all(strings):
            try:
                python_format(catalog, entry)
            except Exception as error:  # TranslationError: placeholders differ
                problems.append(f"{where}: {msgid!r}: {error}")
    return problems


LANGUAGES = sorted(p.name for p in CATALOGS.iterdir() if p.is_dir())


def test_spanish_is_shipped():
    assert "es" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_and_none_is_fuzzy(language):
    problems = catalog_problems(ROOT, CATALOGS / language / "LC_MESSAGES" / "smattest.po")
    assert problems == [], "\n".join(problems[:40]) + "\nrun make translations-update"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_the_po_file(language):
    folder = CATALOGS / language / "LC_MESSAGES"
    with open(folder / "smattest.po", "rb") as file:
        source = {_key(m.id): _key(m.string) for m in read_po(file) if m.id and not m.fuzzy}
    with open(folder / "smattest.mo", "rb") as file:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(file) if m.id}
    assert compiled == source, "run make translations to compile the catalogs"


def _key(value: object) -> object:
    """A message's id or strings, comparable whether read from a .po or a .mo."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_the_check_names_a_new_untranslated_string(tmp_path):
    templates = tmp_path / "templates" / "smattest"
    templates.mkdir(parents=True)
    (templates / "new.html").write_text(
        '<p>{{ _st("My compliance") }} {{ _st("A sentence nobody translated yet") }}</p>\n'
    )
    (tmp_path / "smattest").mkdir()
    (tmp_path / "smattest" / "new.py").write_text(
        'from smattest.i18n import gettext\nMESSAGE = gettext("Another new sentence")\n'
    )
    problems = catalog_problems(tmp_path, CATALOGS / "es" / "LC_MESSAGES" / "smattest.po")
    assert sorted(problems) == [
        "smattest/new.py:2: 'Another new sentence' is not in es",
        "templates/smattest/new.html:1: 'A sentence nobody translated yet' is not in es",
    ]


def test_the_check_names_a_fuzzy_string(tmp_path):
    po = (CATALOGS / "es" / "LC_MESSAGES" / "smattest.po").read_text()
    fuzzy = po.replace('msgid "Skip to content"', '#, fuzzy\nmsgid "Skip to content"', 1)
    assert fuzzy != po
    (tmp_path / "smattest.po").write_text(fuzzy)
    (tmp_path / "templates" / "smattest").mkdir(parents=True)
    (tmp_path / "templates" / "smattest" / "layout.html").write_text(
        '{{ _st("Skip to content") }}\n'
    )
    assert catalog_problems(tmp_path, tmp_path / "smattest.po") == [
        "templates/smattest/layout.html:1: 'Skip to content' is fuzzy (check it, then remove "
        "the flag)"
    ]
