"""Scalar numerics in plain Python (no NumPy): for the commands that need no arrays.

softmax, crossentropy and kld work on a handful of numbers; importing NumPy for them would
cost more than the whole computation (start-up time matters for a command-line tool).
"""

from __future__ import annotations

import math


def log_sum_exp(values: list[float]) -> float:
    """ln Σ e^(x_j) = m + ln Σ e^(x_j − m) with m = max x: exact for logits of ±1000, never overflows."""
    m = max(values)
    if math.isinf(m):
        return m
    return m + math.log(math.fsum(math.exp(x - m) for x in values))


def xlogx_ratio(p: float, q: float) -> float:
    """p·ln(p/q) with the conventions of KL divergence: 0 when p = 0, ∞ when q = 0 < p."""
    if p == 0:
        return 0.0
    if q == 0:
        return math.inf
    return p * (math.log(p) - math.log(q))
