"""The default renderer: one panel per section, laid out for the terminal's width.

Steps are laid out here, not by nested Rich tables (which cost 97% of a large run's time
and put values on the wrong line once formulas wrap): per panel a name column, a working
column and one value column.  A formula longer than its column wraps at an operator with
the continuation indented, and a step's value always ends the line of its substituted
formula.  Every piece of user text is a Rich ``Text`` (never parsed as markup), with
control characters shown as escapes.  With ``ascii`` (``--ascii``, or a terminal that
cannot encode Unicode) the same layout is written in plain ASCII.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Callable
from io import StringIO
from typing import Any

from rich import box
from rich.box import Box
from rich.cells import cell_len as rich_cell_len
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule as RichRule
from rich.text import Text

from dlcalc.model.steps import Grid, Mark, Rule, Section, Solution, Step, Table
from dlcalc.render.layout import blocks, elided_count, rule_text, step_texts, visible_rows
from dlcalc.render.marks import describe
from dlcalc.render.notation import ascii_text, ascii_title, can_encode, visible
from dlcalc.render.numbers import as_written, fmt, shown_value

MARK_STYLE = {"right": "green", "wrong": "bold red", "carried": "yellow"}
INDENT = "    "  # continuation of a wrapped formula
# Break before a + or − (or = , and "if"), and inside a long product before × · ⊙ *.
BREAK = re.compile(r"(?= [+−=\-] )|(?<=, )|(?= if )")
BREAK_PRODUCT = re.compile(r"(?= [×·⊙*/] )")
MIN_WORKING = 16  # narrowest working column worth wrapping into
# Every character below U+0300 (Latin, with its accents precomposed) takes one cell; beyond
# that, combining marks take none and East Asian and emoji characters two (Rich knows which).
_BEYOND_LATIN = re.compile("[^\x00-\u02ff]")
_EXTRA_CELLS: dict[str, int] = {}


def cell_len(text: str) -> int:
    """Terminal cells of ``text``: its length, corrected for wide or zero-width characters."""
    if text.isascii():
        return len(text)
    return len(text) + sum(_extra_cells(ch) for ch in _BEYOND_LATIN.findall(text))


def _extra_cells(ch: str) -> int:
    extra = _EXTRA_CELLS.get(ch)
    if extra is None:
        extra = _EXTRA_CELLS[ch] = rich_cell_len(ch) - 1
    return extra


class Style:
    """What differs between the Unicode and the ASCII terminal."""

    __slots__ = ("ascii",)

    def __init__(self, ascii: bool = False) -> None:
        self.ascii = ascii

    def text(self, value: str) -> str:
        return ascii_text(value) if self.ascii else visible(value)

    def title(self, value: str) -> str:
        return ascii_title(value) if self.ascii else visible(value)

    @property
    def notation(self) -> str:
        return "ascii" if self.ascii else "unicode"

    @property
    def box(self) -> Box:
        return box.ASCII if self.ascii else box.ROUNDED


# ---------------------------------------------------------------- wrapping


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken before operators; continuations indented."""
    if cell_len(text) <= width:
        return [text]
    pieces: list[str] = []
    for piece in BREAK.split(text):
        if cell_len(piece) > width - cell_len(INDENT):
            pieces += [p for p in BREAK_PRODUCT.split(piece) if p]
        elif piece:
            pieces.append(piece)
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and cell_len(current + piece) > width:
            lines.append(current.rstrip())
            current = INDENT + piece.lstrip()
        else:
            current += piece
    lines.append(current.rstrip())
    out: list[str] = []
    for line in lines:  # a single piece longer than the column: fold it
        while cell_len(line) > width:
            cut = _cut(line, width)
            out.append(line[:cut])
            line = INDENT + line[cut:]
            if cell_len(INDENT) >= width:
                break
        out.append(line)
    return out


def _cut(line: str, width: int) -> int:
    total = 0
    for k, ch in enumerate(line):
        total += cell_len(ch)
        if total > width:
            return max(k, 1)
    return len(line)


# ---------------------------------------------------------------- one step


