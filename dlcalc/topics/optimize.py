"""Optimizer steps worked out by hand: SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW.

:func:`apply` is the engine: one update of a parameter array from its gradient, the
optimizer's state carried in a dict (``backprop`` uses it for every weight matrix).
:func:`update_steps` writes one parameter's update as steps (``m₁ = β₁ × m₀ + (1 − β₁) × g₁``),
and :func:`solve_optimize` runs the ``optimize`` command: a loss given as an expression
(its gradient derived by SymPy from the safe parser's tree) or the gradients given per step.

Conventions (the contract's): momentum v = μv + g, w −= ηv; Nesterov w −= η(g + μv);
ε is added outside the square root; weight decay is L2 (g += λw) except for AdamW,
which decays the weights directly (w −= ηλw).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcalc.errors import InputError
from dlcalc.numerics import rounder
from dlcalc.steps import Arg, Section, Solution, Step, Table

if TYPE_CHECKING:
    from dlcalc.expressions import Node
    from dlcalc.specs.optimize import OptimizeProblem

Array = np.ndarray
Round = Callable[[Any], Any]
FULL_STEPS = 3  # runs of at most this many steps are written out in full
MAX_WRITTEN = 200  # --every-step writes out runs of at most this many steps

# The state each optimizer carries from step to step, by its result name.
STATE: dict[str, tuple[str, ...]] = {
    "sgd": (),
    "momentum": ("velocity",),
    "nesterov": ("velocity",),
    "adagrad": ("accumulator",),
    "rmsprop": ("v",),
    "adam": ("m", "v"),
    "adamw": ("m", "v"),
}
RULES: dict[str, list[str]] = {
    "sgd": ["w_t = w_(t−1) − η·g_t"],
    "momentum": ["v_t = μ·v_(t−1) + g_t", "w_t = w_(t−1) − η·v_t"],
    "nesterov": ["v_t = μ·v_(t−1) + g_t", "w_t = w_(t−1) − η·(g_t + μ·v_t)"],
    "adagrad": ["a_t = a_(t−1) + g_t²", "w_t = w_(t−1) − η·g_t/(√a_t + ε)"],
    "rmsprop": ["r_t = ρ·r_(t−1) + (1 − ρ)·g_t²", "w_t = w_(t−1) − η·g_t/(√r_t + ε)"],
    "adam": [
        "m_t = β₁·m_(t−1) + (1 − β₁)·g_t",
        "v_t = β₂·v_(t−1) + (1 − β₂)·g_t²",
        "m̂_t = m_t/(1 − β₁^t),  v̂_t = v_t/(1 − β₂^t)",
        "w_t = w_(t−1) − η·m̂_t/(√v̂_t + ε)",
    ],
    "adamw": [
        "m_t = β₁·m_(t−1) + (1 − β₁)·g_t",
        "v_t = β₂·v_(t−1) + (1 − β₂)·g_t²",
        "m̂_t = m_t/(1 − β₁^t),  v̂_t = v_t/(1 − β₂^t)",
        "w_t = w_(t−1) − η·(m̂_t/(√v̂_t + ε) + λ·w_(t−1))  (decoupled weight decay)",
    ],
}


@dataclass(frozen=True)
class Hyper:
    """An optimizer and its hyper-parameters (defaults as in the contract)."""

    optimizer: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.9
    epsilon: float = 1e-7
    weight_decay: float = 0.0

    @property
    def l2(self) -> bool:
        """Weight decay added to the gradient (every optimizer but AdamW, which decouples it)."""
        return self.weight_decay != 0 and self.optimizer != "adamw"

    @property
    def plain(self) -> bool:
        """Plain gradient descent, w −= η·g, with no decay at all."""
        return self.optimizer == "sgd" and self.weight_decay == 0

    def rules(self) -> list[str]:
        rules = list(RULES[self.optimizer])
        if self.l2:
            rules.insert(0, "g_t = ∇f(w_(t−1)) + λ·w_(t−1)  (L2 weight decay)")
        return rules


@dataclass
class Update:
    """One update of a parameter array: its gradient, the optimizer's state after it, the new weights."""

    gradient: Array  # ∇f(w_(t−1)), without the weight-decay term
    total: Array  # the gradient the optimizer uses: with λ·w for L2 decay
    state: dict[str, Array]  # velocity, accumulator, m, v, m_hat, v_hat (by result name)
    weights: Array


