"""Issue 9's table of hostile inputs, one test per row (small inputs with the same cause).

A teacher runs dlcalc over a class's files and publishes the output: no input may crash
dlcalc, hang it, eat the machine, overwrite a file, print a forged line or an escape
sequence, or reach "internal error".  Each test here failed before the fix.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcalc import limits
from dlcalc.app.cli import app
from dlcalc.specs.loader import load

ROOT = Path(__file__).resolve().parent.parent
MAZUR = (ROOT / "examples" / "mazur.yaml").read_text(encoding="utf-8")
TRACE = (ROOT / "examples" / "perceptron-trace.yaml").read_text(encoding="utf-8")
ESC = "\x1b"
LIVE_LINK = re.compile(r"(?<!\\)\]\(javascript:")  # a Markdown link, not the escaped text \](


def dlcalc(*args: str, stdin: str | None = None, seconds: float = 10.0) -> tuple[int, str, str]:
    """Run a command in-process; returns (exit status, stdout, stderr) and checks the time."""
    start, wall = time.process_time(), time.monotonic()
    result = CliRunner().invoke(app, list(args), input=stdin)
    took = time.process_time() - start
    # CPU time: the test machine is shared, so wall time only catches hangs.
    assert took < seconds, f"{args[:3]} took {took:.1f} s of CPU"
    assert time.monotonic() - wall < 6 * seconds, f"{args[:3]} hung"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def refused(*args: str, stdin: str | None = None) -> str:
    """Run a command that must fail cleanly: exit 2 and one escaped error line; return it."""
    code, out, err = dlcalc(*args, stdin=stdin)
    assert code == 2, (code, out[:300], err)
    assert err.count("\n") == 1 and err.startswith("dlcalc: error: "), err
    assert "internal error" not in err and "Traceback" not in err
    assert ESC not in err and ESC not in out
    return err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def chain(layers: int, epochs: int = 1) -> str:
    """A network of one-unit layers."""
    body = "".join(
        "  - activation: sigmoid\n    weights: [[0.5]]\n    bias: 0.1\n" for _ in range(layers)
    )
    return f"input: [0.5]\ntarget: [0.1]\nlearning_rate: 0.5\nepochs: {epochs}\nlayers:\n{body}"


def dense(widths: list[int]) -> str:
    """A fully connected network with the given widths (inputs first)."""
    text = (
        f"input: {[0.1] * widths[0]}\ntarget: {[0.5] * widths[-1]}\nlearning_rate: 0.5\nlayers:\n"
    )
    for n_in, n_out in zip(widths, widths[1:]):
        text += f"  - activation: sigmoid\n    weights: {[[0.1] * n_in] * n_out}\n    bias: 0.1\n"
    return text


# --- critical --------------------------------------------------------------------------------


def test_a_file_of_brackets_is_refused_not_a_segmentation_fault(tmp_path: Path) -> None:
    """Row 1: libyaml's composer recursed once per `[`; now nesting is counted on the events."""
    path = write(tmp_path, "p.yaml", "[" * 30_000)
    mazur = write(tmp_path, "mazur.yaml", MAZUR)
    runs = [
        ["backprop", path],
        ["check", mazur, path],
        ["backprop", "-"],
    ]
    for args in runs:  # a crash must not take pytest down: a child process each
        proc = subprocess.run(
            [sys.executable, "-m", "dlcalc", *args],
            input="[" * 30_000,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert "nested more than 50 levels" in proc.stderr and proc.stderr.count("\n") == 1


def test_markup_in_names_and_answers_stays_text_in_html(tmp_path: Path) -> None:
    """Row 2: `[link=x"><script>…` must not become a live script in -o report.html.

    Needs the renderers to escape user text (issue 10, the `trees` branch)."""
    evil = '[link=x"><script>alert(1)</script>]h1'
    problem = write(tmp_path, "p.yaml", MAZUR.replace("units: [h1, h2]", f"units: ['{evil}', h2]"))
    report = tmp_path / "report.html"
    code, _, err = dlcalc("backprop", problem, "-o", str(report))
    if code == 2:  # refusing such a name is also safe
        assert "<script" not in err
        return
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and 'href="x"' not in html


def test_a_huge_column_name_is_refused_before_any_work(tmp_path: Path) -> None:
    """Row 3: a 200,000-character column name was repeated in every formula (24 GB)."""
    rows = "".join(f"    - [{i % 7}, {i % 5}, {'A' if i % 2 else 'B'}]\n" for i in range(300))
    for length, limit in ((5_000, limits.MAX_TEXT), (100, limits.MAX_NAME)):
        text = TRACE.split("data:")[0] + (
            f"data:\n  columns: [{'x' * length}, x2, class]\n  rows:\n{rows}"
            "positive: A\ninitial_weights: [0, 0, 0]\nlearning_rate: 1\n"
        )
        err = refused("perceptron", write(tmp_path, "p.yaml", text))
        assert str(limit) in err


def test_scalar_aliases_are_refused(tmp_path: Path) -> None:
    """Row 4: `positive: &L LLLL…` with rows `[x, y, *L]` multiplied a 200 kB scalar."""
    rows = "".join(f"    - [{i}, 1, *L]\n" for i in range(20))
    text = f"positive: &L {'L' * 150}\ndata:\n  columns: [x1, x2, c]\n  rows:\n{rows}"
    text += "initial_weights: [0, 0, 0]\nlearning_rate: 1\n"
    err = refused("perceptron", write(tmp_path, "p.yaml", text))
    assert "aliases" in err and "line 1" in err


@pytest.mark.parametrize(
    "edit",
    [
        ("title: Step-by-step", 'title: "\\e]0;owned\\a Step-by-step'),
        ("title: Step-by-step", 'source: "\\e[2J All answers correct"\ntitle: Step-by-step'),
        ("units: [h1, h2]", 'units: ["\\e]8;;http://x\\e\\\\h1\\e]8;;\\e\\\\", h2]'),
    ],
)
def test_escape_sequences_in_problem_text_never_reach_the_terminal(
    tmp_path: Path, edit: tuple[str, str]
) -> None:
    """Row 5: ESC sequences retitled the terminal, cleared it, faked a verdict."""
    text = MAZUR.replace(edit[0], edit[1], 1)
    if "title:" in edit[1] and '"' in edit[1].split("title:")[-1][:3]:
        text = text.replace("sigmoid network\n", 'sigmoid network"\n', 1)
    err = refused("backprop", write(tmp_path, "p.yaml", text))
    assert "\\x1b" in err and "control character" in err


def test_escape_sequences_in_answers_are_refused(tmp_path: Path) -> None:
    problem = write(tmp_path, "p.yaml", MAZUR)
    for answers in ('"\\e[2Jout_h1": 0.5933\n', 'out_h1: "\\e]0;All answers correct\\a"\n'):
        err = refused("check", problem, write(tmp_path, "a.yaml", answers))
        assert "a.yaml" in err and "\\x1b" in err


def test_escape_or_newline_in_a_key_or_file_name_is_escaped_in_the_message(
    tmp_path: Path,
) -> None:
    """Row 6: the error message printed an ESC or a newline raw (a forged second line)."""
    err = refused("backprop", write(tmp_path, "p.yaml", 'command: backprop\n"bad\\nkey": 1\n'))
    assert "line 2" in err and "bad\\nkey" in err
    refused("backprop", write(tmp_path, "q.yaml", '"x\\e[2J": 1\n'))
    err = refused("backprop", str(tmp_path / "no\nsuch\x1b[2J.yaml"))
    assert "no\\nsuch\\x1b[2J.yaml" in err
    weird = tmp_path / "evil\x1b]0;x\x07.yaml"
    weird.write_text(MAZUR, encoding="utf-8")
    assert "\\x1b" in refused("backprop", str(weird))


@pytest.mark.parametrize("expression", ["9^9^9", "x*2^2^2^2^2^2", "x^(10^6)", "e^(2^2^2^2)"])
def test_power_towers_are_refused_before_sympy(expression: str) -> None:
    """Row 7: SymPy evaluated the power tower (past 120 s, 1.7 GB)."""
    err = refused("derive", expression)
    assert f"{limits.MAX_POWER:,}" in err


def test_small_powers_still_work() -> None:
    code, out, err = dlcalc("derive", "x^3*2^10", "--at", "x=1", "-f", "json")
    assert code == 0, err and '"slope": 3072.0' in out


@pytest.mark.parametrize(
    ("text", "options"),
    [
        (chain(30), ["--symbolic"]),
        (dense([30, 30, 30]), ["--symbolic"]),
        (dense([4, 4, 4, 4]), ["--symbolic", "--exact"]),
    ],
    ids=["30-layer-chain", "30-30-30", "4-4-4-4-exact"],
)
def test_symbolic_work_is_bounded(tmp_path: Path, text: str, options: list[str]) -> None:
    """Row 8: --symbolic had no bound (47 s, > 180 s, 73 s)."""
    err = refused("backprop", write(tmp_path, "p.yaml", text), *options, "-f", "json")
    assert "--symbolic" in err and f"{limits.MAX_SYMBOLIC}" in err


def test_symbolic_still_works_on_the_slide_network(tmp_path: Path) -> None:
    code, _, err = dlcalc("backprop", write(tmp_path, "p.yaml", MAZUR), "--symbolic", "-f", "json")
    assert code == 0, err


def test_depth_counts_in_the_work_estimate(tmp_path: Path) -> None:
    """Row 9: 1,000 one-unit layers × 10,000 epochs passed both limits (7 minutes)."""
    err = refused("backprop", write(tmp_path, "p.yaml", chain(1000, 10_000)))
    assert "epochs" in err and f"{limits.MAX_WORK:,}" in err
    assert limits.network_work([1] * 1001, 1) > 1000 * limits.LAYER_COST


# --- medium ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        ("title: Step-by-step", "title: '<script>alert(1)</script> Step-by-step"),
        ("title: Step-by-step", "source: '[x](javascript:alert(1))'\ntitle: Step-by-step"),
    ],
)
def test_markup_in_title_and_source_is_plain_text_in_markdown(
    tmp_path: Path, edit: tuple[str, str]
) -> None:
    """Row 10: `<script>` and `[x](javascript:…)` went raw into Markdown.

    Needs the renderers to escape user text (issue 10, the `trees` branch)."""
    text = MAZUR.replace(edit[0], edit[1], 1)
    if "title: '<" in edit[1]:
        text = text.replace("sigmoid network\n", "sigmoid network'\n", 1)
    code, out, err = dlcalc("backprop", write(tmp_path, "p.yaml", text), "-f", "markdown")
    assert code == 0, err
    assert "<script>" not in out and not LIVE_LINK.search(out)


