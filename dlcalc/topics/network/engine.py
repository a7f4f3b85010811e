"""The network engine: forward and backward passes and parameter updates on NumPy arrays.

Nothing here writes a step: :mod:`dlcalc.topics.network.recorder` reads the worked
solution off the :class:`Pass` records this engine fills, and
:mod:`dlcalc.topics.network.solve` drives both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlcalc.errors import InputError
from dlcalc.maths.numerics import ACTIVATION, Activation, Loss
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network import labels

Array = np.ndarray
Round = Callable[[Any], Any]  # rounds an array or a number (identity unless --carry)


class Network:
    """The network's parameters and the names used to write it down."""

    __slots__ = (
        "weights",
        "biases",
        "activations",
        "alphas",
        "units",
        "inputs",
        "weight_labels",
        "masks",
        "dropout_rate",
    )

    def __init__(
        self,
        weights: list[Array],
        biases: list[Array],
        activations: list[Activation],
        alphas: list[float],
        units: list[list[str]],
        inputs: list[str],
        weight_labels: list[list[list[str]]],
        masks: list[Array] | None = None,
        dropout_rate: float = 0.5,
    ) -> None:
        self.weights = weights
        self.biases = biases
        self.activations = activations
        self.alphas = alphas
        self.units = units
        self.inputs = inputs
        self.weight_labels = weight_labels  # w1, w2, ... numbered row by row, layer after layer
        # Dropout (training only): per hidden layer, the keep-mask and the rate; the next layer
        # receives out × mask/(1 − rate).
        self.masks = masks
        self.dropout_rate = dropout_rate

    @classmethod
    def from_problem(cls, spec: NetworkProblem) -> Network:
        weights = [np.array(layer.matrix, dtype=float) for layer in spec.layers]
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
        weight_labels: list[list[list[str]]] = []
        k = 0
        for w, layer in zip(weights, spec.layers):
            if layer.weight_names is not None:  # the slides' own names, from `connections:` (w14)
                weight_labels.append([list(row) for row in layer.weight_names])
                k += w.size
                continue
            rows = []
            for _ in range(w.shape[0]):
                rows.append([labels.weight(k + c + 1) for c in range(w.shape[1])])
                k += w.shape[1]
            weight_labels.append(rows)
        return cls(
            weights=weights,
            biases=biases,
            activations=[ACTIVATION[layer.activation] for layer in spec.layers],
            alphas=[layer.alpha for layer in spec.layers],
            units=units,
            inputs=[labels.input_(i) for i in range(weights[0].shape[1])],
            weight_labels=weight_labels,
            masks=[np.array(m, dtype=float) for m in spec.dropout] if spec.dropout else None,
            dropout_rate=spec.dropout_rate,
        )

    def scales(self, dropout: bool) -> list[Array | None]:
        """Per layer, the factor mask/(1 − rate) its output is multiplied by before the next layer."""
        if not dropout or self.masks is None:
            return [None] * len(self.weights)
        return [m / (1.0 - self.dropout_rate) for m in self.masks] + [None]

    def dropped(self, layer: int) -> bool:
        """Does dropout apply to this layer's output?"""
        return self.masks is not None and layer < len(self.masks)

    def feeding(self, layer: int) -> list[str]:
        """Names of the values that feed ``layer``: the inputs or the previous layer's outputs."""
        return self.inputs if layer == 0 else [labels.out(u) for u in self.units[layer - 1]]


def default_unit_names(layer: int, n_layers: int, n_units: int) -> list[str]:
    """h1, h2 … for one hidden layer (h1_1 … for several), o1, o2 … for the output layer."""
    if layer == n_layers - 1:
        return [f"o{j + 1}" for j in range(n_units)]
    if n_layers == 2:
        return [f"h{j + 1}" for j in range(n_units)]
    return [f"h{layer + 1}_{j + 1}" for j in range(n_units)]


