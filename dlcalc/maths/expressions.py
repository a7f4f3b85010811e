"""A small, safe parser for the maths expressions users type (``derive``, ``graph``).

Expressions come from the command line and from shared problem files, so they are
never handed to ``eval``, ``sympify`` or ``parse_expr``.  A hand-written
precedence-climbing parser accepts only numbers, named symbols, ``+ − × ÷ ^``
(and ``* / ** · −`` spellings), parentheses and a whitelist of functions; anything
else is an :class:`~dlcalc.errors.InputError` naming the offending character's
column.  Length and nesting are bounded, so hostile input fails fast.

The parser builds a plain tree of :class:`Node` s (no SymPy); :func:`to_sympy`
turns a tree into a SymPy expression and is the only place here that imports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dlcalc.errors import InputError

if TYPE_CHECKING:
    import sympy

MAX_LENGTH = 1000
MAX_DEPTH = 100

# name -> (canonical name, number of arguments; None: one or more)
FUNCTIONS: dict[str, tuple[str, int | None]] = {
    "exp": ("exp", 1),
    "ln": ("ln", 1),
    "log": ("ln", 1),
    "sqrt": ("sqrt", 1),
    "sin": ("sin", 1),
    "cos": ("cos", 1),
    "tan": ("tan", 1),
    "tanh": ("tanh", 1),
    "sinh": ("sinh", 1),
    "cosh": ("cosh", 1),
    "sigmoid": ("sigmoid", 1),
    "σ": ("sigmoid", 1),
    "relu": ("relu", 1),
    "softplus": ("softplus", 1),
    "abs": ("abs", 1),
    "max": ("max", None),
    "min": ("min", None),
    "softmax": ("softmax", None),  # softmax(k, z1, z2, …): the k-th output (k a whole number)
}
CONSTANTS = {"e": "E", "pi": "pi", "π": "pi"}
OPERATORS = {
    "+": "+",
    "-": "-",
    "−": "-",
    "*": "*",
    "×": "*",
    "·": "*",
    "⋅": "*",
    "/": "/",
    "÷": "/",
    "^": "^",
}


SUPERSCRIPTS = {"²": "2", "³": "3"}


@dataclass(frozen=True)
class Node:
    """One node of a parsed expression.

    ``op`` is ``num`` (``value``), ``sym`` (``name``), ``const`` (``name``: E or pi),
    one of ``+ - * / ^`` (two ``args``), ``neg`` (one), or a function name from
    :data:`FUNCTIONS` (its ``args``).  ``pos`` is the 1-based column it starts at.
    """

    op: str
    args: tuple[Node, ...] = ()
    name: str = ""
    value: float = 0.0
    text: str = ""  # a number as written
    pos: int = field(default=0, compare=False)  # equal subexpressions are equal wherever they stand
    _hash: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:  # children's hashes are cached, so this is O(1)
        object.__setattr__(
            self, "_hash", hash((self.op, self.args, self.name, self.value, self.text))
        )

    def __hash__(self) -> int:
        return self._hash

    def symbols(self) -> list[str]:
        """The names of the symbols in the expression, in order of first appearance."""
        seen: dict[str, None] = {}
        stack = [self]
        order: list[str] = []
        while stack:
            node = stack.pop()
            if node.op == "sym" and node.name not in seen:
                seen[node.name] = None
                order.append(node.name)
            stack.extend(reversed(node.args))
        return order


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, (, ), ",", end
    text: str
    pos: int  # 1-based column


def _digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _error(message: str, pos: int, field: str) -> InputError:
    return InputError(f"{message} at column {pos}", field=field)


def _describe(ch: str) -> str:
    return repr(ch) if ch.isprintable() else f"character U+{ord(ch):04X}"


def tokenize(text: str, field: str = "expression") -> list[Token]:
    """Split ``text`` into tokens; any character outside the grammar is an error."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if _digit(ch) or (ch == "." and i + 1 < n and _digit(text[i + 1])):
            while i < n and _digit(text[i]):
                i += 1
            if i < n and text[i] == ".":
                i += 1
                while i < n and _digit(text[i]):
                    i += 1
            if (
                i < n
                and text[i] in "eE"
                and (
                    (i + 1 < n and _digit(text[i + 1]))
                    or (i + 2 < n and text[i + 1] in "+-" and _digit(text[i + 2]))
                )
            ):
                i += 2
                while i < n and _digit(text[i]):
                    i += 1
            tokens.append(Token("num", text[start:i], start + 1))
            continue
        if ch.isalpha() and ch.isidentifier():
            i += 1
            while i < n:
                c = text[i]
                if _digit(c) or (c.isalpha() and c.isidentifier()):
                    i += 1
                elif c == "_" and i + 1 < n and (_digit(text[i + 1]) or text[i + 1].isalpha()):
                    i += 1
                else:
                    break
            tokens.append(Token("name", text[start:i], start + 1))
            continue
        if ch in SUPERSCRIPTS:
            tokens += [Token("op", "^", start + 1), Token("num", SUPERSCRIPTS[ch], start + 1)]
            i += 1
            continue
        if ch == "*" and i + 1 < n and text[i + 1] == "*":
            tokens.append(Token("op", "^", start + 1))
            i += 2
            continue
        if ch in OPERATORS:
            tokens.append(Token("op", OPERATORS[ch], start + 1))
        elif ch in "()":
            tokens.append(Token(ch, ch, start + 1))
        elif ch == ",":
            tokens.append(Token(",", ch, start + 1))
        else:
            raise _error(f"unexpected {_describe(ch)}", start + 1, field)
        i += 1
    tokens.append(Token("end", "", n + 1))
    return tokens


