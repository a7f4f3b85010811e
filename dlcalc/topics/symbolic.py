"""``--symbolic`` for ``forward`` and ``backprop``: the derivation in symbols, then the numbers.

The network is written as SymPy formulas (net_u = Σ w·in + b, out_u = f(net_u), E as
the loss of the outputs).  Every factor of the chain rule (∂E/∂out, ∂out/∂net,
∂net/∂w, ∂net/∂out) is found by SymPy differentiating those formulas, then written in
the network's own quantities (σ(net_o1) becomes out_o1).  For each weight the
gradient is the product of its factors, and for a hidden weight the sum over every
path to the loss; the numbers substituted equal the numeric backward pass.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import sympy

from dlcalc.maths import functions as F
from dlcalc.maths.numerics import LOSS, rounder
from dlcalc.model.formula import Name, Neg, Node, Partial, Q, Symbol, product, q, total
from dlcalc.model.steps import Section, Solution, Step
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network import Network, run_pass

MAX_PATHS = 8  # beyond this many paths a gradient is shown factored only


def _s(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def activation(name: str, z: sympy.Expr, alpha: float) -> sympy.Expr:
    """The activation as a SymPy formula of its net input (its definition, not its slope)."""
    if name == "sigmoid":
        return F.sigmoid(z)
    if name == "tanh":
        return sympy.tanh(z)
    if name == "relu":
        return F.relu(z)
    if name == "softplus":
        return F.softplus(z)
    if name == "leaky_relu":
        return sympy.Piecewise((z, z > 0), (sympy.nsimplify(alpha) * z, True))
    if name == "linear":
        return z
    raise ValueError(name)


def loss_formula(name: str, t: list[sympy.Symbol], out: list[sympy.Symbol]) -> sympy.Expr:
    """E for one example, as in the contract (natural log)."""
    n = len(t)
    half = sympy.Rational(1, 2)
    if name == "half_sse":
        return sympy.Add(*(half * (tk - ok) ** 2 for tk, ok in zip(t, out)))
    if name == "sse":
        return sympy.Add(*((tk - ok) ** 2 for tk, ok in zip(t, out)))
    if name == "mse":
        return sympy.Add(*((tk - ok) ** 2 for tk, ok in zip(t, out))) / n
    if name == "bce":
        return -sympy.Add(
            *(tk * sympy.log(ok) + (1 - tk) * sympy.log(1 - ok) for tk, ok in zip(t, out))
        )
    if name == "cross_entropy":
        return -sympy.Add(*(tk * sympy.log(ok) for tk, ok in zip(t, out)))
    raise ValueError(name)


# --- products and sums of factors, printed in chain order -------------------------------------


@dataclass
class Prod:
    items: list


@dataclass
class Sum:
    items: list


def _tree(node: object, leaves: dict[sympy.Symbol, Q], first: list[sympy.Symbol]) -> Node:
    """A product or sum of factors (or one SymPy expression) as a formula tree, in chain order."""
    if isinstance(node, Prod):
        factors = [_tree(item, leaves, first) for item in node.items]
        negative = False
        for k, f in enumerate(factors):  # signs go in front: −(t1 − out_o1) × out_o1 × …
            if isinstance(f, Neg):
                factors[k] = f.operand
                negative = not negative
        if negative:
            factors[0] = Neg(factors[0])
        return product(factors, "·")
    if isinstance(node, Sum):
        out: Node | None = None
        for item in node.items:
            tree = _tree(item, leaves, first)
            positive = F.negated(tree)
            if out is None:
                out = tree
            elif positive is not None:  # a + −b × c is written a − b × c
                out = out - positive
            else:
                out = out + tree
        assert out is not None
        return out
    return F.to_tree(node, leaves, first)


def symbol_of(text: str) -> Symbol:
    """A symbol written as text as a structured name: ∂E/∂out_o1, δ_o1, out_h1, w5, t1."""
    if text.startswith("∂") and "/∂" in text:
        of, wrt = text[1:].split("/∂", 1)
        return Partial(_name(of), _name(wrt))
    assert isinstance(name := _name(text), Name)
    return name


def _name(text: str) -> Name:
    if "_" in text:
        base, sub = text.split("_", 1)
        return Name(base, sub, label_sub=True)
    numbered = re.fullmatch(r"([^\W\d_]+)(\d+)", text)
    return Name(numbered[1], numbered[2]) if numbered else Name(text)


def _value(node: object, values: dict[sympy.Symbol, float]) -> float:
    if isinstance(node, Prod):
        return math.prod(_value(i, values) for i in node.items)
    if isinstance(node, Sum):
        return math.fsum(_value(i, values) for i in node.items)
    return F.number(node, values)


class Symbolic:
    """The symbolic derivation of one example's loss and gradients."""

    def __init__(self, spec: NetworkProblem, example: int = 0) -> None:
        self.net = net = Network.from_problem(spec)
        self.loss = LOSS[spec.loss]
        ex = spec.example_list()[example]
        x = np.array(ex.input, dtype=float)
        t = None if ex.target is None else np.array(ex.target, dtype=float)
        self.pass_ = p = run_pass(
            net, net.weights, net.biases, x, t, self.loss, rounder(None), backward=t is not None
        )
        self.x = [_s(n) for n in net.inputs]
        self.w = [[[_s(lbl) for lbl in row] for row in layer] for layer in net.weight_labels]
        self.b = [[_s(f"b_{u}") for u in units] for units in net.units]
        self.nets = [[_s(f"net_{u}") for u in units] for units in net.units]
        self.outs = [[_s(f"out_{u}") for u in units] for units in net.units]
        self.t = [_s(f"t{k + 1}") for k in range(len(net.units[-1]))]
        v: dict[sympy.Symbol, float] = {}
        for s, value in zip(self.x, x):
            v[s] = float(value)
        for layer in range(len(net.units)):
            for j in range(len(net.units[layer])):
                v[self.b[layer][j]] = float(net.biases[layer][j])
                v[self.nets[layer][j]] = float(p.nets[layer][j])
                v[self.outs[layer][j]] = float(p.outs[layer][j])
                for i in range(net.weights[layer].shape[1]):
                    v[self.w[layer][j][i]] = float(net.weights[layer][j, i])
        if t is not None:
            for s, value in zip(self.t, t):
                v[s] = float(value)
        self.values = v
        self.shown: dict[str, str] = {}  # step label -> how it is written (∂E/∂out_o1)
        # labels of the numeric steps each symbol stands for
        self.labels = {s: s.name for s in v}
        for k, u in enumerate(net.units[-1]):
            self.labels[self.t[k]] = f"t_{u}"
        self.leaves = {s: q(self.labels[s], value, _name(s.name)) for s, value in v.items()}

    def feeding(self, layer: int) -> list[sympy.Symbol]:
        return self.x if layer == 0 else self.outs[layer - 1]

    def net_formula(self, layer: int, j: int) -> sympy.Expr:
        ins = self.feeding(layer)
        return (
            sympy.Add(*(self.w[layer][j][i] * ins[i] for i in range(len(ins)))) + self.b[layer][j]
        )

    def out_formula(self, layer: int, j: int) -> sympy.Expr:
        act = self.net.activations[layer]
        if not act.elementwise:
            nets = self.nets[layer]
            return sympy.exp(nets[j]) / sympy.Add(*(sympy.exp(n) for n in nets))
        return activation(act.name, self.nets[layer][j], self.net.alphas[layer])

    def in_outs(self, layer: int, expr: sympy.Expr) -> sympy.Expr:
        """Write ``expr`` with the layer's outputs: f(net_u) → out_u (softmax: e^(net_u) = out_u·Σ)."""
        act = self.net.activations[layer]
        if act.elementwise:
            return expr.subs(
                {
                    self.out_formula(layer, j): self.outs[layer][j]
                    for j in range(len(self.outs[layer]))
                }
            )
        scale = sympy.Dummy("S", positive=True)
        outs = self.outs[layer]
        expr = expr.subs({sympy.exp(n): o * scale for n, o in zip(self.nets[layer], outs)})
        expr = expr.subs(sympy.Add(*(o * scale for o in outs)), scale)
        return sympy.factor(sympy.simplify(expr))

    def E(self) -> sympy.Expr:
        return loss_formula(self.loss.name, self.t, self.outs[-1])

    # --- worked steps ---------------------------------------------------------------------

    def step(self, label: str, shown: str, expr: object, note: str | None = None) -> Step:
        """A step whose formula is ``expr`` in symbols and whose substitution is in numbers."""
        tree = _tree(expr, self.leaves, self.t)
        self.shown[label] = shown.split(" = ")[-1]
        return Step(
            f"symbolic:{label}", _value(expr, self.values), symbol=shown, expr=tree, note=note
        )

    def chain(
        self, label: str, shown: str, terms: list[list[tuple[str, float]]], note: str | None = None
    ) -> Step:
        """∂E/∂out · ∂out/∂net · … in factor names, then their values."""
        tree = total(
            [
                product(
                    [
                        q(f"symbolic:{name}", value, symbol_of(self.shown.get(name, name)))
                        for name, value in term
                    ],
                    "·",
                )
                for term in terms
            ]
        )
        value = math.fsum(math.prod(v for _, v in term) for term in terms)
        return Step(f"symbolic:{label}:chain", value, symbol=shown, expr=tree, note=note)


