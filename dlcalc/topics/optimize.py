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

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcalc.errors import InputError
from dlcalc.maths.numerics import rounder
from dlcalc.model.formula import ONE, Mul, Name, Node, Num, Partial, Q, call, print_name, q
from dlcalc.model.steps import Rule, Section, Solution, Step, Table

if TYPE_CHECKING:
    from dlcalc.maths import expressions
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


def _symbol(base: str, sub: str | None = None, accent: str | None = None) -> Q:
    """A symbol of an update rule (a rule has no numbers: its leaves carry no value)."""
    name = Name(base, sub, accent=accent, index=sub is not None and sub.isdigit())
    return Q(print_name(name), None, name)


def _rules(optimizer: str) -> list[Rule]:
    """The update rule of ``optimizer`` in symbols, one line per quantity, as the slides write it."""
    eta, mu, rho, eps, lam = (_symbol(s) for s in ("η", "μ", "ρ", "ε", "λ"))
    beta1, beta2, t = _symbol("β", "1"), _symbol("β", "2"), _symbol("t")
    g = _symbol("g", "t")

    def now(base: str, accent: str | None = None) -> Q:
        return _symbol(base, "t", accent)

    def before(base: str) -> Q:
        return _symbol(base, "t−1")

    def dot(*factors: Node) -> Node:
        return Mul(tuple(factors), "·")

    def update(step: Node) -> Rule:
        return Rule(Name("w", "t"), before("w") - dot(eta, step))

    def running(base: str, decay: Q, new: Node) -> Rule:  # r_t = ρ·r_(t−1) + (1 − ρ)·g_t²
        return Rule(Name(base, "t"), dot(decay, before(base)) + dot(ONE - decay, new))

    square = g ** Num(2)
    if optimizer == "sgd":
        return [update(g)]
    if optimizer in ("momentum", "nesterov"):
        velocity = Rule(Name("v", "t"), dot(mu, before("v")) + g)
        step = now("v") if optimizer == "momentum" else g + dot(mu, now("v"))
        return [velocity, update(step)]
    if optimizer == "adagrad":
        total = Rule(Name("a", "t"), before("a") + square)
        return [total, update(g / (call("sqrt", now("a")) + eps))]
    if optimizer == "rmsprop":
        return [running("r", rho, square), update(g / (call("sqrt", now("r")) + eps))]
    adam = now("m", "hat") / (call("sqrt", now("v", "hat")) + eps)
    last = (
        update(adam)
        if optimizer == "adam"
        else Rule(
            Name("w", "t"),
            before("w") - dot(eta, adam + dot(lam, before("w"))),
            "decoupled weight decay",
        )
    )
    return [
        running("m", beta1, g),
        running("v", beta2, square),
        Rule(Name("m", "t", accent="hat"), now("m") / (ONE - beta1**t)),
        Rule(Name("v", "t", accent="hat"), now("v") / (ONE - beta2**t)),
        last,
    ]


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
    # Another convention, for ``check`` to recognise a student's: "momentum_negative"
    # (v = μv − ηg, w = w + v), "eps_inside" (√(v + ε)) or "double_decay" (g + 2λw).
    variant: str | None = None

    @classmethod
    def of(cls, spec: Any, learning_rate: float, variant: str | None = None) -> Hyper:
        """The optimizer named by a problem (an optimize or a backprop problem) and its keys."""
        return cls(
            spec.optimizer,
            learning_rate,
            spec.momentum,
            spec.beta1,
            spec.beta2,
            spec.rho,
            spec.epsilon,
            spec.weight_decay,
            variant,
        )

    @property
    def l2(self) -> bool:
        """Weight decay added to the gradient (every optimizer but AdamW, which decouples it)."""
        return self.weight_decay != 0 and self.optimizer != "adamw"

    @property
    def plain(self) -> bool:
        """Plain gradient descent, w −= η·g, with no decay at all."""
        return self.optimizer == "sgd" and self.weight_decay == 0

    def rules(self, loss: str = "f") -> list[Rule]:
        """The update rule in symbols; with L2 weight decay, the gradient's rule first."""
        rules = _rules(self.optimizer)
        if self.l2:
            gradient = Q("gradient", None, Partial(Name(loss), Name("w")))
            decayed = gradient + Mul((_symbol("λ"), _symbol("w", "t−1")), "·")
            note = f"L2 weight decay; ∂{loss}/∂w at w_(t−1)"
            rules.insert(0, Rule(Name("g", "t"), decayed, note))
        return rules