class _Parser:
    """Precedence climbing: sum < product < unary minus < power (right-associative)."""

    def __init__(self, tokens: list[Token], field: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.field = field

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, tok: Token, expected: str) -> InputError:
        if tok.kind == "end":
            return _error(
                f"unexpected end of expression (expected {expected})", tok.pos, self.field
            )
        hint = ""
        if tok.kind in ("name", "num", "(") and expected.startswith("an operator"):
            hint = " (write multiplication with *)"
        return _error(f"unexpected {tok.text!r} (expected {expected}){hint}", tok.pos, self.field)

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(
                f"the expression is nested more than {MAX_DEPTH} levels deep", tok.pos, self.field
            )

    def expect(self, kind: str, expected: str) -> Token:
        tok = self.tok
        if tok.kind != kind:
            raise self.fail(tok, expected)
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.sum()
        if self.tok.kind != "end":
            raise self.fail(self.tok, "an operator or the end")
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.tok
            self.i += 1
            node = Node(op.text, (node, self.product()), pos=op.pos)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in "*/":
            op = self.tok
            self.i += 1
            node = Node(op.text, (node, self.unary()), pos=op.pos)
        return node

    def unary(self) -> Node:
        tok = self.tok
        self.enter(tok)
        try:
            if tok.kind == "op" and tok.text in "+-":
                self.i += 1
                inner = self.unary()
                return inner if tok.text == "+" else Node("neg", (inner,), pos=tok.pos)
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Node:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "^":
            op = self.tok
            self.i += 1
            return Node("^", (base, self.unary()), pos=op.pos)
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            value = float(tok.text)
            if not math.isfinite(value):
                raise _error(f"the number {tok.text} is too large", tok.pos, self.field)
            return Node("num", value=value, text=tok.text, pos=tok.pos)
        if tok.kind == "(":
            self.i += 1
            node = self.sum()  # nesting is counted once per level, in unary()
            self.expect(")", "')'")
            return node
        if tok.kind == "name":
            self.i += 1
            if tok.text in FUNCTIONS:
                return self.call(tok)
            if self.tok.kind == "(":
                known = ", ".join(sorted(k for k in FUNCTIONS if k.isascii()))
                raise _error(f"unknown function {tok.text!r} (known: {known})", tok.pos, self.field)
            if tok.text in CONSTANTS:
                return Node("const", name=CONSTANTS[tok.text], pos=tok.pos)
            return Node("sym", name=tok.text, pos=tok.pos)
        raise self.fail(tok, "a number, a name or '('")

    def call(self, name: Token) -> Node:
        canonical, arity = FUNCTIONS[name.text]
        self.expect("(", f"'(' after {name.text}")
        args = [self.sum()]
        while self.tok.kind == ",":
            self.i += 1
            args.append(self.sum())
        close = self.expect(")", "',' or ')'")
        if arity is not None and len(args) != arity:
            raise _error(
                f"{name.text} takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}",
                close.pos,
                self.field,
            )
        if canonical == "softmax":
            k = args[0]
            if (
                len(args) < 2
                or k.op != "num"
                or k.value != int(k.value)
                or not 1 <= k.value <= len(args) - 1
            ):
                raise _error(
                    "softmax(k, z1, …, zn) takes the output's number k (1 to n) and then the n inputs",
                    name.pos,
                    self.field,
                )
        return Node(canonical, tuple(args), pos=name.pos)