def forward_sections(sym: Symbolic) -> list[Section]:
    """The network as formulas, E as a function of its outputs."""
    net = sym.net
    section = Section("Symbolic · the network as formulas")
    for layer, units in enumerate(net.units):
        for j, u in enumerate(units):
            ins = sym.feeding(layer)
            written = Sum(
                [*(Prod([sym.w[layer][j][i], s]) for i, s in enumerate(ins)), sym.b[layer][j]]
            )
            section.add(sym.step(f"net_{u}", f"net_{u}", written))
            out = sym.out_formula(layer, j)
            step = sym.step(f"out_{u}", f"out_{u}", out)
            step.value = sym.values[sym.outs[layer][j]]
            section.add(step)
    sections = [section]
    if sym.pass_.t is not None:
        loss = Section(f"Symbolic · the loss ({sym.loss.name})")
        loss.add(
            sym.step("E", "E", sym.E(), note="E as a function of the outputs and targets t1, t2, …")
        )
        sections.append(loss)
    return sections


Chain = list[tuple[str, float]]  # one path of chain-rule factors to E: (label, value) each


def backward_sections(sym: Symbolic) -> tuple[list[Section], list[list[list[float]]]]:
    """Every ∂E/∂w by the chain rule in symbols; returns the sections and the gradients."""
    n_layers = len(sym.net.units)
    E = sym.E()
    delta: list[list[object]] = [[] for _ in range(n_layers)]  # ∂E/∂net as a tree of factors
    dvalue: list[list[float]] = [[] for _ in range(n_layers)]
    paths: list[list[list[Chain]]] = [[] for _ in range(n_layers)]  # per unit: chains to E
    grads: list[list[list[float]]] = [[] for _ in range(n_layers)]
    sections: list[Section] = []
    for layer in reversed(range(n_layers)):
        units = sym.net.units[layer]
        kind = "output" if layer == n_layers - 1 else "hidden"
        section = Section(f"Symbolic · {kind} layer ({', '.join(units)}): ∂E/∂w by the chain rule")
        douts, dout_paths = _output_gradients(sym, E, layer, section, delta, dvalue, paths)
        paths[layer] = _deltas(sym, layer, section, douts, dout_paths, delta, dvalue)
        grads[layer] = _weight_gradients(sym, layer, section, delta, paths[layer])
        sections.insert(0, section)
    sections.reverse()
    return sections, grads


