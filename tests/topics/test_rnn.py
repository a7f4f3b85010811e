"""rnn: forward pass and BPTT of rnn, lstm and gru cells against independent computations.

Two oracles, both written from the contract's equations and sharing no code with dlcalc:
a plain-Python forward pass differentiated by central finite differences, and PyTorch
autograd (where installed).  Problems are random: sizes, sequence lengths, targets on some
steps only, with and without an output layer, every cell kind and every loss.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.specs.loader import Document
from dlcalc.specs.rnn import load_rnn
from dlcalc.topics.rnn import solve_rnn

GATES = {
    "rnn": ["cell"],
    "lstm": ["input", "forget", "output", "candidate"],
    "gru": ["reset", "update", "candidate"],
}


def solve(problem: dict[str, Any], **kw: Any) -> Any:
    return solve_rnn(load_rnn(Document(problem, "problem.yaml")), **kw)


# --- a plain-Python reference ------------------------------------------------------------------


def _act(name: str, v: float) -> float:
    if name == "tanh":
        return math.tanh(v)
    if name == "sigmoid":
        return 1 / (1 + math.exp(-v))
    if name == "relu":
        return max(0.0, v)
    if name == "leaky_relu":
        return v if v > 0 else 0.01 * v
    if name == "softplus":
        return math.log1p(math.exp(v))
    assert name == "linear"
    return v


def _mv(M: list[list[float]], v: list[float]) -> list[float]:
    return [sum(a * b for a, b in zip(row, v)) for row in M]


def _affine(g: dict, x: list[float], prev: list[float]) -> list[float]:
    n = len(g["U"])
    b = g.get("b") or [0.0] * n
    return [u + w + bb for u, w, bb in zip(_mv(g["U"], x), _mv(g["W"], prev), b)]


def reference_loss(problem: dict[str, Any]) -> float:
    """The sequence loss, straight from the contract's equations, in plain Python."""
    cell, act = problem["cell"], problem.get("state_activation", "tanh")
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    if cell == "rnn":
        n = len(problem["U"])
    else:
        n = len(problem["gates"]["candidate"]["U"])
    s = list(problem.get("state0") or [0.0] * n)
    h = list(problem.get("hidden0") or [0.0] * n) if cell == "lstm" else s
    total = 0.0
    targets = problem.get("targets") or [None] * len(problem["inputs"])
    for x, t in zip(problem["inputs"], targets):
        if cell == "rnn":
            s = [_act(act, a) for a in _affine(problem, x, s)]
            h = s
        elif cell == "lstm":
            G = problem["gates"]
            i = [sig(a) for a in _affine(G["input"], x, h)]
            f = [sig(a) for a in _affine(G["forget"], x, h)]
            o = [sig(a) for a in _affine(G["output"], x, h)]
            c = [_act(act, a) for a in _affine(G["candidate"], x, h)]
            s = [ff * sp + ii * cc for ff, sp, ii, cc in zip(f, s, i, c)]
            h = [oo * _act(act, ss) for oo, ss in zip(o, s)]
        else:
            G = problem["gates"]
            r = [sig(a) for a in _affine(G["reset"], x, s)]
            z = [sig(a) for a in _affine(G["update"], x, s)]
            c = [
                _act(act, a) for a in _affine(G["candidate"], x, [rr * ss for rr, ss in zip(r, s)])
            ]
            s = [(1 - zz) * sp + zz * cc for zz, sp, cc in zip(z, s, c)]
            h = s
        if "V" in problem:
            net = [
                a + b
                for a, b in zip(_mv(problem["V"], h), problem.get("c") or [0.0] * len(problem["V"]))
            ]
            g = problem.get("output_activation", "linear")
            if g == "softmax":
                top = max(net)
                e = [math.exp(v - top) for v in net]
                y = [v / sum(e) for v in e]
            else:
                y = [_act(g, v) for v in net]
        else:
            y = h
        if t is None:
            continue
        loss, m = problem.get("loss", "half_sse"), len(y)
        for tk, yk in zip(t, y):
            if loss == "half_sse":
                total += 0.5 * (tk - yk) ** 2
            elif loss == "sse":
                total += (tk - yk) ** 2
            elif loss == "mse":
                total += (tk - yk) ** 2 / m
            elif loss == "bce":
                total -= tk * math.log(yk) + (1 - tk) * math.log(1 - yk)
            else:
                total -= tk * math.log(yk) if tk else 0.0
    return total


