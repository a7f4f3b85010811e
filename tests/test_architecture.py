"""The import graph of dlcalc/ has no circles.

Every import counts: at module level, inside functions and under ``if TYPE_CHECKING:``
(a circle hidden in a function body is still a circle in the design).  The graph is read
from the source with :mod:`ast`, so nothing is imported to draw it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dlcalc"

# Circles still open, each with the reason it is not broken yet.  The test fails when a
# new circle appears, and when one of these is gone (then delete it here).
KNOWN_CIRCLES: dict[frozenset[str], str] = {}


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that module ``name`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from dlcalc.render import latex` imports the module dlcalc.render.latex,
            # `from dlcalc.render import render` a name of dlcalc.render (as grimp counts)
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # a name that is no module of the package: the module it is in
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    mods = modules(root)
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def circles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_graph_is_read() -> None:
    edges = graph()
    assert len(edges) > 50
    # a module-level, a function-level and a TYPE_CHECKING import are all edges
    assert "dlcalc.model.steps" in edges["dlcalc.render.layout"]
    assert "dlcalc.grading.conventions" in edges["dlcalc.app.output"]  # inside emit's check
    assert (
        "dlcalc.grading.checking" in edges["dlcalc.grading.conventions"]
    )  # under TYPE_CHECKING too


def test_circles_are_found(tmp_path: Path) -> None:
    """The detector itself: a circle through a function body and TYPE_CHECKING is seen."""
    pkg = tmp_path / "dlcalc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from dlcalc import b\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n"
    )
    (pkg / "c.py").write_text("import dlcalc.a\n")
    (pkg / "d.py").write_text("from dlcalc import a\n")
    assert circles(graph(pkg)) == [frozenset({"dlcalc.a", "dlcalc.b", "dlcalc.c"})]


def test_no_import_circles() -> None:
    found = set(circles(graph()))
    new = [sorted(c) for c in found - set(KNOWN_CIRCLES)]
    assert not new, f"import circles in dlcalc/: {new}"
    gone = [sorted(c) for c in set(KNOWN_CIRCLES) - found]
    assert not gone, f"these circles are broken now: delete them from KNOWN_CIRCLES: {gone}"


def test_grimp_draws_the_same_graph() -> None:
    """grimp (the import-linter's graph) reads the same edges, so the AST reading above is right."""
    import pytest

    grimp = pytest.importorskip("grimp")
    drawn = grimp.build_graph("dlcalc", cache_dir=None)
    theirs = {name: set(drawn.find_modules_directly_imported_by(name)) for name in drawn.modules}
    assert theirs == graph()
