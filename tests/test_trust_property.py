"""Every mode as trustworthy as the numbers (issue 22): check's error carried forward and --exact.

For each command (conv, rnn with each cell, optimize with each optimizer, batchnorm, backprop
with its training options) a random problem is solved; then

* its own answers, every computed number claimed, are all ✓;
* one slip in a random intermediate gives exactly one ✗, ↪ on every later claim whose value
  the slip changes (each claimed as it follows from the slip) and ✓ everywhere else, with
  and without --carry.  The student's world is worked out here on its own: the steps in
  topological order (graphlib), each from its formula, rounded under --carry by the
  contract's rule written with decimal.Decimal;
* --exact agrees with an independent fractions.Fraction computation of the same problem
  where the numbers are short decimals and the quantities rational.

Example counts are small: the suite runs on a 2-core CI.
"""

from __future__ import annotations

import graphlib
import math
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction
from numbers import Real
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.app.commands import COMMANDS
from dlcalc.app.settings import Settings
from dlcalc.grading.checking import CARRIED, RIGHT, WRONG, Claim, judge
from dlcalc.maths.exact import attach_exact
from dlcalc.model.steps import Solution, Step
from dlcalc.specs.loader import Document

FEW = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CARRY = 3


def solve(command: str, data: dict[str, Any], carry: int | None = None) -> Solution:
    return COMMANDS[command].build(Document(dict(data), "<test>"), Settings(carry=carry))


def numeric(step: Step) -> bool:
    v = step.value
    return (
        step.computed
        and isinstance(v, Real)
        and not isinstance(v, bool)
        and math.isfinite(float(v))
    )


def carried(x: Any, n: int) -> float:
    """The contract's --carry rounding: read to 12 significant digits, then N decimals, ties away."""
    twelve = Context(prec=12, rounding=ROUND_HALF_UP).create_decimal(repr(float(x)))
    return float(twelve.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))


def steps_of(solution: Solution) -> dict[str, Step]:
    out: dict[str, Step] = {}
    for step in solution.iter_steps():
        out.setdefault(step.label, step)  # the first step of a label is the one check marks
    return out


def claim(label: str, value: float, carry: int | None) -> Claim:
    tol = 0.5 * 10.0**-carry if carry is not None else 1e-9 * max(1.0, abs(value))
    return Claim(label, value, repr(value), tol)


def own_answers_all_right(solution: Solution, carry: int | None) -> None:
    claims = [
        claim(s.label, float(s.value), carry) for s in steps_of(solution).values() if numeric(s)
    ]
    assert claims
    report = judge(solution, claims, carry)
    assert {v.status for v in report.verdicts} == {RIGHT}


def student_world(
    steps: dict[str, Step], slipped: str, wrong: float, carry: int | None
) -> tuple[dict[str, Any], set[str]]:
    """Every value computed from the slip, in topological order, and which labels those are."""
    graph = {label: [i for i in s.inputs if i in steps] for label, s in steps.items()}
    world: dict[str, Any] = {slipped: wrong}
    follows: set[str] = set()  # the claims computed from the slip
    for label in graphlib.TopologicalSorter(graph).static_order():
        step = steps[label]
        if label == slipped or not step.computed:
            continue
        if any(i == slipped or i in follows for i in graph[label]):
            follows.add(label)
            mine = float(step.expr.evaluate(world))  # type: ignore[union-attr]
            if not math.isfinite(mine):
                raise ValueError(f"{label} leaves its domain")
            world[label] = carried(mine, carry) if carry is not None else mine
    return world, follows


def one_slip(solution: Solution, carry: int | None, pick: int) -> None:
    """Slip one intermediate; the student's world worked out here decides every other mark.

    The slip changes the value's sign where the student's world stays defined (so that relu
    slopes, max-pool routes and the like are decided anew), else adds a quarter.
    """
    steps = steps_of(solution)
    claimable = [s for s in steps.values() if numeric(s)]
    slipped = claimable[pick % len(claimable)]
    v = float(slipped.value)
    shift = 0.25 * max(1.0, abs(v))
    shift = carried(shift, carry) if carry is not None else shift
    try:
        wrong = -v - shift if v > 0 else -v + shift  # the other side of 0
        world, follows = student_world(steps, slipped.label, wrong, carry)
    except (ValueError, ArithmeticError):
        wrong = v + shift
        world, follows = student_world(steps, slipped.label, wrong, carry)

    claims = []
    expected: dict[str, str] = {}
    for s in claimable:
        value = world.get(s.label, float(s.value))
        if s.label != slipped.label and s.label in follows:
            value = float(value)
        claims.append(claim(s.label, value, carry))
        if s.label == slipped.label:
            expected[s.label] = WRONG
        elif s.label in follows and abs(value - float(s.value)) > claims[-1].tol * (1 + 1e-9):
            expected[s.label] = CARRIED
        else:
            expected[s.label] = RIGHT
    report = judge(solution, claims, carry)
    got = {v.claim.name: v.status for v in report.verdicts}
    assert got == expected, {k: (got[k], expected[k]) for k in got if got[k] != expected[k]}
    assert list(got.values()).count(WRONG) == 1
    assert report.first_wrong is not None and report.first_wrong.claim.name == slipped.label