class Pass:
    """Everything one example's forward and backward pass computes."""

    __slots__ = (
        "x",
        "t",
        "nets",
        "outs",
        "fed",
        "scales",
        "terms",
        "loss",
        "grad_out",
        "slopes",
        "softmax_sums",
        "deltas",
        "grad_w",
        "grad_b",
    )

    def __init__(
        self,
        x: Array,
        t: Array | None,
        nets: list[Array],
        outs: list[Array],
        fed: list[Array] | None = None,
        scales: list[Array | None] | None = None,
        terms: Array | None = None,
        loss: float | None = None,
        grad_out: list[Array | None] | None = None,
        slopes: list[Array | None] | None = None,
        softmax_sums: list[Array | None] | None = None,
        deltas: list[Array] | None = None,
        grad_w: list[Array] | None = None,
        grad_b: list[Array] | None = None,
    ) -> None:
        self.x = x
        self.t = t
        self.nets = nets
        self.outs = outs
        # What each layer receives (after dropout)
        self.fed: list[Array] = fed if fed is not None else []
        # Dropout's mask/(1 − rate) per layer
        self.scales: list[Array | None] = scales if scales is not None else []
        self.terms = terms  # E_k per output
        self.loss = loss
        # ∂E/∂out per layer
        self.grad_out: list[Array | None] = grad_out if grad_out is not None else []
        # ∂out/∂net per layer (elementwise only)
        self.slopes: list[Array | None] = slopes if slopes is not None else []
        # Σ_j ∂E/∂out_j·out_j (softmax only)
        self.softmax_sums: list[Array | None] = softmax_sums if softmax_sums is not None else []
        self.deltas: list[Array] = deltas if deltas is not None else []  # ∂E/∂net per layer
        self.grad_w: list[Array] = grad_w if grad_w is not None else []
        self.grad_b: list[Array] = grad_b if grad_b is not None else []


def forward_arrays(
    net: Network,
    weights: list[Array],
    biases: list[Array],
    x: Array,
    rnd: Round,
    scales: list[Array | None] | None = None,
) -> tuple[list[Array], list[Array], list[Array]]:
    """net and out per layer, and what each layer received (its input, after any dropout)."""
    nets: list[Array] = []
    outs: list[Array] = []
    fed: list[Array] = []
    a = x
    for layer, (w, b, act, alpha) in enumerate(zip(weights, biases, net.activations, net.alphas)):
        fed.append(a)
        z = rnd(w @ a + b)
        out = rnd(act.f(z, alpha))
        nets.append(z)
        outs.append(out)
        scale = scales[layer] if scales else None
        a = out if scale is None else rnd(out * scale)
    return nets, outs, fed


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


def backward_arrays(
    net: Network,
    weights: list[Array],
    p: Pass,
    loss: Loss,
    rnd: Round,
    sequential_lr: float | None = None,
) -> None:
    """Fill ``p`` with ∂E/∂out, ∂out/∂net, δ = ∂E/∂net and the gradients, layer by layer.

    ``sequential_lr``: the *sequential update* some worked examples use (a convention that
    ``check`` recognises): each layer is updated with that learning rate as soon as its
    gradient is known, and the layer below takes its δ through the already-updated weights.
    """
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
            before = p.fed[layer] if p.fed else (p.x if layer == 0 else p.outs[layer - 1])
            p.grad_w[layer] = rnd(np.outer(delta, before))
            p.grad_b[layer] = delta
            if layer > 0:
                through = weights[layer]
                if sequential_lr is not None:
                    through = rnd(through - sequential_lr * p.grad_w[layer])
                g = through.T @ delta
                scale = p.scales[layer - 1] if p.scales else None
                if scale is not None:  # dropout: ∂E/∂out = ∂E/∂(dropped out) × mask/(1 − rate)
                    g = g * scale  # one written step: the sum is not rounded on its own
                g = rnd(g)
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
    dropout: bool = False,
    sequential_lr: float | None = None,
) -> Pass:
    scales = net.scales(dropout)
    with np.errstate(all="ignore"):
        nets, outs, fed = forward_arrays(net, weights, biases, x, rnd, scales)
    if not all(np.all(np.isfinite(o)) for o in outs):
        raise InputError(
            "a value overflowed to infinity; the weights or inputs are too large", field="layers"
        )
    p = Pass(x=x, t=t, nets=nets, outs=outs, fed=fed, scales=scales)
    if t is not None:
        p.terms = loss_terms(loss, t, outs[-1], rnd, net.units[-1])
        p.loss = float(rnd(np.sum(p.terms)))
        if backward:
            backward_arrays(net, weights, p, loss, rnd, sequential_lr)
    return p


def update_parameters(
    weights: list[Array],
    biases: list[Array],
    grads_w: list[Array],
    grads_b: list[Array],
    learning_rate: float,
    rnd: Round,
    update_bias: bool,
) -> tuple[list[Array], list[Array]]:
    """One gradient-descent step, w⁺ = w − η·∂E/∂w (and the biases unless they are frozen).

    The one update routine of the engine: online and batch training both call it.
    """
    new_w = [rnd(w - learning_rate * g) for w, g in zip(weights, grads_w)]
    new_b = [rnd(b - learning_rate * g) for b, g in zip(biases, grads_b)] if update_bias else biases
    return new_w, new_b
