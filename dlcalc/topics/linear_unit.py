"""What the perceptron and the delta rule share: a linear unit w·x = w0 × 1 + w1 × x1 + …

Both train in exact arithmetic (fractions of the decimals as written), write their epochs
the same way and name their quantities alike (w0 … the weights, η the learning rate, Δw_i
an increment); this module holds that common part, including the formula trees of the
output w·x, of an increment η × (t − o) × x and of an updated weight w + Δw.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from dlcalc.errors import InputError
from dlcalc.model.formula import ONE, Name, Node, Num, Q, q, total
from dlcalc.model.steps import Section, Solution, Table

MAX_WRITTEN = 200  # --every-step writes out at most this many epochs
KEEP_ROWS = 500  # trace tables keep this many epochs at each end of a very long run
LEARNING_RATE = "learning_rate"
ETA = Name("η")

Round = Callable[[Fraction], Fraction]


def rounder(carry: int | None) -> Round:
    """Hand-calculation mode: round to ``carry`` decimals as :func:`dlcalc.maths.numerics.carry_round` does (exactly), or leave alone."""
    if carry is None:
        return lambda v: v
    from dlcalc.maths.scalars import carry_round

    return lambda v: carry_round(Fraction(v), carry)


def start_note(i: int, k: int) -> str | None:
    """The note beside the first weight at the start of epoch k."""
    if i != 0:
        return None
    return "initial weights (w0: the bias weight, input 1)" if k == 1 else f"after epoch {k - 1}"


def weighted_sum(w: Sequence[Fraction], x: Sequence[Fraction]) -> Fraction:
    """w0 × 1 + w1 × x1 + … (w0 is the bias weight)."""
    return w[0] + sum((wi * xi for wi, xi in zip(w[1:], x)), Fraction(0))


# ---- names and leaves


def weight_name(i: int, sup: str | None = None) -> Name:
    """w0, w1 … (w1⁺ with ``sup="+"``)."""
    return Name("w", str(i), sup)


def increment_name(i: int) -> Name:
    """Δw0, Δw1 …"""
    return Name("Δw", str(i))


def weight(label: str, value: Fraction, i: int) -> Q:
    return q(label, value, weight_name(i))


def eta(value: Fraction) -> Q:
    return q(LEARNING_RATE, value, ETA)


def input_value(label: str, value: Fraction, column: str, row: int | None = None) -> Q:
    """Input ``column`` of a row: written ``x1`` inside the row's own formula, else ``x1_r``."""
    name = Name(column) if row is None else Name(column, str(row), label_sub=True)
    return q(label, value, name)


def row_value(label: str, value: Any, base: str, row: int | None) -> Q:
    """A per-row quantity (t, o): ``t`` inside the row's own formula, else ``t_r``."""
    return q(label, value, Name(base) if row is None else Name(base, str(row), label_sub=True))


# ---- formula trees


def output(weights: Sequence[Q], inputs: Sequence[Node]) -> Node:
    """w·x = w0 × 1 + w1 × x1 + … (w0 is the bias weight, its input is 1)."""
    return total([weights[0] * ONE, *(w * x for w, x in zip(weights[1:], inputs))])


def error_times_input(t: Q, o: Q, x: Node | None) -> Node:
    """(t − o) × x, or (t − o) × 1 for the bias weight."""
    return (t - o) * (x if x is not None else ONE)


def eta_times(learning_rate: Q, terms: Sequence[Node]) -> Node:
    """η × (term + term + …) (η × 0 when no row contributes)."""
    return learning_rate * (total(terms) if terms else Num(0))


def updated(w: Q, increment: Q) -> Node:
    """w + Δw."""
    return w + increment


# ---- tables and guards


def trace_table(heads: list[str], rows: list[list], section: Section) -> Table:
    """The trace as a table; very long runs keep their first and last ``KEEP_ROWS`` epochs."""
    if len(rows) > 2 * KEEP_ROWS:
        section.add(
            f"Epochs {KEEP_ROWS + 1:,} to {len(rows) - KEEP_ROWS:,} are left out of this table "
            "(the JSON result lists every epoch)."
        )
        rows = rows[:KEEP_ROWS] + rows[-KEEP_ROWS:]
    return Table(heads, rows, elide=len(rows) > 60)


def within_doubles(field: str) -> Callable[[Callable[..., Solution]], Callable[..., Solution]]:
    """Turn an OverflowError (a number beyond a double) into an input error about ``field``."""

    def wrap(solve: Callable[..., Solution]) -> Callable[..., Solution]:
        @functools.wraps(solve)
        def guarded(*args: Any, **kwargs: Any) -> Solution:
            try:
                return solve(*args, **kwargs)
            except OverflowError:
                raise InputError(
                    "the numbers grow beyond the range of a double (about 1.8e308); "
                    "use smaller values",
                    field=field,
                ) from None

        return guarded

    return wrap
