"""LaTeX: a complete document (amsmath, booktabs) that compiles with pdflatex.

Formulas are written in dlcalc's plain Unicode notation (``e^(−net_h1)``,
``∂E/∂w5``, ``½``); :func:`dlcalc.render.notation.math` turns that notation into LaTeX maths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dlcalc.model.steps import Grid, Mark, Rule, Solution, Step, Table
from dlcalc.render.layout import blocks, elided_count, rule_text, step_texts, visible_rows
from dlcalc.render.marks import ascii_describe
from dlcalc.render.notation import heading, latex_number, math, prose, text
from dlcalc.render.numbers import as_written, fmt

MARK_SIGN = {"right": r"\checkmark", "wrong": r"\times", "carried": r"\hookrightarrow"}

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{adjustbox}
\allowdisplaybreaks
"""


def body(
    solution: Solution, decimals: int = 4, every_step: bool = False, level: str = "section"
) -> str:
    """The solution without the document around it (``key`` puts several in one document)."""
    lines: list[str] = []
    if solution.title:
        lines.append(f"\\{level}*{{{text(solution.title)}}}")
    if solution.source:
        lines.append(f"\\emph{{{text(solution.source.strip())}}}\n")
    sub = "subsection" if level == "section" else "subsubsection"
    for section in solution.sections:
        lines.append(f"\\{sub}*{{{heading(section.title)}}}")
        for block in blocks(section):
            if isinstance(block, list):
                lines.append(steps_block(block, decimals, solution.marks))
            elif isinstance(block, Table):
                lines.append(table_block(block, decimals, every_step))
            elif isinstance(block, Grid):
                lines.append(grid_block(block, decimals))
            elif isinstance(block, Rule):
                lines.append("\\[ " + rule_text(block, "latex") + " \\]\n")
            else:
                lines.append(f"\\emph{{{prose(block)}}}\n")
    for note in solution.notes:
        lines.append(f"\\paragraph{{Note.}} {prose(note)}\n")
    return "\n".join(lines) + "\n"


MAX_LINE = 64  # characters of a formula (as typeset, roughly) per line of the page


def steps_block(steps: list[Step], decimals: int, marks: dict[str, Mark] | None = None) -> str:
    """The steps as one ``align*``: name = formula = substituted = value, long lines broken."""
    number: Callable[[Any], str] = lambda v: as_written(v, decimals)  # noqa: E731
    rows = []
    for step in steps:
        mark = (marks or {}).get(step.label)
        tail = f" \\\\\n  &\\qquad {mark_tex(mark, decimals)}" if mark else ""
        if step.note:  # kept as Markdown and the terminal keep it: under the step
            tail = f" \\\\\n  &\\qquad \\text{{{prose(step.note)}}}" + tail
        name, formula, substituted = step_texts(step, "latex", number)
        value = latex_value(step.value, decimals)
        if step.exact and step.exact != fmt(step.value, decimals):
            exact = step.exact_latex or math(step.exact)
            value = f"{exact} \\approx {value}"
        lines: list[str] = []
        if formula is not None and formula != substituted:
            lines += _broken(step, formula, None, decimals)
        if substituted is not None:
            lines += _broken(step, substituted, number, decimals)
        if not lines:
            rows.append(f"{name} &= {value}{tail}")
            continue
        lines[-1] += f" = {value}"
        row = f"{name} &= " + lines[0]
        for line in lines[1:]:
            row += " \\\\\n  &" + ("" if line.startswith("\\quad") else "= ") + line
        rows.append(row + tail)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def _broken(
    step: Step, whole: str, number: Callable[[Any], str] | None, decimals: int
) -> list[str]:
    """One formula as lines of the page: itself, or broken before + − (or ×) into lines,
    at the shallowest bracket depth that makes the lines fit."""
    from dlcalc.render.notation import ADD_BREAK, MUL_BREAK, LatexPrinter, _unmarked

    if step.expr is None:
        return [whole]
    marked = LatexPrinter(number, breakable=True).print(step.expr)
    if _width(marked) <= MAX_LINE:
        return [_unmarked(marked)]

    def pieces(text: str, depth: int) -> list[str]:
        if _width(text) <= MAX_LINE or depth >= 16:
            return [_unmarked(text)]
        for kind in (ADD_BREAK, MUL_BREAK):
            parts = text.split(chr(kind + depth))
            if len(parts) > 1:
                return [q for part in parts for q in pieces(part, depth)]
        return pieces(text, depth + 1)

    lines: list[str] = []
    current = ""
    for piece in pieces(marked, 0):
        if current and _width(current + piece) > MAX_LINE:
            lines.append(current)
            current = "\\quad " + piece.lstrip()
        else:
            current += piece
    lines.append(current)
    return lines