def parameter_paths(problem: dict[str, Any]) -> list[tuple[list[Any], Any]]:
    """(path into the problem, path into result.grad) for every parameter entry."""
    out = []
    blocks = (
        [([], [])]
        if problem["cell"] == "rnn"
        else [(["gates", g], ["gates", g]) for g in GATES[problem["cell"]]]
    )
    for src, dst in blocks:
        holder = problem
        for key in src:
            holder = holder[key]
        for name in ("U", "W", "b"):
            value = holder[name]
            if isinstance(value[0], list):
                out += [
                    (src + [name, j, i], dst + [name, j, i])
                    for j in range(len(value))
                    for i in range(len(value[0]))
                ]
            else:
                out += [(src + [name, j], dst + [name, j]) for j in range(len(value))]
    if "V" in problem:
        out += [
            (["V", k, j], ["V", k, j])
            for k in range(len(problem["V"]))
            for j in range(len(problem["V"][0]))
        ]
        out += [(["c", k], ["c", k]) for k in range(len(problem.get("c", [])))]
    return out


def _get(doc: Any, path: list[Any]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: list[Any], value: float) -> None:
    _get(doc, path[:-1])[path[-1]] = value


# --- random problems ---------------------------------------------------------------------------


def _numbers(draw: Any, count: int, scale: float = 1.0) -> list[float]:
    return [
        draw(st.floats(-scale, scale, allow_nan=False).map(lambda v: round(v, 3)))
        for _ in range(count)
    ]


@st.composite
def problems(draw: Any, smooth: bool = True) -> dict[str, Any]:
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    n, d, T = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    acts = ["tanh", "sigmoid", "softplus", "linear"] + ([] if smooth else ["relu", "leaky_relu"])
    problem: dict[str, Any] = {
        "cell": cell,
        "inputs": [_numbers(draw, d, 2.0) for _ in range(T)],
        "state_activation": draw(st.sampled_from(acts)),
    }

    def block() -> dict[str, Any]:
        return {
            "U": [_numbers(draw, d) for _ in range(n)],
            "W": [_numbers(draw, n) for _ in range(n)],
            "b": _numbers(draw, n),
        }

    if cell == "rnn":
        problem.update(block())
    else:
        problem["gates"] = {g: block() for g in GATES[cell]}
    if draw(st.booleans()):
        problem["state0"] = _numbers(draw, n)
    if cell == "lstm" and draw(st.booleans()):
        problem["hidden0"] = _numbers(draw, n)
    loss = draw(st.sampled_from(["half_sse", "sse", "mse", "bce", "cross_entropy"]))
    with_v = loss in ("bce", "cross_entropy") or draw(st.booleans())
    m = n
    if with_v:
        m = draw(st.integers(1, 3)) if loss != "cross_entropy" else draw(st.integers(2, 3))
        problem["V"] = [_numbers(draw, n) for _ in range(m)]
        if draw(st.booleans()):
            problem["c"] = _numbers(draw, m)
        problem["output_activation"] = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(
            loss, draw(st.sampled_from(["linear", "tanh", "sigmoid", "softmax", "softplus"]))
        )
    problem["loss"] = loss
    mask = draw(st.lists(st.booleans(), min_size=T, max_size=T).filter(any))
    targets: list[Any] = []
    for keep in mask:
        if not keep:
            targets.append(None)
        elif loss == "bce":
            targets.append([float(draw(st.integers(0, 1))) for _ in range(m)])
        elif loss == "cross_entropy" and draw(st.booleans()):
            hot = draw(st.integers(0, m - 1))
            targets.append([1.0 if k == hot else 0.0 for k in range(m)])
        elif loss == "cross_entropy":  # any values in [0, 1]: no softmax shortcut
            targets.append([draw(st.sampled_from([0.0, 0.25, 0.5, 1.0])) for _ in range(m)])
        else:
            targets.append(_numbers(draw, m))
    problem["targets"] = targets
    problem["learning_rate"] = 0.1
    return problem


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(problems())
def test_gradients_match_finite_differences(problem: dict[str, Any]) -> None:
    solution = solve(problem)
    assert solution.result["loss"] == pytest.approx(reference_loss(problem), rel=1e-9, abs=1e-12)
    eps = 1e-6
    for src, dst in parameter_paths(problem):
        base = _get(problem, src)
        _set(problem, src, base + eps)
        up = reference_loss(problem)
        _set(problem, src, base - eps)
        down = reference_loss(problem)
        _set(problem, src, base)
        numeric = (up - down) / (2 * eps)
        got = _get(solution.result["grad"], dst)
        assert got == pytest.approx(numeric, rel=1e-4, abs=1e-6), (src, got, numeric)
        # one update: θ − η ∂L/∂θ
        assert _get(solution.result["parameters"], dst) == pytest.approx(
            base - 0.1 * got, abs=1e-12
        )


