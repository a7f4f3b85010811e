"""Shared numerics: activations, losses and hand-calculation rounding, with their formulas.

Each activation and loss carries the function, its derivative and builders of the
formula trees used to show them worked out, so that the maths and the way it is
written down stay side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlcalc.maths.scalars import carry_round as scalar_carry_round
from dlcalc.maths.scalars import log_sum_exp, xlogx_ratio  # noqa: F401  (their home was here)
from dlcalc.model.formula import HALF, ONE, TWO, Compare, If, Node, Num, call

Array = np.ndarray

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear", "softmax")
LOSSES = ("half_sse", "sse", "mse", "bce", "cross_entropy")


def sigmoid(x: Array) -> Array:
    """1 / (1 + e^(−x)), computed without overflow for large |x|."""
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0.0, -x))


def softplus(x: Array) -> Array:
    """ln(1 + e^x), computed without overflow."""
    return np.logaddexp(0.0, np.asarray(x, dtype=float))


def softmax(x: Array, temperature: float = 1.0) -> Array:
    """e^(x_k/T) / Σ_j e^(x_j/T), shifted by the maximum so that no exponential overflows."""
    z = np.asarray(x, dtype=float) / temperature
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


class Activation:
    """An activation: ``out = f(net)``, its slope ``dout/dnet`` and how both are written.

    ``out_formula(net, alpha)`` and ``slope_formula(net, out, alpha)`` build the formula
    trees (dlcalc.model.formula) of a step from the quantity leaves ``net`` and ``out``; the
    worked solution prints them and ``check`` evaluates them.
    """

    __slots__ = ("name", "f", "slope", "out_formula", "slope_formula")

    def __init__(
        self,
        name: str,
        f: Callable[[Array, float], Array],
        slope: Callable[[Array, Array, float], Array],
        out_formula: Callable[[Node, float], Node],
        slope_formula: Callable[[Node, Node, float], Node],
    ) -> None:
        self.name = name
        self.f = f
        self.slope = slope  # (net, out, alpha) -> dout/dnet
        self.out_formula = out_formula
        self.slope_formula = slope_formula

    @property
    def elementwise(self) -> bool:
        return self.name != "softmax"


def _sigmoid_of(net: Node) -> Node:
    return ONE / (ONE + call("exp", -net))


def _step(net: Node, above: Node, otherwise: Node) -> Node:
    return If(above, Compare(net, ">", Num(0)), otherwise)


def _softmax_only(*args: Any) -> Node:
    raise ValueError("softmax is written per unit by the network recorder")


ACTIVATION = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            lambda n, a: sigmoid(n),
            lambda n, o, a: o * (1.0 - o),
            lambda net, a: _sigmoid_of(net),
            lambda net, out, a: out * (ONE - out),
        ),
        Activation(
            "tanh",
            lambda n, a: np.tanh(n),
            lambda n, o, a: 1.0 - o * o,
            lambda net, a: call("tanh", net),
            lambda net, out, a: ONE - out ** Num(2),
        ),
        Activation(
            "relu",
            lambda n, a: np.maximum(0.0, n),
            lambda n, o, a: (np.asarray(n) > 0).astype(float),
            lambda net, a: call("max", Num(0), net),
            lambda net, out, a: _step(net, ONE, Num(0)),
        ),
        Activation(
            "leaky_relu",
            lambda n, a: np.where(np.asarray(n) > 0, n, a * np.asarray(n)),
            lambda n, o, a: np.where(np.asarray(n) > 0, 1.0, a),
            lambda net, a: call("max", Num(a) * net, net),
            lambda net, out, a: _step(net, ONE, Num(a)),
        ),
        Activation(
            "softplus",
            lambda n, a: softplus(n),
            lambda n, o, a: sigmoid(n),
            lambda net, a: call("ln", ONE + call("exp", net)),
            lambda net, out, a: _sigmoid_of(net),
        ),
        Activation(
            "linear",
            lambda n, a: np.asarray(n, dtype=float).copy(),
            lambda n, o, a: np.ones_like(np.asarray(n, dtype=float)),
            lambda net, a: net,
            lambda net, out, a: ONE,
        ),
        Activation(
            "softmax",
            lambda n, a: softmax(n),
            lambda n, o, a: np.full_like(np.asarray(n, dtype=float), np.nan),  # not elementwise
            _softmax_only,
            _softmax_only,
        ),
    )
}


class Loss:
    """A loss over the outputs of one example: per-output terms E_k and ∂E/∂out_k.

    ``term(t, o, n)`` and ``grad(t, o, n)`` work elementwise on arrays; ``n`` is the number of
    outputs (used by ``mse``).  ``term_formula(t, out, n)`` and ``grad_formula(t, out, n)``
    build the same as formula trees from the quantity leaves ``t`` and ``out``.
    """

    __slots__ = (
        "name",
        "description",
        "term",
        "grad",
        "term_formula",
        "grad_formula",
        "needs_probabilities",
    )

    def __init__(
        self,
        name: str,
        description: str,
        term: Callable[[Array, Array, int], Array],
        grad: Callable[[Array, Array, int], Array],
        term_formula: Callable[[Node, Node, int], Node],
        grad_formula: Callable[[Node, Node, int], Node],
        needs_probabilities: bool = False,
    ) -> None:
        self.name = name
        self.description = description
        self.term = term
        self.grad = grad
        self.term_formula = term_formula
        self.grad_formula = grad_formula
        self.needs_probabilities = needs_probabilities


def _xlogy(t: Array, o: Array) -> Array:
    """t·ln(o) with 0·ln(0) = 0."""
    t = np.asarray(t, dtype=float)
    o = np.asarray(o, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t * np.log(np.where(o > 0, o, np.nan)))


def _ratio(t: Array, o: Array) -> Array:
    """t/o with 0/0 = 0 (a target of 0 contributes nothing)."""
    t = np.asarray(t, dtype=float)
    o = np.asarray(o, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t / o)


LOSS = {
    loss.name: loss
    for loss in (
        Loss(
            "half_sse",
            "E = Σ ½(t − out)²",
            lambda t, o, n: 0.5 * (t - o) ** 2,
            lambda t, o, n: -(t - o),
            lambda t, out, n: HALF * (t - out) ** TWO,
            lambda t, out, n: -(t - out),
        ),
        Loss(
            "sse",
            "E = Σ (t − out)²",
            lambda t, o, n: (t - o) ** 2,
            lambda t, o, n: -2.0 * (t - o),
            lambda t, out, n: (t - out) ** TWO,
            lambda t, out, n: -TWO * (t - out),
        ),
        Loss(
            "mse",
            "E = (1/n) Σ (t − out)²",
            lambda t, o, n: (t - o) ** 2 / n,
            lambda t, o, n: -2.0 * (t - o) / n,
            lambda t, out, n: (t - out) ** TWO / Num(n),
            lambda t, out, n: -TWO * (t - out) / Num(n),
        ),
        Loss(
            "bce",
            "E = −Σ [t·ln(out) + (1 − t)·ln(1 − out)]",
            lambda t, o, n: -(_xlogy(t, o) + _xlogy(1.0 - t, 1.0 - o)),
            lambda t, o, n: -_ratio(t, o) + _ratio(1.0 - t, 1.0 - o),
            lambda t, out, n: -(t * call("ln", out) + (ONE - t) * call("ln", ONE - out)),
            lambda t, out, n: -t / out + (ONE - t) / (ONE - out),
            needs_probabilities=True,
        ),
        Loss(
            "cross_entropy",
            "E = −Σ t·ln(out)",
            lambda t, o, n: -_xlogy(t, o),
            lambda t, o, n: -_ratio(t, o),
            lambda t, out, n: -t * call("ln", out),
            lambda t, out, n: -t / out,
            needs_probabilities=True,
        ),
    )
}


def carry_round(value: Any, places: int) -> Any:
    """Round as a student rounds a calculator's display (the contract's ``--carry N`` rule).

    Arrays are rounded entry by entry; numbers and fractions as
    :func:`dlcalc.maths.scalars.carry_round` rounds them (12 significant digits, then ``places``
    decimals with ties away from zero: 0.565 → 0.57).
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            return value
        flat = [scalar_carry_round(float(v), places) for v in value.ravel()]
        return np.array(flat, dtype=float).reshape(value.shape)
    return scalar_carry_round(value, places)


def rounder(carry: int | None) -> Callable[[Any], Any]:
    """Round to ``carry`` decimals as :func:`carry_round` does (hand-calculation mode), or leave values alone."""
    if carry is None:
        return lambda x: x
    return lambda x: carry_round(x, carry)
