"""No function in dlcalc/ is longer than 120 lines (issue 24).

A function's length is the lines it spans in the file: from its first decorator (or its
``def``) to its last line, docstring, comments and blank lines included, as an editor
shows it.  Nested functions and methods are measured too, named ``outer.inner`` or
``Class.method``.  The source is read with :mod:`ast`; nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dlcalc"
LIMIT = 120

# Functions still over the limit, as "path:qualified name".  The test fails when another
# function goes over, and when one of these is at or under the limit (or gone): then
# delete it here, so the list only shrinks.
STILL_LONG: set[str] = set()  # none left

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _lines(node: Function) -> int:
    """The lines ``node`` spans, from its first decorator to its last line."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    assert node.end_lineno is not None
    return node.end_lineno - first + 1


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """Every function under ``tree`` (nested ones too) with its qualified name and length."""
    found: list[tuple[str, int]] = []
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + child.name
            found.append((name, _lines(child)))
            found += _functions(child, name + ".")
        elif isinstance(child, ast.ClassDef):
            found += _functions(child, prefix + child.name + ".")
        else:
            found += _functions(child, prefix)
    return found


def function_lengths() -> dict[str, int]:
    """Every function in dlcalc/ as "path:qualified name" → its length in lines."""
    lengths: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, lines in _functions(tree):
            key = f"{where}:{name}"
            lengths[key] = max(lines, lengths.get(key, 0))  # a redefinition: the longer
    return lengths


def test_the_count_sees_every_function() -> None:
    lengths = function_lengths()
    assert len(lengths) > 500, len(lengths)  # the walk found the package's functions
    assert lengths["dlcalc/topics/optimize.py:solve_optimize"] > 1
    assert "dlcalc/topics/optimize.py:Hyper.of" in lengths  # methods, by class
    assert "dlcalc/topics/optimize.py:_rules.now" in lengths  # nested functions


def test_the_count_is_the_span_of_the_function() -> None:
    source = "@decorated\ndef f(x):\n    '''Doc.'''\n\n    # a comment\n    return x\n"
    assert _functions(ast.parse(source)) == [("f", 6)]


def test_no_function_is_longer_than_the_limit() -> None:
    lengths = function_lengths()
    too_long = {
        key: lines for key, lines in lengths.items() if lines > LIMIT and key not in STILL_LONG
    }
    assert not too_long, f"longer than {LIMIT} lines (split into helpers): {too_long}"


def test_the_allow_list_only_shrinks() -> None:
    lengths = function_lengths()
    done = {key: lengths.get(key) for key in STILL_LONG if lengths.get(key, 0) <= LIMIT}
    assert not done, f"now at most {LIMIT} lines or gone; delete from STILL_LONG: {done}"
