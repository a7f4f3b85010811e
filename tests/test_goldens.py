"""Goldens: every example in examples/, at 80 and 120 columns and in every file format.

One folder (tests/golden/examples/), one parametrised test; ``pytest --update-goldens``
rewrites them for review.  The layout test checks what the goldens cannot say in general:
at 80 columns every step's value ends the line of its substituted formula.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len

from dlcalc.app.cli import app
from dlcalc.render.numbers import fmt

from .conftest import EXAMPLES

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
SUFFIX = {"markdown": "md", "latex": "tex", "html": "html", "json": "json"}


def command_of(name: str) -> str:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))["command"]


def run(runner, name: str, *options: str, width: int = 80) -> str:
    path = str(EXAMPLES / f"{name}.yaml")
    result = runner.invoke(app, [command_of(name), path, *options], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", NAMES)
def test_terminal_golden(runner, golden, name: str, width: int) -> None:
    text = run(runner, name, width=width)
    assert max(cell_len(line) for line in text.splitlines()) <= width
    golden(f"examples/{name}.{width}.txt", text)


@pytest.mark.parametrize("fmt_", list(SUFFIX))
@pytest.mark.parametrize("name", NAMES)
def test_file_format_golden(runner, golden, name: str, fmt_: str) -> None:
    text = run(runner, name, "--format", fmt_)
    if fmt_ == "latex":  # no symbol the LaTeX printer could not read (β₁ once came out β?)
        assert text.count("?") == run(runner, name, "--format", "markdown").count("?")
    golden(f"examples/{name}.{SUFFIX[fmt_]}", text)


def _last_token(text: str) -> str:
    return text.rsplit(" ", 1)[-1]


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("name", NAMES)
def test_every_value_ends_its_substituted_line(runner, name: str, width: int) -> None:
    steps = json.loads(run(runner, name, "--format", "json"))["steps"]
    lines = [line.strip("│| ").rstrip() for line in run(runner, name, width=width).splitlines()]
    at = 0
    for step in steps:
        if "substituted" not in step:
            continue
        value = "= " + fmt(step["value"], 4)
        if step["substituted"] == fmt(step["value"], 4):
            continue  # the value is written once, not as its own substitution
        tail = _last_token(step["substituted"])
        for k in range(at, len(lines)):
            if lines[k].endswith(value) and tail in lines[k].removesuffix(value):
                at = k + 1
                break
        else:
            pytest.fail(
                f"{name}: {step['quantity']}: no line ends with its substituted {tail!r} {value}"
            )


def test_goldens_cover_every_example() -> None:
    folder = Path(__file__).resolve().parent / "golden" / "examples"
    stems = {p.name.split(".")[0] for p in folder.iterdir()} if folder.exists() else set()
    assert stems >= set(NAMES)


def test_json_goldens_allow_only_last_bit_differences() -> None:
    """JSON goldens tolerate a BLAS kernel's last bit (1e-13 relative), nothing more."""
    from tests.conftest import same_json

    doc = {"result": {"loss": 0.6034832498647263, "units": ["h1"]}, "steps": [{"value": 1}]}
    last_bit = {"result": {"loss": 0.6034832498647262, "units": ["h1"]}, "steps": [{"value": 1}]}
    assert same_json(doc, last_bit)
    assert not same_json(doc, {**doc, "result": {"loss": 0.60348325, "units": ["h1"]}})
    assert not same_json(doc, {**doc, "result": {"loss": 0.6034832498647263, "units": ["h2"]}})
    assert not same_json({"v": 1.0}, {"v": "1.0"})
    assert not same_json({"v": [1.0]}, {"v": [1.0, 2.0]})
