"""The command line: help, formats, output files, standard input and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from dlcalc.app.cli import app
from dlcalc.app.commands import COMMANDS
from dlcalc.app.settings import ALWAYS, SHARED
from tests.conftest import EXAMPLES

MAZUR = str(EXAMPLES / "mazur.yaml")
# Every command's shared options besides --format/--decimals/--output (those all have).
OTHERS = {
    "check": ("carry", "every_step"),
    "key": ("carry", "every_step"),
    "grade": ("carry",),
    "derive": (),
    "graph": (),
    "vary": (),
    "practice": (),
    "export": (),
    "solve": (),  # passes every option on to the command the problem names
}
OPTIONS = {**{c.name: c.options for c in COMMANDS.values()}, **OTHERS}
OPTIONS["graph"] = ("diagram",)  # graph draws its computational graph (--diagram)
PASS_THROUGH = {"solve"}


def test_help_lists_commands_with_examples(runner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ("forward", "backprop", "Examples", "dlcalc backprop examples/mazur.yaml"):
        assert word in result.output


def test_every_command_is_listed_and_tested() -> None:
    group = typer.main.get_command(app)
    assert sorted(group.list_commands(None)) == sorted(OPTIONS)


@pytest.mark.parametrize("command", list(OPTIONS))
def test_command_help(runner, command: str) -> None:
    """Each command's --help: examples, and every option it takes with its help text."""
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output and f"dlcalc {command} " in result.output
    shown = " ".join(result.output.split())  # help text wraps: compare on one line
    if command in PASS_THROUGH:
        assert "Every option of that command may follow" in shown
        return
    for name in (*ALWAYS, *OPTIONS[command]):
        assert SHARED[name].flags[0] in shown, name
        assert " ".join(SHARED[name].help.split()[:4]) in shown, name
    for name in set(SHARED) - {*ALWAYS, *OPTIONS[command]}:
        assert SHARED[name].flags[0] + " " not in shown, name
    for opt in COMMANDS[command].arguments if command in COMMANDS else ():
        assert (opt.flags[0] if opt.flags else opt.metavar or "") in shown, opt.name
        assert " ".join(opt.help.split()[:4]) in shown, opt.name


# One unreadable input per command: a missing problem file, or an expression that does not parse.
BAD_INPUT = {
    **{name: [name, "no-such-problem.yaml"] for name in COMMANDS},
    "check": ["check", "no-such-problem.yaml", "answers.yaml"],
    "key": ["key", "no-such-problem.yaml"],
    "grade": ["grade", "no-such-problem.yaml", "responses.csv", "-o", "grades.csv"],
    "derive": ["derive", "(x"],
    "graph": ["graph", "(x", "--at", "x=1"],
    "solve": ["solve", "no-such-problem.yaml"],
    "vary": ["vary", "no-such-problem.yaml", "--count", "2", "-o", "no-such-set"],
    "practice": ["practice", "no-such-problem.yaml"],
    "export": ["export", "no-such-problem.yaml", "--to", "moodle"],
}


@pytest.mark.parametrize("command", list(OPTIONS))
@pytest.mark.parametrize("problem", ["bad input", "unknown option", "bad option value"])
def test_errors_exit_2_with_one_line(runner, command: str, problem: str) -> None:
    """Bad input, an unknown option or a bad option value: exit status 2, one line, no traceback."""
    args = BAD_INPUT[command]
    if problem == "unknown option":
        args = [*args, "--no-such-option"]
    elif problem == "bad option value":
        # solve reads the problem before it knows the command whose options follow
        args = ["solve", MAZUR] if command in PASS_THROUGH else args
        args = [*args, "--decimals", "many"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    if problem == "bad input":
        assert len(result.output.strip().splitlines()) == 1, result.output
        named = "expression" if command in ("derive", "graph") else "no-such-problem.yaml"
        assert named in result.output
    elif problem == "bad option value":
        assert "--decimals" in result.output


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


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["softmax", "1", "2", "3"],
        ["crossentropy", "--target", "0,1", "--probabilities", "0.3,0.7"],
        ["kld", "--p", "0.5,0.5", "--q", "0.9,0.1"],
    ],
)
def test_commands_without_arrays_do_not_import_numpy(args: list[str]) -> None:
    """Start-up time: NumPy (and its thread pool) only for the commands that compute with arrays."""
    import re
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "from dlcalc.app.cli import main; main()",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not re.search(r"\|\s+numpy$", out.stderr, re.M), args
