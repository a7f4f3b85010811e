"""Forward pass and backpropagation through a layered network, worked step by step.

The numbers come from a small engine (:func:`forward_arrays`, :func:`backward_arrays`)
that works on NumPy arrays; the worked solution is then read off those arrays by
:class:`Recorder`, which writes one step per named quantity in the style of the
course slides (``net_h1 = w1 × x1 + w2 × x2 + b_h1 × 1 = 0.15 × 0.05 + … = 0.3775``).
Long runs record only the first update(s) in full; the rest runs on the engine alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlcalc.errors import InputError
from dlcalc.numerics import ACTIVATION, LOSS, Activation, Loss, rounder
from dlcalc.specs.network import NetworkProblem
from dlcalc.steps import Arg, Section, Solution, Step, Table

Array = np.ndarray
Round = Callable[[Any], Any]  # rounds an array or a number (identity unless --carry)
FULL_UPDATES = 3  # runs with at most this many updates are shown in full
MAX_WRITTEN = 200  # --every-step writes out runs of at most this many updates


@dataclass
class Network:
    """The network's parameters and the names used to write it down."""

    weights: list[Array]
    biases: list[Array]
    activations: list[Activation]
    alphas: list[float]
    units: list[list[str]]
    inputs: list[str]
    weight_labels: list[list[list[str]]]  # w1, w2, ... numbered row by row, layer after layer

    @classmethod
    def from_problem(cls, spec: NetworkProblem) -> Network:
        weights = [np.array(layer.weights, dtype=float) for layer in spec.layers]
        biases = [
            np.array(layer.bias, dtype=float)
            if isinstance(layer.bias, list)
            else np.full(len(layer.matrix), layer.bias)
            for layer in spec.layers
        ]
        units = [
            list(layer.units)
            if layer.units
            else default_unit_names(i, len(spec.layers), len(layer.matrix))
            for i, layer in enumerate(spec.layers)
        ]
        labels: list[list[list[str]]] = []
        k = 0
        for w in weights:
            rows = []
            for _ in range(w.shape[0]):
                rows.append([f"w{k + c + 1}" for c in range(w.shape[1])])
                k += w.shape[1]
            labels.append(rows)
        return cls(
            weights=weights,
            biases=biases,
            activations=[ACTIVATION[layer.activation] for layer in spec.layers],
            alphas=[layer.alpha for layer in spec.layers],
            units=units,
            inputs=[f"x{i + 1}" for i in range(weights[0].shape[1])],
            weight_labels=labels,
        )

    def feeding(self, layer: int) -> list[str]:
        """Names of the values that feed ``layer``: the inputs or the previous layer's outputs."""
        return self.inputs if layer == 0 else [f"out_{u}" for u in self.units[layer - 1]]


def default_unit_names(layer: int, n_layers: int, n_units: int) -> list[str]:
    """h1, h2 … for one hidden layer (h1_1 … for several), o1, o2 … for the output layer."""
    if layer == n_layers - 1:
        return [f"o{j + 1}" for j in range(n_units)]
    if n_layers == 2:
        return [f"h{j + 1}" for j in range(n_units)]
    return [f"h{layer + 1}_{j + 1}" for j in range(n_units)]


@dataclass
class Pass:
    """Everything one example's forward and backward pass computes."""

    x: Array
    t: Array | None
    nets: list[Array]
    outs: list[Array]
    terms: Array | None = None  # E_k per output
    loss: float | None = None
    grad_out: list[Array | None] = field(default_factory=list)  # ∂E/∂out per layer
    slopes: list[Array | None] = field(
        default_factory=list
    )  # ∂out/∂net per layer (elementwise only)
    softmax_sums: list[Array | None] = field(
        default_factory=list
    )  # Σ_j ∂E/∂out_j·out_j (softmax only)
    deltas: list[Array] = field(default_factory=list)  # ∂E/∂net per layer
    grad_w: list[Array] = field(default_factory=list)
    grad_b: list[Array] = field(default_factory=list)


# --- the engine -------------------------------------------------------------------------------


def forward_arrays(
    net: Network, weights: list[Array], biases: list[Array], x: Array, rnd: Round
) -> tuple[list[Array], list[Array]]:
    nets: list[Array] = []
    outs: list[Array] = []
    a = x
    for w, b, act, alpha in zip(weights, biases, net.activations, net.alphas):
        z = rnd(w @ a + b)
        a = rnd(act.f(z, alpha))
        nets.append(z)
        outs.append(a)
    return nets, outs


