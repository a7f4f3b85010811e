"""The safe expression parser: valid input equals SymPy's own construction; hostile input fails fast."""

from __future__ import annotations

import time

import pytest
import sympy

from dlcalc.app.cli import app
from dlcalc.errors import InputError
from dlcalc.maths.expressions import parse, parse_assignments, to_sympy

x, y = sympy.symbols("x y", real=True)

VALID = [
    ("x^2", x**2),
    ("x**2", x**2),
    ("-x^2", -(x**2)),
    ("2^-x", 2 ** (-x)),
    ("x²", x**2),
    ("3 × x − y ÷ 2", 3 * x - y / 2),
    ("x·y", x * y),
    ("exp(exp(x^2))", sympy.exp(sympy.exp(x**2))),
    ("ln(x) + log(y)", sympy.log(x) + sympy.log(y)),
    ("sqrt(x)*sin(x)/cos(y)", sympy.sqrt(x) * sympy.sin(x) / sympy.cos(y)),
    ("tanh(x) - abs(y)", sympy.tanh(x) - sympy.Abs(y)),
    ("1.5e-3*x", sympy.Float(1.5e-3) * x),
    ("0.5*x", sympy.Rational(1, 2) * x),
    ("max(0, x)", sympy.Max(0, x)),
    ("(x + y)^(1/2)", sympy.sqrt(x + y)),
    ("e^x + pi", sympy.exp(x) + sympy.pi),
    ("x - y - 1", x - y - 1),
    ("2^3^x", 2 ** (3**x)),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_valid_expressions_equal_sympy(text: str, expected: sympy.Expr) -> None:
    assert sympy.simplify(to_sympy(parse(text)) - expected) == 0


def test_named_activations_rewrite_to_their_definitions() -> None:
    expr = to_sympy(parse("sigmoid(x) + σ(y) + softplus(x) + relu(y)"))
    defined = (
        1 / (1 + sympy.exp(-x))
        + 1 / (1 + sympy.exp(-y))
        + sympy.log(1 + sympy.exp(x))
        + sympy.Max(0, y)
    )
    assert sympy.simplify(expr.rewrite(sympy.exp) - defined) == 0


HOSTILE = {
    "import": ("__import__('os')", "unexpected '_' at column 1"),
    "attribute": ("x.__class__", "unexpected '.' at column 2"),
    "lambda": ("lambda: 1", "unexpected ':' at column 7"),
    "string": ('"a"', "unexpected '\"' at column 1"),
    "subscript": ("x[0]", "unexpected '[' at column 2"),
    "semicolon": ("x; y", "unexpected ';' at column 2"),
    "unknown function": ("eval(x)", "unknown function 'eval'"),
    "dunder name": ("x + a__b", "unexpected '_' at column 6"),
    "long": ("x+" * 5_000, "at most 1,000"),
    "deep": ("(" * 5_000 + "x" + ")" * 5_000, "at most 1,000"),
    "deep but short": ("(" * 400 + "x" + ")" * 400, "nested more than 100"),
    "unary chain": ("-" * 500 + "x", "nested more than 100"),
    "power chain": ("x^" * 300 + "x", "nested more than 100"),
    "implicit product": ("2x", "write multiplication with *"),
    "empty": ("   ", "expected an expression"),
    "unbalanced": ("(x + 1", "expected ')'"),
    "nul": ("x\x00", "U+0000"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_expressions_are_rejected(name: str) -> None:
    text, message = HOSTILE[name]
    with pytest.raises(InputError, match=None) as info:
        parse(text)
    assert message in str(info.value)


@pytest.mark.parametrize("command", ["derive", "graph"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_expressions_exit_2_quickly_without_traceback(
    runner, command: str, name: str
) -> None:
    text, _ = HOSTILE[name]
    args = [command, *(["--at", "x=1"] if command == "graph" else []), "--", text]
    start = time.perf_counter()
    result = runner.invoke(app, args)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "dlcalc: error: expression:" in result.output
    assert elapsed < 1.0


def test_assignments() -> None:
    assert parse_assignments("x=0.3, y=-1,z=1/4") == {"x": 0.3, "y": -1.0, "z": 0.25}
    for bad in ("x", "x=y", "1=2", "exp=1", "x=__import__('os')"):
        with pytest.raises(InputError):
            parse_assignments(bad)
