"""Training options as numbers and as steps: learning-rate schedules, gradient clipping and the
regularised cost, shared by ``backprop`` and ``optimize``.

Each option has an engine part (arrays in, arrays out, rounded by the run's ``rnd``) and a
writing part that returns formula-tree steps over leaves the caller names, so the numbers
and the worked steps come from the same formulas:

* schedule: η_k = η·f(k − 1) for update k (1-based), e.g. step decay η·γ^⌊(k − 1)/s⌋;
* clipping: g ← g·min(1, c/‖g‖₂) over all parameters together, or min(max(g, −c), c);
* regularization: J = E + λ/(2m)·Σw² (l2) or E + λ/m·Σ|w| (l1), ∂J/∂w = ∂E/∂w + λ/m·w
  (or λ/m·sign(w)); the l2 update in its decay-factor form (1 − ηλ/m)·w − η·∂E/∂w.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlcalc.model.formula import ONE, TWO, Name, Node, Num, Partial, Q, call, q, total
from dlcalc.model.steps import Rule, Step
from dlcalc.specs.training import Clip, Regularization, Schedule

Array = np.ndarray
Round = Callable[[Any], Any]

# ---- learning-rate schedules

SCHEDULE_TEXT = {
    "step": "step decay: η_k = η·γ^⌊(k − 1)/s⌋",
    "exponential": "exponential decay: η_k = η·γ^(k − 1)",
    "inverse_time": "inverse-time decay: η_k = η/(1 + d·(k − 1))",
    "cosine": "cosine annealing: η_k = η_min + (η − η_min)·(1 + cos(π·(k − 1)/T))/2",
    "warmup": "linear warm-up: η_k = η·min(1, k/W)",
}
BASE_RATE = "learning_rate"


def rate_label(k: int) -> str:
    """The label of update k's learning rate: ``eta_3``."""
    return f"eta_{k}"


def rate_name(k: int | str) -> Name:
    return Name("η", str(k), index=str(k).isdigit())


def _leaves(schedule: Schedule) -> dict[str, Q]:
    return {
        "gamma": q("schedule_gamma", schedule.gamma, Name("γ")),
        "step_size": q("schedule_step_size", schedule.step_size, Name("s")),
        "decay": q("schedule_decay", schedule.decay, Name("d")),
        "total": q("schedule_total", schedule.total, Name("T")),
        "minimum": q("schedule_minimum", schedule.minimum, Name("η", "min")),
        "steps": q("schedule_steps", schedule.steps, Name("W")),
    }


def rate_expr(schedule: Schedule, eta: Node, k: Node) -> Node:
    """η_k = η·f(k − 1) as a tree (k − 1: the number of updates before this one)."""
    t = k - ONE
    s = _leaves(schedule)
    kind = schedule.kind
    if kind == "step":
        return eta * s["gamma"] ** call("floor", t / s["step_size"])
    if kind == "exponential":
        return eta * s["gamma"] ** t
    if kind == "inverse_time":
        return eta / (ONE + s["decay"] * t)
    if kind == "cosine":
        low = s["minimum"]
        return low + (eta - low) * (ONE + call("cos", call("pi") * t / s["total"])) / TWO
    return eta * call("min", ONE, k / s["steps"])  # warmup: f(k − 1) = min(1, k/W)


def schedule_rule(schedule: Schedule) -> Rule:
    """η_k in symbols, said once before the updates."""
    eta = Q("η", None, Name("η"))
    k = Q("k", None, Name("k"))
    note = SCHEDULE_TEXT[schedule.kind].split(":")[0]
    return Rule(rate_name("k"), rate_expr(schedule, eta, k), note)


def scheduled_step(schedule: Schedule, learning_rate: float, k: int, rnd: Round) -> Step:
    """Update k's learning rate as a step: η₃ = η × γ^⌊2/s⌋ = … (its value from its own tree)."""
    eta = q(BASE_RATE, learning_rate, Name("η"))
    expr = rate_expr(schedule, eta, Num(k))
    value = float(rnd(expr.evaluate()))
    return Step(rate_label(k), value, name=rate_name(k), expr=expr, note=f"update {k}")


def scheduled_rate(schedule: Schedule | None, learning_rate: float, k: int, rnd: Round) -> float:
    """η_k (η itself without a schedule)."""
    if schedule is None:
        return learning_rate
    return float(scheduled_step(schedule, learning_rate, k, rnd).value)


# ---- gradient clipping


def clip_arrays(
    grads: Sequence[Array], clip: Clip, rnd: Round
) -> tuple[list[Array], float, float | None]:
    """The clipped gradients, the norm of the unclipped ones over all arrays and, by norm, the factor."""
    squares = float(rnd(sum(float(np.sum(g * g)) for g in grads)))
    norm = float(rnd(np.sqrt(squares)))
    if clip.norm is not None:
        factor = float(rnd(min(1.0, clip.norm / norm))) if norm > 0 else 1.0
        return [rnd(g * factor) for g in grads], norm, factor
    c = clip.value
    assert c is not None
    return [rnd(np.minimum(np.maximum(g, -c), c)) for g in grads], norm, None


