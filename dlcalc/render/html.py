"""HTML: a self-contained page a teacher could publish (``-o solution.html``).

Sections become headed tables of steps (name, formula, numbers, value), formulas are
written by the HTML printer (sub- and superscripts, Unicode operators), checked claims
get their marks, and every piece of user text is escaped: no markup from a problem file
or an answers file ever becomes live.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from dlcalc.model.steps import Grid, Mark, Rule, Solution, Step, Table
from dlcalc.render.layout import blocks, elided_count, rule_text, step_texts, visible_rows
from dlcalc.render.marks import describe
from dlcalc.render.notation import visible
from dlcalc.render.numbers import as_written, fmt, shown_value

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 64rem;
       margin: 2rem auto; padding: 0 1rem; color: #1b1f24; line-height: 1.45; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #2f6fb3; padding-bottom: .3rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; color: #2f6fb3; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; color: #2f6fb3; }
.source { color: #57606a; font-style: italic; white-space: pre-line; }
table { border-collapse: collapse; margin: .6rem 0 1rem; }
table.steps td { padding: .25rem .6rem; vertical-align: top; border-bottom: 1px solid #eaeef2; }
table.steps td.name { font-weight: 600; color: #0b6e79; white-space: nowrap; }
table.steps td.work div.sub { color: #57606a; }
table.steps td.joined { border-bottom: none; padding-bottom: 0; }
table.steps td.value { text-align: right; font-weight: 600; white-space: nowrap;
                       vertical-align: bottom; }
table.data th, table.data td { padding: .2rem .7rem; border-bottom: 1px solid #d0d7de; }
table.data th { text-align: left; border-bottom: 2px solid #8c959f; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.formula { font-family: "STIX Two Math", "Cambria Math", "Latin Modern Math", serif; }
.radical { font-family: system-ui, "Segoe UI Symbol", "DejaVu Sans", sans-serif; }
.note { color: #57606a; font-style: italic; }
.exact { color: #1a7f37; }
.mark-right { color: #1a7f37; } .mark-wrong { color: #cf222e; font-weight: 600; }
.mark-carried { color: #9a6700; } .first-wrong { background: #ffebe9; }
.elided td { color: #57606a; font-style: italic; }
table.grid td { border: 1px solid #d0d7de; padding: .15rem .45rem; text-align: right;
                font-variant-numeric: tabular-nums; }
table.grid td.window { background: #ddf4ff; font-weight: 600; }
table.grid td.pad { color: #8c959f; }
"""


def esc(text: Any) -> str:
    """User text as HTML text: escaped, control characters visible."""
    return html.escape(visible(str(text)))


VERDICT_CLASS = {"✓": "mark-right", "✗": "mark-wrong", "↪": "mark-carried"}


def note(text: str) -> str:
    """A note as HTML: escaped, its `code` spans in typewriter."""
    return re.sub(r"`([^`<>]+)`", r"<code>\1</code>", esc(text))


def page(title: str, body: list[str], extra_css: str = "") -> str:
    """A self-contained HTML page around ``body`` (``extra_css`` after the shared style)."""
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}{extra_css}</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>", ""])


def render(solution: Solution, decimals: int = 4, every_step: bool = False) -> str:
    title = solution.title or f"dlcalc {solution.command}"
    out = [f"<h1>{esc(title)}</h1>"]
    if solution.source:
        out.append(f'<p class="source">{esc(solution.source.strip())}</p>')
    return page(title, out + sections(solution, decimals, every_step))


def sections(solution: Solution, decimals: int, every_step: bool, level: int = 2) -> list[str]:
    """The solution's sections (headed ``<h{level}>``) and notes, without title and source."""
    out: list[str] = []
    for section in solution.sections:
        out.append("<section>")
        out.append(f"<h{level}>{esc(section.title)}</h{level}>")
        for block in blocks(section):
            if isinstance(block, list):
                out.append(steps_table(block, decimals, solution.marks))
            elif isinstance(block, Table):
                out.append(data_table(block, decimals, every_step))
            elif isinstance(block, str):
                out.append(f'<p class="note">{note(block)}</p>')
            elif isinstance(block, Rule):
                out.append(f'<p class="rule formula">{rule_text(block, "html")}</p>')
            elif isinstance(block, Grid):
                out.append(grid_table(block, decimals))
            elif hasattr(block, "render_html"):  # an item kind that renders itself
                out.append(block.render_html(decimals=decimals))
            else:
                out.append(f"<p>{esc(block)}</p>")
        out.append("</section>")
    for text in solution.notes:
        out.append(f'<p class="note"><strong>Note:</strong> {note(text)}</p>')
    return out


FOLDED_AFTER = 40  # steps: a longer solution shows its first and last sections open
SCOPE = "dlcalc-solution"