VARIANTS = {
    "momentum_negative": "momentum written v = μ·v − η·g, w = w + v (so v is −η times this v)",
    "eps_inside": "ε inside the square root, √(v + ε) instead of √v + ε",
    "double_decay": "weight decay from a penalty λ·‖w‖² (gradient 2λ·w) instead of (λ/2)·‖w‖²",
}


def variants(h: Hyper) -> list[str]:
    """The other conventions that would change this optimizer's numbers."""
    out = []
    if h.optimizer == "momentum":
        out.append("momentum_negative")
    if h.optimizer in ("adagrad", "rmsprop", "adam", "adamw") and h.epsilon > 0:
        out.append("eps_inside")
    if h.l2:
        out.append("double_decay")
    return out


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


def _denominator(square: Array, eps: float, what: str, inside: bool) -> Array:
    """√x + ε (ε inside, √(x + ε), only for the ``eps_inside`` variant).

    Not rounded under --carry: the update writes it inside its own formula, not as a value of
    its own, and --carry rounds the values the solution writes (a student who redoes the
    written formula with the written numbers gets the written weight).
    """
    denominator = np.sqrt(square + eps) if inside else np.sqrt(square) + eps
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
    inside = h.variant == "eps_inside"
    if h.variant == "double_decay":
        lam *= 2
    w = np.asarray(w, dtype=float)
    grad = np.asarray(grad, dtype=float)
    g = rnd(grad + lam * w) if lam and h.optimizer != "adamw" else grad
    shown: dict[str, Array] = {}
    with np.errstate(all="ignore"):
        if h.optimizer == "sgd":
            new = rnd(w - eta * g)
        elif h.optimizer in ("momentum", "nesterov"):
            if h.variant == "momentum_negative" and h.optimizer == "momentum":
                v = rnd(h.momentum * state["velocity"] - eta * g)  # v = μv − ηg, w = w + v
                state["velocity"] = shown["velocity"] = v
                new = rnd(w + v)
            else:
                v = rnd(h.momentum * state["velocity"] + g)
                state["velocity"] = shown["velocity"] = v
                step = v if h.optimizer == "momentum" else g + h.momentum * v  # not written
                new = rnd(w - eta * step)
        elif h.optimizer == "adagrad":
            a = rnd(state["accumulator"] + g * g)
            state["accumulator"] = shown["accumulator"] = a
            new = rnd(w - eta * g / _denominator(a, eps, "a_t", inside))
        elif h.optimizer == "rmsprop":
            r = rnd(h.rho * state["v"] + (1 - h.rho) * g * g)
            state["v"] = shown["v"] = r
            new = rnd(w - eta * g / _denominator(r, eps, "r_t", inside))
        else:  # adam, adamw
            m = rnd(h.beta1 * state["m"] + (1 - h.beta1) * g)
            v = rnd(h.beta2 * state["v"] + (1 - h.beta2) * g * g)
            state["m"], state["v"] = m, v
            m_hat = rnd(m / (1 - h.beta1**t))
            v_hat = rnd(v / (1 - h.beta2**t))
            shown.update(m=m, v=v, m_hat=m_hat, v_hat=v_hat)
            ratio = m_hat / _denominator(v_hat, eps, "v̂_t", inside)
            if h.optimizer == "adamw" and lam:
                new = rnd(w - eta * (ratio + lam * w))
            else:
                new = rnd(w - eta * ratio)
    for key, array in shown.items():
        if not np.all(np.isfinite(array)):
            raise InputError(
                f"the optimizer's {key} overflows to infinity (a gradient of about "
                f"{float(np.max(np.abs(grad))):.3g} squared is beyond a double); use smaller values"
            )
    if not np.all(np.isfinite(new)):
        raise InputError(
            "the weights overflow to infinity; use a smaller learning rate or fewer steps",
            field="learning_rate",
        )
    return Update(grad, g, {k: np.array(v, dtype=float) for k, v in shown.items()}, new)


