"""batchnorm: forward and backward against torch's batch_norm and autograd, and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.specs.batchnorm import load_batchnorm
from dlcalc.specs.loader import Document, parse_yaml
from dlcalc.topics.batchnorm import solve_batchnorm


def solve(data: dict, carry: int | None = None):
    return solve_batchnorm(load_batchnorm(Document(data, "test.yaml")), carry)


values = st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def problems(draw: st.DrawFn) -> dict:
    m = draw(st.integers(2, 6))
    n = draw(st.integers(1, 3))
    batch = [[draw(values) for _ in range(n)] for _ in range(m)]
    for k in range(n):  # keep every feature's variance clear of 0
        batch[0][k] = batch[1][k] + 1.5
    return {
        "batch": batch,
        "gamma": [draw(st.floats(0.2, 3)) for _ in range(n)],
        "beta": [draw(values) for _ in range(n)],
        "epsilon": draw(st.sampled_from([1e-12, 1e-5, 0.1])),  # torch refuses 0 in training
        "grad_output": [[draw(values) for _ in range(n)] for _ in range(m)],
    }


@settings(max_examples=60, deadline=None)
@given(problems())
def test_forward_and_backward_match_torch(problem: dict) -> None:
    torch = pytest.importorskip("torch")
    result = solve(problem).result
    x = torch.tensor(problem["batch"], dtype=torch.float64, requires_grad=True)
    gamma = torch.tensor(problem["gamma"], dtype=torch.float64, requires_grad=True)
    beta = torch.tensor(problem["beta"], dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.batch_norm(
        x, None, None, gamma, beta, training=True, eps=problem["epsilon"]
    )
    y.backward(torch.tensor(problem["grad_output"], dtype=torch.float64))
    np.testing.assert_allclose(result["output"], y.detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["mean"], x.detach().numpy().mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(result["variance"], x.detach().numpy().var(axis=0), atol=1e-9)
    np.testing.assert_allclose(result["grad_input"], x.grad.numpy(), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(result["grad_gamma"], gamma.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["grad_beta"], beta.grad.numpy(), rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_backward_matches_finite_differences(problem: dict) -> None:
    """L = Σ grad_output·y, so ∂L/∂x is the gradient the backward pass must give."""
    result = solve(problem).result
    base = np.array(problem["batch"], dtype=float)
    dy = np.array(problem["grad_output"], dtype=float)

    def loss(batch: np.ndarray) -> float:
        y = solve({**problem, "batch": batch.tolist()}).result["output"]
        return float(np.sum(dy * np.array(y)))

    h = 1e-6
    i, k = 0, 0
    for i, k in [(0, 0), (len(base) - 1, base.shape[1] - 1)]:
        up, down = base.copy(), base.copy()
        up[i, k] += h
        down[i, k] -= h
        numeric = (loss(up) - loss(down)) / (2 * h)
        assert result["grad_input"][i][k] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_the_worked_example_exactly() -> None:
    solution = solve(
        {"batch": [[5], [3], [2], [1], [9]], "epsilon": 0, "grad_output": [[1], [2], [3], [4], [5]]}
    )
    result = solution.result
    assert result["mean"] == [4.0] and result["variance"] == [8.0]
    assert result["normalized"][0][0] == pytest.approx(1 / math.sqrt(8))
    assert result["grad_beta"] == [15.0]
    var = solution.step("var")
    assert var is not None and var.note is not None and "m = 5" in var.note
    assert var.formula() == "((x₁ − μ)² + (x₂ − μ)² + (x₃ − μ)² + (x₄ − μ)² + (x₅ − μ)²)/5"
    dx = solution.step("dx_1")
    assert dx is not None and dx.formula() == "γ/s × (∂L/∂y₁ − ∂L/∂β/5 − x̂₁ × ∂L/∂γ/5)"
    assert dx.recompute({}) == pytest.approx(dx.value)


def test_several_features_have_their_own_labels() -> None:
    solution = solve({"batch": [[1, 2], [3, 6]], "gamma": [2, 1], "beta": [0, 1]})
    assert solution.step("xhat_2_1") is not None and solution.step("mean_2") is not None
    assert solution.result["output"][0][1] == pytest.approx(1 - 2 / math.sqrt(4 + 1e-5))


def test_carry_rounds_each_quantity() -> None:
    result = solve({"batch": [[1], [2], [4]], "epsilon": 0}, carry=2).result
    assert result["variance"] == [1.56]
    assert result["normalized"][0][0] == round(-1.33 / 1.25, 2)


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("batch: [[1], [1], [1]]\nepsilon: 0\n", "epsilon", "variance 0"),
        ("batch: [[1, 2], [3, 4]]\ngamma: [1]\n", "gamma", "expected 2 values"),
        ("batch: [[1, 2], [3, 4]]\nbeta: [1, 2, 3]\n", "beta", "expected 2 values"),
        ("batch: [[1], [3]]\ngrad_output: [[1], [2], [3]]\n", "grad_output", "2 rows of 1"),
        ("batch: [[1], [3]]\nepsilon: -1\n", "epsilon", "at least 0"),
        ("batch: [1, 2]\n", "batch", "row 0"),
        ("batch: [[1], [2]]\ngama: [1]\n", "gama", "gamma"),
    ],
)
def test_bad_problems_name_their_field(text: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as e:
        load_batchnorm(parse_yaml(text, "bn.yaml"))
    assert (e.value.field or "").startswith(field)
    assert words in str(e.value)
