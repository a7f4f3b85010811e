"""CLI tests of the training options and the gradcheck, init and early-stopping commands:
every format, --exact, check with error carried forward, bad input, forward on a backprop file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

EXAMPLE_FILES = [
    ("backprop", "mazur-l2"),
    ("backprop", "minibatch-l1"),
    ("backprop", "mazur-clip"),
    ("backprop", "lr-schedule-backprop"),
    ("optimize", "optimize-clip-schedule"),
    ("optimize", "adam-warmup"),
    ("backprop", "lr-cosine-backprop"),
    ("backprop", "early-stopping-backprop"),
    ("gradcheck", "gradcheck-softmax-l2"),
    ("init", "init-xavier"),
    ("init", "init-he-seed"),
    ("early-stopping", "early-stopping"),
]


def doc(runner, *args: str) -> dict:
    out = runner.invoke(app, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def error(runner, *args: str, input: str | None = None) -> str:
    out = runner.invoke(app, list(args), input=input)
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == 1, out.output
    return out.output


@pytest.mark.parametrize(("command", "name"), EXAMPLE_FILES)
@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "json"])
def test_examples_in_every_format(runner, command: str, name: str, fmt: str) -> None:
    out = runner.invoke(app, [command, str(EXAMPLES / f"{name}.yaml"), "--format", fmt])
    assert out.exit_code == 0, out.output
    assert out.stdout.strip()


@pytest.mark.parametrize("command", ["gradcheck", "init", "early-stopping"])
def test_help_has_examples(runner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"dlcalc {command}" in result.output


def test_regularised_cost_and_decay_factor_steps(runner) -> None:
    d = doc(runner, "backprop", str(EXAMPLES / "mazur-l2.yaml"))
    steps = {s["quantity"]: s for s in d["steps"]}
    assert steps["penalty"]["formula"].startswith("λ/(2 × m) × (w1² + w2²")
    assert steps["cost"]["value"] == pytest.approx(d["result"]["cost"])
    assert steps["dJ_dw5"]["formula"] == "∂E/∂w5 + λ/m × w5"
    assert steps["w5_new"]["formula"] == "(1 − η × λ/m) × w5 − η × ∂E/∂w5"
    assert d["result"]["penalty"] == pytest.approx(0.0565)


def test_minibatch_labels_and_mean_over_the_batch(runner) -> None:
    d = doc(runner, "backprop", str(EXAMPLES / "minibatch-l1.yaml"), "--every-step")
    steps = {s["quantity"]: s for s in d["steps"]}
    # batch 1 of epoch 1 is written under the plain labels, batch 2 under @b2
    assert steps["dE_dw5"]["formula"] == "(∂E⁽¹⁾/∂w5 + ∂E⁽²⁾/∂w5)/2"
    assert steps["dE_dw5@b2"]["formula"] == "(∂E⁽³⁾/∂w5 + ∂E⁽⁴⁾/∂w5)/2"
    assert steps["dJ_dw5"]["formula"] == "∂E/∂w5 + λ/m × sign(w5)"
    assert d["result"]["batches"] == [[1, 2], [3, 4]]


def test_clip_and_schedule_steps(runner) -> None:
    d = doc(runner, "optimize", str(EXAMPLES / "optimize-clip-schedule.yaml"))
    steps = {s["quantity"]: s for s in d["steps"]}
    assert steps["eta_2"]["substituted"] == "0.1 × 0.9^(2 − 1)"
    assert steps["clip_factor_1"]["formula"] == "min(1, c/‖g‖₁)"
    first = d["result"]["steps"][0]
    assert first["gradient_norm"] == pytest.approx((2.5**2 + 10**2) ** 0.5)
    assert first["learning_rate"] == 0.1


def test_exact_values_of_the_new_steps(runner) -> None:
    d = doc(runner, "init", str(EXAMPLES / "init-xavier.yaml"), "--exact")
    steps = {s["quantity"]: s for s in d["steps"]}
    assert steps["variance_1"]["exact"] == "1/520"
    assert steps["std_1"]["exact"] == "sqrt(130)/260"  # from the variance's exact value
    d = doc(runner, "backprop", str(EXAMPLES / "mazur-l2.yaml"), "--exact")
    steps = {s["quantity"]: s for s in d["steps"]}
    assert steps["penalty"]["exact"] == "113/2000"


def test_check_carries_a_slip_in_the_regularised_gradient_forward(runner, tmp_path: Path) -> None:
    d = doc(runner, "backprop", str(EXAMPLES / "mazur-l2.yaml"))
    steps = {s["quantity"]: s["value"] for s in d["steps"]}
    wrong = steps["dE_dw5"] + 0.02 + 0.1 * 0.4  # a slip in ∂J/∂w5
    w5 = 0.4 - 0.5 * steps["dE_dw5"] - 0.5 * 0.1 * 0.4  # the decay-factor form uses ∂E/∂w5
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        f"dJ_dw5: {wrong:.4f}\nw5_new: {w5:.4f}\npenalty: 0.0565\n", encoding="utf-8"
    )
    out = runner.invoke(
        app, ["backprop", str(EXAMPLES / "mazur-l2.yaml"), "--check", str(answers), "-f", "json"]
    )
    assert out.exit_code == 1, out.output
    result = json.loads(out.stdout)["result"]
    assert result["first_wrong"] == "dJ_dw5"
    assert [m["name"] for m in result["mismatches"]] == ["dJ_dw5"]


def test_check_marks_gradcheck_and_early_stopping_claims(runner, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("best_5: 0.55\nwait_5: 1\nwait_7: 3\n", encoding="utf-8")
    out = runner.invoke(
        app, ["early-stopping", str(EXAMPLES / "early-stopping.yaml"), "--check", str(answers)]
    )
    assert out.exit_code == 0, out.output
    answers.write_text("numeric_w1: 0.05\n", encoding="utf-8")
    out = runner.invoke(
        app, ["gradcheck", str(EXAMPLES / "gradcheck-softmax-l2.yaml"), "--check", str(answers)]
    )
    assert out.exit_code == 1, out.output


def test_forward_reads_a_backprop_file(runner) -> None:
    d = doc(runner, "forward", str(EXAMPLES / "mazur-l2.yaml"))
    assert d["command"] == "forward"
    assert d["result"]["loss"] == pytest.approx(0.2983711087600027)
    assert any("backprop problem" in n for n in d.get("notes", []))
    # ... but a forward file (no command: backprop) still refuses a training key
    message = error(
        runner,
        "forward",
        "-",
        input="input: [1]\nregularization: {lambda: 0.1}\nlayers:\n- weights: [[1]]\n",
    )
    assert "regularization is a training option" in message


def test_gradcheck_epsilon_option_and_backprop_epsilon(runner) -> None:
    d = doc(runner, "gradcheck", str(EXAMPLES / "mazur.yaml"))
    assert d["result"]["epsilon"] == 1e-4
    d = doc(runner, "gradcheck", str(EXAMPLES / "mazur.yaml"), "--epsilon", "1e-6")
    assert d["result"]["epsilon"] == 1e-6
    assert d["result"]["max_relative_error"] < 1e-5


@pytest.mark.parametrize(
    ("command", "text", "words"),
    [
        (
            "backprop",
            "input: [1]\ntarget: [1]\nlearning_rate: 1\nweight_decay: 0.1\n"
            "regularization: {lambda: 0.1}\nlayers:\n- weights: [[1]]\n",
            "weight_decay: give either `regularization:`",
        ),
        (
            "backprop",
            "examples: [{input: [1], target: [1]}]\nlearning_rate: 1\nmode: online\nbatch_size: 2\n"
            "layers:\n- weights: [[1]]\n",
            "mode: batch_size gives mini-batches",
        ),
        (
            "backprop",
            "input: [1]\ntarget: [1]\nlearning_rate: 1\nbatch_size: 2\nlayers:\n- weights: [[1]]\n",
            "batch_size: batch_size splits `examples:`",
        ),
        (
            "backprop",
            "input: [1]\ntarget: [1]\nlearning_rate: 1\nclip: {norm: 1, value: 1}\nlayers:\n- weights: [[1]]\n",
            "clip: give either `norm: c`",
        ),
        (
            "optimize",
            "start: [1]\nfunction: w^2\nschedule: {kind: step, gamma: 0.5}\n",
            "schedule: a step schedule needs `step_size:`",
        ),
        (
            "optimize",
            "start: [1]\nfunction: w^2\nschedule: {kind: exponential, gamma: 0.5, total: 3}\n",
            "schedule.total: an exponential schedule takes gamma",
        ),
        (
            "backprop",
            "input: [1]\ntarget: [1]\nlearning_rate: 1\nregularization: {lambda: 0.1, kind: l3}\n"
            "layers:\n- weights: [[1]]\n",
            "regularization.kind",
        ),
        (
            "backprop",
            "input: [1]\ntarget: [1]\nlearning_rate: 1\nregularization: {lamda: 0.1}\n"
            "layers:\n- weights: [[1]]\n",
            "did you mean 'lambda'",
        ),
        (
            "backprop",
            "examples: [{input: [1], target: [1]}]\nlearning_rate: 1\nlayers:\n- weights: [[1]]\n"
            "early_stopping: {patience: 2, validation: [{input: [1, 2], target: [1]}]}\n",
            "early_stopping.validation[0].input: expected 1 input values",
        ),
        (
            "backprop",
            "examples: [{input: [1], target: [1]}]\nlearning_rate: 1\nlayers:\n- weights: [[1]]\n"
            "early_stopping: {patience: 0, validation: [{input: [1], target: [1]}]}\n",
            "early_stopping.patience: expected a patience",
        ),
        ("init", "scheme: xavier_uniform\nsizes: [3]\n", "sizes: expected at least two"),
        ("init", "scheme: glorot\nsizes: [3, 2]\n", "scheme"),
        (
            "early-stopping",
            "validation_loss: [1, 2]\npatience: 0\n",
            "patience: expected a patience",
        ),
        (
            "early-stopping",
            "validation_loss: [1, 2]\ntraining_loss: [1]\npatience: 1\n",
            "training_loss: expected 2 rows",
        ),
        (
            "gradcheck",
            "command: gradcheck\ninput: [1]\ntarget: [1]\nepsilon: 0\nlayers:\n- weights: [[1]]\n",
            "epsilon: expected ε above 0",
        ),
        ("gradcheck", "input: [1]\nlayers:\n- weights: [[1]]\n", "gradcheck needs a target"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_field(
    runner, command: str, text: str, words: str
) -> None:
    message = error(runner, command, "-", input=text)
    assert "<stdin>" in message and words in message