# --- PyTorch autograd --------------------------------------------------------------------------


def torch_reference(problem: dict[str, Any]) -> tuple[float, dict[str, Any], list[dict[str, Any]]]:
    """Loss, gradients and the per-step states by autograd, the cells written from the equations."""
    torch = pytest.importorskip("torch")
    dt = torch.float64
    F = {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "leaky_relu": lambda v: torch.nn.functional.leaky_relu(v, 0.01),
        "softplus": torch.nn.functional.softplus,
        "linear": lambda v: v,
        "softmax": lambda v: torch.softmax(v, 0),
    }
    act = F[problem.get("state_activation", "tanh")]

    def tensor(v: Any) -> Any:
        return torch.tensor(v, dtype=dt, requires_grad=True)

    cell = problem["cell"]
    if cell == "rnn":
        P = {"cell": {k: tensor(problem[k]) for k in ("U", "W", "b")}}
    else:
        P = {g: {k: tensor(problem["gates"][g][k]) for k in ("U", "W", "b")} for g in GATES[cell]}
    n = len(next(iter(P.values()))["U"])
    V = tensor(problem["V"]) if "V" in problem else None
    c = tensor(problem["c"]) if "c" in problem else None
    s = torch.tensor(problem.get("state0") or [0.0] * n, dtype=dt)
    h = torch.tensor(problem.get("hidden0") or [0.0] * n, dtype=dt) if cell == "lstm" else s

    def aff(g: str, x: Any, prev: Any) -> Any:
        return P[g]["U"] @ x + P[g]["W"] @ prev + P[g]["b"]

    total = torch.zeros((), dtype=dt)
    states = []
    for x, t in zip(problem["inputs"], problem["targets"]):
        x = torch.tensor(x, dtype=dt)
        gates = {}
        if cell == "rnn":
            s = act(aff("cell", x, s))
            h = s
        elif cell == "lstm":
            gates = {g: torch.sigmoid(aff(g, x, h)) for g in ("input", "forget", "output")}
            gates["candidate"] = act(aff("candidate", x, h))
            s = gates["forget"] * s + gates["input"] * gates["candidate"]
            h = gates["output"] * act(s)
        else:
            gates = {g: torch.sigmoid(aff(g, x, s)) for g in ("reset", "update")}
            gates["candidate"] = act(aff("candidate", x, gates["reset"] * s))
            s = (1 - gates["update"]) * s + gates["update"] * gates["candidate"]
            h = s
        if V is not None:
            y = F[problem.get("output_activation", "linear")](V @ h + (c if c is not None else 0.0))
        else:
            y = h
        states.append(
            {
                "state": s.tolist(),
                "hidden": h.tolist(),
                "y": y.tolist(),
                "gates": {k: v.tolist() for k, v in gates.items()},
            }
        )
        if t is None:
            continue
        t = torch.tensor(t, dtype=dt)
        loss = problem["loss"]
        if loss == "half_sse":
            total = total + 0.5 * ((t - y) ** 2).sum()
        elif loss == "sse":
            total = total + ((t - y) ** 2).sum()
        elif loss == "mse":
            total = total + ((t - y) ** 2).mean()
        elif loss == "bce":
            total = total - (t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum()
        else:
            total = total - (t * torch.log(y)).sum()
    total.backward()

    def grads_of(block: dict[str, Any]) -> dict[str, Any]:
        return {k: v.grad.tolist() for k, v in block.items()}

    grads: dict[str, Any] = (
        grads_of(P["cell"]) if cell == "rnn" else {"gates": {g: grads_of(b) for g, b in P.items()}}
    )
    if V is not None:
        grads["V"] = V.grad.tolist()
        if c is not None:
            grads["c"] = c.grad.tolist()
    return float(total.detach()), grads, states


@PROPERTY
@given(problems(smooth=False))
def test_against_torch_autograd(problem: dict[str, Any]) -> None:
    loss, grads, states = torch_reference(problem)
    result = solve(problem).result
    assert result["loss"] == pytest.approx(loss, rel=1e-9, abs=1e-12)
    for got, want in zip(result["time"], states):
        for key in ("state", "hidden", "y"):
            np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-12)
        for g, v in want["gates"].items():
            np.testing.assert_allclose(got["gates"][g], v, rtol=1e-9, atol=1e-12)

    def compare(a: Any, b: Any) -> None:
        if isinstance(b, dict):
            assert set(a) == set(b)
            for k in b:
                compare(a[k], b[k])
        else:
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)

    compare(result["grad"], grads)


