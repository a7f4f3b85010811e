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

from dlcalc.numerics import rounder
from dlcalc.specs.batchnorm import BatchNormProblem
from dlcalc.steps import Arg, Section, Solution, Step

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
    x: list[float], gamma: float, beta: float, eps: float, rnd: Round = lambda v: v
) -> Feature:
    """μ, σ² (÷m), √(σ² + ε), x̂ and y = γ·x̂ + β of one feature."""
    m = len(x)
    constant = all(v == x[0] for v in x)
    mean = x[0] if constant else float(rnd(math.fsum(x) / m))
    variance = 0.0 if constant else float(rnd(math.fsum((v - mean) ** 2 for v in x) / m))
    std = float(rnd(math.sqrt(variance + eps)))
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


def _names(n_features: int) -> Callable[[str, int | None, int], str]:
    """Labels: ``xhat_3`` (example 3) for one feature; ``xhat_3_2`` (example 3, feature 2) for several."""

    def name(q: str, i: int | None, k: int) -> str:
        parts = [q] + ([str(i + 1)] if i is not None else []) + ([str(k + 1)] if n_features > 1 else [])
        return "_".join(parts)

    return name


SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _symbol(base: str, i: int | None, k: int, n_features: int) -> str:
    text = base + ("" if i is None else str(i + 1).translate(SUB))
    return text if n_features == 1 else f"{text}[{k + 1}]"


def solve_batchnorm(spec: BatchNormProblem, carry: int | None = None) -> Solution:
    """The forward pass of every feature, and with ``grad_output`` the backward pass."""
    rnd = rounder(carry)
    m, n = len(spec.batch), spec.features
    gammas = list(spec.gamma) if spec.gamma is not None else [1.0] * n
    betas = list(spec.beta) if spec.beta is not None else [0.0] * n
    eps = Arg("epsilon", spec.epsilon, "ε")
    name = _names(n)
    features: list[Feature] = []
    sections: list[Section] = []
    for k in range(n):
        x = [float(row[k]) for row in spec.batch]
        f = forward(x, gammas[k], betas[k], spec.epsilon, rnd)
        if spec.grad_output is not None:
            backward(f, [float(row[k]) for row in spec.grad_output], gammas[k], rnd)
        features.append(f)

        def sym(base: str, i: int | None = None, k: int = k) -> str:
            return _symbol(base, i, k, n)

        xs = [Arg(name("x", i, k), v, sym("x", i)) for i, v in enumerate(x)]
        gamma = Arg(name("gamma", None, k), gammas[k], sym("γ"))
        beta = Arg(name("beta", None, k), betas[k], sym("β"))
        title = "Forward pass" + (f" · feature {k + 1}" if n > 1 else "")
        section = Section(title)
        mean = Arg(name("mean", None, k), f.mean, sym("μ"))
        section.add(
            Step(
                mean.name,
                f.mean,
                "(" + " + ".join(["{}"] * m) + f")/{m}",
                tuple(xs),
                lambda *v: math.fsum(v) / len(v),
                symbol=mean.symbol,
                note="the batch mean",
            )
        )
        holes: list[Arg] = []
        for a in xs:
            holes += [a, mean]
        variance = Arg(name("var", None, k), f.variance, sym("σ²"))
        section.add(
            Step(
                variance.name,
                f.variance,
                "(" + " + ".join(["({} − {})²"] * m) + f")/{m}",
                tuple(holes),
                lambda *v: math.fsum((v[j] - v[j + 1]) ** 2 for j in range(0, len(v), 2))
                / (len(v) // 2),
                symbol=variance.symbol,
                note=f"the biased batch variance: divided by m = {m}, not m − 1 (as in training)",
            )
        )
        std = Arg(name("std", None, k), f.std, sym("√(σ²+ε)"))
        section.add(
            Step(
                std.name,
                f.std,
                "√({} + {})",
                (variance, eps),
                lambda v, e: math.sqrt(v + e),
                symbol=std.symbol,
            )
        )
        xhats: list[Arg] = []
        for i in range(m):
            xhat = Arg(name("xhat", i, k), f.xhat[i], sym("x̂", i))
            xhats.append(xhat)
            section.add(
                Step(
                    xhat.name,
                    f.xhat[i],
                    "({} − {})/{}",
                    (xs[i], mean, std),
                    lambda a, b, s: (a - b) / s,
                    symbol=xhat.symbol,
                )
            )
        for i in range(m):
            section.add(
                Step(
                    name("y", i, k),
                    f.y[i],
                    "{} × {} + {}",
                    (gamma, xhats[i], beta),
                    lambda g, h, b: g * h + b,
                    symbol=sym("y", i),
                )
            )
        sections.append(section)
        if f.grad_x is None:
            continue
        assert f.grad_y is not None and f.grad_beta is not None and f.grad_gamma is not None
        back = Section("Backward pass" + (f" · feature {k + 1}" if n > 1 else ""))
        dys = [Arg(name("dy", i, k), v, sym("∂L/∂y", i)) for i, v in enumerate(f.grad_y)]
        dbeta = Arg(name("dbeta", None, k), f.grad_beta, sym("∂L/∂β"))
        back.add(
            Step(
                dbeta.name,
                f.grad_beta,
                " + ".join(["{}"] * m),
                tuple(dys),
                lambda *v: math.fsum(v),
                symbol=dbeta.symbol,
                note="Σ ∂L/∂y over the batch",
            )
        )
        holes = []
        for dy, xhat in zip(dys, xhats):
            holes += [dy, xhat]
        dgamma = Arg(name("dgamma", None, k), f.grad_gamma, sym("∂L/∂γ"))
        back.add(
            Step(
                dgamma.name,
                f.grad_gamma,
                " + ".join(["{} × {}"] * m),
                tuple(holes),
                lambda *v: math.fsum(v[j] * v[j + 1] for j in range(0, len(v), 2)),
                symbol=dgamma.symbol,
                note="Σ ∂L/∂y·x̂ over the batch",
            )
        )
        back.add(
            "∂L/∂x_i = γ/√(σ² + ε) × (∂L/∂y_i − (1/m)·∂L/∂β − x̂_i·(1/m)·∂L/∂γ): the direct path, "
            "the path through μ, and the path through σ²"
        )
        for i in range(m):
            back.add(
                Step(
                    name("dx", i, k),
                    f.grad_x[i],
                    f"{{}}/{{}} × ({{}} − {{}}/{m} − {{}} × {{}}/{m})",
                    (gamma, std, dys[i], dbeta, xhats[i], dgamma),
                    lambda g, s, dy, db, h, dg, m=m: g / s * (dy - db / m - h * dg / m),
                    symbol=sym("∂L/∂x", i),
                )
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
    return Solution("batchnorm", sections, result, title=spec.title, source=spec.source)
