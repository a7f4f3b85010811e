"""Issue 23: a class's sheets cannot forge marks, break the report or hang the teacher's run.

One test (or a few) per row of the issue's table, each on small inputs with the same cause.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from dlcalc.app.commands import solve
from dlcalc.app.settings import Settings
from dlcalc.grading.checking import (
    DEFAULT_POLICY,
    RIGHT,
    WRONG,
    MarkingPolicy,
    claim_tolerance,
    judge,
    load_claims,
)
from dlcalc.grading.class_report import csv_cell, mark_sheets
from dlcalc.specs.loader import load
from tests.conftest import EXAMPLES

MAZUR = EXAMPLES / "mazur.yaml"
HONEST = "net_h1: 0.3775\nout_h1: 0.5933\nout_o1: 0.7514\ndE_dw5: 0.0822\nw5_new: 0.3589\n"


def mazur():
    return solve("backprop", load(str(MAZUR)), Settings())


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def statuses(report) -> dict[str, str]:
    return {v.claim.name: v.status for v in report.verdicts}


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- critical: precision can narrow a tolerance, never widen it past the policy -------------


@pytest.mark.parametrize(
    ("written", "correct", "tol"),
    [
        ("1", 0.5933, 0.005),  # ±0.5 as written, capped at 2 significant figures
        ("0e9", 0.5933, 0.005),
        ("0.6", 0.5933, 0.005),
        ("0.59", 0.5933, 0.005),
        ("0.5933", 0.5933, 0.00005),  # written precision narrows
        ("0.0000", 1e-9, 0.00005),  # the key's 4 shown decimals are the looser bound
        ("0e400", 0.3775, 0.005),  # a tolerance beyond any double is still capped
        ("13/50", 0.26, 1e-9),  # a fraction is exact
        ("1.2e4", 12345.678, 500.0),  # 2 significant figures of 12345.678
        ("12000", 12345.678, 0.5),
    ],
)
def test_claim_tolerance(written: str, correct: float, tol: float) -> None:
    assert claim_tolerance(written, correct, DEFAULT_POLICY) == pytest.approx(tol)


def test_policy_is_the_keys_shown_decimals_or_two_significant_figures() -> None:
    two = MarkingPolicy(decimals=2)
    assert claim_tolerance("0.0", 0.001234, two) == pytest.approx(0.005)
    assert claim_tolerance("0.0", 0.001234, MarkingPolicy(decimals=None)) == pytest.approx(5e-5)
    assert claim_tolerance("0.0", 0.001234, MarkingPolicy(None, 3)) == pytest.approx(5e-6)
    assert claim_tolerance("1", 3.0, DEFAULT_POLICY) == pytest.approx(0.05)


def test_coarse_claims_are_wrong(tmp_path: Path) -> None:
    sheet = write(tmp_path, "a.yaml", "net_h1: 0e9\nout_h1: 0e9\nout_h2: 1\nout_o1: 1\n")
    report = judge(mazur(), load_claims(sheet))
    assert set(statuses(report).values()) == {WRONG} or all(
        v.status != RIGHT for v in report.verdicts
    )
    assert not [v for v in report.verdicts if v.status == RIGHT]
    honest = judge(mazur(), load_claims(write(tmp_path, "b.yaml", HONEST)))
    assert set(statuses(honest).values()) == {RIGHT}


def test_coarse_claims_in_a_list_are_wrong(tmp_path: Path) -> None:
    report = judge(mazur(), load_claims(write(tmp_path, "a.yaml", "output: [1, 1]\n")))
    assert statuses(report) == {"output": WRONG}
    report = judge(mazur(), load_claims(write(tmp_path, "b.yaml", "output: [0.75, 0.77]\n")))
    assert statuses(report) == {"output": RIGHT}


def test_tol_option_still_replaces_the_policy(runner, tmp_path: Path) -> None:
    sheet = write(tmp_path, "a.yaml", "out_h1: 0.6\n")
    assert runner.invoke(app, ["check", str(MAZUR), sheet]).exit_code == 1
    assert runner.invoke(app, ["check", str(MAZUR), sheet, "--tol", "0.01"]).exit_code == 0


def test_decimals_option_sets_the_policy(runner, tmp_path: Path) -> None:
    sheet = write(tmp_path, "a.yaml", "dE_dw5: 0.08\n")  # 0.08217: ±0.005 is within 2 s.f.
    assert runner.invoke(app, ["check", str(MAZUR), sheet]).exit_code == 1
    assert runner.invoke(app, ["check", str(MAZUR), sheet, "--decimals", "1"]).exit_code == 0


# --- high: each quantity counts once however it is spelled; givens are not claims ----------


def test_aliases_duplicates_and_givens_count_once(tmp_path: Path) -> None:
    splits = "".join(f'"{"learning_rate"[:k]} {"learning_rate"[k:]}": 0.5\n' for k in range(1, 13))
    cheat = (
        HONEST
        + splits
        + '"{{w5}}": 0.4\nw1: 0.15\nx1: 0.05\n'
        + "∂E/∂w5: 0.0822\ndE/dw5: 0.0822\n"
        + "layers[-1].weights[-2][-2]: 0.3589\nresult.layers[1].weights[0][0]: 0.3589\n"
        + "layers[1].out[0]: 0.7514\nresult.layers[-1].out[-2]: 0.7514\n"
    )
    honest = judge(mazur(), load_claims(write(tmp_path, "h.yaml", HONEST)))
    report = judge(mazur(), load_claims(write(tmp_path, "c.yaml", cheat)))
    right = [v for v in report.verdicts if v.status == RIGHT]
    assert len(right) == len(honest.verdicts) == 5
    assert len(report.not_counted) == cheat.count("\n") - 5
    assert "not_counted" in report.result() and len(report.result()["not_counted"]) > 20


def test_a_wrong_spelling_of_a_right_quantity_counts_as_wrong(tmp_path: Path) -> None:
    text = "dE_dw5: 0.0822\n∂E/∂w5: 0.9\n"
    report = judge(mazur(), load_claims(write(tmp_path, "a.yaml", text)))
    assert statuses(report) == {"∂E/∂w5": WRONG}


def test_class_report_counts_once(runner, tmp_path: Path) -> None:
    honest = write(tmp_path, "honest.yaml", HONEST)
    cheat = write(tmp_path, "cheat.yaml", HONEST + "w5: 0.4\nlearning_rate: 0.5\ndE/dw5: 0.0822\n")
    out = tmp_path / "m.csv"
    runner.invoke(app, ["check", str(MAZUR), honest, cheat, "--report", str(out)])
    got = {r["student"]: r["right"] for r in rows(out)}
    assert got == {"honest": "5", "cheat": "5"}


# --- high: one sheet never kills the report -------------------------------------------------


def test_one_bad_sheet_is_a_row(runner, tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", HONEST)
    huge = write(tmp_path, "huge.yaml", "net_h1: 0e400\n")
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["check", str(MAZUR), huge, good, "--report", str(out)])
    assert result.exit_code in (0, 1), result.output
    got = {r["student"]: r for r in rows(out)}
    assert got["good"]["right"] == "5" and got["huge"]["wrong"] == "1"
    assert "mazur.yaml" not in result.output.split("error")[-1]


def test_any_failure_of_one_sheet_is_its_row(tmp_path: Path, monkeypatch) -> None:
    """Whatever goes wrong inside one sheet (here a bug, simulated) is that sheet's row."""
    import dlcalc.grading.checking as checking

    good = write(tmp_path, "good.yaml", HONEST)
    bad = write(tmp_path, "bad.yaml", "out_h1: 0.5\n")
    real = checking.check_sheet

    def flaky(solution, sheet, *args, **kwargs):
        if sheet.name == bad:
            raise OverflowError("(34, 'Numerical result out of range')")
        return real(solution, sheet, *args, **kwargs)

    monkeypatch.setattr(checking, "check_sheet", flaky)
    report = mark_sheets(mazur(), [bad, good])
    assert [s.student for s in report.students] == ["bad", "good"]
    assert report.students[0].error and "bad.yaml" in report.students[0].error
    assert report.students[1].right == 5


