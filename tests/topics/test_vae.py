"""vae: reparametrisation, KL, loss and the backward pass against PyTorch autograd (a linear decoder)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.maths.scalars import carry_round
from dlcalc.specs.generative import load_vae
from dlcalc.specs.loader import Document
from dlcalc.topics.generative import solve_vae


def solve(data: dict, carry: int | None = None):
    return solve_vae(load_vae(Document(data, "vae.yaml")), carry)


small = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def problems(draw: st.DrawFn) -> dict:
    dims = draw(st.integers(1, 3))
    outputs = draw(st.integers(1, 4))
    return {
        "mu": [draw(small) for _ in range(dims)],
        "spread": [draw(small) for _ in range(dims)],
        "noise": [draw(small) for _ in range(dims)],
        "x": [draw(st.sampled_from([0.0, 0.25, 1.0])) for _ in range(outputs)],
        "W": [[draw(small) for _ in range(dims)] for _ in range(outputs)],
        "b": [draw(small) for _ in range(outputs)],
        "loss": draw(st.sampled_from(["bce", "sse", "half_sse", "mse"])),
        "beta": draw(st.sampled_from([0.0, 0.5, 1.0, 4.0])),
        "by_sigma": draw(st.booleans()),
    }


@settings(max_examples=40, deadline=None)
@given(problems())
def test_loss_and_gradients_match_torch_through_a_linear_decoder(p: dict) -> None:
    """x̂ = W·z + b (σ of it for bce) stands in for the decoder; torch differentiates the whole loss."""
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    mu = torch.tensor(p["mu"], dtype=f64, requires_grad=True)
    spread = torch.tensor(
        [abs(s) + 0.2 for s in p["spread"]] if p["by_sigma"] else p["spread"],
        dtype=f64,
        requires_grad=True,
    )
    eps = torch.tensor(p["noise"], dtype=f64)
    sigma = spread if p["by_sigma"] else torch.exp(0.5 * spread)
    z = mu + sigma * eps
    z.retain_grad()
    net = torch.tensor(p["W"], dtype=f64) @ z + torch.tensor(p["b"], dtype=f64)
    x = torch.tensor(p["x"], dtype=f64)
    kind = p["loss"]
    xhat = torch.sigmoid(net) if kind == "bce" else net
    if kind == "bce":
        rec = torch.nn.functional.binary_cross_entropy(xhat, x, reduction="sum")
    elif kind == "mse":
        rec = ((x - xhat) ** 2).mean()
    else:
        rec = ((x - xhat) ** 2).sum() * (0.5 if kind == "half_sse" else 1.0)
    kl = 0.5 * (mu**2 + sigma**2 - 1 - torch.log(sigma**2)).sum()
    (grad_z,) = torch.autograd.grad(rec, z, retain_graph=True)
    loss = rec + p["beta"] * kl
    loss.backward()
    data = {
        "mu": p["mu"],
        "noise": p["noise"],
        "x": p["x"],
        "reconstruction": xhat.tolist(),
        "reconstruction_loss": kind,
        "beta": p["beta"],
        "grad_z": grad_z.tolist(),
        ("sigma" if p["by_sigma"] else "log_variance"): spread.tolist(),
    }
    result = solve(data).result
    close = {"rel": 1e-9, "abs": 1e-12}
    assert result["z"] == pytest.approx(z.tolist(), **close)
    assert result["kl"] == pytest.approx(kl.item(), **close)
    assert result["reconstruction_loss"] == pytest.approx(rec.item(), rel=1e-9, abs=1e-9)
    assert result["loss"] == pytest.approx(loss.item(), rel=1e-9, abs=1e-9)
    assert result["grad_mu"] == pytest.approx(mu.grad.tolist(), **close)
    key = "grad_sigma" if p["by_sigma"] else "grad_log_variance"
    assert result[key] == pytest.approx(spread.grad.tolist(), **close)


def test_without_x_the_loss_is_the_weighted_kl() -> None:
    s = solve({"mu": [0.5], "sigma": [0.8], "noise": [1.0], "beta": 2})
    assert "reconstruction_loss" not in s.result
    assert s.result["loss"] == pytest.approx(2 * s.result["kl"])
    assert s.result["sigma"] == [0.8] and s.result["z"] == [pytest.approx(1.3)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mu": [0.1, 0.2], "log_variance": [0.0], "noise": [1, 1]}, "log_variance"),
        ({"mu": [0.1], "sigma": [0.0], "noise": [1]}, "sigma[0]"),
        ({"mu": [0.1], "noise": [1]}, None),
        ({"mu": [0.1], "sigma": [1], "log_variance": [0], "noise": [1]}, "sigma"),
        ({"mu": [0.1], "sigma": [1], "noise": [1], "x": [1]}, "x"),
        (
            {
                "mu": [0.1],
                "sigma": [1],
                "noise": [1],
                "x": [1],
                "reconstruction": [1.0],
                "reconstruction_loss": "bce",
            },
            "reconstruction[0]",
        ),
        ({"mu": [0.1], "sigma": [1], "noise": [1], "beta": -1}, "beta"),
        ({"mu": [0.1], "sigma": [1], "noise": [1], "grad_z": [1, 2]}, "grad_z"),
    ],
)
def test_invalid_input_names_the_field(data: dict, field: str | None) -> None:
    with pytest.raises(InputError) as e:
        solve(data)
    assert e.value.field == field


def test_carried_steps_are_their_trees_rounded() -> None:
    s = solve(
        {
            "mu": [0.5, -0.2],
            "log_variance": [-0.1, 0.3],
            "noise": [0.3, -1.2],
            "x": [1, 0, 1],
            "reconstruction": [0.8, 0.3, 0.6],
            "reconstruction_loss": "bce",
            "grad_z": [0.1, -0.4],
        },
        carry=3,
    )
    checked = 0
    for step in s.steps:
        if step.computed:
            assert step.value == carry_round(float(step.recompute({})), 3), step.label
            checked += 1
    assert checked >= 15
    assert s.result["grad_log_variance"] == [
        s.step("dL_dlogvar_1").value,
        s.step("dL_dlogvar_2").value,
    ]
