"""Recurrent cells (rnn, lstm, gru) over a sequence: forward pass, BPTT and one update, worked.

The numbers come from a small engine (:func:`run_forward`, :func:`run_backward`,
:func:`gradient_flow`) on NumPy arrays, in the slides' notation: U multiplies the
input x_t, W the previous state s_{t−1} (the LSTM's gates read h_{t−1}), every gate has
its own U, W, b.  The worked solution is then read off those arrays by :class:`Recorder`,
one step per gate, state and gradient component, so that ``--check``, ``--carry`` and
``--exact`` work as for every other command.

Backpropagation through time goes latest step first: ∂L/∂s_t is the sum of the
*explicit* part (from this step's own loss, through ŷ_t) and the *implicit* part (from
step t + 1, through s_{t+1}); each parameter's gradient is the sum over the time steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from dlcalc.errors import InputError
from dlcalc.numerics import ACTIVATION, LOSS, Activation, Loss, rounder, sigmoid
from dlcalc.specs.rnn import GATES, RnnProblem
from dlcalc.steps import Arg, Section, Solution, Step, Table

Array = np.ndarray
Round = Callable[[Any], Any]
ALPHA = 0.01  # leaky_relu's slope for negative net input (as for networks)
INLINE_SLOPES = ("tanh", "sigmoid", "linear")  # slopes written from the output inside δ's formula

# How each block of parameters and its value are written: (label, symbol) of the value,
# the suffix of its parameters (U_f, W_f, b_f; the candidate's are plain U, W, b).
VALUE_NAME = {
    "cell": ("s", "s"),
    "input": ("i", "i"),
    "forget": ("f", "f"),
    "output": ("o", "o"),
    "candidate": ("stilde", "s̃"),
    "reset": ("r", "r"),
    "update": ("z", "z"),
}
SUFFIX = {
    "cell": "",
    "input": "_i",
    "forget": "_f",
    "output": "_o",
    "candidate": "",
    "reset": "_r",
    "update": "_z",
}


# --- the engine -------------------------------------------------------------------------------


@dataclass
class Block:
    """One gate's (or the plain cell's) parameters: U (input), W (recurrent), b."""

    U: Array
    W: Array
    b: Array


@dataclass
class Params:
    blocks: dict[str, Block]  # "cell" for rnn; the gate names for lstm and gru
    V: Array | None = None
    c: Array | None = None

    def copy(self) -> Params:
        return Params(
            {k: Block(b.U.copy(), b.W.copy(), b.b.copy()) for k, b in self.blocks.items()},
            None if self.V is None else self.V.copy(),
            None if self.c is None else self.c.copy(),
        )


@dataclass
class Frame:
    """Everything one time step computes, forward and backward."""

    x: Array
    s_prev: Array
    h_prev: Array
    target: Array | None = None
    net: dict[str, Array] = field(default_factory=dict)  # pre-activations of the state/candidate
    gate: dict[str, Array] = field(default_factory=dict)  # gate values and the candidate s̃_t
    s: Array = field(default_factory=lambda: np.zeros(0))
    m: Array | None = None  # lstm: act(s_t)
    h: Array = field(default_factory=lambda: np.zeros(0))
    net_y: Array | None = None
    y: Array = field(default_factory=lambda: np.zeros(0))
    terms: Array | None = None
    loss: float | None = None
    # backward
    gy: Array | None = None  # ∂L/∂ŷ_t
    y_slope: Array | None = None  # ∂ŷ/∂net_ŷ (recorded only for relu-like output activations)
    dy: Array | None = None  # δŷ_t = ∂L/∂net_ŷ_t
    dh: Array | None = None  # lstm: ∂L/∂h_t
    ds: Array | None = None  # ∂L/∂s_t
    slope: dict[str, Array] = field(
        default_factory=dict
    )  # recorded slopes of relu-like activations
    delta: dict[str, Array] = field(default_factory=dict)  # ∂L/∂(pre-activation) per block
    drs: Array | None = None  # gru: ∂L/∂(r_t ⊙ s_{t−1})


@dataclass
class Model:
    """A problem read into arrays: the cell, its parameters and the sequence."""

    kind: str
    params: Params
    xs: list[Array]
    targets: list[Array | None]
    s0: Array
    h0: Array
    state_act: Activation
    out_act: Activation
    loss: Loss
    learning_rate: float | None
    has_c: bool

    @classmethod
    def from_problem(cls, spec: RnnProblem) -> Model:
        if spec.cell == "rnn":
            assert spec.U is not None and spec.W is not None
            n = len(spec.U)
            raw = {"cell": (spec.U, spec.W, spec.b)}
        else:
            assert spec.gates is not None
            raw = {g: (spec.gates[g].U, spec.gates[g].W, spec.gates[g].b) for g in GATES[spec.cell]}
            n = len(next(iter(raw.values()))[0])
        blocks = {
            name: Block(
                np.array(U, dtype=float),
                np.array(W, dtype=float),
                np.zeros(n) if b is None else np.array(b, dtype=float),
            )
            for name, (U, W, b) in raw.items()
        }
        V = None if spec.V is None else np.array(spec.V, dtype=float)
        c = None
        if V is not None:
            c = np.zeros(len(V)) if spec.c is None else np.array(spec.c, dtype=float)
        targets = spec.targets or [None] * len(spec.inputs)
        return cls(
            kind=spec.cell,
            params=Params(blocks, V, c),
            xs=[np.array(x, dtype=float) for x in spec.inputs],
            targets=[None if t is None else np.array(t, dtype=float) for t in targets],
            s0=np.zeros(n) if spec.state0 is None else np.array(spec.state0, dtype=float),
            h0=np.zeros(n) if spec.hidden0 is None else np.array(spec.hidden0, dtype=float),
            state_act=ACTIVATION[spec.state_activation],
            out_act=ACTIVATION[spec.output_activation],
            loss=LOSS[spec.loss],
            learning_rate=spec.learning_rate,
            has_c=spec.c is not None,
        )

    @property
    def n(self) -> int:
        return len(self.s0)

    @property
    def m(self) -> int:
        return self.n if self.params.V is None else len(self.params.V)

    @property
    def trains(self) -> bool:
        return any(t is not None for t in self.targets)

    def split(self, act: Activation) -> bool:
        """Is the activation's net input written as a step of its own (its slope needs it)?"""
        return act.name not in INLINE_SLOPES


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


