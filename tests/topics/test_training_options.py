"""Training options against independent oracles: torch.optim.lr_scheduler (schedules),
torch.nn.utils.clip_grad_norm_/clip_grad_value_ (clipping), torch autograd with the penalty
added to the loss (regularization, mini-batches, clipping and schedules in backprop and
optimize), float64 central differences (gradcheck) and torch.nn.init (initialisation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.maths.numerics import carry_round
from dlcalc.specs.early_stopping import load_early_stopping
from dlcalc.specs.init import SCHEMES, load_init
from dlcalc.specs.loader import Document
from dlcalc.specs.network import load_network
from dlcalc.specs.optimize import OPTIMIZERS, load_optimize
from dlcalc.specs.training import Clip, Schedule
from dlcalc.topics import training_steps as T
from dlcalc.topics.early_stopping import solve_early_stopping
from dlcalc.topics.gradcheck import solve_gradcheck
from dlcalc.topics.init import solve_init
from dlcalc.topics.network import solve_backprop
from dlcalc.topics.optimize import solve_optimize
from tests.test_trust_property import check_modes

FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def identity(x: object) -> object:
    return x


# ---- schedules: torch.optim.lr_scheduler


def torch_rates(schedule: dict, eta: float, n: int) -> list[float]:
    """η of updates 1…n from PyTorch: get_last_lr() before the first step() is update 1's rate
    (torch counts epochs from 0, the contract counts updates from 1: η_k = η·f(k − 1))."""
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=eta)
    kind = schedule["kind"]
    lr = torch.optim.lr_scheduler
    if kind == "step":
        sched = lr.StepLR(opt, step_size=schedule["step_size"], gamma=schedule["gamma"])
    elif kind == "exponential":
        sched = lr.ExponentialLR(opt, gamma=schedule["gamma"])
    elif kind == "inverse_time":  # no built-in: the closed form through LambdaLR
        sched = lr.LambdaLR(opt, lambda t: 1 / (1 + schedule["decay"] * t))
    elif kind == "cosine":
        sched = lr.CosineAnnealingLR(
            opt, T_max=schedule["total"], eta_min=schedule.get("minimum", 0.0)
        )
    else:  # warmup W: LinearLR from 1/W to 1 over W − 1 steps is (t + 1)/W, then 1
        w = schedule["steps"]
        if w == 1:
            sched = lr.ConstantLR(opt, factor=1.0, total_iters=0)
        else:
            sched = lr.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=w - 1)
    rates = []
    for _ in range(n):
        if kind == "cosine":  # the closed form (the chained form drifts after T_max)
            rates.append(float(sched._get_closed_form_lr()[0]))
        else:
            rates.append(float(sched.get_last_lr()[0]))
        opt.step()
        sched.step()
    return rates


schedules = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.just("step"),
            "step_size": st.integers(1, 4),
            "gamma": st.sampled_from([0.1, 0.5, 0.9]),
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.just("exponential"), "gamma": st.sampled_from([0.5, 0.8, 0.99])}
    ),
    st.fixed_dictionaries(
        {"kind": st.just("inverse_time"), "decay": st.sampled_from([0.0, 0.1, 1.5])}
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("cosine"),
            "total": st.integers(1, 6),
            "minimum": st.sampled_from([0.0, 0.01]),
        }
    ),
    st.fixed_dictionaries({"kind": st.just("warmup"), "steps": st.integers(1, 5)}),
)


@FEW
@given(schedule=schedules, eta=st.sampled_from([0.1, 0.5, 2.0]))
def test_schedules_match_torch_lr_scheduler(schedule: dict, eta: float) -> None:
    spec = Schedule.model_validate(schedule)
    ours = [T.scheduled_rate(spec, eta, k, identity) for k in range(1, 13)]
    assert ours == pytest.approx(torch_rates(schedule, eta, 12), rel=1e-12, abs=1e-15)


def test_cosine_rises_again_after_total() -> None:
    spec = Schedule.model_validate({"kind": "cosine", "total": 2})
    rates = [T.scheduled_rate(spec, 1.0, k, identity) for k in range(1, 6)]
    assert rates == pytest.approx([1.0, 0.5, 0.0, 0.5, 1.0], abs=1e-12)


# ---- clipping: torch.nn.utils


@FEW
@given(
    grads=st.lists(
        # written to 6 decimals, as gradients are (a 1e-274 would square to 0 in any float sum)
        st.lists(st.floats(-5, 5).map(lambda v: round(v, 6)), min_size=1, max_size=4),
        min_size=1,
        max_size=3,
    ),
    c=st.sampled_from([0.01, 0.5, 1.0, 3.0, 100.0]),
)
def test_clipping_matches_torch(grads: list[list[float]], c: float) -> None:
    torch = pytest.importorskip("torch")
    arrays = [np.array(g) for g in grads]
    params = [torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=torch.float64)
    total = float(torch.nn.utils.clip_grad_norm_(params, c))
    clipped, norm, factor = T.clip_arrays(arrays, Clip(norm=c), identity)
    assert norm == pytest.approx(total, rel=1e-12, abs=1e-300)
    # PyTorch scales by c/(‖g‖ + 1e-6) (and only when that is below 1); the contract has no ε
    for ours, p in zip(clipped, params):
        assert ours == pytest.approx(p.grad.numpy(), rel=2e-6 / max(c, 1e-6) + 1e-12, abs=1e-12)
    if norm > 0:
        assert factor == pytest.approx(min(1.0, c / norm), rel=1e-15)
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_value_(params, c)
    by_value, _, _ = T.clip_arrays(arrays, Clip(value=c), identity)
    for ours, p in zip(by_value, params):
        assert np.array_equal(ours, p.grad.numpy())


# ---- backprop with the options: torch autograd with the penalty in the loss


@st.composite
def training_problems(draw: st.DrawFn) -> dict:
    w = st.floats(-1, 1).map(lambda v: round(v, 2))
    n_in, n_hidden = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n = draw(st.integers(1, 5))
    problem: dict = {
        "examples": [
            {
                "input": [draw(w) for _ in range(n_in)],
                "target": [draw(st.sampled_from([0.0, 0.3, 1.0]))],
            }
            for _ in range(n)
        ],
        "learning_rate": draw(st.sampled_from([0.1, 0.5])),
        "loss": draw(st.sampled_from(["half_sse", "bce"])),
        "epochs": draw(st.integers(1, 3)),
        "update_bias": draw(st.booleans()),
        "decay_bias": draw(st.booleans()),
        "layers": [
            {
                "activation": draw(st.sampled_from(["sigmoid", "tanh"])),
                "weights": [[draw(w) for _ in range(n_in)] for _ in range(n_hidden)],
                "bias": [draw(w) for _ in range(n_hidden)],
            },
            {
                "activation": "sigmoid",
                "weights": [[draw(w) for _ in range(n_hidden)]],
                "bias": [draw(w)],
            },
        ],
    }
    how = draw(st.sampled_from(["online", "batch", "minibatch"]))
    if how == "minibatch":
        problem["batch_size"] = draw(st.integers(1, 3))
    else:
        problem["mode"] = how
    if draw(st.booleans()):
        problem["regularization"] = {
            "kind": draw(st.sampled_from(["l2", "l1"])),
            "lambda": draw(st.sampled_from([0.05, 0.3])),
            **({"examples": draw(st.integers(1, 10))} if draw(st.booleans()) else {}),
        }
    if draw(st.booleans()):
        key = draw(st.sampled_from(["norm", "value"]))
        problem["clip"] = {key: draw(st.sampled_from([0.05, 0.5, 10.0]))}
    if draw(st.booleans()):
        problem["schedule"] = draw(schedules)
    if draw(st.booleans()):  # an optimizer, its state carried across updates and epochs
        problem["optimizer"] = draw(st.sampled_from(OPTIMIZERS))
        problem["momentum"] = 0.9
        problem["epsilon"] = 1e-7
        if "regularization" not in problem and draw(st.booleans()):
            problem["weight_decay"] = 0.1  # added after clipping, as PyTorch does
    return problem


def torch_train(problem: dict) -> dict:
    """The same run by autograd: loss = mean over the batch + penalty; clip; SGD with η_k."""
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    ws = [
        torch.tensor(layer["weights"], dtype=f64, requires_grad=True) for layer in problem["layers"]
    ]
    bs = [torch.tensor(layer["bias"], dtype=f64, requires_grad=True) for layer in problem["layers"]]
    acts = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}
    examples = problem["examples"]
    n = len(examples)

    def loss_of(k: int) -> object:
        a = torch.tensor(examples[k]["input"], dtype=f64)
        for w, b, layer in zip(ws, bs, problem["layers"]):
            a = acts[layer["activation"]](w @ a + b)
        t = torch.tensor(examples[k]["target"], dtype=f64)
        if problem["loss"] == "half_sse":
            return (0.5 * (t - a) ** 2).sum()
        return -(t * torch.log(a) + (1 - t) * torch.log(1 - a)).sum()

    reg = problem.get("regularization")
    m = (reg.get("examples") or n) if reg else n

    def penalty() -> object:
        if not reg:
            return torch.zeros((), dtype=f64)
        arrays = ws + (bs if problem["decay_bias"] else [])
        if reg["kind"] == "l2":
            return reg["lambda"] / (2 * m) * sum((x**2).sum() for x in arrays)
        return reg["lambda"] / m * sum(x.abs().sum() for x in arrays)

    if "batch_size" in problem:
        size = problem["batch_size"]
        batches = [list(range(k, min(k + size, n))) for k in range(0, n, size)]
    elif problem["mode"] == "online":
        batches = [[k] for k in range(n)]
    else:
        batches = [list(range(n))]
    updated = ws + (bs if problem["update_bias"] else [])
    total = problem["epochs"] * len(batches)
    rates = (
        torch_rates(problem["schedule"], problem["learning_rate"], total)
        if "schedule" in problem
        else [problem["learning_rate"]] * total
    )
    with torch.no_grad():
        start = float(torch.stack([loss_of(k) for k in range(n)]).mean())
        start_penalty = float(penalty())
    optimizer = make_optimizer(problem, ws, bs)
    history, u = [], 0
    for _ in range(problem["epochs"]):
        for batch in batches:
            for p in ws + bs:
                p.grad = None
            cost = torch.stack([loss_of(k) for k in batch]).mean() + penalty()
            cost.backward()
            clip = problem.get("clip")
            if clip and "value" in clip:
                torch.nn.utils.clip_grad_value_(updated, clip["value"])
            elif clip:
                norm = torch.sqrt(sum((p.grad**2).sum() for p in updated))
                scale = min(1.0, clip["norm"] / float(norm)) if float(norm) > 0 else 1.0
                for p in updated:
                    p.grad *= scale
            if optimizer is None:
                with torch.no_grad():
                    for p in updated:
                        p -= rates[u] * p.grad
            else:
                for group in optimizer.param_groups:
                    group["lr"] = rates[u]
                optimizer.step()
            u += 1
        with torch.no_grad():
            history.append(float(torch.stack([loss_of(k) for k in range(n)]).mean()))
    return {
        "loss": start,
        "penalty": start_penalty,
        "weights": [w.detach().numpy() for w in ws],
        "bias": [b.detach().numpy() for b in bs],
        "history": history,
        "rates": rates,
    }


def make_optimizer(problem: dict, ws: list, bs: list) -> object:
    """torch.optim's optimizer for the problem's (None: plain SGD done by hand); biases are
    decayed only with decay_bias, and frozen ones are not given to it."""
    torch = pytest.importorskip("torch")
    name = problem.get("optimizer", "sgd")
    decay = problem.get("weight_decay", 0.0)
    if name == "sgd" and not decay:
        return None
    groups = [{"params": ws, "weight_decay": decay}]
    if problem["update_bias"]:
        groups.append({"params": bs, "weight_decay": decay if problem["decay_bias"] else 0.0})
    lr, eps = problem["learning_rate"], problem.get("epsilon", 1e-7)
    optim = torch.optim
    if name in ("sgd", "momentum", "nesterov"):
        mu = 0.0 if name == "sgd" else problem.get("momentum", 0.9)
        return optim.SGD(groups, lr=lr, momentum=mu, nesterov=name == "nesterov")
    if name == "adagrad":
        return optim.Adagrad(groups, lr=lr, eps=eps)
    if name == "rmsprop":
        return optim.RMSprop(groups, lr=lr, alpha=problem.get("rho", 0.9), eps=eps)
    if name == "adam":
        return optim.Adam(groups, lr=lr, eps=eps)
    return optim.AdamW(groups, lr=lr, eps=eps)


def solve(problem: dict):
    return solve_backprop(load_network(Document(problem, "test.yaml"), training=True))


@FEW
@given(problem=training_problems())
def test_backprop_options_match_autograd(problem: dict) -> None:
    expected = torch_train(problem)
    result = solve(problem).result
    assert result["loss"] == pytest.approx(expected["loss"], rel=1e-9, abs=1e-12)
    for layer, w, b in zip(result["layers"], expected["weights"], expected["bias"]):
        assert np.array(layer["weights"]) == pytest.approx(w, rel=1e-8, abs=1e-10)
        assert np.array(layer["bias"]) == pytest.approx(b, rel=1e-8, abs=1e-10)
    assert [h["loss"] for h in result["history"]] == pytest.approx(
        expected["history"], rel=1e-8, abs=1e-10
    )
    if "regularization" in problem:
        assert result["penalty"] == pytest.approx(expected["penalty"], rel=1e-12, abs=1e-15)
        assert result["cost"] == pytest.approx(expected["loss"] + expected["penalty"], rel=1e-12)
    if "schedule" in problem:
        assert result["learning_rates"] == pytest.approx(expected["rates"], rel=1e-12)


def test_optimize_clip_and_schedule_match_torch_sgd() -> None:
    """Momentum with clipping by norm and a step schedule against torch.optim.SGD + StepLR."""
    torch = pytest.importorskip("torch")
    problem = {
        "optimizer": "momentum",
        "learning_rate": 0.1,
        "momentum": 0.9,
        "start": [2.0, -1.5],
        "function": "w1^2 + 4*w2^2 + w1*w2",
        "steps": 6,
        "weight_decay": 0.05,
        "clip": {"norm": 1.0},
        "schedule": {"kind": "step", "step_size": 2, "gamma": 0.5},
    }
    spec, node = load_optimize(Document(problem, "o.yaml"))
    ours = solve_optimize(spec, node).result
    w = torch.nn.Parameter(torch.tensor(problem["start"], dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for step in ours["steps"]:
        opt.zero_grad()
        f = w[0] ** 2 + 4 * w[1] ** 2 + w[0] * w[1]
        f.backward()
        assert step["gradient"] == pytest.approx(w.grad.tolist(), rel=1e-12)
        assert step["gradient_norm"] == pytest.approx(float(w.grad.norm()), rel=1e-12)
        assert step["learning_rate"] == pytest.approx(sched.get_last_lr()[0], rel=1e-12)
        norm = float(w.grad.norm())
        w.grad *= min(1.0, 1.0 / norm)  # no ε, as the contract says; weight decay after clipping
        assert step["clipped_gradient"] == pytest.approx(w.grad.tolist(), rel=1e-12)
        opt.step()
        sched.step()
        assert step["weights"] == pytest.approx(w.tolist(), rel=1e-10)


# ---- gradcheck: central differences in float64, computed here with torch


def test_gradcheck_matches_float64_central_differences_and_autograd() -> None:
    torch = pytest.importorskip("torch")
    problem = {
        "command": "gradcheck",
        "examples": [
            {"input": [1.0, 0.5], "target": [1.0, 0.0]},
            {"input": [-0.5, 1.5], "target": [0.0, 1.0]},
        ],
        "loss": "cross_entropy",
        "regularization": {"kind": "l1", "lambda": 0.3},
        "decay_bias": True,
        "epsilon": 1e-5,
        "layers": [
            {"activation": "tanh", "weights": [[0.5, -0.4], [0.3, 0.8]], "bias": [0.1, -0.2]},
            {"activation": "softmax", "weights": [[0.7, -0.2], [-0.5, 0.4]], "bias": [0.0, 0.1]},
        ],
    }
    result = solve_gradcheck(
        load_network(Document(problem, "g.yaml"), training=False, gradcheck=True), 1e-5
    ).result
    f64 = torch.float64
    params = []
    for layer in problem["layers"]:
        params += [
            torch.tensor(layer["weights"], dtype=f64),
            torch.tensor(layer["bias"], dtype=f64),
        ]

    def cost(ps: list) -> object:
        losses = []
        for e in problem["examples"]:
            a = torch.tanh(ps[0] @ torch.tensor(e["input"], dtype=f64) + ps[1])
            p = torch.softmax(ps[2] @ a + ps[3], 0)
            losses.append(-(torch.tensor(e["target"], dtype=f64) * torch.log(p)).sum())
        return torch.stack(losses).mean() + 0.3 / 2 * sum(x.abs().sum() for x in ps)

    leaves = [p.clone().requires_grad_(True) for p in params]
    cost(leaves).backward()
    k = 0
    for i in (0, 2):  # each unit's weights, then its bias (the final-parameters order)
        for j in range(params[i].shape[0]):
            order = [(i, (j, c)) for c in range(params[i].shape[1])] + [(i + 1, (j,))]
            for which, index in order:
                entry = result["parameters"][k]
                plus = [p.clone() for p in params]
                minus = [p.clone() for p in params]
                plus[which][index] += 1e-5
                minus[which][index] -= 1e-5
                numeric = (float(cost(plus)) - float(cost(minus))) / 2e-5
                assert entry["numeric"] == pytest.approx(numeric, rel=1e-9, abs=1e-10)
                assert entry["analytic"] == pytest.approx(
                    float(leaves[which].grad[index]), rel=1e-12
                )
                k += 1
    assert k == len(result["parameters"]) == 12
    assert result["max_relative_error"] < 1e-7


def test_gradcheck_notes_a_relu_kink() -> None:
    problem = {
        "input": [1.0],
        "target": [0.5],
        "learning_rate": 0.1,
        "layers": [
            {"activation": "relu", "weights": [[0.5]], "bias": -0.5},
            {"activation": "linear", "weights": [[1.0]]},
        ],
    }
    solution = solve_gradcheck(
        load_network(Document(problem, "k.yaml"), training=False, gradcheck=True)
    )
    notes = [i for s in solution.sections for i in s.items if isinstance(i, str) and "Kink" in i]
    assert len(notes) == 1 and "net_h1" in notes[0]


# ---- init: torch.nn.init on large draws, and the formulas


def torch_draw(scheme: str, gain: float, fan_in: int, fan_out: int) -> np.ndarray:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)
    init = torch.nn.init
    if scheme == "xavier_uniform":
        init.xavier_uniform_(w, gain=gain)
    elif scheme == "xavier_normal":
        init.xavier_normal_(w, gain=gain)
    elif scheme.startswith("he"):  # He = Kaiming with gain √2 (relu): 2·gain²/fan_in
        fn = init.kaiming_uniform_ if scheme.endswith("uniform") else init.kaiming_normal_
        fn(
            w,
            a=math.sqrt(2 / gain**2 - 1) if gain < math.sqrt(2) else 0.0,
            nonlinearity="leaky_relu",
        ) if gain != 1 else fn(w, nonlinearity="relu")
    else:  # LeCun = Kaiming with gain 1 (linear)
        fn = init.kaiming_uniform_ if scheme.endswith("uniform") else init.kaiming_normal_
        fn(w, nonlinearity="linear")
        w *= gain
    return w.numpy()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_init_variances_match_torch_nn_init(scheme: str) -> None:
    fan_in, fan_out = 300, 500
    spec = load_init(Document({"scheme": scheme, "sizes": [fan_in, fan_out]}, "i.yaml"))
    layer = solve_init(spec).result["layers"][0]
    w = torch_draw(scheme, 1.0, fan_in, fan_out)
    # 150,000 draws: the sample variance is within 2 % of the true one (about 6 standard errors)
    assert float(np.var(w)) == pytest.approx(layer["variance"], rel=0.02)
    if scheme.endswith("uniform"):
        assert float(np.max(np.abs(w))) <= layer["limit"]
        assert float(np.max(np.abs(w))) == pytest.approx(layer["limit"], rel=1e-3)


@pytest.mark.parametrize("gain", [0.5, 2.0])
def test_init_gain_matches_torch_formulas(gain: float) -> None:
    """xavier_uniform_'s bound gain·√(6/(fan_in + fan_out)) and xavier_normal_'s std."""
    for scheme in ("xavier_uniform", "xavier_normal"):
        spec = load_init(Document({"scheme": scheme, "sizes": [40, 60, 7], "gain": gain}, "i.yaml"))
        for layer in solve_init(spec).result["layers"]:
            fi, fo = layer["fan_in"], layer["fan_out"]
            assert layer["std"] == pytest.approx(gain * math.sqrt(2 / (fi + fo)), rel=1e-14)
            if scheme == "xavier_uniform":
                assert layer["limit"] == pytest.approx(gain * math.sqrt(6 / (fi + fo)), rel=1e-14)
        w = torch_draw(scheme, gain, 400, 600)
        expected = 2 * gain**2 / 1000
        assert float(np.var(w)) == pytest.approx(expected, rel=0.02)


def test_init_signal_variance_and_drawn_weights() -> None:
    spec = load_init(
        Document(
            {"scheme": "lecun_normal", "sizes": [50, 50, 50], "input_variance": 2, "seed": 3},
            "i.yaml",
        )
    )
    layers = solve_init(spec).result["layers"]
    assert [layer["output_variance"] for layer in layers] == pytest.approx([2.0, 2.0])
    assert "weights" not in layers[0]  # 50 × 50 is shown by its statistics only
    assert layers[0]["sample_variance"] == pytest.approx(1 / 50, rel=0.1)


# ---- early stopping: an independent loop in the style of Keras's callback


def keras_like(losses: list[float], patience: int, min_delta: float) -> tuple[int | None, int]:
    best, wait, best_epoch = math.inf, 0, 0
    for epoch, value in enumerate(losses, start=1):
        # Keras: monitor_op(current - min_delta, best) with min_delta negated for mode "min"
        if value + min_delta < best:
            best, wait, best_epoch = value, 0, epoch
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return None, best_epoch


@FEW
@given(
    losses=st.lists(
        st.sampled_from([0.3, 0.35, 0.4, 0.5, 0.55, 0.7, 0.9]), min_size=1, max_size=15
    ),
    patience=st.integers(1, 4),
    min_delta=st.sampled_from([0.0, 0.02, 0.12]),
    restore=st.booleans(),
)
def test_early_stopping_matches_keras_rule(
    losses: list[float], patience: int, min_delta: float, restore: bool
) -> None:
    spec = load_early_stopping(
        Document(
            {
                "validation_loss": losses,
                "patience": patience,
                "min_delta": min_delta,
                "restore_best": restore,
            },
            "e.yaml",
        )
    )
    result = solve_early_stopping(spec).result
    stopped, best_epoch = keras_like(losses, patience, min_delta)
    assert result["stopped_epoch"] == stopped
    assert result["best_epoch"] == best_epoch
    run = stopped or len(losses)
    assert result["kept_epoch"] == (best_epoch if restore else run)


# ---- --carry: every named quantity is its formula's value rounded


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("backprop", "mazur-l2"),
        ("backprop", "minibatch-l1"),
        ("backprop", "mazur-clip"),
        ("backprop", "lr-schedule-backprop"),
        ("optimize", "optimize-clip-schedule"),
        ("init", "init-xavier"),
        ("early-stopping", "early-stopping"),
    ],
)
def test_carry_rounds_each_step_from_its_own_formula(command: str, name: str) -> None:
    from dlcalc.app.commands import solve
    from dlcalc.app.settings import Settings
    from dlcalc.specs.loader import load
    from tests.conftest import EXAMPLES

    solution = solve(command, load(str(EXAMPLES / f"{name}.yaml")), Settings(carry=3))
    checked = 0
    for step in solution.steps:
        if step.computed and isinstance(step.value, float):
            assert carry_round(step.recompute({}), 3) == pytest.approx(step.value, abs=1e-12), (
                step.label
            )
            checked += 1
    assert checked > 5


# ---- rnn truncate: k — PyTorch with the state detached every k steps


@FEW
@given(
    k=st.integers(1, 4),
    steps=st.integers(2, 5),
    xs=st.lists(st.floats(-1, 1).map(lambda v: round(v, 2)), min_size=10, max_size=10),
    w=st.sampled_from([0.3, 0.8, -0.6]),
)
def test_truncated_bptt_matches_torch_detach(k: int, steps: int, xs: list[float], w: float) -> None:
    torch = pytest.importorskip("torch")
    from dlcalc.specs.rnn import load_rnn
    from dlcalc.topics.rnn import solve_rnn

    inputs = [[xs[2 * t], xs[2 * t + 1]] for t in range(steps)]
    targets = [[0.5 * (t % 3) - 0.3] for t in range(steps)]
    problem = {
        "cell": "rnn",
        "inputs": inputs,
        "targets": targets,
        "learning_rate": 0.1,
        "U": [[0.5, -0.2]],
        "W": [[w]],
        "b": [0.1],
        "V": [[1.2]],
        "c": [0.0],
        "truncate": k,
    }
    result = solve_rnn(load_rnn(Document(problem, "r.yaml"))).result
    f64 = torch.float64
    U = torch.tensor(problem["U"], dtype=f64, requires_grad=True)
    W = torch.tensor(problem["W"], dtype=f64, requires_grad=True)
    b = torch.tensor(problem["b"], dtype=f64, requires_grad=True)
    V = torch.tensor(problem["V"], dtype=f64, requires_grad=True)
    c = torch.tensor(problem["c"], dtype=f64, requires_grad=True)
    s = torch.zeros(1, dtype=f64)
    loss = torch.zeros((), dtype=f64)
    for t in range(steps):
        if t % k == 0:
            s = s.detach()  # a cut before steps k + 1, 2k + 1, …
        s = torch.tanh(U @ torch.tensor(inputs[t], dtype=f64) + W @ s + b)
        y = V @ s + c
        loss = loss + 0.5 * ((torch.tensor(targets[t], dtype=f64) - y) ** 2).sum()
    loss.backward()
    for name, tensor in (("U", U), ("W", W), ("b", b), ("V", V), ("c", c)):
        assert np.array(result["grad"][name]) == pytest.approx(
            tensor.grad.numpy(), rel=1e-10, abs=1e-12
        )
    if k >= steps:  # nothing is cut: the truncated gradient is full BPTT's
        assert result["grad"] == result["grad_full"]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_truncation_of_one_step_cuts_every_implicit_part(cell: str) -> None:
    """k = 1: each step's gradient is its own loss's alone (the sum of one-step problems)."""
    from dlcalc.specs.loader import load
    from dlcalc.specs.rnn import load_rnn
    from dlcalc.topics.rnn import solve_rnn
    from tests.conftest import EXAMPLES

    name = "lstm-gomez" if cell == "lstm" else "gru-1unit"
    doc = load(str(EXAMPLES / f"{name}.yaml"))
    data = dict(doc.data)
    data.pop("command", None)
    data["truncate"] = 1
    truncated = solve_rnn(load_rnn(Document(data, "t.yaml")))
    labels = [s.label for s in truncated.steps]
    assert any(label.startswith(("dL_ds_", "dL_dh_")) for label in labels)
    assert not any("implicit" in label for label in labels)
    assert truncated.result["grad"] != truncated.result["grad_full"]
    for step in truncated.steps:  # the worked steps are the truncated sweep's own numbers
        if step.computed and isinstance(step.value, float):
            assert step.recompute({}) == pytest.approx(step.value, rel=1e-9, abs=1e-12), step.label


@FEW
@given(problem=training_problems(), eps=st.sampled_from([1e-4, 1e-5]))
def test_gradcheck_of_random_networks_matches_autograd(problem: dict, eps: float) -> None:
    """Every analytic gradient is autograd's of the cost (penalty included); the numeric one
    agrees with it to ε² (smooth activations)."""
    torch = pytest.importorskip("torch")
    problem = {k: v for k, v in problem.items() if k not in ("optimizer", "weight_decay")}
    spec = load_network(Document(problem, "g.yaml"), training=False, gradcheck=True)
    result = solve_gradcheck(spec, eps).result
    f64 = torch.float64
    layers = problem["layers"]
    ws = [torch.tensor(layer["weights"], dtype=f64, requires_grad=True) for layer in layers]
    bs = [torch.tensor(layer["bias"], dtype=f64, requires_grad=True) for layer in layers]
    acts = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}
    losses = []
    for e in problem["examples"]:
        a = torch.tensor(e["input"], dtype=f64)
        for w, b, layer in zip(ws, bs, layers):
            a = acts[layer["activation"]](w @ a + b)
        t = torch.tensor(e["target"], dtype=f64)
        if problem["loss"] == "half_sse":
            losses.append((0.5 * (t - a) ** 2).sum())
        else:
            losses.append(-(t * torch.log(a) + (1 - t) * torch.log(1 - a)).sum())
    cost = torch.stack(losses).mean()
    reg = problem.get("regularization")
    if reg:
        m = reg.get("examples") or len(problem["examples"])
        arrays = ws + (bs if problem["decay_bias"] else [])
        if reg["kind"] == "l2":
            cost = cost + reg["lambda"] / (2 * m) * sum((x**2).sum() for x in arrays)
        else:
            cost = cost + reg["lambda"] / m * sum(x.abs().sum() for x in arrays)
    cost.backward()
    expected = []
    for w, b in zip(ws, bs):
        for j in range(w.shape[0]):
            expected += [float(g) for g in w.grad[j]] + [float(b.grad[j])]
    analytic = [p["analytic"] for p in result["parameters"]]
    assert analytic == pytest.approx(expected, rel=1e-10, abs=1e-12)
    for p in result["parameters"]:  # central differences: error of order ε² (and rounding)
        assert p["numeric"] == pytest.approx(p["analytic"], rel=1e-4, abs=1e-6)


# ---- check: own answers all ✓; one slip → one ✗ and ↪ on what follows (tests/test_trust_property.py)

CHECK = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECK
@given(problem=training_problems(), k=st.integers(0, 10_000))
def test_check_carries_a_slip_through_the_training_options(problem: dict, k: int) -> None:
    # half_sse: a slip in an output cannot take the student's own world outside ln's domain
    check_modes("backprop", {**problem, "loss": "half_sse"}, k)


@CHECK
@given(
    schedule=schedules,
    clip=st.sampled_from([{"norm": 1.0}, {"value": 0.5}, {"norm": 100.0}]),
    optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
    k=st.integers(0, 10_000),
)
def test_check_carries_a_slip_through_optimize_clip_and_schedule(
    schedule: dict, clip: dict, optimizer: str, k: int
) -> None:
    problem = {
        "optimizer": optimizer,
        "learning_rate": 0.1,
        "start": [2.0, -1.5],
        "function": "w1^2 + 4*w2^2 + w1*w2",
        "steps": 3,
        "clip": clip,
        "schedule": schedule,
    }
    check_modes("optimize", problem, k)


@CHECK
@given(
    scheme=st.sampled_from(SCHEMES),
    sizes=st.lists(st.integers(1, 900), min_size=2, max_size=4),
    gain=st.sampled_from([1.0, 2.0, 0.5]),
    k=st.integers(0, 10_000),
)
def test_check_carries_a_slip_through_init(
    scheme: str, sizes: list[int], gain: float, k: int
) -> None:
    check_modes("init", {"scheme": scheme, "sizes": sizes, "gain": gain, "input_variance": 1.5}, k)


@CHECK
@given(
    losses=st.lists(st.sampled_from([0.3, 0.35, 0.4, 0.5, 0.55, 0.7, 0.9]), min_size=2, max_size=8),
    k=st.integers(0, 10_000),
)
def test_check_carries_a_slip_through_early_stopping(losses: list[float], k: int) -> None:
    check_modes("early-stopping", {"validation_loss": losses, "patience": 2, "min_delta": 0.02}, k)


# ---- backprop's early_stopping: torch training, the validation loss per epoch, Keras's rule


@pytest.mark.parametrize("restore", [True, False])
def test_backprop_early_stopping_matches_torch_and_keras_rule(restore: bool) -> None:
    torch = pytest.importorskip("torch")
    import yaml

    from tests.conftest import EXAMPLES

    problem = yaml.safe_load(
        (EXAMPLES / "early-stopping-backprop.yaml").read_text(encoding="utf-8")
    )
    problem.pop("command")
    problem["early_stopping"]["restore_best"] = restore
    result = solve(problem).result
    es = problem["early_stopping"]
    f64 = torch.float64
    ws = [
        torch.tensor(layer["weights"], dtype=f64, requires_grad=True) for layer in problem["layers"]
    ]
    bs = [
        torch.tensor(layer["bias"] if isinstance(layer["bias"], list) else [layer["bias"]] * len(layer["weights"]),
                     dtype=f64, requires_grad=True)
        for layer in problem["layers"]
    ]  # fmt: skip

    def mean_loss(examples: list[dict]) -> object:
        losses = []
        for e in examples:
            a = torch.tensor(e["input"], dtype=f64)
            for w, b in zip(ws, bs):
                a = torch.sigmoid(w @ a + b)
            losses.append((0.5 * (torch.tensor(e["target"], dtype=f64) - a) ** 2).sum())
        return torch.stack(losses).mean()

    curve, snapshots = [], []
    for _ in range(problem["epochs"]):
        for p in ws + bs:
            p.grad = None
        mean_loss(problem["examples"]).backward()
        with torch.no_grad():
            for p in ws + bs:
                p -= problem["learning_rate"] * p.grad
            curve.append(float(mean_loss(es["validation"])))
            snapshots.append([w.detach().clone().numpy() for w in ws])
    stopped, best = keras_like(curve, es["patience"], es["min_delta"])
    ours = result["early_stopping"]
    assert ours["stopped_epoch"] == stopped and ours["best_epoch"] == best
    run = stopped or problem["epochs"]
    assert ours["validation_loss"] == pytest.approx(curve[:run], rel=1e-9)
    assert len(result["history"]) == run
    kept = best if restore else run
    layers = ours["kept_layers"] if restore else result["layers"]
    for layer, w in zip(layers, snapshots[kept - 1]):
        assert np.array(layer["weights"]) == pytest.approx(w, rel=1e-9)
