"""gan, vae, attention from the command line: check with error carried forward, key, JSON, bad files."""

from __future__ import annotations

import json
from pathlib import Path

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES


def statuses(result: dict) -> dict[str, str]:
    """Each claim's verdict from check's JSON result."""
    return {c["name"]: c["status"] for c in result["claims"]}


def test_check_carries_an_early_slip_forward(runner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    # σ₁ misread as 0.9600; z₁ = 0.5 + 0.96 × 0.3 = 0.788 follows from it; KL is right.
    answers.write_text("sigma_1: 0.9600\nz_1: 0.7880\nKL: 0.1723\ngrad_mu: [0.6, -0.6]\n")
    result = runner.invoke(
        app, ["check", str(EXAMPLES / "vae-step.yaml"), str(answers), "-f", "json"]
    )
    assert result.exit_code == 1, result.output
    status = statuses(json.loads(result.output)["result"])
    assert status == {"sigma_1": "wrong", "z_1": "carried", "KL": "right", "grad_mu": "right"}


def test_check_attention_weight_slip_carries_into_the_output(runner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    solved = json.loads(
        runner.invoke(app, ["attention", str(EXAMPLES / "attention.yaml"), "-f", "json"]).output
    )
    steps = {s["quantity"]: s["value"] for s in solved["steps"]}
    wrong = round(steps["A_1_1"] + 0.05, 4)  # then O₁,₁ = Σ A₁ⱼ·V_j,1 with the wrong A₁,₁
    o11 = wrong * 1 + steps["A_1_2"] * 3 + steps["A_1_3"] * 5
    answers.write_text(f"A_1_1: {wrong}\nO_1_1: {o11:.4f}\nweights[0][1]: {steps['A_1_2']:.4f}\n")
    result = runner.invoke(
        app, ["check", str(EXAMPLES / "attention.yaml"), str(answers), "-f", "json"]
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)["result"]
    assert doc["first_wrong"] == "A_1_1"
    assert statuses(doc) == {"A_1_1": "wrong", "O_1_1": "carried", "weights[0][1]": "right"}


def test_masked_scores_are_minus_infinity_in_json(runner) -> None:
    result = runner.invoke(
        app, ["attention", str(EXAMPLES / "attention-masked.yaml"), "-f", "json"]
    )
    assert result.exit_code == 0
    scores = json.loads(result.output)["result"]["scores"]
    assert scores[0][1] == "-inf" and scores[0][2] == "-inf" and isinstance(scores[0][0], float)


def test_key_takes_every_new_example(runner, tmp_path: Path) -> None:
    out = tmp_path / "key.md"
    names = ["gan-losses", "gan-logits", "vae-step", "attention", "attention-masked"]
    result = runner.invoke(
        app, ["key", *(str(EXAMPLES / f"{n}.yaml") for n in names), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "L_D" in text and "∂L/∂μ₁" in text and "A₂,₁" in text


def test_a_zero_real_probability_names_file_and_field(runner, tmp_path: Path) -> None:
    problem = tmp_path / "bad.yaml"
    problem.write_text("command: gan\nreal: [0.9, 0.0]\nfake: [0.3]\n")
    result = runner.invoke(app, ["gan", str(problem)])
    assert result.exit_code == 2
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "bad.yaml, line 2" in line and "real[1]" in line and "ln D(x)" in line
