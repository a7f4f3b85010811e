"""crossentropy reads the slides' rounded probabilities and tells percentages apart (issue 12, item 9)."""

from __future__ import annotations

import json

import pytest

from dlcalc.app.cli import app
from dlcalc.errors import InputError
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.losses import load_crossentropy, rounding_slack, written_decimals


def _load(text: str):
    return load_crossentropy(parse_yaml(text, "p.yaml"))


def test_written_decimals_and_their_slack() -> None:
    assert [written_decimals(x) for x in (0.27, 0.5, 1.0, 0.4648, 1e-5)] == [2, 1, 0, 4, 5]
    assert rounding_slack([0.27, 0.26, 0.46]) == pytest.approx(0.015)
    assert rounding_slack([0, 0, 1]) == 0  # whole numbers are exact


def test_the_slides_rounded_probabilities_are_accepted_and_said_so(runner) -> None:
    problem = _load("target: [0, 0, 1]\nprobabilities: [0.27, 0.26, 0.46]\n")
    assert problem.values == [[0.27, 0.26, 0.46]]  # used as written
    assert "sum to 0.99" in problem.notes[0] and "rounding" in problem.notes[0]
    result = runner.invoke(
        app,
        ["crossentropy", "--target", "0,0,1", "--probabilities", "0.27,0.26,0.46", "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["result"]["loss"] == pytest.approx(0.776528789)  # −ln 0.46
    assert any("sum to 0.99" in n for n in doc["notes"])


@pytest.mark.parametrize(
    "probabilities", ["[0.5, 0.6, 0.1]", "[0.4, 0.4, 0.4]", "[0.2718, 0.2634, 0.4548]"]
)
def test_sums_beyond_the_rounding_are_still_refused(probabilities: str) -> None:
    with pytest.raises(InputError, match="sum to"):
        _load(f"target: [0, 0, 1]\nprobabilities: {probabilities}\n")


@pytest.mark.parametrize(
    ("probabilities", "words"),
    [
        ("[27, 26, 47]", ["percentages", "divide each by 100", "[0.27, 0.26, 0.47]"]),
        ("['27%', '26%', '47%']", ["'27%' is a percentage", "0.27"]),
        ("[0.3, 0.3, 1.4]", ["at most 1", "1.4"]),
    ],
)
def test_percentages_get_the_hint_to_divide_by_100(probabilities: str, words) -> None:
    with pytest.raises(InputError) as caught:
        _load(f"target: [0, 0, 1]\nprobabilities: {probabilities}\n")
    for word in words:
        assert word in str(caught.value)
    assert "p.yaml, line 2" in str(caught.value)


def test_percent_on_the_command_line(runner) -> None:
    result = runner.invoke(
        app, ["crossentropy", "--target", "0,0,1", "--probabilities", "27%,26%,47%"]
    )
    assert result.exit_code == 2
    assert "percentage" in result.stderr and "0.27" in result.stderr
