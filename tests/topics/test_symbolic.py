"""--symbolic: SymPy's chain rule against the numeric backward pass on random networks."""

from __future__ import annotations

import random

import pytest

from dlcalc.app.cli import app
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network import solve_backprop
from dlcalc.topics.symbolic import Symbolic, backward_sections
from tests.conftest import ROOT

MAZUR = str(ROOT / "tests" / "data" / "mazur-backprop.yaml")  # the slide network, no command: key
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear"]
OUTPUT = [
    ("sigmoid", "half_sse"),
    ("sigmoid", "bce"),
    ("tanh", "mse"),
    ("linear", "sse"),
    ("softmax", "cross_entropy"),
    ("softplus", "half_sse"),
]


def random_network(seed: int) -> NetworkProblem:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 3) for _ in range(rng.randint(1, 3))]
    n_in = rng.randint(1, 3)
    out_act, loss = OUTPUT[seed % len(OUTPUT)]
    n_out = rng.randint(2, 3) if out_act == "softmax" else rng.randint(1, 3)
    layers = []
    width = n_in
    for k, size in enumerate([*sizes[:-1], n_out]):
        last = k == len(sizes) - 1
        layers.append(
            {
                "activation": out_act if last else rng.choice(HIDDEN),
                "weights": [
                    [round(rng.uniform(-1, 1), 3) for _ in range(width)] for _ in range(size)
                ],
                "bias": [round(rng.uniform(-0.5, 0.5), 3) for _ in range(size)],
            }
        )
        width = size
    if out_act == "softmax":
        target = [0.0] * n_out
        target[rng.randrange(n_out)] = 1.0
    elif loss == "bce":
        target = [rng.choice([0.0, 1.0, 0.3]) for _ in range(n_out)]
    else:
        target = [round(rng.uniform(-1, 1), 2) for _ in range(n_out)]
    return NetworkProblem.model_validate(
        {
            "input": [round(rng.uniform(-1, 1), 2) for _ in range(n_in)],
            "target": target,
            "learning_rate": 0.1,
            "loss": loss,
            "layers": layers,
        }
    )


@pytest.mark.parametrize("seed", range(18))
def test_symbolic_equals_numeric_gradients(seed: int) -> None:
    spec = random_network(seed)
    numeric = solve_backprop(spec).result["layers"]
    _, grads = backward_sections(Symbolic(spec))
    for layer, expected in zip(grads, numeric):
        for row, expected_row in zip(layer, expected["grad_weights"]):
            assert row == pytest.approx(expected_row, rel=1e-12, abs=1e-12)


def test_mazur_symbolic_values() -> None:
    from dlcalc.specs.loader import load
    from dlcalc.specs.network import load_network

    sym = Symbolic(load_network(load(MAZUR), training=True))
    sections, grads = backward_sections(sym)
    steps = {s.label: s for section in sections for s in section.steps}
    w5 = steps["symbolic:dE_dw5"]
    assert w5.formula() == "−(t1 − out_o1) × out_o1 × (1 − out_o1) × out_h1"
    assert round(w5.value, 9) == 0.082167041
    w1 = steps["symbolic:dE_dw1"]
    assert (
        w1.formula()
        == "(−(t1 − out_o1) × out_o1 × (1 − out_o1) × w5 − (t2 − out_o2) × out_o2 × (1 − out_o2) × w7)"
        " × out_h1 × (1 − out_h1) × x1"
    )
    assert round(w1.value, 9) == 0.000438568
    paths = steps["symbolic:dE_dw1:chain"]
    assert paths.formula().count(" + ") == 1 and "∂net_o2/∂out_h1" in paths.formula()
    assert round(paths.value, 9) == 0.000438568


def test_cli_backprop_symbolic_golden(runner, golden) -> None:
    result = runner.invoke(app, ["backprop", MAZUR, "--symbolic", "--decimals", "9"])
    assert result.exit_code == 0, result.output
    assert result.output.index("Symbolic") < result.output.index("Forward pass")
    golden("mazur-symbolic.txt", result.output)


def test_cli_symbolic_formats(runner) -> None:
    result = runner.invoke(app, ["backprop", MAZUR, "--symbolic", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert '"formula": "−(t1 − out_o1) × out_o1 × (1 − out_o1) × out_h1"' in result.output
    latex = runner.invoke(app, ["forward", MAZUR, "--symbolic", "-f", "latex"])
    assert latex.exit_code == 0 and "\\sigma" in latex.output
