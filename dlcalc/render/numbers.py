"""How numbers look in every format: ``--decimals`` places, trailing zeros dropped."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

MINUS = "−"


def fmt(value: Any, decimals: int = 4) -> str:
    """Format one value for people: 0.3775, 0.5933, 0.0004386, 34,944, −0.12, ∞."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        text = f"{int(value):,}"
        return text.replace("-", MINUS)
    if isinstance(value, Real):
        x = float(value)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "∞" if x > 0 else MINUS + "∞"
        if abs(x) >= 1e15:
            text = f"{x:.{max(decimals, 1)}e}"  # 1e308 is not 309 digits
        elif 0 < abs(x) < 0.1:
            text = f"{x:.{max(decimals, 1)}g}"  # small numbers keep `decimals` significant digits
        else:
            text = f"{x:.{decimals}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
        if text in ("-0", "0", ""):
            return "0"
        return text.replace("-", MINUS)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v, decimals) for v in value) + "]"
    if value is None:
        return "—"
    return str(value)