def run_backward(model: Model, p: Params, frames: list[Frame], rnd: Round) -> dict[str, Any]:
    """Backpropagation through time, latest step first; returns the gradients (summed over t)."""
    act = model.state_act
    split = model.split(act)
    zeros = np.zeros(model.n)
    after: Frame | None = None
    B = p.blocks
    with np.errstate(all="ignore"):
        for fr in reversed(frames):
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
                fr.ds = rnd(explicit + implicit)
                slope = _slope(act, fr.net["cell"], fr.s)
                if split:
                    fr.slope["cell"] = slope = rnd(slope)
                fr.delta["cell"] = rnd(fr.ds * slope)
            elif model.kind == "lstm":
                implicit = zeros
                if after is not None:
                    implicit = sum((B[g].W.T @ after.delta[g] for g in GATES["lstm"]), start=zeros)
                fr.dh = rnd(explicit + implicit)
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
                fr.ds = rnd(explicit + implicit)
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


# --- names ------------------------------------------------------------------------------------


def _index(size: int, j: int) -> str:
    return "" if size == 1 else f"[{j + 1}]"


def _mindex(shape: tuple[int, ...], j: int, i: int) -> str:
    return "" if shape == (1, 1) else f"[{j + 1},{i + 1}]"


def timed(label: str, symbol: str, t: int, size: int, j: int) -> tuple[str, str]:
    """``s_2`` (one unit) or ``s_2[1]``: the label and symbol of unit j of a vector at step t."""
    k = _index(size, j)
    return f"{label}_{t}{k}", f"{symbol}_{t}{k}"


@lru_cache(maxsize=4096)
def _parsed(template: str, holes: int) -> Any:
    from dlcalc.expressions import parse

    text = template.format(*(f"a{k}" for k in range(holes)))
    for mark, plain in (("⊙", "×"), ("½", "(1/2)"), ("[", "("), ("]", ")")):
        text = text.replace(mark, plain)
    return parse(text, field="formula")


def formula_fn(template: str) -> Callable[..., float]:
    """Recompute a step from its own formula (used by ``check`` to carry a student's values)."""

    def fn(*values: float) -> float:
        from dlcalc.expressions import evaluate

        node = _parsed(template, len(values))
        return evaluate(node, {f"a{k}": float(v) for k, v in enumerate(values)})

    return fn


def _sum_template(count: int) -> str:
    return " + ".join(["{} × {}"] * count) if count else "0"


# --- the worked solution ----------------------------------------------------------------------


