"""Batch normalization worked out per element: forward (μ, σ², x̂, y) and backward (∂L/∂γ, ∂L/∂β, ∂L/∂x).

Training-mode batch norm: each feature (a column of the batch) is normalised with its
batch mean and biased variance σ² = (1/m) Σ (x − μ)², ε inside the square root:
x̂ = (x − μ)/√(σ² + ε), y = γ·x̂ + β.  The backward pass uses the three-term form
∂L/∂x_i = γ/√(σ² + ε) · (∂L/∂y_i − (1/m) Σ ∂L/∂y − x̂_i · (1/m) Σ ∂L/∂y·x̂).
:func:`forward` and :func:`backward` are the engine (plain floats, one feature at a time).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dlcalc.errors import InputError
from dlcalc.maths.numerics import rounder
from dlcalc.model.formula import Name, Node, Num, Partial, Q, call, q, total
from dlcalc.model.steps import Section, Solution, Step
from dlcalc.specs.batchnorm import BatchNormProblem

Round = Callable[[Any], Any]


@dataclass
class Feature:
    """One feature's forward and backward numbers."""

    x: list[float]
    mean: float
    variance: float
    std: float  # √(σ² + ε)
    xhat: list[float]
    y: list[float]
    grad_y: list[float] | None = None
    grad_beta: float | None = None
    grad_gamma: float | None = None
    grad_x: list[float] | None = None


def forward(
    x: list[float],
    gamma: float,
    beta: float,
    eps: float,
    rnd: Round = lambda v: v,
    carry: int | None = None,
    feature: int | None = None,
) -> Feature:
    """μ, σ² (÷m), √(σ² + ε), x̂ and y = γ·x̂ + β of one feature.

    Under ``--carry`` a small s = √(σ² + ε) may round to 0: that is the user's choice of
    decimals, so it is an input error naming it, never a division by zero.
    """
    m = len(x)
    constant = all(v == x[0] for v in x)
    mean = x[0] if constant else float(rnd(math.fsum(x) / m))
    variance = 0.0 if constant else float(rnd(math.fsum((v - mean) ** 2 for v in x) / m))
    exact_std = math.sqrt(variance + eps)
    which = f" of feature {feature + 1}" if feature is not None else ""
    if exact_std == 0:  # values such as 1e-300 apart: σ² underflows to 0 in floating point
        raise InputError(
            f"the values{which} differ so little that σ² + ε is 0 in floating point "
            "(1e-300 squared underflows), so x̂ = (x − μ)/√(σ² + ε) divides by zero; "
            "give epsilon above 0 (the default is 1e-5) or values further apart",
            field="epsilon",
        )
    std = float(rnd(exact_std))
    if std == 0:
        raise InputError(
            f"s = √(σ² + ε){which} is {exact_std:.3g}, which rounds to 0 at {carry} decimals, "
            "so x̂ = (x − μ)/s would divide by zero; carry more decimals or give a larger epsilon",
            field="--carry",
        )
    xhat = [float(rnd((v - mean) / std)) for v in x]
    y = [float(rnd(gamma * h + beta)) for h in xhat]
    return Feature(x, mean, variance, std, xhat, y)


def backward(f: Feature, grad_y: list[float], gamma: float, rnd: Round = lambda v: v) -> Feature:
    """∂L/∂β = Σ ∂L/∂y, ∂L/∂γ = Σ ∂L/∂y·x̂ and ∂L/∂x by the three-term formula."""
    m = len(f.x)
    f.grad_y = list(grad_y)
    f.grad_beta = float(rnd(math.fsum(grad_y)))
    f.grad_gamma = float(rnd(math.fsum(g * h for g, h in zip(grad_y, f.xhat))))
    f.grad_x = [
        float(rnd(gamma / f.std * (g - f.grad_beta / m - h * f.grad_gamma / m)))
        for g, h in zip(grad_y, f.xhat)
    ]
    return f


def _labels(n_features: int) -> Callable[[str, int | None, int], str]:
    """Labels: ``xhat_3`` (example 3) for one feature; ``xhat_3_2`` (example 3, feature 2) for several."""

    def label(kind: str, i: int | None, k: int) -> str:
        parts = [kind] + ([str(i + 1)] if i is not None else [])
        return "_".join(parts + ([str(k + 1)] if n_features > 1 else []))

    return label


def _name(base: str, i: int | None, k: int, n_features: int, **extra: Any) -> Name:
    """x̂₃ for one feature; x̂_3,2 (example 3, feature 2) or μ₂ (feature 2) for several."""
    parts = ([str(i + 1)] if i is not None else []) + ([str(k + 1)] if n_features > 1 else [])
    sub = ",".join(parts) or None
    return Name(base, sub, index=i is not None, **extra)  # x₃, x̂₃,₂ (example, feature); μ, γ₂


def _step(leaf: Q, expr: Node, note: str | None = None) -> Step:
    return Step(leaf.label, leaf.value, name=leaf.symbol, expr=expr, note=note)