def new_state(h: Hyper, shape: tuple[int, ...]) -> dict[str, Array]:
    """The optimizer's state before the first step: zeros."""
    return {name: np.zeros(shape) for name in STATE[h.optimizer]}


def _denominator(root: Array, eps: float, what: str) -> Array:
    denominator = root + eps
    if np.any(denominator == 0):
        raise InputError(
            f"√{what} + ε is 0 (a gradient of 0 with epsilon 0): the update divides by zero; "
            "give epsilon above 0",
            field="epsilon",
        )
    return denominator


def apply(
    h: Hyper,
    state: dict[str, Array],
    w: Array,
    grad: Array,
    t: int,
    rnd: Round,
    *,
    decay: bool = True,
) -> Update:
    """Step ``t`` (from 1) of ``h.optimizer`` on weights ``w``; ``state`` is updated in place.

    ``decay=False`` leaves weight decay out for this array (biases, unless decay_bias).
    """
    lam = h.weight_decay if decay else 0.0
    eta, eps = h.learning_rate, h.epsilon
    w = np.asarray(w, dtype=float)
    grad = np.asarray(grad, dtype=float)
    g = rnd(grad + lam * w) if lam and h.optimizer != "adamw" else grad
    shown: dict[str, Array] = {}
    with np.errstate(all="ignore"):
        if h.optimizer == "sgd":
            new = rnd(w - eta * g)
        elif h.optimizer in ("momentum", "nesterov"):
            v = rnd(h.momentum * state["velocity"] + g)
            state["velocity"] = shown["velocity"] = v
            step = v if h.optimizer == "momentum" else rnd(g + h.momentum * v)
            new = rnd(w - eta * step)
        elif h.optimizer == "adagrad":
            a = rnd(state["accumulator"] + g * g)
            state["accumulator"] = shown["accumulator"] = a
            new = rnd(w - eta * g / _denominator(rnd(np.sqrt(a)), eps, "a_t"))
        elif h.optimizer == "rmsprop":
            r = rnd(h.rho * state["v"] + (1 - h.rho) * g * g)
            state["v"] = shown["v"] = r
            new = rnd(w - eta * g / _denominator(rnd(np.sqrt(r)), eps, "r_t"))
        else:  # adam, adamw
            m = rnd(h.beta1 * state["m"] + (1 - h.beta1) * g)
            v = rnd(h.beta2 * state["v"] + (1 - h.beta2) * g * g)
            state["m"], state["v"] = m, v
            m_hat = rnd(m / (1 - h.beta1**t))
            v_hat = rnd(v / (1 - h.beta2**t))
            shown.update(m=m, v=v, m_hat=m_hat, v_hat=v_hat)
            ratio = m_hat / _denominator(rnd(np.sqrt(v_hat)), eps, "v̂_t")
            if h.optimizer == "adamw" and lam:
                new = rnd(w - eta * (ratio + lam * w))
            else:
                new = rnd(w - eta * ratio)
    if not np.all(np.isfinite(new)):
        raise InputError(
            "the weights overflow to infinity; use a smaller learning rate or fewer steps",
            field="learning_rate",
        )
    return Update(grad, g, {k: np.array(v, dtype=float) for k, v in shown.items()}, new)


