"""The LaTeX answer key a teacher prints: vector fonts, a contents list, every note, notes'
maths as maths, one source per problem, proper quotes, conditionals that read one way."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES


def key(runner, tmp_path: Path, *names: str, suffix: str = "tex") -> str:
    out = tmp_path / f"k.{suffix}"
    result = runner.invoke(app, ["key", *(str(EXAMPLES / n) for n in names), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_key_keeps_every_note_that_markdown_keeps(runner, tmp_path: Path) -> None:
    words = re.compile(r"misclassified|no update")
    tex = key(runner, tmp_path, "perceptron-trace.yaml")
    md = key(runner, tmp_path, "perceptron-trace.yaml", suffix="md")
    assert len(words.findall(md)) >= 27
    assert len(words.findall(tex)) == len(words.findall(md))
    for name, note in [
        ("mazur.yaml", "sum over every path"),
        ("conv-relu-maxpool.yaml", r"the maximum is $a_{14}$"),
    ]:
        assert note in key(runner, tmp_path, name), name


def test_key_has_contents_vector_fonts_and_one_source(runner, tmp_path: Path) -> None:
    tex = key(runner, tmp_path, "mazur.yaml", "conv-toy.yaml")
    assert "\\usepackage{lmodern}" in tex and "\\tableofcontents" in tex
    assert tex.count("Practice Problem") == 1  # the file's comment, not the source key again


def test_notes_maths_is_maths_and_quotes_are_typeset(runner, tmp_path: Path) -> None:
    tex = key(runner, tmp_path, "softmax-3-4-10-3.yaml", "mazur.yaml", "softmax-7-2-4-1.yaml")
    assert "$e^{z_{k} - m}/\\sum  e^{z_{j} - m}" in tex
    assert "z\\_ k" not in tex and "e\\textasciicircum" not in tex
    assert "\\texttt{weights\\_by: input}" in tex  # `code`, not ‘…‘
    assert "`probability'" in tex  # a quoted word opens with ` and closes with '
    assert "``Practice Problem" in tex  # straight double quotes open and close


def test_conditionals_are_cases(runner, tmp_path: Path) -> None:
    """`1 if w·x ≥ 0, else −1 = 1` read as "else (−1 = 1)": a cases block cannot."""
    tex = key(runner, tmp_path, "perceptron-trace.yaml")
    assert (
        "\\begin{cases} 1 & \\text{if } 5.5 \\ge 0 \\\\ -1 & \\text{otherwise} \\end{cases} = 1"
        in tex
    )
    assert "\\text{ else }" not in tex.split("\\begin{align*}", 1)[1]


@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdffonts") is None,
    reason="pdflatex and pdffonts (texlive, poppler-utils: .ci/run installs them)",
)
def test_key_compiles_with_vector_fonts_only(runner, tmp_path: Path) -> None:
    key(runner, tmp_path, "perceptron-trace.yaml", "softmax-3-4-10-3.yaml", "conv-toy.yaml")
    for _ in range(2):  # twice: the contents list
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "k.tex"],
            cwd=tmp_path,
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout.decode(errors="replace")[-2000:]
    fonts = subprocess.run(
        ["pdffonts", "k.pdf"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all("Type 1" in r for r in rows), fonts
    assert "Type 3" not in fonts
    toc = (tmp_path / "k.toc").read_text()
    assert toc.count("\\contentsline {section}") == 3


def test_html_key(runner, tmp_path: Path) -> None:
    page = key(runner, tmp_path, "mazur.yaml", "adam-step.yaml", suffix="html")
    assert page.startswith("<!DOCTYPE html>") and page.count('<a href="#problem-') == 2
    assert '<h2 id="problem-2">2. One Adam step' in page
    assert '<span class="radical">√</span>' in page  # on the line under a math font (CSS)
