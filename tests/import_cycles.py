"""Print every import cycle between smattest's modules; exit 1 if there is one.

import-linter's ``acyclic_siblings`` contract finds cycles between siblings
(two modules of one package, or two packages); this also finds a module that
imports its own package back (``smattest.roster.reading`` importing
``smattest.roster``, or ``from . import compliance``, which runs the package's
``__init__`` first), which siblings alone do not show. Function-level imports
count: they fix import order at run time as much as top-level ones.

Run as a script so that the package analysed is whichever ``smattest`` comes
first on ``PYTHONPATH`` (the tests point it at a deliberately broken copy).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path


def _graph(package: str) -> dict[str, set[str]]:
    """Each module of ``package`` and the modules of it that its code imports.

    Read with :mod:`ast` from the sources of whichever ``package`` comes first
    on the path. ``from . import x`` imports the package as well as ``x`` (its
    ``__init__`` runs first), so it counts as an import of both; imports inside
    functions count too.
    """
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    root = Path(next(iter(spec.submodule_search_locations)))
    files = {
        ".".join((package, *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__"): p
        for p in root.rglob("*.py")
    }
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        here = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                parts = here.split(".")
                if node.level:
                    base = ".".join(parts[: len(parts) - node.level + 1] + [node.module or ""])
                    base = base.rstrip(".")
                else:
                    base = node.module or ""
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


def cycles(package: str = "smattest") -> list[list[str]]:
    """Each strongly connected group of two or more modules, sorted (Tarjan's algorithm)."""
    graph = _graph(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    groups = cycles()
    for group in groups:
        print("import cycle: " + " <-> ".join(group))
    print(f"{len(groups)} import cycle{'s' if len(groups) != 1 else ''}")
    sys.exit(1 if groups else 0)