# --- writing one update as steps ------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """How the quantities of one parameter's update are named: ``m_1`` or ``m1_1``, ``m̂₁``.

    ``label(q, t)`` and ``symbol(q, t)`` for a quantity q (g, g_reg, v, a, r, m, m_hat, v_hat, w)
    at step t; ``weight`` and ``gradient`` name the weight and its gradient where they are
    quantities of another computation (``w5``, ``dE_dw5``) instead.
    """

    label: Callable[[str, int], str]
    symbol: Callable[[str, int], str]


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
HATS = {"m_hat": "m̂", "v_hat": "v̂", "g_reg": "g̃"}


def step_names(param: str | None) -> Names:
    """``m_1``, ``m̂₁`` for a single parameter; ``m1_1`` (parameter w1), ``m̂₁[w1]`` for several."""

    def label(q: str, t: int) -> str:
        if param is None:
            return f"{q}_{t}"
        index = param.removeprefix("w")
        return f"{q}{index}_{t}"

    def symbol(q: str, t: int) -> str:
        base = HATS.get(q, q) + str(t).translate(SUBSCRIPTS)
        return base if param is None else f"{base}[{param}]"

    return Names(label, symbol)


@dataclass
class Quantity:
    """The label, symbol and value of one input of an update step."""

    label: str
    symbol: str
    value: float

    def arg(self) -> Arg:
        return Arg(self.label, self.value, self.symbol)


def hyper_args(h: Hyper) -> dict[str, Arg]:
    return {
        "eta": Arg("learning_rate", h.learning_rate, "η"),
        "mu": Arg("momentum", h.momentum, "μ"),
        "beta1": Arg("beta1", h.beta1, "β₁"),
        "beta2": Arg("beta2", h.beta2, "β₂"),
        "rho": Arg("rho", h.rho, "ρ"),
        "eps": Arg("epsilon", h.epsilon, "ε"),
        "lam": Arg("weight_decay", h.weight_decay, "λ"),
    }


@dataclass
class Previous:
    """One parameter's state before step t: the labels and values the next step reads."""

    values: dict[str, Quantity] = field(default_factory=dict)


def initial_state(h: Hyper, names: Names) -> Previous:
    """m₀ = v₀ = … = 0, as givens."""
    short = {"velocity": "v", "accumulator": "a", "v": "r" if h.optimizer == "rmsprop" else "v"}
    prev = Previous()
    for key in STATE[h.optimizer]:
        q = short.get(key, key)
        prev.values[key] = Quantity(names.label(q, 0), names.symbol(q, 0), 0.0)
    return prev


def _sq(*v: float) -> float:
    return v[0] * v[0]


