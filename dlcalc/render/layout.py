"""Layout decisions every renderer shares: which rows of a long table to show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from dlcalc.model.steps import Grid, Rule, Section, Step, Table, Value

HEAD = 5
TAIL = 5


def visible_rows(table: Table, every_step: bool) -> list[list[Value] | None]:
    """The rows to show; ``None`` marks the elided middle of a long table."""
    if every_step or not table.elide or len(table.rows) <= HEAD + TAIL + 2:
        return list(table.rows)
    return [*table.rows[:HEAD], None, *table.rows[-TAIL:]]


def elided_count(table: Table) -> int:
    return len(table.rows) - HEAD - TAIL


def blocks(section: Section) -> Iterator[list[Step] | Table | Grid | Rule | str]:
    """The section's items with consecutive steps grouped: each run of steps is one table."""
    run: list[Step] = []
    for item in section.items:
        if isinstance(item, Step):
            run.append(item)
            continue
        if run:
            yield run
            run = []
        yield item
    if run:
        yield run


def step_texts(
    step: Step, notation: str, number: Callable[[Any], str]
) -> tuple[str, str | None, str | None]:
    """The step's name, formula and substituted formula in ``notation`` (unicode, ascii, latex, html).

    The formula tree is printed by that notation's printer; a given (no tree) has only a name.
    """
    from dlcalc.render import notation as n

    formula: str | None = None
    substituted: str | None = None
    if step.expr is not None:
        formula = n.printer(notation).print(step.expr)
        substituted = n.printer(notation, number).print(step.expr) if step.args else None
    if substituted is not None and step.substituted(number) == number(step.value):
        substituted = None  # the value once, not twice (E_total = E_6 = 0.1384)
    if step.name is not None:
        name = n.name_in(notation, step.name)
    else:
        name = convert(step.shown, notation)
    if formula is not None and substituted is not None and _same(formula, name):
        formula = None  # tanh(s_1) = tanh(0.7857), not tanh(s_1) = tanh(s_1) first
    if notation == "unicode":  # names may hold control characters
        name = n.visible(name)
        formula = None if formula is None else n.visible(formula)
        substituted = None if substituted is None else n.visible(substituted)
    return name, formula, substituted


def _same(a: str, b: str) -> bool:
    """Whether two printed formulas read the same (spaces, LaTeX's braces and sizing aside)."""

    def bare(text: str) -> str:
        for mark in (" ", "{", "}", "\\left", "\\right"):
            text = text.replace(mark, "")
        return text

    return bare(a) == bare(b)


def rule_text(rule: Rule, notation: str) -> str:
    """``name = formula`` of a rule in ``notation``, its note (plain text) after it."""
    from dlcalc.render import notation as n

    line = f"{n.name_in(notation, rule.name)} = {n.printer(notation).print(rule.expr)}"
    if rule.note is None:
        return line
    if notation == "latex":
        return line + r" \quad \text{(" + n.text(rule.note) + ")}"
    note = convert(rule.note, notation) if notation != "unicode" else n.visible(rule.note)
    return f"{line}  ({note})"


def convert(text: str, notation: str) -> str:
    """Unicode text (a step's name, a note) in ``notation``."""
    from dlcalc.render import notation as n

    if notation == "ascii":
        return n.ascii_text(text)
    if notation == "latex":
        return n.math(n.visible(text))
    if notation == "html":
        import html

        return html.escape(n.visible(text))
    return n.visible(text)
