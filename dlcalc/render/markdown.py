"""Markdown: a heading per section, a table of steps, tables and notes as they are.

User text (titles, unit names, notes, claimed values) is escaped so that nothing in it
becomes Markdown or HTML: ``[/x]``, ``*bold*``, ``<script>`` show as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dlcalc.model.steps import Grid, Mark, Rule, Solution, Step, Table
from dlcalc.render.layout import blocks, elided_count, rule_text, step_texts, visible_rows
from dlcalc.render.marks import describe
from dlcalc.render.notation import visible
from dlcalc.render.numbers import as_written, fmt, shown_value

SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|javascript|data|file)(:)|\b(www)(\.)")


def escape(text: Any) -> str:
    """User or formula text as literal Markdown (one line: safe in a table cell).

    ``$`` is escaped too (no maths in viewers that render it), and bare URLs are kept from
    becoming links (``http\\://…``, ``www\\.…``: a backslash before punctuation is invisible).
    """
    text = SPECIAL.sub(r"\\\1", visible(str(text)).replace("\n", " "))
    return AUTOLINK.sub(lambda m: f"{m.group(1) or m.group(3)}\\{m.group(2) or m.group(4)}", text)


def code(text: str) -> str:
    """Formula text as a code span (shown literally); pipes escaped for table cells."""
    if not text:
        return ""
    text = visible(text).replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render(solution: Solution, decimals: int = 4, every_step: bool = False, level: int = 1) -> str:
    h = "#" * level
    lines: list[str] = []
    if solution.title:
        lines += [f"{h} {escape(solution.title)}", ""]
    if solution.source:
        lines += [f"*{escape(solution.source.strip())}*", ""]
    for section in solution.sections:
        lines += [f"{h}# {escape(section.title)}", ""]
        for block in blocks(section):
            if isinstance(block, list):
                lines += steps_table(block, decimals, solution.marks) + [""]
            elif isinstance(block, Table):
                lines += table_lines(block, decimals, every_step) + [""]
            elif isinstance(block, Grid):
                lines += grid_lines(block, decimals) + [""]
            elif isinstance(block, str):
                lines += [f"> {escape(block)}", ""]
            elif isinstance(block, Rule):
                lines += [escape(rule_text(block, "unicode")), ""]
            elif hasattr(block, "render_markdown"):  # an item kind that renders itself
                lines += [block.render_markdown(decimals=decimals), ""]
            else:
                lines += [escape(block), ""]
    for note in solution.notes:
        lines += [f"> **Note:** {escape(note)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def steps_table(
    steps: list[Step], decimals: int, marks: dict[str, Mark] | None = None
) -> list[str]:
    marks = {s.label: marks[s.label] for s in steps if marks and s.label in marks}
    number: Callable[[Any], str] = lambda v: as_written(v, decimals)  # noqa: E731
    out = ["| quantity | formula | with numbers | value |", "|---|---|---|---:|"]
    if marks:
        out = [out[0] + " check |", out[1] + "---|"]
    for step in steps:
        name, formula, substituted = step_texts(step, "unicode", number)
        exact = ""
        if step.exact and step.exact != fmt(step.value, decimals):
            exact = f" = {escape(step.exact)} (exact)"
        value = escape(shown_value(step, decimals))
        if step.note:
            exact += f" ({escape(step.note)})"
        row = (
            f"| {code(name)} | {code(formula or '')} | {code(substituted or '')} "
            f"| **{value}**{exact} |"
        )
        if marks:
            mark = marks.get(step.label)
            text = escape(describe(mark, decimals)) if mark else ""
            row += f" {'**' + text + '**' if mark and mark.first_wrong else text} |"
        out.append(row)
    return out


def table_lines(table: Table, decimals: int, every_step: bool) -> list[str]:
    out = []
    if table.title:
        out += [f"**{escape(table.title)}**", ""]
    out.append("| " + " | ".join(escape(c) for c in table.columns) + " |")
    numeric = [
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in (table.rows[0] if table.rows else [])
    ]
    out.append(
        "|"
        + "".join(
            "---:|" if k < len(numeric) and numeric[k] else "---|"
            for k in range(len(table.columns))
        )
    )
    for row in visible_rows(table, every_step):
        if row is None:
            out.append(
                "| … " + f"{elided_count(table):,} rows … |" + " |" * (len(table.columns) - 1)
            )
        else:
            out.append("| " + " | ".join(escape(fmt(v, decimals)) for v in row) + " |")
    return out


# --- grid item (added by the conv helper, issue 14) ---------------------------------------------


def grid_lines(grid: Grid, decimals: int) -> list[str]:
    """A matrix as a table headed by column numbers; window cells **[bold]**, padding in italics."""
    width = len(grid.cells[0]) if grid.cells else 0
    out = [f"**{escape(grid.title)}**", ""]
    out.append("| " + " | ".join(str(c + 1) for c in range(width)) + " |")
    out.append("|" + "---:|" * width)
    for r, row in enumerate(grid.cells):
        cells = []
        for c, value in enumerate(row):
            shown = escape(fmt(value, decimals))
            if (r, c) in grid.highlight:
                shown = f"**[{shown}]**"
            elif (r, c) in grid.faint:
                shown = f"*{shown}*"
            cells.append(shown)
        out.append("| " + " | ".join(cells) + " |")
    return out
