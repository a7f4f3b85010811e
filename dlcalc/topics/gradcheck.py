"""Numerical gradient checking: backprop's gradient beside central differences, weight by weight.

For every weight and bias w (in the order of backprop's final-parameters table) the cost E
of the problem's examples (their mean loss, plus the regularization penalty where the
problem has one) is computed with w nudged up and down by ε, and

    g̃ = (E(w + ε) − E(w − ε))/(2ε),   relative error = |g − g̃| / (|g| + |g̃|),

as in Andrew Ng's course: below 1e-7 the analytic gradient is right; above 1e-3 it is wrong.
Everything runs in float64 (no --carry: rounding E to a few decimals would swamp a
difference of order ε).
"""

from __future__ import annotations

import numpy as np

from dlcalc.maths.numerics import LOSS
from dlcalc.model.formula import TWO, Name, Node, Num, Partial, q
from dlcalc.model.steps import Section, Solution, Step, Table
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network import labels as L
from dlcalc.topics.network.engine import Array, Network, run_pass

DEFAULT_EPSILON = 1e-4
FLOOR = 1e-12  # the relative error's denominator is at least this (both gradients 0)

# (upper bound of the relative error, verdict), Ng's thresholds
VERDICTS = (
    (1e-7, "correct: the analytic gradient agrees with the numeric one"),
    (1e-5, "probably correct (typical near a kink such as relu at 0, or with a large ε)"),
    (1e-3, "suspicious: look for a bug, or a kink the nudge crosses"),
)
WRONG = "wrong: the analytic gradient does not match the numeric one"


def verdict(relative_error: float) -> str:
    for bound, text in VERDICTS:
        if relative_error <= bound:
            return text
    return WRONG


def _identity(x: object) -> object:
    return x


class Cost:
    """E(w): the mean loss over the examples plus the problem's penalty, and its gradient."""

    def __init__(self, spec: NetworkProblem, net: Network) -> None:
        self.spec = spec
        self.net = net
        self.loss = LOSS[spec.loss]
        self.examples = [
            (np.array(e.input, dtype=float), np.array(e.target, dtype=float))
            for e in spec.example_list()
        ]
        self.dropout = net.masks is not None
        reg = spec.regularization
        self.reg = reg
        self.m = (reg.examples or len(self.examples)) if reg is not None else len(self.examples)
        # backprop's weight decay λ·w is the gradient of (λ/2)·Σw² (not AdamW's: decoupled)
        self.decay = spec.weight_decay if spec.optimizer != "adamw" else 0.0

    def _decayed(self, weights: list[Array], biases: list[Array]) -> list[Array]:
        return weights + (biases if self.spec.decay_bias else [])

    def data_loss(self, weights: list[Array], biases: list[Array]) -> float:
        losses = [
            run_pass(
                self.net, weights, biases, x, t, self.loss, _identity, backward=False,
                dropout=self.dropout,
            ).loss
            for x, t in self.examples
        ]  # fmt: skip
        return float(np.mean([float(v) for v in losses if v is not None]))

    def penalty(self, weights: list[Array], biases: list[Array]) -> float:
        arrays = self._decayed(weights, biases)
        total = 0.0
        if self.reg is not None:
            if self.reg.kind == "l2":
                total += self.reg.lambda_ / (2 * self.m) * sum(float(np.sum(a * a)) for a in arrays)
            else:
                total += self.reg.lambda_ / self.m * sum(float(np.sum(np.abs(a))) for a in arrays)
        if self.decay:
            total += self.decay / 2 * sum(float(np.sum(a * a)) for a in arrays)
        return total

    def __call__(self, weights: list[Array], biases: list[Array]) -> float:
        return self.data_loss(weights, biases) + self.penalty(weights, biases)

    def data_gradient(self, weights: list[Array], biases: list[Array]) -> tuple[list, list]:
        """backprop's ∂E/∂w and ∂E/∂b, the mean over the examples."""
        passes = [
            run_pass(
                self.net, weights, biases, x, t, self.loss, _identity, backward=True,
                dropout=self.dropout,
            )
            for x, t in self.examples
        ]  # fmt: skip
        n = len(weights)
        gw = [np.mean([p.grad_w[i] for p in passes], axis=0) for i in range(n)]
        gb = [np.mean([p.grad_b[i] for p in passes], axis=0) for i in range(n)]
        return gw, gb

    def term(self, value: float) -> float:
        """The penalty's share of ∂E/∂w for a parameter of this value."""
        out = 0.0
        if self.reg is not None:
            scale = self.reg.lambda_ / self.m
            out += scale * (value if self.reg.kind == "l2" else float(np.sign(value)))
        return out + self.decay * value


