"""The `conv` problem model: shapes layer by layer, padding rules, and errors that name file, line and field."""

from __future__ import annotations

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.convolution import load_convolution, matrix_text, settings_from_options
from dlcalc.specs.loader import parse_yaml

D2L = "input: [[0, 1, 2], [3, 4, 5], [6, 7, 8]]\n"


def load(text: str):
    return load_convolution(parse_yaml(text, "p.yaml"))


def fails(text: str) -> InputError:
    with pytest.raises(InputError) as e:
        load(text)
    return e.value


def test_shapes_follow_each_layer() -> None:
    net = load(
        "input: [[[1, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3], [4, 5, 6, 7]], [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]]\n"
        "layers:\n"
        "  - conv: {filters: [{kernel: [[[1]], [[1]]]}, {kernel: [[[2]], [[0]]], bias: 1}, {kernel: [[[0]], [[1]]]}], padding: 1}\n"
        "  - relu: {}\n"
        "  - maxpool: {kernel: 2}\n"
        "  - activation: {name: leaky_relu, alpha: 0.2}\n"
        "  - avgpool: {kernel: [1, 3], stride: 1}\n"
    )
    assert net.shapes == [(3, 6, 6), (3, 6, 6), (3, 3, 3), (3, 3, 3), (3, 3, 1)]
    assert net.layers[1].name == "relu" and net.layers[3].alpha == 0.2
    assert net.layers[2].window.stride == (2, 2)  # pools stride by their kernel


def test_same_and_valid_padding_and_dilation() -> None:
    net = load(D2L + "layers:\n  - conv: {kernel: [[1, 0], [0, 1]], padding: same, dilation: 2}\n")
    assert net.layers[0].window.padding == (1, 1, 1, 1)  # d(k − 1) = 2 in total
    assert net.shapes[0] == (1, 3, 3)
    net = load(D2L + "layers:\n  - conv: {kernel: [[1, 0, 1, 1]], padding: same}\n")
    assert net.layers[0].window.padding == (0, 0, 1, 2)  # the odd one on the right
    net = load(D2L + "layers:\n  - conv: {kernel: [[1]], padding: valid, stride: [2, 1]}\n")
    assert net.shapes[0] == (1, 2, 3)


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (
            D2L + "layers:\n  - conv: {kernel: [[1, 1], [1, 1]], dilation: 3}\n",
            3,
            "layers[0].conv.kernel",
            "dilated to 4×4",
        ),
        (
            D2L + "layers:\n  - conv: {kernel: [[1]], stride: 1.5}\n",
            3,
            "layers[0].conv.stride",
            "whole number",
        ),
        (
            D2L
            + "layers:\n  - conv:\n      filters:\n        - {kernel: [[1]]}\n        - {kernel: [[1, 2]]}\n",
            6,
            "layers[0].conv.filters[1].kernel",
            "filter 1 is 1×2",
        ),
        (
            D2L + "layers:\n  - conv: {kernel: [[[1]], [[1]]]}\n",
            3,
            "layers[0].conv.kernel",
            "2 channels but its input has 1",
        ),
        (
            "input: [[[1, 2]], [[1]]]\nlayers:\n  - maxpool: {kernel: 1}\n",
            1,
            "input[1]",
            "channel 1 is 1×1 but channel 0 is 1×2",
        ),
        (D2L + "layers: []\n", 2, "layers", "at least one layer"),
        (D2L + "layers:\n  - {conv: {kernel: [[1]]}, relu: {}}\n", 3, "layers[0]", "one key"),
        (D2L + "layers:\n  - conv: {bias: 1}\n", 3, "layers[0].conv", "either `kernel:`"),
        (
            D2L + "layers:\n  - maxpool: {kernel: 2}\ngrad_output: [[1, 2], [3]]\n",
            4,
            "grad_output[1]",
            "row 1 has 1 number",
        ),
        ("layers:\n  - relu: {}\n", None, None, "missing required key 'input'"),
        (
            "command: conv-shape\n" + D2L + "layers:\n  - relu: {}\n",
            1,
            "command",
            "dlcalc conv-shape",
        ),
    ],
)
def test_errors_name_line_and_field(
    text: str, line: int | None, field: str | None, words: str
) -> None:
    error = fails(text)
    assert error.file == "p.yaml"
    assert error.line == line
    assert error.field == field
    assert words in error.message


def test_command_line_matrices() -> None:
    assert matrix_text("0 1 2; 3,4,5", "--input") == [["0", "1", "2"], ["3", "4", "5"]]
    assert matrix_text("1 2 | 3 4", "--input") == [[["1", "2"]], [["3", "4"]]]
    data = settings_from_options("1 2; 3 4", "1", "0.5", "1", "same", None, True)
    assert data["layers"][0]["conv"] == {
        "kernel": [["1"]],
        "flip": True,
        "bias": "0.5",
        "stride": "1",
        "padding": "same",
    }
    with pytest.raises(InputError):
        matrix_text(" ; ", "--kernel")
