"""backprop's training options (weight decay, dropout, optimizers) against torch autograd and torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.specs.loader import Document, parse_yaml
from dlcalc.specs.network import load_network
from dlcalc.specs.optimize import OPTIMIZERS
from dlcalc.topics.network import solve_backprop, solve_forward

weights = st.floats(-1, 1).map(lambda v: round(v, 3))


@st.composite
def problems(draw: st.DrawFn) -> dict:
    n_in, n_hidden, n_out = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 3)),
        draw(st.integers(1, 2)),
    )
    n_examples = draw(st.integers(1, 2))
    examples = [
        {
            "input": [draw(weights) for _ in range(n_in)],
            "target": [draw(st.sampled_from([0.0, 0.25, 1.0])) for _ in range(n_out)],
        }
        for _ in range(n_examples)
    ]
    problem: dict = {
        "examples": examples,
        "learning_rate": draw(st.sampled_from([0.05, 0.3])),
        "loss": draw(st.sampled_from(["half_sse", "mse", "bce"])),
        "epochs": draw(st.integers(1, 3)),
        "mode": draw(st.sampled_from(["online", "batch"])),
        "update_bias": draw(st.booleans()),
        "optimizer": draw(st.sampled_from(OPTIMIZERS)),
        "momentum": draw(st.sampled_from([0.5, 0.9])),
        "weight_decay": draw(st.sampled_from([0.0, 0.01, 0.2])),
        "decay_bias": draw(st.booleans()),
        "epsilon": 1e-7,
        "layers": [
            {
                "activation": draw(st.sampled_from(["sigmoid", "tanh", "relu"])),
                "weights": [[draw(weights) for _ in range(n_in)] for _ in range(n_hidden)],
                "bias": [draw(weights) for _ in range(n_hidden)],
            },
            {
                "activation": "sigmoid",
                "weights": [[draw(weights) for _ in range(n_hidden)] for _ in range(n_out)],
                "bias": [draw(weights) for _ in range(n_out)],
            },
        ],
    }
    if draw(st.booleans()):
        problem["dropout"] = [[draw(st.sampled_from([0, 1])) for _ in range(n_hidden)]]
        problem["dropout_rate"] = draw(st.sampled_from([0.2, 0.5]))
    return problem


def solve(problem: dict):
    return solve_backprop(load_network(Document(problem, "test.yaml"), training=True))


def torch_run(problem: dict) -> dict:
    """The same training in PyTorch: autograd for the gradients, torch.optim for the updates."""
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    layers = problem["layers"]
    ws = [torch.tensor(layer["weights"], dtype=f64, requires_grad=True) for layer in layers]
    bs = [
        torch.tensor(layer["bias"], dtype=f64, requires_grad=problem["update_bias"])
        for layer in layers
    ]
    acts = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    rate = problem.get("dropout_rate", 0.5)
    masks = [torch.tensor(m, dtype=f64) for m in problem.get("dropout", [])]

    def forward(x, dropout: bool):
        a = x
        for k, (w, b, layer) in enumerate(zip(ws, bs, layers)):
            a = acts[layer["activation"]](w @ a + b)
            if dropout and k < len(masks):
                a = a * masks[k] / (1 - rate)
        return a

    def loss_of(o, t):
        if problem["loss"] == "half_sse":
            return (0.5 * (t - o) ** 2).sum()
        if problem["loss"] == "mse":
            return ((t - o) ** 2).mean()
        return -(t * torch.log(o) + (1 - t) * torch.log(1 - o)).sum()

    lam = problem["weight_decay"]
    groups = [{"params": ws, "weight_decay": lam}]
    if problem["update_bias"]:
        groups.append({"params": bs, "weight_decay": lam if problem["decay_bias"] else 0.0})
    lr, mu, eps = problem["learning_rate"], problem["momentum"], problem["epsilon"]
    opt = {
        "sgd": lambda: torch.optim.SGD(groups, lr=lr),
        "momentum": lambda: torch.optim.SGD(groups, lr=lr, momentum=mu),
        "nesterov": lambda: torch.optim.SGD(groups, lr=lr, momentum=mu, nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad(groups, lr=lr, eps=eps),
        "rmsprop": lambda: torch.optim.RMSprop(groups, lr=lr, alpha=0.9, eps=eps),
        "adam": lambda: torch.optim.Adam(groups, lr=lr, eps=eps),
        "adamw": lambda: torch.optim.AdamW(groups, lr=lr, eps=eps),
    }[problem["optimizer"]]()
    data = [
        (torch.tensor(e["input"], dtype=f64), torch.tensor(e["target"], dtype=f64))
        for e in problem["examples"]
    ]
    # The first pass's gradients (with the L2 decay term, which torch's optimizers add themselves).
    first = sum(loss_of(forward(x, True), t) for x, t in data) / len(data)
    grads = torch.autograd.grad(first, ws)
    grad_w = [
        (g + (lam * w if problem["optimizer"] != "adamw" else 0 * w)).detach().numpy()
        for g, w in zip(grads, ws)
    ]
    history = []
    for _ in range(problem["epochs"]):
        batches = [[d] for d in data] if problem["mode"] == "online" else [data]
        for batch in batches:
            opt.zero_grad()
            loss = sum(loss_of(forward(x, True), t) for x, t in batch) / len(batch)
            loss.backward()
            opt.step()
        with torch.no_grad():
            after = sum(float(loss_of(forward(x, False), t)) for x, t in data) / len(data)
        history.append(after)
    return {
        "weights": [w.detach().numpy() for w in ws],
        "bias": [b.detach().numpy() for b in bs],
        "grad_w": grad_w,
        "history": history,
        "loss": float(first.detach()),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_training_options_match_torch(problem: dict) -> None:
    ours = solve(problem).result
    theirs = torch_run(problem)
    for k in range(2):
        np.testing.assert_allclose(ours["layers"][k]["weights"], theirs["weights"][k], atol=1e-9)
        np.testing.assert_allclose(ours["layers"][k]["bias"], theirs["bias"][k], atol=1e-9)
    np.testing.assert_allclose([h["loss"] for h in ours["history"]], theirs["history"], atol=1e-9)
    assert ours["loss"] == pytest.approx(theirs["loss"], abs=1e-9)
    if len(problem["examples"]) == 1:
        for k in range(2):
            np.testing.assert_allclose(
                ours["layers"][k]["grad_weights"], theirs["grad_w"][k], atol=1e-9
            )


MAZUR = """
input: [0.05, 0.1]
target: [0.01, 0.99]
learning_rate: 0.5
update_bias: false
weight_decay: 0.01
layers:
- units: [h1, h2]
  weights: [[0.15, 0.2], [0.25, 0.3]]
  bias: 0.35
