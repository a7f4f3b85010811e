"""Issue 22's table, one test per row: --exact, --carry and check on conv, rnn, optimize and batchnorm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def exact_of(runner: Any, args: list[str]) -> dict[str, Any]:
    """label → (exact, exact_note) of every step of a --exact JSON run."""
    out = runner.invoke(app, [*args, "--exact", "-f", "json"])
    assert out.exit_code == 0, out.output
    steps = json.loads(out.output)["steps"]
    return {s["quantity"]: (s.get("exact"), s.get("exact_note")) for s in steps}


def verdicts(runner: Any, problem: str, answers: str, *options: str) -> dict[str, str]:
    out = runner.invoke(app, ["check", problem, answers, *options, "-f", "json"])
    assert out.exit_code in (0, 1), out.output
    result = json.loads(out.output)["result"]
    sign = {"right": "✓", "carried": "↪", "wrong": "✗"}
    return {c["name"]: sign[c["status"]] for c in result["claims"]}


# --- A: --exact prints exact fractions --------------------------------------------------------


def test_a_conv_exact_uses_the_pooled_fraction(runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path,
        "p.yaml",
        "input: [[1, 2, 0], [0, 1, 0], [0, 1, 0]]\n"
        "layers: [{avgpool: {kernel: 3}}, {conv: {kernel: [[2]]}}]\n",
    )
    exact = exact_of(runner, ["conv", problem])
    assert exact["y[0][0][0]"] == ("10/9", None)


def test_a_adagrad_exact_with_weight_decay(runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path,
        "p.yaml",
        "optimizer: adagrad\nlearning_rate: 1\nepsilon: 0.01\nweight_decay: 0.1\n"
        "start: [1.9]\ngradients: [[-1.87], [0.6]]\n",
    )
    exact = exact_of(runner, ["optimize", problem])
    assert exact["g_reg_2"][0] == "15031/16900"


def test_a_momentum_exact_third_step(runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path,
        "p.yaml",
        "optimizer: momentum\nlearning_rate: 0.5\nmomentum: 0.9\nstart: [-0.1]\n"
        'function: "2*w1^2 + 0.25*w1^3"\nsteps: 3\n',
    )
    exact = exact_of(runner, ["optimize", problem])
    assert exact["v_3"][0] == "36371690273867/104857600000000"


def test_a_batchnorm_variance_exact(runner, tmp_path: Path) -> None:
    problem = write(tmp_path, "p.yaml", "batch: [[1], [2], [4]]\nepsilon: 0\n")
    exact = exact_of(runner, ["batchnorm", problem])
    assert exact["var"] == ("14/9", None)
    assert exact["std"][0] == "sqrt(14)/3"


# --- B: --carry rounds a conv cell's per-channel parts ----------------------------------------


def test_b_carry_rounds_each_channel_part(runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path,
        "p.yaml",
        "input: [[[0.5]], [[0.5]]]\nlayers: [{conv: {kernel: [[[0.25]], [[0.25]]]}}]\n",
    )
    out = runner.invoke(app, ["conv", problem, "--carry", "2", "-f", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    values = {s["quantity"]: s["value"] for s in doc["steps"]}
    assert values["y[0][0][0]@c0"] == values["y[0][0][0]@c1"] == pytest.approx(0.13)
    assert values["y[0][0][0]"] == pytest.approx(0.26)
    assert doc["result"]["output"] == [[[pytest.approx(0.26)]]]


# --- C: batchnorm --carry with a carried s of 0 -----------------------------------------------


def test_c_batchnorm_carry_to_zero_is_an_input_error(runner, tmp_path: Path) -> None:
    problem = write(tmp_path, "p.yaml", "batch: [[2.25], [2.2]]\n")
    out = runner.invoke(app, ["batchnorm", problem, "--carry", "2"])
    assert out.exit_code == 2
    message = out.output.strip()
    assert "\n" not in message and "Traceback" not in message and "internal" not in message
    assert "--carry" in message and "rounds to 0" in message and "epsilon" in message


def test_c_batchnorm_underflow_is_an_input_error(runner, tmp_path: Path) -> None:
    problem = write(tmp_path, "p.yaml", "batch: [[1e-300], [2e-300]]\nepsilon: 0\n")
    out = runner.invoke(app, ["batchnorm", problem])
    assert out.exit_code == 2 and "epsilon" in out.output and "internal" not in out.output


# --- D: error carried forward re-decides relu slopes and max-pool routes ----------------------


def test_d_relu_slope_redecided_from_the_students_values(runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path,
        "p.yaml",
        "command: conv\ninput: [[-1, 3]]\nlayers: [{conv: {kernel: [[1]]}}, {activation: relu}]\n"
        "grad_output: [[2, 1]]\n",
    )
    answers = write(
        tmp_path,
        "a.yaml",
        "y[0][0][0]: 1\na[0][0][0]: 1\ngrad_y[0][0][0]: 2\ngrad_K[0][0][0][0]: 1\n",
    )
    assert verdicts(runner, problem, answers) == {
        "y[0][0][0]": "✗",
        "a[0][0][0]": "↪",
        "grad_y[0][0][0]": "↪",
        "grad_K[0][0][0][0]": "↪",
    }


def test_d_max_pool_route_redecided_from_the_students_values(runner, tmp_path: Path) -> None:
    # y = x·1: the window's maximum is y₁₂ = 3; a student who wrote y₁₁ = 5 routes the
    # gradient to y₁₁, so ∂L/∂y₁₁ = 2 and ∂L/∂y₁₂ = 0 follow from their own value.
    problem = write(
        tmp_path,
        "p.yaml",
        "command: conv\ninput: [[1, 3]]\n"
        "layers: [{conv: {kernel: [[1]]}}, {maxpool: {kernel: [1, 2]}}]\ngrad_output: [[2]]\n",
    )
    answers = write(
        tmp_path,
        "a.yaml",
        "y[0][0][0]: 5\npool[0][0][0]: 5\ngrad_y[0][0][1]: 0\ngrad_K[0][0][0][0]: 2\n",
    )
    assert verdicts(runner, problem, answers) == {
        "y[0][0][0]": "✗",
        "pool[0][0][0]": "↪",
        "grad_y[0][0][1]": "↪",
        "grad_K[0][0][0][0]": "↪",
    }


# --- E: check accepts the labels the docs list ------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "answers"),
    [
        ("rnn-1unit.yaml", "dL_dU[1,1]: -0.1978\nU_new[1,2]: 0.2160\n"),
        ("lstm-gomez.yaml", "dL_dU_f[1,2]: -0.01892\nU_f_new[1,2]: 0.4519\n"),
    ],
)
def test_e_rnn_matrix_labels(runner, tmp_path: Path, problem: str, answers: str) -> None:
    marks = verdicts(runner, str(EXAMPLES / problem), write(tmp_path, "a.yaml", answers))
    assert set(marks.values()) == {"✓"} and len(marks) == 2


def test_e_conv_channel_part_and_unreached_cells(runner, tmp_path: Path) -> None:
    two = write(
        tmp_path,
        "two.yaml",
        "command: conv\ninput: [[[0.5]], [[0.5]]]\n"
        "layers: [{conv: {kernel: [[[0.25]], [[0.25]]]}}]\n",
    )
    marks = verdicts(runner, two, write(tmp_path, "a.yaml", "y[0][0][0]@c0: 0.125\n"))
    assert marks == {"y[0][0][0]@c0": "✓"}
    strided = write(
        tmp_path,
        "s.yaml",
        "command: conv\ninput: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\n"
        "layers: [{conv: {kernel: [[1]], stride: 2}}]\ngrad_output: [[1, 2], [3, 4]]\n",
    )
    answers = write(tmp_path, "b.yaml", "grad_x[0][0][1]: 0\ngrad_x[0][1][1]: 1\n")
    assert verdicts(runner, strided, answers) == {
        "grad_x[0][0][1]": "✓",
        "grad_x[0][1][1]": "✗",
    }


def test_e_unknown_label_still_fails_with_suggestions(runner, tmp_path: Path) -> None:
    answers = write(tmp_path, "a.yaml", "dL_dU[9,9]: 1\n")
    out = runner.invoke(app, ["check", str(EXAMPLES / "rnn-1unit.yaml"), answers])
    assert out.exit_code == 2 and "no quantity or result path named" in out.output


# --- also found: structural links, "from your values", the class report -----------------------

RNN_NO_V = (
    "command: rnn\ncell: rnn\ninputs: [[1, 2], [0.5, 3]]\ntargets: [[0.5], [1.25]]\n"
    "loss: half_sse\nlearning_rate: 0.1\nstate0: [0]\nU: [[0.5, 0.1]]\nW: [[0.3]]\nb: [0.0]\n"
)


def test_result_paths_link_structurally(runner, tmp_path: Path) -> None:
    """A vector path (time[1].y, ŷ = s without V) follows from a wrong s_1: carried, not wrong."""
    problem = write(tmp_path, "p.yaml", RNN_NO_V)
    answers = write(
        tmp_path, "a.yaml", "s_1: 0.70\ntime[1].y: [0.6411]\ntime[1].state[0]: 0.6411\n"
    )
    assert verdicts(runner, problem, answers) == {
        "s_1": "✗",
        "time[1].y": "↪",
        "time[1].state[0]": "↪",
    }


def test_wrong_late_claim_shows_what_the_students_values_give(runner, tmp_path: Path) -> None:
    answers = write(tmp_path, "a.yaml", "out_h1: 0.65\nw5_new: 0.30\n")
    out = runner.invoke(app, ["check", str(EXAMPLES / "mazur.yaml"), answers, "-f", "json"])
    assert out.exit_code == 1, out.output
    wrong = {m["name"]: m for m in json.loads(out.output)["result"]["mismatches"]}
    assert "from_your_values" not in wrong["out_h1"]
    assert wrong["w5_new"]["from_your_values"] == pytest.approx(0.35525, abs=1e-4)
    text = runner.invoke(app, ["check", str(EXAMPLES / "mazur.yaml"), answers]).output
    assert "from your values 0.3552" in text


def test_class_report_marks_around_unknown_names(runner, tmp_path: Path) -> None:
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    (sheets / "s10.yaml").write_text("a5: 0.6\nw47+: 0.1\nout_h2: 0.5969\n", encoding="utf-8")
    (sheets / "s2.yaml").write_text("out_h1: 0.5933\n", encoding="utf-8")
    report = tmp_path / "marks.csv"
    out = runner.invoke(
        app,
        [
            "check",
            str(EXAMPLES / "mazur.yaml"),
            str(sheets / "s10.yaml"),
            str(sheets / "s2.yaml"),
            "--report",
            str(report),
        ],
    )
    assert out.exit_code in (0, 1), out.output
    import csv

    rows = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert [r["student"] for r in rows] == ["s2", "s10"]  # natural order
    s10 = rows[1]
    assert s10["claims"] == "2" and "w47+" in s10["error"]  # the rest is marked
    assert s10["first_wrong"] == "a5"  # as the student wrote it, not out_h1


def test_every_label_and_result_path_of_every_example_is_a_claim() -> None:
    """Row E for every command: each JSON quantity and each path into result is accepted."""
    from dlcalc.app.commands import COMMANDS
    from dlcalc.app.settings import Settings
    from dlcalc.grading.checking import Claim, Index, resolve, result_paths
    from dlcalc.specs.loader import load

    checked = 0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = load(str(path))
        command = doc.data.get("command")
        if command not in COMMANDS:
            continue
        solution = COMMANDS[command].build(doc, Settings())
        index = Index.of(solution)
        names = [s.label for s in solution.iter_steps()]
        names += list(solution.paths) + result_paths(index.result, limit=300)
        verdicts = resolve(index, [Claim(n, 0.0, "0", 0.5) for n in dict.fromkeys(names)])
        checked += len(verdicts)
    assert checked > 1000


@pytest.mark.parametrize(
    "example",
    [
        "conv-backward.yaml",
        "conv-relu-maxpool.yaml",
        "rnn-1unit.yaml",
        "lstm-gomez.yaml",
        "gru-1unit.yaml",
        "batchnorm.yaml",
        "adam-step.yaml",
        "momentum-trace.yaml",
    ],
)
def test_result_paths_name_the_steps_that_show_them(example: str) -> None:
    """Solution.paths: each path's number is the value of the step it names."""
    from dlcalc.app.commands import COMMANDS
    from dlcalc.app.settings import Settings
    from dlcalc.grading.checking import Index, resolve_path
    from dlcalc.specs.loader import load

    doc = load(str(EXAMPLES / example))
    solution = COMMANDS[doc.data["command"]].build(doc, Settings())
    index = Index.of(solution)
    linked = 0
    for path, label in solution.paths.items():
        value = resolve_path(index.result, path)
        if label in index.by_label:
            linked += 1
            assert float(index.by_label[label].value) == pytest.approx(value, abs=1e-12)
    assert linked >= 4


