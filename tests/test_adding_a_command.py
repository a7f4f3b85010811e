"""docs/adding-a-command.md, done the way the page says: its relu spec, topic and registration.

The page's code blocks, each named by its first line (``# dlcalc/topics/relu.py``), are
written out or run as they stand; the command they add is then solved from the command line
in every format, with --carry, --exact and --check, and from Python.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import dlcalc
import dlcalc.specs
import dlcalc.topics
from dlcalc.app import arguments, commands
from dlcalc.app.cli import app
from dlcalc.app.commands import COMMANDS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "adding-a-command.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks() -> dict[str, str]:
    """The page's code blocks by the path (and remark) on their first line."""
    out = {}
    for _, code in BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        first = code.splitlines()[0]
        if first.startswith("# "):
            out[first[2:].strip()] = code
    return out


CODE = blocks()


@pytest.fixture
def relu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The page's spec and topic modules importable as dlcalc.specs.relu and dlcalc.topics.relu,
    the problem file written; the command is unregistered and the modules forgotten after."""
    for package, module in ((dlcalc.specs, "specs"), (dlcalc.topics, "topics")):
        folder = tmp_path / module
        folder.mkdir()
        (folder / "relu.py").write_text(CODE[f"dlcalc/{module}/relu.py"], encoding="utf-8")
        monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
    problem = tmp_path / "relu.yaml"
    problem.write_text(CODE["examples/relu.yaml"], encoding="utf-8")
    yield problem
    COMMANDS.pop("relu", None)
    for name in ("dlcalc.specs.relu", "dlcalc.topics.relu"):
        sys.modules.pop(name, None)


def register(source: str) -> None:
    """Run a registration block as if it were written in dlcalc/app/commands.py."""
    assert "relu" not in COMMANDS
    exec(compile(source, "docs/adding-a-command.md", "exec"), dict(vars(commands)))  # noqa: S102
    assert "relu" in COMMANDS


def cli(runner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_page_holds_every_piece() -> None:
    assert {
        "examples/relu.yaml",
        "dlcalc/specs/relu.py",
        "dlcalc/topics/relu.py",
        "dlcalc/app/commands.py",
        "dlcalc/app/commands.py: this decorator instead of the one above",
        "dlcalc/app/arguments.py",
    } <= set(CODE)
    text = PAGE.read_text(encoding="utf-8")
    for topic in ("formula tree", "--update-goldens", "dlcalc.maths.numerics.rounder"):
        assert topic in text


def test_a_command_added_as_the_page_says(runner, relu: Path, tmp_path: Path) -> None:
    register(CODE["dlcalc/app/commands.py"])
    data = yaml.safe_load(relu.read_text(encoding="utf-8"))

    status, out = cli(runner, "relu", str(relu), "-f", "json")
    assert status == 0, out
    assert json.loads(out)["result"] == {"y": [max(0.0, x) for x in data["inputs"]]}

    status, out = cli(runner, "relu", "--help")
    assert status == 0 and "ReLU: max(0, x) for each input" in out

    # every format from the formula trees, no renderer touched
    status, out = cli(runner, "relu", str(relu))
    assert status == 0 and "y_2 = max(0, x_2)" in out and "= max(0, 0.5)" in out
    for fmt, mark in (("markdown", "max"), ("latex", r"\max"), ("html", "<")):
        status, out = cli(runner, "relu", str(relu), "-f", fmt)
        assert status == 0 and mark in out, (fmt, out)
    status, out = cli(runner, "relu", str(relu), "-o", str(tmp_path / "relu.md"))
    assert status == 0 and "max(0" in (tmp_path / "relu.md").read_text(encoding="utf-8")

    status, out = cli(runner, "relu", str(relu), "--exact")
    assert status == 0 and "= 1/2  (exact)" in out, out

    # --check marks a wrong answer (exit 1) and a right one (exit 0)
    answers = tmp_path / "answers.yaml"
    answers.write_text("y_1: 0\ny_2: 0.4\n", encoding="utf-8")
    status, out = cli(runner, "relu", str(relu), "--check", str(answers))
    assert status == 1 and "✗" in out, out
    answers.write_text("y_1: 0\ny_2: 0.5\n", encoding="utf-8")
    assert cli(runner, "relu", str(relu), "--check", str(answers))[0] == 0

    # bad input: one line naming the field, exit 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("command: relu\ninputs: [1, many]\n", encoding="utf-8")
    status, out = cli(runner, "relu", str(bad))
    assert status == 2 and "inputs" in out and "Traceback" not in out

    # and from Python
    assert dlcalc.solve({"command": "relu", "inputs": [-1, 0.5]}).result == {"y": [0, 0.5]}


def test_carry_rounds_with_the_one_helper(runner, relu: Path, tmp_path: Path) -> None:
    register(CODE["dlcalc/app/commands.py"])
    problem = tmp_path / "leaky.yaml"
    problem.write_text("command: relu\ninputs: [-0.123456]\nleak: 0.1\n", encoding="utf-8")
    status, out = cli(runner, "relu", str(problem), "--carry", "3", "-f", "json")
    assert status == 0, out
    assert json.loads(out)["result"] == {"y": [-0.012]}  # 0.1 × −0.123456 = −0.0123456


def test_a_clashing_option_is_refused_as_the_page_says(relu: Path) -> None:
    page = PAGE.read_text(encoding="utf-8")
    said = re.search(r"\(`ValueError: (command 'relu': [^`]*)`\)", page)
    assert said is not None
    with pytest.raises(ValueError) as refused:
        commands.register(
            "relu", arguments=(commands.PROBLEM, commands.Opt("output", ("--out",), "Where."))
        )
    assert str(refused.value) == re.sub(r"\s+", " ", said.group(1))
    assert "relu" not in COMMANDS


def test_numbers_on_the_command_line(runner, relu: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's second registration: numbers as options, read by its arguments.relu."""
    namespace = dict(vars(arguments))
    exec(CODE["dlcalc/app/arguments.py"], namespace)  # noqa: S102
    monkeypatch.setattr(arguments, "relu", namespace["relu"], raising=False)
    decorator = CODE["dlcalc/app/commands.py: this decorator instead of the one above"]
    builder = CODE["dlcalc/app/commands.py"].split("\n", 1)[1]
    builder = builder[builder.index("def build_relu") :]
    register(decorator + builder)
    status, out = cli(runner, "relu", "--inputs", "-1,0.5", "--leak", "0.1", "-f", "json")
    assert status == 0, out
    assert json.loads(out)["result"] == {"y": [-0.1, 0.5]}
    status, out = cli(runner, "relu", "-x", "-2", "-f", "json")
    assert status == 0 and json.loads(out)["result"] == {"y": [0]}, out
    status, out = cli(runner, "relu", "--inputs", "1,x")
    assert status == 2 and "command line: inputs: item 1: expected a number" in out, out
    assert '"command line: inputs: item 1: …"' in PAGE.read_text(encoding="utf-8")
