"""Student sheets and keys of a set of variants (``dlcalc vary``, ``dlcalc practice``).

A *sheet* gives a student their problem (its givens, and the problem file as dlcalc reads it)
and a table of the asked quantities with blanks; a *key* gives the asked values and the worked
solution.  Markdown, LaTeX and HTML, one variant or the whole class (LaTeX: one student a
page).  Every piece of user text (titles, roster columns, names in the problem) is escaped for
its format.  Renderers never compute: the values come from :mod:`dlcalc.sets.asking`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dlcalc.model.steps import Solution
from dlcalc.render.numbers import Places, fmt
from dlcalc.sets.asking import Asked

MAX_GIVENS = 60  # givens listed on a sheet (the problem file below has them all)
GIVENS_PER_ROW = 4  # givens side by side: a sheet is one page


@dataclass
class Sheet:
    """What a student's sheet and key show, for one variant."""

    id: str
    title: str
    problem: str  # the problem file's text, as the student may solve it with dlcalc
    givens: list[tuple[str, Any]]  # (symbol, value) of the quantities given
    asked: list[Asked]
    solution: Solution
    about: list[tuple[str, str]] = field(default_factory=list)  # roster columns: (heading, text)
    answers_file: str = ""  # where the student writes the answers


def givens(solution: Solution) -> list[tuple[str, Any]]:
    """The given quantities of a solution by their symbols, in order of first use."""
    from dlcalc.grading.checking import Index

    index = Index.of(solution)
    symbols: dict[str, str] = {}
    for step in index.steps:
        for a in step.args:
            if a.name in index.given:
                symbols.setdefault(a.name, a.symbol or a.name)
    shown = [(k, symbols.get(k, k), v) for k, v in list(index.given.items())[:MAX_GIVENS]]
    count = Counter(symbol for _, symbol, _ in shown)
    # a symbol shared by several givens (x1 of every input) is told apart by its label (x1@2)
    return [(symbol if count[symbol] == 1 else k, v) for k, symbol, v in shown]


def symbols(asked: list[Asked]) -> list[str]:
    """How a sheet names each asked quantity: its symbol, or its label where several share it."""
    count = Counter(a.symbol for a in asked)
    return [a.symbol if count[a.symbol] == 1 else a.label for a in asked]


def precision(decimals: int) -> str:
    """How precisely answers are asked for: "4 decimal places (…)" (the renderers' rule)."""
    d = int(decimals)
    text = f"{d} decimal place{'s' if d != 1 else ''}"
    if not isinstance(decimals, Places):
        text += f" ({d} significant figures below 0.1)"
    return text


def _rows(givens: list[tuple[str, Any]]) -> list[list[tuple[str, Any]]]:
    return [givens[k : k + GIVENS_PER_ROW] for k in range(0, len(givens), GIVENS_PER_ROW)]


def _instructions(sheet: Sheet, decimals: int) -> str:
    text = f"Work out each quantity by hand and give it to {precision(decimals)}"
    if sheet.answers_file:
        text += f"; write your answers into {sheet.answers_file}"
    return text + "."


def _shown(a: Asked, decimals: int) -> str:
    """The asked value as the key shows it: its shown decimals, trailing zeros kept."""
    if isinstance(a.value, str):
        return a.value
    return fmt(a.value, Places(a.decimals))


# --- Markdown -------------------------------------------------------------------------------


def markdown(sheet: Sheet, decimals: int) -> str:
    """The student's sheet in Markdown."""
    from dlcalc.render.markdown import code, escape

    lines = [f"# {escape(sheet.title)}", "", f"Variant **{escape(sheet.id)}**"]
    lines += [""] + [f"- {escape(k)}: {escape(v)}" for k, v in sheet.about] if sheet.about else []
    lines += ["", "## Given", "", "| quantity | value " * GIVENS_PER_ROW + "|"]
    lines += ["|---|---" * GIVENS_PER_ROW + "|"]
    for row in _rows(sheet.givens):
        cells = [f"| {escape(s)} | {escape(fmt(v))} " for s, v in row]
        lines.append("".join(cells) + "|   |   " * (GIVENS_PER_ROW - len(row)) + "|")
    lines += ["", "The problem file:", "", "```yaml", _fenced(sheet.problem), "```", ""]
    lines += ["## Your answers", "", escape(_instructions(sheet, decimals)), ""]
    lines += ["| quantity | name in the answers file | your answer |", "|---|---|---|"]
    lines += [
        f"| {escape(sym)} | {code(a.label)} |   |"
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    ]
    return "\n".join(lines) + "\n"