def fragment(
    solution: Solution, decimals: int = 4, every_step: bool = False, figure: str | None = None
) -> str:
    """The solution as one ``<div>`` for a notebook: the page's content, self-contained (its own
    style, scoped to the div so that the notebook around it keeps its look, on white also in a
    dark theme; no external CSS or script), each section a collapsible ``<details>``, and
    ``figure`` (an ``<svg>`` element, trusted: Graphviz's) under the title."""
    import re

    page = render(solution, decimals, every_step)
    content = page[page.index("<body>") + len("<body>") : page.rindex("</body>")].strip()
    count = sum(len(section.steps) for section in solution.sections)
    last = len(solution.sections) - 1
    folded = count > FOLDED_AFTER and last > 1
    heading_end = content.index("</h1>") + len("</h1>")
    extra = [f'<figure class="diagram">{figure}</figure>'] if figure is not None else []
    if folded:
        extra.append(
            f'<p class="note">{count:,} steps in {last + 1} sections; '
            "click a section's heading to open or fold it.</p>"
        )
    content = "\n".join([content[:heading_end], *extra, content[heading_end:].lstrip("\n")])
    index = iter(range(last + 1))

    def details(match: re.Match[str]) -> str:  # user text is escaped: these tags are the page's
        k = next(index)
        opened = " open" if not folded or k in (0, last) else ""
        return f"<details{opened}><summary>{match[1]}</summary>"

    content = re.sub(r"<section>\n(<h2>.*?</h2>)", details, content)
    content = content.replace("</section>", "</details>")
    style = scoped(CSS + FRAGMENT_CSS, "." + SCOPE)
    return f'<div class="{SCOPE}">\n<style>{style}</style>\n{content}\n</div>'


FRAGMENT_CSS = """
body { margin: 0; max-width: none; padding: .2rem .8rem; background: #fff; }
summary { cursor: pointer; } summary h2 { display: inline; }
details { margin: .3rem 0; }
figure.diagram { margin: .5rem 0 1rem; overflow-x: auto; }
figure.diagram svg { max-width: 100%; height: auto; }
"""


def scoped(css: str, scope: str) -> str:
    """``css`` with every rule limited to ``scope`` (``body`` becomes the scope itself)."""
    import re

    rules = []
    for selectors, declarations in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        names = []
        for selector in selectors.split(","):
            selector = selector.strip()
            if selector == "body":
                names.append(scope)
            else:
                names.append(f"{scope} {selector}")
        rules.append(f"{', '.join(names)} {{{declarations}}}")
    return "\n".join(rules)


def steps_table(steps: list[Step], decimals: int, marks: dict[str, Mark] | None = None) -> str:
    number: Callable[[Any], str] = lambda v: as_written(v, decimals)  # noqa: E731
    rows = ['<table class="steps">']
    for step in steps:
        name, formula, substituted = step_texts(step, "html", number)
        work = []
        if formula is not None and formula != substituted:
            work.append(f'<div class="formula">= {formula}</div>')
        if substituted is not None:
            work.append(f'<div class="formula sub">= {substituted}</div>')
        if step.exact and step.exact != fmt(step.value, decimals):
            work.append(f'<div class="exact">= {esc(step.exact)} (exact)</div>')
        extra = []
        if step.note:
            extra.append(f'<div class="note">{note(step.note)}</div>')
        mark = (marks or {}).get(step.label)
        css = ' class="first-wrong"' if mark is not None and mark.first_wrong else ""
        if mark is not None:
            extra.append(f'<div class="mark-{mark.status}">{esc(describe(mark, decimals))}</div>')
        value = esc(shown_value(step, decimals))
        joined = ' class="joined"' if extra else ""
        rows.append(
            f'<tr{css}><td class="name formula"{joined}>{name}</td>'
            f'<td class="work"{joined}>{"".join(work)}</td>'
            f'<td class="value"{joined}>= {value}</td></tr>'
        )
        if extra:
            rows.append(
                f'<tr{css}><td></td><td colspan="2" class="work">{"".join(extra)}</td></tr>'
            )
    rows.append("</table>")
    return "\n".join(rows)


def data_table(table: Table, decimals: int, every_step: bool) -> str:
    numeric = [
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in (table.rows[0] if table.rows else [])
    ]
    out = ['<table class="data">']
    if table.title:
        out.append(f"<caption>{esc(table.title)}</caption>")
    out.append("<tr>" + "".join(f"<th>{esc(c)}</th>" for c in table.columns) + "</tr>")
    for row in visible_rows(table, every_step):
        if row is None:
            gap = f"… {elided_count(table):,} rows …"
            out.append(f'<tr class="elided"><td colspan="{len(table.columns)}">{gap}</td></tr>')
            continue
        cells = []
        for k, v in enumerate(row):
            css = ' class="num"' if k < len(numeric) and numeric[k] else ""
            if isinstance(v, str) and v[:1] in VERDICT_CLASS:  # ✓ ✗ ↪ in "Your answers"
                css = f' class="{VERDICT_CLASS[v[:1]]}"'
            cells.append(f"<td{css}>{esc(fmt(v, decimals))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def grid_table(grid: Grid, decimals: int) -> str:
    """A matrix as a grid of cells; a sliding window's cells highlighted, padding faint."""
    out = [f'<table class="grid"><caption>{esc(grid.title)}</caption>']
    for r, row in enumerate(grid.cells):
        cells = []
        for c, v in enumerate(row):
            css = "window" if (r, c) in grid.highlight else "pad" if (r, c) in grid.faint else ""
            cells.append(
                f'<td class="{css}">{esc(fmt(v, decimals))}</td>'
                if css
                else f"<td>{esc(fmt(v, decimals))}</td>"
            )
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)