def parse(text: str, field: str = "expression") -> Node:
    """Parse ``text`` into a :class:`Node` tree, or raise :class:`InputError`."""
    if len(text) > MAX_LENGTH:
        raise InputError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed",
            field=field,
        )
    if not text.strip():
        raise InputError("expected an expression, e.g. exp(x^2)", field=field)
    tree = _Parser(tokenize(text, field), field).parse()
    check_powers(tree, field)
    return tree


_CONSTANT_VALUES = {"E": math.e, "pi": math.pi}


def check_powers(node: Node, field: str = "expression") -> None:
    """Refuse power towers and huge powers before SymPy sees them.

    SymPy evaluates ``9^9^9`` (369 million digits) and expands ``2^2^2^2^2^2`` exactly,
    which takes minutes and gigabytes.  Constant sub-expressions are followed as floats:
    an exponent beyond :data:`~dlcalc.limits.MAX_POWER`, or a constant power of more than
    about 300 digits, is refused with exit status 2.
    """
    from dlcalc.limits import MAX_POWER

    values: dict[Node, float | None] = {}  # the float value of each constant sub-expression
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        n, ready = stack.pop()
        if n in values:
            continue
        if not ready:
            stack.append((n, True))
            stack.extend((c, False) for c in n.args if c not in values)
            continue
        args = [values[c] for c in n.args]
        value: float | None = None
        if n.op == "num":
            value = n.value
        elif n.op == "const":
            value = _CONSTANT_VALUES[n.name]
        elif n.op == "neg" and args[0] is not None:
            value = -args[0]
        elif n.op in "+-*/" and None not in args:
            a, b = args[0], args[1]
            assert a is not None and b is not None
            if n.op == "+":
                value = a + b
            elif n.op == "-":
                value = a - b
            elif n.op == "*":
                value = a * b
            else:
                value = a / b if b != 0 else None
        elif n.op == "^":
            base, exponent = args
            if exponent is not None and abs(exponent) > MAX_POWER and base not in (0.0, 1.0, -1.0):
                shown = f"{exponent:.3g}" if math.isfinite(exponent) else "beyond 1e308"
                raise _error(
                    f"the power has the exponent {shown}; dlcalc works with exponents up to {MAX_POWER:,} "
                    "(a power tower like 9^9^9 has hundreds of millions of digits)",
                    n.pos,
                    field,
                )
            if base is not None and exponent is not None:
                if base == 0:
                    value = 0.0 if exponent > 0 else None
                else:
                    digits = exponent * math.log10(abs(base))
                    if digits > 300:
                        raise _error(
                            f"the power is a number of about {digits:,.0f} digits; "
                            "dlcalc works with numbers up to about 1e300",
                            n.pos,
                            field,
                        )
                    try:
                        value = abs(base) ** exponent
                    except (OverflowError, ValueError, ZeroDivisionError):
                        value = None
        if value is not None and not math.isfinite(value):
            value = None
        values[n] = value


