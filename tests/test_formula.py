"""The formula tree: one description printed with symbols, with values, and evaluated."""

from fractions import Fraction

import pytest

from dlcalc.model.formula import (
    FRACTION,
    HALF,
    ONE,
    Compare,
    Name,
    Num,
    Partial,
    call,
    print_name,
    print_unicode,
    q,
    sympy_arithmetic,
)
from dlcalc.model.steps import Step
from dlcalc.render.numbers import fmt


def net_h1():
    return q("w1", 0.15) * q("x1", 0.05) + q("w2", 0.2) * q("x2", 0.1) + q("b_h1", 0.35) * ONE


def test_symbols_and_values_come_from_one_tree():
    tree = net_h1()
    assert print_unicode(tree) == "w1 × x1 + w2 × x2 + b_h1 × 1"
    assert print_unicode(tree, fmt) == "0.15 × 0.05 + 0.2 × 0.1 + 0.35 × 1"
    assert tree.evaluate() == pytest.approx(0.3775)


def test_step_recompute_is_the_printed_formula():
    tree = net_h1()
    step = Step("net_h1", tree.evaluate(), expr=tree)
    assert step.inputs == ["w1", "x1", "w2", "x2", "b_h1"]
    assert step.recompute({"x1": 1.0}) == pytest.approx(0.15 + 0.02 + 0.35)
    assert step.formula() == print_unicode(tree)


def test_brackets_follow_precedence_and_negative_values():
    out = ONE / (ONE + call("exp", -q("net", 0.3775)))
    assert print_unicode(out) == "1/(1 + e^(−net))"
    # A negative value is bracketed where an operator binds it, not where it leads (issue 12).
    assert print_unicode(q("a", -0.5) - q("b", -0.2), fmt) == "−0.5 − (−0.2)"
    assert print_unicode(call("tanh", q("net", -0.45)), fmt) == "tanh(−0.45)"
    assert print_unicode(q("a", 2) * q("b", -0.5) ** Num(2), fmt) == "2 × (−0.5)²"
    assert print_unicode(q("a", 2) + q("b", -0.5) * q("c", 3), fmt) == "2 + (−0.5) × 3"
    assert (
        print_unicode(HALF * (q("t", 0.01) - q("o", 0.75)) ** Num(2), fmt) == "½ × (0.01 − 0.75)²"
    )
    assert print_unicode((q("a", 1) - q("b", 2)) - (q("c", 3) - q("d", 4))) == "a − b − (c − d)"


def test_names_are_structured():
    assert print_name(Name("m", "1", accent="hat")) == "m̂₁"
    assert print_name(Name("δ", "o1")) == "δ_o1"
    assert print_name(Partial(Name("E"), Name("w5"))) == "∂E/∂w5"
    assert print_name(Name("w5", sup="+")) == "w5⁺"


def test_exact_arithmetics():
    tree = q("a", Fraction(1, 3)) + q("b", Fraction(1, 6))
    assert tree.evaluate(arithmetic=FRACTION) == Fraction(1, 2)
    with pytest.raises(ArithmeticError):
        call("exp", q("a", 1)).evaluate(arithmetic=FRACTION)
    sympy = pytest.importorskip("sympy")
    assert net_h1().evaluate(arithmetic=sympy_arithmetic()) == sympy.Rational(151, 400)


def test_comparison():
    c = Compare(q("wx", 2.1), "<", q("theta", 3))
    assert c.evaluate() is True
    assert print_unicode(c, fmt) == "2.1 < 3"


# ---------------------------------------------------------------- floor and log10


def _size(w: int) -> tuple:
    """(W − F + 2·P)/S of a conv output size, floored (written and quiet)."""
    from dlcalc.model.formula import TWO, Mul

    ws, f, p, s = q("W_0", w, "W"), q("F_1", 2, "F"), q("P_1", 1, "P"), q("S_1", 2, "S")
    inner = (ws - f + Mul((TWO, p), "·")) / s
    return call("floor", inner) + ONE, call("floor_quiet", inner) + ONE


def test_floor_is_printed_in_every_format():
    from dlcalc.render.notation import printer

    loud, _ = _size(7)
    shown = {n: printer(n).print(loud) for n in ("unicode", "ascii", "latex", "html")}
    assert shown["unicode"] == "⌊(W − F + 2 × P)/S⌋ + 1"
    assert shown["ascii"] == "floor((W - F + 2 * P)/S) + 1"
    assert shown["latex"] == r"\left\lfloor \frac{W - F + 2 \times P}{S} \right\rfloor + 1"
    assert shown["html"].startswith("⌊(") and shown["html"].endswith(
        ')/<span class="sym">S</span>⌋ + 1'
    )
    assert printer("unicode", str).print(loud) == "⌊(7 − 2 + 2 × 1)/2⌋ + 1"


def test_floor_quiet_is_written_only_where_the_quotient_is_not_whole():
    from dlcalc.render.notation import printer

    _, fractional = _size(7)  # 7/2
    _, whole = _size(8)  # 8/2
    assert print_unicode(fractional) == "⌊(W − F + 2 × P)/S⌋ + 1"
    assert print_unicode(whole) == "(W − F + 2 × P)/S + 1"
    assert printer("ascii").print(whole) == "(W - F + 2 * P)/S + 1"
    assert printer("ascii").print(fractional) == "floor((W - F + 2 * P)/S) + 1"
    assert printer("latex").print(whole) == r"\frac{W - F + 2 \times P}{S} + 1"
    assert whole.evaluate({"W_0": 9}) == 5  # still floored on recompute: ⌊9/2⌋ + 1


@pytest.mark.parametrize("which", [0, 1])
def test_floor_evaluates_in_floats_fractions_and_sympy(which: int):
    import sympy

    tree = _size(7)[which]
    assert tree.evaluate() == 4
    assert call("floor", q("x", 3.5)).evaluate() == 3
    assert isinstance(call("floor", q("x", 3.5)).evaluate(), int)
    assert tree.evaluate(arithmetic=FRACTION) == 4
    assert call("floor", Num(Fraction(-7, 2))).evaluate(arithmetic=FRACTION) == -4  # exact
    exact = tree.evaluate(arithmetic=sympy_arithmetic())
    assert exact == sympy.Integer(4)


def test_log10_prints_and_evaluates():
    import sympy

    from dlcalc.render.notation import printer

    tree = call("log10", q("p", 100.0))
    assert print_unicode(tree) == "log₁₀(p)"
    assert printer("ascii").print(tree) == "log10(p)"
    assert printer("latex").print(tree) == r"\log_{10}\left(p\right)"
    assert tree.evaluate() == pytest.approx(2.0)
    assert sympy.simplify(tree.evaluate(arithmetic=sympy_arithmetic()) - 2) == 0
    with pytest.raises(ArithmeticError):
        tree.evaluate(arithmetic=FRACTION)
