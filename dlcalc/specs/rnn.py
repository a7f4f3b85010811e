"""Problem files for ``rnn``: a recurrent cell (rnn, lstm or gru) run over a sequence.

The slides' notation: ``U`` multiplies the input x_t, ``W`` the previous state (or, for
the LSTM, the previous hidden vector h_{t−1}); LSTM and GRU gates each carry their own
``U``, ``W`` and ``b``.  Every shape is checked against the others here, so that the
computation never meets a mismatch; each error names the file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from dlcalc.errors import InputError
from dlcalc.maths.numerics import ACTIVATIONS, LOSSES
from dlcalc.specs.common import Matrix, Number, Strict, Vector, Whole, one_of, vector
from dlcalc.specs.loader import Document, describe, field_path, validate
from dlcalc.specs.problem import Problem

CELLS = ("rnn", "lstm", "gru")
GATES = {
    "rnn": (),
    "lstm": ("input", "forget", "output", "candidate"),
    "gru": ("reset", "update", "candidate"),
}
STATE_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
MAX_STEPS = 200  # time steps of one sequence
MAX_UNITS = 50  # state units, input and output sizes
MAX_PARAMETERS = 5_000


def _targets(value: Any) -> list[list[float] | None]:
    """One target vector per step, or null for a step without one."""
    if not isinstance(value, list):
        raise ValueError(
            f"expected a list with one target per step (null for none), got {describe(value)}"
        )
    out: list[list[float] | None] = []
    for k, item in enumerate(value):
        if item is None:
            out.append(None)
            continue
        if not isinstance(item, list):  # one output: a number may stand for [number]
            item = [item]
        try:
            out.append(vector(item, "a list of numbers (or null for a step without a target)"))
        except ValueError as e:
            raise ValueError(f"item {k}: {e}") from None
    return out


def _inputs(value: Any) -> list[list[float]]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of input vectors x_1 … x_T, got {describe(value)}")
    out = []
    for k, item in enumerate(value):
        if not isinstance(item, list) and item is not None:  # one input value: 1 stands for [1]
            item = [item]
        try:
            out.append(vector(item, "an input vector (a list of numbers)"))
        except ValueError as e:
            raise ValueError(f"item {k}: {e}") from None
    return out


class Gate(Strict):
    """One gate's parameters: U (input weights), W (recurrent weights), b."""

    U: Matrix
    W: Matrix
    b: Vector | None = None


class RnnProblem(Problem):
    cell: Annotated[str, AfterValidator(one_of(CELLS, "cell"))] = "rnn"
    inputs: Annotated[list[list[float]], BeforeValidator(_inputs)]
    targets: Annotated[list[list[float] | None], BeforeValidator(_targets)] | None = None
    loss: Annotated[str, AfterValidator(one_of(LOSSES, "loss"))] = "half_sse"
    learning_rate: Number | None = None
    state0: Vector | None = None
    hidden0: Vector | None = None
    U: Matrix | None = None
    W: Matrix | None = None
    b: Vector | None = None
    gates: dict[str, Gate] | None = None
    V: Matrix | None = None
    c: Vector | None = None
    output_activation: Annotated[str, AfterValidator(one_of(ACTIVATIONS, "activation"))] = "linear"
    state_activation: Annotated[
        str, AfterValidator(one_of(STATE_ACTIVATIONS, "state activation"))
    ] = "tanh"
    gradient_flow: bool = False  # (extension) also show ∏ ∂s_j/∂s_{j−1}; the --gradient-flow flag
    truncate: Whole | None = (
        None  # (extension) truncated BPTT: chunks of k steps, no gradient across a cut
    )


Fail = Callable[..., InputError]
Block = tuple[str, tuple[str, ...], Gate]


