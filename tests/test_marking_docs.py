"""docs/marking.md's console examples are real output (as tests/test_readme.py holds the README)."""

from __future__ import annotations

import re
from functools import partial

import pytest

from dlcalc.app.cli import app
from tests.conftest import ROOT
from tests.test_readme import console_blocks as blocks_of

PAGE = (ROOT / "docs/marking.md").read_text(encoding="utf-8")
console_blocks = partial(blocks_of, PAGE)


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
