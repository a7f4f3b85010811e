"""The write-out pipeline (dlcalc/app/output.py): format by extension, exit status, error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.commands import solve
from dlcalc.app.output import finish, key_format
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.render import Format
from dlcalc.specs.loader import failure, load
from tests.conftest import EXAMPLES


def mazur(settings: Settings):
    return solve("backprop", load(str(EXAMPLES / "mazur.yaml")), settings)


def test_format_follows_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    settings = Settings(output=out)
    assert finish(mazur(settings), settings) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["command"] == "backprop"
    with pytest.raises(InputError, match="cannot tell the format"):
        bad = Settings(output=tmp_path / "s.pdf")
        finish(mazur(bad), bad)
    assert not (tmp_path / "s.pdf").exists()


def test_a_wrong_answer_gives_exit_status_1(tmp_path: Path) -> None:
    settings = Settings(output=tmp_path / "s.md", check=EXAMPLES / "answers/mazur.yaml")
    assert finish(mazur(settings), settings) == 1
    assert "Your answers" in (tmp_path / "s.md").read_text(encoding="utf-8")


def test_answer_keys_are_markdown_latex_or_html() -> None:
    assert key_format(Settings()) is Format.markdown
    assert key_format(Settings(output=Path("k.tex"))) is Format.latex
    assert key_format(Settings(output=Path("k.html"))) is Format.html
    with pytest.raises(InputError, match=r"\.md, \.tex or \.html"):
        key_format(Settings(fmt=Format.json))


def test_every_failure_is_one_line_naming_the_input() -> None:
    assert failure(InputError("bad", field="x"), "p.yaml") == "p.yaml: x: bad"
    assert failure(InputError("bad", file="q.yaml"), "p.yaml") == "q.yaml: bad"
    assert "range of a double" in failure(OverflowError(), "p.yaml")
    assert failure(KeyError("k"), "").startswith("internal error (KeyError")