def load_rnn(doc: Document) -> RnnProblem:
    """Validate an rnn problem and check that every shape fits; errors name the line."""
    spec = validate(RnnProblem, doc)
    if spec.truncate is not None and spec.truncate < 1:
        raise InputError(
            f"expected k of at least 1 (the gradient flows back within chunks of k steps), got {spec.truncate}",
            file=doc.name,
            line=doc.line_of(("truncate",)),
            field="truncate",
        )

    def fail(message: str, *loc: str | int) -> InputError:
        return InputError(
            message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None
        )

    if spec.command is not None and spec.command != "rnn":
        raise fail(f"this file is for `{spec.command}`, not `rnn`", "command")
    d = _check_inputs(spec, fail)
    blocks = _cell_blocks(spec, fail)
    n = _check_gate_shapes(blocks, d, fail)
    _check_initial_state(spec, n, fail)
    m = _check_output_layer(spec, doc, n, fail)
    _check_targets(spec, m, fail)
    _check_size(spec, len(blocks), d, n, m, fail)
    return spec


def _check_inputs(spec: RnnProblem, fail: Fail) -> int:
    """At most MAX_STEPS input vectors, all of one size; returns that size d."""
    T = len(spec.inputs)
    d = len(spec.inputs[0])
    if T > MAX_STEPS:
        raise fail(f"{T} time steps; a worked example may have at most {MAX_STEPS}", "inputs")
    for k, x in enumerate(spec.inputs):
        if len(x) != d:
            raise fail(
                f"x_{k + 1} has {len(x)} values but x_1 has {d}; every input needs the same size",
                "inputs",
                k,
            )
    return d


def _cell_blocks(spec: RnnProblem, fail: Fail) -> list[Block]:
    """The cell's parameters: (gate name for messages, location, U/W/b) per gate.

    The rnn cell takes top-level U, W, b; lstm and gru take every one of their gates
    under ``gates:`` and nothing else.
    """
    blocks: list[Block] = []
    names = GATES[spec.cell]
    if spec.cell == "rnn":
        if spec.gates is not None:
            raise fail(
                "the rnn cell takes U, W and b, not gates (gates are for lstm and gru)", "gates"
            )
        if spec.U is None:
            raise fail("missing key 'U' (the input weights, one row per state unit)")
        if spec.W is None:
            raise fail("missing key 'W' (the recurrent weights, state units × state units)")
        blocks.append(("", (), Gate(U=spec.U, W=spec.W, b=spec.b)))
        return blocks
    for key in ("U", "W", "b"):
        if getattr(spec, key) is not None:
            raise fail(
                f"the {spec.cell} cell takes its parameters under `gates:` "
                f"({', '.join(names)}, each with U, W, b), not a top-level {key}",
                key,
            )
    if spec.gates is None:
        raise fail(f"missing key 'gates' ({', '.join(names)}, each with U, W, b)")
    for name in spec.gates:
        if name not in names:
            from dlcalc.specs.loader import suggest

            raise fail(
                f"unknown gate {name!r}{suggest(name, names)}; the {spec.cell} cell has {', '.join(names)}",
                "gates",
                name,
            )
    for name in names:
        if name not in spec.gates:
            raise fail(
                f"missing gate {name!r} (the {spec.cell} cell needs {', '.join(names)})",
                "gates",
            )
        blocks.append((name, ("gates", name), spec.gates[name]))
    return blocks


def _check_gate_shapes(blocks: list[Block], d: int, fail: Fail) -> int:
    """Every gate's U is n×d, W n×n and b n long; returns the number of state units n."""
    n = len(blocks[0][2].U)
    if n > MAX_UNITS or d > MAX_UNITS:
        raise fail(
            f"at most {MAX_UNITS} state units and input values", "inputs" if d > MAX_UNITS else "U"
        )
    for name, loc, gate in blocks:
        what = f"gate {name}: " if name else ""
        if len(gate.U) != n:
            raise fail(
                f"{what}U has {len(gate.U)} rows but {blocks[0][0] or 'U'} has {n}; every gate needs one row per state unit",
                *loc,
                "U",
            )
        if len(gate.U[0]) != d:
            raise fail(
                f"{what}each row of U needs {d} weights (one per input value; x_t has {d}) but has {len(gate.U[0])}",
                *loc,
                "U",
            )
        if len(gate.W) != n or len(gate.W[0]) != n:
            raise fail(
                f"{what}W must be {n}×{n} (state units × state units), got {len(gate.W)}×{len(gate.W[0])}",
                *loc,
                "W",
            )
        if gate.b is not None and len(gate.b) != n:
            raise fail(
                f"{what}expected {n} biases (one per state unit), got {len(gate.b)}", *loc, "b"
            )
    return n


