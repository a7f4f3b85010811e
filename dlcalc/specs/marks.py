"""The ``marks:`` key of a problem file (or of a ``--marks FILE``): the marking policy.

``{default: 1, steps: {label: weight}, tolerance: {mode, value, strict}, carried_forward: f,
precision: {mode, value, credit}}`` (the contract fixes the first four keys).  The policy
itself, and what it does to a checked sheet, is :mod:`dlcalc.grading.marking`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from dlcalc.limits import MAX_NAME
from dlcalc.specs.common import Name, Number, Strict, one_of
from dlcalc.specs.loader import Document, describe, validate

TOLERANCE_MODES = ("absolute", "relative", "significant", "decimals")
PRECISION_MODES = ("significant", "decimals")
MAX_WEIGHT = 1e6
MAX_DIGITS = 15  # a double holds about 15-17 significant digits
MAX_STEPS = 10_000


def _fraction(value: Any) -> float:
    from dlcalc.specs.common import to_number

    x = to_number(value)
    if not 0 <= x <= 1:
        raise ValueError(f"expected a fraction from 0 to 1, got {value!r}")
    return x


def _weight(value: Any) -> float:
    from dlcalc.specs.common import to_number

    x = to_number(value)
    if not 0 <= x <= MAX_WEIGHT:
        raise ValueError(f"expected a weight from 0 to {MAX_WEIGHT:g}, got {value!r}")
    return x


Fraction01 = Annotated[float, BeforeValidator(_fraction)]
Weight = Annotated[float, BeforeValidator(_weight)]


def _digits(mode: str, value: float, field: str) -> None:
    """``significant``/``decimals`` counts: whole numbers (at least 1 significant figure)."""
    if value != int(value) or not (1 if mode == "significant" else 0) <= value <= MAX_DIGITS:
        low = 1 if mode == "significant" else 0
        raise ValueError(
            f"{field}: with mode {mode} the value is a count of digits, a whole number from {low} to {MAX_DIGITS}; got {value:g}"
        )


class ToleranceSpec(Strict):
    """How close a claim must be: ``absolute`` ±v, ``relative`` ±v·|correct|, ``significant``
    n figures, ``decimals`` n places; ``strict``: rounded exactly so, not merely close."""

    mode: Annotated[str, BeforeValidator(one_of(TOLERANCE_MODES, "tolerance mode"))]
    value: Number
    strict: bool = False

    @model_validator(mode="after")
    def _check(self) -> ToleranceSpec:
        if self.mode in PRECISION_MODES:
            _digits(self.mode, self.value, "value")
        elif not (self.value > 0 and math.isfinite(self.value)):
            raise ValueError(f"value: expected a positive tolerance, got {self.value:g}")
        elif self.mode == "relative" and self.value >= 1:
            raise ValueError(
                f"value: a relative tolerance of {self.value:g} accepts anything of the right sign; expected less than 1 (0.01 is 1 %)"
            )
        if self.strict and self.mode not in PRECISION_MODES:
            raise ValueError(
                "strict: only for significant or decimals (the claim must be rounded to that many digits)"
            )
        return self


class PrecisionSpec(Strict):
    """Too few digits written: a right claim earns ``credit`` of its points (Numbas's precision penalty)."""

    mode: Annotated[str, BeforeValidator(one_of(PRECISION_MODES, "precision mode"))]
    value: Number
    credit: Fraction01 = 0.5

    @model_validator(mode="after")
    def _check(self) -> PrecisionSpec:
        _digits(self.mode, self.value, "value")
        return self


def _steps(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of step labels to weights, got {describe(value)}")
    if len(value) > MAX_STEPS:
        raise ValueError(f"{len(value):,} steps; at most {MAX_STEPS:,}")
    return value


class MarksSpec(Strict):
    """A marking policy as a problem file writes it."""

    default: Weight = 1.0
    steps: Annotated[dict[Name, Weight], BeforeValidator(_steps)] = {}
    tolerance: ToleranceSpec | None = None
    carried_forward: Fraction01 = 1.0
    precision: PrecisionSpec | None = None


def _ask(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise ValueError(
            f"expected a list of step labels, e.g. [net_h1, out_h1], got {describe(value)}"
        )
    if len(value) > MAX_STEPS:
        raise ValueError(f"{len(value):,} labels; at most {MAX_STEPS:,}")
    return value


Ask = Annotated[list[Annotated[str, BeforeValidator(lambda v: _label(v))]], BeforeValidator(_ask)]


def _label(value: Any) -> str:
    from dlcalc.specs.common import to_name

    text = to_name(value)
    if len(text) > MAX_NAME:
        raise ValueError(f"a label of {len(text):,} characters; at most {MAX_NAME}")
    return text


class MarksFile(Strict):
    """The ``marks:`` and ``ask:`` of a problem file or a ``--marks FILE`` (other keys are ignored)."""

    marks: MarksSpec | None = None
    ask: Ask | None = None


def read_marks(doc: Document) -> MarksFile:
    """The ``marks:`` and ``ask:`` keys of ``doc`` (either may be absent), validated."""
    data = doc.data
    if not isinstance(data, dict):
        return MarksFile()
    doc.data = {k: data[k] for k in ("marks", "ask") if k in data}
    try:
        return validate(MarksFile, doc)
    finally:
        doc.data = data


def load_marks_file(doc: Document) -> MarksFile:
    """Read a ``--marks FILE``: its ``marks:`` and ``ask:`` keys (a whole problem file may be given)."""
    from dlcalc.errors import InputError

    if not isinstance(doc.data, dict) or "marks" not in doc.data:
        raise InputError(
            "expected a `marks:` key, e.g. `marks: {default: 1, carried_forward: 0.5}`",
            file=doc.name,
            field="marks",
        )
    return read_marks(doc)