# --- writing one update as steps ------------------------------------------------------------

# Quantity kinds and how they are written: (base, accent).
KINDS: dict[str, tuple[str, str | None]] = {
    "g": ("g", None),
    "g_reg": ("g", "tilde"),
    "g_clip": ("g", "hat"),
    "v": ("v", None),
    "a": ("a", None),
    "r": ("r", None),
    "m": ("m", None),
    "m_hat": ("m", "hat"),
    "v_hat": ("v", "hat"),
    "w": ("w", None),
}


@dataclass(frozen=True)
class Names:
    """How one parameter's quantities are named: ``m_1`` and m̂₁ for a single parameter,
    ``m2_1`` and m̂_w2,1 for parameter w2 of several (labels are what answers files use)."""

    param: str | None = None

    def label(self, kind: str, t: int) -> str:
        if self.param is None:
            return f"{kind}_{t}"
        return f"{kind}{self.param.removeprefix('w')}_{t}"

    def name(self, kind: str, t: int) -> Name:
        base, accent = KINDS[kind]
        if self.param is None:
            return Name(base, str(t), accent=accent, index=True)  # m₁, m̂₁: t is a time step
        if kind == "w":
            return Name(self.param, str(t))  # w2_1: w2 after step 1
        return Name(base, f"{self.param},{t}", accent=accent)  # m_w2,1: m of w2 at step 1

    def q(self, kind: str, t: int, value: float) -> Q:
        return q(self.label(kind, t), value, self.name(kind, t))


def step_names(param: str | None) -> Names:
    return Names(param)


def hyper_leaves(h: Hyper) -> dict[str, Q]:
    """The hyper-parameters as formula leaves: η, μ, β₁, β₂, ρ, ε, λ."""
    return {
        "eta": q("learning_rate", h.learning_rate, Name("η")),
        "mu": q("momentum", h.momentum, Name("μ")),
        "beta1": q("beta1", h.beta1, Name("β", "1")),
        "beta2": q("beta2", h.beta2, Name("β", "2")),
        "rho": q("rho", h.rho, Name("ρ")),
        "eps": q("epsilon", h.epsilon, Name("ε")),
        "lam": q("weight_decay", h.weight_decay, Name("λ")),
    }


SHORT = {"velocity": "v", "accumulator": "a"}


def initial_state(h: Hyper, names: Names) -> dict[str, Q]:
    """m₀ = v₀ = … = 0, as givens: the state each parameter starts from."""
    prev: dict[str, Q] = {}
    for key in STATE[h.optimizer]:
        kind = "r" if (h.optimizer, key) == ("rmsprop", "v") else SHORT.get(key, key)
        prev[key] = names.q(kind, 0, 0.0)
    return prev


def _step(
    label: str, value: float, expr: Node, name: Name | Partial, note: str | None = None
) -> Step:
    return Step(label, value, name=name, expr=expr, note=note)