@PROPERTY
@given(problems(smooth=False), st.booleans())
def test_every_step_recomputes_and_renders(problem: dict[str, Any], flow: bool) -> None:
    """Each step's own function (check's error carried forward) gives its value; every format renders."""
    from dlcalc.render import Format, render_text

    solution = solve(problem, gradient_flow=flow)
    for step in solution.iter_steps():
        if step.computed:
            assert step.recompute({}) == pytest.approx(step.value, rel=1e-9, abs=1e-12), step.label
    labels = [s.label for s in solution.iter_steps()]
    assert len(labels) == len(set(labels))
    for fmt in (Format.markdown, Format.latex, Format.json):
        assert render_text(solution, fmt, 4, False)


def test_output_slopes_of_a_one_unit_state_have_one_label_each() -> None:
    """Regression (found by hypothesis): two softplus outputs over one state unit gave both
    ∂ŷ/∂net steps the label dyhat_dnet_3, because the index was taken from the state's size."""
    gate = {"U": [[0.1]], "W": [[0.2]], "b": [0.0]}
    solution = solve(
        {
            "cell": "gru",
            "inputs": [[0], [0], [0]],
            "targets": [None, None, [0, 0]],
            "learning_rate": 0.1,
            "gates": {"reset": gate, "update": gate, "candidate": gate},
            "V": [[0.5], [0.3]],
            "c": [0.0, 0.1],
            "output_activation": "softplus",
        }
    )
    labels = [s.label for s in solution.iter_steps()]
    assert "dyhat_dnet_3[1]" in labels and "dyhat_dnet_3[2]" in labels
    assert len(labels) == len(set(labels))


# --- worked examples ---------------------------------------------------------------------------

GOMEZ: dict[str, Any] = {
    "cell": "lstm",
    "inputs": [[1, 2], [0.5, 3]],
    "targets": [[0.5], [1.25]],
    "learning_rate": 0.1,
    "gates": {
        "candidate": {"U": [[0.45, 0.25]], "W": [[0.15]], "b": [0.2]},
        "input": {"U": [[0.95, 0.8]], "W": [[0.8]], "b": [0.65]},
        "forget": {"U": [[0.7, 0.45]], "W": [[0.1]], "b": [0.15]},
        "output": {"U": [[0.6, 0.4]], "W": [[0.25]], "b": [0.1]},
    },
}