def plain(sheet: Sheet, decimals: int) -> str:
    """The sheet as plain text for the terminal (``dlcalc practice``); control characters shown."""
    from dlcalc.render.notation import visible

    givens = ", ".join(f"{s} = {fmt(v)}" for s, v in sheet.givens)
    lines = [sheet.title, "=" * min(len(sheet.title), 80), "", f"Given: {givens}", ""]
    lines += ["The problem file:", "", *("    " + line for line in sheet.problem.splitlines())]
    lines += ["", _instructions(sheet, decimals), ""]
    width = max((len(sym) for sym in symbols(sheet.asked)), default=8)
    lines += [
        f"  {sym:<{width}}  (write it as {a.label})"
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    ]
    return visible("\n".join(lines)) + "\n"


def _fenced(text: str) -> str:
    """Text inside a ``` fence: a line of backticks in it cannot close the fence."""
    return text.rstrip("\n").replace("```", "`\u200b``")


def markdown_key(sheet: Sheet, decimals: int) -> str:
    """The key in Markdown: the asked values, then the worked solution."""
    from dlcalc.render import markdown as md

    lines = [f"# Key: {md.escape(sheet.title)}", "", f"Variant **{md.escape(sheet.id)}**", ""]
    lines += ["| quantity | name | value |", "|---|---|---|"]
    lines += [
        f"| {md.escape(sym)} | {md.code(a.label)} | {md.escape(_shown(a, decimals))} |"
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    ]
    lines += ["", md.render(sheet.solution.replace(title=None), decimals, level=2)]
    return "\n".join(lines).rstrip() + "\n"


# --- LaTeX ----------------------------------------------------------------------------------


def _tex_lines(text: str) -> str:
    """Text as typewriter lines, indentation kept, every character escaped."""
    from dlcalc.render.latex import text as tex_text

    out = []
    for line in text.rstrip("\n").split("\n"):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        space = f"\\hspace*{{{indent * 0.5:g}em}}" if indent else ""
        out.append(f"\\mbox{{}}{space}\\texttt{{{tex_text(body)}}}\\\\")
    return "\n".join(out)


def latex_body(sheet: Sheet, decimals: int) -> str:
    """One student's sheet: a page of LaTeX (no preamble)."""
    from dlcalc.render.latex import text

    per_row = GIVENS_PER_ROW
    cells = [f"{text(s)} & {text(fmt(v))}" for s, v in sheet.givens]
    cells += [" & "] * (-len(cells) % per_row)
    rows = "\n".join(
        " & ".join(cells[k : k + per_row]) + " \\\\" for k in range(0, len(cells), per_row)
    )
    about = "".join(f"\\\\\n{text(k)}: {text(v)}" for k, v in sheet.about)
    asked = "\n".join(
        f"{text(sym)} & \\texttt{{{text(a.label)}}} & \\rule{{0pt}}{{1.3em}} \\\\ \\hline"
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    )
    return "\n".join(
        [
            f"\\section*{{{text(sheet.title)}}}",
            f"\\noindent Variant \\textbf{{{text(sheet.id)}}}{about}",
            "",
            "\\subsection*{Given}",
            "\\begin{tabular}{" + "ll@{\\qquad}" * (per_row - 1) + "ll}",
            rows,
            "\\end{tabular}",
            "",
            "\\medskip\\noindent The problem file:",
            "\\begin{multicols}{2}\\footnotesize\\setlength{\\parindent}{0pt}",
            _tex_lines(sheet.problem),
            "\\end{multicols}",
            "\\subsection*{Your answers}",
            text(_instructions(sheet, decimals)),
            "",
            "\\medskip",
            "\\begin{tabular}{|l|l|p{5cm}|}",
            "\\hline quantity & name in the answers file & your answer \\\\ \\hline",
            asked,
            "\\end{tabular}",
        ]
    )


