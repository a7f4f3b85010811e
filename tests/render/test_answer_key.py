"""key: the slide examples in one numbered Markdown or LaTeX answer key (compiled when pdflatex is here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from dlcalc.app.commands import COMMANDS
from dlcalc.render import markdown as md
from dlcalc.render.answer_key import leading_comment
from dlcalc.specs.loader import load
from tests.conftest import EXAMPLES


def keyed_examples() -> list[Path]:
    """Every example problem; each names the command that solves it (answer sheets live in answers/)."""
    paths = sorted(EXAMPLES.glob("*.yaml"))
    for path in paths:
        assert load(str(path)).data.get("command") in COMMANDS, path.name
    return paths


def compiles(folder: Path, name: str) -> None:
    """pdflatex compiles ``folder/name`` (skipped where pdflatex is not installed)."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:]


def test_leading_comment() -> None:
    text = "\n# Source: deck 002,\n#   slide 7.\n#\ntitle: x  # not this\n# nor this\n"
    assert leading_comment(text) == "Source: deck 002, slide 7."
    assert leading_comment("title: x\n") is None


def test_examples_to_check() -> None:
    names = {p.name for p in keyed_examples()}
    assert {"mazur.yaml", "hankamber.yaml"} <= names


def test_markdown_key(runner, tmp_path: Path) -> None:
    examples = keyed_examples()
    out = tmp_path / "key.md"
    result = runner.invoke(app, ["key", *map(str, examples), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Answer key\n")
    for i, path in enumerate(examples, 1):
        title = load(str(path)).data.get("title", path.name)
        assert f"## {i}. {md.escape(title)}" in text  # user text, escaped
    assert (
        '*Source: "Practice Problem - Back Propagation" (deck 002' in text
    )  # the file's # comment
    assert "### Forward pass · layer 1" in text and "| `net_h1` |" in text


def test_key_to_stdout_and_bad_extension(runner, tmp_path: Path) -> None:
    mazur = str(EXAMPLES / "mazur.yaml")
    result = runner.invoke(app, ["key", mazur])
    assert result.exit_code == 0 and result.stdout.startswith("# Answer key")
    bad = runner.invoke(app, ["key", mazur, "-o", str(tmp_path / "key.json")])
    assert bad.exit_code == 2 and ".md, .tex or .html" in bad.stderr


def test_key_needs_a_command(runner, tmp_path: Path) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text("softmax_logits: [1, 2]\n")
    result = runner.invoke(app, ["key", str(spec)])
    assert result.exit_code == 2 and "p.yaml: command: missing key 'command'" in result.stderr


def test_latex_key(runner, tmp_path: Path) -> None:
    examples = keyed_examples()
    out = tmp_path / "key.tex"
    result = runner.invoke(
        app, ["key", *map(str, examples), "-o", str(out), "--title", "DL answer key"]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\\documentclass")
    assert "\\usepackage{amsmath,amssymb}" in text and "\\usepackage{booktabs}" in text
    assert text.count("\\section{") == len(examples)
    assert "\\title{DL answer key}" in text and text.rstrip().endswith("\\end{document}")
    compiles(tmp_path, out.name)
    assert (tmp_path / "key.pdf").stat().st_size > 1000


def test_checked_solution_compiles(runner, tmp_path: Path) -> None:
    """The marks (✓ ✗ ↪) in a LaTeX check report compile too."""
    out = tmp_path / "checked.tex"
    result = runner.invoke(
        app,
        [
            "check",
            str(EXAMPLES / "mazur.yaml"),
            str(EXAMPLES / "answers/mazur.yaml"),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 1
    compiles(tmp_path, out.name)


def all_examples():
    """Every example problem (answer sheets excluded), solved with its command."""
    from dlcalc.app.settings import Settings
    from dlcalc.render.answer_key import Problem

    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = load(str(path))
        command = doc.data["command"]
        out.append(
            Problem(COMMANDS[command].build(doc, Settings()), path.name, leading_comment(doc.text))
        )
    return out


def test_key_of_every_slide_example(tmp_path: Path) -> None:
    from dlcalc.render.answer_key import latex, markdown

    problems = all_examples()
    assert len(problems) >= 4
    md = markdown(problems)
    assert md.count("\n## ") == len(problems)
    tex = latex(problems)
    assert tex.count("\\section{") == len(problems)
    (tmp_path / "all.tex").write_text(tex, encoding="utf-8")
    compiles(tmp_path, "all.tex")
