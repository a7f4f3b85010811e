"""derive against SymPy's own diff; graph adjoints against finite differences."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.app.cli import app
from dlcalc.maths.expressions import parse, to_sympy
from dlcalc.maths.functions import _Named
from dlcalc.render.terminal import to_text
from dlcalc.topics.calculus import Derivation, build_graph, solve_derive, solve_graph

x = sympy.Symbol("x", real=True)

DEFINITIONS = {
    "sigmoid(x)": 1 / (1 + sympy.exp(-x)),
    "tanh(x)": sympy.tanh(x),
    "softplus(x)": sympy.log(1 + sympy.exp(x)),
    "relu(x)": sympy.Max(0, x),
    "exp(x)": sympy.exp(x),
    "ln(x)": sympy.log(x),
}


@pytest.mark.parametrize("text", list(DEFINITIONS))
def test_activation_derivatives_equal_sympy_diff(text: str) -> None:
    ours = Derivation(parse(text), "x").derivs[parse(text)]
    expected = sympy.diff(DEFINITIONS[text], x)
    for value in (-1.3, -0.2, 0.4, 2.0):
        assert float(ours.subs(x, value).rewrite(sympy.exp).evalf()) == pytest.approx(
            float(expected.subs(x, value).evalf()), abs=1e-12
        )


def test_sigmoid_derivative_is_written_in_sigma() -> None:
    solution = solve_derive("sigmoid(x)")
    assert solution.result["derivative"] == "σ(x) × (1 − σ(x))"
    assert solve_derive("softplus(x)").result["derivative"] == "σ(x)"
    assert solve_derive("tanh(x)").result["derivative"] == "1 − tanh(x)²"


COMPOSITIONS = [
    "exp(exp(x^2))",
    "x*sigmoid(x)",
    "sin(x)^2/(1 + x^2)",
    "2^x * ln(x^2 + 1)",
    "softplus(3*x - 1) - tanh(x)*x",
    "sqrt(x^2 + 1)",
    "x^x",
]


@pytest.mark.parametrize("text", COMPOSITIONS)
def test_chain_rule_equals_sympy_diff(text: str) -> None:
    node = parse(text)
    ours = Derivation(node, "x").derivs[node]
    expected = sympy.diff(to_sympy(node), x)
    assert sympy.simplify((ours - expected).rewrite(sympy.exp)) == 0
    numbers = solve_derive(text, "x", {"x": 0.7})
    assert numbers.result["slope"] == pytest.approx(float(expected.subs(x, 0.7).evalf()), rel=1e-12)
    chain = [s for s in numbers.steps if s.label == "dy/dx@x=0.7"]
    assert chain and chain[0].value == pytest.approx(numbers.result["slope"], rel=1e-9)


def test_slides_e_x2_steps() -> None:
    solution = solve_derive("exp(exp(x^2))")
    steps = {s.label: s for s in solution.steps}
    assert steps["du1/dx"].value == "2 × x"
    assert steps["du2/dx"].formula() == "du2/du1 × du1/dx"
    assert steps["du2/dx"].substituted(str) == "e^(x²) × 2 × x"
    assert steps["dy/dx"].value == "2 × x × e^(x²) × e^(e^(x²))"


def test_softmax_sections() -> None:
    solution = solve_derive("softmax(1, z1, z2, z3)", "z1")
    values = {s.label: s.value for s in solution.steps}
    assert values["∂s1/∂z1"] == "−s1 × (s1 − 1)" or values["∂s1/∂z1"] == "s1 × (1 − s1)"
    assert values["∂s1/∂z2"] == "−s1 × s2"
    assert values["∂E/∂z1 (Σ y = 1)"] == "s1 − y1"


def _finite_difference(expr: sympy.Expr, at: dict[str, float], name: str, h: float = 1e-6) -> float:
    plain = expr.replace(lambda e: isinstance(e, _Named), lambda e: e.definition(e.args[0]))
    f = sympy.lambdify([sympy.Symbol(k, real=True) for k in at], plain, "math")
    up = dict(at, **{name: at[name] + h})
    down = dict(at, **{name: at[name] - h})
    return (f(*up.values()) - f(*down.values())) / (2 * h)


GRAPHS = [
    "x*y + sin(x)",
    "x*x",
    "sigmoid(w1*x1 + w2*x2 + b)",
    "exp(x*y)/(1 + x^2) - y*ln(1 + x^2)",
    "tanh(x + y)*(x + y)",
]


@pytest.mark.parametrize("text", GRAPHS)
def test_graph_adjoints_match_finite_differences(text: str) -> None:
    node = parse(text)
    at = {name: 0.3 + 0.17 * k for k, name in enumerate(node.symbols())}
    g = build_graph(node, at)
    expr = to_sympy(node)
    for n in g.nodes:
        if n.op == "sym":
            assert g.adjoint[n] == pytest.approx(
                _finite_difference(expr, at, n.name), rel=1e-6, abs=1e-8
            )


@settings(max_examples=30, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 2))
def test_graph_adjoints_hypothesis(a: float, b: float) -> None:
    text = "x*y*sigmoid(x) + exp(-y^2)*x"
    node = parse(text)
    at = {"x": a, "y": b}
    g = build_graph(node, at)
    expr = to_sympy(node)
    for n in g.nodes:
        if n.op == "sym":
            assert math.isclose(
                g.adjoint[n], _finite_difference(expr, at, n.name), rel_tol=1e-5, abs_tol=1e-7
            )


def test_graph_sums_paths() -> None:
    solution = solve_graph("x*y + sin(x)", {"x": 0.5, "y": 2.0})
    assert solution.result["gradient"]["x"] == pytest.approx(2 + math.cos(0.5))
    assert solution.result["gradient"]["y"] == pytest.approx(0.5)
    assert "2 paths from x to f" in to_text(solution, width=80)


def test_cli_derive_golden(runner, golden) -> None:
    result = runner.invoke(app, ["derive", "exp(x^2)", "--at", "x=0.3"])
    assert result.exit_code == 0, result.output
    golden("derive-exp-x2.txt", result.output)


def test_cli_derive_leading_minus_and_formats(runner) -> None:
    result = runner.invoke(app, ["derive", "-x^2", "--at", "x=2", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert '"slope": -4.0' in result.output
    latex = runner.invoke(app, ["derive", "sigmoid(x)", "-f", "latex"])
    assert latex.exit_code == 0 and "\\sigma" in latex.output


def test_cli_graph(runner) -> None:
    result = runner.invoke(app, ["graph", "x*y + sin(x)", "--at", "x=0.5,y=2", "-f", "markdown"])
    assert result.exit_code == 0, result.output
    assert "∂f/∂x" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["derive", "a*b"], "--wrt"),
        (["derive", "x", "--at", "y=1"], "give a value for x"),
        (["graph", "x*y", "--at", "x=1"], "give a value for every symbol"),
        (["graph", "x", "--at", "x"], "name=value"),
    ],
)
def test_cli_errors(runner, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
