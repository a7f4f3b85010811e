"""Problem files for ``optimize``: an optimizer, its settings, a start and a loss or its gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator

from dlcalc.errors import InputError
from dlcalc.specs.common import Matrix, Number, Vector, Whole, one_of
from dlcalc.specs.loader import Document, validate
from dlcalc.specs.optimizer_settings import OPTIMIZERS, check_settings, fail
from dlcalc.specs.problem import Problem
from dlcalc.specs.training import Clip, Schedule, check_clip, check_schedule

if TYPE_CHECKING:
    from dlcalc.maths.expressions import Node

MAX_PARAMETERS = 100
MAX_STEPS = 10_000  # given gradients or a loss expression: a run stays well under a second
MAX_STEPS_FUNCTION = 2_000  # each step evaluates the derived gradient


class Settings(Problem):
    """The optimizer and its hyper-parameters (also read from ``backprop`` problems)."""

    optimizer: Annotated[str, AfterValidator(one_of(OPTIMIZERS, "optimizer"))] = "adam"
    learning_rate: Number = 0.1
    momentum: Number = 0.9
    beta1: Number = 0.9
    beta2: Number = 0.999
    rho: Number = 0.9
    epsilon: Number = 1e-7
    weight_decay: Number = 0.0


class OptimizeProblem(Settings):
    start: Vector
    function: str | None = None
    gradients: Matrix | None = None
    steps: Whole | None = None
    clip: Clip | None = None  # clip the gradient before each step (by norm or value)
    schedule: Schedule | None = None  # the learning rate of step t: η·f(t − 1)

    def parameter_names(self) -> list[str]:
        """w1, w2, … one per start value."""
        return [f"w{i + 1}" for i in range(len(self.start))]


def load_optimize(doc: Document) -> tuple[OptimizeProblem, Node | None]:
    """Validate an optimize problem; the loss expression comes back parsed (safe parser)."""
    spec = validate(OptimizeProblem, doc)
    check_settings(
        doc,
        optimizer=spec.optimizer,
        learning_rate=spec.learning_rate,
        momentum=spec.momentum,
        beta1=spec.beta1,
        beta2=spec.beta2,
        rho=spec.rho,
        epsilon=spec.epsilon,
        weight_decay=spec.weight_decay,
    )
    if spec.clip is not None:
        check_clip(doc, spec.clip)
    if spec.schedule is not None:
        check_schedule(doc, spec.schedule)
    n = len(spec.start)
    if n > MAX_PARAMETERS:
        raise fail(doc, f"expected at most {MAX_PARAMETERS} parameters, got {n}", "start")
    if (spec.function is None) == (spec.gradients is None):
        raise fail(
            doc,
            "give either `function:` (the loss as an expression of w1, w2, …) or `gradients:` "
            "(one row per step), not both or neither",
            "function" if spec.function is not None else "start",
        )
    node = None
    if spec.function is not None:
        try:
            # Imported here: backprop, which shares this module, parses no expression.
            from dlcalc.maths.expressions import parse

            node = parse(spec.function, field="function")
        except InputError as e:
            e.file, e.line = doc.name, doc.line_of(("function",))
            raise
        names = spec.parameter_names()
        allowed = set(names) | ({"w"} if n == 1 else set())
        for symbol in node.symbols():
            if symbol not in allowed:
                expected = (
                    "w1 (or w)" if n == 1 else f"{names[0]} … {names[-1]} (one per start value)"
                )
                raise fail(
                    doc,
                    f"unknown symbol {symbol!r}; the loss is an expression of {expected}",
                    "function",
                )
        steps = 1 if spec.steps is None else spec.steps
        limit = MAX_STEPS_FUNCTION
    else:
        assert spec.gradients is not None
        for k, row in enumerate(spec.gradients):
            if len(row) != n:
                raise fail(
                    doc,
                    f"expected {n} gradient values (one per start value), got {len(row)}",
                    "gradients",
                    k,
                )
        rows = len(spec.gradients)
        if spec.steps is not None and spec.steps != rows:
            raise fail(
                doc,
                f"steps is {spec.steps} but `gradients:` has {rows} rows (one per step); "
                "leave steps out or make them agree",
                "steps",
            )
        steps = rows
        limit = MAX_STEPS
    if steps < 1:
        raise fail(doc, "expected at least 1 step", "steps")
    if steps > limit:
        raise fail(doc, f"expected at most {limit:,} steps, got {steps:,}", "steps")
    return spec.model_copy(update={"steps": steps}), node
