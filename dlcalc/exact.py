"""``--exact``: exact values beside the decimals, for any command's worked solution.

Every step records its formula as a template and the quantities that fill it, so the
exact value of a step can be worked out by reading its own formula with SymPy: the
givens become the rationals of the decimals as written (0.1 → 1/10, so 0.1 + 0.2 is
exactly 3/10), earlier steps contribute their exact values, and transcendental steps
keep a closed form (σ(0.3775) = 1/(1 + e^(−151/400))) while it stays short.  A step whose
exact form would be long is shown in decimals only; later steps then use its decimal value
and are not called exact.  The formula is read with dlcalc's restricted parser (never
``eval``).  SymPy is imported only here.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from dlcalc.errors import InputError
from dlcalc.steps import Solution, Step

if TYPE_CHECKING:
    import sympy

MAX_LENGTH = 60  # characters of an exact form worth showing
NOTATION = {"½": "(1/2)", "[": "(", "]": ")", "⊙": "×"}


def attach_exact(solution: Solution) -> Solution:
    """Set ``step.exact`` (a string) on every step whose exact value is short; returns ``solution``."""
    import sympy

    known: dict[str, sympy.Expr] = {}
    for step in solution.iter_steps():
        value = _exact_value(step, known)
        if value is None:
            continue
        known[step.label] = value
        # Whole numbers look the same exact or not; a Float inside means the value is not exact.
        if not value.is_Integer and not value.has(sympy.Float):
            text = show(value)
            if len(text) <= MAX_LENGTH:
                step.exact = text
    return solution


def _exact_value(step: Step, known: dict[str, sympy.Expr]) -> sympy.Expr | None:
    import sympy

    value = step.value
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, Integral):
        return sympy.Integer(int(value))
    if not math.isfinite(float(value)):
        return None
    fallback = sympy.Float(float(value), 30)
    if step.expr is None and (step.template is None or not step.args):
        return _given(float(value))
    expr = _from_tree(step, known) if step.expr is not None else _from_formula(step, known)
    if expr is None:
        return fallback
    try:
        approx = float(expr.evalf(30))
    except (TypeError, ValueError):
        return fallback
    if not math.isclose(approx, float(value), rel_tol=1e-9, abs_tol=1e-12):
        # The step's value was rounded (--carry) or came from a rule the formula only describes:
        # later steps use the decimal as shown, exactly, but it is not shown as an exact form.
        return sympy.Float(_given(float(value)), 30)
    if len(show(expr)) > MAX_LENGTH:
        return fallback
    return expr


def _from_tree(step: Step, known: dict[str, sympy.Expr]) -> sympy.Expr | None:
    """A formula tree (dlcalc.formula) evaluated in SymPy, earlier steps by their exact values."""
    from dlcalc.formula import sympy_arithmetic

    assert step.expr is not None
    try:
        return step.expr.evaluate(known, sympy_arithmetic())
    except (ArithmeticError, TypeError, ValueError):
        return None


def _given(value: float) -> sympy.Expr:
    """The rational of a decimal as written (its shortest repr), e.g. 0.15 → 3/20."""
    import sympy

    return sympy.Rational(repr(value)) if math.isfinite(value) else sympy.Float(value)


def _from_formula(step: Step, known: dict[str, sympy.Expr]) -> sympy.Expr | None:
    """The step's formula read by the restricted parser, with exact values substituted."""
    import sympy

    from dlcalc.expressions import parse, to_sympy

    holes = [f"a{k}" for k in range(len(step.args))]
    text = step.template.format(*holes)  # type: ignore[union-attr]
    for mark, plain in NOTATION.items():
        text = text.replace(mark, plain)
    try:
        tree = parse(text, field="formula")
    except InputError:
        return None
    expr = to_sympy(tree)
    values = {}
    for hole, arg in zip(holes, step.args):
        exact = known.get(arg.name)
        if exact is None:
            if isinstance(arg.value, Fraction):
                exact = sympy.Rational(arg.value.numerator, arg.value.denominator)
            elif isinstance(arg.value, Real) and not isinstance(arg.value, bool):
                exact = _given(float(arg.value))
            else:
                return None
        values[sympy.Symbol(hole, real=True)] = exact
    try:
        return expr.xreplace(values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def show(expr: sympy.Expr) -> str:
    """An exact value in dlcalc's notation: ``1/(1 + e^(−151/400))``, ``3/10``, ``ln(2)``."""
    from sympy.printing.str import StrPrinter

    class Printer(StrPrinter):
        def _print_exp(self, e: Any) -> str:
            return f"e^({self._print(e.args[0])})"

        def _print_log(self, e: Any) -> str:
            return f"ln({self._print(e.args[0])})"

        def _print_Exp1(self, e: Any) -> str:
            return "e"

    text = Printer({"order": "none"}).doprint(expr)
    return text.replace("**", "^").replace("*", "·").replace("-", "−")