class StepLines:
    """A step's pieces before layout: name, working lines and the value."""

    __slots__ = ("name", "working", "value_line", "value", "after")

    def __init__(
        self,
        name: str,
        working: list[tuple[str, str]],
        value_line: int,
        value: str,
        after: list[tuple[str, str]],
    ) -> None:
        self.name = name
        self.working = working  # (text, style)
        # index into ``working`` of the line the value ends (-1: the name line)
        self.value_line = value_line
        self.value = value
        self.after = after  # notes and marks, under the working


def step_lines(step: Step, decimals: int, mark: Mark | None, style: Style) -> StepLines:
    number: Callable[[Any], str] = lambda v: as_written(v, decimals)  # noqa: E731
    name, formula, substituted = step_texts(step, style.notation, number)
    working: list[tuple[str, str]] = []
    if formula is not None and formula != substituted:
        working.append(("= " + formula, ""))
    value_line = -1
    if substituted is not None:
        working.append(("= " + substituted, "dim" if formula else ""))
        value_line = len(working) - 1
    elif working:
        value_line = 0
    after: list[tuple[str, str]] = []
    value = style.text(shown_value(step, decimals))
    if step.exact and step.exact != fmt(step.value, decimals):
        after.append(("= " + style.text(step.exact) + "  (exact)", "green"))
    if step.note:
        after.append((style.text(step.note), "italic dim"))
    if mark is not None:  # a checked claim: its own line under the working
        shown = style.text(describe(mark, decimals))
        after.append((shown, MARK_STYLE[mark.status] + (" reverse" if mark.first_wrong else "")))
    return StepLines(name, working, value_line, "= " + value, after)


def steps_block(
    rows: list[StepLines], name_w: int, work_w: int, value_w: int, style: Style, inner: int
) -> Text:
    """The steps as lines of text: name │ working │ value, the value on its substituted line."""
    out = Text(no_wrap=True, overflow="ignore", end="")
    blank = " " * name_w
    formula_w = max(inner - name_w - 1, work_w)  # a line without a value may pass the values
    for row, at in zip(rows, value_columns(rows, work_w), strict=True):
        name_fits = cell_len(row.name) <= name_w
        lines: list[tuple[str, str, str]] = []  # (name cell, working cell text, style)
        wrapped: list[tuple[str, str, bool]] = []  # (text, style, ends the value line)
        for k, (text, st) in enumerate(row.working):
            parts = wrap(text, work_w if k == row.value_line else formula_w)
            for j, part in enumerate(parts):
                wrapped.append((part, st, k == row.value_line and j == len(parts) - 1))
        value_long = cell_len(row.value) > value_w
        if not name_fits:
            lines.append((row.name, "", ""))
        if not wrapped:
            wrapped.append(("", "", True))
        for k, (text, st, ends) in enumerate(wrapped):
            head = row.name if (k == 0 and name_fits) else blank
            lines.append((head, text, st + ("|value" if ends else "")))
        for k, (head, text, st) in enumerate(lines):
            if k:
                out.append("\n")
            is_name = head.strip() != "" and head == row.name
            padded = head + " " * (name_w - cell_len(head)) if name_fits else head
            out.append(padded, "bold cyan" if is_name else "")
            if not text and not st.endswith("|value"):
                continue
            out.append(" ")
            plain_style = st.removesuffix("|value")
            out.append(text, plain_style)
            if st.endswith("|value") and not value_long:
                pad = at - cell_len(text) + 1 + value_w - cell_len(row.value)
                out.append(" " * pad)
                out.append(row.value, "bold")
        if value_long:
            for part in wrap(row.value, work_w + 1 + value_w):
                out.append("\n" + blank + " ")
                out.append(part, "bold")
        prose_w = max(inner - name_w - 1, MIN_WORKING)
        for text, st in row.after:
            for part in textwrap.wrap(text, prose_w, subsequent_indent="  ") or [""]:
                out.append("\n" + blank + " ")
                out.append(part, st)
        out.append("\n")
    if out.plain.endswith("\n"):
        out.right_crop(1)
    return out


# ---------------------------------------------------------------- panels


MAX_GAP = 30  # at most this many cells between a substituted formula and its value


