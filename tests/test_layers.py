"""The import graph flows one way: the layers contract in setup.cfg, and no cycles.

Both checks run on the real package, and on a copy with one deliberate upward
import, to show that they can fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CYCLES = Path(__file__).with_name("import_cycles.py")


def _run(command: list[str], package_home: Path) -> subprocess.CompletedProcess[str]:
    """Run a check with ``package_home``'s smattest first on the path."""
    env = {**os.environ, "PYTHONPATH": str(package_home)}
    return subprocess.run(
        command, cwd=package_home, env=env, capture_output=True, text=True, timeout=120
    )


def _lint(package_home: Path) -> subprocess.CompletedProcess[str]:
    return _run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(package_home / "setup.cfg")],
        package_home,
    )


@pytest.fixture
def copy_of_smattest(tmp_path):
    """smattest's sources and setup.cfg, in a folder of their own to break on purpose."""
    shutil.copytree(
        ROOT / "smattest", tmp_path / "smattest", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    return tmp_path


def _add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_package_keeps_its_layers_and_has_no_cycle():
    lint = _lint(ROOT)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "3 kept, 0 broken" in lint.stdout
    cycles = _run([sys.executable, str(CYCLES)], ROOT)
    assert cycles.returncode == 0, cycles.stdout + cycles.stderr
    assert cycles.stdout.strip().endswith("0 import cycles")


def test_a_model_importing_the_views_breaks_the_layers(copy_of_smattest):
    _add_line(
        copy_of_smattest / "smattest" / "models" / "staff.py", "from ..views import base  # upward"
    )

    lint = _lint(copy_of_smattest)

    assert lint.returncode != 0
    assert "smattest.models.staff -> smattest.views.base" in lint.stdout
    assert "BROKEN" in lint.stdout


def test_a_function_level_import_of_the_extension_is_still_upward(copy_of_smattest):
    _add_line(
        copy_of_smattest / "smattest" / "rule" / "compliance.py",
        "def _late():\n    from ..extension import SMAttest\n\n    return SMAttest",
    )

    lint = _lint(copy_of_smattest)

    assert lint.returncode != 0
    assert "smattest.rule.compliance -> smattest.extension" in lint.stdout


def test_a_module_importing_its_package_back_is_a_cycle(copy_of_smattest):
    # Inside one layer (roster), so only the cycle checks can catch it.
    _add_line(
        copy_of_smattest / "smattest" / "roster" / "reading.py", "from .. import roster  # back"
    )

    cycles = _run([sys.executable, str(CYCLES)], copy_of_smattest)

    assert cycles.returncode == 1
    assert (
        "smattest.roster <-> smattest.roster.planning <-> smattest.roster.reading" in cycles.stdout
    )


def test_from_dot_import_runs_the_package_first_so_it_counts(copy_of_smattest):
    # smattest/__init__ imports the extension, which reaches every module: a
    # module importing the package back closes a loop through all of them.
    _add_line(
        copy_of_smattest / "smattest" / "rule" / "compliance.py",
        "from .. import timeutil  # via the package",
    )

    cycles = _run([sys.executable, str(CYCLES)], copy_of_smattest)

    assert cycles.returncode == 1
    assert "smattest <-> " in cycles.stdout and "smattest.rule.compliance" in cycles.stdout


def test_two_modules_of_a_package_importing_each_other_break_the_acyclic_contract(copy_of_smattest):
    # Inside one layer: the audit already imports the chain; the chain importing
    # the audit back closes a loop.
    _add_line(
        copy_of_smattest / "smattest" / "evidence" / "chain.py", "from . import audit  # back"
    )

    lint = _lint(copy_of_smattest)

    assert lint.returncode != 0
    assert "no import cycles" in lint.stdout and "BROKEN" in lint.stdout


def test_a_new_module_must_be_given_a_layer(copy_of_smattest):
    (copy_of_smattest / "smattest" / "newcomer.py").write_text('"""Not in any layer yet."""\n')

    lint = _lint(copy_of_smattest)

    assert lint.returncode != 0
    assert "smattest.newcomer" in lint.stdout


#: A module holds one subject. Past about 500 lines, read it again: if it holds two
#: subjects, split it by subject; if it is one subject, give it its own ceiling in
#: ONE_SUBJECT with the reason, rather than cut it in two by size.
MAX_MODULE_LINES = 500
#: Modules kept whole past the limit, and the most lines each may have: the offline
#: verifier is copied out of the package and run alone by auditors (the export
#: check, the hash format, the Merkle proofs), so it cannot be split.
ONE_SUBJECT = {"smattest/verify.py": 650}


def test_no_module_outgrows_one_subject():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "smattest").rglob("*.py")
    }
    too_long = {
        path: lines
        for path, lines in sizes.items()
        if lines > ONE_SUBJECT.get(path, MAX_MODULE_LINES)
    }
    assert not too_long, f"split these by subject: {too_long}"


def test_only_the_extension_may_import_the_cli(copy_of_smattest):
    _add_line(
        copy_of_smattest / "smattest" / "migrate.py", "from . import cli  # not the extension"
    )

    lint = _lint(copy_of_smattest)

    assert lint.returncode != 0
    assert "only the extension mounts the pages and the commands BROKEN" in lint.stdout
