"""docs/marking.md's console examples are real output (as tests/test_readme.py holds the README)."""

from __future__ import annotations

import re
import shlex

import pytest

from dlcalc.cli import app
from tests.conftest import ROOT

PAGE = (ROOT / "docs/marking.md").read_text(encoding="utf-8")


def console_blocks() -> list[tuple[list[str], list[str]]]:
    out = []
    for block in re.findall(r"```console\n(.*?)```", PAGE, re.S):
        first, *shown = block.splitlines()
        words = shlex.split(first.removeprefix("$ "))
        out.append((words[1:], [line for line in shown if line.strip() and line != "…"]))
    return out


def test_the_page_has_three_worked_examples() -> None:
    assert len(console_blocks()) >= 4
    assert len(re.findall(r"^### \d\. ", PAGE, re.M)) == 3


@pytest.mark.parametrize(("args", "shown"), console_blocks(), ids=lambda v: "")
def test_console_examples_are_real_output(
    runner, monkeypatch, args: list[str], shown: list[str]
) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    produced = result.output.splitlines()
    assert shown
    for line in shown:
        assert line in produced, line