def value_columns(rows: list[StepLines], work_w: int) -> list[int]:
    """Where each row's value column starts (after ``work_w`` cells at most).

    Consecutive rows whose value lines differ in width by at most :data:`MAX_GAP` share
    a column just after the widest of them; a much shorter line starts a new column, so
    that a short sum never has its value far away at a wide terminal.
    """
    out: list[int] = []
    run: list[int] = []

    def close() -> None:
        out.extend([max(max(run, default=0), MIN_WORKING)] * len(run))
        run.clear()

    for row in rows:
        text = row.working[row.value_line][0] if row.value_line >= 0 else ""
        # the value ends the last line of a wrapped formula; a given's stands near its name
        width = cell_len(wrap(text, work_w)[-1]) if text else 0
        if run and max(*run, width) - min(*run, width) > MAX_GAP:
            close()
        run.append(width)
    close()
    return [min(at, work_w) for at in out]


def columns(rows: list[StepLines], inner: int) -> tuple[int, int, int]:
    """One set of columns per panel: the names', the working's and the values' widths.

    The values stand one column after the widest line that ends in a value (a formula
    line without a value may run on past them), so that no value sits far from its sum.
    """
    name_w = min(max((cell_len(r.name) for r in rows), default=0), inner // 3)
    value_w = min(max((cell_len(r.value) for r in rows), default=0), inner // 3)
    widest = max(
        (cell_len(r.working[r.value_line][0]) for r in rows if r.value_line >= 0), default=0
    )
    work_w = max(min(widest, inner - name_w - 2 - value_w), MIN_WORKING)
    if name_w + 2 + work_w + value_w > inner:  # very narrow: give the names their own lines
        name_w = 0
        work_w = max(inner - 2 - value_w, MIN_WORKING)
    return name_w, work_w, value_w


def section_panel(
    section: Section,
    decimals: int,
    every_step: bool,
    marks: dict[str, Mark] | None,
    width: int,
    style: Style,
) -> RenderableType:
    """The section in a box: steps, tables and notes laid out as lines of text."""
    inner = max(width - 4, 20)  # borders and padding
    prepared: list[Any] = []
    all_rows: list[StepLines] = []
    for block in blocks(section):
        if isinstance(block, list):
            rows = [step_lines(s, decimals, (marks or {}).get(s.label), style) for s in block]
            prepared.append(rows)
            all_rows += rows
        else:
            prepared.append(block)
    name_w, work_w, value_w = columns(all_rows, inner)
    parts: list[Text] = []
    for item in prepared:
        if isinstance(item, list):
            parts.append(steps_block(item, name_w, work_w, value_w, style, inner))
        elif isinstance(item, Table):
            table = plain_table(item, decimals, every_step, style, inner)
            if parts:  # a blank line between a table and what comes before it
                table = Text("\n", end="") + table
            parts.append(table)
        elif isinstance(item, str):
            if parts and isinstance(prepared[len(parts) - 1], Table):
                parts[-1].append("\n")
            lines = textwrap.wrap(style.text(item), inner) or [""]
            parts.append(Text("\n".join(lines), style="italic", end=""))
        elif isinstance(item, Rule):
            parts.append(Text("\n".join(wrap(rule_text(item, style.notation), inner)), end=""))
        elif isinstance(item, Grid) or hasattr(item, "render_terminal"):
            # an item drawn with Rich renderables of its own: the section becomes a Rich panel
            return _rich_panel(section, prepared, decimals, every_step, style, inner, width)
        else:
            parts.append(Text("\n".join(textwrap.wrap(style.text(str(item)), inner)), end=""))
    return frame(style.title(section.title), parts, width, style)


def frame(title: str, parts: list[Text], width: int, style: Style) -> Text:
    """Lines of text in a box with the title in its top border (what a Rich Panel draws)."""
    b = style.box
    inner = width - 4
    if cell_len(title) > width - 6:
        title = title[: max(width - 7, 1)] + ("..." if style.ascii else "…")
    top = Text(b.top_left + b.top + " ", style="", end="")
    top.append(title, "bold")
    top.append(" " + b.top * (width - 5 - cell_len(title)) + b.top_right)
    out = Text(no_wrap=True, overflow="crop", end="\n")
    out.append_text(top)
    for part in parts:
        for line in part.split("\n", allow_blank=True):
            line.rstrip()
            if cell_len(line.plain) > inner:
                line.truncate(inner, overflow="crop")
            out.append("\n" + b.mid_left + " ")
            out.append_text(line)
            out.append(" " * max(inner - cell_len(line.plain), 0) + " " + b.mid_right)
    out.append("\n" + b.bottom_left + b.bottom * (width - 2) + b.bottom_right)
    return out


def _rich_panel(
    section: Section,
    prepared: list[Any],
    decimals: int,
    every_step: bool,
    style: Style,
    inner: int,
    width: int,
) -> Panel:
    """A section holding an item kind that renders itself as Rich renderables: a Rich Panel."""
    parts: list[RenderableType] = []
    for item in prepared:
        if isinstance(item, list):
            name_w, work_w, value_w = columns(item, inner)
            parts.append(steps_block(item, name_w, work_w, value_w, style, inner))
        elif isinstance(item, Table):
            parts.append(plain_table(item, decimals, every_step, style, inner))
        elif isinstance(item, str):
            parts.append(Text(style.text(item), style="italic"))
        elif isinstance(item, Rule):
            parts.append(Text(rule_text(item, style.notation)))
        elif isinstance(item, Grid):
            parts.append(grid_table(item, decimals, style))
        else:
            parts.append(item.render_terminal(decimals=decimals, width=inner, ascii=style.ascii))
    for part in parts:
        if isinstance(part, Text):
            part.end = "\n"  # each part on lines of its own: no caption glued to a value
    return Panel(
        Group(*parts),
        title=Text(style.title(section.title), style="bold"),
        title_align="left",
        box=style.box,
        padding=(0, 1),
        safe_box=style.ascii,
        width=width,
    )


def plain_table(table: Table, decimals: int, every_step: bool, style: Style, inner: int) -> Text:
    """A table as aligned columns of text: a heading, a rule, the rows (numbers right-aligned).

    A table wider than the panel is written as several tables of fewer columns, each
    repeating the first column.
    """
    heads = [style.text(str(c)) for c in table.columns]
    shown = visible_rows(table, every_step)
    cells = [
        [style.text(fmt(v, decimals)) for v in row] if row is not None else None for row in shown
    ]
    colours = [
        [VERDICT_STYLE.get(v[:1], "") if isinstance(v, str) else "" for v in row]
        if row is not None
        else None
        for row in shown
    ]
    return _text_table(table, heads, cells, style, inner, colours)


VERDICT_STYLE = {"✓": MARK_STYLE["right"], "✗": MARK_STYLE["wrong"], "↪": MARK_STYLE["carried"]}


def _text_table(
    table: Table,
    heads: list[str],
    cells: list[list[str] | None],
    style: Style,
    inner: int,
    colours: list[list[str] | None] | None = None,
) -> Text:
    first = table.rows[0] if table.rows else []
    numeric = [
        k < len(first) and isinstance(first[k], (int, float)) and not isinstance(first[k], bool)
        for k in range(len(heads))
    ]
    widths = [cell_len(h) for h in heads]
    for row in cells:
        for k, c in enumerate(row or []):
            if k < len(widths):
                widths[k] = max(widths[k], cell_len(c))
    if len(heads) > 2 and sum(widths) + 2 * (len(widths) - 1) > inner:
        take, used = [0], widths[0]
        for k in range(1, len(heads)):
            if len(take) > 1 and used + 2 + widths[k] > inner:
                break
            take.append(k)
            used += 2 + widths[k]
        rest = [0, *range(len(take), len(heads))]
        pick = lambda ks, xs: [xs[k] for k in ks if k < len(xs)]  # noqa: E731
        paint = colours or [None] * len(cells)
        left = _text_table(
            table,
            pick(take, heads),
            [pick(take, r) if r else r for r in cells],
            style,
            inner,
            [pick(take, r) if r else r for r in paint],
        )
        right = _text_table(
            table,
            pick(rest, heads),
            [pick(rest, r) if r else r for r in cells],
            style,
            inner,
            [pick(rest, r) if r else r for r in paint],
        )
        left.append("\n\n")
        left.append_text(right)
        return left

    def line(values: list[str]) -> str:
        out = []
        for k, v in enumerate(values):
            pad = " " * (widths[k] - cell_len(v))
            out.append(pad + v if numeric[k] else v + pad)
        return "  ".join(out).rstrip()

    def painted(values: list[str], paint: list[str] | None) -> Text:
        """The row's line, each verdict cell (✓ ✗ ↪) in its colour."""
        text = Text(line(values), end="")
        if paint:
            at = 0
            for k, v in enumerate(values):
                cell = widths[k] + 2
                if k < len(paint) and paint[k]:
                    start = at + (widths[k] - cell_len(v) if numeric[k] else 0)
                    text.stylize(paint[k], start, start + len(v))
                at += cell
        return text

    out = Text(no_wrap=True, overflow="crop", end="")
    if table.title:
        out.append(style.text(table.title) + "\n", "italic")
    out.append(line(heads), "bold")
    out.append(
        "\n" + ("-" if style.ascii else "─") * min(sum(widths) + 2 * (len(widths) - 1), inner)
    )
    for k, row in enumerate(cells):
        if row is None:
            gap = f"… {elided_count(table):,} rows …"
            out.append("\n" + style.text(gap), "dim")
        else:
            out.append("\n")
            out.append_text(painted(row, colours[k] if colours else None))
    return out


def renderables(
    solution: Solution,
    decimals: int = 4,
    every_step: bool = False,
    width: int = 100,
    ascii: bool = False,
) -> list[RenderableType]:
    style = Style(ascii)
    out: list[RenderableType] = []
    if solution.title:
        shown = style.title(solution.title)
        if cell_len(shown) > width - 6:  # cut here: Rich's own cut ends in "…" even in ASCII
            shown = shown[: max(width - 9, 1)] + ("..." if ascii else "…")
        title = Text(shown, style="bold")
        out.append(RichRule(title, style="blue", characters="-" if ascii else "─"))
    if solution.source:
        out.append(Text(style.text(solution.source), style="dim italic"))
    for section in solution.sections:
        out.append(section_panel(section, decimals, every_step, solution.marks, width, style))
    for note in solution.notes:
        out.append(Text(style.text("Note: " + note), style="italic"))
    return out


# --- grid item (added by the conv helper, issue 14) ---------------------------------------------


GRID_WIDTH = 72  # characters a grid may take inside a panel of an 80-column terminal


def grid_table(grid: Grid, decimals: int, style: Style | None = None) -> Group:
    """A matrix as a grid under its title; window cells [bracketed] (and reversed in colour), padding dim.

    Small grids are boxed; wider ones drop the box lines, and grids wider than the panel
    even then are split into blocks of columns (each headed by its column numbers).
    """
    from rich.table import Table as RichTable  # only grids need it: not loaded at start-up

    style = style or Style()
    texts = [[style.text(fmt(v, decimals)) for v in row] for row in grid.cells]
    width = max((len(t) for row in texts for t in row), default=1) + 2  # room for [ ]
    columns = len(texts[0]) if texts else 0
    boxed = columns * (width + 3) + 1 <= GRID_WIDTH
    per_block = columns if boxed else max(1, GRID_WIDTH // (width + 1))
    parts: list[RenderableType] = [Text(style.text(grid.title))]
    for start in range(0, columns, per_block):
        stop = min(start + per_block, columns)
        out = RichTable(
            box=(box.ASCII if style.ascii else box.SQUARE) if boxed else None,
            safe_box=style.ascii,
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
    solution: Solution,
    decimals: int = 4,
    every_step: bool = False,
    width: int = 100,
    ascii: bool = False,
) -> str:
    """Plain text (no colour), as written to a .txt file or compared in golden tests."""
    buffer = StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, force_terminal=False, legacy_windows=False
    )
    write(console, renderables(solution, decimals, every_step, width, ascii))
    return buffer.getvalue()


def write(console: Console, items: list[RenderableType]) -> None:
    """Print laid-out text as it is (no re-wrapping); plain strings where there is no colour."""
    plain = console.no_color or console.color_system is None
    for item in items:
        if isinstance(item, Text) and item.no_wrap:
            if plain:
                console.file.write(item.plain + "\n")
            else:
                console.print(item, no_wrap=True, overflow="ignore", crop=False)
        else:
            console.print(item)


def to_html(solution: Solution, decimals: int = 4, every_step: bool = False) -> str:
    """A self-contained HTML page (class_report's feedback pages)."""
    from dlcalc.render import html

    return html.render(solution, decimals, every_step)


def print_solution(
    solution: Solution, decimals: int = 4, every_step: bool = False, ascii: bool = False
) -> None:
    console = Console()
    ascii = ascii or bool(os.environ.get("DLCALC_ASCII")) or not can_encode(sys.stdout)
    write(console, renderables(solution, decimals, every_step, console.width, ascii))
