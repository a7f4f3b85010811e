"""dlcalc.solve / dlcalc.check: the command line's answers, messages and options, from Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dlcalc
from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

MAZUR = str(EXAMPLES / "mazur.yaml")
SOFTMAX = str(EXAMPLES / "softmax-3-4-10-3.yaml")


def cli_json(runner, *args: str) -> dict:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def cli_error(runner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlcalc: error: "), lines
    return lines[0].removeprefix("dlcalc: error: ")


@pytest.mark.parametrize(
    ("cli", "problem", "command", "options"),
    [
        (["backprop", MAZUR], MAZUR, None, {}),
        (
            ["backprop", MAZUR, "--carry", "4", "--exact"],
            MAZUR,
            "backprop",
            {"carry": 4, "exact": True},
        ),
        (
            ["solve", str(EXAMPLES / "hankamber.yaml"), "--carry", "3"],
            str(EXAMPLES / "hankamber.yaml"),
            None,
            {"carry": 3},
        ),
        (
            ["softmax", "3", "4", "10", "3", "--decimals", "2"],
            {"command": "softmax", "logits": [3, 4, 10, 3]},
            None,
            {"decimals": 2},
        ),
        (
            ["softmax", "1", "2", "3", "-t", "2"],
            {"logits": [1, 2, 3]},
            "softmax",
            {"temperature": 2},
        ),
        (
            ["kld", "--p", "0.5,0.5", "--q", "0.9,0.1", "--base", "2"],
            None,
            "kld",
            {"p": [0.5, 0.5], "q": [0.9, 0.1], "base": 2},
        ),
        (
            ["conv-shape", "-i", "227,227,3", "-l", "conv:96:11:4:0", "-l", "maxpool:3:2"],
            None,
            "conv-shape",
            {"input": "227,227,3", "layer": ["conv:96:11:4:0", "maxpool:3:2"]},
        ),
        (["perceptron", str(EXAMPLES / "gates.yaml")], Path(EXAMPLES / "gates.yaml"), None, {}),
        (
            ["graph", "x*y + sin(x)", "--at", "x=0.5,y=2"],
            "x*y + sin(x)",
            "graph",
            {"at": {"x": 0.5, "y": 2}},
        ),
        (
            ["derive", "sigmoid(x)", "--at", "x=0.3"],
            {"command": "derive", "expression": "sigmoid(x)", "at": "x=0.3"},
            None,
            {},
        ),
    ],
)
def test_result_and_steps_are_the_json_documents(runner, cli, problem, command, options) -> None:
    """The same path as the command line: result and steps exactly the JSON document's."""
    expected = cli_json(runner, *cli)
    s = dlcalc.solve(problem, command, **options)
    assert s.command == expected["command"]
    assert s.result == expected["result"]
    assert s.steps == expected["steps"]
    assert json.loads(s.render("json")) == expected


def test_a_dict_problem_is_read_as_its_file(runner) -> None:
    import numpy as np
    import yaml

    data = yaml.safe_load(Path(MAZUR).read_text())
    data["input"] = np.array(data["input"])  # NumPy values are plain numbers here
    data["layers"][0]["weights"] = tuple(tuple(row) for row in data["layers"][0]["weights"])
    s = dlcalc.solve(data)
    assert s.result == cli_json(runner, "backprop", MAZUR)["result"]
    assert s.result["layers"][0]["net"] == [0.3775, pytest.approx(0.3925)]
    assert s["out_h1"] == pytest.approx(0.5932699921071872)
    assert s["δ_o1"] == s["delta_o1"]
    with pytest.raises(KeyError):
        s["no_such_quantity"]


MAZUR_TEXT = Path(MAZUR).read_text()
BAD = {
    "activation.yaml": MAZUR_TEXT.replace("activation: sigmoid", "activation: sigmod", 1),
    "shape.yaml": MAZUR_TEXT.replace("[0.15, 0.20]", "[0.15, 0.20, 0.1]"),
    "syntax.yaml": "input: [0.05, 0.10\ntarget: [0.01]\n",
    "tag.yaml": "input: !!python/object/apply:builtins.print ['pwned']\nlayers: []\n",
    "nameless.yaml": MAZUR_TEXT.replace("command: backprop\n", ""),
}