def written_numbers_give_written_values(solution: Solution, carry: int) -> None:
    """--carry: each value is its formula at the written numbers, rounded (nothing unseen is)."""
    checked = 0
    for step in steps_of(solution).values():
        if numeric(step):
            value = step.recompute({})
            if isinstance(value, Real) and not isinstance(value, bool):
                assert float(step.value) == pytest.approx(carried(value, carry), abs=1e-12), (
                    step.label
                )
                checked += 1
    assert checked


def check_modes(command: str, data: dict[str, Any], pick: int) -> None:
    for carry in (None, CARRY):
        solution = solve(command, data, carry)
        if carry is not None:
            written_numbers_give_written_values(solution, carry)
        own_answers_all_right(solution, carry)
        one_slip(solution, carry, pick)


# --- random problems -----------------------------------------------------------------------

tenth = st.integers(-9, 9).map(lambda k: k / 10)
quarter = st.integers(-8, 8).map(lambda k: k / 4)
pick = st.integers(0, 10_000)


def matrix(rows: int, cols: int, entries: st.SearchStrategy[float] = tenth) -> Any:
    return st.lists(st.lists(entries, min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def conv_problems(draw: Any) -> dict[str, Any]:
    channels = draw(st.integers(1, 2))
    size = draw(st.integers(3, 4))
    image = [draw(matrix(size, size, quarter)) for _ in range(channels)]
    filters = draw(st.integers(1, 2))
    kernels = [
        {"kernel": [draw(matrix(2, 2)) for _ in range(channels)], "bias": draw(tenth)}
        for _ in range(filters)
    ]
    activation = draw(
        st.sampled_from(["relu", {"name": "leaky_relu", "alpha": 0.1}, "linear", "tanh"])
    )
    pool = draw(st.sampled_from(["maxpool", "avgpool"]))
    layers = [
        {"conv": {"filters": kernels}},
        {"activation": activation},
        {pool: {"kernel": 2, "stride": 1}},
    ]
    out = size - 2  # conv 2×2 then pool 2×2, stride 1
    grad = [draw(matrix(out, out)) for _ in range(filters)]
    return {"input": image, "layers": layers, "grad_output": grad}


@given(conv_problems(), pick)
@FEW
def test_conv_check_modes(problem: dict[str, Any], k: int) -> None:
    check_modes("conv", problem, k)


# conv once more, against a student's world computed without the solution's formulas: a small
# engine of its own (conv 2×2 → activation → pool 2×2 stride 1 → backward), which takes the
# student's slip and decides every relu slope and max-pool route from it.

ACT = {
    "relu": (lambda y: y if y > 0 else 0, lambda y, a: 1 if y > 0 else 0),
    "leaky_relu": (lambda y: y if y > 0 else y / 10, lambda y, a: 1 if y > 0 else Fraction(1, 10)),
    "linear": (lambda y: y, lambda y, a: 1),
    "tanh": (lambda y: math.tanh(y), lambda y, a: 1 - a * a),
}


def conv_world(
    x: list[list[Fraction]],
    kernel: list[list[Fraction]],
    bias: Fraction,
    act: str,
    pool: str,
    grad: list[list[Fraction]],
    carry: int | None,
    slip: tuple[str, Any] | None = None,
) -> dict[str, Any]:
    """Every labelled number of the stack, with ``slip`` = (label, value) written in its place."""
    values: dict[str, Any] = {}

    def put(label: str, v: Any) -> Any:
        if slip is not None and label == slip[0]:
            v = slip[1]
        elif carry is not None:
            v = Fraction(carried(v, carry))
        values[label] = v
        return v

    n = len(x) - 1  # conv output size
    y = [
        [
            put(
                f"y[0][{i}][{j}]",
                bias + sum(x[i + u][j + v] * kernel[u][v] for u in (0, 1) for v in (0, 1)),
            )
            for j in range(n)
        ]
        for i in range(n)
    ]
    f, slope = ACT[act]
    a = [[put(f"a[0][{i}][{j}]", f(y[i][j])) for j in range(n)] for i in range(n)]
    m = n - 1
    routes: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for i in range(m):
        for j in range(m):
            cells = [(i, j), (i, j + 1), (i + 1, j), (i + 1, j + 1)]
            if pool == "maxpool":
                best = cells[0]
                for c in cells[1:]:
                    if a[c[0]][c[1]] > a[best[0]][best[1]]:
                        best = c
                put(f"pool[0][{i}][{j}]", a[best[0]][best[1]])
                routes.setdefault(best, []).append((i, j))
            else:
                put(f"pool[0][{i}][{j}]", sum(a[r][c] for r, c in cells) / 4)
                for c in cells:
                    routes.setdefault(c, []).append((i, j))
    share = 1 if pool == "maxpool" else Fraction(1, 4)
    ga = [
        [
            put(
                f"grad_a[0][{i}][{j}]",
                sum((grad[r][c] * share for r, c in routes.get((i, j), [])), Fraction(0)),
            )
            for j in range(n)
        ]
        for i in range(n)
    ]
    gy = [
        [put(f"grad_y[0][{i}][{j}]", ga[i][j] * slope(y[i][j], a[i][j])) for j in range(n)]
        for i in range(n)
    ]
    put("grad_b[0]", sum((v for row in gy for v in row), Fraction(0)))
    for u in (0, 1):
        for v in (0, 1):
            put(
                f"grad_K[0][0][{u}][{v}]",
                sum(gy[i][j] * x[i + u][j + v] for i in range(n) for j in range(n)),
            )
    for p in range(n + 1):
        for q in range(n + 1):
            terms = [
                gy[p - u][q - v] * kernel[u][v]
                for u in (0, 1)
                for v in (0, 1)
                if 0 <= p - u < n and 0 <= q - v < n
            ]
            put(f"grad_x[0][{p}][{q}]", sum(terms, Fraction(0)))
    return values


@given(
    image=st.integers(3, 4).flatmap(lambda size: matrix(size, size, quarter)),
    kernel=matrix(2, 2),
    bias=tenth,
    act=st.sampled_from(sorted(ACT)),
    pool=st.sampled_from(["maxpool", "avgpool"]),
    data=st.data(),
    k=pick,
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_conv_slip_against_an_engine_of_its_own(
    image: Any, kernel: Any, bias: float, act: str, pool: str, data: Any, k: int
) -> None:
    n = len(image) - 1
    conv_slip(image, kernel, bias, act, pool, data.draw(matrix(n - 1, n - 1)), k)


def conv_slip(image: Any, kernel: Any, bias: float, act: str, pool: str, grad: Any, k: int) -> None:
    """One slip in the conv stack, marked by check and by :func:`conv_world`."""
    x, kern, b, g = (
        [[F(v) for v in row] for row in image],
        [[F(v) for v in row] for row in kernel],
        F(bias),
        [[F(v) for v in row] for row in grad],
    )
    layer = {"leaky_relu": {"name": "leaky_relu", "alpha": 0.1}}.get(act, act)
    problem = {
        "input": image,
        "layers": [
            {"conv": {"kernel": kernel, "bias": bias}},
            {"activation": layer},
            {pool: {"kernel": 2, "stride": 1}},
        ],
        "grad_output": grad,
    }
    for carry in (None, CARRY):
        solution = solve("conv", problem, carry)
        steps = steps_of(solution)
        correct = conv_world(x, kern, b, act, pool, g, carry)
        labels = [label for label in correct if label in steps]
        assert len(labels) == len(correct)  # every number the engine has is a step
        for label in labels:  # the solution agrees with this engine
            assert float(steps[label].value) == pytest.approx(float(correct[label]), abs=1e-9)
        # mostly a forward cell, whose slip changes the decisions after it
        forward = [label for label in labels if label.startswith(("y[", "a["))]
        slipped = (forward if k % 3 else labels)[k % len(forward if k % 3 else labels)]
        v = correct[slipped]
        wrong = -v - Fraction(1, 4) if v > 0 else -v + Fraction(1, 4)  # the other side of 0
        world = conv_world(x, kern, b, act, pool, g, carry, (slipped, wrong))
        claims = [claim(label, float(world[label]), carry) for label in labels]
        expected = {}
        for c in claims:
            if c.name == slipped:
                expected[c.name] = WRONG
            elif abs(c.value - float(correct[c.name])) > c.tol * (1 + 1e-9):
                expected[c.name] = CARRIED
            else:
                expected[c.name] = RIGHT
        report = judge(solution, claims, carry)
        got = {v.claim.name: v.status for v in report.verdicts}
        assert got == expected, {k: (got[k], expected[k]) for k in got if got[k] != expected[k]}


def rnn_problem(draw: Any, cell: str) -> dict[str, Any]:
    n, d = draw(st.integers(1, 2)), 2
    data: dict[str, Any] = {
        "cell": cell,
        "inputs": draw(matrix(2, d)),
        "targets": draw(matrix(2, 1)),
        "loss": "half_sse",
        "learning_rate": 0.1,
        "V": draw(matrix(1, n)),
        "c": [draw(tenth)],
    }

    def block() -> dict[str, Any]:
        return {"U": draw(matrix(n, d)), "W": draw(matrix(n, n)), "b": draw(matrix(1, n))[0]}

    if cell == "rnn":
        data.update(block())
        data["state_activation"] = draw(st.sampled_from(["tanh", "relu", "sigmoid"]))
    else:
        gates = ("forget", "input", "output", "candidate")
        if cell == "gru":
            gates = ("reset", "update", "candidate")
        data["gates"] = {g: block() for g in gates}
    return data


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@given(data=st.data(), k=pick)
@FEW
def test_rnn_check_modes(cell: str, data: Any, k: int) -> None:
    check_modes("rnn", data.draw(st.composite(lambda draw: rnn_problem(draw, cell))()), k)


OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@given(
    start=st.lists(st.integers(-20, 20).map(lambda k: k / 10), min_size=2, max_size=2),
    decay=st.sampled_from([0, 0.1]),
    k=pick,
)
@FEW
def test_optimize_check_modes(optimizer: str, start: list[float], decay: float, k: int) -> None:
    problem = {
        "optimizer": optimizer,
        "learning_rate": 0.1,
        "start": start,
        "function": "w1^2 + 0.5*w1*w2 + 2*w2^2",
        "steps": 3,
        "weight_decay": decay,
    }
    check_modes("optimize", problem, k)


@given(
    batch=st.integers(3, 4).flatmap(
        lambda m: st.integers(1, 2).flatmap(lambda n: matrix(m, n, quarter))
    ),
    k=pick,
    data=st.data(),
)
@FEW
def test_batchnorm_check_modes(batch: list[list[float]], k: int, data: Any) -> None:
    if any(len({row[j] for row in batch}) == 1 for j in range(len(batch[0]))):
        batch[0] = [v + 1 for v in batch[0]]  # no constant feature: its x̂ is 0 whatever is slipped
    n = len(batch[0])
    problem = {
        "batch": batch,
        "gamma": data.draw(matrix(1, n))[0],
        "beta": data.draw(matrix(1, n))[0],
        "epsilon": 0.01,
        "grad_output": data.draw(matrix(len(batch), n)),
    }
    check_modes("batchnorm", problem, k)


@pytest.mark.parametrize(
    "options",
    [
        {"weight_decay": 0.01},
        {"dropout": [[1, 0]], "dropout_rate": 0.5},
        {"optimizer": "momentum", "momentum": 0.9, "epochs": 2},
        {"optimizer": "adam", "weight_decay": 0.01},
    ],
    ids=["weight_decay", "dropout", "momentum", "adam"],
)
@given(
    weights=st.tuples(matrix(2, 2), matrix(2, 2)),
    activation=st.sampled_from(["sigmoid", "relu", "tanh"]),
    k=pick,
)
@FEW
def test_backprop_training_options(
    options: dict[str, Any], weights: Any, activation: str, k: int
) -> None:
    problem = {
        "input": [0.05, 0.1],
        "target": [0.01, 0.99],
        "learning_rate": 0.5,
        "loss": "half_sse",
        "layers": [
            {"units": ["h1", "h2"], "activation": activation, "weights": weights[0], "bias": 0.35},
            {"units": ["o1", "o2"], "activation": "sigmoid", "weights": weights[1], "bias": 0.6},
        ],
        **options,
    }
    check_modes("backprop", problem, k)


# --- --exact against fractions.Fraction ---------------------------------------------------------


def exact_values(solution: Solution) -> dict[str, Fraction]:
    """label → the exact value --exact shows, where it is a plain fraction."""
    attach_exact(solution)
    out: dict[str, Fraction] = {}
    for step in solution.iter_steps():
        text = step.exact
        if text is not None and all(c in "0123456789/−" for c in text):
            out.setdefault(step.label, Fraction(text.replace("−", "-")))
    return out


def F(x: float) -> Fraction:
    return Fraction(repr(x))


@given(
    image=matrix(4, 4, quarter),
    kernel=matrix(2, 2),
    bias=tenth,
    activation=st.sampled_from(["relu", "linear"]),
    pool=st.sampled_from(["maxpool", "avgpool"]),
)
@FEW
def test_conv_exact_is_the_fraction(
    image: Any, kernel: Any, bias: float, activation: str, pool: str
) -> None:
    """avgpool 3×3 (ninths), conv 2×2, activation, pool 2×2: every cell a fraction."""
    problem = {
        "input": image,
        "layers": [
            {"avgpool": {"kernel": 3, "stride": 1}},
            {"conv": {"kernel": kernel, "bias": bias}},
            {"activation": activation},
            {pool: {"kernel": 1}},
        ],
    }
    exact = exact_values(solve("conv", problem))
    x = [[F(v) for v in row] for row in image]
    p = [
        [
            sum((x[i + u][j + v] for u in range(3) for v in range(3)), Fraction(0)) / 9
            for j in (0, 1)
        ]
        for i in (0, 1)
    ]
    y = F(bias) + sum(p[u][v] * F(kernel[u][v]) for u in (0, 1) for v in (0, 1))
    a = max(y, Fraction(0)) if activation == "relu" else y
    for i in (0, 1):
        for j in (0, 1):
            assert exact[f"pool1[0][{i}][{j}]"] == p[i][j]
    assert exact["y[0][0][0]"] == y
    if activation == "relu":
        assert exact["a[0][0][0]"] == a
    assert exact["pool2[0][0][0]"] == a


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad"])
@given(
    start=st.lists(tenth, min_size=2, max_size=2),
    decay=st.sampled_from([0, 0.1]),
)
@FEW
def test_optimize_exact_is_the_fraction(optimizer: str, start: list[float], decay: float) -> None:
    problem = {
        "optimizer": optimizer,
        "learning_rate": 0.1,
        "momentum": 0.9,
        "start": start,
        "function": "w1^2 + 0.5*w1*w2 + 2*w2^2 + 0.25*w1^3",
        "steps": 3,
        "weight_decay": decay,
    }
    exact = exact_values(solve("optimize", problem))
    eta, mu, lam = Fraction(1, 10), Fraction(9, 10), F(decay)
    w = [F(x) for x in start]
    v = [Fraction(0), Fraction(0)]
    a = [Fraction(0), Fraction(0)]
    for t in (1, 2, 3):
        grad = [2 * w[0] + w[1] / 2 + 3 * w[0] ** 2 / 4, w[0] / 2 + 4 * w[1]]
        for i in (0, 1):
            name = f"{i + 1}_{t}"  # two weights: g1_2 is weight 1 at step 2
            assert exact[f"g{name}"] == grad[i]
            g = grad[i] + lam * w[i]
            if decay:
                assert exact[f"g_reg{name}"] == g
            if optimizer == "momentum":
                v[i] = mu * v[i] + g
                assert exact[f"v{name}"] == v[i]
                w[i] -= eta * v[i]
            elif optimizer == "nesterov":
                v[i] = mu * v[i] + g
                assert exact[f"v{name}"] == v[i]
                w[i] -= eta * (g + mu * v[i])
            elif optimizer == "adagrad":
                a[i] += g * g
                assert exact[f"a{name}"] == a[i]
                break  # the weights leave the rationals (√a)
            else:
                w[i] -= eta * g
            if optimizer != "adagrad":
                assert exact[f"w{name}"] == w[i]
        if optimizer == "adagrad":
            break


@given(
    batch=st.integers(2, 4).flatmap(lambda m: matrix(m, 1, quarter)),
    grad=st.lists(tenth, min_size=4, max_size=4),
    gamma=tenth,
)
@FEW
def test_batchnorm_exact_is_the_fraction(batch: Any, grad: list[float], gamma: float) -> None:
    xs = [F(row[0]) for row in batch]
    if len(set(xs)) == 1:
        xs[0] += 1
    m = len(xs)
    dys = grad[:m]
    problem = {
        "batch": [[float(x)] for x in xs],
        "gamma": [gamma],
        "epsilon": 0,
        "grad_output": [[g] for g in dys],
    }
    exact = exact_values(solve("batchnorm", problem))
    mean = sum(xs, Fraction(0)) / m
    var = sum(((x - mean) ** 2 for x in xs), Fraction(0)) / m
    assert exact["mean"] == mean
    assert exact["var"] == var
    assert exact["dbeta"] == sum((F(g) for g in dys), Fraction(0))


@given(
    xs=matrix(2, 2),
    u=matrix(1, 2),
    w=tenth,
    b=tenth,
    v=tenth,
    c=tenth,
    targets=matrix(2, 1),
)
@FEW
def test_rnn_exact_is_the_fraction(
    xs: Any, u: Any, w: float, b: float, v: float, c: float, targets: Any
) -> None:
    """A linear-state rnn cell: every quantity is rational, BPTT included."""
    problem = {
        "cell": "rnn",
        "inputs": xs,
        "targets": targets,
        "loss": "half_sse",
        "learning_rate": 0.1,
        "state0": [0],
        "U": u,
        "W": [[w]],
        "b": [b],
        "V": [[v]],
        "c": [c],
        "state_activation": "linear",
    }
    exact = exact_values(solve("rnn", problem))
    U, W, B, V, C = [F(x) for x in u[0]], F(w), F(b), F(v), F(c)
    s, yhat = [Fraction(0)], []
    for t in (0, 1):
        s.append(U[0] * F(xs[t][0]) + U[1] * F(xs[t][1]) + W * s[-1] + B)
        yhat.append(V * s[-1] + C)
        assert exact[f"s_{t + 1}"] == s[-1]
        assert exact[f"yhat_{t + 1}"] == yhat[-1]
    dy = [yhat[t] - F(targets[t][0]) for t in (0, 1)]
    delta2 = dy[1] * V
    delta1 = dy[0] * V + W * delta2
    grad_u = [delta1 * F(xs[0][i]) + delta2 * F(xs[1][i]) for i in (0, 1)]
    assert exact["dL_dU[1,1]"] == grad_u[0]
    assert exact["dL_dW"] == delta1 * s[0] + delta2 * s[1]
    assert exact["U_new[1,2]"] == U[1] - Fraction(1, 10) * grad_u[1]


# --- every result path links to the step that shows it ---------------------------------------


@given(conv_problems())
@FEW
def test_conv_result_paths_name_their_steps(problem: dict[str, Any]) -> None:
    from dlcalc.grading.checking import resolve_path
    from dlcalc.model.plain import jsonable

    solution = solve("conv", problem)
    result = jsonable(solution.result)
    steps = steps_of(solution)
    linked = 0
    for path, label in solution.paths.items():
        if label in steps:
            linked += 1
            assert float(steps[label].value) == pytest.approx(resolve_path(result, path))
    assert linked > 0


@given(
    x=st.lists(tenth, min_size=2, max_size=2),
    t=st.lists(tenth, min_size=2, max_size=2),
    hidden=matrix(2, 2),
    output=matrix(2, 2),
    decay=st.sampled_from([0, 0.1]),
)
@FEW
def test_backprop_exact_is_the_fraction(
    x: list[float], t: list[float], hidden: Any, output: Any, decay: float
) -> None:
    """A linear 2-2-2 network with weight decay: every quantity is rational."""
    problem = {
        "input": x,
        "target": t,
        "learning_rate": 0.5,
        "loss": "half_sse",
        "weight_decay": decay,
        "layers": [
            {"units": ["h1", "h2"], "activation": "linear", "weights": hidden, "bias": 0.35},
            {"units": ["o1", "o2"], "activation": "linear", "weights": output, "bias": 0.6},
        ],
    }
    exact = exact_values(solve("backprop", problem))
    X, T = [F(v) for v in x], [F(v) for v in t]
    W1 = [[F(v) for v in row] for row in hidden]
    W2 = [[F(v) for v in row] for row in output]
    h = [W1[j][0] * X[0] + W1[j][1] * X[1] + Fraction(35, 100) for j in (0, 1)]
    o = [W2[k][0] * h[0] + W2[k][1] * h[1] + Fraction(6, 10) for k in (0, 1)]
    delta_o = [o[k] - T[k] for k in (0, 1)]
    delta_h = [delta_o[0] * W2[0][j] + delta_o[1] * W2[1][j] for j in (0, 1)]
    assert exact["net_h1"] == h[0] and exact["out_o2"] == o[1]
    assert exact["E_total"] == sum((tk - ok) ** 2 for tk, ok in zip(T, o)) / 2
    assert exact["delta_o1"] == delta_o[0] and exact["delta_h2"] == delta_h[1]
    grad_w5 = delta_o[0] * h[0]
    assert exact["dE_dw5"] == grad_w5
    assert exact["w5_new"] == W2[0][0] - Fraction(1, 2) * (grad_w5 + F(decay) * W2[0][0])
    grad_w1 = delta_h[0] * X[0]
    assert exact["w1_new"] == W1[0][0] - Fraction(1, 2) * (grad_w1 + F(decay) * W1[0][0])


# optimize once more, against a recursion of its own (the update rules of docs/training.md,
# as torch.optim has them) that takes the student's slip and works on from it.

HYPER = {"momentum": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


def optimizer_world(
    optimizer: str,
    start: list[float],
    decay: float,
    steps: int,
    carry: int | None,
    slip: tuple[str, float] | None = None,
) -> dict[str, float]:
    """Every labelled number of the run (two weights: ``g1_2`` is weight 1 at step 2)."""
    values: dict[str, float] = {}

    def put(kind: str, i: int, t: int, v: float) -> float:
        label = f"{kind}{i + 1}_{t}"
        if slip is not None and label == slip[0]:
            v = slip[1]
        elif carry is not None:
            v = carried(v, carry)
        if not math.isfinite(v):
            raise ValueError(label)
        values[label] = v
        return v

    eta, mu, rho = 0.1, HYPER["momentum"], HYPER["rho"]
    b1, b2, eps = HYPER["beta1"], HYPER["beta2"], HYPER["epsilon"]
    w = [carried(x, carry) if carry is not None else x for x in start]
    state = {k: [0.0, 0.0] for k in ("v", "a", "r", "m", "s")}
    for t in range(1, steps + 1):
        grad = [2 * w[0] + 0.5 * w[1], 0.5 * w[0] + 4 * w[1]]
        g = [put("g", i, t, grad[i]) for i in (0, 1)]
        new = list(w)
        for i in (0, 1):
            gr = g[i]
            if decay and optimizer != "adamw":
                gr = put("g_reg", i, t, g[i] + decay * w[i])
            if optimizer == "sgd":
                new[i] = w[i] - eta * gr
            elif optimizer in ("momentum", "nesterov"):
                v = state["v"][i] = put("v", i, t, mu * state["v"][i] + gr)
                new[i] = w[i] - eta * (v if optimizer == "momentum" else gr + mu * v)
            elif optimizer == "adagrad":
                a = state["a"][i] = put("a", i, t, state["a"][i] + gr * gr)
                new[i] = w[i] - eta * gr / (math.sqrt(a) + eps)
            elif optimizer == "rmsprop":
                r = state["r"][i] = put("r", i, t, rho * state["r"][i] + (1 - rho) * gr * gr)
                new[i] = w[i] - eta * gr / (math.sqrt(r) + eps)
            else:  # adam, adamw
                m = state["m"][i] = put("m", i, t, b1 * state["m"][i] + (1 - b1) * gr)
                s = state["s"][i] = put("v", i, t, b2 * state["s"][i] + (1 - b2) * gr * gr)
                m_hat = put("m_hat", i, t, m / (1 - b1**t))
                v_hat = put("v_hat", i, t, s / (1 - b2**t))
                new[i] = w[i] - eta * (
                    m_hat / (math.sqrt(v_hat) + eps) + (decay * w[i] if optimizer == "adamw" else 0)
                )
            new[i] = put("w", i, t, new[i])
        w = new
    return values


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@given(
    start=st.lists(st.integers(-20, 20).map(lambda k: k / 10), min_size=2, max_size=2),
    decay=st.sampled_from([0, 0.1]),
    k=pick,
)
@FEW
def test_optimize_slip_against_a_recursion_of_its_own(
    optimizer: str, start: list[float], decay: float, k: int
) -> None:
    problem = {
        "optimizer": optimizer,
        "learning_rate": 0.1,
        "start": start,
        "function": "w1^2 + 0.5*w1*w2 + 2*w2^2",
        "steps": 3,
        "weight_decay": decay,
        **HYPER,
    }
    for carry in (None, CARRY):
        solution = solve("optimize", problem, carry)
        steps = steps_of(solution)
        correct = optimizer_world(optimizer, start, decay, 3, carry)
        assert set(correct) == {s.label for s in steps.values() if numeric(s)}
        for label, value in correct.items():  # the solution agrees with this recursion
            assert float(steps[label].value) == pytest.approx(value, rel=1e-9, abs=1e-9)
        labels = list(correct)
        slipped = labels[k % len(labels)]
        v = correct[slipped]
        shift = 0.25 * max(1.0, abs(v))
        shift = carried(shift, carry) if carry is not None else shift
        try:
            world = optimizer_world(
                optimizer, start, decay, 3, carry, (slipped, -v - shift if v > 0 else -v + shift)
            )
        except ValueError:  # a state under a square root: the slip stays on its side of 0
            world = optimizer_world(optimizer, start, decay, 3, carry, (slipped, v + shift))
        claims = [claim(label, world[label], carry) for label in labels]
        expected = {}
        for c in claims:
            if c.name == slipped:
                expected[c.name] = WRONG
            elif abs(c.value - correct[c.name]) > c.tol * (1 + 1e-9):
                expected[c.name] = CARRIED
            else:
                expected[c.name] = RIGHT
        report = judge(solution, claims, carry)
        got = {v.claim.name: v.status for v in report.verdicts}
        assert got == expected, {k: (got[k], expected[k]) for k in got if got[k] != expected[k]}


# batchnorm once more, against a computation of its own that takes the student's slip.


def batchnorm_world(
    xs: list[float],
    gamma: float,
    beta: float,
    eps: float,
    dys: list[float],
    carry: int | None,
    slip: tuple[str, float] | None = None,
) -> dict[str, float]:
    values: dict[str, float] = {}

    def put(label: str, v: float) -> float:
        if slip is not None and label == slip[0]:
            v = slip[1]
        elif carry is not None:
            v = carried(v, carry)
        if not math.isfinite(v):
            raise ValueError(label)
        values[label] = v
        return v

    m = len(xs)
    mean = put("mean", sum(xs) / m)
    var = put("var", sum((x - mean) ** 2 for x in xs) / m)
    std = put("std", math.sqrt(var + eps))
    xhat = [put(f"xhat_{i + 1}", (x - mean) / std) for i, x in enumerate(xs)]
    for i, h in enumerate(xhat):
        put(f"y_{i + 1}", gamma * h + beta)
    dbeta = put("dbeta", sum(dys))
    dgamma = put("dgamma", sum(d * h for d, h in zip(dys, xhat)))
    for i, (d, h) in enumerate(zip(dys, xhat)):
        put(f"dx_{i + 1}", gamma / std * (d - dbeta / m - h * dgamma / m))
    return values


@given(
    xs=st.lists(quarter, min_size=3, max_size=4).filter(lambda v: len(set(v)) > 1),
    gamma=tenth.filter(bool),
    beta=tenth,
    dys=st.lists(tenth, min_size=4, max_size=4),
    k=pick,
)
@FEW
def test_batchnorm_slip_against_a_computation_of_its_own(
    xs: list[float], gamma: float, beta: float, dys: list[float], k: int
) -> None:
    dys = dys[: len(xs)]
    problem = {
        "batch": [[x] for x in xs],
        "gamma": [gamma],
        "beta": [beta],
        "epsilon": 0.01,
        "grad_output": [[d] for d in dys],
    }
    for carry in (None, CARRY):
        solution = solve("batchnorm", problem, carry)
        steps = steps_of(solution)
        correct = batchnorm_world(xs, gamma, beta, 0.01, dys, carry)
        assert set(correct) == {s.label for s in steps.values() if numeric(s)}
        for label, value in correct.items():
            assert float(steps[label].value) == pytest.approx(value, rel=1e-9, abs=1e-9)
        labels = list(correct)
        slipped = labels[k % len(labels)]
        v = correct[slipped]
        shift = carried(0.25 * max(1.0, abs(v)), carry) if carry else 0.25 * max(1.0, abs(v))
        try:
            world = batchnorm_world(
                xs, gamma, beta, 0.01, dys, carry, (slipped, -v - shift if v > 0 else -v + shift)
            )
        except ValueError:  # σ² + ε under the square root: stay on its side of 0
            world = batchnorm_world(xs, gamma, beta, 0.01, dys, carry, (slipped, v + shift))
        claims = [claim(label, world[label], carry) for label in labels]
        expected = {
            c.name: WRONG
            if c.name == slipped
            else CARRIED
            if abs(c.value - correct[c.name]) > c.tol * (1 + 1e-9)
            else RIGHT
            for c in claims
        }
        report = judge(solution, claims, carry)
        got = {v.claim.name: v.status for v in report.verdicts}
        assert got == expected, {k: (got[k], expected[k]) for k in got if got[k] != expected[k]}


# the rnn cell once more, against a computation of its own (one unit, two steps, tanh state,
# linear output layer, ½ squared error, one update with η = 0.1)


def rnn_world(
    xs: list[list[float]],
    ys: list[float],
    u: list[float],
    w: float,
    b: float,
    v: float,
    c: float,
    carry: int | None,
    slip: tuple[str, float] | None = None,
) -> dict[str, float]:
    values: dict[str, float] = {}

    def put(label: str, x: float) -> float:
        if slip is not None and label == slip[0]:
            x = slip[1]
        elif carry is not None:
            x = carried(x, carry)
        if not math.isfinite(x):
            raise ValueError(label)
        values[label] = x
        return x

    s = [0.0]
    yhat = []
    for t in (1, 2):
        x = xs[t - 1]
        s.append(put(f"s_{t}", math.tanh(u[0] * x[0] + u[1] * x[1] + w * s[-1] + b)))
        net = put(f"net_yhat_{t}", v * s[t] + c)
        yhat.append(put(f"yhat_{t}", net))
        put(f"L_{t}", (yhat[-1] - ys[t - 1]) ** 2 / 2)
    put("L", values["L_1"] + values["L_2"])
    dy2 = put("dL_dyhat_2", yhat[1] - ys[1])
    d_out2 = put("delta_yhat_2", dy2 * 1)
    ds2 = put("dL_ds_2", d_out2 * v)
    delta2 = put("delta_2", ds2 * (1 - s[2] * s[2]))
    dy1 = put("dL_dyhat_1", yhat[0] - ys[0])
    d_out1 = put("delta_yhat_1", dy1 * 1)
    explicit = put("dL_ds_1_explicit", d_out1 * v)
    implicit = put("dL_ds_1_implicit", delta2 * w)
    ds1 = put("dL_ds_1", explicit + implicit)
    delta1 = put("delta_1", ds1 * (1 - s[1] * s[1]))
    deltas = [delta1, delta2]
    grad = {
        "U[1,1]": put("dL_dU[1,1]", deltas[0] * xs[0][0] + deltas[1] * xs[1][0]),
        "U[1,2]": put("dL_dU[1,2]", deltas[0] * xs[0][1] + deltas[1] * xs[1][1]),
        "W": put("dL_dW", deltas[0] * s[0] + deltas[1] * s[1]),
        "b": put("dL_db", deltas[0] + deltas[1]),
        "V": put("dL_dV", d_out1 * s[1] + d_out2 * s[2]),
        "c": put("dL_dc", d_out1 + d_out2),
    }
    before = {"U[1,1]": u[0], "U[1,2]": u[1], "W": w, "b": b, "V": v, "c": c}
    for name, g in grad.items():
        base, bracket, rest = name.partition("[")
        put(f"{base}_new{bracket}{rest}", before[name] - 0.1 * g)
    return values


@given(
    xs=matrix(2, 2),
    ys=st.lists(tenth, min_size=2, max_size=2),
    u=st.lists(tenth, min_size=2, max_size=2),
    w=tenth,
    b=tenth,
    v=tenth.filter(bool),
    c=tenth,
    k=pick,
)
@FEW
def test_rnn_slip_against_a_computation_of_its_own(
    xs: Any, ys: list[float], u: list[float], w: float, b: float, v: float, c: float, k: int
) -> None:
    problem = {
        "cell": "rnn",
        "inputs": xs,
        "targets": [[y] for y in ys],
        "loss": "half_sse",
        "learning_rate": 0.1,
        "state0": [0],
        "U": [u],
        "W": [[w]],
        "b": [b],
        "V": [[v]],
        "c": [c],
        "state_activation": "tanh",
    }
    for carry in (None, CARRY):
        solution = solve("rnn", problem, carry)
        steps = steps_of(solution)
        correct = rnn_world(xs, ys, u, w, b, v, c, carry)
        assert set(correct) == {s.label for s in steps.values() if numeric(s)}
        for label, value in correct.items():
            assert float(steps[label].value) == pytest.approx(value, rel=1e-9, abs=1e-9), label
        labels = list(correct)
        slipped = labels[k % len(labels)]
        x = correct[slipped]
        shift = carried(0.25 * max(1.0, abs(x)), carry) if carry else 0.25 * max(1.0, abs(x))
        world = rnn_world(
            xs, ys, u, w, b, v, c, carry, (slipped, -x - shift if x > 0 else -x + shift)
        )
        claims = [claim(label, world[label], carry) for label in labels]
        expected = {
            cl.name: WRONG
            if cl.name == slipped
            else CARRIED
            if abs(cl.value - correct[cl.name]) > cl.tol * (1 + 1e-9)
            else RIGHT
            for cl in claims
        }
        report = judge(solution, claims, carry)
        got = {vd.claim.name: vd.status for vd in report.verdicts}
        assert got == expected, {n: (got[n], expected[n]) for n in got if got[n] != expected[n]}