def test_gomez_published_numbers() -> None:
    """Aidan Gomez's LSTM example: his published a, i, f, o, state, out and δ values."""
    solution = solve(GOMEZ)
    value = {s.label: s.value for s in solution.iter_steps()}
    assert value["f_1"] == pytest.approx(0.85195, abs=1e-5)
    assert value["stilde_1"] == pytest.approx(0.81775, abs=1e-5)
    assert value["s_1"] == pytest.approx(0.78572, abs=1e-5)
    assert value["h_1"] == pytest.approx(0.53631, abs=1e-5)
    assert value["s_2"] == pytest.approx(1.5176, abs=1e-4)
    assert value["h_2"] == pytest.approx(0.77198, abs=1e-5)
    assert value["dL_ds_2"] == pytest.approx(-0.07110, abs=1e-5)
    step = solution.step("f_1")
    assert step is not None
    assert step.formula() == "σ(W_f × h_0 + U_f[1,1] × x_1[1] + U_f[1,2] × x_1[2] + b_f)"
    assert step.substituted(lambda v: f"{v:g}") == "σ(0.1 × 0 + 0.7 × 1 + 0.45 × 2 + 0.15)"


def test_implicit_term_is_shown_separately() -> None:
    """∂L/∂h_1 = explicit (this step's loss) + ∂L_>1/∂h_1 (implicit, through step 2)."""
    solution = solve(GOMEZ)
    implicit = solution.step("dL_dh_1_implicit")
    both = solution.step("dL_dh_1")
    assert implicit is not None and both is not None
    assert implicit.formula() == "W_i × δi_2 + W_f × δf_2 + W_o × δo_2 + W × δs̃_2"
    assert both.formula() == "∂L/∂ŷ_1 + ∂L_>1/∂h_1"  # without V, ∂L_1/∂h_1 is ∂L/∂ŷ_1
    ds = solution.step("dL_ds_1")
    assert ds is not None and (ds.formula() or "").endswith("+ ∂L/∂s_2 × f_2")
    with_v = solve({**GOMEZ, "V": [[2.0]], "c": [0.5]})
    explicit = with_v.step("dL_dh_1_explicit")
    implicit = with_v.step("dL_dh_1_implicit")
    both = with_v.step("dL_dh_1")
    assert explicit is not None and implicit is not None and both is not None
    assert explicit.formula() == "V × δŷ_1" and "explicit" in (explicit.note or "")
    assert both.formula() == "∂L_1/∂h_1 + ∂L_>1/∂h_1"
    assert both.value == pytest.approx(explicit.value + implicit.value)


def test_every_step_recomputes_from_its_formula() -> None:
    """Each step's own function (used by check's error carried forward) gives its value."""
    for problem in (
        GOMEZ,
        {
            **GOMEZ,
            "cell": "gru",
            "gates": {
                g: GOMEZ["gates"][g2]
                for g, g2 in (("reset", "input"), ("update", "forget"), ("candidate", "candidate"))
            },
        },
    ):
        solution = solve(problem, gradient_flow=True)
        for step in solution.iter_steps():
            if step.computed:
                assert step.recompute({}) == pytest.approx(step.value, rel=1e-9, abs=1e-12), (
                    step.label
                )


def test_carry_rounds_every_recorded_value() -> None:
    solution = solve(GOMEZ, carry=3)
    for step in solution.iter_steps():
        assert round(step.value, 3) == pytest.approx(step.value, abs=1e-12), step.label
    assert solution.result["time"][0]["state"] == [0.786]


