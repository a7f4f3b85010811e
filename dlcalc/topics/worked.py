"""Recording a worked step: the value is its formula tree evaluated, then carried (--carry N).

Used by ``gan``, ``vae`` and ``attention``: each step is written once, as a tree of the
quantities it comes from; its value is that tree evaluated in floats and rounded as a
student rounds under ``--carry``, so the printed formula, the value and ``check``'s
recompute cannot drift apart.
"""

from __future__ import annotations

from dlcalc.maths.scalars import carry_round
from dlcalc.model.formula import Name, Node, Q, Symbol, q
from dlcalc.model.steps import Section, Step


def indexed(base: str, *index: int, **extra: object) -> Name:
    """``base`` with 1-based indices in subscript digits: Q₁,₂, z₃, x̂₂ (``accent="hat"``)."""
    return Name(base, ",".join(str(i + 1) for i in index), index=True, **extra)  # type: ignore[arg-type]


def label(base: str, *index: int) -> str:
    """The answers-file label of an indexed quantity: ``Q_1_2`` (1-based)."""
    return "_".join([base, *(str(i + 1) for i in index)])


class Work:
    """Adds steps to sections, each valued by evaluating its tree, rounded under --carry."""

    def __init__(self, carry: int | None) -> None:
        self.carry = carry

    def round(self, value: float) -> float:
        """``value`` as carried to the next step: rounded under --carry, else itself."""
        return value if self.carry is None else float(carry_round(value, self.carry))

    def step(
        self, section: Section, label: str, name: Symbol, expr: Node, note: str | None = None
    ) -> Q:
        """Record ``label`` = ``expr`` in ``section``; returns the quantity for later formulas."""
        value = self.round(float(expr.evaluate()))
        section.add(Step(label, value, name=name, expr=expr, note=note))
        return q(label, value, name)
