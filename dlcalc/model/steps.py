"""The worked solution every computation returns and every renderer reads.

A computation records each quantity it works out as a :class:`Step`: its label
(``net_h1``), its value and its formula as a tree (:mod:`dlcalc.model.formula`) whose leaves
are the quantities it came from.  Printed with names, the tree is the formula; with
values bound, the substituted formula; evaluated, the recomputation ``check`` uses.  A
step without a tree is a given.  Steps are grouped into :class:`Section` s, next to plain
:class:`Table` s and notes.  Nothing here formats numbers: renderers do.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

from dlcalc.model.records import Record

if TYPE_CHECKING:
    from dlcalc.model.formula import Node, Symbol

Value = Any  # a number, a string, a bool or a (nested) list of those


class Arg(Record):
    """One quantity a step was computed from: its label, display symbol and value."""

    __slots__ = ("name", "value", "symbol")

    def __init__(self, name: str, value: Any, symbol: str | None = None) -> None:
        self.name = name
        self.value = (
            value  # a number: float, int or Fraction (perceptron and delta compute exactly)
        )
        self.symbol = symbol

    @property
    def shown(self) -> str:
        return self.symbol or self.name


class Step(Record):
    """One named quantity of the worked solution.

    ``expr`` is the formula as a tree (:mod:`dlcalc.model.formula`): the single description of
    the step: its printed formula, its substituted formula, its inputs (``args``, read off
    the tree unless given) and its recompute.  A step without ``expr`` is a given (a
    weight, an input).  ``name`` is the step's own name, structured (w5⁺, ∂E/∂w5, δ_o1),
    for printers that write names in their own notation (LaTeX, ASCII, HTML); ``symbol``
    is its Unicode text.  ``exact``, ``exact_latex`` and ``exact_note`` are set by
    ``--exact``: the exact value in formula notation and in LaTeX, or why there is none.
    """

    __slots__ = (
        "label",
        "value",
        "args",
        "symbol",
        "note",
        "exact",
        "exact_latex",
        "exact_note",
        "expr",
        "name",
    )

    def __init__(
        self,
        label: str,
        value: Value,
        *,
        args: tuple[Arg, ...] = (),
        symbol: str | None = None,
        note: str | None = None,
        exact: str | None = None,
        exact_latex: str | None = None,
        exact_note: str | None = None,
        expr: Node | None = None,
        name: Symbol | None = None,
    ) -> None:
        self.label = label
        self.value = value
        self.args = args
        self.symbol = symbol
        self.note = note
        self.exact = exact
        self.exact_latex = exact_latex
        self.exact_note = exact_note
        self.expr = expr
        self.name = name
        if self.name is not None and self.symbol is None:
            from dlcalc.model.formula import print_name

            self.symbol = print_name(self.name)
        if self.expr is not None and not self.args:
            from dlcalc.model.formula import print_name

            self.args = tuple(
                Arg(q.label, q.value, print_name(q.symbol)) for q in self.expr.quantities()
            )

    @property
    def shown(self) -> str:
        return self.symbol or self.label

    @property
    def computed(self) -> bool:
        """Whether the step is worked out from other quantities (and so can be recomputed)."""
        return self.expr is not None

    @property
    def inputs(self) -> list[str]:
        """Labels of the quantities this step came from, each once, in order."""
        return list(dict.fromkeys(a.name for a in self.args))

    def formula(self) -> str | None:
        """The formula in symbols, e.g. ``w1 × x1 + b_h1 × 1`` (None for a given)."""
        if self.expr is None:
            return None
        from dlcalc.model.formula import print_unicode

        return print_unicode(self.expr)

    def substituted(self, fmt: Callable[[Any], str]) -> str | None:
        """The formula with the numbers in (``fmt`` writes them); None for a given."""
        if self.expr is None or not self.args:
            return None
        from dlcalc.model.formula import print_unicode

        return print_unicode(self.expr, fmt)

    def recompute(self, values: Mapping[str, float]) -> Any:
        """The value computed from ``values`` (by label) where given, else the step's own inputs."""
        if self.expr is None:
            raise ValueError(f"{self.label} is given, not computed")
        return self.expr.evaluate(values)


