"""The delta rule against the acceptance numbers and an independent floating-point implementation."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.render.numbers import fmt
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.perceptron import DeltaProblem, load_delta
from dlcalc.topics.delta import solve_delta
from tests.conftest import EXAMPLES


def problem(doc: str | dict) -> DeltaProblem:
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc)
    return load_delta(parse_yaml(text, "problem.yaml"))


def oracle(rows, w, eta, mode, epochs):
    """Gradient descent on o = w·x, written plainly in floats."""
    history = []
    for k in range(1, epochs + 1):
        outs = [w[0] + sum(a * b for a, b in zip(w[1:], r[:-1])) for r in rows]
        history.append((k, list(w), 0.5 * sum((r[-1] - o) ** 2 for r, o in zip(rows, outs))))
        if mode == "batch":
            dw = [0.0] * len(w)
            for r, o in zip(rows, outs):
                for i, xi in enumerate([1, *r[:-1]]):
                    dw[i] += eta * (r[-1] - o) * xi
            w = [a + b for a, b in zip(w, dw)]
        else:
            for r in rows:
                o = w[0] + sum(a * b for a, b in zip(w[1:], r[:-1]))
                w = [wi + eta * (r[-1] - o) * xi for wi, xi in zip(w, [1, *r[:-1]])]
    return history, w


def test_example_epochs() -> None:
    result = solve_delta(problem((EXAMPLES / "delta-rule.yaml").read_text())).result
    assert [e["error"] for e in result["epochs"]] == pytest.approx(
        [12.99, 2.981475, 1.04536921875, 0.648799598203125, 0.5476428850587891], abs=1e-12
    )
    assert result["epochs"][1]["weights"] == pytest.approx([0.56, 0.655, 0.52], abs=1e-12)
    assert result["weights"] == pytest.approx(
        [0.86341521875, 1.02420653125, 0.95074609375], abs=1e-12
    )


def test_steps_show_every_delta_with_numbers() -> None:
    solution = solve_delta(problem((EXAMPLES / "delta-rule.yaml").read_text()))
    e1 = solution.step("E@1")
    assert e1 is not None and float(e1.value) == pytest.approx(12.99)
    assert e1.substituted(fmt) == "½ × ((1 − 0.2)² + (2 − 0.2)² + (3.2 − 0.3)² + (4.1 − 0.4)²)"
    d1 = solution.step("delta_w1@1")
    assert d1 is not None and float(d1.value) == pytest.approx(0.555)
    assert (
        d1.substituted(fmt)
        == "0.05 × ((1 − 0.2) × 1 + (2 − 0.2) × 0 + (3.2 − 0.3) × 1 + (4.1 − 0.4) × 2)"
    )
    for step in solution.steps:
        if step.computed:
            assert float(step.recompute({})) == pytest.approx(float(step.value), abs=1e-12), (
                step.label
            )
    labels = [s.label for s in solution.steps]
    assert len(labels) == len(set(labels))


def test_stochastic_labels_unique_and_recompute() -> None:
    text = (EXAMPLES / "delta-rule.yaml").read_text().replace("mode: batch", "mode: stochastic")
    solution = solve_delta(problem(text), every_step=True)
    labels = [s.label for s in solution.steps]
    assert len(labels) == len(set(labels))
    assert solution.step("w2@1.4") is not None
    for step in solution.steps:
        if step.computed:
            assert float(step.recompute({})) == pytest.approx(float(step.value), abs=1e-12), (
                step.label
            )


def test_long_runs_stay_fast_and_close_to_the_least_squares_fit() -> None:
    text = (EXAMPLES / "delta-rule.yaml").read_text().replace("epochs: 5", "epochs: 2000")
    result = solve_delta(problem(text)).result
    assert result["weights"] == pytest.approx(
        [-0.05, 1.05, 2.1], abs=1e-9
    )  # the normal equations' solution


def test_invalid_input() -> None:
    with pytest.raises(InputError, match="target t must be a number"):
        problem({"data": {"rows": [[1, "a"]]}, "learning_rate": 0.1})
    with pytest.raises(InputError, match="expected 2 weights"):
        problem({"data": {"rows": [[1, 2]]}, "learning_rate": 0.1, "initial_weights": [1, 2, 3]})
    with pytest.raises(InputError, match="learning_rate"):
        problem({"data": {"rows": [[1, 2]]}})


small = st.integers(-20, 20).map(lambda n: n / 10)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(small, min_size=3, max_size=3), min_size=1, max_size=5),
    w=st.lists(small, min_size=3, max_size=3),
    eta=st.sampled_from([0.01, 0.05, 0.1]),
    mode=st.sampled_from(["batch", "stochastic"]),
    epochs=st.integers(1, 6),
)
def test_matches_an_independent_implementation(rows, w, eta, mode, epochs) -> None:
    spec = problem(
        {
            "data": {"rows": rows},
            "initial_weights": w,
            "learning_rate": eta,
            "mode": mode,
            "epochs": epochs,
        }
    )
    result = solve_delta(spec).result
    history, final = oracle(rows, w, eta, mode, epochs)
    assert [e["epoch"] for e in result["epochs"]] == [k for k, _, _ in history]
    for got, (_, ws, err) in zip(result["epochs"], history):
        assert got["weights"] == pytest.approx(ws, abs=1e-9)
        assert got["error"] == pytest.approx(err, abs=1e-9)
    assert result["weights"] == pytest.approx(final, abs=1e-9)
