"""``derive`` and ``graph``: derivatives by the chain rule and computational graphs.

Both work on the tree the safe parser (:mod:`dlcalc.maths.expressions`) builds.  Every
operation node of the tree is a subexpression with a name (u1, u2 … for ``derive``,
v1, v2 … for ``graph``); the local derivative of a node with respect to each of its
inputs is found by SymPy from the operation itself, never from a table, and the
chain rule multiplies and sums them, exactly as in the slides' e^(x²) and
e^(e^(x²)) examples and their backward-pass algorithm.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

from dlcalc.errors import InputError
from dlcalc.maths import functions as F
from dlcalc.maths.expressions import Node, combine, parse, to_sympy
from dlcalc.model.formula import Name, Neg, Num, Partial, Q, Symbol, product, q
from dlcalc.model.formula import Node as Formula
from dlcalc.model.formula import total as formula_total
from dlcalc.model.steps import Section, Solution, Step, Table

MAX_OPS = 3000  # a derivative larger than this is not a worked example any more
MAX_NODES = 150  # operations written out by derive (graph: twice as many nodes)
TIME_LIMIT = 5.0  # seconds of SymPy work before giving up on an expression

DEFINITIONS = {
    "sigmoid": ("σ", "1/(1 + exp(-z))"),
    "tanh": ("tanh", "(exp(z) - exp(-z))/(exp(z) + exp(-z))"),
    "softplus": ("softplus", "ln(1 + exp(z))"),
    "relu": ("relu", "max(0, z)"),
}
RULES = {
    "+": "sum rule",
    "-": "sum rule",
    "neg": "constant factor",
    "*": "product rule",
    "/": "quotient rule",
    "^": "power rule",
}


def _symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def _depends(node: Node, wrt: str, memo: dict[Node, bool]) -> bool:
    if node not in memo:
        memo[node] = (node.op == "sym" and node.name == wrt) or any(
            _depends(c, wrt, memo) for c in node.args
        )
    return memo[node]


def _inputs(node: Node) -> tuple[Node, ...]:
    """The arguments that are inputs of the operation (softmax's k is a parameter)."""
    return node.args[1:] if node.op == "softmax" else node.args


def _check_size(expr: sympy.Expr) -> sympy.Expr:
    if sympy.count_ops(expr) > MAX_OPS:
        raise InputError(
            "the derivative grows too large to write out; try a smaller expression",
            field="expression",
        )
    return expr


@dataclass
class Derivation:
    """The chain rule applied inside out over the named subexpressions of one expression."""

    root: Node
    wrt: str
    prefix: str = "u"
    top: str = "y"
    names: dict[Node, str] = field(default_factory=dict)
    exprs: dict[Node, sympy.Expr] = field(default_factory=dict)
    derivs: dict[Node, sympy.Expr] = field(default_factory=dict)
    order: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        memo: dict[Node, bool] = {}
        x = _symbol(self.wrt)
        stack: list[tuple[Node, bool]] = [(self.root, False)]
        while stack:  # post-order without recursion
            node, done = stack.pop()
            if node in self.exprs:
                continue
            if not done:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(node.args) if c not in self.exprs)
                continue
            self.exprs[node] = combine(node, [self.exprs[c] for c in node.args])
            memo[node] = (node.op == "sym" and node.name == self.wrt) or any(
                memo[c] for c in node.args
            )
            if node.op == "sym" and node.name == self.wrt:
                self.derivs[node] = sympy.Integer(1)
            elif not _depends(node, self.wrt, memo):
                self.derivs[node] = sympy.Integer(0)
            else:
                self.order.append(node)
        if len(self.order) > MAX_NODES:
            raise InputError(
                f"the expression has {len(self.order)} operations that depend on {self.wrt}; "
                f"at most {MAX_NODES} are written out",
                field="expression",
            )
        for k, node in enumerate(self.order):
            self.names[node] = self.top if node == self.root else f"{self.prefix}{k + 1}"
        self.x = x
        self.memo = memo
        self.deadline = time.monotonic() + TIME_LIMIT
        self.locals: dict[Node, list[tuple[Node, sympy.Expr]]] = {}
        for node in self.order:
            self._differentiate(node)

    def sym(self, node: Node) -> sympy.Expr:
        """A node in terms of names: its name's symbol, x itself, or its constant expression."""
        if node in self.names:
            return _symbol(self.names[node])
        return self.exprs[node]

    def local(self, node: Node) -> sympy.Expr:
        """The node's operation applied to its inputs' names."""
        return combine(node, [self.sym(c) for c in node.args])

    def in_x(self, expr: sympy.Expr) -> sympy.Expr:
        """Names replaced by what they stand for (names only ever refer to finished nodes)."""
        by_name = {_symbol(name): self.exprs[n] for n, name in self.names.items()}
        return expr.xreplace({s: by_name[s] for s in expr.free_symbols if s in by_name})

    def _differentiate(self, node: Node) -> None:
        local = self.local(node)
        parts = []
        total = sympy.Integer(0)
        seen: set[Node] = set()
        for child in _inputs(node):
            if child in seen or not _depends(child, self.wrt, self.memo):
                continue
            seen.add(child)
            partial = sympy.diff(local, self.sym(child))
            parts.append((child, partial))
            total += self.in_x(partial) * self.derivs[child]
        self.locals[node] = parts
        self.derivs[node] = _check_size(total)
        if time.monotonic() > self.deadline:
            raise InputError(
                f"working out the derivative takes more than {TIME_LIMIT:g} s; try a smaller expression",
                field="expression",
            )

    def direct(self, node: Node) -> bool:
        """Its only input that depends on x is x itself: one step, no chain."""
        return len(self.locals[node]) == 1 and self.locals[node][0][0] not in self.names

    def dname(self, node: Node) -> str:
        """d u1/dx as written: ``du1/dx`` (or ``dx/dx``)."""
        name = self.names.get(node, self.wrt)
        return f"d{name}/d{self.wrt}"

    def pname(self, node: Node, child: Node) -> str:
        d = "∂" if len(self.locals[node]) > 1 else "d"
        return f"{d}{self.names[node]}/{d}{self.names.get(child, self.wrt)}"

    def rule(self, node: Node) -> str:
        if node.op in ("*", "/") and len(self.locals[node]) == 1:
            return (
                "constant factor"
                if node.op == "*" or node.args[0] in self.locals[node][0]
                else "quotient rule"
            )
        if node.op == "^" and not _depends(node.args[1], self.wrt, self.memo):
            return "power rule"
        if node.op == "^" and not _depends(node.args[0], self.wrt, self.memo):
            return "exponential rule"
        if node.op in RULES:
            return RULES[node.op]
        return (
            "chain rule"
            if any(c in self.names for c, _ in self.locals[node])
            else f"derivative of {node.op}"
        )

    # --- the worked solution ------------------------------------------------------------

    def subexpressions(self) -> Table:
        rows = [
            [self.names[n], F.unicode(self.local(n)), F.unicode(self.exprs[n])] for n in self.order
        ]
        return Table(["name", "operation", f"in terms of {self.wrt}"], rows)

    def x_tree(self, expr: sympy.Expr) -> Formula:
        """``expr`` (in the inputs) as a formula tree whose symbols stand for themselves."""
        return _symbolic_tree(expr)

    def named_tree(self, expr: sympy.Expr) -> Formula:
        """``expr`` as a formula tree whose names (u1 …) are substituted by what they stand for."""
        meaning = {name: self.exprs[n] for n, name in self.names.items()}
        leaves = {
            v: _standing(v.name, self.x_tree(meaning[v.name]) if v.name in meaning else None)
            for v in expr.free_symbols
        }
        return F.to_tree(expr, leaves)

    def symbolic_steps(self) -> list[Step]:
        steps: list[Step] = []
        for node in self.order:
            if self.direct(node):
                local_text = F.unicode(self.local(node))
                steps.append(
                    Step(
                        self.dname(node),
                        F.unicode(self.derivs[node]),
                        name=_dsym(self.dname(node)),
                        note=f"{self.rule(node)}: d/d{self.wrt} {local_text} (SymPy)",
                    )
                )
                continue
            terms: list[tuple[bool, Formula]] = []  # (subtracted, product of factors)
            for child, partial in self.locals[node]:
                pname = self.pname(node, child)
                in_x = self.in_x(partial)
                if not partial.is_number:
                    same = F.unicode(partial) == F.unicode(in_x)
                    steps.append(
                        Step(
                            pname,
                            F.unicode(in_x),
                            name=_dsym(pname),
                            expr=None if same else _or_none(self.named_tree, partial),
                            note=f"derivative of {F.unicode(self.local(node))} by {self.names.get(child, self.wrt)} (SymPy)",
                        )
                    )
                factor: list[Formula] = []
                if not partial.is_number or (partial != 1 and partial != -1):
                    factor.append(Q(pname, self.x_tree(in_x), _dsym(pname)))
                if child in self.names:
                    d = self.dname(child)
                    factor.append(Q(d, self.x_tree(self.derivs[child]), _dsym(d)))
                if not factor:
                    d = self.dname(child)
                    factor = [Q(d, Num(1), _dsym(d))]
                terms.append((bool(partial.is_number and partial < 0), product(factor, "·")))
            steps.append(
                Step(
                    self.dname(node),
                    F.unicode(self.derivs[node]),
                    name=_dsym(self.dname(node)),
                    expr=_signed_sum(terms),
                    note=self.rule(node),
                )
            )
        return steps

    def numeric_steps(self, values: dict[str, float], tag: str) -> list[Step]:
        """The same chain in numbers at ``values``."""
        num: dict[str, float] = dict(values)
        inputs = set(values)
        steps: list[Step] = []
        for node in self.order:
            name = self.names[node]
            local = self.local(node)
            num[name] = _at(local, num)
            steps.append(
                _numeric(name + tag, num[name], Name(name), _bound(local, num, inputs, tag))
            )
        dnum: dict[Node, float] = {}
        for node in self.order:
            total_ = 0.0
            if self.direct(node):
                partial = self.locals[node][0][1]
                dnum[node] = _at(partial, num)
                steps.append(
                    _numeric(
                        self.dname(node) + tag,
                        dnum[node],
                        _dsym(self.dname(node)),
                        _bound(partial, num, inputs, tag),
                    )
                )
                continue
            terms: list[Formula] = []
            for child, partial in self.locals[node]:
                pname = self.pname(node, child)
                pvalue = _at(partial, num)
                if not partial.is_number:
                    steps.append(
                        _numeric(
                            pname + tag, pvalue, _dsym(pname), _bound(partial, num, inputs, tag)
                        )
                    )
                dchild = dnum.get(child, 1.0)
                total_ += pvalue * dchild
                factor: list[Formula] = [q(pname + tag, pvalue, _dsym(pname))]
                if child in self.names:
                    d = self.dname(child)
                    factor.append(q(d + tag, dchild, _dsym(d)))
                terms.append(product(factor))
            dnum[node] = total_
            steps.append(
                Step(
                    self.dname(node) + tag,
                    total_,
                    name=_dsym(self.dname(node)),
                    expr=formula_total(terms),
                )
            )
        return steps


