"""functions.to_tree: SymPy expressions as formula trees, checked against SymPy itself."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlcalc.maths import functions as F
from dlcalc.model.formula import Name, print_unicode, q, sympy_arithmetic
from dlcalc.render.notation import printer

x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
LEAVES = {x: q("x", 0.0, Name("x")), y: q("y", 0.0, Name("y"))}

ATOMS = st.sampled_from([x, y, sympy.Integer(2), sympy.Integer(-3), sympy.Rational(1, 2)])
UNARY = [
    sympy.exp,
    sympy.sin,
    sympy.cos,
    sympy.tanh,
    sympy.Abs,
    F.sigmoid,
    F.softplus,
    F.relu,
    lambda e: sympy.log(1 + e**2),
    lambda e: sympy.sqrt(1 + e**2),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1 + b**2),
    lambda a, b: a**2,
    lambda a, b: sympy.Max(a, b),
    lambda a, b: sympy.Min(a, b),
]


def expressions() -> st.SearchStrategy[sympy.Expr]:
    return st.recursive(
        ATOMS,
        lambda inner: st.one_of(
            st.builds(lambda f, a: f(a), st.sampled_from(UNARY), inner),
            st.builds(lambda f, a, b: f(a, b), st.sampled_from(BINARY), inner, inner),
        ),
        max_leaves=6,
    )


def _at(a: float, b: float) -> dict:
    return {
        x: q("x", a, Name("x")),
        y: q("y", b, Name("y")),
    }


def _sympy_value(expr: sympy.Expr, a: float, b: float) -> float:
    plain = expr.replace(lambda e: isinstance(e, F._Named), lambda e: e.definition(e.args[0]))
    value = complex(sympy.N(plain.subs({x: sympy.Rational(str(a)), y: sympy.Rational(str(b))}), 30))
    return value.real if abs(value.imag) < 1e-20 else math.nan


@settings(max_examples=150, deadline=None)
@given(expressions(), st.floats(-2, 2).map(lambda v: round(v, 3)), st.floats(-2, 2))
def test_the_tree_evaluates_to_the_expression(expr: sympy.Expr, a: float, b: float) -> None:
    b = round(b, 3)
    expected = _sympy_value(expr, a, b)
    assume(math.isfinite(expected))
    tree = F.to_tree(expr, _at(a, b))
    assert tree.evaluate() == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(expressions(), st.integers(-20, 20), st.integers(1, 9))
def test_the_tree_in_sympy_is_the_expression_exactly(expr: sympy.Expr, p: int, d: int) -> None:
    a = Fraction(p, d * 2)
    tree = F.to_tree(expr, {x: q("x", a, "x"), y: q("y", 1, "y")})
    exact = tree.evaluate(arithmetic=sympy_arithmetic())
    wanted = expr.subs({x: sympy.Rational(p, d * 2), y: 1})
    difference = sympy.sympify(exact) - wanted
    assert difference == 0 or abs(complex(sympy.N(difference, 50))) < 1e-40


@pytest.mark.parametrize(
    ("expr", "symbols", "numbers"),
    [
        (2 * x * sympy.exp(x**2), "2 × x × e^(x²)", "2 × 0.5 × e^(0.5²)"),
        (x - y, "x − y", "0.5 − (−2)"),
        (-(x - y) * x, "x × (y − x)", "0.5 × (−2 − 0.5)"),
        (sympy.sqrt(x**2 + 1), "√(1 + x²)", "√(1 + 0.5²)"),
        (1 / x, "1/x", "1/0.5"),
        (x / 2, "x/2", "0.5/2"),
        (-sympy.Rational(1, 2) * x, "−x/2", "−0.5/2"),
        (sympy.sin(x) + sympy.pi, "π + sin(x)", "π + sin(0.5)"),
        (sympy.diff(F.relu(x), x), "1 if x > 0 else 0", "1 if 0.5 > 0 else 0"),
    ],
)
def test_readable_trees(expr: sympy.Expr, symbols: str, numbers: str) -> None:
    tree = F.to_tree(expr, {x: q("x", 0.5, "x"), y: q("y", -2.0, "y")})
    assert print_unicode(tree) == symbols
    assert print_unicode(tree, lambda v: f"{v:g}".replace("-", "−")) == numbers


def test_first_symbols_lead_a_sum() -> None:
    t, o = sympy.Symbol("t", real=True), sympy.Symbol("o", real=True)
    tree = F.to_tree(sympy.diff((t - o) ** 2 / 2, o), {t: q("t", 1, "t"), o: q("o", 0, "o")}, [t])
    assert print_unicode(tree) == "−(t − o)"


def test_every_format_prints_the_new_functions() -> None:
    tree = F.to_tree(sympy.sin(x) * sympy.cos(x) + sympy.pi, LEAVES)
    assert printer("latex").print(tree) == r"\pi  + \cos\left(x\right) \times \sin\left(x\right)"
    assert printer("ascii").print(tree) == "pi + cos(x) * sin(x)"
    html = printer("html").print(tree)
    assert "π" in html and "sin(" in html
    assert print_unicode(tree) == "π + cos(x) × sin(x)"


def test_an_unknown_function_is_refused() -> None:
    with pytest.raises(F.Unrepresentable, match="gamma"):
        F.to_tree(sympy.gamma(x), LEAVES)
