"""Markdown: a heading per section, a table of steps, tables and notes as they are."""

from __future__ import annotations

from dlcalc.render.layout import blocks, elided_count, visible_rows
from dlcalc.render.marks import describe
from dlcalc.render.numbers import fmt
from dlcalc.steps import Grid, Mark, Solution, Step, Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(solution: Solution, decimals: int = 4, every_step: bool = False, level: int = 1) -> str:
    h = "#" * level
    lines: list[str] = []
    if solution.title:
        lines += [f"{h} {solution.title}", ""]
    if solution.source:
        lines += [f"*{solution.source.strip()}*", ""]
    for section in solution.sections:
        lines += [f"{h}# {section.title}", ""]
        for block in blocks(section):
            if isinstance(block, list):
                lines += steps_table(block, decimals, solution.marks) + [""]
            elif isinstance(block, Table):
                lines += table_lines(block, decimals, every_step) + [""]
            elif isinstance(block, Grid):
                lines += grid_lines(block, decimals) + [""]
            else:
                lines += [f"> {block}", ""]
    for note in solution.notes:
        lines += [f"> **Note:** {note}", ""]
    return "\n".join(lines).rstrip() + "\n"


def steps_table(
    steps: list[Step], decimals: int, marks: dict[str, Mark] | None = None
) -> list[str]:
    marks = {s.label: marks[s.label] for s in steps if marks and s.label in marks}
    out = ["| quantity | formula | with numbers | value |", "|---|---|---|---:|"]
    if marks:
        out = [out[0] + " check |", out[1] + "---|"]
    for step in steps:
        formula = step.formula() or ""
        substituted = step.substituted(lambda v: fmt(v, decimals)) or ""
        if substituted == fmt(step.value, decimals):  # the value once, not twice
            substituted = ""
        name = step.shown + (f" ({step.note})" if step.note else "")
        exact = f" = {_cell(step.exact)} (exact)" if step.exact else ""
        row = f"| {_cell(name)} | {_cell(formula)} | {_cell(substituted)} | **{_cell(fmt(step.value, decimals))}**{exact} |"
        if marks:
            mark = marks.get(step.label)
            text = _cell(describe(mark, decimals)) if mark else ""
            row += f" {'**' + text + '**' if mark and mark.first_wrong else text} |"
        out.append(row)
    return out


def table_lines(table: Table, decimals: int, every_step: bool) -> list[str]:
    out = []
    if table.title:
        out += [f"**{table.title}**", ""]
    out.append("| " + " | ".join(_cell(c) for c in table.columns) + " |")
    out.append("|" + "---|" * len(table.columns))
    for row in visible_rows(table, every_step):
        if row is None:
            out.append(
                "| … " + f"{elided_count(table):,} rows … |" + " |" * (len(table.columns) - 1)
            )
        else:
            out.append("| " + " | ".join(_cell(fmt(v, decimals)) for v in row) + " |")
    return out


# --- grid item (added by the conv helper, issue 14) ---------------------------------------------


def grid_lines(grid: Grid, decimals: int) -> list[str]:
    """A matrix as a table headed by column numbers; window cells **[bold]**, padding in italics."""
    width = len(grid.cells[0]) if grid.cells else 0
    out = [f"**{_cell(grid.title)}**", ""]
    out.append("| " + " | ".join(str(c + 1) for c in range(width)) + " |")
    out.append("|" + "---:|" * width)
    for r, row in enumerate(grid.cells):
        cells = []
        for c, value in enumerate(row):
            shown = _cell(fmt(value, decimals))
            if (r, c) in grid.highlight:
                shown = f"**[{shown}]**"
            elif (r, c) in grid.faint:
                shown = f"*{shown}*"
            cells.append(shown)
        out.append("| " + " | ".join(cells) + " |")
    return out