def _standing(name: str, meaning: Formula | None = None) -> Q:
    """A symbol of a symbolic step: substituted by ``meaning`` (its formula) or by itself."""
    return Q(name, meaning if meaning is not None else Q(name, None, Name(name)), Name(name))


def _symbolic_tree(expr: sympy.Expr) -> Formula:
    """``expr`` as a formula tree whose symbols stand for themselves (a derivation, no numbers)."""
    return F.to_tree(expr, {v: _standing(v.name) for v in expr.free_symbols})


def _dsym(text: str) -> Symbol:
    """A derivative's name: ∂y/∂u1 as a partial derivative; dy/du1 (and ∂f/∂x [use 2]) as written."""
    m = re.fullmatch(r"∂(\w+)/∂(\w+)", text)
    return Partial(Name(m[1]), Name(m[2])) if m else Name(text)


def _or_none(build: Callable[[sympy.Expr], Formula], expr: sympy.Expr) -> Formula | None:
    """The formula tree of ``expr``, or None where it uses a function no tree writes."""
    try:
        return build(expr)
    except F.Unrepresentable:
        return None


def _bound(expr: sympy.Expr, num: dict[str, float], inputs: set[str], tag: str) -> Formula | None:
    """``expr`` as a tree of quantities: an input by its name, a named node by name + ``tag``."""
    leaves = {
        v: q(v.name if v.name in inputs else v.name + tag, num.get(v.name, math.nan), Name(v.name))
        for v in expr.free_symbols
    }
    try:
        return F.to_tree(expr, leaves)
    except F.Unrepresentable:
        return None