@pytest.mark.parametrize(
    ("cli", "problem", "command", "options"),
    [
        (["backprop", "activation.yaml"], "activation.yaml", None, {}),
        (["backprop", "shape.yaml"], "shape.yaml", "backprop", {}),
        (["backprop", "syntax.yaml"], "syntax.yaml", "backprop", {}),
        (["solve", "tag.yaml"], "tag.yaml", None, {}),
        (["solve", "nameless.yaml"], "nameless.yaml", None, {}),
        (["backprop", SOFTMAX], SOFTMAX, "backprop", {}),  # a softmax file given to backprop
        (["backprop", "no-such-file.yaml"], "no-such-file.yaml", "backprop", {}),
        (["backprop", MAZUR, "--diagram", "net.png"], MAZUR, None, {"diagram": "net.png"}),
        (
            ["backprop", MAZUR, "--decimals", "3", "--sig", "2"],
            MAZUR,
            None,
            {"decimals": 3, "sig": 2},
        ),
        (["graph", "x*y", "--at", "x=1"], "x*y", "graph", {"at": "x=1"}),
    ],
)
def test_invalid_input_has_the_command_lines_message(
    runner, tmp_path, monkeypatch, cli, problem, command, options
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in BAD.items():
        (tmp_path / name).write_text(text)
    message = cli_error(runner, *cli)
    with pytest.raises(dlcalc.InvalidInput) as raised:
        dlcalc.solve(problem, command, **options)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == message
    assert "line" in message or problem in (MAZUR, "x*y", "no-such-file.yaml", "nameless.yaml")


def test_a_dict_problem_names_itself_in_messages() -> None:
    with pytest.raises(
        dlcalc.InvalidInput, match=r"^<dict>: layers\[0\]\.activation: .*'sigmoidd'"
    ):
        dlcalc.solve(
            {
                "command": "forward",
                "input": [1],
                "layers": [{"activation": "sigmoidd", "weights": [[1]]}],
            }
        )
    with pytest.raises(dlcalc.InvalidInput, match="missing key 'command'"):
        dlcalc.solve({"logits": [1, 2]})
    with pytest.raises(dlcalc.InvalidInput, match="not a number, text, list or mapping"):
        dlcalc.solve({"command": "softmax", "logits": [object()]})


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"decimals": "many"}, "decimals: expected a whole number; got 'many'"),
        ({"decimals": 99}, "decimals: expected a number from 0 to 15"),
        ({"every_step": "yes"}, "every_step: expected True or False"),
        ({"format": "pdf"}, "format: expected one of rich, markdown, latex, json, html"),
        ({"temperature": 2}, "`backprop` has no option temperature=2"),
        ({"every_stepp": True}, "did you mean"),
    ],
)
def test_options_are_checked_like_the_command_lines(options, words) -> None:
    with pytest.raises(dlcalc.InvalidInput) as raised:
        dlcalc.solve(MAZUR, **options)
    assert words in str(raised.value)


def test_problem_and_numbers_together_are_refused() -> None:
    with pytest.raises(dlcalc.InvalidInput, match="not both"):
        dlcalc.solve({"command": "kld", "p": [0.5, 0.5], "q": [0.5, 0.5]}, p=[0.1, 0.9])
    with pytest.raises(dlcalc.InvalidInput, match="unknown command 'softmaxx'.*softmax"):
        dlcalc.solve({"logits": [1]}, command="softmaxx")
    with pytest.raises(dlcalc.InvalidInput, match="expected a problem file's path or a dict"):
        dlcalc.solve(42)


def test_check_returns_the_marks_of_dlcalc_check(runner) -> None:
    answers = str(EXAMPLES / "answers" / "mazur.yaml")
    expected = cli_json(runner, "check", MAZUR, answers)
    marked = dlcalc.check(MAZUR, answers)
    assert marked.result == expected["result"]
    assert marked.wrong and marked.result["mismatches"][0]["name"] == "out_h1"
    assert marked.marks["out_h1"] == "wrong" and marked.marks["net_h1"] == "right"
    assert "✗" in marked._repr_html_()
    claims = {"out_h1": 0.5933, "delta_o1": 0.1385, "w5⁺": 0.3589}
    right = dlcalc.check(MAZUR, claims)
    assert right.result["checked"] == 3 and right.result["mismatches"] == []
    assert not right.wrong
    with pytest.raises(dlcalc.InvalidInput, match=r"^<answers>, line 1: no_such: no quantity"):
        dlcalc.check(MAZUR, {"no_such": 1})


def test_files_are_written_as_by_the_command_line(tmp_path: Path) -> None:
    s = dlcalc.solve(MAZUR, output=tmp_path / "m.md", diagram=str(tmp_path / "m.dot"))
    assert (tmp_path / "m.md").read_text().startswith("# Step-by-step backpropagation")
    assert (tmp_path / "m.dot").read_text() == s.diagram("dot")
    with pytest.raises(dlcalc.InvalidInput, match="`softmax` has no option diagram="):
        dlcalc.solve({"command": "softmax", "logits": [1, 2]}, diagram=str(tmp_path / "s.dot"))
    assert not (tmp_path / "s.dot").exists()


def test_a_newly_registered_command_works_in_the_api() -> None:
    """A command registered the usual way needs nothing else to be solved from Python."""
    from dlcalc.app.commands import COMMANDS, register
    from dlcalc.model.steps import Section, Solution, Step

    @register("double", options=("carry",))
    def build_double(doc, settings) -> Solution:
        """Double a number."""
        x = doc.data["x"]
        return Solution("double", [Section("Double", [Step("y", 2 * x)])], {"y": 2 * x})

    try:
        assert dlcalc.solve({"command": "double", "x": 21}).result == {"y": 42}
        with pytest.raises(dlcalc.InvalidInput, match="`double` has no option exact=True"):
            dlcalc.solve({"command": "double", "x": 1}, exact=True)
    finally:
        del COMMANDS["double"]


