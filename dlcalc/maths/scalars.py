"""Scalar numerics in plain Python (no NumPy): for the commands that need no arrays.

softmax, crossentropy and kld work on a handful of numbers; importing NumPy for them would
cost more than the whole computation (start-up time matters for a command-line tool).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any


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


# --- hand-calculation rounding (--carry N) ----------------------------------------------------

DISPLAY_DIGITS = 12  # a carried value is first read as a calculator shows it: 12 significant digits
_STEPS = [Decimal(1).scaleb(-k) for k in range(16)]


def carry_round(value: Any, places: int) -> Any:
    """Round as a student rounds a calculator's display (the contract's ``--carry N`` rule).

    The value is first read to 12 significant digits, so that binary noise such as
    0.56499999999 reads as 0.565, then rounded to ``places`` decimals with ties away from
    zero (0.565 → 0.57, −0.565 → −0.57).  Floats stay floats and fractions exact fractions;
    infinities, NaN and anything not a number pass through.  (NumPy arrays:
    :func:`dlcalc.maths.numerics.carry_round`.)
    """
    if isinstance(value, Fraction):
        return Fraction(_display_rounded(value, places))
    if isinstance(value, bool) or not isinstance(value, (int, float)):  # NumPy's float64 is a float
        return value
    x = float(value)
    if not math.isfinite(x):
        return x
    if abs(x) < 1e12 and places <= 15:  # the common case, fast: 12 digits fit a double exactly
        shown = Decimal(f"{x:.{DISPLAY_DIGITS}g}")
        return float(shown.quantize(_STEPS[places], rounding=ROUND_HALF_UP))
    return float(_display_rounded(x, places))


def _display_rounded(value: float | Fraction, places: int) -> Decimal:
    """``value`` read to 12 significant digits, then rounded to ``places`` decimals, ties away from zero."""
    with localcontext() as ctx:
        ctx.prec = 400  # enough for any double's integer part plus the places asked for
        if isinstance(value, Fraction):
            exact = Decimal(value.numerator) / Decimal(value.denominator)
        else:
            exact = Decimal(value)
        if exact == 0:
            return Decimal(0)
        ctx.prec = DISPLAY_DIGITS
        ctx.rounding = ROUND_HALF_EVEN
        shown = +exact  # unary plus rounds to the context's precision
        ctx.prec = 400
        return shown.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def say_carry_mode(solution: Any, carry: int) -> None:
    """Open ``solution`` (a :class:`~dlcalc.model.steps.Solution`) with the note that carry mode is on.

    The note stands first in the first section, so that it is read before any number.
    """
    note = carry_note(carry)
    if solution.sections:
        solution.sections[0].items.insert(0, note)
    else:
        solution.notes.insert(0, note)


def carry_note(carry: int) -> str:
    """The line that tells a reader hand-calculation mode is on, and what it does."""
    return (
        f"Hand-calculation mode (--carry {carry}): every intermediate value is rounded to "
        f"{carry} decimal{'s' if carry != 1 else ''} (ties away from zero) before any later step "
        "uses it, and the answers are those carried values."
    )
