"""optimize: every optimizer against torch.optim and against a plain-Python re-implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.render.numbers import fmt
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.optimize import OPTIMIZERS, load_optimize
from dlcalc.topics.optimize import Hyper, apply, new_state, solve_optimize

# A loss of two weights whose gradient both sides compute independently:
# f = a·w1² + b·w2² + c·w1·w2 + (w1 − w2)⁴/4
COEFFS = (1.5, 0.5, -0.3)


def loss_text() -> str:
    a, b, c = COEFFS
    return f"{a}*w1^2 + {b}*w2^2 + ({c})*w1*w2 + (w1 - w2)^4/4"


def gradient(w: list[float]) -> list[float]:
    a, b, c = COEFFS
    d = (w[0] - w[1]) ** 3
    return [2 * a * w[0] + c * w[1] + d, 2 * b * w[1] + c * w[0] - d]


def reference(h: Hyper, start: list[float], steps: int) -> list[list[float]]:
    """The contract's update rules written out again, scalar by scalar, with no NumPy."""
    w = list(start)
    state = {k: [0.0] * len(w) for k in ("v", "a", "r", "m", "s")}
    path = []
    for t in range(1, steps + 1):
        grads = gradient(w)
        new = []
        for i, (wi, gi) in enumerate(zip(w, grads)):
            lam = h.weight_decay
            g = gi + lam * wi if h.optimizer != "adamw" else gi
            eta, eps = h.learning_rate, h.epsilon
            if h.optimizer == "sgd":
                wi = wi - eta * g
            elif h.optimizer in ("momentum", "nesterov"):
                state["v"][i] = h.momentum * state["v"][i] + g
                step = (
                    state["v"][i] if h.optimizer == "momentum" else g + h.momentum * state["v"][i]
                )
                wi = wi - eta * step
            elif h.optimizer == "adagrad":
                state["a"][i] += g * g
                wi = wi - eta * g / (math.sqrt(state["a"][i]) + eps)
            elif h.optimizer == "rmsprop":
                state["r"][i] = h.rho * state["r"][i] + (1 - h.rho) * g * g
                wi = wi - eta * g / (math.sqrt(state["r"][i]) + eps)
            else:
                state["m"][i] = h.beta1 * state["m"][i] + (1 - h.beta1) * g
                state["s"][i] = h.beta2 * state["s"][i] + (1 - h.beta2) * g * g
                m_hat = state["m"][i] / (1 - h.beta1**t)
                v_hat = state["s"][i] / (1 - h.beta2**t)
                decay = lam * wi if h.optimizer == "adamw" else 0.0
                wi = wi - eta * (m_hat / (math.sqrt(v_hat) + eps) + decay)
            new.append(wi)
        w = new
        path.append(list(w))
    return path


def engine_path(h: Hyper, start: list[float], steps: int) -> list[list[float]]:
    state = new_state(h, (len(start),))
    w = np.array(start)
    path = []
    for t in range(1, steps + 1):
        w = apply(h, state, w, np.array(gradient(list(w))), t, lambda x: x).weights
        path.append(w.tolist())
    return path


def torch_path(h: Hyper, start: list[float], steps: int) -> list[list[float]]:
    torch = pytest.importorskip("torch")
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    lam = h.weight_decay
    make = {
        "sgd": lambda: torch.optim.SGD([w], lr=h.learning_rate, weight_decay=lam),
        "momentum": lambda: torch.optim.SGD(
            [w], lr=h.learning_rate, momentum=h.momentum, weight_decay=lam
        ),
        # torch's Nesterov (dampening 0) is the contract's: v = μv + g, w −= η(g + μv).
        "nesterov": lambda: torch.optim.SGD(
            [w],
            lr=h.learning_rate,
            momentum=h.momentum,
            nesterov=h.momentum > 0,  # torch refuses Nesterov without momentum: it is plain SGD
            weight_decay=lam,
        ),
        "adagrad": lambda: torch.optim.Adagrad(
            [w], lr=h.learning_rate, eps=h.epsilon, weight_decay=lam
        ),
        "rmsprop": lambda: torch.optim.RMSprop(
            [w], lr=h.learning_rate, alpha=h.rho, eps=h.epsilon, weight_decay=lam
        ),
        "adam": lambda: torch.optim.Adam(
            [w], lr=h.learning_rate, betas=(h.beta1, h.beta2), eps=h.epsilon, weight_decay=lam
        ),
        "adamw": lambda: torch.optim.AdamW(
            [w], lr=h.learning_rate, betas=(h.beta1, h.beta2), eps=h.epsilon, weight_decay=lam
        ),
    }
    opt = make[h.optimizer]()
    a, b, c = COEFFS
    path = []
    for _ in range(steps):
        opt.zero_grad()
        f = a * w[0] ** 2 + b * w[1] ** 2 + c * w[0] * w[1] + (w[0] - w[1]) ** 4 / 4
        f.backward()
        opt.step()
        path.append(w.detach().tolist())
    return path


