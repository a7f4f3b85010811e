"""SymPy side of the symbolic features: named activations and a Unicode printer.

Imported only by ``derive``, ``graph`` and ``--symbolic`` (SymPy is slow to import).

The activations σ (sigmoid), softplus and relu are SymPy functions whose derivative
is *derived*: SymPy differentiates the definition (σ(z) = 1/(1 + e^(−z)) …) and the
result is written back in terms of the function itself where that gives a
polynomial (σ′ = σ·(1 − σ)), or recognised as another named function (softplus′ = σ).

:func:`unicode` prints an expression in dlcalc's Unicode notation; :func:`to_tree` reads
it the same way into a formula tree (:mod:`dlcalc.model.formula`), so that a
:class:`~dlcalc.model.steps.Step` shows it with symbols and with numbers substituted, recomputes
it and evaluates it exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import sympy
from sympy import Add, Function, Mul, Pow, Rational, Symbol

from dlcalc.model import formula

Z = sympy.Dummy("z", real=True)
S = sympy.Dummy("s", real=True)


class _Named(Function):
    """An activation with a definition in elementary functions and a derived derivative."""

    nargs = 1
    text = ""
    tex = ""

    @classmethod
    def definition(cls, z: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError

    @classmethod
    def inverse(cls, s: sympy.Expr) -> sympy.Expr | None:
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return derived_slope(type(self).__name__).subs(Z, self.args[0])

    def _eval_rewrite_as_exp(self, x: sympy.Expr, **kwargs: object) -> sympy.Expr:
        return self.definition(x)

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        return self.definition(self.args[0])._evalf(prec)

    def _latex(self, printer: sympy.printing.latex.LatexPrinter, exp: str | None = None) -> str:
        power = f"^{{{exp}}}" if exp is not None else ""
        return rf"{self.tex}{power}\left({printer._print(self.args[0])}\right)"


class sigmoid(_Named):  # noqa: N801 - SymPy function names are lower case
    text = "σ"
    tex = r"\sigma"

    @classmethod
    def definition(cls, z: sympy.Expr) -> sympy.Expr:
        return 1 / (1 + sympy.exp(-z))

    @classmethod
    def inverse(cls, s: sympy.Expr) -> sympy.Expr:
        return sympy.log(s / (1 - s))


class softplus(_Named):  # noqa: N801
    text = "softplus"
    tex = r"\operatorname{softplus}"

    @classmethod
    def definition(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.log(1 + sympy.exp(z))


class relu(_Named):  # noqa: N801
    text = "relu"
    tex = r"\operatorname{relu}"

    @classmethod
    def definition(cls, z: sympy.Expr) -> sympy.Expr:
        return sympy.Max(0, z)


NAMED: dict[str, type[_Named]] = {"sigmoid": sigmoid, "softplus": softplus, "relu": relu}


@cache
def derived_slope(name: str) -> sympy.Expr:
    """d f(z)/dz for a named function, derived by SymPy and written in the nicest terms."""
    cls = NAMED[name]
    d = sympy.diff(cls.definition(Z), Z)
    d = d.replace(sympy.Heaviside, lambda *a: sympy.Heaviside(a[0], 0))
    inverse = cls.inverse(S)
    if inverse is not None:
        in_terms = sympy.factor(sympy.simplify(d.subs(Z, inverse)))
        if in_terms.is_polynomial(S):
            return in_terms.subs(S, cls(Z))
    for other in NAMED.values():
        if other is not cls and sympy.simplify(d - other.definition(Z)) == 0:
            return other(Z)
    return d


def apply(op: str, args: list[sympy.Expr]) -> sympy.Expr:
    """A whitelisted function applied to SymPy arguments (see ``expressions.FUNCTIONS``)."""
    if op in NAMED:
        return NAMED[op](args[0])
    if op == "ln":
        return sympy.log(args[0])
    if op == "abs":
        return sympy.Abs(args[0])
    if op == "max":
        return sympy.Max(*args)
    if op == "min":
        return sympy.Min(*args)
    if op == "softmax":
        k = int(args[0])
        z = args[1:]
        return sympy.exp(z[k - 1]) / sympy.Add(*(sympy.exp(v) for v in z))
    return getattr(sympy, op)(args[0])


# --- printing ------------------------------------------------------------------------------

SUPERSCRIPT = {2: "²", 3: "³"}
FUNCTION_TEXT = {"log": "ln", "Heaviside": "H", "Max": "max", "Min": "min"}


class Printer:
    """dlcalc's Unicode notation (and, through :class:`_TreeBuilder`, its reading as a tree)."""

    def __init__(
        self,
        first: Iterable[Symbol] = (),
        names: dict[Symbol, str] | None = None,
    ) -> None:
        self.first = set(first)  # symbols whose terms come first in a sum (targets: t − out)
        self.names = names or {}

    def __call__(self, expr: sympy.Expr) -> str:
        return self.p(
            sympy.sympify(expr, strict=True)
        )  # numbers and SymPy objects only, never text

    # precedence: 1 sum, 2 product, 3 power/atom
    def prec(self, e: sympy.Expr) -> int:
        if isinstance(e, Add):
            return 1
        if isinstance(e, Mul) or (e.is_Rational and not e.is_Integer) or (e.is_Number and e < 0):
            return 2
        if isinstance(e, Pow) and e.exp.is_negative:
            return 2
        return 3

    def wrap(self, e: sympy.Expr, level: int) -> str:
        text = self.p(e)
        return (
            f"({text})" if self.prec(e) < level or (level >= 3 and text.startswith("−")) else text
        )

    def p(self, e: sympy.Expr) -> str:
        if isinstance(e, Symbol):
            return self.names.get(e, e.name)
        if e.is_Integer:
            return str(int(e)).replace("-", "−")
        if e.is_Rational:
            return f"{int(e.p)}/{int(e.q)}".replace("-", "−")
        if e.is_Float:
            text = f"{float(e):.12g}"
            return text.replace("-", "−")
        if e is sympy.E:
            return "e"
        if e is sympy.pi:
            return "π"
        if isinstance(e, Add):
            return self.add(e)
        if isinstance(e, Mul):
            return self.mul(e)
        if isinstance(e, Pow):
            return self.pow(e)
        if isinstance(e, sympy.exp):
            return f"e^({self.p(e.args[0])})"
        if isinstance(e, sympy.Abs):
            return f"|{self.p(e.args[0])}|"
        if isinstance(e, _Named):
            return f"{e.text}({self.p(e.args[0])})"
        if isinstance(e, sympy.Heaviside):
            return f"H({self.p(e.args[0])})"
        if isinstance(e, sympy.Function) or isinstance(e, (sympy.Max, sympy.Min)):
            name = type(e).__name__
            return f"{FUNCTION_TEXT.get(name, name)}({', '.join(self.p(a) for a in e.args)})"
        return str(e)

    def terms(self, e: Add) -> list[sympy.Expr]:
        """SymPy's order, but ``first`` symbols' terms first and a constant first in ``1 − s``."""
        ordered = list(e.as_ordered_terms())
        constants = [t for t in ordered if t.is_number]
        rest = [t for t in ordered if not t.is_number]
        if len(rest) == 1:
            ordered = constants + rest
        else:
            ordered = rest + constants
        return sorted(ordered, key=lambda t: 0 if t.free_symbols & self.first else 1)

    def negated_reads_better(self, e: Add) -> bool:
        """−(t − out) rather than out − t when t is a ``first`` symbol; −(a + b) for −a − b."""
        terms = self.terms(e)
        if not terms[0].could_extract_minus_sign():
            return False
        return all(t.could_extract_minus_sign() for t in terms) or bool(
            terms[0].free_symbols & self.first
        )

    @staticmethod
    def flippable(f: sympy.Expr) -> bool:
        """σ − 1 reads better negated (1 − σ): a negative constant and positive terms."""
        if not isinstance(f, Add):
            return False
        terms = f.args
        constants = [t for t in terms if t.is_number]
        return (
            len(constants) == 1
            and constants[0] < 0
            and all(not t.could_extract_minus_sign() for t in terms if not t.is_number)
        )

    def add(self, e: Add) -> str:
        if self.negated_reads_better(e):
            return (
                "−(" + self.add_plain(-e) + ")" if isinstance(-e, Add) else "−" + self.wrap(-e, 2)
            )
        return self.add_plain(e)

    def leading_positive(self, e: Add) -> list[sympy.Expr]:
        """A sum's terms in print order, a positive term first (t − out, not −out + t) unless
        the first term holds a symbol that must lead."""
        terms = self.terms(e)
        positive = [t for t in terms if not t.could_extract_minus_sign()]
        if (
            positive
            and terms[0].could_extract_minus_sign()
            and not terms[0].free_symbols & self.first
        ):
            terms.remove(positive[0])
            terms.insert(0, positive[0])
        return terms

    def add_plain(self, e: sympy.Expr) -> str:
        if not isinstance(e, Add):
            return self.p(e)
        out = ""
        terms = self.leading_positive(e)
        for i, term in enumerate(terms):
            negative = term.could_extract_minus_sign()
            body = None
            if negative and isinstance(term, Mul) and any(self.flippable(f) for f in term.args):
                body = self.mul(term)  # −x·(σ − 1) is written x·(1 − σ)
                negative = body.startswith("−")
                body = body.removeprefix("−")
            if body is None:
                body = self.wrap(-term, 2) if negative else self.wrap(term, 2)
            if i == 0:
                out = ("−" if negative else "") + body
            else:
                out += (" − " if negative else " + ") + body
        return out

    def split_product(self, e: Mul) -> tuple[int, sympy.Expr, list[sympy.Expr], list[sympy.Expr]]:
        """A product as the printers write it: its sign, a positive coefficient, the factors
        over the line (sums last) and under it; a minus is taken into a factor where it
        reads better (t − out rather than −(out − t))."""
        coeff, factors = e.as_coeff_mul()
        sign = -1 if coeff < 0 else 1
        coeff = abs(coeff)
        numer: list[sympy.Expr] = []
        denom: list[sympy.Expr] = []
        for f in factors:
            if sign < 0 and self.flippable(f):
                f = -f
                sign = -sign
            elif isinstance(f, Add) and self.negated_reads_better(f):
                f = -f
                sign = -sign
            if isinstance(f, Pow) and f.exp.is_negative and f.exp.is_Rational:
                denom.append(f.base if f.exp == -1 else Pow(f.base, -f.exp))
            else:
                numer.append(f)
        if coeff.is_Rational and coeff.q != 1:
            denom.insert(0, sympy.Integer(coeff.q))
            coeff = sympy.Integer(coeff.p)
        numer.sort(key=lambda f: isinstance(f, Add))
        return sign, coeff, numer, denom

    def mul(self, e: Mul) -> str:
        sign, coeff, numer, denom = self.split_product(e)
        parts = [self.wrap(f, 3 if isinstance(f, Pow) else 2) for f in numer]
        if coeff != 1 or not parts:
            parts.insert(0, self.p(coeff))
        text = " × ".join(parts)  # as every formula of dlcalc writes a product
        if denom:
            if len(denom) == 1:
                d = self.wrap(denom[0], 3)
            else:
                d = "(" + " × ".join(self.wrap(f, 3) for f in denom) + ")"
            text = f"{text}/{d}"
        return ("−" if sign < 0 else "") + text

    def pow(self, e: Pow) -> str:
        base, exp = e.base, e.exp
        if exp == Rational(1, 2):
            return f"√({self.p(base)})"
        if exp.is_negative and exp.is_Rational:
            inner = base if exp == -1 else Pow(base, -exp)
            return f"1/{self.wrap(inner, 3)}"
        base_text = self.wrap(base, 3)
        if isinstance(base, (Pow, sympy.exp)):
            base_text = f"({base_text})"
        if exp.is_Integer and int(exp) in SUPERSCRIPT:
            return base_text + SUPERSCRIPT[int(exp)]
        return f"{base_text}^({self.p(exp)})"