def loss_terms(loss: Loss, t: Array, out: Array, rnd: Round, units: list[str]) -> Array:
    if loss.needs_probabilities and (np.any(out < 0) or np.any(out > 1)):
        k = int(np.argmax((out < 0) | (out > 1)))
        raise InputError(
            f"loss {loss.name} needs outputs between 0 and 1, but out_{units[k]} = {out[k]:.6g}; "
            "use sigmoid (bce) or softmax (cross_entropy) on the output layer",
            field="loss",
        )
    with np.errstate(all="ignore"):
        terms = rnd(loss.term(t, out, len(t)))
    if not np.all(np.isfinite(terms)):
        k = int(np.argmax(~np.isfinite(terms)))
        raise InputError(
            f"the loss is infinite: out_{units[k]} = {out[k]:.6g} while its target is {t[k]:g} "
            f"(ln 0); the network's output is saturated",
            field="loss",
        )
    return terms


def softmax_shortcut(loss: Loss, t: Array) -> bool:
    """Softmax followed by cross-entropy with a target that sums to 1: ∂E/∂net = out − t."""
    return loss.name == "cross_entropy" and abs(float(np.sum(t)) - 1.0) < 1e-12


def backward_arrays(net: Network, weights: list[Array], p: Pass, loss: Loss, rnd: Round) -> None:
    """Fill ``p`` with ∂E/∂out, ∂out/∂net, δ = ∂E/∂net and the gradients, layer by layer."""
    assert p.t is not None
    n_layers = len(weights)
    p.grad_out = [None] * n_layers
    p.slopes = [None] * n_layers
    p.softmax_sums = [None] * n_layers
    p.deltas = [np.empty(0)] * n_layers
    p.grad_w = [np.empty(0)] * n_layers
    p.grad_b = [np.empty(0)] * n_layers
    with np.errstate(all="ignore"):
        g: Array | None = None
        for layer in reversed(range(n_layers)):
            act, out = net.activations[layer], p.outs[layer]
            if layer == n_layers - 1 and not act.elementwise and softmax_shortcut(loss, p.t):
                delta = rnd(out - p.t)
            else:
                if g is None:
                    g = rnd(loss.grad(p.t, out, len(p.t)))
                p.grad_out[layer] = g
                if act.elementwise:
                    slope = rnd(act.slope(p.nets[layer], out, net.alphas[layer]))
                    p.slopes[layer] = slope
                    delta = rnd(g * slope)
                else:
                    total = rnd(np.dot(g, out))
                    p.softmax_sums[layer] = total
                    delta = rnd(out * (g - total))
            p.deltas[layer] = delta
            before = p.x if layer == 0 else p.outs[layer - 1]
            p.grad_w[layer] = rnd(np.outer(delta, before))
            p.grad_b[layer] = delta
            if layer > 0:
                g = rnd(weights[layer].T @ delta)
    if not all(np.all(np.isfinite(d)) for d in p.deltas):
        raise InputError(
            "a gradient is not finite: an output is saturated at exactly 0 or 1 "
            "(its loss derivative divides by zero); use smaller weights",
            field="loss",
        )


def run_pass(
    net: Network,
    weights: list[Array],
    biases: list[Array],
    x: Array,
    t: Array | None,
    loss: Loss,
    rnd: Round,
    *,
    backward: bool,
) -> Pass:
    with np.errstate(all="ignore"):
        nets, outs = forward_arrays(net, weights, biases, x, rnd)
    if not all(np.all(np.isfinite(o)) for o in outs):
        raise InputError(
            "a value overflowed to infinity; the weights or inputs are too large", field="layers"
        )
    p = Pass(x=x, t=t, nets=nets, outs=outs)
    if t is not None:
        p.terms = loss_terms(loss, t, outs[-1], rnd, net.units[-1])
        p.loss = float(rnd(np.sum(p.terms)))
        if backward:
            backward_arrays(net, weights, p, loss, rnd)
    return p


# --- the worked solution --------------------------------------------------------------------


