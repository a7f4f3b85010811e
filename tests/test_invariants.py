"""What holds for every worked solution, checked over every shipped example.

Each example is solved in-process with the command its ``command:`` key names, the way
``dlcalc solve`` does.  Per example: step labels are unique (they are the answers-file
contract), no value is NaN, every computed step recomputes its own value from its formula
(the function ``check`` uses), a step built from a formula tree lists exactly the tree's
quantities as its inputs, and each input is the label of an earlier step or a given.
(That every example typesets with pdflatex is tests/render/test_latex_compiles.py.)
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import pytest

from dlcalc.commands import command_of, solve
from dlcalc.settings import Settings
from dlcalc.specs.loader import load
from dlcalc.steps import Solution
from tests.conftest import EXAMPLES

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def solved(name: str, **settings: Any) -> Solution:
    doc = load(str(EXAMPLES / f"{name}.yaml"))
    return solve(command_of(doc, None), doc, Settings(**settings))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, Real) and isinstance(b, Real) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


@pytest.mark.parametrize("carry", [None, 3])
@pytest.mark.parametrize("name", NAMES)
def test_every_example_keeps_the_invariants(name: str, carry: int | None) -> None:
    solution = solved(name, carry=carry)
    steps = solution.steps
    labels = [s.label for s in steps]
    assert len(labels) == len(set(labels)), sorted({x for x in labels if labels.count(x) > 1})
    assert solution.first_undefined() is None
    for step in steps:
        if step.expr is not None:
            assert step.inputs == [q.label for q in step.expr.quantities()], step.label
        if not step.computed:
            continue
        if carry is None:  # under --carry the value is the recomputed one rounded
            assert same(step.recompute({}), step.value), (step.label, step.value)


def test_every_command_has_an_example() -> None:
    from dlcalc.commands import COMMANDS

    named = {command_of(load(str(EXAMPLES / f"{n}.yaml")), None) for n in NAMES}
    assert set(COMMANDS) <= named, sorted(set(COMMANDS) - named)