def solve_batchnorm(spec: BatchNormProblem, carry: int | None = None) -> Solution:
    """The forward pass of every feature, and with ``grad_output`` the backward pass."""
    rnd = rounder(carry)
    m, n = len(spec.batch), spec.features
    gammas = list(spec.gamma) if spec.gamma is not None else [1.0] * n
    betas = list(spec.beta) if spec.beta is not None else [0.0] * n
    eps = q("epsilon", spec.epsilon, Name("ε"))
    label = _labels(n)
    features: list[Feature] = []
    sections: list[Section] = []
    for k in range(n):
        x = [float(row[k]) for row in spec.batch]
        f = forward(x, gammas[k], betas[k], spec.epsilon, rnd, carry, k if n > 1 else None)
        if spec.grad_output is not None:
            backward(f, [float(row[k]) for row in spec.grad_output], gammas[k], rnd)
        features.append(f)

        def leaf(kind: str, i: int | None, value: float, base: str, k: int = k, **extra: Any) -> Q:
            return q(label(kind, i, k), value, _name(base, i, k, n, **extra))

        xs = [leaf("x", i, v, "x") for i, v in enumerate(x)]
        gamma = leaf("gamma", None, gammas[k], "γ")
        beta = leaf("beta", None, betas[k], "β")
        section = Section("Forward pass" + (f" · feature {k + 1}" if n > 1 else ""))
        mean = leaf("mean", None, f.mean, "μ")
        section.add(_step(mean, total(list(xs)) / Num(m), "the batch mean"))
        variance = leaf("var", None, f.variance, "σ", sup="2")
        section.add(
            _step(
                variance,
                total([(xi - mean) ** Num(2) for xi in xs]) / Num(m),
                f"the biased batch variance: divided by m = {m}, not m − 1 (as in training)",
            )
        )
        std = leaf("std", None, f.std, "s")
        section.add(_step(std, call("sqrt", variance + eps), "s = √(σ² + ε)"))
        xhats: list[Q] = []
        for i in range(m):
            xhat = leaf("xhat", i, f.xhat[i], "x", accent="hat")
            xhats.append(xhat)
            section.add(_step(xhat, (xs[i] - mean) / std))
        for i in range(m):
            section.add(_step(leaf("y", i, f.y[i], "y"), gamma * xhats[i] + beta))
        sections.append(section)
        if f.grad_x is None:
            continue
        assert f.grad_y is not None and f.grad_beta is not None and f.grad_gamma is not None
        back = Section("Backward pass" + (f" · feature {k + 1}" if n > 1 else ""))
        dys = [
            q(label("dy", i, k), v, Partial(Name("L"), _name("y", i, k, n)))
            for i, v in enumerate(f.grad_y)
        ]
        dbeta = q(label("dbeta", None, k), f.grad_beta, Partial(Name("L"), beta.symbol))  # type: ignore[arg-type]
        back.add(_step(dbeta, total(list(dys)), "Σ ∂L/∂y over the batch"))
        dgamma = q(label("dgamma", None, k), f.grad_gamma, Partial(Name("L"), gamma.symbol))  # type: ignore[arg-type]
        back.add(
            _step(
                dgamma, total([dy * xh for dy, xh in zip(dys, xhats)]), "Σ ∂L/∂y·x̂ over the batch"
            )
        )
        back.add(
            "∂L/∂x_i = γ/s × (∂L/∂y_i − ∂L/∂β/m − x̂_i × ∂L/∂γ/m): the direct path, "
            "the path through μ and the path through σ²"
        )
        for i in range(m):
            dx = q(label("dx", i, k), f.grad_x[i], Partial(Name("L"), _name("x", i, k, n)))
            back.add(
                _step(dx, gamma / std * (dys[i] - dbeta / Num(m) - xhats[i] * dgamma / Num(m)))
            )
        sections.append(back)

    result: dict[str, Any] = {
        "mean": [f.mean for f in features],
        "variance": [f.variance for f in features],
        "std": [f.std for f in features],
        "normalized": [[f.xhat[i] for f in features] for i in range(m)],
        "output": [[f.y[i] for f in features] for i in range(m)],
    }
    if spec.grad_output is not None:
        result["grad_gamma"] = [f.grad_gamma for f in features]
        result["grad_beta"] = [f.grad_beta for f in features]
        result["grad_input"] = [[f.grad_x[i] for f in features] for i in range(m)]  # type: ignore[index]
    paths: dict[str, str] = {}
    for k in range(n):
        for key, kind in (("mean", "mean"), ("variance", "var"), ("std", "std")):
            paths[f"{key}[{k}]"] = label(kind, None, k)
        for i in range(m):
            paths[f"normalized[{i}][{k}]"] = label("xhat", i, k)
            paths[f"output[{i}][{k}]"] = label("y", i, k)
        if spec.grad_output is not None:
            paths[f"grad_gamma[{k}]"] = label("dgamma", None, k)
            paths[f"grad_beta[{k}]"] = label("dbeta", None, k)
            for i in range(m):
                paths[f"grad_input[{i}][{k}]"] = label("dx", i, k)
    return Solution(
        "batchnorm", sections, result, title=spec.title, source=spec.source, paths=paths
    )