- units: [o1, o2]
  weights: [[0.4, 0.45], [0.5, 0.55]]
  bias: 0.6
"""


def test_weight_decay_is_its_own_line_and_in_grad_weights() -> None:
    solution = solve_backprop(load_network(parse_yaml(MAZUR, "m.yaml"), training=True))
    step = solution.step("dJ_dw5")
    assert step is not None and step.formula() == "∂E/∂w5 + λ × w5"
    assert step.value == pytest.approx(0.082167041 + 0.004, abs=1e-9)
    assert solution.step("w5_new").formula() == "w5 − η × ∂J/∂w5"  # type: ignore[union-attr]
    layers = solution.result["layers"]
    assert layers[1]["grad_weights"][0][0] == pytest.approx(0.086167041, abs=1e-9)
    assert layers[1]["weights"][0][0] == pytest.approx(0.4 - 0.5 * 0.086167041, abs=1e-9)
    assert layers[0]["bias"] == [0.35, 0.35]


def test_dropout_shows_dropped_units_as_zero_with_zero_delta() -> None:
    text = MAZUR.replace("weight_decay: 0.01", "dropout: [[1, 0]]\ndropout_rate: 0.5")
    solution = solve_backprop(load_network(parse_yaml(text, "m.yaml"), training=True))
    assert solution.step("dropped_h2").value == 0  # type: ignore[union-attr]
    kept = solution.step("dropped_h1")
    assert kept is not None and kept.value == pytest.approx(0.593269992 * 2, abs=1e-9)
    assert solution.step("delta_h2").value == 0  # type: ignore[union-attr]
    net_o1 = solution.step("net_o1")
    assert net_o1 is not None and "dropped_h1" in net_o1.inputs
    layers = solution.result["layers"]
    assert layers[0]["out"][1] == pytest.approx(0.596884378, abs=1e-9)  # before the mask
    assert layers[0]["grad_weights"][1] == [0.0, 0.0]


def test_adam_state_is_carried_across_updates() -> None:
    text = MAZUR.replace("weight_decay: 0.01", "optimizer: adam\nepochs: 2")
    solution = solve_backprop(load_network(parse_yaml(text, "m.yaml"), training=True))
    m1, m2 = solution.step("m_w5_1"), solution.step("m_w5_2")
    assert m1 is not None and m2 is not None
    assert m2.inputs[1] == "m_w5_1"
    assert solution.step("m_hat_w5_2").formula() == "m_w5,2/(1 − β₁²)"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("dropout: [[1, 0], [1, 1]]", "dropout", "1 mask"),
        ("dropout: [[1, 0, 1]]", "dropout[0]", "2 entries"),
        ("dropout: [[1, 0.5]]", "dropout[0][1]", "1 (keep) or 0"),
        ("dropout: [[1, 0]]\ndropout_rate: 1", "dropout_rate", "1/(1 − rate)"),
        ("optimizer: adamm", "optimizer", "adam"),
        ("weight_decay: -1", "weight_decay", "at least 0"),
        ("beta2: 1.5", "beta2", "decay rate"),
    ],
)
def test_bad_training_options_name_their_field(extra: str, field: str, words: str) -> None:
    key = extra.split(":")[0] + ":"
    base = "".join(line for line in MAZUR.splitlines(True) if not line.startswith(key))
    with pytest.raises(InputError) as e:  # a key given twice is refused: replace, not append
        load_network(parse_yaml(base + extra + "\n", "m.yaml"), training=True)
    assert e.value.field == field
    assert words in str(e.value)


def test_forward_refuses_training_options() -> None:
    with pytest.raises(InputError) as e:
        solve_forward(load_network(parse_yaml(MAZUR, "m.yaml"), training=False))
    assert e.value.field == "weight_decay"
