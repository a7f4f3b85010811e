"""Issue 12, item 10: the smaller fidelity fixes, each as a student meets it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from dlcalc.model.formula import ONE, TWO, Compare, Node, Num, call, q
from dlcalc.model.steps import Step
from dlcalc.render.numbers import fmt

NETWORK = "input: [1, 2]\ntarget: [1]\nlearning_rate: 0.5\nlayers: [{weights: [[1, 2]]}]\n"


def _run(runner, tmp_path: Path, text: str, *args: str):
    problem = tmp_path / "p.yaml"
    problem.write_text(text)
    return runner.invoke(app, [*args[:1], str(problem), *args[1:]])


def test_eta_suggests_learning_rate(runner, tmp_path: Path) -> None:
    result = _run(runner, tmp_path, NETWORK.replace("learning_rate", "eta"), "backprop")
    assert result.exit_code == 2
    assert "unknown key 'eta' (did you mean 'learning_rate'?)" in result.stderr


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("bacth", ["unknown value 'bacth'", "did you mean 'batch'", "online, batch"]),
        ("3", ["expected one of: online, batch; got 3"]),
    ],
)
def test_choices_are_refused_in_dlcalc_wording(runner, tmp_path: Path, mode: str, words) -> None:
    result = _run(runner, tmp_path, NETWORK + f"mode: {mode}\n", "backprop")
    assert result.exit_code == 2
    assert "Input should be" not in result.stderr
    assert "p.yaml, line 5: mode:" in result.stderr
    for word in words:
        assert word in result.stderr


def _tanh(x: Node) -> Node:
    return call("tanh", x)


def _relu(x: Node) -> Node:
    return call("max", 0, x)


def _sigmoid(x: Node) -> Node:
    return ONE / (ONE + call("exp", -x))


def _slope(x: Node) -> Node:
    return ONE - x**TWO


def _below_3(x: Node) -> Node:
    return Compare(x, "<", Num(3))


@pytest.mark.parametrize(
    ("build", "value", "shown"),
    [
        (_tanh, -0.45, "tanh(−0.45)"),
        (_relu, -0.3, "max(0, −0.3)"),
        (_sigmoid, -0.38, "1/(1 + e^(−(−0.38)))"),
        (_slope, -0.5, "1 − (−0.5)²"),
        (_below_3, -2.0, "−2 < 3"),
    ],
)
def test_negative_numbers_are_bracketed_only_where_needed(
    build: Callable[[Node], Node], value: float, shown: str
) -> None:
    step = Step("out", 0.0, expr=build(q("net", value)))
    assert step.substituted(lambda v: fmt(v)) == shown


def test_sums_bracket_every_negative_term_after_the_first() -> None:
    a = [q(f"a{i}", -1.5) for i in range(4)]
    step = Step("s", 0.0, expr=a[0] * a[1] + a[2] * a[3])
    assert step.substituted(lambda v: fmt(v)) == "−1.5 × (−1.5) + (−1.5) × (−1.5)"


def test_same_padding_shows_its_p(runner) -> None:
    result = runner.invoke(
        app, ["conv-shape", "-i", "224,224,3", "-l", "conv:64:3:1:same", "-l", "conv:8:5:2:same"]
    )
    assert result.exit_code == 0, result.output
    assert "(224 − 3 + 2 × 1)/1 + 1" in result.output and "P = 1 on each side" in result.output
    assert "(224 − 5 + 3)/2 + 1" in result.output and "1 before and 2" in result.output


@pytest.mark.parametrize("fmt_", ["rich", "markdown"])
def test_a_value_is_not_repeated_as_its_own_substitution(runner, fmt_: str) -> None:
    """E_total = E_6 = 0.1384, not E_total = E_6 = 0.1384 = 0.1384 (one output unit)."""
    hankamber = str(Path(__file__).resolve().parent.parent / "examples" / "hankamber.yaml")
    result = runner.invoke(app, ["backprop", hankamber, "-f", fmt_])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "E_total" in x and "E_6" in x)
    assert line.count("0.1384") == 1, line
    assert "0.1384 = 0.1384" not in result.stdout
    json_doc = runner.invoke(app, ["backprop", hankamber, "-f", "json"]).stdout
    assert '"substituted": "0.1384"' in json_doc  # the contract's JSON keeps every substitution
