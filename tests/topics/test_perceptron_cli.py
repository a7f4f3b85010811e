"""The `perceptron` and `delta` commands: goldens, JSON, --help, --plot and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

CASES = [
    ("perceptron", "perceptron-trace"),
    ("perceptron", "four-classes"),
    ("perceptron", "gates"),
    ("delta", "delta-rule"),
]


@pytest.mark.parametrize(("command", "name"), CASES)
def test_markdown_and_latex_render(runner, command: str, name: str) -> None:
    for fmt in ("markdown", "latex"):
        result = runner.invoke(app, [command, str(EXAMPLES / f"{name}.yaml"), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert "Epoch 1" in result.output or "Input 1" in result.output


def test_trace_json(runner) -> None:
    result = runner.invoke(
        app, ["perceptron", str(EXAMPLES / "perceptron-trace.yaml"), "-f", "json"]
    )
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["command"] == "perceptron"
    assert len(doc["result"]["epochs"]) == 38
    assert doc["result"]["epochs"][-1] == {"epoch": 38, "weights": [-1.04, 0.02, 0.18], "errors": 0}
    steps = {s["quantity"]: s for s in doc["steps"]}
    assert steps["wx_4@1"]["substituted"] == "0.5 × 1 + 0.5 × 4 + 0.5 × 5"
    assert steps["w1@1.4"]["value"] == 0.42


def test_every_step_writes_out_every_epoch(runner) -> None:
    args = ["perceptron", str(EXAMPLES / "perceptron-trace.yaml"), "-f", "json"]
    short = json.loads(runner.invoke(app, args).output)
    full = json.loads(runner.invoke(app, [*args, "--every-step"]).output)
    assert "wx_1@20" not in {s["quantity"] for s in short["steps"]}
    assert "wx_1@20" in {s["quantity"] for s in full["steps"]}
    assert full["result"] == short["result"]


def test_delta_json(runner) -> None:
    result = runner.invoke(app, ["delta", str(EXAMPLES / "delta-rule.yaml"), "-f", "json"])
    doc = json.loads(result.output)
    assert doc["result"]["epochs"][0] == {"epoch": 1, "weights": [0.1, 0.1, 0.1], "error": 12.99}


@pytest.mark.parametrize(
    ("command", "name", "suffix"),
    [("perceptron", "perceptron-trace", ".png"), ("delta", "delta-rule", ".svg")],
)
def test_plot_files(runner, tmp_path: Path, command: str, name: str, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / f"figure{suffix}"
    result = runner.invoke(
        app, [command, str(EXAMPLES / f"{name}.yaml"), "--plot", str(path), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 5_000
    json.loads(result.output)  # the plot does not disturb standard output


def test_plot_refuses_other_formats(runner, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["perceptron", str(EXAMPLES / "perceptron-trace.yaml"), "--plot", str(tmp_path / "x.jpg")],
    )
    assert result.exit_code == 2
    assert ".png or .svg" in result.output
    assert not (tmp_path / "x.jpg").exists()


def test_plot_of_an_evaluation_is_refused(runner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["perceptron", str(EXAMPLES / "gates.yaml"), "--plot", str(tmp_path / "x.png")]
    )
    assert result.exit_code == 2
    assert "training run" in result.output


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        (
            "perceptron",
            "data: {rows: [[1, 2, a]]}\nlearning_rate: 0.1\npositive: a\nmax_epoch: 3\n",
            "line 4: max_epoch: unknown key 'max_epoch' (did you mean 'max_epochs'?)",
        ),
        (
            "perceptron",
            "data: {rows: [[1, 2, a], [2, 1, b]]}\nlearning_rate: 0.1\n",
            "positive: say which label is the positive class",
        ),
        (
            "perceptron",
            "data: {rows: [[1, 2, a]]}\nlearning_rate: 0.1\npositive: a\noutputs: [0, 2]\n",
            "outputs: expected [-1, 1] or [0, 1]",
        ),
        (
            "perceptron",
            "perceptrons: [{weights: [1, 1], threshold: 1}]\nclassify: [[1, 1, 1]]\n",
            "classify[0]: expected 2 input values",
        ),
        (
            "perceptron",
            "perceptrons: [{weights: [1, 1]}, {weights: [1, 0]}]\ncodes: {a: [1]}\nclassify: [[1, 1]]\n",
            "codes.a: expected 2 outputs",
        ),
        (
            "delta",
            "data: {rows: [[1, 2, 3]]}\nlearning_rate: 0.1\nepochs: 0\n",
            "epochs: expected a whole number of epochs",
        ),
        (
            "delta",
            "data: {rows: [[1, 2, 3], [1, 2]]}\nlearning_rate: 0.1\n",
            "data.rows[1]: expected 3 values",
        ),
    ],
)
def test_invalid_input_exits_2_with_one_line(
    runner, tmp_path: Path, command: str, text: str, message: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