def _numeric(label: str, value: float, name: Symbol, tree: Formula | None) -> Step:
    note = None if tree is not None else "computed by SymPy (no formula tree writes this function)"
    return Step(label, value, name=name, expr=tree, note=note)


def _signed_sum(terms: list[tuple[bool, Formula]]) -> Formula:
    out: Formula | None = None
    for subtracted, term in terms:
        if out is None:
            out = Neg(term) if subtracted else term
        else:
            out = out - term if subtracted else out + term
    assert out is not None
    return out


def _at(expr: sympy.Expr, num: dict[str, float]) -> float:
    """The value of ``expr`` with its symbols (by name) taking the values in ``num``."""
    return _float(
        expr.xreplace({s: sympy.Float(num[s.name], 17) for s in expr.free_symbols if s.name in num})
    )


def _float(expr: sympy.Expr) -> float:
    try:
        value = complex(sympy.N(expr, 17))
    except (TypeError, ValueError):
        return math.nan
    return value.real if abs(value.imag) < 1e-300 else math.nan


def _point(values: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in values.items())


def _pick_wrt(node: Node, wrt: str | None) -> str:
    symbols = node.symbols()
    if wrt is not None:
        if not wrt.isidentifier() or wrt.startswith("_"):
            raise InputError(f"{wrt!r} is not a symbol name", field="--wrt")
        return wrt
    if len(symbols) == 1:
        return symbols[0]
    if "x" in symbols or not symbols:
        return "x"
    raise InputError(
        f"the expression has several symbols ({', '.join(symbols)}); say which one with --wrt",
        field="--wrt",
    )