def test_markup_in_title_and_source_is_plain_text_in_the_answer_key(tmp_path: Path) -> None:
    """Row 10 for `key`: the answer key writes each problem's title and source too.

    Needs the answer-key renderer to escape user text (issue 10)."""
    text = MAZUR.replace(
        "title: Step-by-step backpropagation, 2-2-2 sigmoid network",
        "title: '<script>alert(1)</script>'\nsource: '[x](javascript:alert(1))'",
    )
    code, out, err = dlcalc("key", write(tmp_path, "p.yaml", text))
    assert code == 0, err
    assert "<script>" not in out and not LIVE_LINK.search(out)


def test_a_newline_in_a_unit_name_is_refused(tmp_path: Path) -> None:
    text = MAZUR.replace("units: [h1, h2]", 'units: ["h1\\n# Forged heading", h2]')
    err = refused("backprop", write(tmp_path, "p.yaml", text))
    assert "one line" in err


def test_a_backtick_in_a_file_name_given_to_key_stays_text(tmp_path: Path) -> None:
    """Row 10 (file name). Needs the renderers' escaping (issue 10)."""
    path = tmp_path / "a`b](javascript:x).yaml"
    path.write_text(MAZUR, encoding="utf-8")
    code, out, err = dlcalc("key", str(path))
    assert code == 0, err
    # A single-backtick span would be closed early by the name's own backtick; a longer fence
    # (``…``) keeps the whole name as code.
    assert "(`a`b]" not in out and "``a`b](javascript:x).yaml``" in out


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ("out_h1: " + "9" * 5000 + "/1\n", ["5,002 characters"]),
        ("out_h1: 0e" + "9" * 5000 + "\n", ["5,002 characters"]),
        ("out_h1: " + "9" * 70 + "/1\n", ["72 characters", "at most 60"]),
        ("out_h1: 0e" + "9" * 80 + "\n", ["characters"]),
    ],
)
def test_huge_numbers_in_answers(tmp_path: Path, answers: str, words: list[str]) -> None:
    """Row 11: `9…9/1` and `0e9…9` reached "internal error" (int conversion limit)."""
    err = refused("check", write(tmp_path, "p.yaml", MAZUR), write(tmp_path, "a.yaml", answers))
    assert "a.yaml" in err
    for word in words:
        assert word in err