def test_gradient_flow_products() -> None:
    problem = {
        "cell": "rnn",
        "inputs": [[1.0]] * 4,
        "U": [[0.5]],
        "W": [[0.9]],
        "b": [0.0],
        "state_activation": "linear",
    }
    result = solve(problem, gradient_flow=True).result
    flow = result["gradient_flow"]
    assert [f[0][0] for f in flow["factors"]] == pytest.approx([0.9] * 4)
    assert flow["products"][0][0][0] == pytest.approx(0.9**4)
    assert "grad" not in result


def test_gru_flow_against_finite_differences() -> None:
    problem = {
        "cell": "gru",
        "inputs": [[0.3, -1.0], [1.0, 0.5], [0.2, 0.2]],
        "state0": [0.1, -0.2],
        "gates": {
            g: {
                "U": [[0.2 * k, -0.1], [0.3, 0.1 * k]],
                "W": [[0.5, -0.4 * k], [0.2, 0.7]],
                "b": [0.1, -0.1 * k],
            }
            for k, g in enumerate(("reset", "update", "candidate"), start=1)
        },
    }
    result = solve(problem, gradient_flow=True).result
    product = np.array(result["gradient_flow"]["products"][0])

    def final_state(s0: list[float]) -> np.ndarray:
        return np.array(solve({**problem, "state0": s0}).result["time"][-1]["state"])

    eps = 1e-6
    for i in range(2):
        up, down = list(problem["state0"]), list(problem["state0"])
        up[i] += eps
        down[i] -= eps
        column = (final_state(up) - final_state(down)) / (2 * eps)
        np.testing.assert_allclose(product[:, i], column, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", ["rnn-1unit.yaml", "lstm-gomez.yaml", "gru-1unit.yaml"])
def test_examples_against_torch(name: str) -> None:
    """The examples' numbers (the GRU one has no published source) against autograd."""
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[2] / "examples" / name
    problem = yaml.safe_load(path.read_text(encoding="utf-8"))
    problem.pop("command"), problem.pop("title"), problem.pop("source")
    loss, grads, states = torch_reference(problem)
    result = solve(problem).result
    assert result["loss"] == pytest.approx(loss, rel=1e-12)
    for got, want in zip(result["time"], states):
        np.testing.assert_allclose(got["state"], want["state"], rtol=1e-12)
    flat_got = np.concatenate([np.ravel(v) for v in _leaves(result["grad"])])
    flat_want = np.concatenate([np.ravel(v) for v in _leaves(grads)])
    np.testing.assert_allclose(flat_got, flat_want, rtol=1e-9, atol=1e-12)


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    return [tree]


def test_a_problem_too_large_to_write_out_is_still_solved() -> None:
    n, d, T = 6, 4, 12
    block = {"U": [[0.1] * d] * n, "W": [[0.05] * n] * n, "b": [0.0] * n}
    problem = {
        "cell": "lstm",
        "inputs": [[0.5] * d] * T,
        "targets": [[0.2] * n] * T,
        "loss": "half_sse",
        "learning_rate": 0.1,
        "gates": dict.fromkeys(GATES["lstm"], block),
    }
    solution = solve(problem)
    assert any("Too large to write out" in note for note in solution.notes)
    assert not solution.steps
    loss, grads, _ = torch_reference(problem)
    assert solution.result["loss"] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(
        solution.result["grad"]["gates"]["forget"]["W"], grads["gates"]["forget"]["W"], rtol=1e-9
    )


@PROPERTY
@given(problems(smooth=False), st.integers(2, 5))
def test_carry_each_step_is_its_formula_of_rounded_inputs_rounded(
    problem: dict[str, Any], carry: int
) -> None:
    """--carry: every step is its own formula, worked from the rounded values shown, then rounded."""
    try:
        solution = solve(problem, carry=carry, gradient_flow=True)
    except InputError:  # a carried output rounded to exactly 0 or 1 under bce: refused, fine
        return
    for step in solution.iter_steps():
        assert round(step.value, carry) == pytest.approx(step.value, abs=1e-12), step.label
        if step.computed:
            assert step.recompute({}) == pytest.approx(step.value, abs=0.5 * 10**-carry + 1e-9), (
                step.label
            )