def test_the_display_is_html_markdown_and_latex() -> None:
    s = dlcalc.solve(MAZUR)
    bundle = s._repr_mimebundle_()
    html = bundle["text/html"]
    assert html == s._repr_html_() and bundle["text/plain"] == repr(s)
    assert html.startswith('<div class="dlcalc-solution">') and html.endswith("</div>")
    for value in ("0.3775", "0.5933", "0.1385", "0.3589"):
        assert value in html
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org", "")
    assert "<details open>" in html  # a short solution: every section open
    assert "\\section*{Step-by-step" in s._repr_latex_()
    assert "\\documentclass" not in s._repr_latex_()
    assert "| net" in s._repr_markdown_() or "net" in s._repr_markdown_()
    six = s.view(decimals=6)._repr_html_()
    assert "0.377500" in six and "0.377500" not in html


def test_a_long_solution_is_folded_by_section() -> None:
    s = dlcalc.solve(MAZUR, every_step=True)
    long = dlcalc.solve({**_mazur(), "epochs": 3}, every_step=True)
    assert len(long.steps) > 40
    html = long._repr_html_()
    opened = html.count("<details open>")
    assert opened == 2 and html.count("<details>") == len(long.solution.sections) - 2
    assert "click a section's heading" in html
    assert "<details>" not in s._repr_html_()


def _mazur() -> dict:
    import yaml

    return yaml.safe_load(Path(MAZUR).read_text())


def test_user_text_is_escaped_in_the_display() -> None:
    data = {**_mazur(), "title": "<script>alert(1)</script> & co"}
    data["layers"][0]["units"] = ["<b>h", "h&2"]
    html = dlcalc.solve(data)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>h" not in html.replace("<b>h1", "")


def test_show_prints_the_text_outside_a_notebook(capsys) -> None:
    dlcalc.solve({"command": "softmax", "logits": [3, 4, 10, 3]}).show(decimals=6)
    out = capsys.readouterr().out
    assert "0.995716" in out and "Softmax" in out
    with pytest.raises(dlcalc.InvalidInput, match="decimals"):
        dlcalc.solve(MAZUR).show(decimals=-1)


def test_import_dlcalc_is_light() -> None:
    """import dlcalc (and solving a numeric problem and showing it as HTML) loads no SymPy,
    Rich or Typer."""
    code = (
        "import sys, dlcalc\n"
        "light = not {'sympy', 'rich', 'typer'} & set(sys.modules)\n"
        f"s = dlcalc.solve({MAZUR!r}); s._repr_html_(); s.result\n"
        "after = sorted({'sympy', 'rich', 'typer'} & set(sys.modules))\n"
        "print(light, after)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "True []", out.stdout + out.stderr


def test_check_takes_the_tolerance_of_dlcalc_check(runner) -> None:
    assert not dlcalc.check(MAZUR, {"out_h1": 0.59}).wrong  # ±0.005 as written
    strict = dlcalc.check(MAZUR, {"out_h1": 0.59}, tol=0.001)
    assert strict.wrong and strict.result["mismatches"][0]["name"] == "out_h1"
    with pytest.raises(dlcalc.InvalidInput, match="tol: expected a number"):
        dlcalc.check(MAZUR, {"out_h1": 0.59}, tol=-1)


def test_format_goes_with_output(tmp_path: Path) -> None:
    with pytest.raises(dlcalc.InvalidInput, match=r"^format: chooses the format of the file"):
        dlcalc.solve(MAZUR, format="json")
    dlcalc.solve(MAZUR, format="json", output=tmp_path / "m.txt")
    assert json.loads((tmp_path / "m.txt").read_text())["command"] == "backprop"


def test_a_solution_too_long_for_html_says_so(monkeypatch) -> None:
    from dlcalc import limits

    s = dlcalc.solve(MAZUR)
    monkeypatch.setattr(limits, "MAX_TERMINAL_STEPS", 10)
    html = s._repr_html_()
    assert "worked steps; the terminal (and HTML, .txt) shows at most 10" in html
    assert "<table" not in html and s._repr_markdown_() is not None
    monkeypatch.setattr(limits, "MAX_STEPS", 10)
    assert s._repr_markdown_() is None and s._repr_latex_() is None


def test_the_python_in_the_docs_runs(monkeypatch, capsys) -> None:
    """Every ```python block of docs/notebooks.md and README's notebook section runs as written."""
    import re

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    blocks = []
    for page in ("docs/notebooks.md", "README.md"):
        blocks += re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), re.S)
    assert len(blocks) >= 4
    names: dict = {}
    for block in blocks:
        exec(block, names)  # noqa: S102 - the documentation's own examples
    marked = names["marked"]
    assert (
        f"marked.result[\"summary\"]   # '{marked.result['summary']}'"
        in (ROOT / "docs" / "notebooks.md").read_text()
    )
    assert "<dict>: layers[0].weights: each row needs 2 weights" in capsys.readouterr().out
