"""Diagrams as Graphviz DOT text (written here) and SVG (drawn by Graphviz's ``dot``).

Every label is an HTML-like label whose text is escaped: a unit named ``<b>"x`` or a title
with a newline is shown as written and can never close a string or start markup, in the DOT
text or in the SVG that ``dot`` makes of it.  Node names in the DOT text are generated
(``n0``, ``n1``), never user text.  Numbers are formatted like every renderer's.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlcalc.errors import InputError
from dlcalc.model.diagrams import Box, Drawing, Line
from dlcalc.render.notation import visible
from dlcalc.render.numbers import fmt

SUFFIXES = (".dot", ".gv", ".svg")
MAX_LINKS = 800  # edges Graphviz lays out in about a second
DOT_SECONDS = 30  # at most this long for `dot` to draw one diagram

FONT = "Helvetica,Arial,sans-serif"
STYLE = {  # (shape, fill colour) per kind of box
    "input": ("ellipse", "#ddf4ff"),
    "unit": ("plain", "#ffffff"),  # plain: edges meet the table's border (Graphviz ≥ 2.42)
    "value": ("plain", "#ffffff"),
    "operation": ("ellipse", "#fff8c5"),
}


def text(value: Any) -> str:
    """User or formula text for an HTML-like label: escaped, one line, controls visible."""
    return html.escape(visible(str(value)).replace("\n", " ").replace("\t", " "))


def line_text(line: Line, decimals: Any) -> str:
    """``name = value`` (or the name alone, or the value alone), escaped."""
    name, value = line
    if value is None:
        return text(name)
    number = text(fmt(value, decimals))
    if not name:
        return number
    return f"{text(name)} = {number}"


def box_label(box: Box, decimals: Any) -> str:
    """A box's label: its heading in bold over its lines (a table for units and graph nodes)."""
    heading = f"<b>{text(box.heading)}</b>"
    lines = [line_text(line, decimals) for line in box.lines]
    if box.kind in ("input", "operation"):
        return "<" + "<br/>".join([heading, *lines]) + ">"
    cells = "".join(f'<td align="left">{line}</td>' for line in lines)
    if box.kind == "value":  # micrograd's record: name | value | gradient, side by side
        row = f'<tr><td bgcolor="#eaeef2">{heading}</td>{cells}</tr>'
    else:
        rows = "".join(f'<tr><td align="left">{line}</td></tr>' for line in lines)
        row = f'<tr><td bgcolor="#eaeef2">{heading}</td></tr>{rows}'
    return (
        '<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" '
        f'color="#8c959f">{row}</table>>'
    )


def to_dot(drawing: Drawing, decimals: Any, titled: bool = True) -> str:
    """The DOT text of ``drawing``: columns left to right, one cluster per titled column
    (``titled=False``: without the title, for a page that already shows it)."""
    ids = {box.key: f"n{k}" for k, box in enumerate(drawing.boxes)}
    title = [f"<b>{text(drawing.title)}</b>"] if titled else []
    title += [line_text(line, decimals) for line in drawing.caption]
    layers = any(column.title is not None for column in drawing.columns)
    ranksep = 1.4 if layers else 0.45  # room for the weights on a network's edges
    out = [
        "digraph dlcalc {",
        f'  graph [rankdir=LR, fontname="{FONT}", fontsize=13, labelloc=t, nodesep=0.35, '
        f"ranksep={ranksep}, newrank=true, remincross=false, label=<{'<br/>'.join(title)}>];",
        f'  node [fontname="{FONT}", fontsize=11, style=filled, color="#8c959f", margin="0.06,0.03"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="#57606a", arrowsize=0.6];',
    ]
    for k, column in enumerate(drawing.columns):
        indent = "  "
        if column.title is not None:
            out.append(f"  subgraph cluster_{k} {{")
            out.append(
                f'    label=<{text(column.title)}>; style="rounded,dashed"; color="#afb8c1";'
            )
            indent = "    "
        for box in column.boxes:
            shape, fill = STYLE.get(box.kind, STYLE["unit"])
            out.append(
                f'{indent}{ids[box.key]} [shape={shape}, fillcolor="{fill}", '
                f"label={box_label(box, decimals)}];"
            )
        if column.title is not None:
            if len(column.boxes) > 1:  # a layer's units top to bottom in their own order
                # (with rankdir=LR, dot puts a flat edge's head above its tail)
                chain = " -> ".join(ids[box.key] for box in reversed(column.boxes))
                out.append(f"    {{rank=same; {chain} [style=invis];}}")
            out.append("  }")
    for link in drawing.links:
        label = "<br/>".join(line_text(line, decimals) for line in link.lines)
        attributes = f" [label=<{label}>]" if label else ""
        out.append(f"  {ids[link.source]} -> {ids[link.target]}{attributes};")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_program() -> str | None:
    """Where Graphviz's ``dot`` is, or None when it is not installed."""
    return shutil.which("dot")


NO_DOT = (
    "drawing an SVG needs Graphviz's `dot`, which is not installed "
    "(apt install graphviz, brew install graphviz or conda install graphviz); "
    "or write the DOT text instead: --diagram FILE.dot"
)


def check_diagram_path(path: Path) -> None:
    """Refuse a diagram file that cannot be written before any work is done."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"cannot tell the format from the extension {suffix or '(none)'!r}; use .svg or .dot",
            file=str(path),
            field="--diagram",
        )
    if suffix == ".svg" and dot_program() is None:
        raise InputError(NO_DOT, field="--diagram")


def to_svg(dot: str) -> str:
    """The SVG that Graphviz's ``dot`` draws of ``dot`` (bounded in time)."""
    program = dot_program()
    if program is None:
        raise InputError(NO_DOT, field="--diagram")
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=DOT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"Graphviz took more than {DOT_SECONDS} s to draw the diagram; write --diagram FILE.dot",
            field="--diagram",
        ) from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(
            f"Graphviz could not draw the diagram ({why[0] if why else done.returncode})",
            field="--diagram",
        )
    return done.stdout.decode("utf-8")


def check_size(drawing: Drawing) -> None:
    if len(drawing.links) > MAX_LINKS:
        raise InputError(
            f"the diagram would have {len(drawing.links):,} edges; at most {MAX_LINKS:,} are drawn",
            field="--diagram",
        )


def diagram_figure(path: Path, drawing: Drawing, decimals: Any) -> Callable[[], None]:
    """A figure for ``solution.figures``: writes ``path`` (DOT text, or SVG) when called."""
    from dlcalc.app import files

    check_size(drawing)

    def write() -> None:
        dot = to_dot(drawing, decimals)
        out = to_svg(dot) if path.suffix.lower() == ".svg" else dot
        files.write_text(path, out, field="--diagram")

    return write


PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


def inline_svg(drawing: Drawing, decimals: Any) -> str | None:
    """The diagram as an ``<svg>`` element to put in an HTML page; None without Graphviz or
    when the diagram is too large to draw."""
    if dot_program() is None or len(drawing.links) > MAX_LINKS:
        return None
    svg = to_svg(to_dot(drawing, decimals, titled=False))
    return PROLOG.sub("", svg, count=1)  # no XML declaration or DOCTYPE inside HTML