class Recorder:
    """Writes the steps of the forward pass, BPTT, the gradients and the update."""

    def __init__(self, model: Model, p: Params, frames: list[Frame], rnd: Round) -> None:
        self.model = model
        self.p = p
        self.frames = frames
        self.rnd = rnd
        self.n = model.n
        self.d = len(model.xs[0])
        self.m = model.m
        self.T = len(frames)

    # quantities as Args ----------------------------------------------------------------

    def x(self, t: int, i: int) -> Arg:
        label, symbol = timed("x", "x", t, self.d, i)
        return Arg(label, float(self.frames[t - 1].x[i]), symbol)

    def vec(
        self, label: str, symbol: str, t: int, j: int, value: Array, size: int | None = None
    ) -> Arg:
        lab, sym = timed(label, symbol, t, size or self.n, j)
        return Arg(lab, float(value[j]), sym)

    def state(self, t: int, j: int) -> Arg:
        """s_t (t = 0: the given s_0)."""
        value = self.model.s0 if t == 0 else self.frames[t - 1].s
        return self.vec("s", "s", t, j, value)

    def hidden(self, t: int, j: int) -> Arg:
        """What the gates read: h_{t} for lstm, else s_t."""
        if self.model.kind != "lstm":
            return self.state(t, j)
        value = self.model.h0 if t == 0 else self.frames[t - 1].h
        return self.vec("h", "h", t, j, value)

    def gate(self, name: str, t: int, j: int) -> Arg:
        label, symbol = VALUE_NAME[name]
        return self.vec(label, symbol, t, j, self.frames[t - 1].gate[name])

    def param(self, block: str, which: str, j: int, i: int = 0, p: Params | None = None) -> Arg:
        p = p or self.p
        label = which + SUFFIX[block]
        value = getattr(p.blocks[block], which)
        if which == "b":
            return Arg(label + _index(self.n, j), float(value[j]))
        return Arg(label + _mindex(value.shape, j, i), float(value[j, i]))

    def out_param(self, which: str, k: int, j: int = 0) -> Arg:
        value = self.p.V if which == "V" else self.p.c
        assert value is not None
        if which == "c":
            return Arg("c" + _index(self.m, k), float(value[k]))
        return Arg("V" + _mindex(value.shape, k, j), float(value[k, j]))

    def step(
        self,
        label: str,
        symbol: str,
        value: float,
        template: str | None,
        holes: list[Arg],
        note: str | None = None,
        fn: Callable[..., Any] | None = None,
    ) -> Step:
        if template is not None and fn is None:
            fn = formula_fn(template)
        return Step(label, float(value), template, tuple(holes), fn, symbol=symbol, note=note)

    # forward ----------------------------------------------------------------------------

    def _weighted(
        self, block: str, t: int, j: int, recurrent: list[Arg] | None = None
    ) -> tuple[str, list[Arg]]:
        """``W h_{t−1} + U x_t + b`` for unit j, component by component."""
        w_holes: list[Arg] = []
        for i in range(self.n):
            w_holes += [
                self.param(block, "W", j, i),
                recurrent[i] if recurrent else self.hidden(t - 1, i),
            ]
        u_holes: list[Arg] = []
        for i in range(self.d):
            u_holes += [self.param(block, "U", j, i), self.x(t, i)]
        # The slides write the plain cell U x_t + W s_{t−1} + b and the gates W h_{t−1} + U x_t + b.
        holes = u_holes + w_holes if self.model.kind == "rnn" else w_holes + u_holes
        parts = ["{} × {}"] * (self.n + self.d)
        holes.append(self.param(block, "b", j))
        parts.append("{}")
        return " + ".join(parts), holes

    def _activated(
        self,
        section: Section,
        block: str,
        t: int,
        j: int,
        act: Activation,
        weighted: tuple[str, list[Arg]],
    ) -> None:
        """A state or candidate: act(W… + U… + b) in one step, or its net input first (relu-like)."""
        template, holes = weighted
        fr = self.frames[t - 1]
        label, symbol = VALUE_NAME[block]
        lab, sym = timed(label, symbol, t, self.n, j)
        value = fr.s if block == "cell" else fr.gate[block]
        if not self.model.split(act):
            section.add(self.step(lab, sym, value[j], _apply(act, template), holes))
            return
        net_lab, net_sym = timed(
            "a" + ("" if block == "cell" else f"_{label}"),
            "a",
            t,
            self.n,
            j,
        )
        section.add(self.step(net_lab, net_sym, fr.net[block][j], template, holes))
        net = Arg(net_lab, float(fr.net[block][j]), net_sym)
        section.add(
            self.step(lab, sym, value[j], act.out_template(ALPHA), [net] * len(act.out_holes))
        )

    def forward(self) -> list[Section]:
        sections = []
        kind = self.model.kind
        act = self.model.state_act
        for t in range(1, self.T + 1):
            fr = self.frames[t - 1]
            shown_x = ", ".join(f"{v:g}" for v in fr.x)
            section = Section(f"Forward · step {t} (x_{t} = [{shown_x}])")
            if kind == "rnn":
                for j in range(self.n):
                    self._activated(section, "cell", t, j, act, self._weighted("cell", t, j))
            elif kind == "lstm":
                for g in ("forget", "input", "output"):
                    for j in range(self.n):
                        template, holes = self._weighted(g, t, j)
                        label, symbol = timed(*VALUE_NAME[g], t, self.n, j)
                        section.add(
                            self.step(label, symbol, fr.gate[g][j], f"σ({template})", holes)
                        )
                for j in range(self.n):
                    self._activated(
                        section, "candidate", t, j, act, self._weighted("candidate", t, j)
                    )
                for j in range(self.n):
                    label, symbol = timed("s", "s", t, self.n, j)
                    holes = [
                        self.gate("forget", t, j),
                        self.state(t - 1, j),
                        self.gate("input", t, j),
                        self.gate("candidate", t, j),
                    ]
                    section.add(self.step(label, symbol, fr.s[j], "{} ⊙ {} + {} ⊙ {}", holes))
                assert fr.m is not None
                for j in range(self.n):
                    m_lab, m_sym = timed(f"{act.name}_s", f"{act.name}(s", t, self.n, j)
                    m_sym = m_sym.replace(f"{act.name}(s_{t}", f"{act.name}(s_{t})")
                    s_arg = self.state(t, j)
                    section.add(
                        self.step(
                            m_lab,
                            m_sym,
                            fr.m[j],
                            act.out_template(ALPHA),
                            [s_arg] * len(act.out_holes),
                        )
                    )
                    label, symbol = timed("h", "h", t, self.n, j)
                    holes = [self.gate("output", t, j), Arg(m_lab, float(fr.m[j]), m_sym)]
                    section.add(self.step(label, symbol, fr.h[j], "{} ⊙ {}", holes))
            else:
                for g in ("reset", "update"):
                    for j in range(self.n):
                        template, holes = self._weighted(g, t, j)
                        label, symbol = timed(*VALUE_NAME[g], t, self.n, j)
                        section.add(
                            self.step(label, symbol, fr.gate[g][j], f"σ({template})", holes)
                        )
                for j in range(self.n):
                    holes = []
                    parts = []
                    for i in range(self.n):
                        holes += [
                            self.param("candidate", "W", j, i),
                            self.gate("reset", t, i),
                            self.state(t - 1, i),
                        ]
                        parts.append("{} × ({} ⊙ {})")
                    for i in range(self.d):
                        holes += [self.param("candidate", "U", j, i), self.x(t, i)]
                        parts.append("{} × {}")
                    holes.append(self.param("candidate", "b", j))
                    parts.append("{}")
                    self._activated(section, "candidate", t, j, act, (" + ".join(parts), holes))
                for j in range(self.n):
                    label, symbol = timed("s", "s", t, self.n, j)
                    z = self.gate("update", t, j)
                    holes = [z, self.state(t - 1, j), z, self.gate("candidate", t, j)]
                    section.add(self.step(label, symbol, fr.s[j], "(1 − {}) ⊙ {} + {} ⊙ {}", holes))
            self._output(section, t)
            sections.append(section)
        losses = [(t, fr.loss) for t, fr in enumerate(self.frames, start=1) if fr.loss is not None]
        if losses:
            section = Section(
                f"Loss over the sequence ({self.model.loss.name}, summed over the steps)"
            )
            holes = [Arg(f"L_{t}", float(v), f"L_{t}") for t, v in losses]
            total = float(self.rnd(sum(v for _, v in losses)))
            section.add(self.step("L", "L", total, " + ".join(["{}"] * len(holes)), holes))
            sections.append(section)
        return sections

    def out_value(self, t: int, k: int) -> Arg:
        """ŷ_t[k], which is h_t[k] itself without an output layer."""
        if self.p.V is None:
            return self.hidden(t, k)
        return self.vec("yhat", "ŷ", t, k, self.frames[t - 1].y, self.m)

    def _output(self, section: Section, t: int) -> None:
        fr = self.frames[t - 1]
        g = self.model.out_act
        if self.p.V is not None:
            assert fr.net_y is not None
            nets = []
            for k in range(self.m):
                holes: list[Arg] = []
                for j in range(self.n):
                    holes += [self.out_param("V", k, j), self.hidden(t, j)]
                holes.append(self.out_param("c", k))
                label, symbol = timed("net_yhat", "net_ŷ", t, self.m, k)
                section.add(
                    self.step(label, symbol, fr.net_y[k], _sum_template(self.n) + " + {}", holes)
                )
                nets.append(Arg(label, float(fr.net_y[k]), symbol))
            for k in range(self.m):
                label, symbol = timed("yhat", "ŷ", t, self.m, k)
                if g.elementwise:
                    section.add(
                        self.step(
                            label,
                            symbol,
                            fr.y[k],
                            g.out_template(ALPHA),
                            [nets[k]] * len(g.out_holes),
                        )
                    )
                else:
                    template = "e^({})/(" + " + ".join(["e^({})"] * self.m) + ")"
                    section.add(self.step(label, symbol, fr.y[k], template, [nets[k], *nets]))
        if fr.target is None:
            return
        loss = self.model.loss
        terms = []
        for k in range(self.m):
            target = self.vec("y", "y", t, k, fr.target, self.m)
            out = self.out_value(t, k)
            holes = [target if h == "t" else out for h in loss.term_holes]
            assert fr.terms is not None
            if self.m == 1:
                label, symbol = f"L_{t}", f"L_{t}"
            else:
                label, symbol = timed("L", "L", t, self.m, k)
            section.add(self.step(label, symbol, fr.terms[k], loss.term_template(self.m), holes))
            terms.append(Arg(label, float(fr.terms[k]), symbol))
        if self.m > 1:
            assert fr.loss is not None
            section.add(self.step(f"L_{t}", f"L_{t}", fr.loss, " + ".join(["{}"] * self.m), terms))

    # backward ---------------------------------------------------------------------------

    def _grad_arg(
        self, label: str, symbol: str, t: int, j: int, value: Array | None, size: int | None = None
    ) -> Arg:
        lab, sym = timed(label, symbol, t, size or self.n, j)
        return Arg(lab, 0.0 if value is None else float(value[j]), sym)

    def delta(self, block: str, t: int, j: int) -> Arg:
        label, symbol = VALUE_NAME[block]
        if block == "cell":
            return self._grad_arg("delta", "δ", t, j, self.frames[t - 1].delta[block])
        return self._grad_arg(f"delta_{label}", f"δ{symbol}", t, j, self.frames[t - 1].delta[block])

    def ds(self, t: int, j: int) -> Arg:
        return self._grad_arg("dL_ds", "∂L/∂s", t, j, self.frames[t - 1].ds)

    def _slope_hole(
        self,
        section: Section,
        act: Activation,
        t: int,
        j: int,
        net: Arg,
        out: Arg,
        what: str,
        value: Array | None,
    ) -> tuple[str, list[Arg]]:
        """act′ as a formula fragment: inline from the output (tanh, σ, linear) or a slope step of its own."""
        if act.name in INLINE_SLOPES:
            holes = [out if h == "out" else net for h in act.slope_holes]
            return f"({act.slope_template(ALPHA)})", holes
        assert value is not None
        label, symbol = f"d{what}_{t}{_index(self.n, j)}", f"{act.name}′({net.shown})"
        step = self.step(
            label,
            symbol,
            value[j],
            act.slope_template(ALPHA),
            [net if h == "net" else out for h in act.slope_holes],
            fn=lambda *v, act=act: float(_slope(act, np.array([v[0]]), np.array([v[0]]))[0]),
        )
        section.add(step)
        return "{}", [Arg(label, float(value[j]), symbol)]

    def _explicit(self, section: Section, t: int) -> list[tuple[str, list[Arg]]]:
        """∂L_t/∂ŷ_t and δŷ_t; returns per state unit the explicit part of ∂L/∂h_t as (template, holes)."""
        fr = self.frames[t - 1]
        if fr.target is None:
            return [("", []) for _ in range(self.n)]
        loss, g = self.model.loss, self.model.out_act
        gys: list[Arg] = []
        if fr.gy is not None:
            for k in range(self.m):
                target = self.vec("y", "y", t, k, fr.target, self.m)
                out = self.out_value(t, k)
                holes = [target if h == "t" else out for h in loss.grad_holes]
                label, symbol = timed("dL_dyhat", "∂L/∂ŷ", t, self.m, k)
                section.add(self.step(label, symbol, fr.gy[k], loss.grad_template(self.m), holes))
                gys.append(Arg(label, float(fr.gy[k]), symbol))
        if self.p.V is None:
            return [("{}", [gys[j]]) for j in range(self.n)]
        assert fr.dy is not None and fr.net_y is not None
        dys = []
        for k in range(self.m):
            label, symbol = timed("delta_yhat", "δŷ", t, self.m, k)
            out = self.out_value(t, k)
            if fr.gy is None:  # softmax with cross-entropy
                target = self.vec("y", "y", t, k, fr.target, self.m)
                section.add(
                    self.step(
                        label,
                        symbol,
                        fr.dy[k],
                        "{} − {}",
                        [out, target],
                        note="softmax with cross-entropy: δŷ = ŷ − y" if k == 0 else None,
                    )
                )
            elif not g.elementwise:
                holes = [out, gys[k]]
                for q in range(self.m):
                    holes += [gys[q], self.out_value(t, q)]
                template = "{} × ({} − (" + _sum_template(self.m) + "))"
                section.add(self.step(label, symbol, fr.dy[k], template, holes))
            else:
                net_lab, net_sym = timed("net_yhat", "net_ŷ", t, self.m, k)
                net = Arg(net_lab, float(fr.net_y[k]), net_sym)
                if g.name in INLINE_SLOPES:
                    fragment, holes = (
                        f"({g.slope_template(ALPHA)})",
                        [out if h == "out" else net for h in g.slope_holes],
                    )
                else:
                    assert fr.y_slope is not None
                    s_lab, s_sym = timed("dyhat_dnet", "∂ŷ/∂net_ŷ", t, self.m, k)
                    section.add(
                        self.step(
                            s_lab,
                            s_sym,
                            fr.y_slope[k],
                            g.slope_template(ALPHA),
                            [net if h == "net" else out for h in g.slope_holes],
                            fn=lambda *v, g=g: float(
                                _slope(g, np.array([v[0]]), np.array([v[0]]))[0]
                            ),
                        )
                    )
                    fragment, holes = "{}", [Arg(s_lab, float(fr.y_slope[k]), s_sym)]
                section.add(
                    self.step(label, symbol, fr.dy[k], "{} × " + fragment, [gys[k], *holes])
                )
            dys.append(Arg(label, float(fr.dy[k]), symbol))
        out_parts = []
        for j in range(self.n):
            holes = []
            for k in range(self.m):
                holes += [self.out_param("V", k, j), dys[k]]
            out_parts.append((_sum_template(self.m), holes))
        return out_parts

    def backward(self) -> list[Section]:
        sections = []
        kind = self.model.kind
        act = self.model.state_act
        for t in range(self.T, 0, -1):
            fr = self.frames[t - 1]
            section = Section(f"Backward through time · step {t}")
            explicit = self._explicit(section, t)
            later = t < self.T
            if kind in ("rnn", "gru"):
                for j in range(self.n):
                    template, holes = explicit[j]
                    parts, all_holes = ([_group(template, later)] if template else []), list(holes)
                    if later:
                        if kind == "rnn":
                            imp_holes = []
                            for i in range(self.n):
                                imp_holes += [
                                    self.param("cell", "W", i, j),
                                    self.delta("cell", t + 1, i),
                                ]
                            imp = _sum_template(self.n)
                        else:
                            z = self.gate("update", t + 1, j)
                            imp_holes = [
                                self.ds(t + 1, j),
                                z,
                                self._grad_arg("dL_drs", "∂L/∂(r⊙s)", t + 1, j, self.frames[t].drs),
                                self.gate("reset", t + 1, j),
                            ]
                            imp = "{} × (1 − {}) + {} × {}"
                            for g in ("reset", "update"):
                                for i in range(self.n):
                                    imp_holes += [self.param(g, "W", i, j), self.delta(g, t + 1, i)]
                                imp += " + " + _sum_template(self.n)
                        parts.append(_group(imp, bool(parts)))
                        all_holes += imp_holes
                    lab, sym = timed("dL_ds", "∂L/∂s", t, self.n, j)
                    section.add(
                        self._sum_step(
                            lab, sym, fr.ds, j, parts, all_holes, t, bool(template), later
                        )
                    )
                if kind == "rnn":
                    for j in range(self.n):
                        net = self._net_arg("cell", t, j)
                        fragment, holes = self._slope_hole(
                            section, act, t, j, net, self.state(t, j), "s_da", fr.slope.get("cell")
                        )
                        d = self.delta("cell", t, j)
                        section.add(
                            self.step(
                                d.name,
                                d.shown,
                                d.value,
                                "{} × " + fragment,
                                [self.ds(t, j), *holes],
                                note="δ_t = ∂L/∂(U x_t + W s_{t−1} + b)" if j == 0 else None,
                            )
                        )
                else:
                    for j in range(self.n):
                        d = self.delta("update", t, j)
                        z = self.gate("update", t, j)
                        holes = [
                            self.ds(t, j),
                            self.gate("candidate", t, j),
                            self.state(t - 1, j),
                            z,
                            z,
                        ]
                        section.add(
                            self.step(
                                d.name, d.shown, d.value, "{} × ({} − {}) × {} × (1 − {})", holes
                            )
                        )
                    for j in range(self.n):
                        net = self._net_arg("candidate", t, j)
                        fragment, sh = self._slope_hole(
                            section,
                            act,
                            t,
                            j,
                            net,
                            self.gate("candidate", t, j),
                            "stilde_da",
                            fr.slope.get("candidate"),
                        )
                        d = self.delta("candidate", t, j)
                        section.add(
                            self.step(
                                d.name,
                                d.shown,
                                d.value,
                                "{} × {} × " + fragment,
                                [self.ds(t, j), self.gate("update", t, j), *sh],
                            )
                        )
                    for j in range(self.n):
                        holes = []
                        for i in range(self.n):
                            holes += [
                                self.param("candidate", "W", i, j),
                                self.delta("candidate", t, i),
                            ]
                        lab, sym = timed("dL_drs", "∂L/∂(r⊙s)", t, self.n, j)
                        assert fr.drs is not None
                        section.add(self.step(lab, sym, fr.drs[j], _sum_template(self.n), holes))
                    for j in range(self.n):
                        d = self.delta("reset", t, j)
                        r = self.gate("reset", t, j)
                        holes = [
                            self._grad_arg("dL_drs", "∂L/∂(r⊙s)", t, j, fr.drs),
                            self.state(t - 1, j),
                            r,
                            r,
                        ]
                        section.add(
                            self.step(d.name, d.shown, d.value, "{} × {} × {} × (1 − {})", holes)
                        )
            else:
                for j in range(self.n):
                    template, holes = explicit[j]
                    parts, all_holes = ([_group(template, later)] if template else []), list(holes)
                    if later:
                        gate_parts: list[str] = []
                        for g in GATES["lstm"]:
                            for i in range(self.n):
                                all_holes += [self.param(g, "W", i, j), self.delta(g, t + 1, i)]
                            gate_parts.append(_sum_template(self.n))
                        parts.append(_group(" + ".join(gate_parts), bool(parts)))
                    lab, sym = timed("dL_dh", "∂L/∂h", t, self.n, j)
                    section.add(
                        self._sum_step(
                            lab, sym, fr.dh, j, parts, all_holes, t, bool(template), later, "h"
                        )
                    )
                for j in range(self.n):
                    dh = self._grad_arg("dL_dh", "∂L/∂h", t, j, fr.dh)
                    m_lab, m_sym = timed(f"{act.name}_s", f"{act.name}(s", t, self.n, j)
                    m_sym = m_sym.replace(f"{act.name}(s_{t}", f"{act.name}(s_{t})")
                    assert fr.m is not None
                    m_arg = Arg(m_lab, float(fr.m[j]), m_sym)
                    fragment, sh = self._slope_hole(
                        section, act, t, j, self.state(t, j), m_arg, "m_ds", fr.slope.get("state")
                    )
                    template = "{} × {} × " + fragment
                    holes = [dh, self.gate("output", t, j), *sh]
                    if later:
                        template = f"({template}) + ({{}} × {{}})"
                        holes += [self.ds(t + 1, j), self.gate("forget", t + 1, j)]
                    lab, sym = timed("dL_ds", "∂L/∂s", t, self.n, j)
                    note = (
                        "through h_t, plus (implicit) from s_{t+1} through the forget gate f_{t+1}"
                        if later and j == 0
                        else None
                    )
                    assert fr.ds is not None
                    section.add(self.step(lab, sym, fr.ds[j], template, holes, note=note))
                    d = self.delta("output", t, j)
                    o = self.gate("output", t, j)
                    section.add(
                        self.step(
                            d.name, d.shown, d.value, "{} × {} × {} × (1 − {})", [dh, m_arg, o, o]
                        )
                    )
                for j in range(self.n):
                    ds = self.ds(t, j)
                    i_ = self.gate("input", t, j)
                    f = self.gate("forget", t, j)
                    d = self.delta("input", t, j)
                    section.add(
                        self.step(
                            d.name,
                            d.shown,
                            d.value,
                            "{} × {} × {} × (1 − {})",
                            [ds, self.gate("candidate", t, j), i_, i_],
                        )
                    )
                    d = self.delta("forget", t, j)
                    section.add(
                        self.step(
                            d.name,
                            d.shown,
                            d.value,
                            "{} × {} × {} × (1 − {})",
                            [ds, self.state(t - 1, j), f, f],
                        )
                    )
                    net = self._net_arg("candidate", t, j)
                    fragment, sh = self._slope_hole(
                        section,
                        act,
                        t,
                        j,
                        net,
                        self.gate("candidate", t, j),
                        "stilde_da",
                        fr.slope.get("candidate"),
                    )
                    d = self.delta("candidate", t, j)
                    section.add(
                        self.step(d.name, d.shown, d.value, "{} × {} × " + fragment, [ds, i_, *sh])
                    )
            sections.append(section)
        return sections

    def _net_arg(self, block: str, t: int, j: int) -> Arg:
        label, symbol = VALUE_NAME[block]
        fr = self.frames[t - 1]
        lab, sym = timed(
            "a" + ("" if block == "cell" else f"_{label}"),
            "a",
            t,
            self.n,
            j,
        )
        return Arg(lab, float(fr.net[block][j]), sym)

    def _sum_step(
        self,
        label: str,
        symbol: str,
        value: Array | None,
        j: int,
        parts: list[str],
        holes: list[Arg],
        t: int,
        has_explicit: bool,
        has_implicit: bool,
        what: str = "s",
    ) -> Step:
        assert value is not None
        if not parts:
            return self.step(
                label,
                symbol,
                value[j],
                None,
                [],
                note=f"step {t} has no target and no later step: nothing reaches {what}_{t}",
            )
        note = None
        if has_explicit and has_implicit:
            note = f"explicit (this step's loss, through ŷ_{t}) + implicit (from step {t + 1}, through the next step)"
        elif has_implicit:
            note = f"implicit only (step {t} has no target): from step {t + 1}"
        return self.step(
            label, symbol, value[j], " + ".join(parts), holes, note=note if j == 0 else None
        )

    # gradients and the update -------------------------------------------------------------

    def _recurrent_args(self, block: str, t: int, i: int) -> tuple[str, list[Arg]]:
        if self.model.kind == "gru" and block == "candidate":
            return "({} ⊙ {})", [self.gate("reset", t, i), self.state(t - 1, i)]
        return "{}", [self.hidden(t - 1, i)]

    def gradients(self, grads: dict[str, Any]) -> Section:
        section = Section("Gradients (each summed over the time steps)")
        T = self.T
        for block, g in grads["blocks"].items():
            for which in ("U", "W", "b"):
                value = getattr(g, which)
                for j in range(self.n):
                    cols = range(value.shape[1]) if which != "b" else [0]
                    for i in cols:
                        par = self.param(block, which, j, i)
                        holes: list[Arg] = []
                        parts = []
                        for t in range(1, T + 1):
                            if which == "U":
                                holes += [self.delta(block, t, j), self.x(t, i)]
                                parts.append("{} × {}")
                            elif which == "W":
                                frag, rh = self._recurrent_args(block, t, i)
                                holes += [self.delta(block, t, j), *rh]
                                parts.append("{} × " + frag)
                            else:
                                holes.append(self.delta(block, t, j))
                                parts.append("{}")
                        v = value[j] if which == "b" else value[j, i]
                        section.add(
                            self.step(
                                f"dL_d{par.name}", f"∂L/∂{par.name}", v, " + ".join(parts), holes
                            )
                        )
        if self.p.V is not None:
            steps_with = [t for t in range(1, T + 1) if self.frames[t - 1].dy is not None]
            for k in range(self.m):
                for j in range(self.n):
                    par = self.out_param("V", k, j)
                    holes = []
                    for t in steps_with:
                        holes += [
                            self._grad_arg("delta_yhat", "δŷ", t, k, self.frames[t - 1].dy, self.m),
                            self.hidden(t, j),
                        ]
                    section.add(
                        self.step(
                            f"dL_d{par.name}",
                            f"∂L/∂{par.name}",
                            grads["V"][k, j],
                            _sum_template(len(steps_with)),
                            holes,
                        )
                    )
            for k in range(self.m):
                par = self.out_param("c", k)
                holes = [
                    self._grad_arg("delta_yhat", "δŷ", t, k, self.frames[t - 1].dy, self.m)
                    for t in steps_with
                ]
                section.add(
                    self.step(
                        f"dL_d{par.name}",
                        f"∂L/∂{par.name}",
                        grads["c"][k],
                        " + ".join(["{}"] * len(holes)),
                        holes,
                    )
                )
        return section

    def updates(self, grads: dict[str, Any], new: Params, lr: float) -> Section:
        section = Section(f"Update (η = {lr:g}): θ⁺ = θ − η ∂L/∂θ")
        eta = Arg("learning_rate", lr, "η")

        def add(par: Arg, grad: float, value: float) -> None:
            base, _, index = par.name.partition("[")
            index = f"[{index}" if index else ""
            g = Arg(f"dL_d{par.name}", float(grad), f"∂L/∂{par.name}")
            section.add(
                self.step(
                    f"{base}_new{index}", f"{base}⁺{index}", value, "{} − {} × {}", [par, eta, g]
                )
            )

        for block, g in grads["blocks"].items():
            for which in ("U", "W", "b"):
                value = getattr(g, which)
                for j in range(self.n):
                    for i in range(value.shape[1]) if which != "b" else [0]:
                        par = self.param(block, which, j, i)
                        grad = value[j] if which == "b" else value[j, i]
                        after = getattr(new.blocks[block], which)
                        add(par, grad, after[j] if which == "b" else after[j, i])
        if self.p.V is not None:
            assert new.V is not None and new.c is not None
            for k in range(self.m):
                for j in range(self.n):
                    add(self.out_param("V", k, j), grads["V"][k, j], new.V[k, j])
            for k in range(self.m):
                add(self.out_param("c", k), grads["c"][k], new.c[k])
        return section

    def _gru_factor(self, j: int, label: str, symbol: str, value: float) -> Step:
        """One unit's ∂s_j/∂s_{j−1}: (1 − z) + (s̃ − s_{j−1})·z(1 − z)·W_z + z·act′·W·(r + s_{j−1}·r(1 − r)·W_r)."""
        act = self.model.state_act
        note = "(1 − z_j) + (s̃_j − s_{j−1}) ∂z_j/∂s_{j−1} + z_j ∂s̃_j/∂s_{j−1}"
        if act.name not in INLINE_SLOPES:
            return self.step(label, symbol, value, None, [], note=note)
        z, cand, prev, r = (
            self.gate("update", j, 0),
            self.gate("candidate", j, 0),
            self.state(j - 1, 0),
            self.gate("reset", j, 0),
        )
        slope = [cand if h == "out" else cand for h in act.slope_holes]
        template = (
            "(1 − {}) + ({} − {}) × {} × (1 − {}) × {} + {} × ("
            + act.slope_template(ALPHA)
            + ") × {} × ({} + {} × {} × (1 − {}) × {})"
        )
        holes = [z, cand, prev, z, z, self.param("update", "W", 0, 0), z, *slope]
        holes += [self.param("candidate", "W", 0, 0), r, prev, r, r, self.param("reset", "W", 0, 0)]
        return self.step(label, symbol, value, template, holes, note=note)

    def flow(self, factors: list[Array], products: list[Array]) -> Section:
        kind = self.model.kind
        act = self.model.state_act
        title = {
            "rnn": f"Gradient flow: ∂s_j/∂s_{{j−1}} = {act.name}′ · W and their product",
            "lstm": "Gradient flow along the cell state: ∂s_j/∂s_{j−1} = f_j and their product",
            "gru": "Gradient flow: ∂s_j/∂s_{j−1} (every path within a step) and their product",
        }[kind]
        section = Section(title)
        T = self.T
        if self.n == 1:
            factor_args = []
            for j in range(1, T + 1):
                label, symbol = f"ds_{j}_ds_{j - 1}", f"∂s_{j}/∂s_{j - 1}"
                value = float(factors[j - 1][0, 0])
                if kind == "rnn":
                    fr = self.frames[j - 1]
                    net = self._net_arg("cell", j, 0) if self.model.split(act) else None
                    if act.name in INLINE_SLOPES:
                        holes = [
                            self.state(j, 0) if h == "out" else self.state(j, 0)
                            for h in act.slope_holes
                        ]
                        template = "{} × (" + act.slope_template(ALPHA) + ")"
                        section.add(
                            self.step(
                                label,
                                symbol,
                                value,
                                template,
                                [self.param("cell", "W", 0, 0), *holes],
                            )
                        )
                    else:
                        assert net is not None
                        slope = float(_slope(act, fr.net["cell"], fr.s)[0])
                        section.add(
                            self.step(
                                label,
                                symbol,
                                value,
                                "{} × {}",
                                [
                                    self.param("cell", "W", 0, 0),
                                    Arg(f"{act.name}′({net.shown})", slope),
                                ],
                            )
                        )
                elif kind == "lstm":
                    section.add(self.step(label, symbol, value, "{}", [self.gate("forget", j, 0)]))
                else:
                    section.add(self._gru_factor(j, label, symbol, value))
                factor_args.append(Arg(label, value, symbol))
            for k in range(T - 1, -1, -1):
                label, symbol = f"ds_{T}_ds_{k}", f"∂s_{T}/∂s_{k}"
                holes = factor_args[k:][::-1]
                if len(holes) == 1:
                    continue
                section.add(
                    self.step(
                        label,
                        symbol,
                        float(products[k][0, 0]),
                        " × ".join(["{}"] * len(holes)),
                        holes,
                    )
                )
        else:
            rows: list[list[Any]] = []
            for j in range(1, T + 1):
                rows.append(
                    [
                        f"∂s_{j}/∂s_{j - 1}",
                        factors[j - 1].tolist(),
                        float(np.linalg.norm(factors[j - 1], 2)),
                    ]
                )
            for k in range(T - 2, -1, -1):  # k = T − 1 is the last factor itself
                rows.append(
                    [f"∂s_{T}/∂s_{k}", products[k].tolist(), float(np.linalg.norm(products[k], 2))]
                )
            section.add(Table(["Jacobian", "value", "spectral norm"], rows))
        vanish = " → ".join(f"{0.9**k:.2f}" for k in range(1, 10))
        explode = " → ".join(f"{1.5**k:.2f}" for k in range(1, 9))
        section.add(
            "A product of many factors below 1 vanishes (powers of 0.9: " + vanish + "); "
            "above 1 it explodes (powers of 1.5: " + explode + ")."
        )
        if kind == "lstm":
            section.add(
                "The LSTM's cell state passes the gradient on multiplied only by the forget gate f_j "
                "(plus the paths through h_{j−1} that BPTT adds): with f_j near 1 it does not vanish."
            )
        return section