def update_steps(
    h: Hyper,
    t: int,
    names: Names,
    weight: Q,
    gradient: Q,
    update: Update,
    index: tuple[int, ...],
    prev: dict[str, Q],
    *,
    decay: bool = True,
    new_weight: Q | None = None,
    eta: Q | None = None,
) -> list[Step]:
    """The steps of one parameter's update at step ``t``: decay term, state, bias correction, weight.

    ``weight`` and ``gradient`` are the quantities the update starts from; ``update`` holds
    the engine's numbers (``index`` picks this parameter in its arrays); ``prev`` holds the
    state before the step and is advanced here.  ``new_weight`` names the new weight
    (its value is ignored) where it is not ``w_t``; ``eta`` is a scheduled rate η_t.
    """
    hp = hyper_leaves(h)
    eps, lam = hp["eps"], hp["lam"]
    eta = eta if eta is not None else hp["eta"]
    steps: list[Step] = []
    w, g = weight, gradient

    def value(array: Array) -> float:
        return float(array[index])

    if h.l2 and decay:
        reg = names.q("g_reg", t, value(update.total))
        steps.append(
            _step(
                reg.label, reg.value, g + lam * w, reg.symbol, "with the weight-decay term λ·w (L2)"
            )
        )
        g = reg

    def state(key: str, kind: str, expr: Node) -> Q:
        leaf = names.q(kind, t, value(update.state[key]))
        steps.append(_step(leaf.label, leaf.value, expr, leaf.symbol))
        prev[key] = leaf
        return leaf

    opt = h.optimizer
    # g²; a gradient written as a fraction (∂J/∂w5) is multiplied out, since ∂J/∂w5² would read
    # as a derivative by w5².
    g_squared: Node = g * g if isinstance(g.name, Partial) else g ** Num(2)
    if opt == "sgd":
        expr = w - eta * g
    elif opt in ("momentum", "nesterov"):
        mu = hp["mu"]
        v = state("velocity", "v", mu * prev["velocity"] + g)
        expr = w - eta * v if opt == "momentum" else w - eta * (g + mu * v)
    elif opt == "adagrad":
        acc = state("accumulator", "a", prev["accumulator"] + g_squared)
        expr = w - eta * g / (call("sqrt", acc) + eps)
    elif opt == "rmsprop":
        rho = hp["rho"]
        r = state("v", "r", rho * prev["v"] + (ONE - rho) * g_squared)
        expr = w - eta * g / (call("sqrt", r) + eps)
    else:
        b1, b2 = hp["beta1"], hp["beta2"]
        m = state("m", "m", b1 * prev["m"] + (ONE - b1) * g)
        v = state("v", "v", b2 * prev["v"] + (ONE - b2) * g_squared)
        m_hat = names.q("m_hat", t, value(update.state["m_hat"]))
        v_hat = names.q("v_hat", t, value(update.state["v_hat"]))
        steps.append(_step(m_hat.label, m_hat.value, m / (ONE - b1 ** Num(t)), m_hat.symbol))
        steps.append(_step(v_hat.label, v_hat.value, v / (ONE - b2 ** Num(t)), v_hat.symbol))
        ratio = m_hat / (call("sqrt", v_hat) + eps)
        if opt == "adamw" and decay and h.weight_decay:
            expr = w - eta * (ratio + lam * w)
        else:
            expr = w - eta * ratio
    new = new_weight or names.q("w", t, 0.0)
    steps.append(_step(new.label, value(update.weights), expr, new.symbol))
    return steps


# --- the optimize command -------------------------------------------------------------------


