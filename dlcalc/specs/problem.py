"""The keys every problem file may carry: its title and source, and the ask and marks keys."""

from __future__ import annotations

from dlcalc.specs.common import Strict, Title
from dlcalc.specs.marks import Ask, MarksSpec


class Problem(Strict):
    """Keys every problem file may carry (``ask`` and ``marks``: dlcalc.specs.marks)."""

    title: Title | None = None
    source: Title | None = None
    command: str | None = None
    ask: Ask | None = None
    marks: MarksSpec | None = None