def _prefix(node: Node) -> tuple[str, str]:
    used = set(node.symbols())
    for prefix in ("u", "v", "q", "g"):
        if not any(s.startswith(prefix) and s[len(prefix) :].isdigit() for s in used):
            top = "y" if "y" not in used else "f"
            return prefix, top
    return "node_", "out_"


def _named_functions(node: Node) -> list[str]:
    found: dict[str, None] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if n.op in DEFINITIONS or n.op == "softmax":
            found[n.op] = None
        stack.extend(n.args)
    return list(found)


def activation_section(name: str) -> Section:
    """f′(z) from f's definition, inside out, then in terms of f itself (σ′ = σ·(1 − σ))."""
    shown, definition = DEFINITIONS[name]
    d = Derivation(parse(definition), "z", prefix="g", top=shown)
    z = _symbol("z")
    section = Section(
        f"{shown}′(z) from the definition {shown}(z) = {F.unicode(to_sympy(parse(definition)))}"
    )
    section.add(d.subexpressions())
    for step in d.symbolic_steps():
        section.add(step)
    # H(0) = 0, as the note says and as the network commands take relu′(0)
    raw = d.derivs[d.root].replace(sympy.Heaviside, lambda *a: sympy.Heaviside(a[0], 0))
    named = sympy.diff(to_sympy(parse(f"{name}(z)")), z)
    how = {
        "sigmoid": "writing e^(−z) = (1 − σ)/σ, i.e. z = ln(σ/(1 − σ)), and simplifying",
        "tanh": "SymPy's tanh′",
        "softplus": "recognising e^(z)/(1 + e^(z)) = 1/(1 + e^(−z)) = σ(z)",
        "relu": "H(z) is the step function: 1 if z > 0 else 0 (taken as 0 at z = 0)",
    }[name]
    section.add(
        Step(
            f"{shown}′(z)",
            F.unicode(named),
            symbol=f"{shown}′(z)",
            expr=_or_none(_symbolic_tree, raw),
            note=f"in terms of {shown}: {how}",
        )
    )
    return section