def test_a_5000_digit_input_is_refused(tmp_path: Path) -> None:
    text = MAZUR.replace("input: [0.05, 0.10]", f"input: [0.05, {'9' * 5000}]")
    assert "characters" in refused("backprop", write(tmp_path, "p.yaml", text))
    text = MAZUR.replace("input: [0.05, 0.10]", f"input: [0.05, {'9' * 80}]")
    assert "at most 60" in refused("backprop", write(tmp_path, "p.yaml", text))


def test_kld_with_a_subnormal_sigma_is_not_an_internal_error() -> None:
    """Row 11: `kld --mu 1 --sigma 1e-320` (math domain error).  Fixed on the `slides` branch."""
    code, out, err = dlcalc("kld", "--mu", "1", "--sigma", "1e-320", "-f", "json")
    assert code in (0, 2) and "internal error" not in err, err


def test_a_full_standard_output_is_one_error_line(tmp_path: Path) -> None:
    """Row 11: `-f json > /dev/full` ended with "internal error" (and Python's own complaint)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "dlcalc", "backprop", str(ROOT / "examples" / "mazur.yaml")]
            + ["-f", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert proc.returncode == 2
    assert (
        proc.stderr
        == "dlcalc: error: standard output: cannot be written: No space left on device\n"
    )


def test_a_title_with_mathtext_does_not_break_the_plot(tmp_path: Path) -> None:
    """Row 11: `title: 'bad $\\foo{$'` with --plot reached matplotlib's mathtext parser."""
    pytest.importorskip("matplotlib")
    text = TRACE.replace(
        "title: Perceptron training rule (13-point example)", "title: 'bad $\\foo{$'"
    )
    plot = tmp_path / "p.png"
    code, _, err = dlcalc(
        "perceptron", write(tmp_path, "p.yaml", text), "--plot", str(plot), "-f", "json"
    )
    assert code == 0, err
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    """Row 12: the later of two `input:` (or `weights:`) silently won."""
    text = MAZUR.replace("input: [0.05, 0.10]", "input: [0.05, 0.10]\ninput: [1, 2]")
    err = refused("backprop", write(tmp_path, "p.yaml", text))
    assert "'input' is given twice (lines 6 and 7)" in err
    text = MAZUR.replace("    bias: 0.35", "    weights: [[1, 2], [3, 4]]\n    bias: 0.35")
    assert "'weights' is given twice" in refused("backprop", write(tmp_path, "p.yaml", text))


