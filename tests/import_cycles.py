"""Print every import cycle between smattest's modules; exit 1 if there is one.

import-linter's ``acyclic_siblings`` contract finds cycles between siblings
(two modules of one package, or two packages); this also finds a module that
imports its own package back (``smattest.roster.reading`` importing
``smattest.roster``), which siblings alone do not show. Function-level imports
count: they fix import order at run time as much as top-level ones.

Run as a script so that the package analysed is whichever ``smattest`` comes
first on ``PYTHONPATH`` (the tests point it at a deliberately broken copy).
"""

from __future__ import annotations

import sys

import grimp


def cycles(package: str = "smattest") -> list[list[str]]:
    """Each strongly connected group of two or more modules, sorted (Tarjan's algorithm)."""
    graph = grimp.build_graph(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
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

    for module in sorted(graph.modules):
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
