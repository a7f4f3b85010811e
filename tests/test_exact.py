"""--exact: rationals of the decimals as written and short closed forms, checked against the decimals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.app.cli import app
from dlcalc.maths.exact import attach_exact
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network import solve_backprop
from tests.conftest import EXAMPLES


def exact_steps(runner, *args: str) -> dict[str, str]:
    result = runner.invoke(app, [*args, "--exact", "-f", "json"])
    assert result.exit_code == 0, result.output
    return {s["quantity"]: s["exact"] for s in json.loads(result.stdout)["steps"] if s.get("exact")}


def test_mazur_closed_forms(runner) -> None:
    exact = exact_steps(runner, "backprop", str(EXAMPLES / "mazur.yaml"))
    assert exact["net_h1"] == "151/400"
    assert exact["out_h1"] == "1/(1 + e^(−151/400))"
    assert "E_total" not in exact  # too long to be worth showing: decimals only, and a note


def test_every_step_of_every_example_has_an_exact_value_or_a_note(runner) -> None:
    import yaml

    from dlcalc.app.commands import COMMANDS

    counts = {"exact": 0, "note": 0}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        command = yaml.safe_load(path.read_text())["command"]
        if "exact" not in COMMANDS[command].options:  # gradcheck: float64 central differences
            refused = runner.invoke(app, [command, str(path), "--exact"])
            assert refused.exit_code == 2 and "--exact" in refused.output, path.name
            continue
        result = runner.invoke(app, [command, str(path), "--exact", "-f", "json"])
        assert result.exit_code == 0, (path, result.output)
        for step in json.loads(result.stdout)["steps"]:
            assert "exact" in step, (path.name, step["quantity"])
            if step["exact"] is None:
                assert step["exact_note"], (path.name, step["quantity"])
                counts["note"] += 1
            else:
                counts["exact"] += 1
    assert counts["exact"] > counts["note"]


def test_decimals_as_written_add_exactly(runner, tmp_path: Path) -> None:
    problem = tmp_path / "p.yaml"
    problem.write_text("input: [0.1, 0.2]\nlayers: [{activation: linear, weights: [[1, 1]]}]\n")
    exact = exact_steps(runner, "forward", str(problem))
    assert exact["net_o1"] == "3/10"  # 0.1 + 0.2, not 0.30000000000000004


def test_perceptron_weights_are_fractions(runner) -> None:
    exact = exact_steps(runner, "perceptron", str(EXAMPLES / "perceptron-trace.yaml"))
    assert any(v.endswith("/25") or v.endswith("/50") or v.endswith("/100") for v in exact.values())


def test_rich_output_marks_exact_values(runner) -> None:
    result = runner.invoke(app, ["backprop", str(EXAMPLES / "mazur.yaml"), "--exact"])
    assert "= 151/400  (exact)" in result.output


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.sampled_from([0.1, -0.2, 0.25, 0.5, -0.75, 1.5]), min_size=4, max_size=4),
    st.sampled_from(["sigmoid", "tanh", "linear", "softplus"]),
)
def test_exact_forms_equal_the_decimals(weights: list[float], activation: str) -> None:
    spec = NetworkProblem.model_validate(
        {
            "input": [0.3, -0.1],
            "target": [0.2],
            "learning_rate": 0.5,
            "layers": [
                {"activation": activation, "weights": [weights[:2], weights[2:]]},
                {"activation": "linear", "weights": [[0.5, -0.5]], "bias": 0.1},
            ],
        }
    )
    solution = attach_exact(solve_backprop(spec))
    shown = [s for s in solution.steps if s.exact]
    assert shown
    for step in shown:
        value = float(sympy.sympify(_to_python(step.exact)))  # our own output, never user input
        assert math.isclose(value, step.value, rel_tol=1e-12, abs_tol=1e-12), (
            step.label,
            step.exact,
        )


def _to_python(text: str) -> str:
    return (
        text.replace("−", "-")
        .replace("·", "*")
        .replace("^", "**")
        .replace("e**", "E**")
        .replace("ln(", "log(")
    )


def test_numeric_commands_do_not_import_sympy() -> None:
    import subprocess
    import sys

    for args in (
        ["--help"],
        ["forward", str(EXAMPLES / "bce-binary.yaml")],
        ["backprop", str(EXAMPLES / "mazur.yaml")],
    ):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "dlcalc", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "sympy" not in out.stderr, args
