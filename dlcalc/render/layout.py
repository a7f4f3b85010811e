"""Layout decisions every renderer shares: which rows of a long table to show."""

from __future__ import annotations

from collections.abc import Iterator

from dlcalc.steps import Grid, Section, Step, Table, Value

HEAD = 5
TAIL = 5


def visible_rows(table: Table, every_step: bool) -> list[list[Value] | None]:
    """The rows to show; ``None`` marks the elided middle of a long table."""
    if every_step or not table.elide or len(table.rows) <= HEAD + TAIL + 2:
        return list(table.rows)
    return [*table.rows[:HEAD], None, *table.rows[-TAIL:]]


def elided_count(table: Table) -> int:
    return len(table.rows) - HEAD - TAIL


def blocks(section: Section) -> Iterator[list[Step] | Table | Grid | str]:
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