def norm_name(t: str | None = None) -> Name:
    return Name("‖g‖", t, index=bool(t and t.isdigit()))


def clip_steps(
    clip: Clip,
    gradients: Sequence[Q],
    clipped: Sequence[Q],
    norm_label: str,
    norm: float,
    factor: float | None,
    factor_label: str,
    sub: str | None = None,
    rnd: Round = lambda x: x,
) -> list[Step | str]:
    """‖g‖ = √(g₁² + g₂² + …), the factor min(1, c/‖g‖) and each clipped gradient (or min/max)."""
    items: list[Step | str] = []
    # g²; a gradient written as a fraction (∂E/∂w5) is multiplied out: ∂E/∂w5² would read as
    # a derivative by w5²
    squares: list[Node] = [g * g if isinstance(g.name, Partial) else g**TWO for g in gradients]
    square_sum = float(rnd(total(squares).evaluate()))
    squared = q(
        norm_label + "_squared",
        square_sum,
        Name("‖g‖", sub, "2", index=bool(sub and sub.isdigit())),
    )
    items.append(
        Step(squared.label, square_sum, name=squared.symbol, expr=total(squares),
             note="the sum of the squares of every gradient that is updated")
    )  # fmt: skip
    norm_q = q(norm_label, norm, norm_name(sub))
    items.append(Step(norm_label, norm, name=norm_q.symbol, expr=call("sqrt", squared)))
    if clip.norm is not None:
        c = q("clip_norm", clip.norm, Name("c"))
        assert factor is not None
        factor_q = q(factor_label, factor, Name("κ", sub, index=bool(sub and sub.isdigit())))
        note = "‖g‖ ≤ c: nothing is clipped" if factor >= 1 else "scaled down to length c"
        expr: Node | None = call("min", ONE, c / norm_q)
        if norm == 0:  # c/0: a zero gradient has nothing to clip (κ = 1 by definition)
            expr, note = None, "‖g‖ = 0: nothing to clip"
        items.append(Step(factor_label, factor, name=factor_q.symbol, expr=expr, note=note))
        for g, out in zip(gradients, clipped):
            items.append(Step(out.label, out.value, name=out.symbol, expr=factor_q * g))
        return items
    assert clip.value is not None
    c = q("clip_value", clip.value, Name("c"))
    for g, out in zip(gradients, clipped):
        cut = abs(float(g.value)) > clip.value
        items.append(
            Step(out.label, out.value, name=out.symbol, expr=call("min", call("max", g, -c), c),
                 note="clipped to ±c" if cut else None)
        )  # fmt: skip
    return items


# ---- regularization


def examples_count(reg: Regularization, n_examples: int) -> int:
    """m: the regularization's own ``examples``, else the number of examples in the problem."""
    return reg.examples if reg.examples is not None else n_examples


def reg_leaves(reg: Regularization, m: int) -> tuple[Q, Q]:
    return q("lambda", reg.lambda_, Name("λ")), q("m", m, Name("m"))


def penalty_value(reg: Regularization, m: int, arrays: Sequence[Array], rnd: Round) -> float:
    """λ/(2m)·Σw² or λ/m·Σ|w| over the given arrays."""
    if reg.kind == "l2":
        squares = sum(float(np.sum(w * w)) for w in arrays)
        return float(rnd(reg.lambda_ / (2 * m) * squares))
    return float(rnd(reg.lambda_ / m * sum(float(np.sum(np.abs(w))) for w in arrays)))


def penalty_expr(reg: Regularization, m: int, weights: Sequence[Q]) -> Node:
    lam, m_q = reg_leaves(reg, m)
    if reg.kind == "l2":
        return lam / (TWO * m_q) * total([w ** Num(2) for w in weights])
    return lam / m_q * total([call("abs", w) for w in weights])


def cost_gradient(reg: Regularization, m: int, gradient: Array, w: Array, rnd: Round) -> Array:
    """∂J/∂w = ∂E/∂w + λ/m·w (l2) or + λ/m·sign(w) (l1, sign(0) = 0)."""
    scale = reg.lambda_ / m
    return rnd(gradient + scale * (w if reg.kind == "l2" else np.sign(w)))


def reg_gradient_expr(reg: Regularization, m: int, gradient: Q, weight: Q) -> Node:
    lam, m_q = reg_leaves(reg, m)
    term = weight if reg.kind == "l2" else call("sign", weight)
    return gradient + lam / m_q * term


def decay_factor_expr(reg: Regularization, m: int, eta: Node, weight: Q, gradient: Q) -> Node:
    """(1 − η·λ/m)·w − η·∂E/∂w: the l2 update as weight decay."""
    lam, m_q = reg_leaves(reg, m)
    return (ONE - eta * lam / m_q) * weight - eta * gradient
