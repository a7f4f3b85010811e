"""CLI tests for optimize, batchnorm and backprop's training options: formats, check, plot, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

EXAMPLE_FILES = [
    ("optimize", "adam-step.yaml"),
    ("optimize", "momentum-trace.yaml"),
    ("backprop", "mazur-weight-decay.yaml"),
    ("backprop", "mazur-dropout.yaml"),
    ("batchnorm", "batchnorm.yaml"),
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
    out = runner.invoke(app, [command, str(EXAMPLES / name), "--format", fmt])
    assert out.exit_code == 0, out.output
    assert out.stdout.strip()


@pytest.mark.parametrize("command", ["optimize", "batchnorm"])
def test_help_has_examples(runner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"dlcalc {command}" in result.output
    assert "--carry" in result.output and "--check" in result.output


def test_adam_example_rich_shows_every_quantity(runner) -> None:
    out = runner.invoke(app, ["optimize", str(EXAMPLES / "adam-step.yaml")])
    assert out.exit_code == 0, out.output
    for text in (
        "m₁",
        "m̂₁",
        "v̂₁",
        "β₁ × m₀ + (1 − β₁) × g₁",
        "0.9 × 0 + (1 − 0.9) × 10",
        "4.9",
    ):
        assert text in out.stdout


def test_json_steps_carry_formula_and_substitution(runner) -> None:
    d = doc(runner, "optimize", str(EXAMPLES / "adam-step.yaml"))
    assert d["command"] == "optimize"
    assert d["result"]["steps"][0]["m_hat"] == [pytest.approx(10.0)]
    step = next(s for s in d["steps"] if s["quantity"] == "m_hat_1")
    assert step["formula"] == "m₁/(1 − β₁¹)" and step["substituted"] == "1/(1 − 0.9¹)"


def test_check_marks_claims_by_label_and_path(runner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("m_1: 1\nv_hat_1: 100\nw_1: 4.8\nsteps[0].m_hat[0]: 10\n", encoding="utf-8")
    out = runner.invoke(
        app, ["optimize", str(EXAMPLES / "adam-step.yaml"), "--check", str(answers), "-f", "json"]
    )
    assert out.exit_code == 1, out.output
    result = json.loads(out.stdout)["result"]
    assert result["checked"] == 4
    assert [m["name"] for m in result["mismatches"]] == ["w_1"]


def test_check_carries_a_slip_forward_in_batchnorm(runner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    # μ written as 5 (wrong); σ² from that mean is (0+4+9+16+16)/5 = 9: carried forward.
    answers.write_text("mean: 5\nvar: 9\n", encoding="utf-8")
    out = runner.invoke(
        app, ["batchnorm", str(EXAMPLES / "batchnorm.yaml"), "--check", str(answers), "-f", "json"]
    )
    assert out.exit_code == 1, out.output
    result = json.loads(out.stdout)["result"]
    assert result["first_wrong"] == "mean"
    assert [c["name"] for c in result["claims"] if c["status"] == "carried"] == ["var"]


def test_carry_and_exact(runner) -> None:
    d = doc(runner, "batchnorm", str(EXAMPLES / "batchnorm.yaml"), "--carry", "3", "--exact")
    assert d["result"]["std"] == [2.828]
    d = doc(runner, "batchnorm", str(EXAMPLES / "batchnorm.yaml"), "--exact")
    xhat = next(s for s in d["steps"] if s["quantity"] == "xhat_1")
    assert xhat["exact"] == "sqrt(2)/4"


def test_plot_draws_the_path_over_contours(runner, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "path.png"
    out = runner.invoke(
        app, ["optimize", str(EXAMPLES / "momentum-trace.yaml"), "--plot", str(path)]
    )
    assert out.exit_code == 0, out.output
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 10_000


def test_plot_needs_a_loss_of_two_weights(runner, tmp_path: Path) -> None:
    message = error(
        runner, "optimize", str(EXAMPLES / "adam-step.yaml"), "--plot", str(tmp_path / "p.png")
    )
    assert "--plot" in message and "two weights" in message
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    ("command", "text", "words"),
    [
        ("optimize", "start: [1]\nfunction: 'x^2'\n", "function: unknown symbol 'x'"),
        ("optimize", "start: [1]\nfunction: 'bar(w1)'\n", "unknown function 'bar'"),
        (
            "optimize",
            "start: [1, 2]\ngradients: [[1]]\n",
            "gradients[0]: expected 2 gradient values",
        ),
        ("optimize", "start: [1]\ngradients: [[1]]\nsteps: 2\n", "steps: steps is 2"),
        ("optimize", "optimizer: adagrad\nepsilon: 0\nstart: [0]\nfunction: w1^2\n", "epsilon"),
        ("batchnorm", "batch: [[2], [2]]\nepsilon: 0\n", "epsilon: feature 1 has variance 0"),
        ("batchnorm", "batch: [[1, 2]]\ngamma: [1, 2, 3]\n", "gamma: expected 2 values"),
        (
            "backprop",
            "input: [1]\ntarget: [1]\nlearning_rate: 1\ndropout: [[1]]\nlayers:\n- weights: [[1]]\n",
            "dropout: expected 0 masks",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_line_and_field(
    runner, command: str, text: str, words: str
) -> None:
    message = error(runner, command, "-", input=text)
    assert "<stdin>" in message and words in message


def check_result(
    runner, tmp_path: Path, command: str, problem: Path, claims: str, exit_code: int = 1
) -> dict:
    answers = tmp_path / "answers.yaml"
    answers.write_text(claims, encoding="utf-8")
    out = runner.invoke(app, [command, str(problem), "--check", str(answers), "-f", "json"])
    assert out.exit_code == exit_code, out.output
    return json.loads(out.stdout)["result"]


def test_check_recognises_momentum_written_with_minus_eta(runner, tmp_path: Path) -> None:
    problem = tmp_path / "momentum.yaml"
    problem.write_text(
        "optimizer: momentum\nlearning_rate: 0.1\nmomentum: 0.9\nstart: [1]\nfunction: w1^2/2\nsteps: 2\n",
        encoding="utf-8",
    )
    # v = μv − ηg, w = w + v: v₁ = −0.1, v₂ = 0.9·(−0.1) − 0.1·0.9 = −0.18; the weights agree.
    # Two claims follow from it: accepted (dlcalc.grading.conventions), so every claim is ✓ and exit 0.
    result = check_result(
        runner, tmp_path, "optimize", problem, "v_1: -0.1\nv_2: -0.18\nw_2: 0.72\n", 0
    )
    assert "v = μ·v − η·g" in result["convention"]["description"]
    assert result["convention"]["mismatches"] == [] and result["convention"]["accepted"]


def test_check_recognises_epsilon_inside_the_root(runner, tmp_path: Path) -> None:
    problem = tmp_path / "rmsprop.yaml"
    problem.write_text(
        "optimizer: rmsprop\nlearning_rate: 0.1\nepsilon: 0.5\nstart: [1]\nfunction: w1^2\n",
        encoding="utf-8",
    )
    # r₁ = 0.1·4 = 0.4; w₁ = 1 − 0.1·2/√(0.4 + 0.5) = 0.78918 (outside: 1 − 0.2/(0.63246 + 0.5) = 0.82339)
    result = check_result(runner, tmp_path, "optimize", problem, "r_1: 0.4\nw_1: 0.78918\n")
    assert "inside the square root" in result["convention"]["description"]
    assert not result["convention"]["accepted"]  # one claim only: a hint, w_1 stays ✗


def test_check_recognises_weight_decay_with_two_lambda(runner, tmp_path: Path) -> None:
    # ∂J/∂w5 = 0.082167 + 2·0.01·0.4 = 0.090167; w5⁺ = 0.4 − 0.5·0.090167 = 0.354916
    result = check_result(
        runner,
        tmp_path,
        "backprop",
        EXAMPLES / "mazur-weight-decay.yaml",
        "dJ_dw5: 0.090167\nw5_new: 0.354916\n",
        0,
    )
    assert "2λ" in result["convention"]["description"]
    assert result["convention"]["mismatches"] == []


def test_no_convention_note_for_plain_slips(runner, tmp_path: Path) -> None:
    result = check_result(runner, tmp_path, "optimize", EXAMPLES / "adam-step.yaml", "m_1: 2\n")
    assert "convention" not in result