def solve_gradcheck(spec: NetworkProblem, epsilon: float = DEFAULT_EPSILON) -> Solution:
    """Every parameter's analytic and numeric gradient and their relative error; a verdict."""
    net = Network.from_problem(spec)
    cost = Cost(spec, net)
    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    gw, gb = cost.data_gradient(weights, biases)
    penalised = cost.reg is not None or bool(cost.decay)
    of = "J" if penalised else "E"
    eps_q = q("epsilon", epsilon, Name("ε"))

    intro = Section(f"Gradient checking (central differences, ε = {epsilon:g})")
    cost_text = "the mean loss over the examples" if len(cost.examples) > 1 else "the loss"
    if cost.reg is not None:
        form = "λ/(2m)·Σw²" if cost.reg.kind == "l2" else "λ/m·Σ|w|"
        cost_text += (
            f" plus the {cost.reg.kind} penalty {form} (λ = {cost.reg.lambda_:g}, m = {cost.m})"
        )
    if cost.decay:
        cost_text += f" plus the weight-decay penalty (λ/2)·Σw² (λ = {cost.decay:g})"
    intro.add(f"{of}: {cost_text}.")
    intro.add(
        f"For each parameter w: {of}⁺ = {of}(w + ε) and {of}⁻ = {of}(w − ε) with every other "
        f"parameter unchanged; the numeric gradient g̃ = ({of}⁺ − {of}⁻)/(2ε) approximates "
        f"∂{of}/∂w with an error of order ε²."
    )
    intro.add(
        "relative error = |g − g̃| / (|g| + |g̃|): below 1e-7 the backprop gradient is right, "
        "1e-7 … 1e-5 usually fine, 1e-5 … 1e-3 suspicious, above 1e-3 wrong (Ng's rule of thumb)."
    )
    sections = [intro]
    entries: list[dict] = []
    rows: list[list] = []
    for layer in range(len(weights)):
        units = net.units[layer]
        section = Section(f"Layer {layer + 1} ({', '.join(units)})")
        for j, u in enumerate(units):
            params: list[tuple[str, Name, tuple[int, ...], list[Array], list[Array]]] = [
                (
                    net.weight_labels[layer][j][i],
                    L.weight_name(net.weight_labels[layer][j][i]),
                    (j, i),
                    weights,
                    gw,
                )
                for i in range(weights[layer].shape[1])
            ]
            params.append((L.bias(u), L.bias_name(u), (j,), biases, gb))
            for label, name, index, arrays, grads in params:
                is_weight = arrays is weights
                original = float(arrays[layer][index])

                plus = _nudged(cost, weights, biases, arrays[layer], index, original + epsilon)
                minus = _nudged(cost, weights, biases, arrays[layer], index, original - epsilon)
                data = float(grads[layer][index])
                penal = is_weight or spec.decay_bias
                analytic = data + (cost.term(original) if penal else 0.0)
                steps, numeric, relative = _parameter_steps(
                    label, name, of, data, analytic, original, plus, minus, eps_q, cost, penal
                )
                for step in steps:
                    section.add(step)
                entries.append(
                    {
                        "name": label,
                        "analytic": analytic,
                        "numeric": numeric,
                        "relative_error": relative,
                    }
                )
                rows.append([label, analytic, numeric, relative, verdict(relative).split(":")[0]])
        sections.append(section)

    worst = max(e["relative_error"] for e in entries)
    summary = Section("Verdict")
    summary.add(Table(["parameter", "backprop g", "numeric g̃", "relative error", "verdict"], rows))
    summary.add(f"Largest relative error {worst:.3g}: {verdict(worst)}.")
    for note in kink_notes(spec, net, cost, epsilon):
        summary.add(note)
    sections.append(summary)

    result: dict = {
        "epsilon": epsilon,
        "loss": cost.data_loss(weights, biases),
        "parameters": entries,
        "max_relative_error": worst,
        "verdict": verdict(worst),
    }
    if penalised:
        result["penalty"] = cost.penalty(weights, biases)
        result["cost"] = cost(weights, biases)
    return Solution("gradcheck", sections, result, title=spec.title, source=spec.source)


def _nudged(
    cost: Cost,
    weights: list[Array],
    biases: list[Array],
    array: Array,
    index: tuple[int, ...],
    value: float,
) -> float:
    """The cost with one parameter set to ``value`` (``array`` is put back afterwards)."""
    original = float(array[index])
    array[index] = value
    try:
        return cost(weights, biases)
    finally:
        array[index] = original