class Gradient:
    """∇f of a loss expression: derived once by SymPy, evaluated per step in floating point."""

    def __init__(self, node: expressions.Node, names: list[str], steps: int = 1) -> None:
        import sympy

        from dlcalc import limits
        from dlcalc.maths import functions as F
        from dlcalc.maths.expressions import to_sympy

        self.node = node
        self.names = names
        expr = to_sympy(node)
        if len(names) == 1:  # `w` and `w1` both name the one parameter
            expr = expr.xreplace({sympy.Symbol("w", real=True): sympy.Symbol("w1", real=True)})
        self.expr = expr
        self.symbols = [sympy.Symbol(n, real=True) for n in names]
        self.derivatives = [sympy.diff(expr, s) for s in self.symbols]
        written = [e for d in self.derivatives for e in sympy.preorder_traversal(d)]
        limits.check_work(
            "function",
            len(written),
            limits.MAX_GRADIENT_SIZE,
            "operations in the gradient as written out",
            "use a less deeply nested loss",
        )
        size = len(set(written))  # what one evaluation costs (repeated parts once: _evaluate)
        limits.check_work(
            "steps",
            size * steps,
            limits.MAX_GRADIENT_WORK,
            "operations (the gradient's size × steps)",
            f"the gradient has {size:,} distinct operations: at most "
            f"{max(1, limits.MAX_GRADIENT_WORK // size):,} steps for this function",
        )
        for d in [expr, *self.derivatives]:
            if d.has(sympy.zoo) or d.has(sympy.nan) or d.has(sympy.I):
                raise InputError(
                    "the loss or its gradient is undefined or complex everywhere", field="function"
                )
        # One weight is written w (as in f(w) = w²); several are w1, w2, …
        self.display = ["w"] if len(names) == 1 else list(names)
        rename = dict(zip(self.symbols, self.display))
        self.shown = F.unicode(expr, names=rename)
        self.shown_derivatives = [F.unicode(d, names=rename) for d in self.derivatives]
        self.display_leaves = {
            s: Q(shown, None, Name(shown)) for s, shown in zip(self.symbols, self.display)
        }

    def tree(self, i: int, leaves: dict[Any, Q]) -> Node | str:
        """∂f/∂w_i as a formula tree over ``leaves``, or why it cannot be written as one."""
        from dlcalc.maths import functions as F

        try:
            return F.to_tree(self.derivatives[i], leaves)
        except F.Unrepresentable as what:
            return (
                f"∂f/∂{self.display[i]} = {self.shown_derivatives[i]} "
                f"(computed by SymPy: {what} has no formula-tree form)"
            )

    def rules(self) -> list[Rule | str]:
        """∂f/∂w for each weight as a rule (symbols only), or as text where no tree writes it."""
        out: list[Rule | str] = []
        for i, shown in enumerate(self.display):
            tree = self.tree(i, self.display_leaves)
            if isinstance(tree, str):
                out.append(tree)
            else:
                out.append(Rule(Partial(Name("f"), Name(shown)), tree))
        return out

    def loss(self, w: list[float]) -> float:
        """f(w) in floating point (the safe parser's own evaluator); undefined is an input error."""
        from dlcalc.maths.expressions import evaluate

        values = dict(zip(self.names, w))
        if len(self.names) == 1:
            values["w"] = w[0]
        value = evaluate(self.node, values)
        if not math.isfinite(value):
            raise InputError(
                f"the loss is undefined at {_point(self.display, w)} (outside its domain, or an overflow)",
                field="function",
            )
        return value

    def at(self, w: list[float]) -> list[float]:
        env = {s: float(v) for s, v in zip(self.symbols, w)}
        out = []
        for name, d in zip(self.display, self.derivatives):
            value = _evaluate(d, env)
            if not math.isfinite(value):
                raise InputError(
                    f"∂f/∂{name} is undefined at {_point(self.display, w)} "
                    "(outside the loss's domain, or an overflow)",
                    field="function",
                )
            out.append(value)
        return out


def _point(names: list[str], w: list[float]) -> str:
    return ", ".join(f"{n} = {v:.6g}".replace("-", "−") for n, v in zip(names, w))


def _evaluate(expr: Any, env: dict[Any, float]) -> float:
    """A SymPy expression's float value: arithmetic in Python floats, other functions by SymPy."""
    import sympy

    memo: dict[Any, float] = {}  # a part that appears many times (σ(w·σ(…)) nested) is worked once

    def ev(e: Any) -> float:
        value = memo.get(e)
        if value is None:
            value = memo[e] = ev_new(e)
        return value

    def ev_new(e: Any) -> float:
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
        fn = float_functions().get(type(e).__name__)
        values = [ev(a) for a in e.args]
        if fn is not None:
            return float(fn(*values))
        return float(sympy.N(e.func(*[sympy.Float(v, 17) for v in values]), 17))

    try:
        return ev(expr)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return math.nan


# SymPy's function names -> the expression language's float functions (the one table is
# dlcalc.maths.expressions.FLOAT_OPS; "sign" is SymPy's own)
SYMPY_FLOAT_NAMES = {
    "exp": "exp",
    "log": "ln",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
    "Abs": "abs",
    "Max": "max",
    "Min": "min",
    "sigmoid": "sigmoid",  # the named activations in floats, not SymPy's N (about 1 ms each)
    "softplus": "softplus",
    "relu": "relu",
}


@functools.cache
def float_functions() -> dict[str, Callable[..., float]]:
    """SymPy function name -> its float function (built on first use: the parser loads late)."""
    from dlcalc.maths.expressions import FLOAT_OPS

    table = {sympy_name: FLOAT_OPS[name] for sympy_name, name in SYMPY_FLOAT_NAMES.items()}
    table["sign"] = lambda x: float(np.sign(x))
    return table


