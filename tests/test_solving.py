"""`dlcalc solve FILE` runs the command the file names; other commands refuse it and say which one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from dlcalc.app.solving import split_problem
from dlcalc.errors import InputError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAZUR = str(EXAMPLES / "mazur.yaml")


def test_solve_runs_the_named_command_with_its_options(runner) -> None:
    result = runner.invoke(app, ["solve", MAZUR, "--format", "json", "--carry", "3"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["command"] == "backprop"
    assert doc["result"]["layers"][0]["out"] == [0.593, 0.597]


def test_solve_takes_options_before_the_file(runner) -> None:
    result = runner.invoke(app, ["solve", "-f", "json", str(EXAMPLES / "gates.yaml")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["command"] == "perceptron"


def test_solve_reads_standard_input(runner) -> None:
    result = runner.invoke(app, ["solve", "-", "-f", "json"], input=Path(MAZUR).read_text())
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"]["loss"] == pytest.approx(0.298371109, abs=1e-9)


def test_solve_refuses_an_option_the_command_does_not_take(runner) -> None:
    result = runner.invoke(app, ["solve", MAZUR, "--plot", "x.png"])
    assert result.exit_code == 2
    assert "--plot" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("input: [1]\nlayers: [{weights: [[1]]}]\n", ["missing key 'command'", "backprop"]),
        ("command: backprob\n", ["'backprop'"]),
        ("command: key\n", ["cannot run 'key'"]),
        ("command: [1]\n", ["command name"]),
    ],
)
def test_solve_needs_a_command_it_can_run(runner, tmp_path: Path, text: str, words) -> None:
    problem = tmp_path / "p.yaml"
    problem.write_text(text)
    result = runner.invoke(app, ["solve", str(problem)])
    assert result.exit_code == 2
    for word in words:
        assert word in result.stderr
    assert "p.yaml" in result.stderr


def test_a_file_given_to_another_command_says_which_command_it_is_for(runner) -> None:
    result = runner.invoke(app, ["perceptron", MAZUR])
    assert result.exit_code == 2
    assert "mazur.yaml" in result.stderr and "is a `backprop` problem" in result.stderr
    assert "dlcalc solve" in result.stderr


def test_a_file_without_command_key_gets_advice_for_its_keys(runner, tmp_path: Path) -> None:
    problem = tmp_path / "gates.yaml"
    problem.write_text((EXAMPLES / "gates.yaml").read_text().replace("command: perceptron", ""))
    result = runner.invoke(app, ["forward", str(problem)])
    assert result.exit_code == 2
    assert "looks like a `perceptron` problem" in result.stderr
    assert "dlcalc perceptron" in result.stderr


def test_split_problem_skips_option_values() -> None:
    options = {"--format", "-f", "--carry", "-o"}
    assert split_problem(["-f", "json", "p.yaml", "--every-step"], options) == (
        "p.yaml",
        ["-f", "json", "--every-step"],
    )
    assert split_problem(["--format=json", "p.yaml"], options) == ("p.yaml", ["--format=json"])
    assert split_problem(["--", "-odd.yaml"], options) == ("-odd.yaml", [])
    with pytest.raises(InputError):
        split_problem(["-f", "json"], options)