def update_steps(
    h: Hyper,
    t: int,
    names: Names,
    weight: Quantity,
    gradient: Quantity,
    update: Update,
    index: tuple[int, ...],
    prev: Previous,
    *,
    decay: bool = True,
    new_weight: tuple[str, str] | None = None,
) -> list[Step]:
    """The steps of one parameter's update at step ``t``: decay term, state, bias correction, weight.

    ``weight`` and ``gradient`` are the quantities the update starts from; ``update`` holds
    the engine's numbers (``index`` picks this parameter in its arrays); ``prev`` the state
    before the step, advanced here.  ``new_weight`` overrides the new weight's (label, symbol).
    """
    a = hyper_args(h)
    eta, eps, lam = a["eta"], a["eps"], a["lam"]
    steps: list[Step] = []
    w = weight.arg()
    g = gradient.arg()

    def value(array: Array) -> float:
        return float(array[index])

    if h.l2 and decay:
        label, symbol = names.label("g_reg", t), names.symbol("g_reg", t)
        steps.append(
            Step(
                label,
                value(update.total),
                "{} + {} × {}",
                (g, lam, w),
                lambda gg, ll, ww: gg + ll * ww,
                symbol=symbol,
                note="the gradient with the weight-decay term λ·w (L2)",
            )
        )
        g = Arg(label, value(update.total), symbol)

    def state_step(key: str, q: str, template: str, holes: tuple[Arg, ...], fn: Callable) -> Arg:
        number = value(update.state[key])
        label, symbol = names.label(q, t), names.symbol(q, t)
        steps.append(Step(label, number, template, holes, fn, symbol=symbol))
        prev.values[key] = Quantity(label, symbol, number)
        return Arg(label, number, symbol)

    opt = h.optimizer
    if opt == "sgd":
        template, holes, fn = "{} − {} × {}", (w, eta, g), lambda ww, e, gg: ww - e * gg
    elif opt in ("momentum", "nesterov"):
        mu = a["mu"]
        v = state_step(
            "velocity",
            "v",
            "{} × {} + {}",
            (mu, prev.values["velocity"].arg(), g),
            lambda m, vv, gg: m * vv + gg,
        )
        if opt == "momentum":
            template, holes, fn = "{} − {} × {}", (w, eta, v), lambda ww, e, vv: ww - e * vv
        else:
            template, holes = "{} − {} × ({} + {} × {})", (w, eta, g, mu, v)
            fn = lambda ww, e, gg, m, vv: ww - e * (gg + m * vv)  # noqa: E731
    elif opt == "adagrad":
        acc = state_step(
            "accumulator",
            "a",
            "{} + {}²",
            (prev.values["accumulator"].arg(), g),
            lambda aa, gg: aa + gg * gg,
        )
        template, holes = "{} − {} × {}/(√{} + {})", (w, eta, g, acc, eps)
        fn = lambda ww, e, gg, aa, ep: ww - e * gg / (math.sqrt(aa) + ep)  # noqa: E731
    elif opt == "rmsprop":
        rho = a["rho"]
        r = state_step(
            "v",
            "r",
            "{} × {} + (1 − {}) × {}²",
            (rho, prev.values["v"].arg(), rho, g),
            lambda p, rr, p2, gg: p * rr + (1 - p2) * gg * gg,
        )
        template, holes = "{} − {} × {}/(√{} + {})", (w, eta, g, r, eps)
        fn = lambda ww, e, gg, rr, ep: ww - e * gg / (math.sqrt(rr) + ep)  # noqa: E731
    else:
        b1, b2 = a["beta1"], a["beta2"]
        m = state_step(
            "m",
            "m",
            "{} × {} + (1 − {}) × {}",
            (b1, prev.values["m"].arg(), b1, g),
            lambda b, mm, b_, gg: b * mm + (1 - b_) * gg,
        )
        v = state_step(
            "v",
            "v",
            "{} × {} + (1 − {}) × {}²",
            (b2, prev.values["v"].arg(), b2, g),
            lambda b, vv, b_, gg: b * vv + (1 - b_) * gg * gg,
        )
        m_hat = _corrected(steps, names, t, "m_hat", value(update.state["m_hat"]), m, b1)
        v_hat = _corrected(steps, names, t, "v_hat", value(update.state["v_hat"]), v, b2)
        if opt == "adamw" and decay and h.weight_decay:
            template = "{} − {} × ({}/(√{} + {}) + {} × {})"
            holes = (w, eta, m_hat, v_hat, eps, lam, w)
            fn = lambda ww, e, mh, vh, ep, ll, w2: ww - e * (mh / (math.sqrt(vh) + ep) + ll * w2)  # noqa: E731
        else:
            template, holes = "{} − {} × {}/(√{} + {})", (w, eta, m_hat, v_hat, eps)
            fn = lambda ww, e, mh, vh, ep: ww - e * mh / (math.sqrt(vh) + ep)  # noqa: E731
    label, symbol = new_weight or (names.label("w", t), names.symbol("w", t))
    steps.append(Step(label, value(update.weights), template, holes, fn, symbol=symbol))
    return steps


def _corrected(
    steps: list[Step], names: Names, t: int, q: str, number: float, raw: Arg, beta: Arg
) -> Arg:
    """m̂_t = m_t/(1 − β₁^t): the bias correction of a moment estimate."""
    label, symbol = names.label(q, t), names.symbol(q, t)
    steps.append(
        Step(
            label,
            number,
            f"{{}}/(1 − {{}}^{t})",
            (raw, beta),
            lambda x, b, t=t: x / (1 - b**t),
            symbol=symbol,
        )
    )
    return Arg(label, number, symbol)


# --- the optimize command -------------------------------------------------------------------


class Gradient:
    """∇f of a loss expression: derived once by SymPy, evaluated per step in floating point."""

    def __init__(self, node: Node, names: list[str]) -> None:
        import sympy

        from dlcalc.expressions import to_sympy
        from dlcalc.topics import functions as F

        self.node = node
        self.names = names
        expr = to_sympy(node)
        if len(names) == 1:  # `w` and `w1` both name the one parameter
            expr = expr.xreplace({sympy.Symbol("w", real=True): sympy.Symbol("w1", real=True)})
        self.expr = expr
        self.symbols = [sympy.Symbol(n, real=True) for n in names]
        self.derivatives = [sympy.diff(expr, s) for s in self.symbols]
        for d in [expr, *self.derivatives]:
            if d.has(sympy.zoo) or d.has(sympy.nan) or d.has(sympy.I):
                raise InputError(
                    "the loss or its gradient is undefined or complex everywhere", field="function"
                )
        self.shown = F.unicode(expr)
        self.shown_derivatives = [F.unicode(d) for d in self.derivatives]
        self.templates = [F.template(d) for d in self.derivatives]

    def loss(self, w: list[float]) -> float:
        from dlcalc.expressions import evaluate

        values = dict(zip(self.names, w))
        if len(self.names) == 1:
            values["w"] = w[0]
        return evaluate(self.node, values)

    def at(self, w: list[float]) -> list[float]:
        env = {s: float(v) for s, v in zip(self.symbols, w)}
        out = []
        for name, d in zip(self.names, self.derivatives):
            value = _evaluate(d, env)
            if not math.isfinite(value):
                point = ", ".join(f"{n} = {v:.6g}" for n, v in zip(self.names, w))
                raise InputError(
                    f"∂f/∂{name} is undefined at {point} (outside the loss's domain, or an overflow)",
                    field="function",
                )
            out.append(value)
        return out


