"""The worked solution of ``rnn``: every gate, state, gradient and update as a formula tree.

:class:`Recorder` reads the arrays of the engine (:mod:`dlcalc.topics.rnn`, types in :mod:`dlcalc.topics.rnn_model`) and writes one
step per quantity and unit, its formula built with :mod:`dlcalc.model.formula` so that the
printed formula, the substituted numbers and ``check``'s recomputation are one tree.
Labels (what an answers file names) are ASCII: ``f_1``, ``stilde_2``, ``dL_ds_1``,
``dL_dW_f``, ``U_f_new[1,2]``; a vector's unit j is ``s_2[j]`` (counted from 1) when the
state has more than one unit.  docs/rnn.md lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcalc.maths.numerics import Activation
from dlcalc.model.formula import (
    HALF,
    ONE,
    Mul,
    Name,
    Neg,
    Node,
    Num,
    Partial,
    Q,
    call,
    product,
    q,
    total,
)
from dlcalc.model.formula import print_name as shown
from dlcalc.model.steps import Section, Step, Table
from dlcalc.specs.rnn import GATES

if TYPE_CHECKING:
    from dlcalc.topics.rnn_model import Frame, Model, Params

Array = np.ndarray
ALPHA = 0.01
INLINE_SLOPES = ("tanh", "sigmoid", "linear")  # slopes written from the output inside δ's formula
LOSS_NAME = Name("L")

# Each block's value: (label base, symbol base, accent), and the suffix of its parameters.
VALUE = {
    "cell": ("s", "s", None),
    "input": ("i", "i", None),
    "forget": ("f", "f", None),
    "output": ("o", "o", None),
    "candidate": ("stilde", "s", "tilde"),
    "reset": ("r", "r", None),
    "update": ("z", "z", None),
}
LETTER = {
    "cell": "",
    "input": "i",
    "forget": "f",
    "output": "o",
    "candidate": "",
    "reset": "r",
    "update": "z",
}
DELTA_SYMBOL = {
    "cell": "δ",
    "candidate": "δs̃",
    "input": "δi",
    "forget": "δf",
    "output": "δo",
    "reset": "δr",
    "update": "δz",
}


def index(size: int, j: int) -> str:
    """Unit j of a vector, counted from 1; nothing when the vector has one unit."""
    return "" if size == 1 else f"[{j + 1}]"


def mindex(shape: tuple[int, ...], j: int, i: int) -> str:
    return "" if shape == (1, 1) else f"[{j + 1},{i + 1}]"


def timed(base: str, t: int, size: int, j: int) -> str:
    """The label of unit j of a vector at step t: ``s_2`` or ``s_2[1]``."""
    return f"{base}_{t}{index(size, j)}"


def name(base: str, t: int, size: int, j: int, accent: str | None = None) -> Name:
    return Name(base, f"{t}{index(size, j)}", accent=accent, label_sub=True)


def at(base: str, t: int | str) -> Name:
    """A quantity of time step t, written as its label is (L_1, s_0): the subscript is the step."""
    return Name(base, str(t), label_sub=True)


def apply(act: Activation, node: Node) -> Node:
    """act(node) as a formula."""
    if act.name == "sigmoid":
        return call("sigmoid", node)
    if act.name == "tanh":
        return call("tanh", node)
    if act.name == "relu":
        return call("max", Num(0), node)
    if act.name == "leaky_relu":
        return call("max", Num(ALPHA) * node, node)
    if act.name == "softplus":
        return call("softplus", node)
    return node  # linear


def inline_slope(act: Activation, out: Node) -> Node:
    """act′ written from the activation's output: 1 − out², out × (1 − out), 1."""
    if act.name == "tanh":
        return ONE - out ** Num(2)
    if act.name == "sigmoid":
        return Mul((out, ONE - out))
    return ONE


def loss_term(loss: str, t: Node, y: Node, m: int) -> Node:
    if loss == "half_sse":
        return HALF * (t - y) ** Num(2)
    if loss == "sse":
        return (t - y) ** Num(2)
    if loss == "mse":
        return (t - y) ** Num(2) / Num(m)
    if loss == "bce":
        return Neg(t * call("ln", y) + (ONE - t) * call("ln", ONE - y))
    return Neg(t * call("ln", y))  # cross_entropy


