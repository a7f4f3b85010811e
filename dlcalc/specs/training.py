"""Training options shared by ``backprop`` and ``optimize``: regularization, clipping, schedules.

Each is a small mapping in the problem file (``clip: {norm: 1}``); :func:`check_schedule`
and :func:`check_clip` refuse values outside the range where the rule makes sense, naming
the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from dlcalc.errors import InputError
from dlcalc.specs.common import Number, Strict, Whole, one_of
from dlcalc.specs.loader import Document, field_path, suggest

SCHEDULES = ("step", "exponential", "inverse_time", "cosine", "warmup")

# The keys each schedule takes (besides ``kind``), and which of them it needs.
SCHEDULE_KEYS: dict[str, tuple[str, ...]] = {
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "inverse_time": ("decay",),
    "cosine": ("total", "minimum"),
    "warmup": ("steps",),
}
SCHEDULE_NEEDS: dict[str, tuple[str, ...]] = {
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "inverse_time": ("decay",),
    "cosine": ("total",),
    "warmup": ("steps",),
}


class Regularization(Strict):
    """J = loss + λ/(2m)·Σw² (l2) or λ/m·Σ|w| (l1); m defaults to the number of examples."""

    kind: Literal["l2", "l1"] = "l2"
    lambda_: Number = Field(alias="lambda")  # `lambda` is a Python keyword
    examples: Whole | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:  # the file's keys, `lambda` under its own name
        if isinstance(data, dict):
            known = ("kind", "lambda", "examples")
            for key in data:
                if key not in known:
                    message = f"unknown key {key!r}{suggest(str(key), known)}; expected one of: {', '.join(known)}"
                    raise PydanticCustomError(
                        "unknown_key", "{message}", {"message": message, "key": key}
                    )
        return data


class Clip(Strict):
    """Clip the gradient before each update: by its norm over all parameters, or each value."""

    norm: Number | None = None
    value: Number | None = None


class Schedule(Strict):
    """η_k = η·f(k − 1) for update k (1-based); the keys a kind does not use are refused."""

    kind: Annotated[str, AfterValidator(one_of(SCHEDULES, "schedule kind"))]
    step_size: Whole | None = None
    gamma: Number | None = None
    decay: Number | None = None
    total: Whole | None = None
    minimum: Number = 0.0
    steps: Whole | None = None


def _fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def check_regularization(doc: Document, reg: Regularization, n_examples: int) -> None:
    if reg.lambda_ < 0:
        raise _fail(
            doc, f"expected λ of at least 0, got {reg.lambda_:g}", "regularization", "lambda"
        )
    if reg.examples is not None and reg.examples < 1:
        raise _fail(
            doc,
            f"expected m, the number of training examples, to be at least 1 (default {n_examples})",
            "regularization",
            "examples",
        )


def check_clip(doc: Document, clip: Clip) -> None:
    if (clip.norm is None) == (clip.value is None):
        raise _fail(
            doc,
            "give either `norm: c` (scale the whole gradient to length at most c) or "
            "`value: c` (clip each entry to [−c, c]), not both or neither",
            "clip",
        )
    key = "norm" if clip.norm is not None else "value"
    c = clip.norm if clip.norm is not None else clip.value
    assert c is not None
    if not c > 0:
        raise _fail(doc, f"expected a threshold above 0, got {c:g}", "clip", key)


def check_schedule(doc: Document, schedule: Schedule) -> None:
    kind = schedule.kind
    a = "an" if kind[0] in "aeiou" else "a"
    given = {k for k in schedule.model_fields_set if k != "kind"}
    wrong = sorted(given - set(SCHEDULE_KEYS[kind]))
    if wrong:
        takes = ", ".join(SCHEDULE_KEYS[kind])
        raise _fail(doc, f"{a} {kind} schedule takes {takes}, not {wrong[0]}", "schedule", wrong[0])
    for key in SCHEDULE_NEEDS[kind]:
        if getattr(schedule, key) is None:
            raise _fail(
                doc,
                f"{a} {kind} schedule needs `{key}:` (it takes {', '.join(SCHEDULE_KEYS[kind])})",
                "schedule",
            )
    if kind in ("step", "exponential"):
        assert schedule.gamma is not None
        if not schedule.gamma > 0:
            raise _fail(doc, f"expected γ above 0, got {schedule.gamma:g}", "schedule", "gamma")
    for key in ("step_size", "total", "steps"):
        value = getattr(schedule, key)
        if value is not None and value < 1:
            raise _fail(doc, f"expected a whole number of at least 1, got {value}", "schedule", key)
    if schedule.decay is not None and schedule.decay < 0:
        raise _fail(
            doc, f"expected a decay of at least 0, got {schedule.decay:g}", "schedule", "decay"
        )
    if schedule.minimum < 0:
        raise _fail(
            doc,
            f"expected a minimum learning rate of at least 0, got {schedule.minimum:g}",
            "schedule",
            "minimum",
        )
