"""Shared numerics: the --carry rounding rule (12 significant digits, then ties away from zero)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcalc.maths.numerics import carry_round, rounder


def _by_hand(x: Fraction, places: int) -> Fraction:
    """The contract's rule in exact fractions, independent of the decimal module."""
    if x == 0:
        return Fraction(0)
    sign = 1 if x > 0 else -1
    a = abs(x)
    exponent = math.floor(math.log10(a))
    while Fraction(10) ** exponent > a:  # log10 of a fraction may be off by one
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= a:
        exponent += 1
    unit = Fraction(10) ** (exponent - 11)  # 12 significant digits, ties to even (a display)
    q, r = divmod(a, unit)
    if r > unit / 2 or (r == unit / 2 and q % 2 == 1):
        q += 1
    shown = q * unit
    step = Fraction(1, 10**places)
    q, r = divmod(shown, step)
    if r >= step / 2:  # ties away from zero
        q += 1
    return sign * q * step


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (0.565, 2, 0.57),  # the double just below 0.565 reads as 0.565 first
        (-0.565, 2, -0.57),
        (0.5 * 0.43 + 0.5 * 0.7, 2, 0.57),
        (0.125 + 0.05, 2, 0.18),
        (2.675, 2, 2.68),  # np.round gives 2.67
        (0.0045, 3, 0.005),
        (-0.0045, 3, -0.005),
        (0.56449999, 2, 0.56),  # not a tie: no double rounding through 0.565
        (1234.5, 0, 1235.0),
        (0.0, 3, 0.0),
    ],
)
def test_carry_rounds_ties_away_from_zero(value: float, places: int, expected: float) -> None:
    assert carry_round(value, places) == expected


def test_carry_keeps_fractions_exact_and_passes_infinities() -> None:
    assert carry_round(Fraction(565, 1000), 2) == Fraction(57, 100)
    assert carry_round(Fraction(-1, 8), 2) == Fraction(-13, 100)
    assert isinstance(carry_round(Fraction(1, 3), 4), Fraction)
    assert carry_round(math.inf, 2) == math.inf
    assert math.isnan(carry_round(math.nan, 2))


def test_carry_rounds_arrays_entry_by_entry() -> None:
    rounded = rounder(2)(np.array([[0.565, -0.565], [0.175, 1e300]]))
    assert rounded.tolist() == [[0.57, -0.57], [0.18, 1e300]]
    assert rounder(None)(0.565) == 0.565


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.integers(min_value=0, max_value=8),
)
def test_carry_matches_the_rule_worked_in_fractions(value: float, places: int) -> None:
    assert carry_round(value, places) == float(_by_hand(Fraction(value), places))


@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=1, max_value=4))
def test_exact_ties_go_away_from_zero(units: int, places: int) -> None:
    tie = Fraction(2 * units + 1, 2 * 10**places)  # exactly half-way between two carried values
    expected = (abs(tie) + Fraction(1, 2 * 10**places)) * (1 if tie > 0 else -1)
    assert carry_round(tie, places) == expected
    assert carry_round(float(tie), places) == float(expected)


THREE_EXAMPLES = """\
examples:
  - {input: [0.1, 0.2], target: [0.3]}
  - {input: [0.4, 0.1], target: [0.6]}
  - {input: [0.2, 0.5], target: [0.1]}
learning_rate: 0.5
epochs: 3
layers:
  - activation: sigmoid
    weights: [[0.1, -0.2]]
"""


def test_carry_mode_is_said_and_every_loss_is_carried(runner, tmp_path) -> None:
    import json

    from dlcalc.app.cli import app

    problem = tmp_path / "three.yaml"
    problem.write_text(THREE_EXAMPLES)
    result = runner.invoke(app, ["backprop", str(problem), "--carry", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)["result"]
    for loss in [answers["loss"], answers["loss_after"], *(h["loss"] for h in answers["history"])]:
        assert loss == carry_round(loss, 2)  # a carried value, like the steps use
    shown = runner.invoke(app, ["backprop", str(problem), "--carry", "2", "-f", "markdown"])
    assert "Hand-calculation mode (--carry 2)" in shown.stdout
    assert "Hand-calculation mode" not in runner.invoke(app, ["backprop", str(problem)]).stdout


@pytest.mark.parametrize(
    "args",
    [
        ["backprop", "examples/hankamber.yaml"],
        ["forward", "examples/ce-multiclass.yaml"],
        ["perceptron", "examples/perceptron-trace.yaml"],
        ["delta", "examples/delta-rule.yaml"],
        ["kld", "examples/vae-latent-kl.yaml"],
        ["crossentropy", "--target", "0,0,1", "--logits", "1,2,3"],
    ],
)
def test_every_number_in_result_is_carried(runner, monkeypatch, args) -> None:
    import json
    from pathlib import Path

    from dlcalc.app.cli import app

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    result = runner.invoke(app, [*args, "--carry", "2", "-f", "json"])
    assert result.exit_code == 0, result.output

    def numbers(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from numbers(v)
        elif isinstance(x, list):
            for v in x:
                yield from numbers(v)
        elif isinstance(x, float):
            yield x

    for x in numbers(json.loads(result.stdout)["result"]):
        assert x == carry_round(x, 2), x