hypers = st.builds(
    Hyper,
    optimizer=st.sampled_from(OPTIMIZERS),
    learning_rate=st.floats(0.001, 0.3),
    momentum=st.floats(0.0, 0.95),
    beta1=st.floats(0.5, 0.95),
    beta2=st.floats(0.9, 0.9999),
    rho=st.floats(0.5, 0.99),
    epsilon=st.sampled_from([1e-8, 1e-7, 1e-3]),
    weight_decay=st.sampled_from([0.0, 0.01, 0.1]),
)
starts = st.lists(st.floats(-2, 2), min_size=2, max_size=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hypers, starts)
def test_every_optimizer_matches_torch_over_five_steps(h: Hyper, start: list[float]) -> None:
    ours = engine_path(h, start, 5)
    theirs = torch_path(h, start, 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(hypers, starts)
def test_every_optimizer_matches_a_plain_python_reimplementation(
    h: Hyper, start: list[float]
) -> None:
    np.testing.assert_allclose(
        engine_path(h, start, 5), reference(h, start, 5), rtol=1e-10, atol=1e-12
    )


def solve(text: str, carry: int | None = None, every_step: bool = False):
    spec, node = load_optimize(parse_yaml(text, "test.yaml"))
    return solve_optimize(spec, node, carry, every_step)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_derived_gradient_of_a_loss_expression_drives_the_same_path(optimizer: str) -> None:
    text = f"optimizer: {optimizer}\nweight_decay: 0.01\nstart: [0.7, -1.2]\nsteps: 5\nfunction: '{loss_text()}'\n"
    result = solve(text).result
    h = Hyper(optimizer, weight_decay=0.01)
    np.testing.assert_allclose(
        [s["weights"] for s in result["steps"]], reference(h, [0.7, -1.2], 5), rtol=1e-10
    )
    assert result["steps"][0]["gradient"] == pytest.approx(gradient([0.7, -1.2]))


def test_adam_step_quantities_and_formulas() -> None:
    solution = solve(
        "optimizer: adam\nlearning_rate: 0.1\nepsilon: 1.0e-8\nstart: [5]\nfunction: w^2\n"
    )
    m = solution.step("m_1")
    assert m is not None and m.value == pytest.approx(1.0)
    assert m.formula() == "β₁ × m₀ + (1 − β₁) × g₁"
    assert m.substituted(fmt) == "0.9 × 0 + (1 − 0.9) × 10"
    m_hat = solution.step("m_hat_1")
    assert m_hat is not None and m_hat.formula() == "m₁/(1 − β₁¹)"
    assert m_hat.value == pytest.approx(10.0)
    assert solution.step("v_hat_1").value == pytest.approx(100.0)  # type: ignore[union-attr]
    assert solution.step("w_1").value == pytest.approx(4.9000000001, abs=1e-12)  # type: ignore[union-attr]
    # check redoes a step from a student's own numbers
    assert m.recompute({"g_1": 20.0}) == pytest.approx(2.0)


def test_given_gradients_and_every_state_variable_in_the_result() -> None:
    result = solve(
        "optimizer: adagrad\nlearning_rate: 0.5\nstart: [1, 2]\ngradients: [[1, -2], [0.5, 0]]\n"
    ).result
    assert len(result["steps"]) == 2
    a = result["steps"][1]["accumulator"]
    assert a == pytest.approx([1.25, 4.0])
    w1 = 1 - 0.5 * 1 / (1 + 1e-7)
    assert result["steps"][0]["weights"][0] == pytest.approx(w1)
    assert result["steps"][1]["weights"][0] == pytest.approx(
        w1 - 0.5 * 0.5 / (math.sqrt(1.25) + 1e-7)
    )


def test_carry_rounds_every_intermediate_quantity() -> None:
    result = solve(
        "optimizer: rmsprop\nlearning_rate: 0.1\nstart: [10]\nfunction: w1^2/2\n", carry=3
    ).result
    assert result["steps"][0]["v"] == [10.0]
    assert result["weights"] == [pytest.approx(10 - 0.1 * 10 / 3.162, abs=1e-3)]
    assert result["weights"][0] == round(result["weights"][0], 3)


def test_long_runs_write_the_first_step_and_the_trajectory() -> None:
    solution = solve("optimizer: momentum\nstart: [1, 1]\nsteps: 50\nfunction: w1^2 + 10*w2^2\n")
    titles = [s.title for s in solution.sections]
    assert "Step 1" in titles and "Step 2" not in titles and "Trajectory" in titles
    assert solution.step("w1_1") is not None and solution.step("v2_1") is not None
    assert len(solution.result["steps"]) == 50
    every = solve(
        "optimizer: momentum\nstart: [1, 1]\nsteps: 50\nfunction: w1^2 + 10*w2^2\n", every_step=True
    )
    assert every.step("w2_50") is not None


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("start: [1]\nfunction: 'x^2'\n", "function", "unknown symbol 'x'"),
        ("start: [1, 2]\nfunction: 'w1^2 + w3'\n", "function", "w1 … w2"),
        ("start: [1]\nfunction: 'foo(w1)'\n", "function", "unknown function 'foo'"),
        ("start: [1, 2]\ngradients: [[1], [3]]\n", "gradients[0]", "expected 2 gradient values"),
        ("start: [1, 2]\ngradients: [[1, 2], [3]]\n", "gradients", "different lengths"),
        ("start: [1]\ngradients: [[1], [2]]\nsteps: 3\n", "steps", "2 rows"),
        ("start: [1]\n", "start", "either `function:`"),
        ("start: [1]\nfunction: w1\ngradients: [[1]]\n", "function", "not both"),
        ("start: [1]\nfunction: w1\noptimizer: adamm\n", "optimizer", "adam"),
        ("start: [1]\nfunction: w1\nbeta1: 1\n", "beta1", "1 − β^t"),
        ("start: [1]\nfunction: w1\nlearning_rate: 0\n", "learning_rate", "above 0"),
        ("start: [1]\nfunction: w1\nsteps: 0\n", "steps", "at least 1"),
        ("start: [1]\nfunction: w1\nmomentun: 0.9\n", "momentun", "momentum"),
    ],
)
def test_bad_problems_name_their_field(text: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as e:
        solve(text)
    assert e.value.field == field
    assert words in str(e.value)
    assert e.value.line is not None or field == "start"


def test_a_zero_denominator_names_epsilon() -> None:
    with pytest.raises(InputError) as e:
        solve("optimizer: adagrad\nepsilon: 0\nstart: [0]\nfunction: w1^2\n")
    assert e.value.field == "epsilon"


@pytest.mark.parametrize("function", ["ln(w1)", "sqrt(w1)"])
def test_a_loss_outside_its_domain_is_an_input_error(function: str) -> None:
    with pytest.raises(InputError) as e:
        solve(f"optimizer: sgd\nstart: [-1]\nfunction: {function}\n")
    assert e.value.field == "function"
    assert "w = −1" in str(e.value)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 0.5), st.floats(0.0, 0.95), starts)
def test_momentum_written_with_minus_eta_reaches_the_same_weights(
    eta: float, mu: float, start: list[float]
) -> None:
    """v' = μv' − ηg, w += v' is the same method: v' = −η·v and the same weights."""
    h = Hyper("momentum", eta, mu)
    other = Hyper("momentum", eta, mu, variant="momentum_negative")
    s1, s2 = new_state(h, (2,)), new_state(other, (2,))
    w1 = w2 = np.array(start)
    for t in range(1, 6):
        u1 = apply(h, s1, w1, np.array(gradient(list(w1))), t, lambda x: x)
        u2 = apply(other, s2, w2, np.array(gradient(list(w2))), t, lambda x: x)
        w1, w2 = u1.weights, u2.weights
        np.testing.assert_allclose(w1, w2, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(u2.state["velocity"], -eta * u1.state["velocity"], atol=1e-12)
