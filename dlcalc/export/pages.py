"""The HTML inside a quiz question: the givens (question text) and the worked solution (feedback).

LMS pages style their own HTML, so this writes plain markup: headings, tables and
paragraphs.  Formulas are LaTeX between ``\\(`` and ``\\)``, which the MathJax filter of
Moodle and Canvas's equation renderer typeset; everything else is escaped text.  User text
never becomes markup: names and notes are HTML-escaped, and the LaTeX printer escapes the
characters TeX treats specially.  Braces are written as character references so that no
text can open a Moodle cloze part (``{1:NUMERICAL:…}``) inside the question.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from dlcalc.render.layout import blocks, rule_text, step_texts
from dlcalc.render.notation import visible
from dlcalc.render.numbers import fmt

if TYPE_CHECKING:
    from dlcalc.model.steps import Solution, Step

MAX_FEEDBACK_STEPS = 400  # the feedback of one question; longer solutions are cut with a note


def esc(text: Any) -> str:
    """User text as inert HTML: escaped, control characters visible, braces as references
    (the feedback is not read by the cloze parser, but one rule for all text is simpler)."""
    return braces(html.escape(visible(str(text))))


def braces(markup: str) -> str:
    """``{`` and ``}`` as character references: no cloze part can start in this text."""
    return markup.replace("{", "&#123;").replace("}", "&#125;")


def maths(latex: str) -> str:
    """LaTeX for MathJax, inline: ``\\( … \\)``, HTML-escaped (MathJax reads the text)."""
    return r"\(" + html.escape(latex, quote=False) + r"\)"


def intro_html(solution: Solution) -> str:
    """The question text before the answer boxes: the source and the givens."""
    from dlcalc.grading.checking import Index

    out = []
    if solution.source:
        out.append(f"<p><em>{esc(solution.source.strip())}</em></p>")
    given = Index.of(solution).given
    if given:
        out.append("<p>Given:</p>")
        out.append("<table>")
        for name, value in given.items():
            out.append(f"<tr><td>{esc(name)}</td><td>= {esc(fmt(value, 15))}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


def feedback_html(solution: Solution, decimals: int) -> str:
    """The worked solution: one heading per section, one line per step with its numbers."""
    from dlcalc.model.steps import Grid, Rule, Table

    number = lambda v: fmt(v, decimals)  # noqa: E731
    out = [f"<p><strong>{esc(solution.title or 'Worked solution')}</strong></p>"]
    shown = 0
    for section in solution.sections:
        out.append(f"<h4>{esc(section.title)}</h4>")
        for block in blocks(section):
            if isinstance(block, list):
                for step in block:
                    if shown == MAX_FEEDBACK_STEPS:
                        break
                    out.append(step_line(step, decimals))
                    shown += 1
            elif isinstance(block, Rule):
                out.append(f"<p>{maths(rule_text(block, 'latex'))}</p>")
            elif isinstance(block, str):
                out.append(f"<p><em>{esc(block)}</em></p>")
            elif isinstance(block, (Table, Grid)):
                out.append(table_html(block, number))
        if shown == MAX_FEEDBACK_STEPS:
            out.append(
                f"<p><em>… the first {MAX_FEEDBACK_STEPS} steps; "
                "the whole solution is in dlcalc's answer key.</em></p>"
            )
            break
    for note in solution.notes:
        out.append(f"<p><em>Note: {esc(note)}</em></p>")
    return "\n".join(out)


def step_line(step: Step, decimals: int) -> str:
    """``name = formula = numbers = value`` as one paragraph of MathJax."""
    number = lambda v: fmt(v, decimals)  # noqa: E731
    name, formula, substituted = step_texts(step, "latex", number)
    parts = [name]
    if formula is not None and formula != substituted:
        parts.append(formula)
    if substituted is not None:
        parts.append(substituted)
    parts.append(value_latex(step.value, decimals))
    note = f" <em>({esc(step.note)})</em>" if step.note else ""
    return f"<p>{maths(' = '.join(parts))}{note}</p>"


def value_latex(value: Any, decimals: int) -> str:
    """A value as inline LaTeX: a number, a text, or a list on one line ([a, b, …])."""
    from dlcalc.render.latex import latex_value

    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_latex(v, decimals) for v in value) + "]"
    return latex_value(value, decimals)


def table_html(block: Any, number: Any) -> str:
    """A table or grid as a plain HTML table, every cell escaped."""
    from dlcalc.model.steps import Table

    out = ["<table>"]
    if block.title:
        out.append(f"<caption>{esc(block.title)}</caption>")
    if isinstance(block, Table):
        out.append("<tr>" + "".join(f"<th>{esc(c)}</th>" for c in block.columns) + "</tr>")
        rows = block.rows
    else:
        rows = block.cells
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{esc(number(v))}</td>" for v in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)