def _group(template: str, more: bool) -> str:
    """A part of a sum of parts, bracketed when it is a sum itself and other parts follow."""
    return f"({template})" if more and "+" in template else template


def _apply(act: Activation, inner: str) -> str:
    """``tanh(…)`` / ``σ(…)`` / ``…`` around a formula (activations whose slope reads their output)."""
    if act.name == "sigmoid":
        return f"σ({inner})"
    if act.name == "tanh":
        return f"tanh({inner})"
    return inner


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


def solve_rnn(spec: RnnProblem, carry: int | None = None, gradient_flow: bool = False) -> Solution:
    """Forward pass over the sequence, the loss, BPTT, the gradients and one update."""
    model = Model.from_problem(spec)
    rnd = rounder(carry)
    p = model.params
    frames = run_forward(model, p, rnd)
    recorder = Recorder(model, p, frames, rnd)
    sections = recorder.forward()
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
    losses = [fr.loss for fr in frames if fr.loss is not None]
    if losses:
        result["loss"] = float(rnd(sum(losses)))
    if model.trains:
        grads = run_backward(model, p, frames, rnd)
        sections += recorder.backward()
        sections.append(recorder.gradients(grads))
        grad_params = Params(grads["blocks"], grads.get("V"), grads.get("c"))
        result["grad"] = _params_result(model, grad_params, model.has_c)
        if model.learning_rate is not None:
            new = update(p, grads, model.learning_rate, rnd)
            sections.append(recorder.updates(grads, new, model.learning_rate))
            result["parameters"] = _params_result(model, new, model.has_c)
    if gradient_flow:
        factors = flow_factors(model, p, frames, rnd)
        products = flow_products(factors, rnd)
        sections.append(recorder.flow(factors, products))
        result["gradient_flow"] = {
            "factors": [f.tolist() for f in factors],
            "products": [q.tolist() for q in products],
        }
    notes = []
    if not model.trains:
        notes.append(
            "No targets: the forward pass only (give targets for BPTT, and a learning rate for the update)."
        )
    elif model.learning_rate is None:
        notes.append("No learning rate: the gradients only (give learning_rate for the update).")
    return Solution("rnn", sections, result, title=spec.title, source=spec.source, notes=notes)