def loss_grad(loss: str, t: Node, y: Node, m: int) -> Node:
    if loss == "half_sse":
        return Neg(t - y)
    if loss == "sse":
        return Neg(Num(2) * (t - y))
    if loss == "mse":
        return Neg(Num(2) * (t - y) / Num(m))
    if loss == "bce":
        return Neg(t / y) + (ONE - t) / (ONE - y)
    return Neg(t / y)  # cross_entropy


def _slope_value(act: Activation, v: float) -> float:
    return float(np.asarray(act.slope(np.array([v]), np.array([v]), ALPHA), dtype=float)[0])


class Recorder:
    """Writes the steps of the forward pass, BPTT, the gradients, the update and the gradient flow."""

    def __init__(
        self,
        model: Model,
        p: Params,
        frames: list[Frame],
        total_loss: float | None,
        rnd: Callable[[Any], Any] = lambda v: v,
    ) -> None:
        self.model = model
        self.rnd = rnd  # --carry: a slope step is rounded like the engine's
        self.total_loss = total_loss
        self.p = p
        self.frames = frames
        self.n = model.n
        self.d = len(model.xs[0])
        self.m = model.m
        self.T = len(frames)

    def paths(self, grads: bool, updated: bool) -> dict[str, str]:
        """Every number of ``result`` → its label (``time[0].state[0]`` → ``s_1``), for check."""
        out: dict[str, str] = {}
        for t in range(1, self.T + 1):
            at_t = f"time[{t - 1}]"
            fr = self.frames[t - 1]
            for j in range(self.n):
                out[f"{at_t}.state[{j}]"] = self.state(t, j).label
                out[f"{at_t}.hidden[{j}]"] = self.hidden(t, j).label
                for block in fr.gate:
                    out[f"{at_t}.gates.{block}[{j}]"] = self.gate(block, t, j).label
            for k in range(self.m):
                out[f"{at_t}.y[{k}]"] = self.out_value(t, k).label
            if fr.loss is not None:
                out[f"{at_t}.loss"] = f"L_{t}"
        if self.total_loss is not None:
            out["loss"] = "L"
        params: list[tuple[str, Q]] = []
        for block, b in self.p.blocks.items():
            where = "" if self.model.kind == "rnn" else f"gates.{block}."
            for which in ("U", "W", "b"):
                shape = getattr(b, which).shape
                for j in range(self.n):
                    if which == "b":
                        params.append((f"{where}b[{j}]", self.param(block, "b", j)))
                        continue
                    for i in range(shape[1]):
                        params.append((f"{where}{which}[{j}][{i}]", self.param(block, which, j, i)))
        if self.p.V is not None:
            for k in range(self.m):
                for j in range(self.n):
                    params.append((f"V[{k}][{j}]", self.out_param("V", k, j)))
                if self.model.has_c:
                    params.append((f"c[{k}]", self.out_param("c", k)))
        for path, par in params:
            if grads:
                out[f"grad.{path}"] = f"dL_d{par.label}"
            if updated:
                base, bracket, rest = par.label.partition("[")
                out[f"parameters.{path}"] = f"{base}_new" + bracket + rest
        return out

    # quantities as leaves ------------------------------------------------------------------

    def x(self, t: int, i: int) -> Q:
        return q(timed("x", t, self.d, i), float(self.frames[t - 1].x[i]), name("x", t, self.d, i))

    def state(self, t: int, j: int) -> Q:
        """s_t (t = 0: the given s_0)."""
        value = self.model.s0 if t == 0 else self.frames[t - 1].s
        return q(timed("s", t, self.n, j), float(value[j]), name("s", t, self.n, j))

    def hidden(self, t: int, j: int) -> Q:
        """What the gates read and the output layer sees: h_t for lstm, s_t otherwise."""
        if self.model.kind != "lstm":
            return self.state(t, j)
        value = self.model.h0 if t == 0 else self.frames[t - 1].h
        return q(timed("h", t, self.n, j), float(value[j]), name("h", t, self.n, j))

    def gate(self, block: str, t: int, j: int) -> Q:
        label, base, accent = VALUE[block]
        value = self.frames[t - 1].gate[block][j]
        return q(timed(label, t, self.n, j), float(value), name(base, t, self.n, j, accent))

    def param(self, block: str, which: str, j: int, i: int = 0) -> Q:
        value = getattr(self.p.blocks[block], which)
        letter = LETTER[block]
        where = index(self.n, j) if which == "b" else mindex(value.shape, j, i)
        number = float(value[j]) if which == "b" else float(value[j, i])
        label = which + (f"_{letter}" if letter else "") + where
        sym = Name(which, letter + where) if letter else Name(which + where)
        return q(label, number, sym)

    def out_param(self, which: str, k: int, j: int = 0) -> Q:
        value = self.p.V if which == "V" else self.p.c
        assert value is not None
        if which == "c":
            return q("c" + index(self.m, k), float(value[k]), Name("c" + index(self.m, k)))
        where = mindex(value.shape, k, j)
        return q("V" + where, float(value[k, j]), Name("V" + where))

    def target(self, t: int, k: int) -> Q:
        target = self.frames[t - 1].target
        assert target is not None
        return q(timed("y", t, self.m, k), float(target[k]), name("y", t, self.m, k))

    def out_value(self, t: int, k: int) -> Q:
        """ŷ_t[k], which is h_t[k] itself without an output layer."""
        if self.p.V is None:
            return self.hidden(t, k)
        return q(
            timed("yhat", t, self.m, k),
            float(self.frames[t - 1].y[k]),
            name("ŷ", t, self.m, k),
        )

    def net_y(self, t: int, k: int) -> Q:
        net = self.frames[t - 1].net_y
        assert net is not None
        return q(timed("net_yhat", t, self.m, k), float(net[k]), name("net_ŷ", t, self.m, k))

    def net(self, block: str, t: int, j: int) -> Q:
        """The net input of a relu-like state (a_t) or candidate (ã_t)."""
        label = "a" if block == "cell" else "a_stilde"
        value = self.frames[t - 1].net[block][j]
        return q(
            timed(label, t, self.n, j),
            float(value),
            name("a", t, self.n, j, None if block == "cell" else "tilde"),
        )

    def squashed(self, t: int, j: int) -> Q:
        """The LSTM's act(s_t), e.g. tanh(s_1)."""
        m = self.frames[t - 1].m
        assert m is not None
        act = self.model.state_act.name
        return q(
            timed(f"{act}_s", t, self.n, j),
            float(m[j]),
            Name(f"{act}({shown(name('s', t, self.n, j))})"),
        )

    def delta(self, block: str, t: int, j: int) -> Q:
        label = "delta" if block == "cell" else f"delta_{VALUE[block][0]}"
        value = self.frames[t - 1].delta[block][j]
        return q(timed(label, t, self.n, j), float(value), name(DELTA_SYMBOL[block], t, self.n, j))

    def grad(
        self,
        label: str,
        of: str,
        t: int,
        j: int,
        value: Array | None,
        size: int | None = None,
        accent: str | None = None,
    ) -> Q:
        """∂L/∂(something)_t[j] as a leaf."""
        size = size or self.n
        number = 0.0 if value is None else float(value[j])
        return q(timed(label, t, size, j), number, Partial(LOSS_NAME, name(of, t, size, j, accent)))

    def ds(self, t: int, j: int) -> Q:
        return self.grad("dL_ds", "s", t, j, self.frames[t - 1].ds)

    def dh(self, t: int, j: int) -> Q:
        return self.grad("dL_dh", "h", t, j, self.frames[t - 1].dh)

    def drs(self, t: int, j: int) -> Q:
        return self.grad("dL_drs", "(r⊙s)", t, j, self.frames[t - 1].drs)

    def dy(self, t: int, k: int) -> Q:
        dy = self.frames[t - 1].dy
        assert dy is not None
        return q(timed("delta_yhat", t, self.m, k), float(dy[k]), name("δŷ", t, self.m, k))

    def gy(self, t: int, k: int) -> Q:
        return self.grad("dL_dyhat", "ŷ", t, k, self.frames[t - 1].gy, self.m)

    # steps ---------------------------------------------------------------------------------

    @staticmethod
    def add(section: Section, leaf: Q, expr: Node | None, note: str | None = None) -> Q:
        """Record the step that computes ``leaf`` by ``expr``; returns the leaf for later formulas."""
        section.add(Step(leaf.label, float(leaf.value), name=leaf.symbol, expr=expr, note=note))
        return leaf

    def slope(
        self,
        section: Section,
        act: Activation,
        t: int,
        j: int,
        net: Q,
        out: Q,
        label: str,
        units: int | None = None,
    ) -> Node:
        """act′ inside a δ: written from the output (tanh, σ, linear), else a step of its own.

        ``units``: how many units the layer of unit ``j`` has (the state's by default; the
        output layer's for ∂ŷ/∂net), which decides whether the label carries an index."""
        if act.name in INLINE_SLOPES:
            return inline_slope(act, out)
        value = float(self.rnd(_slope_value(act, float(net.value))))
        sym = f"{act.name}′({shown(net.symbol)})"
        lab = f"{label}_{t}{index(self.n if units is None else units, j)}"
        section.add(Step(lab, value, symbol=sym, expr=act.slope_formula(net, out, ALPHA)))
        return q(lab, value, Name(sym))

    # forward -------------------------------------------------------------------------------

    def weighted(self, block: str, t: int, j: int) -> Node:
        """W h_{t−1} + U x_t + b for unit j (the plain cell: U x_t + W s_{t−1} + b, as the slides)."""
        if self.model.kind == "gru" and block == "candidate":
            recurrent = [
                self.param(block, "W", j, i)
                * Mul((self.gate("reset", t, i), self.state(t - 1, i)), "⊙")
                for i in range(self.n)
            ]
        else:
            recurrent = [
                self.param(block, "W", j, i) * self.hidden(t - 1, i) for i in range(self.n)
            ]
        inputs = [self.param(block, "U", j, i) * self.x(t, i) for i in range(self.d)]
        terms = inputs + recurrent if self.model.kind == "rnn" else recurrent + inputs
        return total([*terms, self.param(block, "b", j)])

    def activated(self, section: Section, block: str, t: int, j: int) -> None:
        """A state or candidate: act(…) in one step, or its net input first (relu-like)."""
        act = self.model.state_act
        out = self.state(t, j) if block == "cell" else self.gate(block, t, j)
        if not self.model.split(act):
            self.add(section, out, apply(act, self.weighted(block, t, j)))
            return
        net = self.add(section, self.net(block, t, j), self.weighted(block, t, j))
        self.add(section, out, apply(act, net))

    def forward(self) -> list[Section]:
        sections = []
        kind = self.model.kind
        for t in range(1, self.T + 1):
            fr = self.frames[t - 1]
            shown_x = ", ".join(f"{v:g}" for v in fr.x)
            section = Section(f"Forward · step {t} (x_{t} = [{shown_x}])")
            n = range(self.n)
            if kind == "rnn":
                for j in n:
                    self.activated(section, "cell", t, j)
            elif kind == "lstm":
                for g in ("forget", "input", "output"):
                    for j in n:
                        self.add(
                            section, self.gate(g, t, j), call("sigmoid", self.weighted(g, t, j))
                        )
                for j in n:
                    self.activated(section, "candidate", t, j)
                for j in n:
                    expr = Mul((self.gate("forget", t, j), self.state(t - 1, j)), "⊙") + Mul(
                        (self.gate("input", t, j), self.gate("candidate", t, j)), "⊙"
                    )
                    self.add(section, self.state(t, j), expr)
                for j in n:
                    squashed = self.add(
                        section, self.squashed(t, j), apply(self.model.state_act, self.state(t, j))
                    )
                    self.add(
                        section, self.hidden(t, j), Mul((self.gate("output", t, j), squashed), "⊙")
                    )
            else:
                for g in ("reset", "update"):
                    for j in n:
                        self.add(
                            section, self.gate(g, t, j), call("sigmoid", self.weighted(g, t, j))
                        )
                for j in n:
                    self.activated(section, "candidate", t, j)
                for j in n:
                    z = self.gate("update", t, j)
                    expr = Mul((ONE - z, self.state(t - 1, j)), "⊙") + Mul(
                        (z, self.gate("candidate", t, j)), "⊙"
                    )
                    self.add(section, self.state(t, j), expr)
            self.output(section, t)
            sections.append(section)
        losses = [(t, fr.loss) for t, fr in enumerate(self.frames, start=1) if fr.loss is not None]
        if losses:
            section = Section(
                f"Loss over the sequence ({self.model.loss.name}, summed over the steps)"
            )
            assert self.total_loss is not None
            terms: list[Node] = [q(f"L_{t}", v, at("L", t)) for t, v in losses]
            self.add(section, q("L", self.total_loss, LOSS_NAME), total(terms))
            sections.append(section)
        return sections

    def output(self, section: Section, t: int) -> None:
        fr = self.frames[t - 1]
        g = self.model.out_act
        if self.p.V is not None:
            nets = []
            for k in range(self.m):
                terms = [self.out_param("V", k, j) * self.hidden(t, j) for j in range(self.n)]
                if self.model.has_c:  # without c in the problem, the output layer has no bias
                    terms.append(self.out_param("c", k))
                nets.append(self.add(section, self.net_y(t, k), total(terms)))
            for k in range(self.m):
                if g.elementwise:
                    expr = apply(g, nets[k])
                else:
                    expr = call("exp", nets[k]) / total([call("exp", v) for v in nets])
                self.add(section, self.out_value(t, k), expr)
        if fr.target is None:
            return
        assert fr.terms is not None and fr.loss is not None
        loss = self.model.loss.name
        terms = []
        for k in range(self.m):
            expr = loss_term(loss, self.target(t, k), self.out_value(t, k), self.m)
            if self.m == 1:
                leaf = q(f"L_{t}", fr.loss, at("L", t))
            else:
                leaf = q(timed("L", t, self.m, k), float(fr.terms[k]), name("L", t, self.m, k))
            terms.append(self.add(section, leaf, expr))
        if self.m > 1:
            self.add(section, q(f"L_{t}", fr.loss, at("L", t)), total(list(terms)))

    # backward ------------------------------------------------------------------------------

    def explicit(self, section: Section, t: int) -> list[Node | None]:
        """∂L_t/∂ŷ_t and δŷ_t; per state unit, the explicit part of ∂L/∂h_t (None: no target at t)."""
        fr = self.frames[t - 1]
        if fr.target is None:
            return [None] * self.n
        loss, g = self.model.loss.name, self.model.out_act
        gys: list[Q] = []
        if fr.gy is not None:
            for k in range(self.m):
                expr = loss_grad(loss, self.target(t, k), self.out_value(t, k), self.m)
                gys.append(self.add(section, self.gy(t, k), expr))
        if self.p.V is None:
            return list(gys)
        dys = []
        for k in range(self.m):
            out = self.out_value(t, k)
            if fr.gy is None:  # softmax with cross-entropy
                note = "softmax with cross-entropy: δŷ = ŷ − y" if k == 0 else None
                dys.append(self.add(section, self.dy(t, k), out - self.target(t, k), note))
            elif not g.elementwise:
                inner = total([Mul((gys[r], self.out_value(t, r))) for r in range(self.m)])
                dys.append(self.add(section, self.dy(t, k), Mul((out, gys[k] - inner))))
            else:
                slope = self.slope(section, g, t, k, self.net_y(t, k), out, "dyhat_dnet", self.m)
                dys.append(self.add(section, self.dy(t, k), Mul((gys[k], slope))))
        parts: list[Node | None] = []
        for j in range(self.n):
            parts.append(total([self.out_param("V", k, j) * dys[k] for k in range(self.m)]))
        return parts

    def sum_of_parts(
        self,
        section: Section,
        leaf: Q,
        explicit: Node | None,
        implicit: Node | None,
        t: int,
        j: int,
    ) -> None:
        """∂L/∂s_t (or h_t) = ∂L_t/∂s_t (explicit) + ∂L_{>t}/∂s_t (implicit), each its own step when both exist."""
        fr = self.frames[t - 1]
        first = j == 0
        wrt = leaf.symbol.wrt if isinstance(leaf.symbol, Partial) else leaf.symbol
        what = shown(wrt)
        if explicit is None and implicit is None:
            note = f"step {t} has no target and no later step: nothing reaches {what}"
            self.add(section, leaf, None, note)
            return
        if implicit is None:
            self.add(section, leaf, explicit)
            return
        if explicit is None:
            note = (
                f"implicit only (no target at step {t}): from the later steps, through step {t + 1}"
            )
            self.add(section, leaf, implicit, note if first else None)
            return
        assert fr.explicit is not None and fr.implicit is not None
        base, bracket, rest = leaf.label.partition("[")
        where = bracket + rest
        if isinstance(explicit, Q):  # without V: ∂L_t/∂h_t is ∂L/∂ŷ_t itself, already a step
            exp_leaf = explicit
        else:
            exp_leaf = q(f"{base}_explicit{where}", float(fr.explicit[j]), Partial(at("L", t), wrt))
        imp_leaf = q(
            f"{base}_implicit{where}", float(fr.implicit[j]), Partial(at("L", f">{t}"), wrt)
        )
        exp_note = f"explicit: this step's own loss L_{t}, through ŷ_{t}" if first else None
        if exp_leaf is not explicit:
            self.add(section, exp_leaf, explicit, exp_note)
        imp_note = f"implicit: the later steps' losses, through step {t + 1}" if first else None
        if exp_leaf is explicit and first:
            imp_note = f"explicit: ∂L/∂ŷ_{t} (this step's own loss); {imp_note}"
        self.add(section, imp_leaf, implicit, imp_note)
        self.add(section, leaf, exp_leaf + imp_leaf)

    def backward(self) -> list[Section]:
        """Backpropagation through time, latest step first: one section per step."""
        sections = []
        kind = self.model.kind
        for t in range(self.T, 0, -1):
            section = Section(f"Backward through time · step {t}")
            explicit = self.explicit(section, t)
            later = self.model.carries_back(t)  # not after the last step, nor across a cut
            if t < self.T and not later:
                section.add(
                    f"Truncated BPTT (k = {self.model.truncate}): no gradient comes back from step "
                    f"{t + 1}; the chunk that ends at step {t} starts its own backward pass."
                )
            if kind in ("rnn", "gru"):
                self.backward_rnn_gru(section, t, explicit, later)
            else:
                self.backward_lstm(section, t, explicit, later)
            sections.append(section)
        return sections

    def backward_rnn_gru(self, section: Section, t: int, explicit: Any, later: bool) -> None:
        """Step t of BPTT for an rnn or a gru cell: ∂L/∂s_t as its two parts, then each δ."""
        kind, act, n = self.model.kind, self.model.state_act, range(self.n)
        for j in n:
            implicit: Node | None = None
            if later and kind == "rnn":
                implicit = total(
                    [self.param("cell", "W", i, j) * self.delta("cell", t + 1, i) for i in n]
                )
            elif later:
                z, r = self.gate("update", t + 1, j), self.gate("reset", t + 1, j)
                terms: list[Node] = [self.ds(t + 1, j) * (ONE - z), self.drs(t + 1, j) * r]
                for g in ("reset", "update"):
                    terms += [self.param(g, "W", i, j) * self.delta(g, t + 1, i) for i in n]
                implicit = total(terms)
            self.sum_of_parts(section, self.ds(t, j), explicit[j], implicit, t, j)
        if kind == "rnn":
            for j in n:
                net = self.net("cell", t, j) if self.model.split(act) else self.state(t, j)
                slope = self.slope(section, act, t, j, net, self.state(t, j), "ds_da")
                note = "δ_t = ∂L/∂(U x_t + W s_{t−1} + b)" if j == 0 else None
                self.add(section, self.delta("cell", t, j), Mul((self.ds(t, j), slope)), note)
        else:
            for j in n:
                z = self.gate("update", t, j)
                expr: Node = Mul(
                    (
                        self.ds(t, j),
                        self.gate("candidate", t, j) - self.state(t - 1, j),
                        z,
                        ONE - z,
                    )
                )
                self.add(section, self.delta("update", t, j), expr)
            for j in n:
                cand = self.gate("candidate", t, j)
                net = self.net("candidate", t, j) if self.model.split(act) else cand
                slope = self.slope(section, act, t, j, net, cand, "dstilde_da")
                self.add(
                    section,
                    self.delta("candidate", t, j),
                    Mul((self.ds(t, j), self.gate("update", t, j), slope)),
                )
            for j in n:
                expr = total(
                    [self.param("candidate", "W", i, j) * self.delta("candidate", t, i) for i in n]
                )
                self.add(section, self.drs(t, j), expr)
            for j in n:
                r = self.gate("reset", t, j)
                expr = Mul((self.drs(t, j), self.state(t - 1, j), r, ONE - r))
                self.add(section, self.delta("reset", t, j), expr)

    def backward_lstm(self, section: Section, t: int, explicit: Any, later: bool) -> None:
        """Step t of BPTT for an lstm cell: ∂L/∂h_t, ∂L/∂s_t through both paths, each gate's δ."""
        act, n = self.model.state_act, range(self.n)
        for j in n:
            implicit = None
            if later:
                implicit = total(
                    [
                        self.param(g, "W", i, j) * self.delta(g, t + 1, i)
                        for g in GATES["lstm"]
                        for i in n
                    ]
                )
            self.sum_of_parts(section, self.dh(t, j), explicit[j], implicit, t, j)
        for j in n:
            squashed = self.squashed(t, j)
            slope = self.slope(section, act, t, j, self.state(t, j), squashed, "dm_ds")
            through: Node = Mul((self.dh(t, j), self.gate("output", t, j), slope))
            note = None
            if later:
                through = through + self.ds(t + 1, j) * self.gate("forget", t + 1, j)
                note = (
                    "through h_t, plus (implicit) from s_{t+1} through the forget gate f_{t+1}"
                    if j == 0
                    else None
                )
            self.add(section, self.ds(t, j), through, note)
            o = self.gate("output", t, j)
            self.add(
                section,
                self.delta("output", t, j),
                Mul((self.dh(t, j), squashed, o, ONE - o)),
            )
        for j in n:
            ds = self.ds(t, j)
            i_, f = self.gate("input", t, j), self.gate("forget", t, j)
            self.add(
                section,
                self.delta("input", t, j),
                Mul((ds, self.gate("candidate", t, j), i_, ONE - i_)),
            )
            self.add(
                section,
                self.delta("forget", t, j),
                Mul((ds, self.state(t - 1, j), f, ONE - f)),
            )
            cand = self.gate("candidate", t, j)
            net = self.net("candidate", t, j) if self.model.split(act) else cand
            slope = self.slope(section, act, t, j, net, cand, "dstilde_da")
            self.add(section, self.delta("candidate", t, j), Mul((ds, i_, slope)))

    # gradients and the update --------------------------------------------------------------

    def recurrent(self, block: str, t: int, i: int) -> Node:
        """What W multiplies at step t: s_{t−1}, h_{t−1} (lstm) or r_t ⊙ s_{t−1} (gru's candidate)."""
        if self.model.kind == "gru" and block == "candidate":
            return Mul((self.gate("reset", t, i), self.state(t - 1, i)), "⊙")
        return self.hidden(t - 1, i)

    def gradient_leaf(self, par: Q, value: float) -> Q:
        assert isinstance(par.symbol, Name)
        return q(f"dL_d{par.label}", float(value), Partial(LOSS_NAME, par.symbol))

    def gradients(self, grads: dict[str, Any]) -> Section:
        section = Section("Gradients (each summed over the time steps)")
        steps = range(1, self.T + 1)
        for block, g in grads["blocks"].items():
            for which in ("U", "W", "b"):
                value = getattr(g, which)
                for j in range(self.n):
                    for i in range(value.shape[1]) if which != "b" else [0]:
                        par = self.param(block, which, j, i)
                        if which == "U":
                            terms = [self.delta(block, t, j) * self.x(t, i) for t in steps]
                        elif which == "W":
                            terms = [
                                self.delta(block, t, j) * self.recurrent(block, t, i) for t in steps
                            ]
                        else:
                            terms = [self.delta(block, t, j) for t in steps]
                        grad = value[j] if which == "b" else value[j, i]
                        self.add(section, self.gradient_leaf(par, grad), total(list(terms)))
        if self.p.V is not None:
            with_target = [t for t in steps if self.frames[t - 1].dy is not None]
            for k in range(self.m):
                for j in range(self.n):
                    par = self.out_param("V", k, j)
                    terms = [self.dy(t, k) * self.hidden(t, j) for t in with_target]
                    self.add(section, self.gradient_leaf(par, grads["V"][k, j]), total(list(terms)))
            for k in range(self.m if self.model.has_c else 0):
                par = self.out_param("c", k)
                terms = [self.dy(t, k) for t in with_target]
                self.add(section, self.gradient_leaf(par, grads["c"][k]), total(list(terms)))
        return section

    def updates(self, grads: dict[str, Any], new: Params, lr: float) -> Section:
        section = Section(f"Update (η = {lr:g}): θ⁺ = θ − η ∂L/∂θ")
        eta = q("learning_rate", lr, "η")

        def add(par: Q, grad: float, value: float) -> None:
            base, bracket, rest = par.label.partition("[")
            label = f"{base}_new" + (bracket + rest)
            sym = par.symbol
            assert isinstance(sym, Name)
            after = Name(sym.base, sym.sub, "+", sym.accent, sym.label_sub)
            self.add(
                section,
                q(label, float(value), after),
                par - Mul((eta, self.gradient_leaf(par, grad))),
            )

        for block, g in grads["blocks"].items():
            for which in ("U", "W", "b"):
                value = getattr(g, which)
                after = getattr(new.blocks[block], which)
                for j in range(self.n):
                    for i in range(value.shape[1]) if which != "b" else [0]:
                        if which == "b":
                            add(self.param(block, which, j), value[j], after[j])
                        else:
                            add(self.param(block, which, j, i), value[j, i], after[j, i])
        if self.p.V is not None:
            assert new.V is not None and new.c is not None
            for k in range(self.m):
                for j in range(self.n):
                    add(self.out_param("V", k, j), grads["V"][k, j], new.V[k, j])
            for k in range(self.m if self.model.has_c else 0):
                add(self.out_param("c", k), grads["c"][k], new.c[k])
        return section

    # gradient flow -------------------------------------------------------------------------

    def flow_factor(self, j: int, value: float) -> Node | None:
        """One unit's ∂s_j/∂s_{j−1} as a formula (None where it is not written out)."""
        act = self.model.state_act
        if self.model.kind == "lstm":
            return self.gate("forget", j, 0)
        if act.name not in INLINE_SLOPES:
            return None
        if self.model.kind == "rnn":
            return Mul((self.param("cell", "W", 0, 0), inline_slope(act, self.state(j, 0))))
        z, cand, prev, r = (
            self.gate("update", j, 0),
            self.gate("candidate", j, 0),
            self.state(j - 1, 0),
            self.gate("reset", j, 0),
        )
        through_z = Mul(((cand - prev), z, ONE - z, self.param("update", "W", 0, 0)))
        through_r = r + Mul((prev, r, ONE - r, self.param("reset", "W", 0, 0)))
        through_cand = Mul(
            (z, inline_slope(act, cand), self.param("candidate", "W", 0, 0), through_r)
        )
        return (ONE - z) + through_z + through_cand

    def flow(self, factors: list[Array], products: list[Array]) -> Section:
        kind, act = self.model.kind, self.model.state_act
        title = {
            "rnn": f"Gradient flow: ∂s_j/∂s_{{j−1}} = {act.name}′ · W and their product",
            "lstm": "Gradient flow along the cell state: ∂s_j/∂s_{j−1} = f_j and their product",
            "gru": "Gradient flow: ∂s_j/∂s_{j−1} (every path within a step) and their product",
        }[kind]
        section = Section(title)
        T = self.T
        if self.n == 1:
            leaves = []
            for j in range(1, T + 1):
                value = float(factors[j - 1][0, 0])
                leaf = q(f"ds_{j}_ds_{j - 1}", value, Partial(at("s", j), at("s", j - 1)))
                note = None
                if kind == "gru" and j == 1:
                    note = "(1 − z_j) + (s̃_j − s_{j−1}) ∂z_j/∂s_{j−1} + z_j ∂s̃_j/∂s_{j−1}"
                leaves.append(self.add(section, leaf, self.flow_factor(j, value), note))
            # ∂s_T/∂s_k = ∂s_T/∂s_{k+1} × ∂s_{k+1}/∂s_k: the chain grows by one factor per step back
            # (k = T − 1 is the last factor itself).
            later = leaves[T - 1]
            for k in range(T - 2, -1, -1):
                leaf = q(
                    f"ds_{T}_ds_{k}",
                    float(products[k][0, 0]),
                    Partial(at("s", T), at("s", k)),
                )
                later = self.add(section, leaf, product([later, leaves[k]]))
        else:
            rows: list[list[Any]] = []
            for j in range(1, T + 1):
                f = factors[j - 1]
                rows.append([f"∂s_{j}/∂s_{j - 1}", f.tolist(), float(np.linalg.norm(f, 2))])
            for k in range(T - 2, -1, -1):
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