def solve_optimize(
    spec: OptimizeProblem,
    node: expressions.Node | None,
    carry: int | None = None,
    every_step: bool = False,
    variant: str | None = None,
) -> Solution:
    """Run ``spec.steps`` optimizer steps, writing the first ones out in full.

    ``variant`` solves under another convention (see :data:`VARIANTS`), for ``check``.
    """
    rnd = rounder(carry)
    h = Hyper.of(spec, spec.learning_rate, variant)
    params = spec.parameter_names()
    n = len(params)
    total_steps = spec.steps or 1
    record_all = (every_step and total_steps <= MAX_WRITTEN) or total_steps <= FULL_STEPS
    gradient = Gradient(node, params, total_steps) if node is not None else None
    sections = [_intro_section(spec, h, gradient)]

    names = [step_names(None if n == 1 else p) for p in params]
    previous = [initial_state(h, nm) for nm in names]
    state = new_state(h, (n,))
    w = rnd(np.array(spec.start, dtype=float))
    start_loss = gradient.loss(w.tolist()) if gradient is not None else None
    rows: list[list[Any]] = [[0, *w.tolist(), *([start_loss] if gradient else []), *[None] * n]]
    history: list[dict[str, Any]] = []
    paths: dict[str, str] = {}
    for t in range(1, total_steps + 1):
        taken = _take_step(spec, h, gradient, state, w, t, rnd)
        update = taken.update
        if record_all or t == 1:
            sections.append(_written_step(spec, gradient, names, previous, w, taken, rnd))
            paths.update(_step_paths(spec, h, names, taken, t == total_steps))
        entry = _history_entry(spec, h, taken)
        loss = gradient.loss(update.weights.tolist()) if gradient is not None else None
        if loss is not None:
            entry["loss"] = loss
        history.append(entry)
        rows.append(
            [t, *update.weights.tolist(), *([loss] if gradient else []), *taken.raw.tolist()]
        )
        w = update.weights
    sections.append(_trajectory_section(params, gradient, rows))

    result = _optimize_result(spec, h, gradient, history, w, start_loss)
    notes = [] if record_all else [_elided_note(total_steps)]
    solution = Solution(
        "optimize",
        sections,
        result,
        title=spec.title,
        source=spec.source,
        notes=notes,
        paths=paths,
    )
    if variant is None:
        for v in variants(h):

            def alternative(v: str = v) -> Solution:
                return solve_optimize(spec, node, carry, every_step, v)

            solution.alternatives.append((VARIANTS[v], alternative))
    return solution


def _optimize_result(
    spec: OptimizeProblem,
    h: Hyper,
    gradient: Gradient | None,
    history: list[dict[str, Any]],
    w: Array,
    start_loss: float | None,
) -> dict[str, Any]:
    """The optimize command's result: every step, the final weights and (given f) the losses."""
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
    return result


def _elided_note(total_steps: int) -> str:
    """Says that only the first step is written out, and how to see more."""
    hint = (
        f"--every-step writes out runs of at most {MAX_WRITTEN} steps"
        if total_steps > MAX_WRITTEN
        else "pass --every-step to see them all"
    )
    return f"{total_steps:,} steps: the first is worked out in full; {hint}."


def _intro_section(spec: OptimizeProblem, h: Hyper, gradient: Gradient | None) -> Section:
    """The optimizer's update rules, the loss and its gradient, the schedule and the clipping."""
    intro = Section(f"{h.optimizer} (η = {h.learning_rate:g})")
    for rule in h.rules():
        intro.add(rule)
    if gradient is not None:
        intro.add(f"f({', '.join(gradient.display)}) = {gradient.shown}")
        for line in gradient.rules():
            intro.add(line)
    else:
        intro.add("The gradient at each step is given.")
    clip, schedule = spec.clip, spec.schedule
    if schedule is not None:
        from dlcalc.topics import training_steps as T

        intro.add(T.schedule_rule(schedule))
    if clip is not None:
        intro.add(
            f"The gradient is clipped before each step: g ← g·min(1, c/‖g‖), c = {clip.norm:g}"
            if clip.norm is not None
            else f"The gradient is clipped before each step: each entry to [−c, c], c = {clip.value:g}"
        )
    return intro