def _evaluate(expr: Any, env: dict[Any, float]) -> float:
    """A SymPy expression's float value: arithmetic in Python floats, other functions by SymPy."""
    import sympy

    def ev(e: Any) -> float:
        if e.is_Symbol:
            return env[e]
        if e.is_Number or e.is_NumberSymbol:
            return float(e)
        if e.is_Add:
            return math.fsum(ev(a) for a in e.args)
        if e.is_Mul:
            out = 1.0
            for a in e.args:
                out *= ev(a)
            return out
        if e.is_Pow:
            base, power = ev(e.args[0]), ev(e.args[1])
            result = base**power
            return math.nan if isinstance(result, complex) else float(result)
        fn = MATH.get(type(e).__name__)
        values = [ev(a) for a in e.args]
        if fn is not None:
            return float(fn(*values))
        return float(sympy.N(e.func(*[sympy.Float(v, 17) for v in values]), 17))

    try:
        return ev(expr)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return math.nan


MATH: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "Abs": abs,
    "Max": max,
    "Min": min,
    "sign": lambda x: float(np.sign(x)),
}


def solve_optimize(
    spec: OptimizeProblem, node: Node | None, carry: int | None = None, every_step: bool = False
) -> Solution:
    """Run ``spec.steps`` optimizer steps, writing the first ones out in full."""
    rnd = rounder(carry)
    h = Hyper(
        spec.optimizer,
        spec.learning_rate,
        spec.momentum,
        spec.beta1,
        spec.beta2,
        spec.rho,
        spec.epsilon,
        spec.weight_decay,
    )
    params = spec.parameter_names()
    n = len(params)
    total_steps = spec.steps or 1
    record_all = (every_step and total_steps <= MAX_WRITTEN) or total_steps <= FULL_STEPS
    gradient = Gradient(node, params) if node is not None else None

    intro = Section(f"{h.optimizer} (η = {h.learning_rate:g})")
    for rule in h.rules():
        intro.add(rule)
    if gradient is not None:
        intro.add(f"f({', '.join(params)}) = {gradient.shown}")
        for name, shown in zip(params, gradient.shown_derivatives):
            intro.add(f"∂f/∂{name} = {shown}")
    else:
        intro.add("The gradient at each step is given.")
    sections = [intro]

    names = [step_names(None if n == 1 else p) for p in params]
    current = [Quantity(nm.label("w", 0), nm.symbol("w", 0), float(x)) for nm, x in zip(names, spec.start)]
    previous = [initial_state(h, nm) for nm in names]
    state = new_state(h, (n,))
    w = rnd(np.array(spec.start, dtype=float))
    start_loss = gradient.loss(list(w)) if gradient is not None else None
    rows: list[list[Any]] = [[0, *w.tolist(), *([start_loss] if gradient else []), *[None] * n]]
    history: list[dict[str, Any]] = []
    for t in range(1, total_steps + 1):
        if gradient is not None:
            raw = rnd(np.array(gradient.at(list(w))))
        else:
            assert spec.gradients is not None
            raw = rnd(np.array(spec.gradients[t - 1], dtype=float))
        update = apply(h, state, w, raw, t, rnd)
        write = record_all or t == 1
        section = Section(f"Step {t}") if write else None
        for i in range(n):
            g_label, g_symbol = names[i].label("g", t), names[i].symbol("g", t)
            if section is not None:
                section.add(_gradient_step(gradient, i, t, g_label, g_symbol, float(raw[i]), current))
                for step in update_steps(
                    h, t, names[i], current[i], Quantity(g_label, g_symbol, float(raw[i])), update, (i,), previous[i]
                ):
                    section.add(step)
            current[i] = Quantity(names[i].label("w", t), names[i].symbol("w", t), float(update.weights[i]))
        if section is not None:
            sections.append(section)
        entry: dict[str, Any] = {
            "step": t,
            "weights": update.weights.tolist(),
            "gradient": update.gradient.tolist(),
        }
        if h.l2:
            entry["gradient_with_decay"] = update.total.tolist()
        for key, array in update.state.items():
            entry[{"velocity": "velocity"}.get(key, key)] = array.tolist()
        loss = gradient.loss(update.weights.tolist()) if gradient is not None else None
        if loss is not None:
            entry["loss"] = loss
        history.append(entry)
        rows.append([t, *update.weights.tolist(), *([loss] if gradient else []), *update.gradient.tolist()])
        w = update.weights

    columns = ["t", *(f"{p}_t" if n > 1 else "w_t" for p in params)]
    if gradient is not None:
        columns.append("f(w_t)")
    columns += [f"g_t ({p})" if n > 1 else "g_t" for p in params]
    table = Section("Trajectory")
    table.add(Table(columns, rows, elide=True))
    table.add("g_t is the gradient at the weights before step t (row t − 1), without weight decay.")
    sections.append(table)

    result: dict[str, Any] = {
        "optimizer": h.optimizer,
        "start": [float(x) for x in spec.start],
        "steps": history,
        "weights": w.tolist(),
    }
    if gradient is not None:
        result["function"] = gradient.shown
        result["gradient_formula"] = gradient.shown_derivatives
        result["start_loss"] = start_loss
        result["loss"] = history[-1]["loss"]
    notes = []
    if not record_all:
        hint = (
            f"--every-step writes out runs of at most {MAX_WRITTEN} steps"
            if total_steps > MAX_WRITTEN
            else "pass --every-step to see them all"
        )
        notes.append(f"{total_steps:,} steps: the first is worked out in full; {hint}.")
    return Solution("optimize", sections, result, title=spec.title, source=spec.source, notes=notes)


