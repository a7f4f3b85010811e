"""rnn problem files: every shape mismatch is one InputError naming the file, line and field."""

from __future__ import annotations

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.rnn import load_rnn

RNN = """\
cell: rnn
inputs: [[1, 2], [0.5, 3]]
targets: [[0.5], null]
learning_rate: 0.1
U: [[0.5, 0.1]]
W: [[0.3]]
b: [0.0]
"""

GRU = """\
cell: gru
inputs: [[1, 2]]
gates:
  reset: {U: [[1, 2]], W: [[1]], b: [0]}
  update: {U: [[1, 2]], W: [[1]]}
  candidate: {U: [[1, 2]], W: [[1]], b: [0]}
"""


def error_for(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_rnn(parse_yaml(text, "p.yaml"))
    return info.value


def test_good_problems_load() -> None:
    spec = load_rnn(parse_yaml(RNN, "p.yaml"))
    assert spec.targets == [[0.5], None]
    assert load_rnn(parse_yaml(GRU, "p.yaml")).gates is not None


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (RNN.replace("[0.5, 3]", "[0.5]"), 2, "inputs[1]", "same size"),
        (RNN.replace("U: [[0.5, 0.1]]", "U: [[0.5, 0.1, 1]]"), 5, "U", "2 weights"),
        (RNN.replace("W: [[0.3]]", "W: [[0.3, 1]]"), 6, "W", "1×1"),
        (RNN.replace("b: [0.0]", "b: [0.0, 1]"), 7, "b", "1 biases"),
        (RNN.replace("null", "[1, 2]"), 3, "targets[1]", "1 target values"),
        (RNN.replace("[[0.5], null]", "[[0.5]]"), 3, "targets", "expected 2 targets"),
        (RNN + "V: [[1, 2]]\n", 8, "V", "1 weights"),
        (RNN + "V: [[1]]\nc: [1, 2]\n", 9, "c", "expected 1 values of c"),
        (RNN + "c: [1]\n", 8, "c", "give the output weights V"),
        (RNN + "state0: [0, 0]\n", 8, "state0", "one per state unit"),
        (RNN + "hidden0: [0]\n", 8, "hidden0", "only the lstm"),
        (RNN.replace("cell: rnn", "cell: lstn"), 1, "cell", "did you mean 'lstm'"),
        (RNN + "loss: bce\n", 8, "loss", None),
        (
            GRU.replace("  update: {U: [[1, 2]], W: [[1]]}\n", ""),
            3,
            "gates",
            "missing gate 'update'",
        ),
        (GRU.replace("update:", "updat:"), 5, "gates.updat", "did you mean 'update'"),
        (
            GRU.replace("candidate: {U: [[1, 2]]", "candidate: {U: [[1, 2], [3, 4]]"),
            6,
            "gates.candidate.U",
            "rows",
        ),
        (
            GRU.replace("reset: {U: [[1, 2]], W: [[1]]", "reset: {U: [[1, 2]], W: [[1, 2]]"),
            4,
            "gates.reset.W",
            "1×1",
        ),
        (GRU + "U: [[1, 2]]\n", 7, "U", "under `gates:`"),
        (GRU + "hidden0: [0]\n", 7, "hidden0", "only the lstm"),
        ("cell: lstm\ninputs: [[1]]\n", None, None, "missing key 'gates'"),
        ("cell: rnn\ninputs: [[1]]\nW: [[1]]\n", None, None, "missing key 'U'"),
        (
            RNN.replace("targets: [[0.5], null]", "targets: [null, null]"),
            3,
            "targets",
            "every target is null",
        ),
        (RNN.replace("targets: [[0.5], null]\n", ""), 3, "learning_rate", "needs targets"),
        ("command: backprop\n" + RNN, 1, "command", "for `backprop`"),
        (RNN + "output_activation: sigmoid\n", 8, "output_activation", "needs an output layer V"),
        (RNN + "speed: 3\n", 8, "speed", "unknown key"),
    ],
)
def test_shape_errors_name_line_and_field(
    text: str, line: int | None, field: str | None, words: str | None
) -> None:
    if words is None:  # bce is fine until the outputs are checked: no error here
        load_rnn(parse_yaml(text, "p.yaml"))
        return
    error = error_for(text)
    assert error.file == "p.yaml"
    assert error.line == line
    assert error.field == field
    assert words in error.message


def test_bce_targets_must_be_probabilities() -> None:
    error = error_for(RNN.replace("[[0.5], null]", "[[2], null]") + "loss: bce\n")
    assert error.field == "targets[0]" and "between 0 and 1" in error.message


def test_a_number_stands_for_a_one_value_vector() -> None:
    spec = load_rnn(
        parse_yaml(
            RNN.replace("[[1, 2], [0.5, 3]]", "[1, 0.5]")
            .replace("[[0.5, 0.1]]", "[[0.5]]")
            .replace("[[0.5], null]", "[0.5, null]"),
            "p.yaml",
        )
    )
    assert spec.inputs == [[1.0], [0.5]]
    assert spec.targets == [[0.5], None]