def unicode(
    expr: sympy.Expr, first: Iterable[Symbol] = (), names: dict[Symbol, str] | None = None
) -> str:
    """``expr`` in dlcalc's Unicode notation, e.g. ``2 × x × e^(x²)``."""
    return Printer(first=first, names=names)(expr)


# --- formula trees -------------------------------------------------------------------------

# SymPy's functions (by class name) and the formula trees' names for them.
TREE_FUNCTIONS = {
    "exp": "exp",
    "log": "ln",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "sigmoid": "sigmoid",
    "softplus": "softplus",
    "relu": "relu",
    "Abs": "abs",
    "Max": "max",
    "Min": "min",
    "sign": "sign",
}
RELATIONS = {
    "StrictGreaterThan": ">",
    "GreaterThan": "≥",
    "StrictLessThan": "<",
    "LessThan": "≤",
    "Equality": "=",
    "Unequality": "≠",
}


class Unrepresentable(LookupError):
    """A part of a SymPy expression that formula trees cannot write (its name is the message)."""


class _TreeBuilder(Printer):
    """The :class:`Printer`'s reading of an expression (t − out, −(a + b), x·(1 − σ), a/b),
    built as a formula tree instead of written as text."""

    def __init__(self, leaves: Mapping[Symbol, Any], first: Iterable[Symbol]) -> None:
        super().__init__(first=first)
        self.leaves = leaves

    def node(self, e: sympy.Expr) -> formula.Node:
        f = formula
        if isinstance(e, Symbol):
            leaf = self.leaves[e]
            return leaf if isinstance(leaf, f.Node) else f.Num(leaf)
        if e.is_Integer:
            return f.Num(int(e))
        if e.is_Rational:
            fraction = f.Div(f.Num(abs(int(e.p))), f.Num(int(e.q)))
            return f.Neg(fraction) if e < 0 else fraction
        if e.is_Float:
            return f.Num(float(e))
        if e is sympy.E:
            return f.call("e")
        if e is sympy.pi:
            return f.call("pi")
        if isinstance(e, Add):
            return self.add_tree(e)
        if isinstance(e, Mul):
            return self.mul_tree(e)
        if isinstance(e, Pow):
            return self.pow_tree(e)
        name = type(e).__name__
        if name == "Heaviside":  # relu′: 1 where the input is positive, else 0 (H(0) as given)
            x, at_zero = e.args[0], e.args[1] if len(e.args) > 1 else sympy.Rational(1, 2)
            positive = f.Compare(self.node(x), ">", f.Num(0))
            if at_zero in (0, 1):
                op = ">" if at_zero == 0 else "≥"
                return f.If(f.Num(1), f.Compare(self.node(x), op, f.Num(0)), f.Num(0))
            zero = f.If(self.node(at_zero), f.Compare(self.node(x), "=", f.Num(0)), f.Num(0))
            return f.If(f.Num(1), positive, zero)
        if name == "Piecewise":  # leaky ReLU: z if z > 0 else α·z
            *cases, (last, condition) = e.args
            if condition is not sympy.true:
                raise Unrepresentable("Piecewise without an otherwise")
            out = self.node(last)
            for value, cond in reversed(cases):
                out = f.If(self.node(value), self.relation(cond), out)
            return out
        if name in TREE_FUNCTIONS:
            return f.call(TREE_FUNCTIONS[name], *(self.node(a) for a in e.args))
        raise Unrepresentable(name)

    def relation(self, cond: sympy.Basic) -> formula.Node:
        op = RELATIONS.get(type(cond).__name__)
        if op is None:
            raise Unrepresentable(type(cond).__name__)
        return formula.Compare(self.node(cond.lhs), op, self.node(cond.rhs))

    def add_tree(self, e: Add) -> formula.Node:
        if self.negated_reads_better(e):
            negated = -e
            inner = self.sum_tree(negated) if isinstance(negated, Add) else self.node(negated)
            return formula.Neg(inner)
        return self.sum_tree(e)

    def sum_tree(self, e: Add) -> formula.Node:
        terms = self.leading_positive(e)
        out: formula.Node | None = None
        for term in terms:
            negative = term.could_extract_minus_sign()
            body: formula.Node | None = None
            if negative and isinstance(term, Mul) and any(self.flippable(f) for f in term.args):
                body = self.mul_tree(term)  # −x·(σ − 1) is written x·(1 − σ)
                unsigned = negated(body)
                negative = unsigned is not None
                body = unsigned if unsigned is not None else body
            if body is None:
                body = self.node(-term) if negative else self.node(term)
            if out is None:
                out = formula.Neg(body) if negative else body
            else:
                out = out - body if negative else out + body
        assert out is not None
        return out

    def mul_tree(self, e: Mul) -> formula.Node:
        sign, coeff, numer, denom = self.split_product(e)
        parts = [self.node(f) for f in numer]
        if coeff != 1 or not parts:
            parts.insert(0, self.node(coeff))
        out = formula.product(parts, "·")
        if denom:
            out = formula.Div(out, formula.product([self.node(f) for f in denom], "·"))
        return negative(out) if sign < 0 else out

    def pow_tree(self, e: Pow) -> formula.Node:
        base, exp = e.base, e.exp
        if exp == Rational(1, 2):
            return formula.call("sqrt", self.node(base))
        if exp.is_negative and exp.is_Rational:
            inner = base if exp == -1 else Pow(base, -exp)
            return formula.Div(formula.Num(1), self.node(inner))
        return formula.Pow(self.node(base), self.node(exp))