def test_output_onto_an_input_is_refused(tmp_path: Path) -> None:
    """Row 13: `forward p.json -o p.json`, `check p.yaml a.json -o a.json` overwrote the input."""
    problem = tmp_path / "p.json"
    problem.write_text(MAZUR, encoding="utf-8")  # YAML reads it; the name is what matters
    err = refused("backprop", str(problem), "-o", str(problem))
    assert "is an input" in err and problem.read_text(encoding="utf-8") == MAZUR
    answers = tmp_path / "a.json"
    answers.write_text('{"out_h1": 0.5933}', encoding="utf-8")
    refused("check", str(problem), str(answers), "-o", str(answers))
    assert answers.read_text(encoding="utf-8") == '{"out_h1": 0.5933}'
    link = tmp_path / "link.json"
    link.symlink_to(problem)
    refused("backprop", str(problem), "-o", str(link))
    assert problem.read_text(encoding="utf-8") == MAZUR


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 14: `-o` on a full disk replaced the old file by a truncated one."""
    out = tmp_path / "out.md"
    out.write_text("the old answer key\n", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    err = refused("backprop", write(tmp_path, "p.yaml", MAZUR), "-o", str(out))
    assert "No space left" in err
    assert out.read_text(encoding="utf-8") == "the old answer key\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md", "p.yaml"]  # no temporary left


def test_a_failed_plot_writes_no_output(tmp_path: Path) -> None:
    """Row 14: `-o out.md --plot nodir/p.png` wrote out.md, then exited 2."""
    out = tmp_path / "out.md"
    problem = write(tmp_path, "p.yaml", TRACE)
    refused("perceptron", problem, "-o", str(out), "--plot", str(tmp_path / "nodir" / "p.png"))
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]


def test_many_values_are_refused_fast(tmp_path: Path) -> None:
    """Row 15: 10,000 values in the default format took a minute; 200,000 arguments took 14 s
    to refuse; 15,000 perceptron rows took 55 s; 1,000 conv layers 13 s."""
    scores = [str(i % 7) for i in range(10_000)]
    assert "terminal" in refused("softmax", *scores)
    assert "arguments" in refused("softmax", *[str(i % 7) for i in range(200_000)])
    rows = "".join(
        f"    - [{i % 97}, {(i * 7) % 89}, {'A' if i % 3 else 'B'}]\n" for i in range(3000)
    )
    text = f"data:\n  columns: [x1, x2, c]\n  rows:\n{rows}positive: A\n"
    text += "initial_weights: [0, 0, 0]\nlearning_rate: 1\nmax_epochs: 100\n"
    assert "max_epochs" in refused("perceptron", write(tmp_path, "p.yaml", text), "-f", "json")
    layers = "  - conv: {filters: 3, kernel: 1}\n" * 1000
    conv = write(tmp_path, "c.yaml", f"input: [224, 224, 3]\nlayers:\n{layers}")
    code, _, err = dlcalc("conv-shape", conv)
    assert code == 2 and "terminal" in err


# --- low -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [("010", 10), ("−0.5", -0.5), ("1e-3", 0.001), ("+3", 3), ("-.5", -0.5), ("007.50", 7.5)],
)
def test_numbers_are_read_as_people_write_them(tmp_path: Path, written: str, value: float) -> None:
    """Row 16 (and issue 12 item 5): `010` was 8; the Unicode minus was refused."""
    doc = load(write(tmp_path, "p.yaml", f"learning_rate: {written}\n"))
    assert doc.data["learning_rate"] == value


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("0b101", "decimal"),
        ("0x1F", "decimal"),
        ("1:30", "decimal"),
        ('"١٢"', "digits 0-9"),
        ("0,5", "use a decimal point: 0.5"),
    ],
)
def test_other_number_forms_are_refused_with_how_to_write_them(
    tmp_path: Path, written: str, hint: str
) -> None:
    text = MAZUR.replace("learning_rate: 0.5", f"learning_rate: {written}")
    err = refused("backprop", write(tmp_path, "p.yaml", text))
    assert "learning_rate" in err and hint in err


def test_tabs_and_bad_indentation_say_how_to_fix_them(tmp_path: Path) -> None:
    """Issue 12 item 5: tabs and bad indentation gave raw YAML errors."""
    tab = MAZUR.replace(
        "    activation: sigmoid\n    weights:\n      - [0.15",
        "\tactivation: sigmoid\n    weights:\n      - [0.15",
        1,
    )
    assert "indent with spaces" in refused("backprop", write(tmp_path, "p.yaml", tab))
    bad = MAZUR.replace(
        "    activation: sigmoid\n    weights:\n      - [0.15",
        "    activation: sigmoid\n   weights:\n      - [0.15",
        1,
    )
    assert "indentation" in refused("backprop", write(tmp_path, "p.yaml", bad))


def test_comma_decimals_in_a_list_get_a_hint(tmp_path: Path) -> None:
    text = MAZUR.replace("input: [0.05, 0.10]", "input: [0,05, 0,10]")
    err = refused("backprop", write(tmp_path, "p.yaml", text))
    assert "decimal point: 0.05" in err and "line 6" in err


def test_a_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    refused("backprop", str(fifo))


def test_a_symlink_loop_is_named_as_such(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert "loop of symbolic links" in refused("backprop", str(loop))


def test_standard_input_is_read_once(tmp_path: Path) -> None:
    err = refused("check", "-", "-", stdin=MAZUR)
    assert "already read" in err


def test_version() -> None:
    from dlcalc import __version__

    code, out, _ = dlcalc("--version")
    assert code == 0 and out == f"dlcalc {__version__}\n"


def test_matplotlib_writes_nothing_under_home(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPL", "XDG_"))}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlcalc",
            "perceptron",
            str(ROOT / "examples" / "perceptron-trace.yaml"),
        ]
        + ["--plot", str(tmp_path / "t.png"), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**env, "HOME": str(home), "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert list(home.iterdir()) == []
