"""How numbers look in every format: the default, ``--decimals N`` and ``--sig N``.

Renderers pass one ``decimals`` value down to :func:`fmt`; its type says which rule applies:

* a plain ``int`` (the default, 4): that many decimal places with trailing zeros dropped,
  and below 0.1 that many significant figures instead, so that 0.0004386 stays readable;
* :class:`Places` (``--decimals N`` given): exactly N decimal places, trailing zeros kept
  (1.2560, 0.2800), as an exam asks;
* :class:`Significant` (``--sig N``): N significant figures, trailing zeros kept.

Both are ``int`` subclasses so that every renderer passes them on unchanged.
"""

from __future__ import annotations

import math
import re
from numbers import Integral, Real
from typing import Any

MINUS = "−"
DEFAULT_DECIMALS = 4
HUGE = 1e15  # from here on numbers are written with an exponent (1e308 is not 309 digits)


class Places(int):
    """Exactly this many decimal places, trailing zeros kept (``--decimals N``)."""


class Significant(int):
    """This many significant figures, trailing zeros kept (``--sig N``)."""


def number_style(decimals: int | None, sig: int | None) -> int:
    """The ``decimals`` value renderers pass on: the default, :class:`Places` or :class:`Significant`.

    ``decimals`` is None unless ``--decimals`` was given; both given is refused by the caller.
    """
    if sig is not None:
        return Significant(sig)
    if decimals is not None:
        return Places(decimals)
    return DEFAULT_DECIMALS


def fmt(value: Any, decimals: int = DEFAULT_DECIMALS) -> str:
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
        if isinstance(decimals, Significant):
            text = _significant(x, max(int(decimals), 1))
        elif isinstance(decimals, Places):
            text = _places(x, int(decimals))
        else:
            text = _default(x, int(decimals))
        if text.lstrip("-").strip("0.") == "" and "e" not in text:
            text = text.lstrip("-")  # −0.000 reads as 0.000
        return text.replace("-", MINUS)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt(v, decimals) for v in value) + "]"
    if value is None:
        return "—"
    return written_number(str(value))


NUMBER_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def written_number(text: str) -> str:
    """A number as someone typed it (a claim "-0.7") with the minus sign every number shows."""
    return text.replace("-", MINUS) if NUMBER_TEXT.fullmatch(text.strip()) else text


def as_written(value: Any, decimals: int = DEFAULT_DECIMALS) -> str:
    """A given, or a number inside a substituted formula: :func:`fmt`, except that a short
    decimal is not padded with zeros (0.15 stays 0.15 under ``--decimals 9``, not 0.150000000).

    Only zeros that the number does not have are left out: a value that is not exactly the
    short decimal (0.37750000000000006) is written to the decimals asked for.
    """
    text = fmt(value, decimals)
    if not isinstance(value, float) or not isinstance(decimals, (Places, Significant)):
        return text
    if "." not in text or "e" in text:
        return text
    short = text.rstrip("0").rstrip(".")
    written = repr(value).removesuffix(".0").replace("-", MINUS)
    return short if short == written else text


def shown_value(step: Any, decimals: int = DEFAULT_DECIMALS) -> str:
    """A step's value: a given (no formula) as written, a computed value to the decimals asked."""
    if step.expr is None and not isinstance(step.value, (list, tuple)):
        return as_written(step.value, decimals)
    return fmt(step.value, decimals)


def _default(x: float, decimals: int) -> str:
    """``decimals`` places without trailing zeros; below 0.1, ``decimals`` significant figures."""
    if abs(x) >= HUGE:
        return f"{x:.{max(decimals, 1)}e}"
    if 0 < abs(x) < 0.1:
        return f"{x:.{max(decimals, 1)}g}"
    text = f"{x:.{decimals}f}"
    if "." in text:
        short = text.rstrip("0").rstrip(".")
        # Zeros are dropped only where the number ends there (0.5, not 0.27998 as 0.28 beside
        # 0.2714): a rounded value keeps the places it was rounded to (0.2800).
        if math.isclose(float(short), x, rel_tol=1e-9, abs_tol=1e-12):
            text = short
    return "0" if text in ("-0", "") else text


def _places(x: float, places: int) -> str:
    """Exactly ``places`` decimal places: 1.2560, 0.0004 (0.0004386 to 4 places)."""
    if abs(x) >= HUGE:
        return f"{x:.{max(places, 1)}e}"
    return f"{x:.{places}f}"


def _significant(x: float, digits: int) -> str:
    """``digits`` significant figures with trailing zeros kept: 0.0004386, 1.260, 12300."""
    if x == 0:
        return "0" if digits == 1 else "0." + "0" * (digits - 1)
    mantissa, exponent_text = f"{x:.{digits - 1}e}".split("e")
    exponent = int(exponent_text)  # of the rounded value: 9.996 to 3 figures is 10.0
    if exponent >= 15 or exponent < -6:
        return f"{x:.{digits - 1}e}"
    places = digits - 1 - exponent
    if places >= 0:
        return f"{x:.{places}f}"
    return f"{round(x, places):.0f}"  # 12345 to 3 figures: 12300
