"""How a checked claim reads beside a step's value, in every format."""

from __future__ import annotations

from dlcalc.model.steps import Mark
from dlcalc.render.numbers import fmt, written_number

WHERE = "where it went wrong"


def claimed(mark: Mark, decimals: int) -> str:
    """The claimed value as the student wrote it (or formatted when not known)."""
    return written_number(mark.text) if mark.text is not None else fmt(mark.claimed, decimals)


def describe(mark: Mark, decimals: int) -> str:
    """``✓ you: 0.5933``, ``✗ you: 0.6 (where it went wrong)``, ``↪ you: 1.1086 (follows from your earlier value)``."""
    text = f"{mark.sign} you: {claimed(mark, decimals)}"
    if mark.status == "carried":
        text += " (follows from your earlier value)"
    elif mark.first_wrong:
        text += f" ({WHERE})"
    elif (
        mark.status == "wrong" and mark.expected is not None and not isinstance(mark.expected, list)
    ):
        text += f"; from your values {fmt(mark.expected, decimals)}"
    if mark.points is not None:
        text += f" · points: {mark.points}"
    return text


def ascii_describe(mark: Mark, decimals: int) -> str:
    """:func:`describe` without its sign, for formats that draw the sign themselves."""
    return describe(mark, decimals)[2:]