def _gradient_step(
    gradient: Gradient | None,
    i: int,
    t: int,
    label: str,
    symbol: str,
    value: float,
    current: list[Quantity],
) -> Step:
    """g_t = ∂f/∂w_i at the weights before the step (or the given gradient)."""
    if gradient is None:
        return Step(label, value, symbol=symbol, note="given")
    text, symbols = gradient.templates[i]
    by_name = {f"w{k + 1}": q for k, q in enumerate(current)}
    holes = tuple(by_name[s.name].arg() for s in symbols)
    if not holes:  # a constant gradient
        return Step(label, value, symbol=symbol, note=f"∂f/∂w{i + 1} = {text}")
    env_symbols = list(symbols)

    def fn(*v: float, d: Any = gradient.derivatives[i], syms: list = env_symbols) -> float:
        return _evaluate(d, dict(zip(syms, v)))

    return Step(label, value, text, holes, fn, symbol=symbol, note=f"∂f/∂w{i + 1}")


def plot_data(solution: Solution) -> list[list[float]]:
    """The path w_0, w_1, … of a 2-D run (for --plot)."""
    result = solution.result
    return [result["start"], *[s["weights"] for s in result["steps"]]]


def plot_figure(
    solution: Solution, node: Node | None, path: Any, title: str | None
) -> Callable[[], None]:
    """The --plot writer: the path over the loss's contour lines (a loss of two weights)."""
    path_points = plot_data(solution)
    if node is None or len(path_points[0]) != 2:
        n = len(path_points[0])
        what = "given gradients (no loss to draw)" if node is None else f"{n} weight(s)"
        raise InputError(
            f"draws the path over the contour lines of a loss of two weights (w1, w2); "
            f"this problem has {what}",
            field="--plot",
        )
    from dlcalc.expressions import evaluate

    def loss(w1: float, w2: float) -> float:
        return evaluate(node, {"w1": w1, "w2": w2})

    def write() -> None:
        from dlcalc.plots import plot_path

        plot_path(path, path_points, loss, solution.result["optimizer"], title)

    return write
