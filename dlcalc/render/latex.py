"""LaTeX: a complete document (amsmath, booktabs) that compiles with pdflatex.

Formulas are written in dlcalc's plain Unicode notation (``e^(−net_h1)``,
``∂E/∂w5``, ``½``); :func:`math` turns that notation into LaTeX maths.
"""

from __future__ import annotations

import re

from dlcalc.render.layout import elided_count, visible_rows
from dlcalc.render.numbers import fmt
from dlcalc.steps import Solution, Step, Table

SYMBOLS = {
    "×": r"\times ",
    "·": r"\cdot ",
    "−": "-",
    "σ": r"\sigma ",
    "η": r"\eta ",
    "δ": r"\delta ",
    "Σ": r"\sum ",
    "∂": r"\partial ",
    "½": r"\tfrac{1}{2}",
    "²": "^{2}",
    "⁺": "^{+}",
    "→": r"\to ",
    "≥": r"\ge ",
    "≤": r"\le ",
    "≠": r"\ne ",
    "∞": r"\infty ",
    "…": r"\dots ",
    "‖": r"\,\|\,",
    "μ": r"\mu ",
    "π": r"\pi ",
    "θ": r"\theta ",
    "ŷ": r"\hat{y}",
    "√": r"\sqrt ",
    "⌊": r"\lfloor ",
    "⌋": r"\rfloor ",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "~": r"\sim ",
}
FUNCTIONS = {"ln", "log", "exp", "tanh", "max", "min", "sin", "cos"}
WORDS = {"if", "else", "otherwise", "for", "and"}
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*(?:@[0-9.]+)?|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\^\(|.", re.S)


def _ident(token: str) -> str:
    token, _, tag = token.partition("@")
    base, *subs = token.split("_")
    if base in FUNCTIONS:
        head = "\\" + base + " "
    elif base in WORDS:
        return r"\text{ " + base + " }"
    else:
        m = re.fullmatch(r"([A-Za-z]+?)(\d+)", base)
        if m and not subs and len(m.group(1)) == 1:  # w5 -> w_{5}
            base, subs = m.group(1), [m.group(2)]
        head = base if len(base) == 1 else r"\mathrm{" + base + "}"
    sub = ",".join(subs)
    if tag:
        sub = (sub + "," if sub else "") + tag
    if not sub:
        return head
    sub_tex = sub if sub.isdigit() or len(sub) == 1 else r"\mathrm{" + sub + "}"
    return f"{head}_{{{sub_tex}}}"


def math(text: str) -> str:
    """dlcalc's Unicode formula notation as LaTeX maths."""
    out: list[str] = []
    depth: list[bool] = []  # for each open "(": does it close a ^( … ) group?
    for token in TOKEN.findall(text):
        if token == "^(":
            out.append("^{")
            depth.append(True)
        elif token == "(":
            out.append("(")
            depth.append(False)
        elif token == ")":
            out.append("}" if depth and depth.pop() else ")")
        elif token[0].isalpha():
            out.append(_ident(token))
        elif token in SYMBOLS:
            out.append(SYMBOLS[token])
        elif token == "\\":
            out.append(r"\backslash ")
        elif token == "_":
            out.append(r"\_")
        elif token == "^":
            out.append(r"\hat{}")
        else:
            out.append(token)
    out.extend("}" if g else "" for g in reversed(depth))
    return "".join(out).strip()


def text(value: str) -> str:
    """Plain text for LaTeX: special characters escaped, maths symbols as inline maths."""
    out = []
    for ch in value:
        if ch in "\\":
            out.append(r"\textbackslash{}")
        elif ch in "&%$#_{}":
            out.append("\\" + ch)
        elif ch == "~":
            out.append(r"\textasciitilde{}")
        elif ch == "^":
            out.append(r"\textasciicircum{}")
        elif ch in SYMBOLS:
            out.append("$" + SYMBOLS[ch].strip() + "$")
        elif ord(ch) > 127 and ch not in "—–’‘“”":
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\allowdisplaybreaks
"""


def body(solution: Solution, decimals: int = 4, every_step: bool = False, level: str = "section") -> str:
    """The solution without the document around it (``key`` puts several in one document)."""
    lines: list[str] = []
    if solution.title:
        lines.append(f"\\{level}*{{{text(solution.title)}}}")
    if solution.source:
        lines.append(f"\\emph{{{text(solution.source.strip())}}}\n")
    sub = "subsection" if level == "section" else "subsubsection"
    for section in solution.sections:
        lines.append(f"\\{sub}*{{{text(section.title)}}}")
        run: list[Step] = []
        for item in [*section.items, None]:
            if isinstance(item, Step):
                run.append(item)
                continue
            if run:
                lines.append(steps_block(run, decimals))
                run = []
            if isinstance(item, Table):
                lines.append(table_block(item, decimals, every_step))
            elif isinstance(item, str):
                lines.append(f"\\emph{{{text(item)}}}\n")
    for note in solution.notes:
        lines.append(f"\\paragraph{{Note.}} {text(note)}\n")
    return "\n".join(lines) + "\n"


def steps_block(steps: list[Step], decimals: int) -> str:
    rows = []
    for step in steps:
        name = math(step.shown)
        formula = step.formula()
        substituted = step.substituted(lambda v: fmt(v, decimals))
        value = math(fmt(step.value, decimals))
        parts = [p for p in (formula, substituted) if p is not None]
        if formula is not None and formula == substituted:
            parts = [formula]
        if not parts:
            rows.append(f"{name} &= {value}")
            continue
        first, *rest = parts
        row = f"{name} &= {math(first)}"
        for part in rest:
            row += f" \\\\\n  &= {math(part)}"
        rows.append(row + f" = {value}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def table_block(table: Table, decimals: int, every_step: bool) -> str:
    spec = "l" * len(table.columns)
    lines = ["\\begin{center}", f"\\begin{{tabular}}{{{spec}}}", "\\toprule"]
    lines.append(" & ".join(text(c) for c in table.columns) + " \\\\")
    lines.append("\\midrule")
    for row in visible_rows(table, every_step):
        if row is None:
            lines.append(f"\\multicolumn{{{len(table.columns)}}}{{l}}{{\\dots\\ {elided_count(table)} rows \\dots}} \\\\")
        else:
            lines.append(" & ".join(_cell(v, decimals) for v in row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{center}", ""]
    return "\n".join(lines)


def _cell(value: object, decimals: int) -> str:
    shown = fmt(value, decimals)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "$" + math(shown) + "$"
    return text(shown)


def render(solution: Solution, decimals: int = 4, every_step: bool = False) -> str:
    return PREAMBLE + "\\begin{document}\n" + body(solution, decimals, every_step) + "\\end{document}\n"