# --- found on the way: --carry rounded values the solution does not write ---------------------


def test_carry_nesterov_rounds_only_written_values(runner, tmp_path: Path) -> None:
    problem = write(
        tmp_path,
        "p.yaml",
        "optimizer: nesterov\nlearning_rate: 0.1\nmomentum: 0.9\nstart: [0.2, -0.2]\n"
        'function: "w1^2 + 0.5*w1*w2 + 2*w2^2"\nsteps: 2\nweight_decay: 0.1\n',
    )
    out = runner.invoke(app, ["optimize", problem, "--carry", "3", "-f", "json"])
    values = {s["quantity"]: s["value"] for s in json.loads(out.output)["steps"]}
    # 0.139 − 0.1 × (0.261 + 0.9 × 0.549) = 0.06349: the unwritten 0.7551 is not rounded first
    assert values["w1_2"] == pytest.approx(0.063)


def test_carry_dropout_rounds_only_written_values(runner) -> None:
    out = runner.invoke(
        app, ["backprop", str(EXAMPLES / "mazur-dropout.yaml"), "--carry", "2", "-f", "json"]
    )
    values = {s["quantity"]: s["value"] for s in json.loads(out.output)["steps"]}
    # (0.14 × 0.4 + (−0.04) × 0.5) × 1/(1 − 0.5) = 0.072: the sum 0.036 is not rounded on its own
    assert values["dE_dout_h1"] == pytest.approx(0.07)


