"""Weights written the slides' ways: `weights_by: input` (x·W) and `connections:` (w14 …)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.app.cli import app
from dlcalc.errors import InputError
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.network import load_network

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(text: str, training: bool = False):
    return load_network(parse_yaml(text, "p.yaml"), training=training)


def _result(runner, command: str, path: Path) -> dict:
    result = runner.invoke(app, [command, str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["result"]


def test_deck_002_last_slide_gives_0_191(runner) -> None:
    result = _result(runner, "forward", EXAMPLES / "matrix-product-deck002.yaml")
    assert result["layers"][0]["net"] == pytest.approx([0.85, 0.48])
    assert result["output"] == pytest.approx([0.191])
    shown = runner.invoke(app, ["forward", str(EXAMPLES / "matrix-product-deck002.yaml")])
    assert "Weights read by input (`weights_by: input`)" in shown.stdout


def test_question_2_by_name_is_the_same_network_as_by_matrix(runner) -> None:
    named = _result(runner, "backprop", EXAMPLES / "question2-connections.yaml")
    matrix = _result(runner, "backprop", EXAMPLES / "hankamber.yaml")
    assert named == matrix
    assert named["layers"][0]["out"] == pytest.approx([0.3318, 0.5250], abs=1e-4)
    spec = _load((EXAMPLES / "question2-connections.yaml").read_text(), training=True)
    assert spec.layers[0].weight_names == [["w14", "w24", "w34"], ["w15", "w25", "w35"]]
    assert spec.layers[1].weight_names == [["w46", "w56"]]
    shown = runner.invoke(app, ["backprop", str(EXAMPLES / "question2-connections.yaml")])
    assert "Weights read from `connections:`" in shown.stdout


def test_the_default_orientation_is_said_too(runner) -> None:
    shown = runner.invoke(app, ["backprop", str(EXAMPLES / "mazur.yaml")])
    assert "Weights read by unit (the default)" in shown.stdout


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=16, max_size=16),
)
def test_weights_by_input_is_the_transpose(n_in: int, n_units: int, pool: list[float]) -> None:
    by_unit = [[pool[(j * n_in + i) % 16] for i in range(n_in)] for j in range(n_units)]
    by_input = [[by_unit[j][i] for j in range(n_units)] for i in range(n_in)]
    head = f"input: {[0.5] * n_in}\n"
    a = _load(head + f"layers: [{{activation: linear, weights: {by_unit}}}]\n")
    b = _load(head + f"weights_by: input\nlayers: [{{activation: linear, weights: {by_input}}}]\n")
    assert a.layers[0].weights == b.layers[0].weights


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "input: [1, 2]\nweights_by: input\nlayers: [{weights: [[1, 2, 3]]}]\n",
            ["weights_by: input", "expected 2 rows", "got 1"],
        ),
        ("input: [1, 2]\nweights_by: column\nlayers: [{weights: [[1, 2]]}]\n", ["unit, input"]),
        ("input: [1, 2]\nlayers: [{units: [h]}]\n", ["missing required key 'weights'"]),
        (
            "input: [1, 2]\nconnections: {w13: 1}\nlayers: [{units: [3]}]\n",
            ["missing w23", "0 for no connection"],
        ),
        (
            "input: [1, 2]\nconnections: {w13: 1, w23: 2, w93: 1}\nlayers: [{units: [3]}]\n",
            ["connections.w93", "w<from><to>", "inputs are 1–2"],
        ),
        (
            "input: [1, 2]\nconnections: {w13: 1, w1_3: 1, w23: 2}\nlayers: [{units: [3]}]\n",
            ["given twice"],
        ),
        (
            "input: [1, 2]\nconnections: {w13: 1, w23: 2}\nlayers: [{units: [3], weights: [[1, 2]]}]\n",
            ["not both"],
        ),
        (
            "input: [1, 2]\nconnections: {w13: 1, w23: 2}\nlayers: [{weights: [[1, 2]]}]\n",
            ["not both"],
        ),
        (
            "input: [1, 2]\nconnections: {w13: 1, w23: 2}\nlayers: [{activation: linear}]\n",
            ["unit numbers", "units: [4, 5]"],
        ),
        (
            "input: [1, 2]\nconnections: {w13: 1, w23: 2, b3: 1}\nlayers: [{units: [3], bias: 2}]\n",
            ["biases either here or in `connections:`"],
        ),
    ],
)
def test_bad_orientation_or_connections_say_what_to_write(text: str, words) -> None:
    with pytest.raises(InputError) as caught:
        _load(text)
    for word in words:
        assert word in str(caught.value)


def test_connection_names_may_be_separated() -> None:
    spec = _load(
        "input: [1, 2]\nconnections: {'w(1,3)': 0.5, w2_3: -1, b_3: 0.25}\n"
        "layers: [{units: [3], activation: linear}]\n"
    )
    assert spec.layers[0].weights == [[0.5, -1.0]] and spec.layers[0].bias == [0.25]
