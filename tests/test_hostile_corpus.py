"""Every command against a corpus of hostile inputs: malformed YAML, tags, aliases, deep
nesting, control characters, markup, huge names and huge numbers.

For each input and command: exit status 0 or 2 (1 for ``check`` with wrong answers), at
most one line on standard error (exactly one, ``dlcalc: error: …``, on exit 2), no
traceback, no "internal error", no raw ESC in any output format, no live script in HTML,
and under 10 s of CPU (the test machine is shared; a hang is caught by a 60 s wall-clock
bound).  Runs in-process with typer's CliRunner to stay fast.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlcalc.app.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# A valid problem per command, with the places a hostile value goes: {title}, {name}, {number}.
TEMPLATES = {
    "forward": (
        "title: {title}\ninput: [0.05, {number}]\ntarget: [0.01, 0.99]\nlearning_rate: 0.5\n"
        "layers:\n  - units: [{name}, h2]\n    weights: [[0.15, 0.2], [0.25, 0.3]]\n    bias: 0.35\n"
        "  - units: [o1, o2]\n    weights: [[0.4, 0.45], [0.5, 0.55]]\n    bias: 0.6\n"
    ),
    "perceptron": (
        "title: {title}\ndata:\n  columns: [{name}, x2, class]\n  rows:\n"
        "    - [1, {number}, Green]\n    - [4, 5, Red]\n    - [8, 9, Green]\n    - [1, 2, Red]\n"
        "positive: Green\ninitial_weights: [0.5, 0.5, 0.5]\nlearning_rate: 0.1\nmax_epochs: 20\n"
    ),
    "delta": (
        "title: {title}\ndata:\n  columns: [{name}, x2, t]\n  rows:\n"
        "    - [1, 0, 1]\n    - [0, 1, {number}]\n    - [1, 1, 3.2]\n"
        "initial_weights: [0.1, 0.1, 0.1]\nlearning_rate: 0.05\nmode: batch\nepochs: 3\n"
    ),
    "conv-shape": (
        "title: {title}\ninput: [32, 32, 3]\nlayers:\n  - conv: {{filters: 8, kernel: 3, stride: {number}}}\n"
        "  - maxpool: {{kernel: 2}}\n  - flatten: {{}}\n  - dense: {{units: 10}}\n"
    ),
    "softmax": "title: {title}\nlogits: [1, {number}, 3]\n",
    "crossentropy": "title: {title}\ntarget: [0, 0, 1]\nprobabilities: [0.2, 0.3, {number}]\n",
    "kld": "title: {title}\np: [0.5, 0.5]\nq: [{number}, 0.1]\n",
}
BASE = {"title": "Worked example", "name": "x1", "number": "0.5"}

# Values put in one place of a valid problem.
TITLES = [
    '"\\e]0;owned\\a\\e[2J All answers correct"',
    '"[link=x\\"><script>alert(1)</script>]click[/link]"',
    "'<script>alert(1)</script>'",
    "'[x](javascript:alert(1))'",
    "'bad $\\foo{$ \\input{/etc/passwd}'",
    '"a\\u202egnp.exe"',
    '"line one\\nline two"',
    '"' + "T" * 250 + '"',
    "'| a | b |'",
    '"\\x9b2J"',
]
NAMES = [
    '"\\e[31mred"',
    '"[bold]x[/bold]"',
    "'<img src=x onerror=alert(1)>'",
    '"x\\n# forged"',
    '"' + "n" * 65 + '"',
    '"' + "n" * 64 + '"',
    "'`code`'",
    "'&L x'",
]
NUMBERS = [
    "9" * 5000,
    "9" * 61,
    "1e999",
    "-1e999",
    ".nan",
    ".inf",
    "0e99999",
    "010",
    "0x10",
    "0b101",
    "1:30",
    "'١٢'",
    "−0.25",
    "0,5",
    "1e-320",
    "!!float 1",
    "*alias",
]
# Whole files.
RAW = {
    "brackets": "[" * 3000,
    "braces": "{a: " * 200,
    "deep-list": "x: " + "[" * 60 + "]" * 60 + "\n",
    "unclosed": "input: [0.05, 0.10\ntarget: [0.01]\n",
    "tab": "input:\n\t- 1\n",
    "indent": "a:\n  b: 1\n c: 2\n",
    "python-tag": "input: !!python/object/apply:os.system ['echo owned']\n",
    "binary-tag": "title: !!binary aGVsbG8=\n",
    "set-tag": "input: !!set {a, b}\n",
    "local-tag": "input: !custom 1\n",
    "anchor-alias": "a: &x [1, 2]\ninput: *x\n",
    "merge-key": "base: &b {input: [1]}\n<<: *b\n",
    "scalar-alias": "title: &t hello\nsource: *t\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "list-root": "- 1\n- 2\n",
    "scalar-root": "just text\n",
    "empty": "",
    "comments-only": "# nothing\n",
    "nul": "a: 1\x00\n",
    "not-utf8": b"title: \xff\xfe\n",
    "esc-key": '"\\e[2Jkey": 1\n',
    "newline-key": '"a\\nb": 1\n',
    "complex-key": "? [a, b]\n: 1\n",
    "duplicate": "title: a\ntitle: b\n",
    "bom": "\ufefftitle: x\n",
    "huge-line": "title: " + "x" * 250_000 + "\n",
    "control-in-plain": "title: a\x07b\n",
    "bidi": "title: \u202eevil\n",
}
ANSWERS = {
    "esc-key": '"\\e[2Jout_h1": 0.5933\n',
    "esc-value": 'out_h1: "\\e]0;All answers correct\\a"\n',
    "markup-value": "out_h1: '[link=x\"><script>alert(1)</script>]0.5'\n",
    "huge-fraction": "out_h1: " + "9" * 5000 + "/1\n",
    "huge-exponent": "out_h1: 0e" + "9" * 5000 + "\n",
    "alias": "a: &v 0.5\nout_h1: *v\n",
    "deep": "out_h1: " + "[" * 3000 + "\n",
    "unicode-digits": "out_h1: '٠.٥'\n",
    "wrong": "out_h1: 0.1\n",
    "right": "out_h1: 0.5933\n",
}
FORMATS = (["-f", "json"], ["-f", "markdown"], ["-f", "latex"], [])


def corpus() -> list[tuple[str, str, str | bytes]]:
    """(command, case name, file contents) for every template and hostile value."""
    cases: list[tuple[str, str, str | bytes]] = []
    for command, template in TEMPLATES.items():
        for place, values in (("title", TITLES), ("name", NAMES), ("number", NUMBERS)):
            if place == "name" and "{name}" not in template:
                continue
            for k, value in enumerate(values):
                text = template.format(**{**BASE, place: value})
                if value == "*alias":
                    text = "anchor: &alias 1\n" + text
                cases.append((command, f"{place}{k}", text))
        for name, text in RAW.items():
            if command in ("forward", "softmax"):  # whole-file cases: twice is enough
                cases.append((command, name, text))
    return cases


def run(args: list[str], stdin: str | None = None) -> tuple[int, str, str, float]:
    start, wall = time.process_time(), time.monotonic()
    result = CliRunner().invoke(app, args, input=stdin)
    took = time.process_time() - start  # CPU time: the machine is shared; wall time catches hangs
    assert time.monotonic() - wall < 60, f"{args}: hung"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr, took


def assert_clean(
    args: list[str], code: int, out: str, err: str, took: float, ok: tuple[int, ...]
) -> None:
    where = " ".join(a if len(a) < 60 else a[:57] + "..." for a in args)
    assert code in ok, f"{where}: exit {code}: {err[:300]}"
    assert took < 10, f"{where}: took {took:.1f} s of CPU"
    assert "Traceback" not in err and "internal error" not in err, f"{where}: {err[:500]}"
    assert err.count("\n") <= 1, f"{where}: stderr has {err.count(chr(10))} lines: {err[:500]}"
    if code == 2:
        assert err.startswith("dlcalc: error: ") and err.endswith("\n"), f"{where}: {err[:300]}"
    assert "\x1b" not in err, f"{where}: raw ESC on stderr"
    assert "\x1b" not in out, f"{where}: raw ESC on stdout"


CASES = corpus()


@pytest.mark.parametrize(("command", "name", "text"), CASES, ids=[f"{c}-{n}" for c, n, _ in CASES])
def test_every_command_survives_the_corpus(
    command: str, name: str, text: str | bytes, tmp_path: Path
) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    args = [command, str(path)]
    code, out, err, took = run(args + ["-f", "json"])
    assert_clean(args, code, out, err, took, (0, 2))
    if code != 0 or name.startswith("number"):  # numbers: JSON is enough; text: every format
        return
    for fmt in FORMATS[1:]:  # it was solved: every format must be clean too
        code, out, err, took = run(args + fmt)
        assert_clean(args + fmt, code, out, err, took, (0, 2))
    html = tmp_path / "out.html"
    code, out, err, took = run(args + ["-o", str(html)])
    assert_clean(args + ["-o", "out.html"], code, out, err, took, (0, 2))
    if code == 0:
        page = html.read_text(encoding="utf-8")
        assert "\x1b" not in page
        for tag in ("<script", "<img", 'href="x"', 'href="javascript'):
            assert tag not in page.lower(), f"{name}: live markup in HTML ({tag})"


@pytest.mark.parametrize("name", list(ANSWERS))
def test_check_survives_hostile_answers(name: str, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS[name], encoding="utf-8")
    problem = str(EXAMPLES / "mazur.yaml")
    for fmt in FORMATS:
        args = ["check", problem, str(answers), *fmt]
        code, out, err, took = run(args)
        assert_clean(args, code, out, err, took, (0, 1, 2))


@pytest.mark.parametrize(
    "args",
    [
        ["softmax", "\x1b[2J", "1"],
        ["softmax", "9" * 5000, "1"],
        ["softmax", "1e999", "1"],
        ["softmax", "[bold]1[/bold]", "2"],
        ["crossentropy", "--target", "0,1", "--probabilities", "\x1b]0;x\x07,0.5"],
        ["kld", "--p", "0.5,0.5", "--q", "1e-320,1"],
        ["kld", "--mu", "1", "--sigma", "1e-320"],
        ["derive", "\x1b[2J"],
        ["derive", "9^9^9"],
        ["derive", "x" + "+x" * 400],
        ["derive", "(" * 500 + "x" + ")" * 500],
        ["derive", "exp(exp(exp(exp(x))))", "--at", "x=100"],
        ["graph", "x^2", "--at", "x=\x1b[2J"],
        ["graph", "x*y", "--at", "x=1e308,y=1e308"],
        ["conv-shape", "-i", "224,224,3", "-l", "conv:\x1b[2J:3"],
        ["conv-shape", "-i", "9" * 100 + ",1,1", "-l", "flatten"],
        ["forward", "no\nsuch\x1b[2J.yaml"],
        ["forward", "/dev/null"],
        ["forward", "/"],
        ["check", "-", "-"],
        ["key", str(EXAMPLES / "mazur.yaml"), "--title", "\x1b]0;x\x07"],
        ["key", str(EXAMPLES / "mazur.yaml"), "--title", "<script>alert(1)</script>"],
    ],
    ids=lambda a: " ".join(a)[:40].encode("unicode_escape").decode(),
)
def test_command_line_corpus(args: list[str]) -> None:
    code, out, err, took = run(args, stdin="title: x\n")
    assert_clean(args, code, out, err, took, (0, 2))