# --- high: nothing a student names becomes a formula, markup or a terminal escape -----------

FORMULA_NAMES = ['=HYPERLINK("http:\\\\evil.example","click")', "+1+1", "@SUM(1)", "-2+3"]


def test_csv_formula_injection(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths: the error text starts with the sheet's name
    paths = [f"{name}.yaml" for name in FORMULA_NAMES]
    for path in paths:
        write(tmp_path, path, HONEST)
    paths.append(write(tmp_path, "=1+1.yaml", "out_h1: [1, 2\n").rsplit("/", 1)[-1])
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["check", str(MAZUR), *paths, "--report", str(out)])
    assert result.exit_code in (0, 1), result.output
    for row in rows(out):
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    by_student = {r["student"]: r for r in rows(out)}
    assert set(by_student) == {"'" + n for n in [*FORMULA_NAMES, "=1+1"]}
    assert by_student["'=1+1"]["error"].startswith("'=1+1.yaml")


def test_csv_cell() -> None:
    assert csv_cell("\tx") == "'\\tx" and csv_cell("\rx") == "'\\rx"
    assert csv_cell("alice") == "alice" and csv_cell(3) == 3


def test_markdown_report_injection(runner, tmp_path: Path) -> None:
    names = ["<img src=x onerror=alert(1)>", "[click](javascript:alert(1))"]
    paths = [write(tmp_path, f"{name}.yaml", HONEST) for name in names]
    paths.append(write(tmp_path, "q.yaml", '"<img src=x onerror=alert(1)>": 1\n'))
    out = tmp_path / "m.md"
    runner.invoke(app, ["check", str(MAZUR), *paths, "--report", str(out)])
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)[<>]|(?<!\\)\]\(", text)  # every < > and ]( escaped
    assert "\\<img src=x onerror=alert(1)\\>" in text
    assert "javascript\\:" in text


def test_terminal_escapes_in_the_report(runner, tmp_path: Path) -> None:
    name = "\x1b]0;PWNED\x07\x1b[2J"
    path = write(tmp_path, f"{name}.yaml", HONEST)
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["check", str(MAZUR), path, "--report", str(out)])
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in result.output
    assert "\x1b" not in out.read_text(encoding="utf-8")