def _check_initial_state(spec: RnnProblem, n: int, fail: Fail) -> None:
    """state0 (and, for the lstm only, hidden0) hold one value per state unit."""
    for key, allowed in (("state0", True), ("hidden0", spec.cell == "lstm")):
        value = getattr(spec, key)
        if value is None:
            continue
        if not allowed:
            raise fail(
                f"only the lstm cell has a hidden vector h_0; the {spec.cell} cell's state is state0",
                key,
            )
        if len(value) != n:
            raise fail(f"expected {n} values (one per state unit), got {len(value)}", key)


def _check_output_layer(spec: RnnProblem, doc: Document, n: int, fail: Fail) -> int:
    """V is m×n with m values of c; without V, y_t = h_t.  Returns the output size m."""
    m = n
    if spec.V is not None:
        m = len(spec.V)
        if len(spec.V[0]) != n:
            raise fail(
                f"each row of V needs {n} weights (one per state unit) but has {len(spec.V[0])}",
                "V",
            )
        if m > MAX_UNITS:
            raise fail(f"at most {MAX_UNITS} outputs", "V")
        if spec.c is not None and len(spec.c) != m:
            raise fail(f"expected {m} values of c (one per row of V), got {len(spec.c)}", "c")
    else:
        if spec.c is not None:
            raise fail(
                "c is the output layer's bias; give the output weights V with it (y_t = g(V h_t + c))",
                "c",
            )
        if "output_activation" in (doc.data or {}) and spec.output_activation != "linear":
            raise fail(
                "output_activation needs an output layer V (without V, y_t = h_t)",
                "output_activation",
            )
    return m


def _check_targets(spec: RnnProblem, m: int, fail: Fail) -> None:
    """One target (or null) per step, each m long and a probability for bce/cross-entropy."""
    T = len(spec.inputs)
    if spec.targets is not None:
        if len(spec.targets) != T:
            raise fail(
                f"expected {T} targets (one per input; null for a step without one), got {len(spec.targets)}",
                "targets",
            )
        for k, t in enumerate(spec.targets):
            if t is not None and len(t) != m:
                where = (
                    "V has that many rows"
                    if spec.V is not None
                    else "y_t = h_t has that many units"
                )
                raise fail(f"expected {m} target values ({where}), got {len(t)}", "targets", k)
            if (
                t is not None
                and spec.loss in ("bce", "cross_entropy")
                and any(v < 0 or v > 1 for v in t)
            ):
                raise fail(
                    f"{spec.loss} needs targets between 0 and 1 (probabilities)", "targets", k
                )
        if all(t is None for t in spec.targets):
            raise fail("every target is null; give at least one, or leave out targets", "targets")
    if spec.learning_rate is not None and spec.targets is None:
        raise fail("a learning rate needs targets to learn from", "learning_rate")


def _check_size(spec: RnnProblem, gates: int, d: int, n: int, m: int, fail: Fail) -> None:
    """Bounded work: at most MAX_PARAMETERS parameters, and parameters × steps bounded too."""
    n_parameters = sum(n * (d + n + 1) for _ in range(gates)) + m * (n + 1)
    if n_parameters > MAX_PARAMETERS:
        raise fail(
            f"{n_parameters:,} parameters; a worked example may have at most {MAX_PARAMETERS:,}",
            "U" if spec.cell == "rnn" else "gates",
        )
    if n_parameters * len(spec.inputs) > 200_000:
        raise fail("too long a sequence for this many parameters in a worked example", "inputs")
