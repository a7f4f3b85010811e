"""autoencoder: forward, penalties and gradients against PyTorch autograd (tied and untied weights)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.maths.scalars import carry_round
from dlcalc.specs.autoencoder import load_autoencoder
from dlcalc.specs.loader import Document
from dlcalc.topics.autoencoder import solve_autoencoder
from tests.conftest import EXAMPLES


def solve(data: dict, carry: int | None = None):
    return solve_autoencoder(load_autoencoder(Document(data, "ae.yaml")), carry)


weight = st.floats(-1, 1, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def problems(draw: st.DrawFn) -> dict:
    n, k = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    tied = draw(st.booleans())
    activation = draw(st.sampled_from(["sigmoid", "tanh", "linear"]))
    loss = draw(st.sampled_from(["half_sse", "sse", "mse", "bce"]))
    data: dict = {
        "input": [draw(st.sampled_from([0.0, 0.5, 1.0])) for _ in range(n)],
        "weights": [[draw(weight) for _ in range(n)] for _ in range(k)],
        "bias": [draw(weight) for _ in range(k)],
        "decoder_bias": [draw(weight) for _ in range(n)],
        "tied": tied,
        "activation": activation,
        "output_activation": "sigmoid"
        if loss == "bce"
        else draw(st.sampled_from(["sigmoid", "linear"])),
        "loss": loss,
        "learning_rate": 0.5,
    }
    if not tied:
        data["decoder_weights"] = [[draw(weight) for _ in range(k)] for _ in range(n)]
    if draw(st.booleans()):
        data["noise_mask"] = [draw(st.sampled_from([0, 1])) for _ in range(n)]
    penalty = draw(st.sampled_from([None, "l1", "kl"]))
    if penalty == "l1":
        data["sparsity"] = {"kind": "l1", "weight": 0.3}
    elif penalty == "kl" and activation == "sigmoid":
        data["sparsity"] = {"kind": "kl", "weight": 0.5, "rho": 0.1}
    if draw(st.booleans()):
        data["contractive"] = 0.2
    return data


@settings(max_examples=40, deadline=None)
@given(problems())
def test_cost_and_gradients_match_torch(p: dict) -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda t: t}
    x = torch.tensor(p["input"], dtype=f64)
    W = torch.tensor(p["weights"], dtype=f64, requires_grad=True)
    b = torch.tensor(p["bias"], dtype=f64, requires_grad=True)
    c = torch.tensor(p["decoder_bias"], dtype=f64, requires_grad=True)
    V = W.T if p["tied"] else torch.tensor(p["decoder_weights"], dtype=f64, requires_grad=True)
    seen = x * torch.tensor(p["noise_mask"], dtype=f64) if "noise_mask" in p else x
    a = W @ seen + b
    h = act[p["activation"]](a)
    xhat = act[p["output_activation"]](V @ h + c)
    loss = {
        "half_sse": lambda: 0.5 * ((x - xhat) ** 2).sum(),
        "sse": lambda: ((x - xhat) ** 2).sum(),
        "mse": lambda: ((x - xhat) ** 2).mean(),
        "bce": lambda: torch.nn.functional.binary_cross_entropy(xhat, x, reduction="sum"),
    }[p["loss"]]()
    cost = loss
    sparsity = p.get("sparsity")
    if sparsity and sparsity["kind"] == "l1":
        cost = cost + sparsity["weight"] * h.abs().sum()
    elif sparsity:
        rho = sparsity["rho"]
        cost = (
            cost
            + sparsity["weight"]
            * (rho * torch.log(rho / h) + (1 - rho) * torch.log((1 - rho) / (1 - h))).sum()
        )
    if "contractive" in p:  # ‖∂h/∂x̃‖²_F from autograd's own Jacobian, kept in the graph
        jac = torch.autograd.functional.jacobian(
            lambda inp: act[p["activation"]](W @ inp + b), seen, create_graph=True
        )
        cost = cost + p["contractive"] * (jac**2).sum()
    cost.backward()
    result = solve(p).result
    close = {"rel": 1e-9, "abs": 1e-10}
    assert result["loss"] == pytest.approx(loss.item(), **close)
    assert result["cost"] == pytest.approx(cost.item(), **close)
    for got, want in zip(result["grad_weights"], W.grad.tolist()):
        assert got == pytest.approx(want, rel=1e-8, abs=1e-10)
    assert result["grad_bias"] == pytest.approx(b.grad.tolist(), rel=1e-8, abs=1e-10)
    assert result["grad_decoder_bias"] == pytest.approx(c.grad.tolist(), rel=1e-8, abs=1e-10)
    if not p["tied"]:
        for got, want in zip(result["grad_decoder_weights"], V.grad.tolist()):
            assert got == pytest.approx(want, rel=1e-8, abs=1e-10)
    with torch.no_grad():  # one step of gradient descent, η = 0.5
        updated = (W - 0.5 * W.grad).tolist()
    for got, want in zip(result["weights"], updated):
        assert got == pytest.approx(want, rel=1e-8, abs=1e-10)
    assert result["decoder_bias"] == pytest.approx((c - 0.5 * c.grad).tolist(), rel=1e-8, abs=1e-10)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tied": False}, "tied"),
        ({"decoder_weights": [[1, 1]] * 3}, "decoder_weights"),  # with tied: true
        ({"weights": [[0.1, 0.2]] * 2}, "weights"),
        ({"noise_mask": [1, 0.5, 1]}, "noise_mask"),
        ({"sparsity": {"kind": "kl", "rho": 1.5}}, "sparsity.rho"),
        ({"sparsity": {"kind": "kl"}, "activation": "tanh"}, "sparsity"),
        ({"loss": "bce", "output_activation": "linear"}, "loss"),
        ({"bias": [0.1, 0.2, 0.3]}, "bias"),
    ],
)
def test_invalid_input_names_the_field(change: dict, field: str) -> None:
    data = {
        "input": [1, 0, 1],
        "weights": [[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]],
        "tied": True,
        **change,
    }
    with pytest.raises(InputError) as e:
        solve(data)
    assert e.value.field == field


def test_carried_steps_are_their_trees_rounded() -> None:
    from dlcalc.specs.loader import load

    s = solve_autoencoder(
        load_autoencoder(load(str(EXAMPLES / "autoencoder-sparse-denoising.yaml"))), 4
    )
    checked = 0
    for step in s.steps:
        if step.computed:
            assert step.value == carry_round(float(step.recompute({})), 4), step.label
            checked += 1
    assert checked > 40


@pytest.mark.parametrize(
    ("change", "field"),
    [({"loss": "bce"}, "loss"), ({"sparsity": {"kind": "kl"}}, "sparsity")],
)
def test_a_saturated_sigmoid_where_a_log_needs_it_is_an_input_error(
    change: dict, field: str
) -> None:
    data = {"input": [1, 0], "weights": [[1000, 1000]], "tied": True, **change}
    with pytest.raises(InputError, match="exactly 1") as e:
        solve(data)
    assert e.value.field == field
