"""Problems from command-line numbers (dlcalc/app/arguments.py), independent of Typer."""

from __future__ import annotations

import pytest

from dlcalc.app import arguments as args
from dlcalc.errors import InputError


def test_numbers_are_lists_or_rows_of_text() -> None:
    assert args.numbers(" 0.2, -3 ") == ["0.2", "-3"]
    assert args.numbers("0,1;1,0") == [["0", "1"], ["1", "0"]]


def test_softmax_scores_or_a_file() -> None:
    assert args.softmax({"values": ["7", "-2"]}) == (None, {"logits": ["7", "-2"]}, {})
    assert args.softmax({"values": ["p.yaml"], "temperature": 2.0}) == (
        "p.yaml",
        None,
        {"temperature": 2.0},
    )
    assert args.softmax({"values": None, "show_naive": True}) == (None, None, {"show_naive": True})


def test_base_goes_into_the_numbers_and_overrides_a_file() -> None:
    given = {"problem": None, "target": "0,1", "probabilities": "0.3,0.7", "base": "2"}
    problem, data, overrides = args.crossentropy(given)
    assert data == {"target": ["0", "1"], "probabilities": ["0.3", "0.7"], "base": "2"}
    assert problem is None and overrides == {"base": "2"}
    assert args.crossentropy({"problem": "p.yaml", "base": "2"}) == ("p.yaml", None, {"base": "2"})


def test_kld_gaussian_against_the_standard_normal_by_default() -> None:
    _, data, _ = args.kld({"mu": "1", "sigma": "2", "q_sigma": "3"})
    assert data == {"gaussian": {"mu": ["1"], "sigma": ["2"], "q": {"mu": ["0"], "sigma": ["3"]}}}
    assert args.kld({"p": "0.5,0.5", "q": "0.9,0.1"})[1] == {
        "p": ["0.5", "0.5"],
        "q": ["0.9", "0.1"],
    }


def test_conv_shape_needs_the_input_size() -> None:
    with pytest.raises(InputError) as e:
        args.conv_shape({"layers": ["flatten"]})
    assert e.value.field == "--input"
    _, data, _ = args.conv_shape({"input_size": "5x5x3", "layers": ["flatten"]})
    assert data is not None and data["input"] == ["5", "5", "3"] and len(data["layers"]) == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-x^2", "--at", "x=2"], ["--at", "x=2", "--", "-x^2"]),
        (["--at", "-1", "x"], ["--at", "-1", "x"]),  # a value after --at stays its value
        (["x", "--", "-y"], ["x", "--", "-y"]),
        (["-", "--wrt=w"], ["-", "--wrt=w"]),
    ],
)
def test_expressions_that_start_with_a_minus_go_last(argv: list[str], expected: list[str]) -> None:
    assert args.expressions_last(argv, {"--at", "--wrt"}, {"--at", "--wrt"}) == expected