def test_newline_in_a_claimed_string_draws_no_rows(runner, tmp_path: Path) -> None:
    sheet = write(tmp_path, "a.yaml", 'net_h1: "x\\nout_h1     0.5933  0.5933  ✓"\n')
    result = runner.invoke(app, ["check", str(MAZUR), sheet])
    ticks = [line for line in result.output.splitlines() if "✓" in line]
    assert ticks and all("x\\nout_h1" in line for line in ticks), result.output


# --- medium and low: files in a class run --------------------------------------------------


def test_symlinked_sheets_out_of_the_folder(runner, tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    secret = write(tmp_path, "secret.txt", "root: hunter2\n")
    key = write(tmp_path, "key.yaml", HONEST)
    os.symlink(secret, sheets / "eve.yaml")
    os.symlink(key, sheets / "bob.yaml")
    good = write(sheets, "ann.yaml", HONEST)
    os.symlink(good, sheets / "ann2.yaml")  # a link inside the folder is fine
    out = tmp_path / "m.csv"
    runner.invoke(
        app,
        ["check", str(MAZUR), str(sheets / "eve.yaml"), str(sheets / "bob.yaml"), good]
        + [str(sheets / "ann2.yaml"), "--report", str(out)],
    )
    got = {r["student"]: r for r in rows(out)}
    assert "hunter2" not in out.read_text(encoding="utf-8")
    assert "symbolic link" in got["eve"]["error"] and "symbolic link" in got["bob"]["error"]
    assert got["bob"]["right"] == "0"
    assert got["ann"]["right"] == got["ann2"]["right"] == "5"


def test_fifo_sheet_does_not_hold_up_the_run(runner, tmp_path: Path) -> None:
    import time

    fifo = tmp_path / "slow.yaml"
    os.mkfifo(fifo)
    good = write(tmp_path, "good.yaml", HONEST)
    out = tmp_path / "m.csv"
    start = time.perf_counter()
    runner.invoke(app, ["check", str(MAZUR), str(fifo), good, "--report", str(out)])
    assert time.perf_counter() - start < 3
    assert "regular file" in {r["student"]: r for r in rows(out)}["slow"]["error"]


def test_sheet_named_like_an_option(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "-2+3.yaml", HONEST)
    write(tmp_path, "ann.yaml", HONEST)
    result = runner.invoke(app, ["check", str(MAZUR), "-2+3.yaml", "ann.yaml", "--report", "m.csv"])
    assert result.exit_code == 0, result.output
    assert [r["student"] for r in rows(tmp_path / "m.csv")] == ["'-2+3", "ann"]


def test_same_stem_two_students(tmp_path: Path) -> None:
    a = write(tmp_path, "alice.yaml", HONEST)
    b = write(tmp_path, "alice.yml", "out_h1: 0.1\n")
    report = mark_sheets(mazur(), [a, b])
    names = [s.student for s in report.students]
    assert len(set(names)) == 2 and all("alice" in n for n in names)


# --- high and medium: bounded work -----------------------------------------------------------


def conv_problem(tmp_path: Path, padding: int, name: str = "pad.yaml") -> str:
    text = (
        f"command: conv\ninput: [[1]]\nlayers:\n  - conv: {{kernel: [[1]], padding: {padding}}}\n"
    )
    return write(tmp_path, name, text)


@pytest.mark.parametrize(
    "args",
    [["conv"], ["conv", "-o", "{tmp}/x.html"], ["key", "-o", "{tmp}/k.md"], ["solve"]],
)
def test_conv_padding_is_refused_quickly_naming_the_padding(runner, tmp_path: Path, args) -> None:
    import time

    path = conv_problem(tmp_path, 865)
    command = [args[0], path, *[a.format(tmp=tmp_path) for a in args[1:]]]
    start = time.perf_counter()
    result = runner.invoke(app, command)
    assert time.perf_counter() - start < 1.0
    assert result.exit_code == 2 and "padding" in result.output, result.output
    assert "cells" in result.output


def test_grid_cells_count_in_the_terminal(runner, tmp_path: Path) -> None:
    """padding 100 on a 1×1 input: few steps but 121,205 grid cells to draw."""
    path = conv_problem(tmp_path, 100)
    result = runner.invoke(app, ["conv", path])
    assert result.exit_code == 2 and "grid cells" in result.output, result.output
    assert "--format markdown or json" in result.output


def test_grid_cells_limit_documents(tmp_path: Path, monkeypatch) -> None:
    from dlcalc import limits
    from dlcalc.errors import InputError

    monkeypatch.setattr(limits, "MAX_GRID_CELLS", 100)
    with pytest.raises(InputError, match="grid cells"):
        limits.check_grid_cells(101, terminal=False)
    limits.check_grid_cells(100, terminal=False)


def test_optimize_budget_counts_gradient_size_times_steps(runner, tmp_path: Path, monkeypatch):
    from dlcalc import limits

    function = "w"
    for _ in range(12):
        function = f"σ(w*{function})"
    text = f'command: optimize\noptimizer: sgd\nlearning_rate: 0.1\nstart: [0.5]\nfunction: "{function}"\n'
    few = write(tmp_path, "few.yaml", text + "steps: 10\n")
    many = write(tmp_path, "many.yaml", text + "steps: 2000\n")
    monkeypatch.setattr(limits, "MAX_GRADIENT_WORK", 20_000)
    assert runner.invoke(app, ["optimize", few, "-f", "json"]).exit_code == 0
    result = runner.invoke(app, ["optimize", many, "-f", "json"])
    assert result.exit_code == 2 and "steps" in result.output and "× steps" in result.output
    monkeypatch.setattr(limits, "MAX_GRADIENT_SIZE", 100)
    result = runner.invoke(app, ["optimize", few, "-f", "json"])
    assert result.exit_code == 2 and "function" in result.output, result.output


def test_optimize_gradient_values_with_repeated_parts() -> None:
    """The memo of repeated parts gives the same gradient as finite differences."""
    import math

    from dlcalc.maths.expressions import parse
    from dlcalc.topics.optimize import Gradient

    function = "w"
    for _ in range(6):
        function = f"σ(w*{function})"
    gradient = Gradient(parse(function), ["w1"], 1)

    def f(w: float) -> float:
        x = w
        for _ in range(6):
            x = 1 / (1 + math.exp(-w * x))
        return x

    h = 1e-6
    assert gradient.at([0.7])[0] == pytest.approx((f(0.7 + h) - f(0.7 - h)) / (2 * h), rel=1e-6)


def exact_conv(tmp_path: Path, channels: int, size: int, layers: int, decimals: int) -> str:
    import json
    import random

    rng = random.Random(23)

    def number() -> float:
        return round(rng.uniform(-1, 1), decimals) if decimals else rng.randint(-2, 2)

    def maps(n: int) -> list:
        return [[[number() for _ in range(size)] for _ in range(size)] for _ in range(n)]

    def kernel(n: int) -> list:
        return [[[number() for _ in range(3)] for _ in range(3)] for _ in range(n)]

    data = {
        "command": "conv",
        "input": maps(channels),
        "layers": [
            {
                "conv": {
                    "filters": [{"kernel": kernel(channels)} for _ in range(channels)],
                    "padding": 1,
                }
            }
            for _ in range(layers)
        ],
        "grad_output": maps(channels),
    }
    return write(tmp_path, f"exact{decimals}.yaml", json.dumps(data))


def test_exact_conv_counts_decimals_and_the_backward_pass(tmp_path: Path) -> None:
    from dlcalc.errors import InputError
    from dlcalc.specs.convolution import load_convolution

    with pytest.raises(InputError, match="decimals") as e:
        load_convolution(load(exact_conv(tmp_path, 8, 20, 5, 6)))
    assert "backward pass" in str(e.value)
    load_convolution(load(exact_conv(tmp_path, 2, 12, 2, 6)))  # a small one is fine
    load_convolution(load(exact_conv(tmp_path, 8, 20, 5, 0)))  # whole numbers: cheap


def test_key_has_the_output_limits(runner, tmp_path: Path, monkeypatch) -> None:
    from dlcalc import limits

    monkeypatch.setattr(limits, "MAX_STEPS", 80)
    one = runner.invoke(app, ["key", str(MAZUR), "-o", str(tmp_path / "k.md")])
    assert one.exit_code == 0, one.output  # Mazur's 2-2-2 has fewer steps
    result = runner.invoke(app, ["key", str(MAZUR), str(MAZUR), "-o", str(tmp_path / "k.md")])
    assert result.exit_code == 2 and "answer key so far" in result.output, result.output
    monkeypatch.setattr(limits, "MAX_STEPS", 10)
    result = runner.invoke(app, ["key", str(MAZUR), "-o", str(tmp_path / "k.md")])
    assert result.exit_code == 2 and "worked steps" in result.output


# --- medium and low: each handled ----------------------------------------------------------


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_sigterm_leaves_no_temporaries(tmp_path: Path, signal_name: str) -> None:
    """SIGTERM (``timeout``) or Ctrl-C while -o is staged and matplotlib is being imported
    for --plot: cleaned up, no traceback."""
    pytest.importorskip("matplotlib")
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "dlcalc", "optimize", str(EXAMPLES / "momentum-trace.yaml")]
    command += ["-o", str(tmp_path / "out.md"), "--plot", str(tmp_path / "p.png")]
    child = subprocess.Popen(command, stderr=subprocess.PIPE)
    start, staged = time.perf_counter(), []
    while not staged and child.poll() is None and time.perf_counter() - start < 30:
        staged = list(tmp_path.glob(".*.tmp"))
        time.sleep(0.002)
    assert staged, "the run ended before its output was staged"
    child.send_signal(getattr(signal, signal_name))
    _, err = child.communicate(timeout=30)
    assert b"Traceback" not in err, err
    signum = getattr(signal, signal_name)
    # 0, or killed by the signal itself with nothing said: the run had finished and Python was
    # shutting down (it restores the default handlers then) when the signal came
    finished = child.returncode == 0 or (child.returncode == -signum and not err)
    if not finished:
        if signal_name == "SIGTERM":
            assert child.returncode == 143 and b"terminated" in err
        else:
            assert child.returncode in (1, 130), err
    assert list(tmp_path.glob(".*.tmp")) == []  # no temporary left behind