def _parameter_steps(
    label: str,
    name: Name,
    of: str,
    data: float,
    analytic: float,
    value: float,
    plus: float,
    minus: float,
    eps_q: object,
    cost: Cost,
    penal: bool,
) -> tuple[list[Step], float, float]:
    """E⁺, E⁻, their difference, g̃, backprop's g and the relative error of one parameter."""
    from dlcalc.model.formula import Q, call

    assert isinstance(eps_q, Q)
    steps: list[Step] = []
    shown = f"{label} = {value:.6g}".replace("-", "−")
    e_plus = q(f"{of}_plus_{label}", plus, Name(of, label, "+", label_sub=True))
    e_minus = q(f"{of}_minus_{label}", minus, Name(of, label, "−", label_sub=True))
    steps.append(
        Step(e_plus.label, plus, name=e_plus.symbol, note=f"{of} with {shown} + ε (a forward pass)")
    )
    steps.append(Step(e_minus.label, minus, name=e_minus.symbol, note=f"{of} with {shown} − ε"))
    diff_expr: Node = e_plus - e_minus
    diff = q(
        f"{of}_diff_{label}", float(diff_expr.evaluate()), Name(f"Δ{of}", label, label_sub=True)
    )
    steps.append(
        Step(diff.label, diff.value, name=diff.symbol, expr=diff_expr,
             note=f"{of}⁺ and {of}⁻ differ only in late digits (--decimals 10 shows them)")
    )  # fmt: skip
    numeric_expr: Node = diff / (TWO * eps_q)
    numeric = float(numeric_expr.evaluate())
    g_num = q(f"numeric_{label}", numeric, Name("g", label, accent="tilde", label_sub=True))
    steps.append(
        Step(g_num.label, numeric, name=g_num.symbol, expr=numeric_expr, note="central difference")
    )
    data_q = q(L.gradient("E", label), data, Partial(Name("E"), name))
    steps.append(
        Step(data_q.label, data, name=data_q.symbol, note="backprop (mean over the examples)")
    )
    g_an = data_q
    if penal and of == "J":
        from dlcalc.topics import training_steps as T

        w_q = q(label, value, name)
        if cost.reg is not None:
            expr = T.reg_gradient_expr(cost.reg, cost.m, data_q, w_q)
        else:
            expr = data_q + q("weight_decay", cost.decay, Name("λ")) * w_q
        g_an = q(L.gradient("J", label), analytic, Partial(Name("J"), name))
        steps.append(Step(g_an.label, analytic, name=g_an.symbol, expr=expr))
    elif of == "J":  # a bias without the penalty: ∂J/∂b = ∂E/∂b
        g_an = q(L.gradient("E", label), analytic, Partial(Name("E"), name))
    size = call("abs", g_an) + call("abs", g_num)
    if abs(analytic) + abs(numeric) < FLOOR:
        size = call("max", size, Num(FLOOR))
    rel_expr = call("abs", g_an - g_num) / size
    relative = float(rel_expr.evaluate())
    rel = Name("relative error", label, label_sub=True)
    steps.append(
        Step(f"relative_error_{label}", relative, name=rel, expr=rel_expr, note=verdict(relative))
    )
    return steps, numeric, relative


def kink_notes(spec: NetworkProblem, net: Network, cost: Cost, epsilon: float) -> list[str]:
    """Where a nudge of ±ε can cross a kink (relu at 0, |w| of l1 at 0): the check is unreliable there."""
    notes = []
    for layer, act in enumerate(net.activations):
        if act.name not in ("relu", "leaky_relu"):
            continue
        near: list[str] = []
        for x, t in cost.examples:
            p = run_pass(net, net.weights, net.biases, x, t, cost.loss, _identity, backward=False)
            fed = np.abs(p.x if layer == 0 else p.outs[layer - 1])
            reach = epsilon * (1.0 + float(np.sum(fed)))  # how far one nudge can move a net input
            for j, u in enumerate(net.units[layer]):
                if abs(float(p.nets[layer][j])) <= reach and f"net_{u}" not in near:
                    near.append(f"net_{u}")
        if near:
            notes.append(
                f"Kink: {', '.join(near)} is within ε of 0, where {act.name} bends; a nudge crosses "
                "the kink, so the numeric gradient there is not the derivative (the check is unreliable)."
            )
    if cost.reg is not None and cost.reg.kind == "l1":
        zero = [
            net.weight_labels[layer][j][i]
            for layer, w in enumerate(net.weights)
            for j in range(w.shape[0])
            for i in range(w.shape[1])
            if abs(float(w[j, i])) <= epsilon
        ]
        if zero:
            notes.append(
                f"Kink: |w| of the l1 penalty bends at 0, and {', '.join(zero)} is within ε of it; "
                "the check is unreliable for these weights (sign(0) = 0 is a convention)."
            )
    return notes