class Table(Record):
    """A plain table: column headings and rows of values (numbers are formatted by renderers).

    ``elide`` allows a renderer to show only the first and last rows of a long table
    (unless the user asked for every step).
    """

    __slots__ = ("columns", "rows", "title", "elide")

    def __init__(
        self,
        columns: list[str],
        rows: list[list[Value]],
        title: str | None = None,
        elide: bool = False,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.title = title
        self.elide = elide


# --- grid item (added by the conv helper, issue 14) ---------------------------------------------


class Grid(Record):
    """A matrix shown as a grid of cells: an image, a kernel, a feature map, a gradient.

    ``highlight`` holds the (row, column) cells of a sliding window (the receptive field
    of one output cell); ``faint`` the cells that are padding, not data.
    """

    __slots__ = ("title", "cells", "highlight", "faint")

    def __init__(
        self,
        title: str,
        cells: list[list[Value]],
        highlight: frozenset[tuple[int, int]] = frozenset(),
        faint: frozenset[tuple[int, int]] = frozenset(),
    ) -> None:
        self.title = title
        self.cells = cells
        self.highlight = highlight
        self.faint = faint


class Rule(Record):
    """A formula in symbols only, no numbers: an update rule or a definition, printed per
    format like a step's formula (``m_t = β₁ × m_(t−1) + (1 − β₁) × g_t``)."""

    __slots__ = ("name", "expr", "note")

    def __init__(self, name: Symbol, expr: Node, note: str | None = None) -> None:
        self.name = name
        self.expr = expr
        self.note = note  # said after it: "decoupled weight decay"


Item = Union[Step, Table, Grid, Rule, str]  # a str is a note


class Mark(Record):
    """A claimed value for a step, as judged by ``check``: right, wrong or carried (forward)."""

    __slots__ = ("status", "claimed", "correct", "text", "expected", "first_wrong", "points")

    def __init__(
        self,
        status: str,
        claimed: Value,
        correct: Value,
        text: str | None = None,
        expected: Value = None,
        first_wrong: bool = False,
        points: str | None = None,
    ) -> None:
        self.status = status  # "right" | "wrong" | "carried"
        self.claimed = claimed
        self.correct = correct
        self.text = text  # the claim as the student wrote it
        self.expected = expected  # carried: the value that follows from the student's own inputs
        self.first_wrong = first_wrong  # the first genuinely wrong step: "where it went wrong"
        self.points = points  # under a marking policy: "0.5 of 1" (dlcalc.grading.marking)

    @property
    def sign(self) -> str:
        return {"right": "✓", "wrong": "✗", "carried": "↪"}[self.status]


class Section(Record):
    """A titled group of steps, tables and notes, e.g. one layer of the forward pass."""

    __slots__ = ("title", "items")

    def __init__(self, title: str, items: list[Item] | None = None) -> None:
        self.title = title
        self.items: list[Item] = items if items is not None else []

    def add(self, item: Item) -> Item:
        self.items.append(item)
        return item

    @property
    def steps(self) -> list[Step]:
        return [i for i in self.items if isinstance(i, Step)]


class Solution(Record):
    """A worked solution: sections for people, ``result`` (the contract's answers) for programs.

    ``marks``: claimed values by step label, set by ``check``.  ``figures``: extra files (a
    --plot figure) to write once the solution itself has been written, so that invalid input
    or a failed write leaves nothing behind.  ``alternatives``: other conventions a student
    may have used (e.g. momentum as v = μv − ηg), each a description and a function that
    solves the problem under it; ``check`` tries them when claims are wrong, to say which
    convention the answers follow.  ``paths``: result path → the label of the quantity it
    holds (``layers[0].output[0][1][2]`` → ``y[0][1][2]``), set by topics whose result is not
    read by :func:`dlcalc.grading.check_names.path_label`; ``check`` links a claim written as a path to
    its step by it, and accepts a label that no step shows (an elided cell) by its path.
    """

    __slots__ = (
        "command",
        "sections",
        "result",
        "title",
        "source",
        "notes",
        "marks",
        "figures",
        "alternatives",
        "paths",
    )

    def __init__(
        self,
        command: str,
        sections: list[Section],
        result: dict[str, Any],
        title: str | None = None,
        source: str | None = None,
        notes: list[str] | None = None,
        marks: dict[str, Mark] | None = None,
        figures: list[Callable[[], None]] | None = None,
        alternatives: list[tuple[str, Callable[[], Solution]]] | None = None,
        paths: dict[str, str] | None = None,
    ) -> None:
        self.command = command
        self.sections = sections
        self.result = result
        self.title = title
        self.source = source
        self.notes: list[str] = notes if notes is not None else []
        self.marks: dict[str, Mark] = marks if marks is not None else {}
        self.figures: list[Callable[[], None]] = figures if figures is not None else []
        self.alternatives: list[tuple[str, Callable[[], Solution]]] = (
            alternatives if alternatives is not None else []
        )
        self.paths: dict[str, str] = paths if paths is not None else {}

    def replace(self, **changes: Any) -> Solution:
        """A shallow copy with some fields changed (as ``dataclasses.replace``)."""
        fields = {f: getattr(self, f) for f in self.__slots__}
        return Solution(**{**fields, **changes})

    @property
    def steps(self) -> list[Step]:
        return [s for section in self.sections for s in section.steps]

    def iter_steps(self) -> Iterator[Step]:
        for section in self.sections:
            yield from section.steps

    def first_undefined(self) -> str | None:
        """The label of the first step whose value is NaN (a solution must never show one)."""
        for step in self.iter_steps():
            values = step.value if isinstance(step.value, list) else [step.value]
            for v in values:
                if isinstance(v, float) and math.isnan(v):
                    return step.shown
        return None

    def step(self, label: str) -> Step | None:
        return next((s for s in self.iter_steps() if s.label == label), None)


def args(pairs: Sequence[tuple[str, float] | Arg]) -> tuple[Arg, ...]:
    """Build an ``args`` tuple from ``(label, value)`` pairs or ready :class:`Arg` s."""
    return tuple(p if isinstance(p, Arg) else Arg(p[0], p[1]) for p in pairs)