@dataclass
class _Taken:
    """One optimizer step as taken: the gradient, its clipped form, the step's rate, the update."""

    t: int
    raw: Array  # the gradient at the weights before the step
    used: Array  # the gradient the optimizer uses (clipped when clipping is on)
    norm: float | None  # the gradient's norm, when clipping
    factor: float | None  # the clipping factor, when clipping by norm
    h: Hyper  # the hyperparameters of this step (its scheduled learning rate)
    eta_step: Step | None  # the scheduled learning rate, worked out
    update: Update


def _take_step(
    spec: OptimizeProblem,
    h: Hyper,
    gradient: Gradient | None,
    state: dict[str, Array],
    w: Array,
    t: int,
    rnd: Round,
) -> _Taken:
    """Step ``t`` from the weights ``w``: gradient, clipping, scheduled rate and update."""
    clip, schedule = spec.clip, spec.schedule
    if gradient is not None:
        raw = rnd(np.array(gradient.at(w.tolist())))
    else:
        assert spec.gradients is not None
        raw = rnd(np.array(spec.gradients[t - 1], dtype=float))
    used, norm, factor = raw, None, None
    if clip is not None:
        from dlcalc.topics import training_steps as T

        (used,), norm, factor = T.clip_arrays([raw], clip, rnd)
    h_t, eta_step = h, None
    if schedule is not None:
        from dlcalc.topics import training_steps as T

        eta_step = T.scheduled_step(schedule, h.learning_rate, t, rnd)
        h_t = replace(h, learning_rate=float(eta_step.value))
    update = apply(h_t, state, w, used, t, rnd)
    return _Taken(t, raw, used, norm, factor, h_t, eta_step, update)


def _written_step(
    spec: OptimizeProblem,
    gradient: Gradient | None,
    names: list[Names],
    previous: list[dict[str, Q]],
    w: Array,
    taken: _Taken,
    rnd: Round,
) -> Section:
    """Step t written out: each weight's gradient (clipped if asked), then its update."""
    t, clip, n = taken.t, spec.clip, len(names)
    section = Section(f"Step {t}")
    eta = None
    if taken.eta_step is not None:
        section.add(taken.eta_step)
        eta = q(taken.eta_step.label, taken.eta_step.value, taken.eta_step.name)
    # every gradient is taken at the weights before this step
    before = [names[i].q("w", t - 1, float(w[i])) for i in range(n)]
    grads = [names[i].q("g", t, float(taken.raw[i])) for i in range(n)]
    if clip is None:  # each weight's gradient, then its update
        for i in range(n):
            section.add(_gradient_step(gradient, i, grads[i], before))
            steps = update_steps(
                taken.h, t, names[i], before[i], grads[i], taken.update, (i,), previous[i], eta=eta
            )
            for step in steps:
                section.add(step)
        return section
    from dlcalc.topics import training_steps as T

    # the norm needs every gradient first
    for i in range(n):
        section.add(_gradient_step(gradient, i, grads[i], before))
    assert taken.norm is not None
    clipped = [names[i].q("g_clip", t, float(taken.used[i])) for i in range(n)]
    for item in T.clip_steps(
        clip, grads, clipped, f"grad_norm_{t}", taken.norm, taken.factor, f"clip_factor_{t}",
        str(t), rnd,
    ):  # fmt: skip
        section.add(item)
    for i in range(n):
        steps = update_steps(
            taken.h, t, names[i], before[i], clipped[i], taken.update, (i,), previous[i], eta=eta
        )
        for step in steps:
            section.add(step)
    return section


