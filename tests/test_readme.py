"""The README's promises stay true: its console examples are real output, Quick start has two commands."""

from __future__ import annotations

import re
import shlex

import pytest

from dlcalc.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_blocks(text: str = README) -> list[tuple[list[str], list[str]]]:
    """(command words, shown output lines) of every ```console block that runs dlcalc."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        first, *shown = block.splitlines()
        words = shlex.split(first.removeprefix("$ "))
        if words[0] == "dlcalc" and "broken.yaml" not in first:
            out.append((words[1:], [line for line in shown if line.strip() and line != "…"]))
    return out


@pytest.mark.parametrize(
    ("args", "shown"),
    console_blocks(),
    ids=lambda v: (
        " ".join(v)[:40]
        if isinstance(v, list) and v and isinstance(v[0], str) and not v[0].startswith("│")
        else ""
    ),
)
def test_console_examples_are_real_output(
    runner, monkeypatch, args: list[str], shown: list[str]
) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    produced = result.output.splitlines()
    for line in shown:
        assert line in produced, line


def test_quick_start_has_exactly_two_sh_blocks() -> None:
    section = README.split("## Quick start", 1)[1]
    assert len(re.findall(r"```sh\n", section)) == 2
    install, tests = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert "pip install" in install and "dlcalc " in install
    assert "[test]" in tests and "pytest" in tests


def test_plot_extra_is_installed_from_the_checkout() -> None:
    """The index's `dlcalc` is another project: every hint installs the extra from the checkout."""
    from pathlib import Path

    from dlcalc import settings
    from dlcalc.render import plots

    for text in (README, Path(plots.__file__).read_text(), Path(settings.__file__).read_text()):
        assert 'pip install "dlcalc[plot]"' not in text
    assert 'pip install ".[plot]"' in README