def _output_gradients(
    sym: Symbolic,
    E: object,
    layer: int,
    section: Section,
    delta: list[list[object]],
    dvalue: list[list[float]],
    paths: list[list[list[Chain]]],
) -> tuple[list[object], list[list[Chain]]]:
    """∂E/∂out of each unit of ``layer`` (from the loss ``E``, or summed over the units it
    feeds) and the chains of factors that lead from it to E."""
    net = sym.net
    n_layers = len(net.units)
    units = net.units[layer]
    douts: list[object] = []
    dout_paths: list[list[list[tuple[str, float]]]] = []
    for j, u in enumerate(units):
        o = sym.outs[layer][j]
        if layer == n_layers - 1:
            d = sympy.diff(E, o)
            section.add(
                sym.step(f"dE_dout_{u}", f"∂E/∂out_{u}", d, note="SymPy: ∂E/∂out of the loss")
            )
            douts.append(d)
            dout_paths.append([[(f"dE_dout_{u}", _value(d, sym.values))]])
        else:
            terms: list[object] = []
            chains: list[list[tuple[str, float]]] = []
            for k, v in enumerate(net.units[layer + 1]):
                link = sympy.diff(sym.net_formula(layer + 1, k), o)
                section.add(
                    sym.step(f"dnet_{v}_dout_{u}", f"∂net_{v}/∂out_{u}", link, note="SymPy")
                )
                terms.append(
                    Prod([delta[layer + 1][k], link]) if link != 1 else delta[layer + 1][k]
                )
                for path in paths[layer + 1][k]:
                    chains.append([*path, (f"dnet_{v}_dout_{u}", _value(link, sym.values))])
            tree: Sum | Prod = Sum(terms)
            section.add(
                sym.chain(
                    f"dE_dout_{u}",
                    f"∂E/∂out_{u}",
                    [
                        [
                            (f"delta_{v}", dvalue[layer + 1][k]),
                            (
                                f"dnet_{v}_dout_{u}",
                                _value(sympy.diff(sym.net_formula(layer + 1, k), o), sym.values),
                            ),
                        ]
                        for k, v in enumerate(net.units[layer + 1])
                    ],
                    note=f"summed over the {len(net.units[layer + 1])} units it feeds",
                )
            )
            section.add(sym.step(f"dE_dout_{u}", f"∂E/∂out_{u}", tree))
            douts.append(tree)
            dout_paths.append(chains)
    return douts, dout_paths