def softmax_section(n: int = 3) -> list[Section]:
    """The softmax Jacobian and softmax + cross-entropy → ŷ − y, derived by SymPy for n outputs."""
    z = [_symbol(f"z{k + 1}") for k in range(n)]
    s = [_symbol(f"s{k + 1}") for k in range(n)]
    y = [_symbol(f"y{k + 1}") for k in range(n)]
    scale = sympy.Dummy("S", positive=True)
    total = sympy.Add(*(sympy.exp(v) for v in z))
    soft = [sympy.exp(v) / total for v in z]
    back = {sympy.exp(z[k]): s[k] * scale for k in range(n)}

    def in_s(expr: sympy.Expr) -> sympy.Expr:
        expr = expr.subs(back)
        expr = expr.subs(sympy.Add(*(s[k] * scale for k in range(n))), scale)
        return sympy.factor(sympy.simplify(expr.subs(scale * sympy.Add(*s), scale)))

    jac = Section(f"Softmax Jacobian (n = {n}): s_k = e^(z_k)/Σ_j e^(z_j)")
    jac.add(
        Step(
            "∂s1/∂z1",
            F.unicode(in_s(sympy.diff(soft[0], z[0]))),
            name=_dsym("∂s1/∂z1"),
            expr=_symbolic_tree(sympy.diff(soft[0], z[0])),
            note="SymPy's derivative, then e^(z_k) = s_k·Σ_j e^(z_j)",
        )
    )
    jac.add(
        Step(
            "∂s1/∂z2",
            F.unicode(in_s(sympy.diff(soft[0], z[1]))),
            name=_dsym("∂s1/∂z2"),
            expr=_symbolic_tree(sympy.diff(soft[0], z[1])),
        )
    )
    jac.add(
        "In general ∂s_i/∂z_j = s_i·(δ_ij − s_j): the diagonal s_i·(1 − s_i), off the diagonal −s_i·s_j."
    )
    ce = Section("Softmax + cross-entropy: E = −Σ_k y_k·ln(s_k)")
    loss = -sympy.Add(*(y[k] * sympy.log(soft[k]) for k in range(n)))
    grad = in_s(sympy.diff(loss, z[0]))
    grad = sympy.expand(grad)
    ce.add(
        Step(
            "∂E/∂z1",
            F.unicode(sympy.collect(grad, s[0])),
            name=_dsym("∂E/∂z1"),
            note="Σ_k (−y_k/s_k)·∂s_k/∂z1 (SymPy)",
        )
    )
    one_hot = sympy.simplify(grad.subs(y[-1], 1 - sympy.Add(*y[:-1])))
    ce.add(
        Step(
            "∂E/∂z1 (Σ y = 1)",
            F.unicode(one_hot),
            name=_dsym("∂E/∂z1"),
            expr=F.to_tree(
                sympy.collect(grad, s[0]),
                {
                    **{v: _standing(v.name) for v in grad.free_symbols},
                    y[-1]: _standing(y[-1].name, _symbolic_tree(1 - sympy.Add(*y[:-1]))),
                },
            ),
            note="= ŷ1 − y1: the softmax Jacobian and −y/s cancel",
        )
    )
    return [jac, ce]


def _defined(expr: sympy.Expr, what: str) -> None:
    """Refuse expressions that divide by zero or leave the real numbers (SymPy's zoo, nan, I)."""
    if expr.has(sympy.zoo) or expr.has(sympy.nan):
        raise InputError(f"{what} divides by zero (it is undefined)", field="expression")
    if expr.has(sympy.I):
        raise InputError(
            f"{what} takes complex values; dlcalc works with real numbers", field="expression"
        )


