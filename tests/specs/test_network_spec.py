"""Problem files: every kind of bad input becomes one InputError naming file, line and field."""

from __future__ import annotations

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.network import load_network

GOOD = """\
input: [0.05, 0.1]
target: [0.01, 0.99]
learning_rate: 0.5
layers:
- weights: [[0.15, 0.2], [0.25, 0.3]]
  bias: 0.35
- weights: [[0.4, 0.45], [0.5, 0.55]]
  bias: 0.6
"""


def error_for(text: str, training: bool = True) -> InputError:
    with pytest.raises(InputError) as info:
        load_network(parse_yaml(text, "p.yaml"), training=training)
    return info.value


def test_good_problem_loads() -> None:
    spec = load_network(parse_yaml(GOOD, "p.yaml"), training=True)
    assert spec.layers[1].weights == [[0.4, 0.45], [0.5, 0.55]]


@pytest.mark.parametrize(
    ("change", "field", "line", "words"),
    [
        (
            ("  bias: 0.35", "  bias: 0.35\n  activaton: relu"),
            "layers[0].activaton",
            7,
            ["did you mean 'activation'"],
        ),
        (
            ("layers:", "learnin_rate: 1\nlayers:"),
            "learnin_rate",
            4,
            ["did you mean 'learning_rate'"],
        ),
        (
            ("- weights: [[0.15, 0.2], [0.25, 0.3]]", "- weights: [[0.15, 0.2], [0.25]]"),
            "layers[0].weights",
            5,
            ["different lengths"],
        ),
        (
            (
                "- weights: [[0.15, 0.2], [0.25, 0.3]]",
                "- weights: [[0.15, 0.2, 1], [0.25, 0.3, 1]]",
            ),
            "layers[0].weights",
            5,
            ["2 weights"],
        ),
        (("target: [0.01, 0.99]", "target: [0.01]"), "target", 2, ["2 target values"]),
        (
            ("learning_rate: 0.5", "learning_rate: fast"),
            "learning_rate",
            3,
            ["expected a number", "fast"],
        ),
        (("learning_rate: 0.5", "learning_rate: .nan"), "learning_rate", 3, ["finite"]),
        (("learning_rate: 0.5", "learning_rate: .inf"), "learning_rate", 3, ["finite"]),
        (("learning_rate: 0.5", "learning_rate: true"), "learning_rate", 3, ["expected a number"]),
        (("learning_rate: 0.5", "loss: hinge"), "loss", 3, ["unknown loss", "half_sse"]),
        (("  bias: 0.35", "  bias: [1, 2, 3]"), "layers[0].bias", 6, ["2 biases"]),
        (
            ("  bias: 0.35", "  activation: sigmod"),
            "layers[0].activation",
            6,
            ["did you mean 'sigmoid'"],
        ),
        (("learning_rate: 0.5\n", ""), "learning_rate", None, ["learning rate"]),
        (("learning_rate: 0.5", "learning_rate: 0.5\nepochs: 0"), "epochs", 4, ["epochs"]),
        (("learning_rate: 0.5", "learning_rate: 0.5\nepochs: 100000000"), "epochs", 4, ["epochs"]),
        (("input: [0.05, 0.1]", "input: [[0.05], [0.1]]"), "input", 1, ["expected a number"]),
    ],
)
def test_bad_input_names_field_and_line(
    change: tuple[str, str], field: str, line: int | None, words: list[str]
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    error = error_for(text)
    assert error.field is not None and error.field.startswith(field.split("[")[0])
    assert error.field == field
    if line is not None:
        assert error.line == line
    for word in words:
        assert word in str(error)
    assert "p.yaml" in str(error)


def test_numbers_written_as_text_are_read() -> None:
    spec = load_network(
        parse_yaml(GOOD.replace("learning_rate: 0.5", "learning_rate: 5e-1"), "p.yaml"),
        training=True,
    )
    assert spec.learning_rate == 0.5
