"""The default renderer: Rich panels, one per section, readable in an 80-column terminal."""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from dlcalc.render.layout import blocks, elided_count, visible_rows
from dlcalc.render.marks import describe
from dlcalc.render.numbers import fmt
from dlcalc.steps import Grid, Mark, Section, Solution, Step, Table

MARK_STYLE = {"right": "green", "wrong": "bold red", "carried": "yellow"}


def renderables(
    solution: Solution, decimals: int = 4, every_step: bool = False
) -> list[RenderableType]:
    out: list[RenderableType] = []
    if solution.title:
        out.append(Rule(Text(solution.title, style="bold"), style="blue"))
    if solution.source:
        out.append(Text(solution.source, style="dim italic"))
    for section in solution.sections:
        out.append(section_panel(section, decimals, every_step, solution.marks))
    for note in solution.notes:
        out.append(Text("Note: " + note, style="italic"))
    return out


def section_panel(
    section: Section, decimals: int, every_step: bool, marks: dict[str, Mark] | None = None
) -> Panel:
    parts: list[RenderableType] = []
    for block in blocks(section):
        if isinstance(block, list):
            parts.append(steps_table(block, decimals, marks))
        elif isinstance(block, Table):
            parts.append(plain_table(block, decimals, every_step))
        elif isinstance(block, Grid):
            parts.append(grid_table(block, decimals))
        else:
            parts.append(Text(block, style="italic"))
    return Panel(
        Group(*parts),
        title=Text(section.title, style="bold"),
        title_align="left",
        box=box.ROUNDED,
        padding=(0, 1),
    )


def steps_table(
    steps: list[Step], decimals: int, marks: dict[str, Mark] | None = None
) -> RichTable:
    table = RichTable(box=None, show_header=False, pad_edge=False, padding=(0, 1), expand=False)
    table.add_column("quantity", style="bold cyan", no_wrap=True)
    table.add_column("working", overflow="fold")
    table.add_column("value", style="bold", justify="right", no_wrap=True)
    marks = marks or {}
    for step in steps:
        formula = step.formula()
        substituted = step.substituted(lambda v: fmt(v, decimals))
        value = fmt(step.value, decimals)
        if substituted == value:  # E_total = E_o1 = 0.1384, not "= 0.1384 = 0.1384"
            substituted = None
        lines = Text()
        if formula is not None and formula != substituted:
            lines.append("= " + formula)
        if substituted is not None:
            if lines:
                lines.append("\n")
            lines.append("= " + substituted, style="dim" if formula else "")
        if step.exact:
            if lines:
                lines.append("\n")
            lines.append("= " + step.exact + "  (exact)", style="green")
        if step.note:
            if lines:
                lines.append("\n")
            lines.append(step.note, style="italic dim")
        # The value stands on the line of the substituted formula (the last line of working before any note).
        pad = "\n" * (
            (1 if formula is not None and formula != substituted else 0)
            if substituted is not None
            else 0
        )
        mark = marks.get(step.label)
        if mark is not None:  # a checked claim: its own line under the working
            lines.append(
                ("\n" if lines else "") + describe(mark, decimals),
                style=MARK_STYLE[mark.status] + (" reverse" if mark.first_wrong else ""),
            )
        table.add_row(step.shown, lines, pad + "= " + value)
    return table


def plain_table(table: Table, decimals: int, every_step: bool) -> RichTable:
    out = RichTable(box=box.SIMPLE_HEAD, title=table.title, pad_edge=False)
    for column in table.columns:
        out.add_column(column, justify="left")
    for row in visible_rows(table, every_step):
        if row is None:
            out.add_row(
                f"… {elided_count(table):,} rows …", *([""] * (len(table.columns) - 1)), style="dim"
            )
        else:
            out.add_row(*(fmt(v, decimals) for v in row))
    for col, first in zip(out.columns, table.rows[0] if table.rows else []):
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            col.justify = "right"
    return out


# --- grid item (added by the conv helper, issue 14) ---------------------------------------------


GRID_WIDTH = 72  # characters a grid may take inside a panel of an 80-column terminal


def grid_table(grid: Grid, decimals: int) -> Group:
    """A matrix as a grid under its title; window cells [bracketed] (and reversed in colour), padding dim.

    Small grids are boxed; wider ones drop the box lines, and grids wider than the panel
    even then are split into blocks of columns (each headed by its column numbers).
    """
    texts = [[fmt(v, decimals) for v in row] for row in grid.cells]
    width = max((len(t) for row in texts for t in row), default=1) + 2  # room for [ ]
    columns = len(texts[0]) if texts else 0
    boxed = columns * (width + 3) + 1 <= GRID_WIDTH
    per_block = columns if boxed else max(1, GRID_WIDTH // (width + 1))
    parts: list[RenderableType] = [Text(grid.title)]
    for start in range(0, columns, per_block):
        stop = min(start + per_block, columns)
        out = RichTable(
            box=box.SQUARE if boxed else None,
            show_header=stop - start < columns,
            header_style="dim",
            padding=(0, 1) if boxed else (0, 0, 0, 1),
            pad_edge=boxed,
            expand=False,
        )
        for c in range(start, stop):
            out.add_column(str(c + 1), justify="right", no_wrap=True, min_width=width - 2)
        for r, row in enumerate(texts):
            cells = []
            for c in range(start, stop):
                if (r, c) in grid.highlight:
                    cells.append(Text(f"[{row[c]}]", style="bold reverse"))
                else:
                    cells.append(Text(row[c], style="dim" if (r, c) in grid.faint else ""))
            out.add_row(*cells)
        parts.append(out)
    return Group(*parts)


def to_text(
    solution: Solution, decimals: int = 4, every_step: bool = False, width: int = 100
) -> str:
    """Plain text (no colour), as written to a .txt file or compared in golden tests."""
    buffer = StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, force_terminal=False, legacy_windows=False
    )
    for renderable in renderables(solution, decimals, every_step):
        console.print(renderable)
    return buffer.getvalue()


def to_html(solution: Solution, decimals: int = 4, every_step: bool = False) -> str:
    console = Console(record=True, width=100, file=StringIO())
    for renderable in renderables(solution, decimals, every_step):
        console.print(renderable)
    return console.export_html()


def print_solution(solution: Solution, decimals: int = 4, every_step: bool = False) -> None:
    console = Console()
    for renderable in renderables(solution, decimals, every_step):
        console.print(renderable)