class Recorder:
    """Writes the steps of passes and updates; ``tag`` keeps labels unique (``net_h1@2``)."""

    def __init__(self, net: Network, loss: Loss) -> None:
        self.net = net
        self.loss = loss
        # The label under which each weight's current value was last written (w5, then w5_new …).
        self.current_w = [[list(row) for row in layer] for layer in net.weight_labels]
        self.current_b = [[f"b_{u}" for u in units] for units in net.units]

    def _w(self, layer: int, j: int, i: int, weights: list[Array]) -> Arg:
        return Arg(
            self.current_w[layer][j][i],
            float(weights[layer][j, i]),
            self.net.weight_labels[layer][j][i],
        )

    def _b(self, layer: int, j: int, biases: list[Array]) -> Arg:
        return Arg(
            self.current_b[layer][j], float(biases[layer][j]), f"b_{self.net.units[layer][j]}"
        )

    def _fed(self, layer: int, i: int, p: Pass, tag: str) -> Arg:
        name = self.net.feeding(layer)[i]
        value = p.x[i] if layer == 0 else p.outs[layer - 1][i]
        return Arg(name + tag, float(value), name)

    def forward(
        self, p: Pass, weights: list[Array], biases: list[Array], tag: str, heading: str
    ) -> list[Section]:
        sections = []
        n_layers = len(weights)
        for layer, (units, act) in enumerate(zip(self.net.units, self.net.activations)):
            kind = "output" if layer == n_layers - 1 else "hidden"
            section = Section(
                f"{heading}Forward pass · layer {layer + 1} ({kind}: {', '.join(units)}; {act.name})"
            )
            n_in = weights[layer].shape[1]
            for j, u in enumerate(units):
                holes: list[Arg] = []
                for i in range(n_in):
                    holes += [self._w(layer, j, i, weights), self._fed(layer, i, p, tag)]
                holes.append(self._b(layer, j, biases))
                template = " + ".join(["{} × {}"] * n_in) + " + {} × 1"
                section.add(
                    Step(
                        f"net_{u}{tag}",
                        float(p.nets[layer][j]),
                        template,
                        tuple(holes),
                        _weighted_sum,
                        symbol=f"net_{u}",
                    )
                )
                section.add(self._out_step(layer, j, p, tag))
            sections.append(section)
        return sections

    def _out_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        units, act, alpha = (
            self.net.units[layer],
            self.net.activations[layer],
            self.net.alphas[layer],
        )
        u = units[j]
        net_arg = Arg(f"net_{u}{tag}", float(p.nets[layer][j]), f"net_{u}")
        if act.elementwise:
            template = act.out_template(alpha)
            holes = tuple(net_arg for _ in act.out_holes)
            return Step(
                f"out_{u}{tag}",
                float(p.outs[layer][j]),
                template,
                holes,
                lambda *v, act=act, alpha=alpha: float(act.f(np.array([v[0]]), alpha)[0]),
                symbol=f"out_{u}",
            )
        nets = tuple(
            Arg(f"net_{v}{tag}", float(p.nets[layer][k]), f"net_{v}") for k, v in enumerate(units)
        )
        template = "e^({})/(" + " + ".join(["e^({})"] * len(units)) + ")"
        return Step(
            f"out_{u}{tag}",
            float(p.outs[layer][j]),
            template,
            (nets[j],) + nets,
            lambda own, *all_nets: float(
                np.exp(own - max(all_nets)) / np.sum(np.exp(np.array(all_nets) - max(all_nets)))
            ),
            symbol=f"out_{u}",
        )

    def loss_section(self, p: Pass, tag: str, heading: str) -> Section:
        assert p.t is not None and p.terms is not None and p.loss is not None
        loss, units = self.loss, self.net.units[-1]
        n = len(units)
        section = Section(f"{heading}Loss ({loss.name}: {loss.description})")
        labels = []
        for k, u in enumerate(units):
            holes = tuple(self._hole(h, k, p, tag) for h in loss.term_holes)
            section.add(
                Step(
                    f"E_{u}{tag}",
                    float(p.terms[k]),
                    loss.term_template(n),
                    holes,
                    lambda *v, loss=loss, n=n: _loss_from_holes(loss.term, loss.term_holes, v, n),
                    symbol=f"E_{u}",
                )
            )
            labels.append(Arg(f"E_{u}{tag}", float(p.terms[k]), f"E_{u}"))
        section.add(
            Step(
                f"E_total{tag}",
                p.loss,
                " + ".join(["{}"] * n),
                tuple(labels),
                _sum,
                symbol="E_total",
            )
        )
        return section

    def _hole(self, kind: str, k: int, p: Pass, tag: str) -> Arg:
        u = self.net.units[-1][k]
        assert p.t is not None
        if kind == "t":
            return Arg(f"t_{u}{tag}", float(p.t[k]), f"t_{u}")
        return Arg(f"out_{u}{tag}", float(p.outs[-1][k]), f"out_{u}")

    def backward(
        self, p: Pass, weights: list[Array], tag: str, heading: str, include_bias: bool
    ) -> list[Section]:
        """δ and gradients layer by layer, output first; per unit: ∂E/∂out, ∂out/∂net, δ, ∂E/∂w."""
        assert p.t is not None
        sections = []
        n_layers = len(weights)
        for layer in reversed(range(n_layers)):
            units, act = self.net.units[layer], self.net.activations[layer]
            kind = "output" if layer == n_layers - 1 else "hidden"
            section = Section(
                f"{heading}Backward pass · layer {layer + 1} ({kind}: {', '.join(units)})"
            )
            shortcut = p.grad_out[layer] is None
            if shortcut:
                section.add(
                    "softmax with cross-entropy: ∂E/∂net_k = out_k − t_k (the softmax Jacobian and −t/out cancel)"
                )
            elif not act.elementwise:
                grad_outs = [
                    self._grad_out_step(layer, j, p, weights, tag) for j in range(len(units))
                ]
                for step in grad_outs:
                    section.add(step)
                section.add(self._softmax_sum_step(layer, p, tag))
            for j, u in enumerate(units):
                if shortcut:
                    out = Arg(f"out_{u}{tag}", float(p.outs[layer][j]), f"out_{u}")
                    target = Arg(f"t_{u}{tag}", float(p.t[j]), f"t_{u}")
                    section.add(
                        Step(
                            f"delta_{u}{tag}",
                            float(p.deltas[layer][j]),
                            "{} − {}",
                            (out, target),
                            lambda o, t: o - t,
                            symbol=f"δ_{u}",
                        )
                    )
                elif act.elementwise:
                    section.add(self._grad_out_step(layer, j, p, weights, tag))
                    section.add(self._slope_step(layer, j, p, tag))
                    section.add(self._delta_step(layer, j, p, tag))
                else:
                    section.add(self._delta_step(layer, j, p, tag))
                delta = Arg(f"delta_{u}{tag}", float(p.deltas[layer][j]), f"δ_{u}")
                for i in range(weights[layer].shape[1]):
                    w = self.net.weight_labels[layer][j][i]
                    section.add(
                        Step(
                            f"dE_d{w}{tag}",
                            float(p.grad_w[layer][j, i]),
                            "{} × {}",
                            (delta, self._fed(layer, i, p, tag)),
                            lambda d, a: d * a,
                            symbol=f"∂E/∂{w}",
                        )
                    )
                if include_bias:
                    section.add(
                        Step(
                            f"dE_db_{u}{tag}",
                            float(p.grad_b[layer][j]),
                            "{} × 1",
                            (delta,),
                            lambda d: d,
                            symbol=f"∂E/∂b_{u}",
                        )
                    )
            sections.append(section)
        return sections

    def _softmax_sum_step(self, layer: int, p: Pass, tag: str) -> Step:
        """S = Σ_j ∂E/∂out_j · out_j, the shared term of the softmax Jacobian."""
        holes: list[Arg] = []
        grad_out = p.grad_out[layer]
        assert grad_out is not None
        for k, v in enumerate(self.net.units[layer]):
            holes += [
                Arg(f"dE_dout_{v}{tag}", float(grad_out[k]), f"∂E/∂out_{v}"),
                Arg(f"out_{v}{tag}", float(p.outs[layer][k]), f"out_{v}"),
            ]
        return Step(
            f"S_{layer + 1}{tag}",
            float(p.softmax_sums[layer]),  # type: ignore[arg-type]
            " + ".join(["{} × {}"] * len(self.net.units[layer])),
            tuple(holes),
            _weighted_sum,
            symbol=f"S{layer + 1}",
            note="softmax: δ_k = out_k × (∂E/∂out_k − S), S = Σ_j ∂E/∂out_j × out_j",
        )

    def _grad_out_step(self, layer: int, j: int, p: Pass, weights: list[Array], tag: str) -> Step:
        u = self.net.units[layer][j]
        value = float(p.grad_out[layer][j])  # type: ignore[index]
        if layer == len(weights) - 1:
            loss = self.loss
            holes = tuple(self._hole(h, j, p, tag) for h in loss.grad_holes)
            n = len(self.net.units[-1])
            return Step(
                f"dE_dout_{u}{tag}",
                value,
                loss.grad_template(n),
                holes,
                lambda *v, loss=loss, n=n: _loss_from_holes(loss.grad, loss.grad_holes, v, n),
                symbol=f"∂E/∂out_{u}",
            )
        # A hidden unit reaches the loss through every unit of the next layer: sum over the paths.
        nxt = layer + 1
        paths: list[Arg] = []
        for k, v in enumerate(self.net.units[nxt]):
            paths += [
                Arg(f"delta_{v}{tag}", float(p.deltas[nxt][k]), f"δ_{v}"),
                Arg(
                    self.current_w[nxt][k][j],
                    float(weights[nxt][k, j]),
                    self.net.weight_labels[nxt][k][j],
                ),
            ]
        return Step(
            f"dE_dout_{u}{tag}",
            value,
            " + ".join(["{} × {}"] * len(self.net.units[nxt])),
            tuple(paths),
            _weighted_sum,
            symbol=f"∂E/∂out_{u}",
            note="sum over every path to the loss" if len(self.net.units[nxt]) > 1 else None,
        )

    def _slope_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        u, act, alpha = (
            self.net.units[layer][j],
            self.net.activations[layer],
            self.net.alphas[layer],
        )
        holes = tuple(
            Arg(f"{h}_{u}{tag}", float((p.outs if h == "out" else p.nets)[layer][j]), f"{h}_{u}")
            for h in act.slope_holes
        )

        def slope(*v: float, act: Activation = act, alpha: float = alpha) -> float:
            if not act.slope_holes:
                return 1.0
            value = np.array([v[0]])
            net_v = value if act.slope_holes[0] == "net" else np.array([np.nan])
            out_v = value if act.slope_holes[0] == "out" else np.array([np.nan])
            return float(act.slope(net_v, out_v, alpha)[0])

        return Step(
            f"dout_{u}_dnet_{u}{tag}",
            float(p.slopes[layer][j]),  # type: ignore[index]
            act.slope_template(alpha),
            holes,
            slope,
            symbol=f"∂out_{u}/∂net_{u}",
        )

    def _delta_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        u, act = self.net.units[layer][j], self.net.activations[layer]
        g = Arg(f"dE_dout_{u}{tag}", float(p.grad_out[layer][j]), f"∂E/∂out_{u}")  # type: ignore[index]
        if act.elementwise:
            s = Arg(f"dout_{u}_dnet_{u}{tag}", float(p.slopes[layer][j]), f"∂out_{u}/∂net_{u}")  # type: ignore[index]
            return Step(
                f"delta_{u}{tag}",
                float(p.deltas[layer][j]),
                "{} × {}",
                (g, s),
                lambda a, b: a * b,
                symbol=f"δ_{u}",
            )
        out = Arg(f"out_{u}{tag}", float(p.outs[layer][j]), f"out_{u}")
        total = Arg(f"S_{layer + 1}{tag}", float(p.softmax_sums[layer]), f"S{layer + 1}")  # type: ignore[arg-type]
        return Step(
            f"delta_{u}{tag}",
            float(p.deltas[layer][j]),
            "{} × ({} − {})",
            (out, g, total),
            lambda o, gg, s: o * (gg - s),
            symbol=f"δ_{u}",
        )

    def mean_gradients(
        self,
        passes: list[Pass],
        grads_w: list[Array],
        grads_b: list[Array],
        tags: list[str],
        tag: str,
        include_bias: bool,
    ) -> Section:
        n = len(passes)
        section = Section(f"Mean gradient over the {n} examples (batch mode)")
        template = "(" + " + ".join(["{}"] * n) + f")/{n}"
        for layer in reversed(range(len(grads_w))):
            for j, u in enumerate(self.net.units[layer]):
                for i in range(grads_w[layer].shape[1]):
                    w = self.net.weight_labels[layer][j][i]
                    holes = tuple(
                        Arg(f"dE_d{w}{t}", float(p.grad_w[layer][j, i]), f"∂E/∂{w}")
                        for p, t in zip(passes, tags)
                    )
                    section.add(
                        Step(
                            f"dE_d{w}{tag}",
                            float(grads_w[layer][j, i]),
                            template,
                            holes,
                            lambda *v: sum(v) / len(v),
                            symbol=f"∂E/∂{w}",
                        )
                    )
                if include_bias:
                    holes = tuple(
                        Arg(f"dE_db_{u}{t}", float(p.grad_b[layer][j]), f"∂E/∂b_{u}")
                        for p, t in zip(passes, tags)
                    )
                    section.add(
                        Step(
                            f"dE_db_{u}{tag}",
                            float(grads_b[layer][j]),
                            template,
                            holes,
                            lambda *v: sum(v) / len(v),
                            symbol=f"∂E/∂b_{u}",
                        )
                    )
        return section

    def updates(
        self,
        old_w: list[Array],
        old_b: list[Array],
        new_w: list[Array],
        new_b: list[Array],
        grads_w: list[Array],
        grads_b: list[Array],
        lr: float,
        grad_tag: str,
        tag: str,
        heading: str,
        include_bias: bool,
    ) -> Section:
        section = Section(f"{heading}Updates (η = {lr:g})")
        eta = Arg("learning_rate", lr, "η")
        for layer in reversed(range(len(old_w))):
            for j, u in enumerate(self.net.units[layer]):
                for i in range(old_w[layer].shape[1]):
                    w = self.net.weight_labels[layer][j][i]
                    current = self._w(layer, j, i, old_w)
                    grad = Arg(f"dE_d{w}{grad_tag}", float(grads_w[layer][j, i]), f"∂E/∂{w}")
                    label = f"{w}_new{tag}"
                    section.add(
                        Step(
                            label,
                            float(new_w[layer][j, i]),
                            "{} − {} × {}",
                            (current, eta, grad),
                            lambda a, e, g: a - e * g,
                            symbol=f"{w}⁺",
                        )
                    )
                    self.current_w[layer][j][i] = label
                if include_bias:
                    current = self._b(layer, j, old_b)
                    grad = Arg(f"dE_db_{u}{grad_tag}", float(grads_b[layer][j]), f"∂E/∂b_{u}")
                    label = f"b_{u}_new{tag}"
                    section.add(
                        Step(
                            label,
                            float(new_b[layer][j]),
                            "{} − {} × {}",
                            (current, eta, grad),
                            lambda a, e, g: a - e * g,
                            symbol=f"b_{u}⁺",
                        )
                    )
                    self.current_b[layer][j] = label
        if len(old_w) > 1:
            section.add("The hidden layers' δ use the weights from before this update (w, not w⁺).")
        return section