def solve_derive(text: str, wrt: str | None = None, at: dict[str, float] | None = None) -> Solution:
    """The derivative of ``text`` with respect to ``wrt``, each chain-rule factor shown."""
    node = parse(text)
    x = _pick_wrt(node, wrt)
    prefix, top = _prefix(node)
    d = Derivation(node, x, prefix, top)
    expr = d.exprs[node]
    deriv = d.derivs[node]
    _defined(expr, "the expression")
    _defined(deriv, "its derivative")
    shown = F.unicode(expr)
    sections: list[Section] = []
    intro = Section(f"{top} = {shown}")
    if d.order:
        intro.add(
            f"Each operation that depends on {x} is a subexpression; the chain rule works from the inside out."
        )
        intro.add(d.subexpressions())
    sections.append(intro)
    if d.order:
        chain = Section(f"Chain rule: d{top}/d{x}")
        for step in d.symbolic_steps():
            chain.add(step)
        sections.append(chain)
    result: dict = {
        "expression": shown,
        "wrt": x,
        "derivative": F.unicode(deriv),
        "latex": sympy.latex(deriv),
    }
    for name in _named_functions(node):
        if name == "softmax":
            sections += softmax_section()
        else:
            sections.append(activation_section(name))
    if at is not None:
        missing = [s for s in node.symbols() if s not in at]
        if missing:
            raise InputError(
                f"give a value for {', '.join(missing)}, e.g. --at {missing[0]}=0.5", field="--at"
            )
        env = {_symbol(k): v for k, v in at.items()}
        value = _float(expr.subs(env))
        slope = _float(deriv.subs(env))
        for what, number in (("value", value), ("slope", slope)):
            if math.isinf(number):  # SymPy's numbers have no range; a double does
                raise InputError(
                    f"at {_point(at)} the {what} is beyond the range of a double (about "
                    "1.8e308), so it would print as ∞; use a smaller value or exponent",
                    field="--at",
                )
        numbers = Section(f"At {_point(at)}")
        tag = "@" + ",".join(f"{k}={v:g}" for k, v in at.items())
        if d.order:
            for step in d.numeric_steps(at, tag):
                numbers.add(step)
        closed = _bound(deriv, dict(at), set(at), "")
        numbers.add(
            Step(
                f"d{top}/d{x}{tag}:closed",
                slope,
                name=_dsym(f"d{top}/d{x}"),
                expr=closed,
                note="the simplified derivative, as a check",
            )
        )
        sections.append(numbers)
        result["at"] = dict(at)
        result["value"] = value
        result["slope"] = slope
    if not d.order:
        sections[0].add(Step(f"d{top}/d{x}", F.unicode(deriv), symbol=f"d{top}/d{x}"))
    return Solution("derive", sections, result, title=f"d/d{x} {shown}")


# --- graph -------------------------------------------------------------------------------------


@dataclass
class Graph:
    """A computational graph: identical subexpressions share one node."""

    nodes: list[Node]  # evaluation order: inputs first, the output last
    names: dict[Node, str]
    values: dict[Node, float]
    local: dict[Node, sympy.Expr]
    partials: dict[
        Node, list[tuple[Node, sympy.Expr, float]]
    ]  # node -> (input, ∂node/∂input, value); one per edge
    adjoint: dict[Node, float]

    @property
    def output(self) -> Node:
        return self.nodes[-1]