def negative(tree: formula.Node) -> formula.Node:
    """−tree with the minus on its first factor: −a/b, −a × b (not −(a/b), −(a × b))."""
    if isinstance(tree, formula.Div):
        return formula.Div(negative(tree.numerator), tree.denominator)
    if isinstance(tree, formula.Mul):
        return formula.Mul((negative(tree.factors[0]), *tree.factors[1:]), tree.sign)
    return formula.Neg(tree)


def negated(tree: formula.Node) -> formula.Node | None:
    """``tree`` without its leading minus (−b, −b × c, −b/c), or None where it has none."""
    if isinstance(tree, formula.Neg):
        return tree.operand
    if isinstance(tree, formula.Mul) and (first := negated(tree.factors[0])) is not None:
        return formula.Mul((first, *tree.factors[1:]), tree.sign)
    if isinstance(tree, formula.Div) and (top := negated(tree.numerator)) is not None:
        return formula.Div(top, tree.denominator)
    return None


def to_tree(
    expr: sympy.Expr, leaves: Mapping[Symbol, Any], first: Iterable[Symbol] = ()
) -> formula.Node:
    """``expr`` as a formula tree, read as :func:`unicode` writes it (t − out, not −out + t;
    a − b, not a + (−1)·b; x², 1/x, e^(x), √(x)).

    ``leaves`` gives each symbol's leaf: a :class:`~dlcalc.model.formula.Q` (a quantity, printed by
    its name and substituted by its value) or a plain number.  ``first`` names symbols whose
    terms lead a sum (targets: t − out).  A function formula trees cannot write (an unevaluated
    derivative, a special function) raises :class:`Unrepresentable`.
    """
    return _TreeBuilder(leaves, first).node(sympy.sympify(expr, strict=True))


def number(expr: sympy.Expr, values: dict[Symbol, float]) -> float:
    """The float value of ``expr`` at ``values``."""
    return float(sympy.N(expr.subs(values), 17))
