"""The command line: help, formats, output files, standard input and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAZUR = str(EXAMPLES / "mazur.yaml")


def test_help_lists_commands_with_examples(runner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ("forward", "backprop", "Examples", "dlcalc backprop examples/mazur.yaml"):
        assert word in result.output


@pytest.mark.parametrize("command", ["forward", "backprop"])
def test_command_help_has_examples(runner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"dlcalc {command}" in result.output
    assert "--carry" in result.output and "--format" in result.output


def test_backprop_rich_output(runner) -> None:
    result = runner.invoke(app, ["backprop", MAZUR])
    assert result.exit_code == 0, result.output
    assert "0.15 × 0.05 + 0.2 × 0.1 + 0.35 × 1" in result.output
    assert "w5⁺" in result.output and "0.3589" in result.output


def test_json_document(runner) -> None:
    result = runner.invoke(app, ["backprop", MAZUR, "-f", "json"])
    doc = json.loads(result.stdout)
    assert doc["command"] == "backprop"
    assert doc["result"]["loss"] == pytest.approx(0.2983711087600027)
    step = next(s for s in doc["steps"] if s["quantity"] == "net_h1")
    assert step["substituted"] == "0.15 × 0.05 + 0.2 × 0.1 + 0.35 × 1"
    assert step["formula"] == "w1 × x1 + w2 × x2 + b_h1 × 1"
    assert step["inputs"] == ["w1", "x1", "w2", "x2", "b_h1"]


def test_decimals_change_display_not_json_values(runner) -> None:
    result = runner.invoke(app, ["backprop", MAZUR, "-f", "json", "--decimals", "9"])
    doc = json.loads(result.stdout)
    step = next(s for s in doc["steps"] if s["quantity"] == "net_o1")
    assert "0.593269992" in step["substituted"]
    assert doc["result"]["layers"][0]["out"][0] == 0.5932699921071872


def test_carry_option(runner) -> None:
    result = runner.invoke(app, ["backprop", MAZUR, "-f", "json", "--carry", "3"])
    doc = json.loads(result.stdout)
    assert doc["result"]["layers"][0]["out"] == [0.593, 0.597]


def test_stdin(runner) -> None:
    result = runner.invoke(app, ["backprop", "-", "-f", "json"], input=Path(MAZUR).read_text())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["result"]["loss"] == pytest.approx(0.298371109, abs=1e-9)


@pytest.mark.parametrize(
    ("suffix", "marker"),
    [
        (".md", "| quantity |"),
        (".tex", "\\begin{document}"),
        (".json", '"command"'),
        (".txt", "net_h1"),
        (".html", "<html"),
    ],
)
def test_output_file_format_from_extension(
    runner, tmp_path: Path, suffix: str, marker: str
) -> None:
    target = tmp_path / f"solution{suffix}"
    result = runner.invoke(app, ["backprop", MAZUR, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert marker in target.read_text()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["forward", "no-such-problem.yaml"], ["no-such-problem.yaml", "no such file"]),
        (["forward", "."], ["directory"]),
        (["forward", MAZUR, "--decimals", "-3"], ["decimals"]),
        (["forward", MAZUR, "--format", "pdf"], ["format"]),
        (["backprop", MAZUR, "-o", "x.pdf"], ["extension"]),
        (["nonsense"], ["nonsense"]),
    ],
)
def test_usage_and_input_errors_exit_2(runner, args: list[str], words: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for word in words:
        assert word.lower() in result.output.lower()


def test_nothing_is_written_on_error(runner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [1, 2]\nlayers: [{weights: [[1]]}]\n")
    target = tmp_path / "out.md"
    result = runner.invoke(app, ["forward", str(bad), "-o", str(target)])
    assert result.exit_code == 2
    assert not target.exists()
    assert "bad.yaml, line 2: layers[0].weights" in result.output
    assert len(result.output.strip().splitlines()) == 1
