"""CLI tests for rnn: every format, --carry, --exact, --check, --gradient-flow, errors."""

from __future__ import annotations

import json

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

EXAMPLES_RNN = ["rnn-1unit.yaml", "lstm-gomez.yaml", "gru-1unit.yaml"]


def document(runner, *args: str) -> dict:
    out = runner.invoke(app, ["rnn", *args, "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", EXAMPLES_RNN)
@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "json"])
def test_examples_render_in_every_format(runner, name: str, fmt: str) -> None:
    out = runner.invoke(app, ["rnn", str(EXAMPLES / name), "--format", fmt, "--gradient-flow"])
    assert out.exit_code == 0, out.output
    flow = {
        "rich": "∂s_2/∂s_1",
        "markdown": "∂s_2/∂s_1",
        "latex": r"\frac{\partial s_{2}}{\partial s_{1}}",
    }
    assert flow.get(fmt, "ds_2_ds_1") in out.stdout
    if fmt == "latex":
        assert "?" not in out.stdout.replace("\\text{?}", "@")  # every symbol has a LaTeX form
        assert "\\text{?}" not in out.stdout


def test_json_steps_and_result(runner) -> None:
    doc = document(runner, str(EXAMPLES / "lstm-gomez.yaml"))
    assert doc["command"] == "rnn"
    steps = {s["quantity"]: s for s in doc["steps"]}
    assert steps["f_1"]["substituted"] == "σ(0.1 × 0 + 0.7 × 1 + 0.45 × 2 + 0.15)"
    assert steps["f_1"]["value"] == pytest.approx(0.8519528019683106)
    assert steps["dL_dW_f"]["symbol"] == "∂L/∂W_f"
    assert doc["result"]["time"][1]["gates"]["forget"] == [pytest.approx(0.8703019698552491)]
    assert set(doc["result"]["grad"]["gates"]) == {"input", "forget", "output", "candidate"}


def test_without_c_the_result_leaves_it_out(runner, tmp_path) -> None:
    problem = (EXAMPLES / "rnn-1unit.yaml").read_text().replace("c: [0.0]\n", "")
    path = tmp_path / "p.yaml"
    path.write_text(problem)
    doc = document(runner, str(path))
    result = doc["result"]
    assert "V" in result["grad"] and "c" not in result["grad"] and "c" not in result["parameters"]
    steps = {s["quantity"]: s for s in doc["steps"]}
    assert steps["net_yhat_1"]["formula"] == "V × s_1"
    assert "dL_dc" not in steps and "c_new" not in steps


def test_carry_rounds_result_values(runner) -> None:
    result = document(runner, str(EXAMPLES / "lstm-gomez.yaml"), "--carry", "3")["result"]
    assert result["time"][0]["gates"]["forget"] == [0.852]
    assert result["time"][0]["state"] == [0.786]
    exact = document(runner, str(EXAMPLES / "lstm-gomez.yaml"))["result"]
    assert exact["time"][1]["state"] != result["time"][1]["state"]


def test_exact_values(runner) -> None:
    doc = document(runner, str(EXAMPLES / "rnn-1unit.yaml"), "--exact")
    steps = {s["quantity"]: s for s in doc["steps"]}
    assert steps["s_1"]["exact"] == "tanh(7/10)"
    doc = document(runner, str(EXAMPLES / "lstm-gomez.yaml"), "--exact")
    steps = {s["quantity"]: s for s in doc["steps"]}
    assert "exact" in steps["s_1"]  # f_1 ⊙ s_0 + i_1 ⊙ s̃_1 is read with ⊙ as ×


def test_check_marks_claims_with_error_carried_forward(runner) -> None:
    out = runner.invoke(
        app,
        [
            "rnn",
            str(EXAMPLES / "lstm-gomez.yaml"),
            "--check",
            str(EXAMPLES / "answers" / "lstm-gomez.yaml"),
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 1, out.output
    result = json.loads(out.stdout)["result"]
    assert result["first_wrong"] == "s_1"
    assert [m["name"] for m in result["mismatches"]] == ["s_1"]
    assert {c["name"] for c in result["claims"] if c["status"] == "carried"} == {"tanh_s_1", "h_1"}
    right = {c["name"] for c in result["claims"] if c["status"] == "right"}
    assert {"f_1", "s_2", "∂L/∂W_f"} <= right
    # the same quantity spelled as a result path counts once (issue 23)
    assert {c["name"] for c in result["not_counted"]} == {"grad.gates.forget.W[0][0]"}


def test_check_command_reads_the_command_key(runner, tmp_path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("s_1: 0.6044\nL: 0.2015\ndL_dW: -0.2311\n")
    out = runner.invoke(
        app, ["check", str(EXAMPLES / "rnn-1unit.yaml"), str(answers), "-f", "json"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["result"]["checked"] == 3


def test_gradient_flow_result(runner) -> None:
    result = document(runner, str(EXAMPLES / "lstm-gomez.yaml"), "--gradient-flow")["result"]
    factors = result["gradient_flow"]["factors"]
    assert factors[1] == [[pytest.approx(result["time"][1]["gates"]["forget"][0])]]
    assert "gradient_flow" not in document(runner, str(EXAMPLES / "lstm-gomez.yaml"))["result"]


def test_stdin_and_errors(runner) -> None:
    text = (EXAMPLES / "rnn-1unit.yaml").read_text()
    out = runner.invoke(app, ["rnn", "-", "-f", "json"], input=text)
    assert out.exit_code == 0, out.output
    bad = text.replace("W: [[0.3]]", "W: [[0.3, 0.1]]")
    out = runner.invoke(app, ["rnn", "-"], input=bad)
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    assert "<stdin>, line" in out.output and "W:" in out.output and "1×1" in out.output
    assert len(out.output.strip().splitlines()) == 1
