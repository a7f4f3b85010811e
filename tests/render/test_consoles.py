"""Windows consoles and --ascii: every example prints where the console cannot show Unicode.

A cp1252 console (``PYTHONIOENCODING=cp1252``, or a Windows console) gets plain ASCII forms
instead of a UnicodeEncodeError; ``--ascii``, given before or after the command, makes
every format written to the terminal plain ASCII.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES, ROOT

PROBLEMS = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
FORMATS = ["rich", "markdown", "latex", "json", "html"]


@pytest.fixture(autouse=True)
def _no_ascii_left_over(monkeypatch):
    monkeypatch.setenv("DLCALC_ASCII", "")  # --ascii sets it for the run; undone after the test


def test_there_are_examples() -> None:
    assert len(PROBLEMS) >= 27


@pytest.mark.parametrize("name", PROBLEMS)
def test_cp1252_console_prints_every_example(name: str) -> None:
    """The terminal output on a console that encodes cp1252: no error, readable ASCII forms."""
    from typer.testing import CliRunner

    result = CliRunner(charset="cp1252").invoke(app, ["solve", str(EXAMPLES / name)])
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output
    text = result.stdout_bytes.decode("cp1252")
    assert text.isascii() and len(text.splitlines()) > 3


@pytest.mark.parametrize("name", PROBLEMS)
def test_ascii_anywhere_on_the_line_in_every_format(runner, name: str) -> None:
    problem = str(EXAMPLES / name)
    for k, fmt in enumerate(FORMATS):
        args = ["solve", problem, "-f", fmt]
        args = ["--ascii", *args] if k % 2 else [*args, "--ascii"]
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), (fmt, result.output)
        bad = sorted({ch for ch in result.stdout if not ch.isascii()})
        assert not bad, (fmt, bad)
        if fmt == "json":
            import json

            json.loads(result.stdout)  # escaped, still the same document


def test_ascii_after_the_command_and_its_file(runner) -> None:
    result = runner.invoke(app, ["backprop", str(EXAMPLES / "mazur.yaml"), "--ascii"])
    assert result.exit_code == 0, result.output
    assert "dE/dw5" in result.stdout and result.stdout.isascii()


def test_ascii_greek_sigma_is_sigma_not_the_sigmoid(runner) -> None:
    result = runner.invoke(app, ["kld", str(EXAMPLES / "vae-latent-kl.yaml"), "--ascii"])
    assert "N(mu, sigma^2)" in result.stdout
    assert "sigmoid" not in result.stdout


def test_ascii_grids_signs_comparisons_and_arrows(runner) -> None:
    conv = runner.invoke(app, ["--ascii", "conv", str(EXAMPLES / "conv-toy.yaml")]).stdout
    assert "| [1] | [3] |" in conv and "= 3 * 2 + 0 * 1 + 1 * 0 + 5 * (-1)" in conv
    gates = runner.invoke(app, ["--ascii", "solve", str(EXAMPLES / "gates.yaml")]).stdout
    assert ">= 0" in gates and "<- threshold" in gates


def test_a_real_cp1252_process() -> None:
    """The reproducer of the issue, as a process with PYTHONIOENCODING=cp1252."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "DLCALC_ASCII": ""}
    for name in ("gates.yaml", "conv-backward.yaml"):
        done = subprocess.run(
            [sys.executable, "-m", "dlcalc", "solve", f"examples/{name}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
        assert done.stdout.isascii() and done.stdout.count(b"\n") > 10


def test_help_on_a_cp1252_console() -> None:
    """--help holds δ and ∂ too: characters cp1252 lacks are spelled out, never a traceback."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "DLCALC_ASCII": ""}
    for args in (["--help"], ["check", "--help"], ["backprob"]):
        done = subprocess.run(
            [sys.executable, "-m", "dlcalc", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert b"Traceback" not in done.stderr, done.stderr[-400:]
        assert done.returncode == (2 if args == ["backprob"] else 0)
    assert b"did you mean 'backprop'" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "examples/mazur.yaml", "examples/answers/mazur.yaml"],
        ["check", "examples/marking/quiz.yaml", "examples/marking/gaming.yaml"],
        ["key", "examples/mazur.yaml"],
        ["derive", "sin(x^2)*x"],
        ["softmax", "3", "4", "10", "3"],
    ],
)
def test_ascii_after_any_command(runner, monkeypatch, args: list[str]) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, [*args, "--ascii"])
    assert result.exit_code in (0, 1), result.output
    assert result.stdout.isascii() and len(result.stdout.splitlines()) > 5


def test_ascii_whatever_writes_to_the_terminal(runner, monkeypatch, tmp_path) -> None:
    """A practice sheet is written by its own code, not a renderer: --ascii still holds."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["practice", "backprop", "--seed", "7", "--ascii"])
    assert result.exit_code == 0, result.output
    assert result.stdout.isascii() and "delta_o1" in result.stdout
