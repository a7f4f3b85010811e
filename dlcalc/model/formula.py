"""Formulas as trees: what a step computes, written once and read by everyone.

A topic builds each step's formula from the quantities it came from::

    net = w1 * x1 + w2 * x2 + b * ONE          # Q leaves, Num constants, operators
    out = sigmoid(net_q)                        # Call nodes for functions

The same tree is

* printed with symbols (``w1 × x1 + w2 × x2 + b_h1 × 1``) or with the quantities'
  values bound (``0.15 × 0.05 + …``) by one printer per format (``print_unicode`` here;
  the renderers add LaTeX, ASCII, HTML printers that dispatch on the node class, as
  SymPy's printers do);
* evaluated in floats (``check`` redoes a step from a student's own inputs), in exact
  fractions, or in SymPy (``--exact``): the displayed formula and the recomputation
  cannot drift apart.

No SymPy or NumPy is imported here: the tree is plain data.  A :class:`Name` is a
structured symbol (base, subscript, superscript, accent) so that every printer can
write ``δ_o1``, ``m̂₁``, ``β₁`` or ``\\hat{m}_1`` without re-reading text; user text
(unit names) only ever sits inside a name's parts, as data.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

from dlcalc.model.records import Record

# ---------------------------------------------------------------- names


class _Value(Record):
    """A record that is a value: hashable (names are dict keys) and printed as a name."""

    __slots__: tuple[str, ...] = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((type(self).__name__, *(getattr(self, f) for f in self.__slots__)))

    def __str__(self) -> str:
        return print_name(self)  # type: ignore[arg-type]


class Name(_Value):
    """A symbol as people write it: ``base`` with optional subscript, superscript and accent.

    ``Name("w", "5", "+")`` is w5⁺ (a weight after its update), ``Name("m", "1", accent="hat")``
    is m̂₁, ``Name("δ", "o1")`` is δ_o1.  ``sub`` may be user text (a unit name): printers
    escape it, never interpret it.  ``accent`` is "hat", "bar", "tilde" or None.

    ``label_sub``: the subscript is a label (a unit's name such as "4" or "h1"), always written
    after an underscore (b_4, δ_4), never as an index (w5, β₁).  ``index``: the subscript is an
    index (a matrix cell y₁₂, a time step s₂), always in subscript digits.
    """

    __slots__ = ("base", "sub", "sup", "accent", "label_sub", "index")

    def __init__(
        self,
        base: str,
        sub: str | None = None,
        sup: str | None = None,
        accent: str | None = None,
        label_sub: bool = False,
        index: bool = False,
    ) -> None:
        self.base = base
        self.sub = sub
        self.sup = sup
        self.accent = accent
        self.label_sub = label_sub
        self.index = index

    def replace(self, **changes: Any) -> Name:
        """The same name with some parts changed: ``w5.replace(sup="+")``."""
        return Name(**{**{f: getattr(self, f) for f in self.__slots__}, **changes})


class Partial(_Value):
    """A partial derivative ``∂of/∂wrt`` (a name in its own right, e.g. ∂E/∂w5)."""

    __slots__ = ("of", "wrt")

    def __init__(self, of: Name, wrt: Name) -> None:
        self.of = of
        self.wrt = wrt


Symbol = Name | Partial

# ---------------------------------------------------------------- nodes


class Node:
    """A formula tree node.  Python's operators build trees: ``a * b + c``."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(repr(getattr(self, f)) for f in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def children(self) -> tuple[Node, ...]:
        return ()

    def __add__(self, other: Node | float) -> Node:
        return Add((self, as_node(other)))

    def __radd__(self, other: Node | float) -> Node:
        return Add((as_node(other), self))

    def __sub__(self, other: Node | float) -> Node:
        return Sub(self, as_node(other))

    def __rsub__(self, other: Node | float) -> Node:
        return Sub(as_node(other), self)

    def __mul__(self, other: Node | float) -> Node:
        return Mul((self, as_node(other)))

    def __rmul__(self, other: Node | float) -> Node:
        return Mul((as_node(other), self))

    def __truediv__(self, other: Node | float) -> Node:
        return Div(self, as_node(other))

    def __rtruediv__(self, other: Node | float) -> Node:
        return Div(as_node(other), self)

    def __pow__(self, other: Node | float) -> Node:
        return Pow(self, as_node(other))

    def __neg__(self) -> Node:
        return Neg(self)

    # -- reading the tree

    def walk(self) -> Iterator[Node]:
        """Every node, depth first, left to right (iterative: deep trees are fine)."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def quantities(self) -> list[Q]:
        """The quantity leaves, each label once, in order of first appearance."""
        seen: dict[str, Q] = {}
        for node in self.walk():
            if isinstance(node, Q) and node.label not in seen:
                seen[node.label] = node
        return list(seen.values())

    def evaluate(
        self, values: Mapping[str, Any] | None = None, arithmetic: Arithmetic | None = None
    ) -> Any:
        """The value of the tree; a quantity takes ``values[label]`` where given, else its own value."""
        return _evaluate(self, values or {}, arithmetic or FLOAT)


class Q(Node):
    """A named quantity: a given (``w5``) or an earlier step (``out_h1``), with its value.

    ``label`` is the answers-file label used to look the quantity up; ``name`` is how it is
    written.  The value is bound here so that the substituted formula needs nothing else.
    """

    __slots__ = ("label", "value", "name")

    def __init__(self, label: str, value: Any, name: Symbol | None = None) -> None:
        self.label = label
        self.value = value
        self.name = name

    @property
    def symbol(self) -> Symbol:
        return self.name if self.name is not None else Name(self.label)


class Num(Node):
    """A constant of the formula itself (the 1 of a bias input, the ½ of a loss, a 2 in x²)."""

    __slots__ = ("value", "text")

    def __init__(self, value: Any, text: str | None = None) -> None:
        self.value = value
        self.text = text  # how to write it, where not the plain number ("½")


class Add(Node):
    __slots__ = ("terms",)

    def __init__(self, terms: tuple[Node, ...]) -> None:
        self.terms = terms

    def children(self) -> tuple[Node, ...]:
        return self.terms

    def __add__(self, other: Node | float) -> Node:  # flatten a + b + c
        return Add((*self.terms, as_node(other)))


class Sub(Node):
    __slots__ = ("left", "right")

    def __init__(self, left: Node, right: Node) -> None:
        self.left = left
        self.right = right

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


class Mul(Node):
    __slots__ = ("factors", "sign")

    def __init__(self, factors: tuple[Node, ...], sign: str = "×") -> None:
        self.factors = factors
        self.sign = sign  # how the product is written: "×", "·" or "⊙" (element-wise)

    def children(self) -> tuple[Node, ...]:
        return self.factors

    def __mul__(self, other: Node | float) -> Node:  # flatten a × b × c
        return Mul((*self.factors, as_node(other)), self.sign)


class Div(Node):
    __slots__ = ("numerator", "denominator")

    def __init__(self, numerator: Node, denominator: Node) -> None:
        self.numerator = numerator
        self.denominator = denominator

    def children(self) -> tuple[Node, ...]:
        return (self.numerator, self.denominator)


class Pow(Node):
    __slots__ = ("base", "exponent")

    def __init__(self, base: Node, exponent: Node) -> None:
        self.base = base
        self.exponent = exponent

    def children(self) -> tuple[Node, ...]:
        return (self.base, self.exponent)


class Neg(Node):
    __slots__ = ("operand",)

    def __init__(self, operand: Node) -> None:
        self.operand = operand

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


class Call(Node):
    """A function applied to arguments: ``exp``, ``ln``, ``log2``, ``sqrt``, ``sigmoid``,
    ``tanh``, ``max``, ``min``, ``abs``, ``softplus`` (see :data:`FUNCTIONS`)."""

    __slots__ = ("function", "args")

    def __init__(self, function: str, args: tuple[Node, ...]) -> None:
        self.function = function
        self.args = args

    def children(self) -> tuple[Node, ...]:
        return self.args


class If(Node):
    """A choice: ``then if condition else otherwise`` (a step function, ReLU's slope).

    ``comma``: written "1 if w·x ≥ 0, else −1" (the perceptron slides) rather than
    "1 if net > 0 else 0".  ``worked``: with numbers in, the comparison is written as it came
    out, as the slides do: "2.1 < 3 ← threshold" (``worked`` is the text after the arrow;
    "" for none: "−30 < 0").  ``quiet``: written as the branch its condition chooses at the
    quantities' own values (a ReLU slope "1", a max-pool route), yet evaluated in full, so
    that ``check`` re-decides it from a student's own values (like ``floor_quiet``).
    """

    __slots__ = ("then", "condition", "otherwise", "comma", "worked", "quiet")

    def __init__(
        self,
        then: Node,
        condition: Node,  # a Compare
        otherwise: Node,
        comma: bool = False,
        worked: str | None = None,
        quiet: bool = False,
    ) -> None:
        self.then = then
        self.condition = condition
        self.otherwise = otherwise
        self.comma = comma
        self.worked = worked
        self.quiet = quiet

    def chosen(self) -> Node:
        """The branch the condition picks at the quantities' own values."""
        return self.then if _evaluate(self.condition, {}, FLOAT) else self.otherwise

    def children(self) -> tuple[Node, ...]:
        return (self.then, self.condition, self.otherwise)


class Vector(Node):
    """Several values written as one: ``(y1, y2)`` (a code of outputs); evaluates to a list."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Node, ...]) -> None:
        self.items = items

    def children(self) -> tuple[Node, ...]:
        return self.items


class Lookup(Node):
    """What a code of outputs stands for: ``table[key]`` (a class name), else ``default(key)``.

    A multi-output perceptron's answer is read off a table, as the slides do: y = (0, 1) =
    car.  Printed as its key, ``(y1, y2)``; evaluated as the lookup of the key's values (whole
    numbers), so ``check`` recomputes a class from a student's own outputs.
    """

    __slots__ = ("key", "table", "default")

    def __init__(
        self,
        key: Vector,
        table: Mapping[tuple[int, ...], Any],
        default: Callable[[tuple[int, ...]], Any],
    ) -> None:
        self.key = key
        self.table = table
        self.default = default

    def children(self) -> tuple[Node, ...]:
        return (self.key,)


class Compare(Node):
    """A comparison, e.g. ``w·x ≥ θ``; evaluates to a bool."""

    __slots__ = ("left", "op", "right")

    def __init__(self, left: Node, op: str, right: Node) -> None:
        self.left = left
        self.op = op  # "<", "≤", ">", "≥", "=", "≠"
        self.right = right

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


def as_node(x: Node | float | int | Fraction) -> Node:
    return x if isinstance(x, Node) else Num(x)


ONE = Num(1)
HALF = Num(Fraction(1, 2), "½")
TWO = Num(2)


def q(label: str, value: Any, name: Symbol | str | None = None) -> Q:
    """A quantity leaf; ``name`` may be a plain string for a simple symbol."""
    return Q(label, value, Name(name) if isinstance(name, str) else name)


def call(function: str, *args: Node | float) -> Call:
    if function not in FUNCTIONS:
        raise ValueError(f"unknown function {function!r}")
    return Call(function, tuple(as_node(a) for a in args))


def total(terms: Sequence[Node]) -> Node:
    """Σ of the terms (a single term stays itself)."""
    return terms[0] if len(terms) == 1 else Add(tuple(terms))


def product(factors: Sequence[Node], sign: str = "×") -> Node:
    return factors[0] if len(factors) == 1 else Mul(tuple(factors), sign)


# ---------------------------------------------------------------- evaluation


class Arithmetic:
    """How to evaluate: which number type constants become and what each function does."""

    __slots__ = ("name", "constant", "functions")

    def __init__(
        self,
        name: str,
        constant: Callable[[Any], Any],
        functions: Mapping[str, Callable[..., Any]],
    ) -> None:
        self.name = name
        self.constant = constant
        self.functions = functions


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _no_float(name: str) -> Callable[..., Any]:
    def fail(*args: Any) -> Any:
        raise ArithmeticError(f"{name} has no exact rational value")

    return fail


FLOAT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": lambda x: math.exp(x) if x < 709.0 else math.inf,  # e^(−net) of a very negative net
    "ln": lambda x: math.log(x),
    "log2": lambda x: math.log2(x),
    "log10": lambda x: math.log10(x),
    "sqrt": lambda x: math.sqrt(x),
    "sigmoid": lambda x: _sigmoid(float(x)),
    "tanh": lambda x: math.tanh(x),
    "softplus": lambda x: _softplus(float(x)),
    "abs": abs,
    "max": max,
    "min": min,
    # SymPy's vocabulary (``derive``, ``graph``, ``optimize`` losses): trigonometric and
    # hyperbolic functions, relu, the sign (abs′) and the constants π and e (no arguments).
    "sin": lambda x: math.sin(x),
    "cos": lambda x: math.cos(x),
    "tan": lambda x: math.tan(x),
    "sinh": lambda x: math.sinh(x),
    "cosh": lambda x: math.cosh(x),
    "relu": lambda x: max(x, 0.0),
    "sign": lambda x: float((x > 0) - (x < 0)),
    "pi": lambda: math.pi,
    "e": lambda: math.e,
    "floor": lambda x: math.floor(x),  # an int: output sizes stay whole numbers
    # ⌊x⌋ written only where it changes something: where x, at the quantities' own values,
    # is not whole (a conv output size (W − F + 2P)/S + 1 as the board writes it)
    "floor_quiet": lambda x: math.floor(x),
    "atan2": lambda y, x: math.atan2(y, x),  # an edge's direction from s_y and s_x (radians)
}
FUNCTIONS = frozenset(FLOAT_FUNCTIONS)
CONSTANTS = {"pi": "π", "e": "e"}  # functions of no arguments, written as the constant

FLOAT = Arithmetic("float", lambda v: float(v) if not isinstance(v, bool) else v, FLOAT_FUNCTIONS)
# Exact rationals (perceptron, delta rule, conv with whole numbers): only + − × ÷, powers
# with whole exponents, max/min/abs; anything transcendental raises ArithmeticError.
FRACTION = Arithmetic(
    "fraction",
    lambda v: v if isinstance(v, bool) else Fraction(v),
    {
        **{name: _no_float(name) for name in FLOAT_FUNCTIONS},
        "abs": abs,
        "max": max,
        "min": min,
        "relu": lambda x: max(x, 0),
        "sign": lambda x: (x > 0) - (x < 0),
        "floor": math.floor,  # exact for a Fraction
        "floor_quiet": math.floor,
    },
)


def sympy_arithmetic() -> Arithmetic:
    """Exact symbolic evaluation (``--exact``); imports SymPy, so call it only when asked."""
    import sympy

    def constant(v: Any) -> Any:
        if isinstance(v, bool):
            return v
        if isinstance(v, sympy.Basic):  # an earlier step's exact value: a SymPy rational is a
            return v  # numbers.Real too, and must never pass through float or str
        if isinstance(v, float):
            return sympy.Rational(str(v)) if math.isfinite(v) else sympy.Float(v)
        if isinstance(v, Fraction):
            return sympy.Rational(v.numerator, v.denominator)
        if isinstance(v, Integral):
            return sympy.Integer(int(v))
        if isinstance(v, Real):  # numpy floats
            return constant(float(v))
        return sympy.sympify(v, strict=True)

    return Arithmetic(
        "sympy",
        constant,
        {
            "exp": sympy.exp,
            "ln": sympy.log,
            "log2": lambda x: sympy.log(x, 2),
            "log10": lambda x: sympy.log(x, 10),
            "sqrt": sympy.sqrt,
            "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)),
            "tanh": sympy.tanh,
            "softplus": lambda x: sympy.log(1 + sympy.exp(x)),
            "abs": sympy.Abs,
            "max": sympy.Max,
            "min": sympy.Min,
            "sin": sympy.sin,
            "cos": sympy.cos,
            "tan": sympy.tan,
            "sinh": sympy.sinh,
            "cosh": sympy.cosh,
            "relu": lambda x: sympy.Max(0, x),
            "sign": sympy.sign,
            "pi": lambda: sympy.pi,
            "e": lambda: sympy.E,
            "floor": sympy.floor,
            "floor_quiet": sympy.floor,
            "atan2": sympy.atan2,
        },
    )


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "≤": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "≥": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "≠": lambda a, b: a != b,
}


def _evaluate(node: Node, values: Mapping[str, Any], a: Arithmetic) -> Any:
    # Formulas are small (one step each), so plain recursion is fine here.
    if isinstance(node, Q):
        value = values.get(node.label, node.value)
        return _evaluate(value, values, a) if isinstance(value, Node) else a.constant(value)
    if isinstance(node, Num):
        return a.constant(node.value)
    if isinstance(node, Add):
        parts = [_evaluate(t, values, a) for t in node.terms]
        result = parts[0]
        for p in parts[1:]:
            result = result + p
        return result
    if isinstance(node, Sub):
        return _evaluate(node.left, values, a) - _evaluate(node.right, values, a)
    if isinstance(node, Mul):
        parts = [_evaluate(f, values, a) for f in node.factors]
        result = parts[0]
        for p in parts[1:]:
            result = result * p
        return result
    if isinstance(node, Div):
        return _evaluate(node.numerator, values, a) / _evaluate(node.denominator, values, a)
    if isinstance(node, Pow):
        return _evaluate(node.base, values, a) ** _evaluate(node.exponent, values, a)
    if isinstance(node, Neg):
        return -_evaluate(node.operand, values, a)
    if isinstance(node, Call):
        return a.functions[node.function](*(_evaluate(x, values, a) for x in node.args))
    if isinstance(node, Vector):
        return [_evaluate(x, values, a) for x in node.items]
    if isinstance(node, If):
        chosen = node.then if _evaluate(node.condition, values, a) else node.otherwise
        return _evaluate(chosen, values, a)
    if isinstance(node, Lookup):
        code = tuple(int(v) for v in _evaluate(node.key, values, a))
        return node.table[code] if code in node.table else node.default(code)
    if isinstance(node, Compare):
        return _COMPARE[node.op](_evaluate(node.left, values, a), _evaluate(node.right, values, a))
    raise TypeError(f"cannot evaluate {type(node).__name__}")


# ---------------------------------------------------------------- the Unicode printer

SUBSCRIPT = str.maketrans("0123456789+−-()=aeoxhijklmnprstuv", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎₌ₐₑₒₓₕᵢⱼₖₗₘₙₚᵣₛₜᵤᵥ")
SUPERSCRIPT = str.maketrans("0123456789+−-()=n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾⁼ⁿ")
ACCENT = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}

# Binding strength: a child binding more weakly than its parent's operator is bracketed.
PRECEDENCE = {If: -1, Compare: 0, Add: 1, Sub: 1, Mul: 2, Div: 2, Neg: 3, Pow: 4}


def print_name(name: Symbol) -> str:
    """A symbol in terminal Unicode: ``δ_o1``, ``w5⁺``, ``m̂₁``, ``∂E/∂w5``."""
    if isinstance(name, Partial):
        return f"∂{print_name(name.of)}/∂{print_name(name.wrt)}"
    text = accented(name.base, name.accent)
    if name.sub:
        # Numbered Greek or accented symbols read best with subscript digits (β₁, m̂₁); a numbered
        # Latin letter is written as the slides write it (w5, x1); others as _sub (out_h1, δ_o1).
        if name.index and all(c.isdigit() or c == "," for c in name.sub):
            text += name.sub.translate(SUBSCRIPT)
        elif name.sub.isdigit() and not name.label_sub and _one_letter(name.base):
            latin = name.base[-1].isascii() and not name.accent
            text += name.sub if latin else name.sub.translate(SUBSCRIPT)
        elif compound(name.sub):  # m_(t−1), not m_t−1
            text += "_(" + name.sub + ")"
        else:
            text += "_" + name.sub
    if name.sup:
        text += name.sup.translate(SUPERSCRIPT)
    return text


def compound(sub: str) -> bool:
    """A subscript that is a small sum (t−1, t+1): written in brackets after an underscore."""
    return any(op in sub for op in "−+") and len(sub) > 1


def accented(base: str, accent: str | None) -> str:
    """``base`` with its accent on the first letter: m̂, õut (a multi-letter name: one accent)."""
    if not accent:
        return base
    first = unicodedata.normalize("NFC", base[0] + ACCENT[accent])
    return first + base[1:]


def _one_letter(base: str) -> bool:
    """A one-letter symbol, possibly after Δ or ∂ (w, β, Δw): its numbers are indices."""
    return len(base) == 1 or (len(base) == 2 and base[0] in "Δ∂" and base[1].isalpha())


class Printer:
    """Writes a tree as text; subclasses (one per format) override the ``_print_<Class>``
    methods they write differently.  ``number`` turns a bound value into text; with
    ``number=None`` quantities are written by their names (the symbolic formula)."""

    times = " × "
    minus = " − "
    neg = "−"

    def __init__(self, number: Callable[[Any], str] | None = None) -> None:
        self.number = number
        self.leading = True  # at the start of the text or of a bracket: −0.45 needs no brackets

    def print(self, node: Node) -> str:
        node = as_shown(node)
        method = getattr(self, "_print_" + type(node).__name__)
        return str(method(node))

    def bracket(self, child: Node, parent: Node, right: bool = False) -> str:
        text = self.print(child)
        mine, theirs = self.precedence(child), PRECEDENCE.get(type(parent), 9)
        if mine < theirs or (right and mine == theirs and isinstance(parent, (Sub, Div, Pow))):
            return self.paren(text)
        return text

    def paren(self, text: str) -> str:
        return f"({text})"

    def value(self, value: Any) -> str:
        """A bound value as text; a negative one is bracketed by :meth:`operand` where it binds."""
        assert self.number is not None
        return self.number(value)

    def operand(self, child: Node, parent: Node, right: bool = False, first: bool = False) -> str:
        """``child`` as an operand of ``parent``: bracketed where it binds more weakly, and a
        negative number bracketed unless it leads its expression or bracket
        (−0.3 × 0.6 + (−0.2) × 0.4, tanh(−0.45), but (−0.5)² and 0.6 − (−0.45))."""
        leading = self.leading
        self.leading = leading and first
        try:
            mine, theirs = self.precedence(child), PRECEDENCE.get(type(parent), 9)
            if mine < theirs or (right and mine == theirs and isinstance(parent, (Sub, Div, Pow))):
                self.leading = True
                return self.paren(self.print(child))
            text = self.print(child)
            if self._negative_leaf(child, text) and not self.leading:
                return self.paren(text)
            return text
        finally:
            self.leading = leading

    def leads(self, node: Node) -> str:
        """``node`` printed at the start of a bracket or an argument list (nothing binds it)."""
        leading, self.leading = self.leading, True
        try:
            return self.print(node)
        finally:
            self.leading = leading

    def _negative_leaf(self, node: Node, text: str) -> bool:
        return (
            self.number is not None
            and isinstance(node, (Q, Num))
            and text.startswith(("−", "-"))
            and not (isinstance(node, Num) and node.text is not None)
        )

    def name(self, symbol: Symbol) -> str:
        return print_name(symbol)

    def _print_Q(self, node: Q) -> str:
        if self.number is None:
            return self.name(node.symbol)
        if isinstance(node.value, Node):  # a symbolic value (dy/du1 = e^(u1)): its formula
            number, self.number = self.number, None
            try:
                return self.print(node.value)
            finally:
                self.number = number
        return self.value(node.value)

    def precedence(self, node: Node) -> int:
        """How strongly ``node`` binds as printed (a quantity standing for a formula: the formula's)."""
        node = as_shown(node)
        if isinstance(node, Q) and self.number is not None and isinstance(node.value, Node):
            node = node.value
        return PRECEDENCE.get(type(node), 9)

    def _print_Num(self, node: Num) -> str:
        if node.text is not None:
            return node.text
        return self.value(node.value) if self.number is not None else _plain_number(node.value)

    def _print_Add(self, node: Add) -> str:
        out = self.operand(node.terms[0], node, first=True)
        for term in node.terms[1:]:
            if isinstance(term, Neg):  # a + (−b) is written a − b
                out += self.minus + self.operand(term.operand, Sub(node, term.operand), True)
            else:
                out += " + " + self.operand(term, node)
        return out

    def _print_Sub(self, node: Sub) -> str:
        left = self.operand(node.left, node, first=True)
        return left + self.minus + self.operand(node.right, node, True)

    def _print_Mul(self, node: Mul) -> str:
        sign = {"×": self.times, "·": self.times, "⊙": " ⊙ "}[node.sign]
        return sign.join(self.operand(f, node, first=k == 0) for k, f in enumerate(node.factors))

    def _print_Div(self, node: Div) -> str:
        top = self.operand(node.numerator, node, first=True)
        bottom = self.print(node.denominator)
        if not isinstance(node.denominator, (Q, Num, Call)) or self._negative_leaf(
            node.denominator, bottom
        ):
            bottom = self.paren(bottom)
        return f"{top}/{bottom}"

    def _print_Pow(self, node: Pow) -> str:
        base = self.operand(node.base, node)
        if isinstance(node.base, (Call, Pow, Neg)):
            base = base if base.startswith("(") else self.paren(base)
        e = node.exponent
        if isinstance(e, Num) and e.text is None and _is_small_whole(e.value):
            return base + str(int(e.value)).translate(SUPERSCRIPT)
        return f"{base}^{self.paren(self.print(e)) if not isinstance(e, (Q, Num)) else self.operand(e, node, True)}"

    def _print_Neg(self, node: Neg) -> str:
        return self.neg + self.operand(node.operand, node)

    def _print_Call(self, node: Call) -> str:
        if node.function in CONSTANTS:
            return CONSTANTS[node.function]
        if quiet_floor(node):
            return self.quiet(node.args[0])
        args = ", ".join(self.leads(a) for a in node.args)
        if node.function in ("floor", "floor_quiet"):
            return f"⌊{args}⌋"
        if node.function == "exp":
            return f"e^{self.paren(args)}"
        if node.function == "sqrt":
            return f"√{self.paren(args)}"
        if node.function == "abs":
            return f"|{args}|"
        shown = {"sigmoid": "σ", "log2": "log₂", "log10": "log₁₀"}.get(node.function, node.function)
        return f"{shown}{self.paren(args)}"

    def quiet(self, node: Node) -> str:
        """The argument of a floor that is not written: bracketed where it binds more weakly
        than × and ÷ (a floor is written like a bracket, so its argument stands alone)."""
        text = self.leads(node)
        return self.paren(text) if PRECEDENCE.get(type(node), 9) < PRECEDENCE[Mul] else text

    def _print_If(self, node: If) -> str:
        if (
            node.worked is not None
            and self.number is not None
            and isinstance(node.condition, Compare)
        ):
            c = node.condition
            holds = bool(c.evaluate())
            op = c.op if holds else _OPPOSITE[c.op]
            arrow = f" ← {node.worked}" if node.worked else ""
            return f"{self.leads(c.left)} {op} {self.leads(c.right)}{arrow}"
        return (
            f"{self.leads(node.then)} if {self.leads(node.condition)}"
            f"{',' if node.comma else ''} else {self.leads(node.otherwise)}"
        )

    def _print_Vector(self, node: Vector) -> str:
        return self.paren(", ".join(self.leads(x) for x in node.items))

    def _print_Lookup(self, node: Lookup) -> str:
        return self.print(node.key)

    def _print_Compare(self, node: Compare) -> str:
        return f"{self.print(node.left)} {node.op} {self.leads(node.right)}"


def as_shown(node: Node) -> Node:
    """``node`` as it is written: a quiet :class:`If` as its chosen branch, and a sum without
    the quiet terms that come to nothing (a max-pool window that routes elsewhere)."""
    while isinstance(node, If) and node.quiet:
        node = node.chosen()
    if isinstance(node, Add) and any(isinstance(t, If) and t.quiet for t in node.terms):
        terms = [t for t in node.terms if not _nothing(as_shown(t))]
        if not terms:
            return Num(0)
        return as_shown(terms[0]) if len(terms) == 1 else Add(tuple(terms))
    return node


def _nothing(node: Node) -> bool:
    """A constant 0 written as a plain number."""
    return (
        isinstance(node, Num)
        and node.text is None
        and not isinstance(node.value, bool)
        and node.value == 0
    )


def quiet_floor(node: Call) -> bool:
    """Whether ``node`` is a ``floor_quiet`` left unwritten: its argument is whole at the
    quantities' own values, so the floor changes nothing there (it still floors a recompute)."""
    if node.function != "floor_quiet":
        return False
    try:
        value = node.args[0].evaluate(arithmetic=FRACTION)
    except (ArithmeticError, TypeError, ValueError, ZeroDivisionError):
        return False
    return bool(value == math.floor(value))


_OPPOSITE = {"<": "≥", "≤": ">", ">": "≤", "≥": "<", "=": "≠", "≠": "="}


def _is_small_whole(value: Any) -> bool:
    try:
        return float(value).is_integer() and 0 <= float(value) < 10
    except (TypeError, ValueError):
        return False


def _plain_number(value: Any) -> str:
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).replace("-", "−")


def print_unicode(node: Node, number: Callable[[Any], str] | None = None) -> str:
    """The formula in terminal Unicode; with ``number``, quantities are written as values."""
    return Printer(number).print(node)