def build_graph(node: Node, at: dict[str, float]) -> Graph:
    """Forward values in evaluation order, then adjoints ∂out/∂node by the backward pass."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if n in seen:
            continue
        if not done:
            stack.append((n, True))
            stack.extend((c, False) for c in reversed(_inputs(n)) if c not in seen)
            continue
        seen.add(n)
        # A part without symbols (the −1 of x^−1) is a constant, not a node: nothing flows back
        # into it, so x^−1 at x = −2 needs no ln(−2) for an exponent's adjoint.
        if n.op not in ("num", "const") and (n is node or n.symbols()):
            order.append(n)
    if len(order) > 2 * MAX_NODES:
        raise InputError(
            f"the graph has {len(order)} nodes; at most {2 * MAX_NODES} are drawn",
            field="expression",
        )
    used = set(node.symbols())
    prefix = next(
        (p for p in ("v", "a", "q") if not any(s.startswith(p) and s[1:].isdigit() for s in used)),
        "node",
    )
    top = next((t for t in ("f", "F", "out") if t not in used), "output")
    names: dict[Node, str] = {}
    k = 0
    for n in order:
        if n.op == "sym":
            names[n] = n.name
        elif n is order[-1]:
            names[n] = top
        else:
            k += 1
            names[n] = f"{prefix}{k}"
    missing = [s for s in node.symbols() if s not in at]
    if missing:
        raise InputError(
            f"give a value for every symbol: {', '.join(missing)} (e.g. --at {missing[0]}=0.5)",
            field="--at",
        )

    def sym(c: Node) -> sympy.Expr:
        return _symbol(names[c]) if c in names else to_sympy(c)

    values: dict[Node, float] = {}
    local: dict[Node, sympy.Expr] = {}
    partials: dict[Node, list[tuple[Node, sympy.Expr, float]]] = {}
    for n in order:
        if n.op == "sym":
            values[n] = at[n.name]
            continue
        expr = combine(n, [sym(c) for c in n.args])
        local[n] = expr
        env = {_symbol(names[c]): values[c] for c in _inputs(n) if c in names}
        values[n] = _float(expr.subs(env))
        edges = []
        for c in _inputs(n):
            if c not in names:
                continue
            p = sympy.diff(expr, sym(c))
            # x·x has two edges into x: each carries its share (∂/∂ of one occurrence).
            count = sum(1 for a in _inputs(n) if a == c)
            p = p / count if count > 1 else p
            edges.append((c, p, _float(p.subs(env))))
        partials[n] = edges
    adjoint: dict[Node, float] = dict.fromkeys(order, 0.0)
    adjoint[order[-1]] = 1.0
    for n in reversed(order):
        for c, _, pv in partials.get(n, []):
            adjoint[c] += adjoint[n] * pv
    return Graph(order, names, values, local, partials, adjoint)


OPERATIONS = {"*": "×", "-": "−", "neg": "−"}  # written as every formula writes them


def _operation(op: str) -> str:
    return OPERATIONS.get(op, op)


def _tree_rows(g: Graph, node: Node) -> list[list]:
    """The expression tree as indented rows, drawn with box lines (|-- and `-- in ASCII)."""
    rows: list[list] = []
    shown: set[Node] = set()

    def walk(n: Node, indent: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└── " if last else "├── ")  # ASCII: `-- and |--
        if n not in g.names:
            rows.append([indent + branch + F.unicode(to_sympy(n)), "constant", "", ""])
            return
        name = g.names[n]
        if n.op == "sym":
            rows.append([indent + branch + name, "input", g.values[n], g.adjoint[n]])
            return
        again = n in shown
        label = f"{name} = {F.unicode(g.local[n])}" + (" (shared, see above)" if again else "")
        rows.append([indent + branch + label, _operation(n.op), g.values[n], g.adjoint[n]])
        if again:
            return
        shown.add(n)
        children = list(n.args[1:] if n.op == "softmax" else n.args)
        child_indent = indent + ("" if top else ("    " if last else "│   "))
        for i, c in enumerate(children):
            walk(c, child_indent, i == len(children) - 1, False)

    walk(node, "", True, True)
    return rows


def _paths(g: Graph) -> dict[Node, int]:
    count: dict[Node, int] = dict.fromkeys(g.nodes, 0)
    count[g.output] = 1
    for n in reversed(g.nodes):
        for c, _, _ in g.partials.get(n, []):
            count[c] += count[n]
    return count


def solve_graph(text: str, at: dict[str, float]) -> Solution:
    """The computational graph of ``text`` at ``at``: forward values, adjoints, gradients."""
    node = parse(text)
    if node.op in ("num", "const"):
        raise InputError(
            "the expression has no symbols; a graph needs at least one input", field="expression"
        )
    g = build_graph(node, at)
    _check_finite(g)
    out = g.names[g.output]
    values_by_name = {g.names[c]: g.values[c] for c in g.nodes}
    tree = Section(f"Expression tree ({out} at the top)")
    tree.add(Table(["node", "operation", "value", f"∂{out}/∂node"], _tree_rows(g, node)))
    inputs = [n for n in g.nodes if n.op == "sym"]
    sections = [
        _forward_section(g, values_by_name),
        tree,
        _backward_section(g, values_by_name),
        _gradient_section(g, inputs),
    ]
    return Solution(
        "graph",
        sections,
        _graph_result(g, node, at, inputs),
        title=f"Computational graph of {F.unicode(to_sympy(node))} at {_point(at)}",
    )


def _check_finite(g: Graph) -> None:
    """Refuse a graph with a node whose value or adjoint is not a finite real number."""
    for n in g.nodes:
        for what, value in (("value", g.values[n]), ("adjoint", g.adjoint[n])):
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(
                    f"node {g.names[n]} ({n.op}) has no finite real {what} at these values "
                    f"(a division by zero, a logarithm or root of a negative number, or an overflow)",
                    field="--at",
                )


def _forward_section(g: Graph, values_by_name: dict[str, float]) -> Section:
    """The nodes in evaluation order (a table), then each operation's value worked out."""
    out = g.names[g.output]
    forward = Section("Forward pass (evaluation order)")
    rows = [
        [g.names[n], "input" if n.op == "sym" else _operation(n.op), g.values[n], g.adjoint[n]]
        for n in g.nodes
    ]
    forward.add(Table(["node", "operation", "value", f"∂{out}/∂node"], rows))
    for n in g.nodes:
        if n.op != "sym":
            local_tree = _bound(g.local[n], values_by_name, set(values_by_name), "")
            forward.add(_numeric(g.names[n], g.values[n], Name(g.names[n]), local_tree))
    return forward


def _backward_section(g: Graph, values_by_name: dict[str, float]) -> Section:
    """Each node's adjoint, summed over its uses, from the output back to the inputs."""
    out = g.names[g.output]
    backward = Section(
        f"Backward pass: ∂{out}/∂node = Σ over the node's uses u of ∂{out}/∂u × ∂u/∂node"
    )
    backward.add(
        Step(f"∂{out}/∂{out}", 1.0, symbol=f"∂{out}/∂{out}", note="start: the output's own adjoint")
    )
    uses: dict[Node, list[tuple[Node, sympy.Expr, float]]] = {}
    for n in g.nodes:
        for c, p, pv in g.partials.get(n, []):
            uses.setdefault(c, []).append((n, p, pv))
    labels: set[str] = set()
    for n in reversed(g.nodes):
        if n is g.output or n not in uses:
            continue
        terms = _adjoint_terms(g, n, uses[n], values_by_name, labels, backward)
        summed = formula_total(terms)
        backward.add(
            Step(
                f"∂{out}/∂{g.names[n]}",
                g.adjoint[n],
                name=_dsym(f"∂{out}/∂{g.names[n]}"),
                expr=summed if summed.quantities() else None,
                note=f"summed over its {len(terms)} uses" if len(terms) > 1 else None,
            )
        )
    return backward


def _adjoint_terms(
    g: Graph,
    n: Node,
    node_uses: list[tuple[Node, sympy.Expr, float]],
    values_by_name: dict[str, float],
    labels: set[str],
    backward: Section,
) -> list[Formula]:
    """One term ∂out/∂u × ∂u/∂n per use u of ``n``; local derivatives are added to ``backward``."""
    out = g.names[g.output]
    terms: list[Formula] = []
    for k, (parent, p, pv) in enumerate(node_uses):
        repeats = [u for u in node_uses if u[0] is parent]
        pname = f"∂{g.names[parent]}/∂{g.names[n]}"
        if len(repeats) > 1:
            pname += f" [use {sum(1 for u in node_uses[: k + 1] if u[0] is parent)}]"
        label = pname
        while label in labels:
            label += "'"
        labels.add(label)
        ptree = _bound(p, values_by_name, set(values_by_name), "")
        if (
            parent is g.output and len(node_uses) == 1 and len(repeats) == 1
        ):  # a direct input of the output: its local derivative
            terms.append(ptree if ptree is not None else q(label, pv, _dsym(pname)))
            continue
        if not p.is_number:
            step = _numeric(label, pv, _dsym(pname), ptree)
            step.note = "local derivative (SymPy)" + (f"; {step.note}" if step.note else "")
            backward.add(step)
        local = q(label, pv, _dsym(pname))
        if parent is g.output:
            terms.append(local)
        else:
            adjoint = f"∂{out}/∂{g.names[parent]}"
            terms.append(q(adjoint, g.adjoint[parent], _dsym(adjoint)) * local)
    return terms


def _gradient_section(g: Graph, inputs: list[Node]) -> Section:
    """The gradient: each input's adjoint, with how many paths lead from it to the output."""
    out = g.names[g.output]
    paths = _paths(g)
    grad = Section("Gradient")
    for n in inputs:
        grad.add(
            Step(
                f"gradient:{g.names[n]}",
                g.adjoint[n],
                symbol=f"∂{out}/∂{g.names[n]}",
                note=f"{paths[n]} path{'s' if paths[n] != 1 else ''} from {g.names[n]} to {out}, summed",
            )
        )
    return grad


def _graph_result(g: Graph, node: Node, at: dict[str, float], inputs: list[Node]) -> dict[str, Any]:
    """The graph command's result: value, gradient and every node's value and adjoint."""
    return {
        "expression": F.unicode(to_sympy(node)),
        "at": dict(at),
        "value": g.values[g.output],
        "gradient": {g.names[n]: g.adjoint[n] for n in inputs},
        "nodes": [
            {
                "node": g.names[n],
                "operation": "input" if n.op == "sym" else n.op,
                "inputs": list(dict.fromkeys(g.names[c] for c in _inputs(n) if c in g.names)),
                "value": g.values[n],
                "adjoint": g.adjoint[n],
            }
            for n in g.nodes
        ],
    }