def _deltas(
    sym: Symbolic,
    layer: int,
    section: Section,
    douts: list[object],
    dout_paths: list[list[Chain]],
    delta: list[list[object]],
    dvalue: list[list[float]],
) -> list[list[Chain]]:
    """δ = ∂E/∂net of each unit of ``layer`` (appended to ``delta`` and ``dvalue``); returns
    each unit's chains of factors to E."""
    net = sym.net
    n_layers = len(net.units)
    units, act = net.units[layer], net.activations[layer]
    unit_paths: list[list[list[tuple[str, float]]]] = []
    for j, u in enumerate(units):
        n_ = sym.nets[layer][j]
        if act.elementwise:
            slope = sym.in_outs(layer, sympy.diff(sym.out_formula(layer, j), n_))
            section.add(
                sym.step(
                    f"dout_{u}_dnet_{u}",
                    f"∂out_{u}/∂net_{u}",
                    slope,
                    note=f"SymPy: d/dnet of {F.unicode(sym.out_formula(layer, j))}, in terms of out_{u}",
                )
            )
            sv = _value(slope, sym.values)
            delta[layer].append(Prod([douts[j], slope]) if slope != 1 else douts[j])
            section.add(
                sym.chain(
                    f"delta_{u}",
                    f"δ_{u} = ∂E/∂net_{u}",
                    [
                        [
                            (f"dE_dout_{u}", _value(douts[j], sym.values)),
                            (f"dout_{u}_dnet_{u}", sv),
                        ]
                    ],
                )
            )
            unit_paths.append([[*path, (f"dout_{u}_dnet_{u}", sv)] for path in dout_paths[j]])
        else:
            softmax_terms: list[Prod] = []
            chain_terms = []
            chains = []
            for k, v in enumerate(units):
                jac = sym.in_outs(layer, sympy.diff(sym.out_formula(layer, k), n_))
                section.add(
                    sym.step(
                        f"dout_{v}_dnet_{u}",
                        f"∂out_{v}/∂net_{u}",
                        jac,
                        note="SymPy: softmax Jacobian, in terms of the outputs",
                    )
                )
                jv = _value(jac, sym.values)
                softmax_terms.append(Prod([douts[k], jac]))
                chain_terms.append(
                    [(f"dE_dout_{v}", _value(douts[k], sym.values)), (f"dout_{v}_dnet_{u}", jv)]
                )
                chains += [[*path, (f"dout_{v}_dnet_{u}", jv)] for path in dout_paths[k]]
            tree = Sum(softmax_terms)
            section.add(
                sym.chain(
                    f"delta_{u}",
                    f"δ_{u} = ∂E/∂net_{u}",
                    chain_terms,
                    note="softmax: every output depends on every net input",
                )
            )
            section.add(sym.step(f"delta_{u}:sum", f"δ_{u}", tree))
            delta[layer].append(tree)
            if (
                layer == n_layers - 1
            ):  # SymPy simplifies the sum: softmax + cross-entropy gives out − t
                flat = sympy.Add(*(sympy.Mul(*item.items) for item in softmax_terms))
                simple = sympy.factor(sympy.simplify(flat))
                note = "simplified by SymPy"
                if abs(sum(sym.values[t] for t in sym.t) - 1.0) < 1e-12:
                    others = sympy.Add(*sym.t[:-1])
                    simple = sympy.simplify(simple.subs(sym.t[-1], 1 - others))
                    simple = simple.subs(others, 1 - sym.t[-1]) if simple.has(others) else simple
                    note += f" with the targets summing to 1 ({sym.t[-1].name} = 1 − the others)"
                delta[layer][j] = simple
            unit_paths.append(chains)
        section.add(
            sym.step(
                f"delta_{u}", f"δ_{u}", delta[layer][j], note=None if act.elementwise else note
            )
        )
        dvalue[layer].append(_value(delta[layer][j], sym.values))
    return unit_paths