def test_carry_rounds_the_perceptron_boundary(runner) -> None:
    out = runner.invoke(
        app,
        ["perceptron", str(EXAMPLES / "perceptron-trace.yaml"), "--carry", "2", "-f", "json"],
    )
    values = {s["quantity"]: s["value"] for s in json.loads(out.output)["steps"]}
    assert values["x2_intercept"] == pytest.approx(5.78)
    assert values["x2_slope"] == pytest.approx(-0.11)


@pytest.mark.parametrize("carry", [2, 3])
def test_every_example_under_carry_writes_what_its_numbers_give(carry: int) -> None:
    """--carry for every command: a step's value is its formula at the written numbers, rounded."""
    from numbers import Real

    from dlcalc.app.commands import COMMANDS
    from dlcalc.app.settings import Settings
    from dlcalc.maths.numerics import rounder
    from dlcalc.specs.loader import load

    rnd = rounder(carry)
    checked = 0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = load(str(path))
        command = doc.data.get("command")
        if command not in COMMANDS or "carry" not in COMMANDS[command].options:
            continue
        solution = COMMANDS[command].build(doc, Settings(carry=carry))
        for step in solution.iter_steps():
            if not step.computed or isinstance(step.value, bool):
                continue
            if not isinstance(step.value, Real):
                continue
            value = step.recompute({})
            if isinstance(value, Real) and not isinstance(value, bool):
                assert float(step.value) == pytest.approx(float(rnd(value)), abs=1e-12), (
                    f"{path.name}: {step.label}"
                )
                checked += 1
    assert checked > 500
