"""Plain values: a solution's numbers as JSON-ready Python (shared by checking and the JSON renderer)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any


def jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars and arrays become numbers and lists, infinity "inf"."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return str(value)