def test_output_onto_a_symlink_is_refused(runner, tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "link.md"
    os.symlink(target, link)
    result = runner.invoke(app, ["backprop", str(MAZUR), "-o", str(link)])
    assert result.exit_code == 2 and "symbolic link" in result.output
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "keep\n"


@pytest.mark.parametrize(
    ("command", "text", "field"),
    [
        ("batchnorm", "command: batchnorm\nbatch: [[1e-300], [2e-300]]\nepsilon: 0\n", "epsilon"),
        (
            "backprop",
            "command: backprop\ninput: [1]\ntarget: [1]\nlearning_rate: 0.5\nconnections:\n"
            "  w: 0.1\nlayers:\n  - units: []\n    activation: sigmoid\n",
            "units",
        ),
        (
            "conv-shape",
            "command: conv-shape\ninput: [1, 1, 1]\nlayers:\n"
            + "  - conv_transpose: {filters: 1, kernel: 3, stride: 100000}\n" * 6,
            "stride",
        ),
    ],
)
def test_internal_errors_are_one_line(runner, tmp_path: Path, command, text, field) -> None:
    path = write(tmp_path, "p.yaml", text)
    result = runner.invoke(app, [command, path])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and field in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_derive_overflow_is_refused(runner) -> None:
    result = runner.invoke(app, ["derive", "((x^9999)^9999)^9999", "--at", "x=2"])
    assert result.exit_code == 2 and "range of a double" in result.output
    assert "∞" not in result.output.replace("print as ∞", "")


def test_latex_text_with_combining_accents() -> None:
    from dlcalc.render.latex import text

    assert text("δ̃") == r"$\tilde{\delta}$"
    assert text("x̂̃") == r"$\tilde{\hat{x}}$"
    assert text("_̃") == r"$\tilde{\text{\_}}$"
    for sample in ("δ̃", "x̂̃", "ã̂1", "_̃", "%̂"):
        assert "$$" not in text(sample) and text(sample).count("$") % 2 == 0


@pytest.mark.parametrize("case", ["accents", "wide"])
def test_latex_compiles(runner, tmp_path: Path, case: str) -> None:
    from tests.render.test_answer_key import compiles

    if case == "accents":  # δ̃ in a title, a unit name and an answer value
        problem = MAZUR.read_text(encoding="utf-8").replace("h1, h2", "δ̃1, h2")
        problem = problem.replace("title: Step", "title: δ̃ x̂̃ Step")
        write(tmp_path, "p.yaml", problem)
        write(tmp_path, "a.yaml", 'out_o1: "0.75δ̃"\nnet_δ̃1: 0.3775\n')
        args = ["check", str(tmp_path / "p.yaml"), str(tmp_path / "a.yaml")]
    else:  # a 1×70 map: more columns than amsmath's matrices allow by default
        row = ", ".join(str(k % 10) for k in range(70))
        text = f"command: conv\ninput: [[{row}]]\nlayers:\n  - conv: {{kernel: [[1, 2]]}}\n"
        args = ["conv", write(tmp_path, "p.yaml", text)]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "r.tex")])
    assert result.exit_code in (0, 1), result.output
    compiles(tmp_path, "r.tex")
