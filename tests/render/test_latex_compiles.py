"""Every example, with every option its command takes, typesets with pdflatex: no error and
nothing running off the page (no overfull line wider than 1pt).  Skipped without pdflatex."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dlcalc.app.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
OPTIONS = (["--exact"], ["--carry", "4"], ["--every-step"], ["--symbolic"])

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")


def typeset(folder: Path, name: str) -> None:
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    log = (folder / name).with_suffix(".log").read_text(encoding="latin-1")
    too_wide = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(w <= 1.0 for w in too_wide), (name, too_wide)


def write(runner, out: Path, *args: str) -> None:
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert out.exists()


@pytest.mark.parametrize("name", NAMES)
def test_every_example_with_every_option_typesets(runner, tmp_path: Path, name: str) -> None:
    path = EXAMPLES / f"{name}.yaml"
    command = yaml.safe_load(path.read_text(encoding="utf-8"))["command"]
    takes = runner.invoke(app, [command, "--help"]).output
    variants = [[]] + [opt for opt in OPTIONS if opt[0] in takes]
    for k, options in enumerate(variants):
        out = tmp_path / f"v{k}.tex"
        result = runner.invoke(app, [command, str(path), *options, "-o", str(out)])
        if (
            result.exit_code == 2 and options
        ):  # an option this problem refuses (--symbolic with dropout)
            assert "Traceback" not in result.output
            continue
        assert result.exit_code == 0, result.output
        typeset(tmp_path, f"v{k}.tex")


def test_key_over_every_example_typesets(runner, tmp_path: Path) -> None:
    write(runner, tmp_path / "key.tex", "key", *(str(EXAMPLES / f"{n}.yaml") for n in NAMES))
    typeset(tmp_path, "key.tex")


def test_derive_and_check_typeset(runner, tmp_path: Path) -> None:
    write(runner, tmp_path / "d.tex", "derive", "sqrt(x^2+1)")
    typeset(tmp_path, "d.tex")
    write(
        runner,
        tmp_path / "c.tex",
        "check",
        str(EXAMPLES / "mazur.yaml"),
        str(EXAMPLES / "answers" / "mazur.yaml"),
    )
    typeset(tmp_path, "c.tex")