def _weighted_sum(*v: float) -> float:
    """a1 × b1 + a2 × b2 + … (+ a trailing bias × 1 when the count is odd)."""
    total = sum(v[k] * v[k + 1] for k in range(0, len(v) - 1, 2))
    return total + (v[-1] if len(v) % 2 else 0.0)


def _sum(*v: float) -> float:
    return float(sum(v))


def _loss_from_holes(
    fn: Callable[[Array, Array, int], Array],
    holes: tuple[str, ...],
    values: tuple[float, ...],
    n: int,
) -> float:
    t = next(v for h, v in zip(holes, values) if h == "t")
    o = next(v for h, v in zip(holes, values) if h == "out")
    with np.errstate(all="ignore"):
        return float(fn(np.array([t]), np.array([o]), n)[0])


# --- the commands ---------------------------------------------------------------------------


def _examples(spec: NetworkProblem) -> list[tuple[Array, Array | None]]:
    return [
        (
            np.array(e.input, dtype=float),
            None if e.target is None else np.array(e.target, dtype=float),
        )
        for e in spec.example_list()
    ]


def _tags(n: int) -> list[str]:
    return [""] if n == 1 else [f"@{k + 1}" for k in range(n)]


def _heading(n: int, k: int) -> str:
    return "" if n == 1 else f"Example {k + 1} · "