def _width(tex: str) -> int:
    """About how many characters wide ``tex`` is typeset (commands and braces not counted)."""
    plain = re.sub(r"\\(?:left|right|mathrm|text|frac|tfrac)\b", "", tex)
    plain = re.sub(r"\\[a-zA-Z]+ ?", "x", plain)
    return len(re.sub(r"[{}_^\ue000-\ue1ff]", "", plain))


def latex_value(value: Any, decimals: int) -> str:
    """A value as maths: grouped thousands (4{,}096), vectors as [a,\\ b, …]."""
    if isinstance(value, (list, tuple)):
        items = [latex_value(v, decimals) for v in value]
        chunks = [",\\ ".join(items[k : k + 8]) for k in range(0, len(items), 8)]
        return "[" + ",\\\\\n  &\\qquad ".join(chunks) + "]"
    shown = fmt(value, decimals)
    if isinstance(value, str):
        return "\\text{" + text(shown) + "}"
    return latex_number(shown)


def mark_tex(mark: Mark, decimals: int) -> str:
    """A checked claim beside the value: sign, claimed value, and where it went wrong."""
    words = text(ascii_describe(mark, decimals))
    if mark.first_wrong:
        words = r"\textbf{" + words + "}"
    return f"{MARK_SIGN[mark.status]}\\ \\text{{{words}}}"


def table_block(table: Table, decimals: int, every_step: bool) -> str:
    first = table.rows[0] if table.rows else []
    spec = "".join(
        "r" if k < len(first) and _is_number(first[k]) else "l" for k in range(len(table.columns))
    )
    lines = [
        "\\begin{center}",
        "\\begin{adjustbox}{max width=\\linewidth}",
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
    ]
    if table.title:
        lines.insert(0, f"\\textbf{{{text(table.title)}}}\\\\[2pt]")
    lines.append(" & ".join(prose(str(c)) for c in table.columns) + " \\\\")
    lines.append("\\midrule")
    for row in visible_rows(table, every_step):
        if row is None:
            lines.append(
                f"\\multicolumn{{{len(table.columns)}}}{{l}}{{\\dots\\ {elided_count(table)} rows \\dots}} \\\\"
            )
        else:
            lines.append(" & ".join(_cell(v, decimals) for v in row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{adjustbox}", "\\end{center}", ""]
    return "\n".join(lines)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: object, decimals: int) -> str:
    shown = fmt(value, decimals)
    if _is_number(value):
        return "$" + latex_number(shown) + "$"
    return text(shown)


# --- grid item (added by the conv helper, issue 14) ---------------------------------------------


def grid_block(grid: Grid, decimals: int) -> str:
    """A matrix as a bmatrix; window cells boxed (padding is said in the title)."""
    rows = []
    for r, row in enumerate(grid.cells):
        cells = []
        for c, value in enumerate(row):
            shown = math(fmt(value, decimals))
            if (r, c) in grid.highlight:
                shown = r"\boxed{" + shown + "}"
            cells.append(shown)
        rows.append(" & ".join(cells))
    matrix = " \\\\ ".join(rows)
    columns = max((len(row) for row in grid.cells), default=1)
    bmatrix = "\\begin{bmatrix} " + matrix + " \\end{bmatrix}"
    if columns > WIDE_GRID:  # a 1×70 map: shrunk to the line (and amsmath's 10-column cap raised)
        bmatrix = "\\adjustbox{max width=\\linewidth}{$" + bmatrix + "$}"
    return (
        f"\\noindent {text(grid.title)}\\setcounter{{MaxMatrixCols}}{{{max(64, columns)}}}\n"
        "\\[ " + bmatrix + " \\]\n"
    )


WIDE_GRID = 16  # columns of a grid that fit the line at the document's font size


def render(solution: Solution, decimals: int = 4, every_step: bool = False) -> str:
    return (
        PREAMBLE
        + "\\begin{document}\n"
        + body(solution, decimals, every_step)
        + "\\end{document}\n"
    )
