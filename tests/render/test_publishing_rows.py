"""Issue 21's smaller rows, each as a test: conv captions, panel widths and gaps, givens as
written, numbered online updates, and the small ones (did you mean, 1 filter, graph's tree,
× in derive, 0.2800, −0.7 in "Your answers", coloured verdicts, tanh(s_1) once)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES


@pytest.fixture(autouse=True)
def _unicode(monkeypatch):
    monkeypatch.setenv("DLCALC_ASCII", "")


def run(runner, monkeypatch, *args: str, columns: int = 80) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def panel_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in "│╭╰"]


@pytest.mark.parametrize("name", ["conv-toy.yaml", "conv-relu-maxpool.yaml", "conv-backward.yaml"])
@pytest.mark.parametrize("columns", [80, 120])
def test_conv_captions_stand_on_their_own_lines(runner, monkeypatch, name, columns) -> None:
    out = run(runner, monkeypatch, "conv", str(EXAMPLES / name), columns=columns)
    inside = [line[2:].rstrip(" │") for line in panel_lines(out)]
    captions = [line for line in inside if "window of" in line]
    assert captions, "every window has its caption"
    assert all(line.startswith("window of") for line in captions), captions
    assert not any(re.search(r"\d(window|output|the maximum)", line) for line in inside)
    if name == "conv-relu-maxpool.yaml":
        assert "window of y₁₁ in x" in inside  # the first window's caption too


def test_exact_values_end_their_line(runner, monkeypatch, tmp_path: Path) -> None:
    problem = tmp_path / "avg.yaml"
    problem.write_text(
        "command: conv\ninput: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\n"
        "layers:\n  - avgpool: {kernel: 3, stride: 1, padding: 1}\n"
    )
    out = run(runner, monkeypatch, "conv", str(problem), "--exact")
    exact = [line for line in panel_lines(out) if "(exact)" in line]
    assert exact, out[-2000:]
    assert all(line.rstrip(" │").endswith("(exact)") for line in exact), exact


@pytest.mark.parametrize(
    "args",
    [
        ("conv", "conv-toy.yaml"),
        ("delta", "delta-rule.yaml"),
        ("conv-shape", "alexnet.yaml"),
        ("optimize", "adam-step.yaml"),
    ],
)
@pytest.mark.parametrize("columns", [80, 120])
def test_panels_are_exactly_as_wide_and_values_near(runner, monkeypatch, args, columns) -> None:
    """Every panel line is the terminal's width in cells (m̂ and v̂ combine: zero width), and
    no value stands more than MAX_GAP cells after its substituted formula."""
    from dlcalc.render.terminal import MAX_GAP

    out = run(runner, monkeypatch, args[0], str(EXAMPLES / args[1]), columns=columns)
    lines = panel_lines(out)
    assert lines and all(cell_len(line) == columns for line in lines)
    working = [line for line in lines if not re.match(r"│ \S+ +=", line)]  # not name-only rows
    gaps = [len(m.group(1)) for line in working if (m := re.search(r"\S( +)= \S+ +│$", line))]
    # values are right-aligned in their column: up to 12 more cells (= 4 under = 105,415,200)
    assert gaps and max(gaps) <= MAX_GAP + 12, max(gaps)


def test_givens_as_written_under_decimals(runner, monkeypatch) -> None:
    out = run(runner, monkeypatch, "backprop", str(EXAMPLES / "mazur.yaml"), "-d", "9")
    assert "= 0.15 × 0.05 + 0.2 × 0.1 + 0.35 × 1 = 0.377500000" in out
    assert "0.150000000 ×" not in out and "(η = 0.5)" in out and "= 0.593269992" in out


def test_online_perceptron_numbers_its_updates(runner, monkeypatch) -> None:
    out = run(runner, monkeypatch, "perceptron", str(EXAMPLES / "perceptron-trace.yaml"))
    assert "│ w0⁽¹⁾  = w0 + η × (t − o) × 1" in out
    assert "│ w0⁽²⁾  = w0⁽¹⁾ + η × (t − o) × 1" in out
    assert "│ w·x_5  = w0⁽¹⁾ × 1 + w1⁽¹⁾ × x1 + w2⁽¹⁾ × x2" in out
    epoch_1 = out.split("Epoch 1 ", 1)[1].split("╰", 1)[0]
    names = [line[2:9].strip() for line in epoch_1.splitlines() if line[2:9].startswith("w0")]
    assert len(names) == len(set(names)) > 3  # one symbol, one value


def test_did_you_mean_a_command(runner) -> None:
    result = runner.invoke(app, ["backprob", "x.yaml"])
    assert result.exit_code == 2 and "did you mean 'backprop'?" in result.output


def test_one_filter_is_singular(runner, monkeypatch) -> None:
    out = run(runner, monkeypatch, "conv-shape", "-i", "28,28,1", "-l", "conv:1:3:1:0")
    assert "1 filter 3×3" in out and "1 filters" not in out


def test_graph_tree_in_box_lines_and_ascii(runner, monkeypatch) -> None:
    args = ("graph", "x^2*y - 3", "--at", "x=2,y=3")
    out = run(runner, monkeypatch, *args)
    assert "├── v2 = v1 × y  ×" in out and "└── 3" in out and "|--" not in out
    ascii_out = run(runner, monkeypatch, *args, "--ascii")
    assert "|-- v2 = v1 * y   *" in ascii_out and "`-- 3" in ascii_out
    assert ascii_out.isascii()


def test_derive_writes_products_one_way(runner, monkeypatch) -> None:
    out = run(runner, monkeypatch, "derive", "sin(x^2)*x")
    assert "·" not in out and "2 × x × cos(x²)" in out


def test_a_rounded_value_keeps_its_places(runner, monkeypatch) -> None:
    out = run(runner, monkeypatch, "solve", str(EXAMPLES / "ce-multiclass.yaml"))
    assert re.search(r"= 0\.2800 +│", out) and re.search(r"= 0\.2714 +│", out)
    assert not re.search(r"= 0\.28 +│", out)


def test_your_answers_minus_signs_and_colours(runner, monkeypatch, tmp_path: Path) -> None:
    sheet = tmp_path / "a.yaml"
    sheet.write_text("delta_o2: -0.0381\nout_h1: 0.6033\nnet_o1: 1.1099\n")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = runner.invoke(app, ["check", str(EXAMPLES / "mazur.yaml"), str(sheet)], color=True)
    table = result.stdout.split("Your answers", 1)[1]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", table)
    assert "delta_o2  −0.0381    −0.0381  ✓" in plain and "-0.0381" not in plain
    assert "\x1b[32m✓" in table and "\x1b[1;31m✗" in table and "\x1b[33m↪" in table


def test_a_name_that_is_its_formula_is_not_repeated(runner, monkeypatch) -> None:
    for fmt in ("rich", "latex"):
        out = run(runner, monkeypatch, "rnn", str(EXAMPLES / "lstm-gomez.yaml"), "-f", fmt)
        assert "tanh(s_1) = tanh(s_1)" not in out and "{\\tanh (s_{1})} &= \\tanh(s" not in out
    rich = run(runner, monkeypatch, "rnn", str(EXAMPLES / "lstm-gomez.yaml"))
    assert "│ tanh(s_1) = tanh(0.7857)" in rich


def test_html_answers_table_colours_verdicts(runner, tmp_path: Path) -> None:
    out = tmp_path / "checked.html"
    args = ["check", str(EXAMPLES / "mazur.yaml"), str(EXAMPLES / "answers/mazur.yaml")]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 1, result.output
    page = out.read_text(encoding="utf-8")
    assert '<td class="mark-wrong">✗ ← where it went wrong</td>' in page
    assert '<td class="mark-right">✓</td>' in page