def latex_key_body(sheet: Sheet, decimals: int) -> str:
    """One student's key: the asked values and the worked solution (no preamble)."""
    from dlcalc.render.latex import body, text

    rows = "\n".join(
        f"{text(sym)} & \\texttt{{{text(a.label)}}} & {text(_shown(a, decimals))} \\\\"
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    )
    return "\n".join(
        [
            f"\\section*{{Key: {text(sheet.title)}}}",
            f"\\noindent Variant \\textbf{{{text(sheet.id)}}}",
            "",
            "\\medskip",
            "\\begin{tabular}{llr}",
            "\\toprule quantity & name & value \\\\ \\midrule",
            rows,
            "\\bottomrule",
            "\\end{tabular}",
            "",
            body(sheet.solution.replace(title=None, source=None), decimals),
        ]
    )


def latex_document(bodies: list[str], title: str) -> str:
    """A complete LaTeX document: each body on its own page."""
    from dlcalc.render.latex import PREAMBLE, text

    lines = [
        PREAMBLE,
        "\\usepackage{lmodern,multicol}\\setlength{\\multicolsep}{4pt}",
        f"\\title{{{text(title)}}}",
        "\\begin{document}",
    ]
    for k, part in enumerate(bodies):
        if k:
            lines.append("\\clearpage")
        lines.append(part)
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------

SHEET_CSS = """
table.answers td, table.answers th { border: 1px solid #8c959f; padding: .35rem .7rem; }
table.answers td.blank { width: 12rem; }
pre.problem { background: #f6f8fa; padding: .6rem .8rem; border-radius: 4px; }
@media print { body { margin: 0; } }
"""


def _html_page(title: str, parts: list[str]) -> str:
    from dlcalc.render.html import page

    return page(title, parts, SHEET_CSS)


def html(sheet: Sheet, decimals: int) -> str:
    """The student's sheet as a self-contained HTML page."""
    from dlcalc.render.html import esc

    about = "".join(f"<br>{esc(k)}: {esc(v)}" for k, v in sheet.about)
    given = "".join(
        "<tr>"
        + "".join(f'<td>{esc(s)}</td><td class="num">{esc(fmt(v))}</td>' for s, v in row)
        + "</tr>"
        for row in _rows(sheet.givens)
    )
    asked = "".join(
        f'<tr><td>{esc(sym)}</td><td><code>{esc(a.label)}</code></td><td class="blank"></td></tr>'
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    )
    return _html_page(
        sheet.title,
        [
            f"<h1>{esc(sheet.title)}</h1>",
            f"<p>Variant <strong>{esc(sheet.id)}</strong>{about}</p>",
            "<h2>Given</h2>",
            f'<table class="data">{given}</table>',
            "<p>The problem file:</p>",
            f'<pre class="problem">{esc(sheet.problem)}</pre>',
            "<h2>Your answers</h2>",
            f"<p>{esc(_instructions(sheet, decimals))}</p>",
            '<table class="answers"><tr><th>quantity</th><th>name in the answers file</th>'
            f"<th>your answer</th></tr>{asked}</table>",
        ],
    )


def html_key(sheet: Sheet, decimals: int) -> str:
    """The key as a self-contained HTML page: the asked values, then the worked solution."""
    from dlcalc.render.html import esc, render

    rows = "".join(
        f'<tr><td>{esc(sym)}</td><td><code>{esc(a.label)}</code></td><td class="num">{esc(_shown(a, decimals))}</td></tr>'
        for sym, a in zip(symbols(sheet.asked), sheet.asked)
    )
    page = render(sheet.solution.replace(title=f"Key: {sheet.title}"), decimals)
    table = (
        f"<p>Variant <strong>{esc(sheet.id)}</strong></p>"
        f'<table class="data"><tr><th>quantity</th><th>name</th><th>value</th></tr>{rows}</table>'
    )
    head, _, rest = page.partition("</h1>")  # the title is escaped: its own </h1> is the first
    return f"{head}</h1>\n{table}{rest}"