def _weight_gradients(
    sym: Symbolic,
    layer: int,
    section: Section,
    delta: list[list[object]],
    unit_paths: list[list[Chain]],
) -> list[list[float]]:
    """∂E/∂w of every weight into ``layer`` = δ × ∂net/∂w, with its paths; the gradient rows."""
    net = sym.net
    n_layers = len(net.units)
    units = net.units[layer]
    rows: list[list[float]] = []
    feeding = sym.feeding(layer)
    for j, u in enumerate(units):
        row = []
        for i in range(len(feeding)):
            w = sym.w[layer][j][i]
            local = sympy.diff(sym.net_formula(layer, j), w)
            section.add(sym.step(f"dnet_{u}_d{w.name}", f"∂net_{u}/∂{w.name}", local, note="SymPy"))
            lv = _value(local, sym.values)
            chains = [[*path, (f"dnet_{u}_d{w.name}", lv)] for path in unit_paths[j]]
            if layer < n_layers - 1 and len(chains) <= MAX_PATHS:
                section.add(
                    sym.chain(
                        f"dE_d{w.name}",
                        f"∂E/∂{w.name}",
                        chains,
                        note=f"the sum over all {len(chains)} paths from {w.name} to E",
                    )
                )
            elif layer == n_layers - 1 and len(chains) == 1:
                section.add(sym.chain(f"dE_d{w.name}", f"∂E/∂{w.name}", chains))
            tree = Prod([delta[layer][j], local])
            gradient = sym.step(
                f"dE_d{w.name}",
                f"∂E/∂{w.name}",
                tree,
                note="in the network's quantities"
                + ("" if len(chains) <= MAX_PATHS else f" ({len(chains)} paths, factored)"),
            )
            section.add(gradient)
            row.append(gradient.value)
        rows.append(row)
    return rows


def add_symbolic(solution: Solution, spec: NetworkProblem, training: bool) -> Solution:
    """``solution`` with the symbolic derivation (first example, exact values) in front."""
    sym = Symbolic(spec)
    sections = forward_sections(sym)
    if training:
        grads_sections, grads = backward_sections(sym)
        sections += grads_sections
        solution.result["symbolic"] = {"grad_weights": grads}
    if len(spec.example_list()) > 1:
        sections[0].items.insert(0, "The symbolic derivation is shown for the first example.")
    solution.sections[:0] = sections
    return solution