def _layers_result(net: Network, p: Pass) -> list[dict]:
    layers = []
    for layer, units in enumerate(net.units):
        entry: dict = {"units": units, "net": p.nets[layer].tolist(), "out": p.outs[layer].tolist()}
        if p.deltas:
            entry["grad_net"] = p.deltas[layer].tolist()
            entry["grad_weights"] = p.grad_w[layer].tolist()
            entry["grad_bias"] = p.grad_b[layer].tolist()
        layers.append(entry)
    return layers


def solve_forward(spec: NetworkProblem, carry: int | None = None) -> Solution:
    """The forward pass (and loss, where targets are given) for every example."""
    net = Network.from_problem(spec)
    loss = LOSS[spec.loss]
    rnd = rounder(carry)
    recorder = Recorder(net, loss)
    examples = _examples(spec)
    tags = _tags(len(examples))
    sections: list[Section] = []
    passes = []
    for k, ((x, t), tag) in enumerate(zip(examples, tags)):
        p = run_pass(net, net.weights, net.biases, x, t, loss, rnd, backward=False)
        passes.append(p)
        heading = _heading(len(examples), k)
        sections += recorder.forward(p, net.weights, net.biases, tag, heading)
        if t is not None:
            sections.append(recorder.loss_section(p, tag, heading))
    result: dict = {}
    losses = [p.loss for p in passes if p.loss is not None]
    if len(passes) == 1:
        result["layers"] = _layers_result(net, passes[0])
        result["output"] = passes[0].outs[-1].tolist()
    else:
        result["layers"] = [{"units": u} for u in net.units]
        result["examples"] = [
            {
                "layers": _layers_result(net, p),
                "output": p.outs[-1].tolist(),
                **({"loss": p.loss} if p.loss is not None else {}),
            }
            for p in passes
        ]
        result["output"] = [p.outs[-1].tolist() for p in passes]
    if len(losses) == len(passes):
        result["loss"] = float(rnd(np.mean(losses)))
        if len(passes) > 1:
            sections.append(_mean_loss_section(losses, tags, rnd))
    return Solution("forward", sections, result, title=spec.title, source=spec.source)


