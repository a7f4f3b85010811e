"""Recurrent cells (rnn, lstm, gru) over a sequence: forward pass, BPTT and one update, worked.

The numbers come from a small engine (:func:`run_forward`, :func:`run_backward`,
:func:`flow_factors`) on NumPy arrays, in the slides' notation: U multiplies the
input x_t, W the previous state s_{t−1} (the LSTM's gates read h_{t−1}), every gate has
its own U, W, b.  The worked solution is then read off those arrays by
:class:`~dlcalc.topics.rnn_steps.Recorder` (formula trees, one step per gate, state and
gradient component), so that ``--check``, ``--carry`` and ``--exact`` work as for every
other command.

Backpropagation through time goes latest step first: ∂L/∂s_t is the sum of the
*explicit* part (from this step's own loss, through ŷ_t) and the *implicit* part (from
step t + 1, through s_{t+1}); each parameter's gradient is the sum over the time steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlcalc.errors import InputError
from dlcalc.maths.numerics import Activation, Loss, rounder, sigmoid
from dlcalc.model.steps import Section, Solution, Table
from dlcalc.specs.rnn import GATES, RnnProblem
from dlcalc.topics.rnn_model import Array, Block, Frame, Model, Params
from dlcalc.topics.rnn_steps import Recorder

Round = Callable[[Any], Any]
ALPHA = 0.01
MAX_WRITTEN_TERMS = 5_000  # larger problems are solved, but not written out step by step  # leaky_relu's slope for negative net input (as for networks)


# --- the engine -------------------------------------------------------------------------------


def _slope(act: Activation, net: Array, out: Array) -> Array:
    return np.asarray(act.slope(net, out, ALPHA), dtype=float)


def run_forward(model: Model, p: Params, rnd: Round) -> list[Frame]:
    """The forward pass over the sequence; every recorded quantity is rounded by ``rnd``."""
    frames: list[Frame] = []
    s_prev, h_prev = model.s0, model.h0 if model.kind == "lstm" else model.s0
    act, split = model.state_act, model.split(model.state_act)
    with np.errstate(all="ignore"):
        for x, target in zip(model.xs, model.targets):
            fr = Frame(x=x, s_prev=s_prev, h_prev=h_prev, target=target)
            B = p.blocks
            if model.kind == "rnn":
                net = B["cell"].U @ x + B["cell"].W @ s_prev + B["cell"].b
                fr.net["cell"] = rnd(net) if split else net
                fr.s = rnd(act.f(fr.net["cell"], ALPHA))
                fr.h = fr.s
            elif model.kind == "lstm":
                for g in ("input", "forget", "output"):
                    fr.gate[g] = rnd(sigmoid(B[g].U @ x + B[g].W @ h_prev + B[g].b))
                net = B["candidate"].U @ x + B["candidate"].W @ h_prev + B["candidate"].b
                fr.net["candidate"] = rnd(net) if split else net
                fr.gate["candidate"] = rnd(act.f(fr.net["candidate"], ALPHA))
                fr.s = rnd(fr.gate["forget"] * s_prev + fr.gate["input"] * fr.gate["candidate"])
                fr.m = rnd(act.f(fr.s, ALPHA))
                fr.h = rnd(fr.gate["output"] * fr.m)
            else:
                for g in ("reset", "update"):
                    fr.gate[g] = rnd(sigmoid(B[g].U @ x + B[g].W @ s_prev + B[g].b))
                rs = fr.gate["reset"] * s_prev
                net = B["candidate"].U @ x + B["candidate"].W @ rs + B["candidate"].b
                fr.net["candidate"] = rnd(net) if split else net
                fr.gate["candidate"] = rnd(act.f(fr.net["candidate"], ALPHA))
                z = fr.gate["update"]
                fr.s = rnd((1.0 - z) * s_prev + z * fr.gate["candidate"])
                fr.h = fr.s
            if p.V is not None:
                assert p.c is not None
                fr.net_y = rnd(p.V @ fr.h + p.c)
                fr.y = rnd(model.out_act.f(fr.net_y, ALPHA))
            else:
                fr.y = fr.h
            if not np.all(np.isfinite(fr.y)) or not np.all(np.isfinite(fr.s)):
                raise InputError(
                    "a value overflowed to infinity; the weights or inputs are too large",
                    field="inputs",
                )
            if target is not None:
                fr.terms = _loss_terms(model.loss, target, fr.y, rnd, len(frames) + 1)
                fr.loss = float(rnd(np.sum(fr.terms)))
            frames.append(fr)
            s_prev, h_prev = fr.s, fr.h
    return frames


def _loss_terms(loss: Loss, t: Array, y: Array, rnd: Round, step: int) -> Array:
    if loss.needs_probabilities and (np.any(y < 0) or np.any(y > 1)):
        k = int(np.argmax((y < 0) | (y > 1)))
        raise InputError(
            f"loss {loss.name} needs outputs between 0 and 1, but ŷ_{step}[{k + 1}] = {y[k]:.6g}; "
            "use an output layer V with output_activation sigmoid (bce) or softmax (cross_entropy)",
            field="loss",
        )
    with np.errstate(all="ignore"):
        terms = rnd(loss.term(t, y, len(t)))
    if not np.all(np.isfinite(terms)):
        raise InputError(
            f"the loss at step {step} is infinite (ln 0): an output is saturated at exactly 0 or 1",
            field="loss",
        )
    return np.asarray(terms, dtype=float)


def softmax_shortcut(model: Model, t: Array) -> bool:
    """Softmax output with cross-entropy and a target summing to 1: δŷ = ŷ − y."""
    return (
        model.params.V is not None
        and model.out_act.name == "softmax"
        and model.loss.name == "cross_entropy"
        and abs(float(np.sum(t)) - 1.0) < 1e-12
    )


def run_backward(
    model: Model, p: Params, frames: list[Frame], rnd: Round, truncate: int | None = -1
) -> dict[str, Any]:
    """Backpropagation through time, latest step first; returns the gradients (summed over t).

    With truncation (the model's ``truncate`` k, or ``truncate`` given; None: full BPTT) the
    gradient does not flow back across the cuts after steps k, 2k, …
    """
    act = model.state_act
    split = model.split(act)
    zeros = np.zeros(model.n)
    after: Frame | None = None
    B = p.blocks
    with np.errstate(all="ignore"):
        for t in range(len(frames), 0, -1):
            fr = frames[t - 1]
            after = after if after is not None and model.carries_back(t, truncate) else None
            explicit = zeros
            if fr.target is not None:
                if softmax_shortcut(model, fr.target):
                    fr.dy = rnd(fr.y - fr.target)
                else:
                    fr.gy = rnd(model.loss.grad(fr.target, fr.y, len(fr.target)))
                    if p.V is not None:
                        assert fr.net_y is not None
                        if not model.out_act.elementwise:
                            fr.dy = rnd(fr.y * (fr.gy - np.dot(fr.gy, fr.y)))
                        else:
                            slope = _slope(model.out_act, fr.net_y, fr.y)
                            if model.split(model.out_act):
                                fr.y_slope = slope = rnd(slope)
                            fr.dy = rnd(fr.gy * slope)
                if p.V is not None:
                    assert fr.dy is not None
                    explicit = p.V.T @ fr.dy
                else:
                    assert fr.gy is not None
                    explicit = fr.gy
            if model.kind == "rnn":
                implicit = zeros if after is None else B["cell"].W.T @ after.delta["cell"]
                fr.ds = _parts(fr, explicit, implicit, after is not None, rnd)
                slope = _slope(act, fr.net["cell"], fr.s)
                if split:
                    fr.slope["cell"] = slope = rnd(slope)
                fr.delta["cell"] = rnd(fr.ds * slope)
            elif model.kind == "lstm":
                implicit = zeros
                if after is not None:
                    implicit = sum((B[g].W.T @ after.delta[g] for g in GATES["lstm"]), start=zeros)
                fr.dh = _parts(fr, explicit, implicit, after is not None, rnd)
                assert fr.m is not None
                m_slope = _slope(act, fr.s, fr.m)
                if split:
                    fr.slope["state"] = m_slope = rnd(m_slope)
                carried = zeros if after is None else after.ds * after.gate["forget"]
                fr.ds = rnd(fr.dh * fr.gate["output"] * m_slope + carried)
                i, f, o, cand = (fr.gate[g] for g in ("input", "forget", "output", "candidate"))
                fr.delta["output"] = rnd(fr.dh * fr.m * o * (1.0 - o))
                fr.delta["input"] = rnd(fr.ds * cand * i * (1.0 - i))
                fr.delta["forget"] = rnd(fr.ds * fr.s_prev * f * (1.0 - f))
                c_slope = _slope(act, fr.net["candidate"], cand)
                if split:
                    fr.slope["candidate"] = c_slope = rnd(c_slope)
                fr.delta["candidate"] = rnd(fr.ds * i * c_slope)
            else:
                implicit = zeros
                if after is not None:
                    assert after.ds is not None and after.drs is not None
                    implicit = (
                        after.ds * (1.0 - after.gate["update"])
                        + after.drs * after.gate["reset"]
                        + B["reset"].W.T @ after.delta["reset"]
                        + B["update"].W.T @ after.delta["update"]
                    )
                fr.ds = _parts(fr, explicit, implicit, after is not None, rnd)
                r, z, cand = (fr.gate[g] for g in ("reset", "update", "candidate"))
                fr.delta["update"] = rnd(fr.ds * (cand - fr.s_prev) * z * (1.0 - z))
                c_slope = _slope(act, fr.net["candidate"], cand)
                if split:
                    fr.slope["candidate"] = c_slope = rnd(c_slope)
                fr.delta["candidate"] = rnd(fr.ds * z * c_slope)
                fr.drs = rnd(B["candidate"].W.T @ fr.delta["candidate"])
                fr.delta["reset"] = rnd(fr.drs * fr.s_prev * r * (1.0 - r))
            after = fr
    for fr in frames:
        values = [fr.ds, *fr.delta.values()] + ([fr.dy] if fr.dy is not None else [])
        if not all(np.all(np.isfinite(v)) for v in values if v is not None):
            raise InputError(
                "a gradient is not finite: an output is saturated at exactly 0 or 1 "
                "(its loss derivative divides by zero); use smaller weights",
                field="loss",
            )
    grads: dict[str, Any] = {"blocks": {}}
    for name in B:
        grads["blocks"][name] = Block(
            rnd(sum(np.outer(fr.delta[name], fr.x) for fr in frames)),
            rnd(sum(np.outer(fr.delta[name], recurrent_input(model, fr, name)) for fr in frames)),
            rnd(sum(fr.delta[name] for fr in frames)),
        )
    if p.V is not None:
        with_target = [fr for fr in frames if fr.dy is not None]
        dys = [np.asarray(fr.dy) for fr in with_target]
        grads["V"] = rnd(sum(np.outer(dy, fr.h) for dy, fr in zip(dys, with_target)))
        grads["c"] = rnd(sum(dys))
    return grads


def _parts(fr: Frame, explicit: Array, implicit: Array, later: bool, rnd: Round) -> Array:
    """∂L/∂s_t = explicit + implicit, each part rounded on its own (as written) before the sum."""
    fr.explicit = rnd(explicit) if fr.target is not None else None
    fr.implicit = rnd(implicit) if later else None
    parts = [p for p in (fr.explicit, fr.implicit) if p is not None]
    if not parts:
        return np.zeros(len(explicit))
    return parts[0] if len(parts) == 1 else rnd(parts[0] + parts[1])


def recurrent_input(model: Model, fr: Frame, block: str) -> Array:
    """What W multiplies in a block: s_{t−1}, h_{t−1} (lstm) or r_t ⊙ s_{t−1} (gru's candidate)."""
    if model.kind == "lstm":
        return fr.h_prev
    if model.kind == "gru" and block == "candidate":
        return fr.gate["reset"] * fr.s_prev
    return fr.s_prev


def update(p: Params, grads: dict[str, Any], lr: float, rnd: Round) -> Params:
    """θ⁺ = θ − η ∂L/∂θ for every parameter."""
    new = Params(
        {
            k: Block(
                rnd(b.U - lr * grads["blocks"][k].U),
                rnd(b.W - lr * grads["blocks"][k].W),
                rnd(b.b - lr * grads["blocks"][k].b),
            )
            for k, b in p.blocks.items()
        }
    )
    if p.V is not None:
        new.V = rnd(p.V - lr * grads["V"])
        new.c = rnd(p.c - lr * grads["c"])
    return new


def flow_factors(model: Model, p: Params, frames: list[Frame], rnd: Round) -> list[Array]:
    """∂s_j/∂s_{j−1} for j = 1 … T (the LSTM: the direct path through the cell state, diag(f_j))."""
    act = model.state_act
    out: list[Array] = []
    with np.errstate(all="ignore"):
        for fr in frames:
            B = p.blocks
            if model.kind == "rnn":
                slope = _slope(act, fr.net["cell"], fr.s)
                out.append(rnd(slope[:, None] * B["cell"].W))
            elif model.kind == "lstm":
                out.append(rnd(np.diag(fr.gate["forget"])))
            else:
                r, z, cand = (fr.gate[g] for g in ("reset", "update", "candidate"))
                dz = (z * (1 - z))[:, None] * B["update"].W
                dr = (r * (1 - r))[:, None] * B["reset"].W
                d_rs = np.diag(r) + fr.s_prev[:, None] * dr
                d_cand = _slope(act, fr.net["candidate"], cand)[:, None] * (B["candidate"].W @ d_rs)
                jac = np.diag(1.0 - z) + (cand - fr.s_prev)[:, None] * dz + z[:, None] * d_cand
                out.append(rnd(jac))
    return out


def flow_products(factors: list[Array], rnd: Round) -> list[Array]:
    """∂s_T/∂s_k = ∂s_T/∂s_{T−1} ⋯ ∂s_{k+1}/∂s_k for k = 0 … T−1."""
    T = len(factors)
    products: list[Array] = [np.eye(len(factors[0]))] * (T + 1)
    acc = np.eye(len(factors[0]))
    for k in range(T - 1, -1, -1):
        acc = rnd(acc @ factors[k])
        products[k] = acc
    return products[:T]


# --- the command ------------------------------------------------------------------------------


def _block_result(b: Block) -> dict[str, Any]:
    return {"U": b.U.tolist(), "W": b.W.tolist(), "b": b.b.tolist()}


def _params_result(model: Model, p: Params, keep_c: bool) -> dict[str, Any]:
    if model.kind == "rnn":
        out = _block_result(p.blocks["cell"])
    else:
        out = {"gates": {k: _block_result(b) for k, b in p.blocks.items()}}
    if p.V is not None:
        out["V"] = p.V.tolist()
        if keep_c:
            assert p.c is not None
            out["c"] = p.c.tolist()
    return out


def written_terms(model: Model) -> int:
    """About how many products the worked solution writes: what writing it out costs."""
    n, d, T = model.n, len(model.xs[0]), len(model.xs)
    per_step = len(model.params.blocks) * n * (n + d + 1) + model.m * (n + 1)
    return 3 * per_step * T  # forward, backward and the gradient sums


def solve_rnn(spec: RnnProblem, carry: int | None = None, gradient_flow: bool = False) -> Solution:
    """Forward pass over the sequence, the loss, BPTT, the gradients and one update."""
    model = Model.from_problem(spec)
    rnd = rounder(carry)
    p = model.params
    frames = run_forward(model, p, rnd)
    losses = [fr.loss for fr in frames if fr.loss is not None]
    total_loss = float(rnd(sum(losses))) if losses else None
    terms = written_terms(model)
    write = terms <= MAX_WRITTEN_TERMS
    recorder = Recorder(model, p, frames, total_loss, rnd)
    sections = recorder.forward() if write else [_summary(frames)]
    result: dict[str, Any] = {"cell": model.kind, "time": []}
    for fr in frames:
        entry: dict[str, Any] = {
            "x": fr.x.tolist(),
            "state": fr.s.tolist(),
            "hidden": fr.h.tolist(),
            "y": fr.y.tolist(),
            "gates": {g: v.tolist() for g, v in fr.gate.items()},
        }
        if fr.loss is not None:
            entry["loss"] = fr.loss
        result["time"].append(entry)
    if total_loss is not None:
        result["loss"] = total_loss
    if model.trains:
        grads = run_backward(model, p, frames, rnd)
        if write:
            sections += recorder.backward()
            sections.append(recorder.gradients(grads))
        grad_params = Params(grads["blocks"], grads.get("V"), grads.get("c"))
        result["grad"] = _params_result(model, grad_params, model.has_c)
        if model.truncate is not None:
            import copy

            full = run_backward(model, p, copy.deepcopy(frames), rnd, truncate=None)
            full_params = Params(full["blocks"], full.get("V"), full.get("c"))
            result["grad_full"] = _params_result(model, full_params, model.has_c)
            result["truncate"] = model.truncate
            sections.append(_truncation_section(model, grad_params, full_params))
        if model.learning_rate is not None:
            new = update(p, grads, model.learning_rate, rnd)
            if write:
                sections.append(recorder.updates(grads, new, model.learning_rate))
            result["parameters"] = _params_result(model, new, model.has_c)
    if gradient_flow:
        factors = flow_factors(model, p, frames, rnd)
        products = flow_products(factors, rnd)
        if write:
            sections.append(recorder.flow(factors, products))
        result["gradient_flow"] = {
            "factors": [f.tolist() for f in factors],
            "products": [q.tolist() for q in products],
        }
    notes = []
    if not write:
        notes.append(
            f"Too large to write out step by step (about {terms:,} products; at most "
            f"{MAX_WRITTEN_TERMS:,}): the loss per step is shown and the JSON result holds every "
            "value. Fewer units or time steps give the worked solution."
        )
    if not model.trains:
        notes.append(
            "No targets: the forward pass only (give targets for BPTT, and a learning rate for the update)."
        )
    elif model.learning_rate is None:
        notes.append("No learning rate: the gradients only (give learning_rate for the update).")
    paths = recorder.paths("grad" in result, "parameters" in result)
    return Solution(
        "rnn", sections, result, title=spec.title, source=spec.source, notes=notes, paths=paths
    )


def _truncation_section(model: Model, truncated: Params, full: Params) -> Section:
    """The truncated gradients beside full BPTT's, entry by entry, and their difference."""
    k = model.truncate
    T = len(model.xs)
    chunks = ", ".join(f"{a}–{min(a + k - 1, T)}" for a in range(1, T + 1, k)) if k else ""
    section = Section(f"Truncated BPTT (k = {k}) beside full BPTT")
    section.add(
        f"The sequence is cut into chunks of {k} steps ({chunks}): the state flows forward across "
        "a cut, the gradient does not flow back across it (PyTorch's h.detach() every k steps), so "
        "each loss reaches back at most to the start of its chunk.  The update uses the truncated "
        "gradient; full BPTT sums every path."
    )
    rows: list[list[Any]] = []

    def add(name: str, a: Array, b: Array) -> None:
        for index in np.ndindex(a.shape):
            where = "[" + ",".join(str(i + 1) for i in index) + "]" if a.size > 1 else ""
            value_t, value_f = float(a[index]), float(b[index])
            rows.append([f"{name}{where}", value_t, value_f, value_t - value_f])

    for block in truncated.blocks:
        prefix = "" if block == "cell" else f"{block}."
        for which in ("U", "W", "b"):
            add(
                prefix + which,
                getattr(truncated.blocks[block], which),
                getattr(full.blocks[block], which),
            )
    if truncated.V is not None and full.V is not None:
        add("V", truncated.V, full.V)
    if truncated.c is not None and full.c is not None and model.has_c:
        add("c", truncated.c, full.c)
    section.add(Table(["∂L/∂θ", "truncated", "full BPTT", "difference"], rows))
    return section


def _summary(frames: list[Frame]) -> Section:
    """The loss of each step, for a problem too large to write out."""
    section = Section("The sequence, step by step")
    rows: list[list[Any]] = [
        [t, fr.s.tolist(), fr.y.tolist(), "—" if fr.loss is None else fr.loss]
        for t, fr in enumerate(frames, start=1)
    ]
    section.add(Table(["t", "state s_t", "output ŷ_t", "loss L_t"], rows, elide=True))
    return section
