"""Building blocks shared by every problem model: strict models, numbers, named choices."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from dlcalc.limits import MAX_NAME, MAX_NUMBER_CHARS, MAX_TEXT
from dlcalc.specs.loader import describe, suggest

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # ASCII digits only
_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
_NOT_DECIMAL = re.compile(r"[+-]?(0[xXoObB][0-9a-fA-F_]+|\d+(:\d+)+(\.\d*)?)", re.ASCII)


def _not_a_number(value: Any) -> ValueError:
    """Why ``value`` is not a number, with how to write it when the cause is a common one."""
    text = value.strip() if isinstance(value, str) else ""
    if _COMMA.fullmatch(text):
        return ValueError(
            f"expected a number, got {describe(value)}; use a decimal point: {text.replace(',', '.')}"
        )
    if _NOT_DECIMAL.fullmatch(text):
        return ValueError(
            f"expected a number, got {describe(value)}; write numbers in decimal (no 0x, 0b, 0o or 1:30)"
        )
    if text and any(ch.isdigit() for ch in text) and not text.isascii():
        return ValueError(f"expected a number, got {describe(value)}; write it with the digits 0-9")
    return ValueError(f"expected a number, got {describe(value)}")


def to_number(value: Any) -> float:
    """Accept ints, floats and number-like text (YAML reads ``1e-3`` as text); refuse the rest."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a number, got {describe(value)}")
    try:
        if isinstance(value, (int, float)):
            x = float(value)
        elif isinstance(value, str) and _NUMBER.fullmatch(value.strip().replace("\u2212", "-")):
            if len(value) > MAX_NUMBER_CHARS:
                raise ValueError(
                    f"expected a number of at most {MAX_NUMBER_CHARS} characters, got one of {len(value):,}"
                )
            x = float(value.strip().replace("\u2212", "-"))
        else:
            raise _not_a_number(value)
    except OverflowError:
        raise ValueError(
            "expected a number of ordinary size, got one too large for a double"
        ) from None
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {str(value)[:30]!r}")
    return x


def to_whole(value: Any) -> int:
    """A whole number (``3`` or ``3.0``), refusing fractions, text and booleans."""
    x = to_number(value)
    if x != int(x):
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(x)


def to_name(value: Any) -> str:
    """Unit and label names may be written as numbers (``units: [4, 5]``)."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise ValueError(f"expected a name, got {describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a name, got {value!r}")
    text = str(value).strip()
    if not text:
        raise ValueError("expected a name, got empty text")
    if len(text) > MAX_NAME:
        raise ValueError(f"a name of {len(text):,} characters; names may have at most {MAX_NAME}")
    if any(ch in text for ch in "\n\r\t\v\f"):
        raise ValueError("a name must be on one line (no newline or tab in it)")
    return text


def to_title(value: Any) -> Any:
    """A title or source: one line (runs of spaces and newlines become one space), at most MAX_TEXT characters."""
    if not isinstance(value, str):
        return value
    text = " ".join(value.split())
    if len(text) > MAX_TEXT:
        raise ValueError(f"a text of {len(text):,} characters; at most {MAX_TEXT} are allowed")
    return text


Number = Annotated[float, BeforeValidator(to_number)]
Whole = Annotated[int, BeforeValidator(to_whole)]
Name = Annotated[str, BeforeValidator(to_name)]
Title = Annotated[str, BeforeValidator(to_title)]


def one_of(options: Iterable[str], what: str) -> Callable[[Any], str]:
    """A validator for a named choice that suggests the closest spelling."""
    allowed = tuple(options)

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected one of {', '.join(allowed)}; got {describe(value)}")
        key = value.strip().lower()
        if key not in allowed:
            raise ValueError(
                f"unknown {what} {value!r}{suggest(key, allowed)}; expected one of {', '.join(allowed)}"
            )
        return key

    return check


def vector(value: Any, what: str = "a list of numbers") -> list[float]:
    """A flat list of numbers (refuses nested lists with a clear message)."""
    if not isinstance(value, list):
        raise ValueError(f"expected {what}, got {describe(value)}")
    if not value:
        raise ValueError(f"expected {what}, got an empty list")
    out = []
    for i, x in enumerate(value):
        try:
            out.append(to_number(x))
        except ValueError as e:
            raise ValueError(f"item {i}: {e}") from None
    return out


def matrix(value: Any) -> list[list[float]]:
    """A list of equally long rows of numbers."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of rows (a matrix), got {describe(value)}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list):
            raise ValueError(f"row {i}: expected a list of numbers, got {describe(row)}")
        try:
            rows.append(vector(row))
        except ValueError as e:
            raise ValueError(f"row {i}: {e}") from None
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise ValueError(
            f"rows have different lengths ({', '.join(str(len(r)) for r in rows)}); expected a rectangular matrix"
        )
    return rows


Vector = Annotated[list[float], BeforeValidator(vector)]
Matrix = Annotated[list[list[float]], BeforeValidator(matrix)]


# Names the slides and textbooks use for a key that dlcalc spells out.
SYNONYMS = {
    "eta": "learning_rate",
    "η": "learning_rate",
    "lr": "learning_rate",
    "alpha_lr": "learning_rate",
    "rate": "learning_rate",
    "theta": "threshold",
    "θ": "threshold",
    "w": "weights",
    "b": "bias",
    "biases": "bias",
    "activation_function": "activation",
    "x": "input",
    "inputs": "input",
    "t": "target",
    "y": "target",
    "targets": "target",
    "epoch": "epochs",
}


class Strict(BaseModel):
    """A model that refuses unknown keys, suggesting the closest known one."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    synonym = SYNONYMS.get(str(key).strip().lower())
                    hint = (
                        f" (did you mean {synonym!r}?)"
                        if synonym in known
                        else suggest(str(key), known)
                    )
                    message = (
                        f"unknown key {key!r}{hint}; expected one of: {', '.join(cls.model_fields)}"
                    )
                    raise PydanticCustomError(
                        "unknown_key", "{message}", {"message": message, "key": key}
                    )
        elif data is not None:
            message = f"expected a mapping of keys to values, got {describe(data)}"
            raise PydanticCustomError("not_a_mapping", "{message}", {"message": message})
        return data
