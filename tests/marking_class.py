"""A class of generated answer sheets for the 2-2-2 backpropagation problem (examples/mazur.yaml).

Each sheet is worked by hand here, independently of dlcalc: the student writes every asked
value to 4 decimals and carries on with what they wrote.  A planted slip replaces one value
(the student then works on from it), a convention changes the loss (``sse``: E = Σ(t − o)²,
so ∂E/∂out = 2(out − t)), and a "gaming" sheet writes 1 or 0 for a sigmoid output so that
later steps become trivial.  :func:`expected` scores a sheet from what was planted, using
a hand-written table of which asked step depends on which — the oracle the tests and the
benchmark compare dlcalc with.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

ASK = [
    "net_h1",
    "out_h1",
    "out_h2",
    "net_o1",
    "out_o1",
    "out_o2",
    "E_o1",
    "E_total",
    "delta_o1",
    "dE_dw5",
    "w5_new",
    "w8_new",
]
# Which asked steps each asked step is worked out from, directly or not (by hand, from the slides).
DEPENDS = {
    "net_h1": set(),
    "out_h1": {"net_h1"},
    "out_h2": set(),
    "net_o1": {"net_h1", "out_h1", "out_h2"},
    "out_o1": {"net_h1", "out_h1", "out_h2", "net_o1"},
    "out_o2": {"net_h1", "out_h1", "out_h2"},
    "E_o1": {"net_h1", "out_h1", "out_h2", "net_o1", "out_o1"},
    "E_total": {"net_h1", "out_h1", "out_h2", "net_o1", "out_o1", "out_o2", "E_o1"},
    "delta_o1": {"net_h1", "out_h1", "out_h2", "net_o1", "out_o1"},
    "dE_dw5": {"net_h1", "out_h1", "out_h2", "net_o1", "out_o1", "delta_o1"},
    "w5_new": {"net_h1", "out_h1", "out_h2", "net_o1", "out_o1", "delta_o1", "dE_dw5"},
    "w8_new": {"net_h1", "out_h1", "out_h2", "out_o2"},
}
# Steps the sse convention changes (E and everything from ∂E/∂out on).
SSE_CHANGES = {"E_o1", "E_total", "delta_o1", "dE_dw5", "w5_new", "w8_new"}


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def world(
    slips: dict[str, float] | None = None, loss: str = "half_sse", digits: int | None = 4
) -> dict[str, float]:
    """Every asked value as the student writes it (``digits`` decimals; None: exactly), slips
    put in where planted.  The student works on with the calculator's full values (a slip
    as written), as dlcalc's default (not ``--carry``) marking assumes."""
    slips = slips or {}
    v: dict[str, float] = {}

    def put(name: str, x: float) -> float:
        x = slips.get(name, x)
        v[name] = round(x, digits) if digits is not None else x
        return x

    k = 1.0 if loss == "half_sse" else 2.0  # E = (k/2)·(t − o)²
    net_h1 = put("net_h1", 0.15 * 0.05 + 0.20 * 0.10 + 0.35)
    out_h1 = put("out_h1", sigmoid(net_h1))
    out_h2 = put("out_h2", sigmoid(0.25 * 0.05 + 0.30 * 0.10 + 0.35))
    net_o1 = put("net_o1", 0.40 * out_h1 + 0.45 * out_h2 + 0.60)
    out_o1 = put("out_o1", sigmoid(net_o1))
    out_o2 = put("out_o2", sigmoid(0.50 * out_h1 + 0.55 * out_h2 + 0.60))
    e_o1 = put("E_o1", k / 2 * (0.01 - out_o1) ** 2)
    put("E_total", e_o1 + k / 2 * (0.99 - out_o2) ** 2)
    delta_o1 = put("delta_o1", k * (out_o1 - 0.01) * out_o1 * (1 - out_o1))
    de_dw5 = put("dE_dw5", delta_o1 * out_h1)
    put("w5_new", 0.40 - 0.5 * de_dw5)
    delta_o2 = k * (out_o2 - 0.99) * out_o2 * (1 - out_o2)
    put("w8_new", 0.55 - 0.5 * delta_o2 * out_h2)
    return v


EXACT = world(digits=None)


@dataclass
class Planted:
    """One generated sheet and what was planted in it."""

    student: str
    values: dict[str, float]
    slip: str | None = None  # the asked step with the slip
    loss: str = "half_sse"
    gaming: bool = False  # the slip is a value its step cannot take (credit withheld)
    blank: list[str] = field(default_factory=list)  # asked steps left unanswered

    def sheet(self) -> str:
        """The answers file: ``label: value`` lines (blank answers left out)."""
        return "".join(f"{k}: {v:.4f}\n" for k, v in self.values.items() if k not in self.blank)


def generate(n: int, seed: int = 0) -> list[Planted]:
    """``n`` sheets: honest ones, one slip each, the sse convention, gaming slips, blanks."""
    rng = random.Random(seed)
    correct = world()
    out: list[Planted] = []
    for i in range(n):
        student = f"s{i + 1:03d}"
        kind = i % 6
        if kind == 0:
            out.append(Planted(student, world()))
        elif kind in (1, 2):
            name = rng.choice(ASK[:9])  # slips in steps others build on (or not)
            slipped = correct[name] + rng.choice([-1, 1]) * rng.choice([0.01, 0.05, 0.1])
            out.append(Planted(student, world({name: slipped}), slip=name))
        elif kind == 3:
            out.append(Planted(student, world(loss="sse"), loss="sse"))
        elif kind == 4:
            name = rng.choice(["out_h1", "out_o1"])
            out.append(
                Planted(student, world({name: rng.choice([0.0, 1.0])}), slip=name, gaming=True)
            )
        else:
            blank = rng.sample(ASK, 2)
            out.append(Planted(student, world(), blank=blank))
    return out


def expected(
    p: Planted,
    carried_forward: float,
    weights: dict[str, float] | None = None,
    tol: Callable[[float], float] | None = None,
) -> float:
    """The score the sheet should get, from what was planted (weight 1 per asked step by
    default; ``tol(correct)``: the policy's tolerance, default ±0.00005 for 4 decimals)."""
    weights = weights or {}
    tol = tol or (lambda x: 0.00005)
    total = 0.0
    for name in ASK:
        w = weights.get(name, 1.0)
        if name in p.blank:
            continue
        if p.slip is None:
            total += w  # right (under the sse convention too, which dlcalc recognises)
        elif name == p.slip:
            continue  # the slip itself is wrong
        elif p.slip in DEPENDS[name]:
            # carried forward, unless the same value comes out anyway (right) or gaming
            same = abs(round(p.values[name], 4) - EXACT[name]) <= tol(EXACT[name]) + 1e-12
            if same:
                total += w
            elif not p.gaming:
                total += w * carried_forward
        else:
            total += w
    return total


def significant(n: int) -> Callable[[float], float]:
    """The tolerance of ``n`` significant figures: half a unit in the n-th figure."""
    return lambda x: 0.5 * 10.0 ** (math.floor(math.log10(abs(x))) - n + 1) if x else 0.0
