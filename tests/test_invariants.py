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

from dlcalc.app.commands import command_of, solve
from dlcalc.app.settings import Settings
from dlcalc.model.steps import Solution
from dlcalc.specs.loader import load
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


def broken_invariants(solution: Solution, carry: int | None) -> list[str]:
    """What is wrong with ``solution``: repeated labels, NaN, a step whose inputs are not its
    tree's quantities, a computed step that does not recompute its value, or a step with a
    formula tree that does not count as computed (so that nothing would check it)."""
    steps = solution.steps
    labels = [s.label for s in steps]
    problems = [f"label {x} repeated" for x in sorted({x for x in labels if labels.count(x) > 1})]
    undefined = solution.first_undefined()
    if undefined is not None:
        problems.append(f"{undefined} is NaN")
    for step in steps:
        if step.expr is None:
            continue
        if step.inputs != [q.label for q in step.expr.quantities()]:
            problems.append(f"{step.label}: inputs are not its tree's quantities")
        if not step.computed:
            problems.append(f"{step.label} has a formula tree but does not count as computed")
        elif carry is None and not same(step.recompute({}), step.value):
            # (under --carry the value is the recomputed one rounded)
            problems.append(f"{step.label} = {step.value!r} does not recompute from its tree")
    return problems


@pytest.mark.parametrize("carry", [None, 3])
@pytest.mark.parametrize("name", NAMES)
def test_every_example_keeps_the_invariants(name: str, carry: int | None) -> None:
    solution = solved(name, carry=carry)
    assert broken_invariants(solution, carry) == []
    assert any(step.expr is not None for step in solution.steps), "no step was checked"


def test_the_invariants_catch_a_value_not_derived_from_its_tree(monkeypatch) -> None:
    """The suite can fail: a value off by 1e-6, or steps that no longer count as computed."""
    from dlcalc.model.steps import Step

    solution = solved("mazur")
    assert broken_invariants(solution, None) == []
    step = next(s for s in solution.steps if s.expr is not None)
    good = step.value
    step.value = float(good) + 1e-6
    assert broken_invariants(solution, None) == [
        f"{step.label} = {step.value!r} does not recompute from its tree"
    ]
    step.value = good
    monkeypatch.setattr(Step, "computed", property(lambda self: False))
    broken = broken_invariants(solution, None)
    assert len(broken) == sum(1 for s in solution.steps if s.expr is not None) > 0


def test_every_command_has_an_example() -> None:
    from dlcalc.app.commands import COMMANDS

    named = {command_of(load(str(EXAMPLES / f"{n}.yaml")), None) for n in NAMES}
    assert set(COMMANDS) <= named, sorted(set(COMMANDS) - named)
