"""``--exact``: every step's exact value, from the same formula tree the step prints.

Each computed step carries its formula as a tree (dlcalc.model.formula); ``--exact`` evaluates
that tree with SymPy: the givens become the rationals of the decimals as written
(0.1 → 1/10, so 0.1 + 0.2 is exactly 3/10), earlier steps contribute their exact values, and
transcendental steps keep a closed form (σ(0.3775) = 1/(1 + e^(−151/400))).  A step whose
exact form is long, whose value was rounded (``--carry``), or which depends on such a step
gets no exact value but a note saying why (``exact_note``): never a silent fallback to
decimals.  SymPy is imported only here.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from dlcalc.model.steps import Solution, Step

if TYPE_CHECKING:
    import sympy

MAX_LENGTH = 60  # characters of an exact form worth showing


class _NoExact(Exception):
    """Why a step has no exact value (the message is the ``exact_note``)."""


def attach_exact(solution: Solution) -> Solution:
    """Set ``exact`` (and ``exact_latex``) or ``exact_note`` on every step; returns ``solution``."""
    import sympy

    from dlcalc.model.formula import sympy_arithmetic

    arithmetic = sympy_arithmetic()
    known: dict[str, sympy.Basic] = {}
    inexact: dict[str, str] = {}  # label -> why it has no exact value
    for step in solution.iter_steps():
        try:
            value = _exact_value(step, known, inexact, arithmetic)
        except _NoExact as why:
            step.exact, step.exact_note = None, str(why)
            inexact[step.label] = str(why)
            if _is_number(step.value) and math.isfinite(float(step.value)):
                known[step.label] = sympy.Float(float(step.value), 30)
            continue
        known[step.label] = value
        text = show(value)
        if len(text) > MAX_LENGTH:
            step.exact, step.exact_note = (
                None,
                (f"the exact form is {len(text)} characters long; later steps use the decimal"),
            )
            inexact[step.label] = "its exact form is too long to show"
            known[step.label] = sympy.Float(float(value.evalf(30)), 30)
            continue
        step.exact, step.exact_latex, step.exact_note = text, sympy.latex(value), None
    return solution


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _exact_value(
    step: Step, known: dict[str, sympy.Basic], inexact: dict[str, str], arithmetic: Any
) -> sympy.Basic:
    import sympy

    value = step.value
    if isinstance(value, bool):
        if step.expr is None:
            return sympy.true if value else sympy.false
    elif not _is_number(value):
        raise _NoExact("not a single number (exact values are given per number)")
    elif not math.isfinite(float(value)):
        raise _NoExact("the value is not finite")
    if step.expr is None:  # a given
        return _rational(value)
    for quantity in step.expr.quantities():
        if quantity.label in inexact:
            raise _NoExact(f"it uses {quantity.symbol}, which has no exact value")
    values = dict(known)
    try:
        exact = step.expr.evaluate(values, arithmetic)
    except (ArithmeticError, TypeError, ValueError) as error:
        raise _NoExact(f"SymPy could not evaluate the formula ({error})") from None
    if isinstance(value, bool) or isinstance(exact, bool) or exact in (sympy.true, sympy.false):
        return sympy.true if bool(exact) else sympy.false
    exact = sympy.sympify(exact)
    if exact.has(sympy.Float):
        raise _NoExact("an input of this step has no exact value")
    try:
        approx = float(exact.evalf(30))
    except (TypeError, ValueError):
        raise _NoExact("the exact form has no numeric value") from None
    if not math.isclose(approx, float(value), rel_tol=1e-9, abs_tol=1e-12):
        raise _NoExact(
            f"the value shown ({float(value):g}) was rounded, not computed exactly (exact: {approx:.10g})"
        )
    return exact


def _rational(value: Any) -> sympy.Basic:
    """The rational of a number as written: 0.15 → 3/20 (its shortest repr), 1/3 stays 1/3."""
    import sympy

    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, Integral):
        return sympy.Integer(int(value))
    return sympy.Rational(repr(float(value)))


def show(expr: sympy.Basic) -> str:
    """An exact value in dlcalc's notation: ``1/(1 + e^(−151/400))``, ``3/10``, ``ln(2)``."""
    import sympy
    from sympy.printing.str import StrPrinter

    if expr is sympy.true or expr is sympy.false:
        return "yes" if expr is sympy.true else "no"

    class Printer(StrPrinter):
        def _print_exp(self, e: Any) -> str:
            return f"e^({self._print(e.args[0])})"

        def _print_log(self, e: Any) -> str:
            return f"ln({self._print(e.args[0])})"

        def _print_Exp1(self, e: Any) -> str:
            return "e"

    text = Printer({"order": "none"}).doprint(expr)
    return text.replace("**", "^").replace("*", "·").replace("-", "−")