def parse_assignments(text: str, field: str = "--at") -> dict[str, float]:
    """``"x=0.3, y=-1"`` as ``{"x": 0.3, "y": -1.0}``; each value may be a constant expression."""
    values: dict[str, float] = {}
    if len(text) > MAX_LENGTH:
        raise InputError(
            f"is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed", field=field
        )
    for part in re.split(r",(?=\s*[^\W\d]\w*\s*=)", text):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name:
            raise InputError(
                f"expected name=value pairs separated by commas, e.g. x=0.3,y=-1; got {part.strip()!r}",
                field=field,
            )
        tokens = tokenize(name, field)
        if len(tokens) != 2 or tokens[0].kind != "name" or name in FUNCTIONS or name in CONSTANTS:
            raise InputError(f"{name!r} is not a symbol name", field=field)
        node = parse(value, field)
        if node.symbols():
            raise InputError(
                f"the value of {name} must be a number, got {value.strip()!r}", field=field
            )
        number = evaluate(node, {})
        if not math.isfinite(number):
            raise InputError(f"the value of {name} is not a finite number", field=field)
        values[name] = number
    if not values:
        raise InputError("expected name=value pairs, e.g. x=0.3", field=field)
    return values


# --- SymPy ---------------------------------------------------------------------------------


def to_sympy(node: Node) -> sympy.Expr:
    """The SymPy expression of a parsed tree, built node by node (no text is evaluated)."""
    done: dict[Node, sympy.Expr] = {}
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:  # post-order without recursion: long chains like x+x+…+x stay shallow
        n, ready = stack.pop()
        if n in done:
            continue
        if ready:
            done[n] = combine(n, [done[c] for c in n.args])
        else:
            stack.append((n, True))
            stack.extend((c, False) for c in n.args if c not in done)
    return done[node]


def combine(node: Node, args: list[sympy.Expr]) -> sympy.Expr:
    """The SymPy expression of one node applied to its arguments' expressions ``args``."""
    import sympy

    from dlcalc.maths import functions

    op = node.op
    if op == "num":
        return (
            sympy.Rational(node.text) if "e" not in node.text.lower() else sympy.Float(node.value)
        )
    if op == "sym":
        return sympy.Symbol(node.name, real=True)
    if op == "const":
        return sympy.E if node.name == "E" else sympy.pi
    if op == "+":
        return sympy.Add(args[0], args[1])
    if op == "-":
        return sympy.Add(args[0], sympy.Mul(-1, args[1]))
    if op == "*":
        return sympy.Mul(args[0], args[1])
    if op == "/":
        return sympy.Mul(args[0], sympy.Pow(args[1], -1))
    if op == "^":
        return sympy.Pow(args[0], args[1])
    if op == "neg":
        return sympy.Mul(-1, args[0])
    if op == "softmax":
        args = [sympy.Integer(int(node.args[0].value)), *args[1:]]
    return functions.apply(op, args)


def evaluate(node: Node, values: dict[str, float]) -> float:
    """The value of a parsed tree in floating point, without SymPy (used for ``--at``)."""

    def ev(n: Node) -> float:
        if n.op == "num":
            return n.value
        if n.op == "const":
            return math.e if n.name == "E" else math.pi
        if n.op == "sym":
            return values[n.name]
        a = [ev(c) for c in n.args]
        if n.op == "softmax":
            z = a[1:]
            top = max(z)
            return math.exp(z[int(a[0]) - 1] - top) / math.fsum(math.exp(v - top) for v in z)
        return FLOAT_OPS[n.op](*a)

    try:
        return float(ev(node))
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


FLOAT_OPS: dict[str, Callable[..., float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: float(a**b) if not isinstance(a**b, complex) else math.nan,
    "neg": lambda a: -a,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "sigmoid": _sigmoid,
    "relu": lambda a: max(a, 0.0),  # NaN stays NaN (max(0.0, nan) would be 0.0)
    "softplus": lambda a: max(a, 0.0) + math.log1p(math.exp(-abs(a))),
    "abs": abs,
    "max": max,
    "min": min,
}