def _mean_loss_section(
    losses: list[float], tags: list[str], rnd: Round, title: str = "Loss over all examples"
) -> Section:
    n = len(losses)
    holes = tuple(Arg(f"E_total{t}", v, f"E_total{t}") for v, t in zip(losses, tags))
    section = Section(title)
    section.add(
        Step(
            "E_mean",
            float(rnd(np.mean(losses))),
            "(" + " + ".join(["{}"] * n) + f")/{n}",
            holes,
            lambda *v: sum(v) / len(v),
            symbol="E",
        )
    )
    return section


def solve_backprop(
    spec: NetworkProblem, carry: int | None = None, every_step: bool = False
) -> Solution:
    """Train for ``epochs`` (online or batch), writing the first update(s) out in full."""
    net = Network.from_problem(spec)
    loss = LOSS[spec.loss]
    rnd = rounder(carry)
    lr = float(spec.learning_rate or 0.0)
    examples = _examples(spec)
    n = len(examples)
    updates_per_epoch = n if spec.mode == "online" else 1
    total_updates = spec.epochs * updates_per_epoch
    record_all = (every_step and total_updates <= MAX_WRITTEN) or total_updates <= FULL_UPDATES
    recorder = Recorder(net, loss)
    tags = _tags(n)

    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    sections: list[Section] = []
    history: list[dict] = []

    def update(grads_w: list[Array], grads_b: list[Array]) -> tuple[list[Array], list[Array]]:
        new_w = [rnd(w - lr * g) for w, g in zip(weights, grads_w)]
        new_b = [rnd(b - lr * g) for b, g in zip(biases, grads_b)] if spec.update_bias else biases
        return new_w, new_b

    def example_tag(epoch: int, k: int) -> str:
        if epoch == 1:
            return tags[k]
        return f"@e{epoch}" if n == 1 else f"@e{epoch}.{k + 1}"

    def heading(epoch: int, k: int | None) -> str:
        if epoch == 1:
            return "" if k is None else _heading(n, k)
        return f"Epoch {epoch} · " + ("" if k is None or n == 1 else f"example {k + 1} · ")

    def write_pass(p: Pass, epoch: int, k: int) -> None:
        tag, head = example_tag(epoch, k), heading(epoch, k)
        sections.extend(recorder.forward(p, weights, biases, tag, head))
        sections.append(recorder.loss_section(p, tag, head))
        sections.extend(recorder.backward(p, weights, tag, head, spec.update_bias))

    update_count = 0
    for epoch in range(1, spec.epochs + 1):
        if spec.mode == "online":
            for k, (x, t) in enumerate(examples):
                p = run_pass(net, weights, biases, x, t, loss, rnd, backward=True)
                new_w, new_b = update(p.grad_w, p.grad_b)
                update_count += 1
                if record_all or update_count == 1:
                    write_pass(p, epoch, k)
                    tag = example_tag(epoch, k)
                    sections.append(
                        recorder.updates(
                            weights,
                            biases,
                            new_w,
                            new_b,
                            p.grad_w,
                            p.grad_b,
                            lr,
                            tag,
                            tag,
                            heading(epoch, k),
                            spec.update_bias,
                        )
                    )
                weights, biases = new_w, new_b
        else:
            passes = [
                run_pass(net, weights, biases, x, t, loss, rnd, backward=True) for x, t in examples
            ]
            grads_w = [
                rnd(np.mean([p.grad_w[i] for p in passes], axis=0)) for i in range(len(weights))
            ]
            grads_b = [
                rnd(np.mean([p.grad_b[i] for p in passes], axis=0)) for i in range(len(weights))
            ]
            new_w, new_b = update(grads_w, grads_b)
            update_count += 1
            if record_all or update_count == 1:
                for k, p in enumerate(passes):
                    write_pass(p, epoch, k)
                if n == 1:
                    grad_tag = update_tag = example_tag(epoch, 0)
                else:
                    grad_tag = update_tag = "" if epoch == 1 else f"@e{epoch}"
                    sections.append(
                        recorder.mean_gradients(
                            passes,
                            grads_w,
                            grads_b,
                            [example_tag(epoch, k) for k in range(n)],
                            grad_tag,
                            spec.update_bias,
                        )
                    )
                sections.append(
                    recorder.updates(
                        weights,
                        biases,
                        new_w,
                        new_b,
                        grads_w,
                        grads_b,
                        lr,
                        grad_tag,
                        update_tag,
                        heading(epoch, None),
                        spec.update_bias,
                    )
                )
            weights, biases = new_w, new_b
        after = [
            run_pass(net, weights, biases, x, t, loss, rnd, backward=False).loss
            for x, t in examples
        ]
        history.append({"epoch": epoch, "loss": float(rnd(np.mean(after)))})  # type: ignore[arg-type]

    # The answers describe the network before any update (online mode changes it between examples).
    first_passes = [
        run_pass(net, net.weights, net.biases, x, t, loss, rnd, backward=True) for x, t in examples
    ]
    losses_before = [float(p.loss) for p in first_passes if p.loss is not None]
    loss_before = float(rnd(np.mean(losses_before)))
    if n > 1:
        sections.append(
            _mean_loss_section(
                losses_before, tags, rnd, "Loss over all examples, before any update"
            )
        )
    if not record_all:
        sections.append(_history_section(loss_before, history, spec.mode, n))
    sections.append(_parameters_section(net, weights, biases, spec.update_bias))

    result: dict = {}
    final_layers = [
        {"units": net.units[i], "weights": weights[i].tolist(), "bias": biases[i].tolist()}
        for i in range(len(weights))
    ]
    if n == 1:
        for entry, extra in zip(final_layers, _layers_result(net, first_passes[0])):
            entry.update({k: v for k, v in extra.items() if k != "units"})
        result["output"] = first_passes[0].outs[-1].tolist()
    else:
        result["examples"] = [
            {"layers": _layers_result(net, p), "output": p.outs[-1].tolist(), "loss": p.loss}
            for p in first_passes
        ]
        result["output"] = [p.outs[-1].tolist() for p in first_passes]
    result["layers"] = final_layers
    result["loss"] = loss_before
    result["loss_after"] = history[-1]["loss"]
    result["history"] = history
    result["epochs"] = spec.epochs
    result["mode"] = spec.mode
    notes = []
    if not record_all:
        hint = (
            f"--every-step writes out runs of at most {MAX_WRITTEN} updates"
            if total_updates > MAX_WRITTEN
            else "pass --every-step to see them all"
        )
        notes.append(f"{total_updates:,} updates: the first is worked out in full; {hint}.")
    return Solution("backprop", sections, result, title=spec.title, source=spec.source, notes=notes)


def _history_section(loss_before: float, history: list[dict], mode: str, n: int) -> Section:
    section = Section("Loss per epoch" + (" (mean over the examples)" if n > 1 else ""))
    rows: list[list] = [[0, loss_before]] + [[h["epoch"], h["loss"]] for h in history]
    section.add(Table(["epoch", "E after the epoch"], rows, elide=True))
    return section


def _parameters_section(
    net: Network, weights: list[Array], biases: list[Array], update_bias: bool
) -> Section:
    section = Section("Final parameters")
    rows: list[list] = []
    for layer in range(len(weights)):
        feeding = net.feeding(layer)
        for j, u in enumerate(net.units[layer]):
            for i in range(weights[layer].shape[1]):
                source = feeding[i].removeprefix("out_")
                rows.append(
                    [
                        net.weight_labels[layer][j][i],
                        f"{source} → {u}",
                        net.weights[layer][j, i],
                        weights[layer][j, i],
                    ]
                )
            rows.append([f"b_{u}", f"bias → {u}", net.biases[layer][j], biases[layer][j]])
    section.add(Table(["parameter", "connection", "initial", "final"], rows))
    if not update_bias:
        section.add("update_bias is false: the biases keep their initial values.")
    return section