def _step_paths(
    spec: OptimizeProblem, h: Hyper, names: list[Names], taken: _Taken, last: bool
) -> dict[str, str]:
    """The result's numbers of a written step → the labels of their steps."""
    t, clip = taken.t, spec.clip
    paths: dict[str, str] = {}
    at = f"steps[{t - 1}]"
    for i, nm in enumerate(names):
        paths[f"{at}.weights[{i}]"] = nm.label("w", t)
        paths[f"{at}.gradient[{i}]"] = nm.label("g", t)
        if h.l2:
            paths[f"{at}.gradient_with_decay[{i}]"] = nm.label("g_reg", t)
        for key in taken.update.state:
            kind = "r" if (h.optimizer, key) == ("rmsprop", "v") else SHORT.get(key, key)
            paths[f"{at}.{key}[{i}]"] = nm.label(kind, t)
        if last:
            paths[f"weights[{i}]"] = nm.label("w", t)
        if clip is not None:
            paths[f"{at}.clipped_gradient[{i}]"] = nm.label("g_clip", t)
    if clip is not None:
        paths[f"{at}.gradient_norm"] = f"grad_norm_{t}"
    if taken.eta_step is not None:
        paths[f"{at}.learning_rate"] = taken.eta_step.label
    return paths


def _history_entry(spec: OptimizeProblem, h: Hyper, taken: _Taken) -> dict[str, Any]:
    """Step t in the result (its loss is added by the caller)."""
    update = taken.update
    entry: dict[str, Any] = {
        "step": taken.t,
        "weights": update.weights.tolist(),
        "gradient": taken.raw.tolist(),
    }
    if spec.clip is not None:
        entry["clipped_gradient"] = taken.used.tolist()
        entry["gradient_norm"] = taken.norm
    if spec.schedule is not None:
        entry["learning_rate"] = taken.h.learning_rate
    if h.l2:
        entry["gradient_with_decay"] = update.total.tolist()
    for key, array in update.state.items():
        entry[key] = array.tolist()
    return entry


def _trajectory_section(
    params: list[str], gradient: Gradient | None, rows: list[list[Any]]
) -> Section:
    """The table of every step: the weights, the loss and the gradient."""
    n = len(params)
    columns = ["t", *(f"{p}_t" if n > 1 else "w_t" for p in params)]
    if gradient is not None:
        columns.append("f(w_t)")
    columns += [f"g_t ({p})" if n > 1 else "g_t" for p in params]
    table = Section("Trajectory")
    table.add(Table(columns, rows, elide=True))
    table.add("g_t is the gradient at the weights before step t (row t − 1), without weight decay.")
    return table


def _gradient_step(gradient: Gradient | None, i: int, g: Q, current: list[Q]) -> Step:
    """g_t = ∂f/∂w_i at the weights before the step (or the given gradient)."""
    if gradient is None:
        return Step(g.label, g.value, name=g.symbol, note="given")
    by_symbol = dict(zip(gradient.symbols, current))
    note = f"∂f/∂{gradient.display[i]} at the weights before the step"
    tree = gradient.tree(i, by_symbol)
    if isinstance(tree, str):  # a function formula trees cannot write: the value, and why
        return Step(g.label, g.value, name=g.symbol, note=f"{note}; {tree}")
    return Step(g.label, g.value, name=g.symbol, expr=tree, note=note)


def plot_data(solution: Solution) -> list[list[float]]:
    """The path w_0, w_1, … of a 2-D run (for --plot)."""
    result = solution.result
    return [result["start"], *[s["weights"] for s in result["steps"]]]


def plot_inputs(
    solution: Solution, node: expressions.Node | None
) -> tuple[list[list[float]], Callable[[float, float], float]]:
    """What --plot draws: the path w_0, w_1, … and the loss f(w1, w2) for its contour lines."""
    path_points = plot_data(solution)
    if node is None or len(path_points[0]) != 2:
        n = len(path_points[0])
        what = "given gradients (no loss to draw)" if node is None else f"{n} weight(s)"
        raise InputError(
            f"draws the path over the contour lines of a loss of two weights (w1, w2); "
            f"this problem has {what}",
            field="--plot",
        )
    from dlcalc.maths.expressions import evaluate

    def loss(w1: float, w2: float) -> float:
        return evaluate(node, {"w1": w1, "w2": w2})

    return path_points, loss
