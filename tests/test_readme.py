"""The README's promises stay true: its console examples are real output, Quick start has two commands."""

from __future__ import annotations

import re
import shlex

import pytest

from dlcalc.app.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ELIDED = "…"


class Sample:
    """One ``$ dlcalc …`` line of a ```console block and the output lines shown under it."""

    def __init__(self, page: str, line: int, command: str, shown: list[str]) -> None:
        self.page, self.line, self.command, self.shown = page, line, command, shown

    @property
    def words(self) -> list[str]:
        """The command's words, without a pipe into another program or a trailing comment."""
        words = shlex.split(self.command.split(" | ")[0], comments=True)
        assert words[0] == "dlcalc", self.command
        return words[1:]

    def __repr__(self) -> str:
        return f"{self.page}:{self.line}"


def console_samples() -> list[Sample]:
    """Every ``$ dlcalc`` line in README.md and docs/*.md with the output shown under it."""
    out: list[Sample] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"```console\n(.*?)```", text, re.S):
            first_line = text[: match.start()].count("\n") + 2
            current: Sample | None = None
            for k, line in enumerate(match.group(1).splitlines()):
                if line.startswith("$ "):
                    current = Sample(page.name, first_line + k, line[2:], [])
                    out.append(current)
                elif current is not None:
                    current.shown.append(line.rstrip())
    return out


SAMPLES = console_samples()


def console_blocks(text: str = README) -> list[tuple[list[str], list[str]]]:
    """(command words, shown output lines) of every ```console block of ``text`` that runs
    dlcalc (the shape tests/test_marking_docs.py reads; the … lines and blank lines left out)."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        first, *shown = block.splitlines()
        words = shlex.split(first.removeprefix("$ ").split(" | ")[0], comments=True)
        if words and words[0] == "dlcalc":
            out.append((words[1:], [line for line in shown if line.strip() and line != ELIDED]))
    return out


def runs_of_lines(shown: list[str]) -> list[list[str]]:
    """The shown lines as runs that must appear one after another; a line of … separates runs."""
    runs: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == ELIDED:
            runs.append([])
        else:
            runs[-1].append(line)
    return runs


def find_in_order(shown: list[str], produced: list[str]) -> str | None:
    """Why ``shown`` is not ``produced`` with some runs of lines elided (None: it is)."""
    runs = runs_of_lines(shown)
    at = 0
    for k, run in enumerate(runs):
        if not run:
            continue
        anchored = k == 0  # nothing elided before the first run: it starts the output
        starts = [at] if anchored else range(at, len(produced) - len(run) + 1)
        found = next((s for s in starts if produced[s : s + len(run)] == run), None)
        if found is None:
            return (
                f"not found in order (after output line {at + 1}): {run[0]!r} … ({len(run)} lines)"
            )
        at = found + len(run)
    if runs[-1] and at != len(produced):
        return f"the sample stops at output line {at} but the output has {len(produced)} lines"
    return None


def test_samples_were_found() -> None:
    assert len(SAMPLES) >= 11
    assert sum(1 for s in SAMPLES if s.shown) >= 6


@pytest.mark.parametrize("sample", SAMPLES, ids=repr)
def test_console_sample_is_the_real_output(runner, monkeypatch, tmp_path, sample: Sample) -> None:
    """Run at 80 columns as from the checkout: the shown lines appear in order, … eliding.

    The checkout's folders are linked into a scratch folder, so that a sample's -o FILE is
    written there and not into the repository."""
    for folder in ("examples", "docs", "tests", "benchmarks"):
        (tmp_path / folder).symlink_to(ROOT / folder, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("DLCALC_ASCII", "")
    for word in sample.words:
        if word.endswith((".yaml", ".yml")):
            assert (ROOT / word).is_file(), f"{sample}: {word} does not ship with the repository"
    result = runner.invoke(app, sample.words)
    expected = 2 if any(line.startswith("dlcalc: error") for line in sample.shown) else None
    if expected is None:
        assert result.exit_code in (0, 1), f"{sample}: {result.output}"
    else:
        assert result.exit_code == expected, f"{sample}: {result.output}"
    produced = [line.rstrip() for line in result.output.splitlines()]
    problem = find_in_order(sample.shown, produced) if sample.shown else None
    assert problem is None, f"{sample} ({sample.command}): {problem}"


def test_the_order_test_can_fail() -> None:
    produced = ["a", "b", "c", "d"]
    assert find_in_order(["a", "b", ELIDED], produced) is None
    assert find_in_order([ELIDED, "b", ELIDED, "d"], produced) is None
    assert find_in_order(["b", ELIDED], produced) is not None  # not the first line
    assert find_in_order(["a", "c", ELIDED], produced) is not None  # c does not follow a
    assert find_in_order([ELIDED, "c", ELIDED, "b", ELIDED], produced) is not None  # order
    assert find_in_order(["a", "b"], produced) is not None  # the rest is not elided


def test_quick_start_has_exactly_two_sh_blocks() -> None:
    section = README.split("## Quick start", 1)[1]
    assert len(re.findall(r"```sh\n", section)) == 2
    install, tests = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert "pip install" in install and "dlcalc " in install
    assert "[test]" in tests and "pytest" in tests


def test_plot_extra_is_installed_from_the_checkout() -> None:
    """The index's `dlcalc` is another project: every hint installs the extra from the checkout."""
    from pathlib import Path

    from dlcalc.app import settings
    from dlcalc.render import plots

    for text in (README, Path(plots.__file__).read_text(), Path(settings.__file__).read_text()):
        assert 'pip install "dlcalc[plot]"' not in text
    assert 'pip install ".[plot]"' in README
