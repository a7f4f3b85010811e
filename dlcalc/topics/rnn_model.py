"""The arrays of a recurrent cell problem: its parameters, one time step's quantities, the model.

Shared by the engine (:mod:`dlcalc.topics.rnn`) and the worked steps (:mod:`dlcalc.topics.rnn_steps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dlcalc.maths.numerics import ACTIVATION, LOSS, Activation, Loss
from dlcalc.specs.rnn import GATES, RnnProblem

Array = np.ndarray
INLINE_SLOPES = ("tanh", "sigmoid", "linear")  # slopes written from the output inside δ's formula


@dataclass
class Block:
    """One gate's (or the plain cell's) parameters: U (input), W (recurrent), b."""

    U: Array
    W: Array
    b: Array


@dataclass
class Params:
    blocks: dict[str, Block]  # "cell" for rnn; the gate names for lstm and gru
    V: Array | None = None
    c: Array | None = None

    def copy(self) -> Params:
        return Params(
            {k: Block(b.U.copy(), b.W.copy(), b.b.copy()) for k, b in self.blocks.items()},
            None if self.V is None else self.V.copy(),
            None if self.c is None else self.c.copy(),
        )


@dataclass
class Frame:
    """Everything one time step computes, forward and backward."""

    x: Array
    s_prev: Array
    h_prev: Array
    target: Array | None = None
    net: dict[str, Array] = field(default_factory=dict)  # pre-activations of the state/candidate
    gate: dict[str, Array] = field(default_factory=dict)  # gate values and the candidate s̃_t
    s: Array = field(default_factory=lambda: np.zeros(0))
    m: Array | None = None  # lstm: act(s_t)
    h: Array = field(default_factory=lambda: np.zeros(0))
    net_y: Array | None = None
    y: Array = field(default_factory=lambda: np.zeros(0))
    terms: Array | None = None
    loss: float | None = None
    # backward
    gy: Array | None = None  # ∂L/∂ŷ_t
    y_slope: Array | None = None  # ∂ŷ/∂net_ŷ (recorded only for relu-like output activations)
    dy: Array | None = None  # δŷ_t = ∂L/∂net_ŷ_t
    dh: Array | None = None  # lstm: ∂L/∂h_t
    ds: Array | None = None  # ∂L/∂s_t
    explicit: Array | None = None  # ∂L_t/∂s_t (lstm: ∂L_t/∂h_t), where step t has a target
    implicit: Array | None = None  # ∂L_{>t}/∂s_t (lstm: ∂L_{>t}/∂h_t), where a later step exists
    slope: dict[str, Array] = field(
        default_factory=dict
    )  # recorded slopes of relu-like activations
    delta: dict[str, Array] = field(default_factory=dict)  # ∂L/∂(pre-activation) per block
    drs: Array | None = None  # gru: ∂L/∂(r_t ⊙ s_{t−1})


@dataclass
class Model:
    """A problem read into arrays: the cell, its parameters and the sequence."""

    kind: str
    params: Params
    xs: list[Array]
    targets: list[Array | None]
    s0: Array
    h0: Array
    state_act: Activation
    out_act: Activation
    loss: Loss
    learning_rate: float | None
    has_c: bool
    truncate: int | None = (
        None  # truncated BPTT: no gradient from step t + 1 back to t when k divides t
    )

    @classmethod
    def from_problem(cls, spec: RnnProblem) -> Model:
        if spec.cell == "rnn":
            assert spec.U is not None and spec.W is not None
            n = len(spec.U)
            raw = {"cell": (spec.U, spec.W, spec.b)}
        else:
            assert spec.gates is not None
            raw = {g: (spec.gates[g].U, spec.gates[g].W, spec.gates[g].b) for g in GATES[spec.cell]}
            n = len(next(iter(raw.values()))[0])
        blocks = {
            name: Block(
                np.array(U, dtype=float),
                np.array(W, dtype=float),
                np.zeros(n) if b is None else np.array(b, dtype=float),
            )
            for name, (U, W, b) in raw.items()
        }
        V = None if spec.V is None else np.array(spec.V, dtype=float)
        c = None
        if V is not None:
            c = np.zeros(len(V)) if spec.c is None else np.array(spec.c, dtype=float)
        targets = spec.targets or [None] * len(spec.inputs)
        return cls(
            kind=spec.cell,
            params=Params(blocks, V, c),
            xs=[np.array(x, dtype=float) for x in spec.inputs],
            targets=[None if t is None else np.array(t, dtype=float) for t in targets],
            s0=np.zeros(n) if spec.state0 is None else np.array(spec.state0, dtype=float),
            h0=np.zeros(n) if spec.hidden0 is None else np.array(spec.hidden0, dtype=float),
            state_act=ACTIVATION[spec.state_activation],
            out_act=ACTIVATION[spec.output_activation],
            loss=LOSS[spec.loss],
            learning_rate=spec.learning_rate,
            has_c=spec.c is not None,
            truncate=spec.truncate,
        )

    @property
    def n(self) -> int:
        return len(self.s0)

    @property
    def m(self) -> int:
        return self.n if self.params.V is None else len(self.params.V)

    @property
    def trains(self) -> bool:
        return any(t is not None for t in self.targets)

    def carries_back(self, t: int, truncate: int | None = -1) -> bool:
        """Does the gradient flow from step t + 1 back to step t (1-based)?  Not past the last
        step, nor across a cut of truncated BPTT (after steps k, 2k, …).  ``truncate`` -1: the
        model's own."""
        k = self.truncate if truncate == -1 else truncate
        return t < len(self.xs) and (k is None or t % k != 0)

    def split(self, act: Activation) -> bool:
        """Is the activation's net input written as a step of its own (its slope needs it)?"""
        return act.name not in INLINE_SLOPES
