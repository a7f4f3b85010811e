"""LaTeX: a complete document (amsmath, booktabs) that compiles with pdflatex.

Formulas are written in dlcalc's plain Unicode notation (``e^(−net_h1)``,
``∂E/∂w5``, ``½``); :func:`math` turns that notation into LaTeX maths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dlcalc.model.steps import Grid, Mark, Rule, Solution, Step, Table
from dlcalc.render.layout import blocks, elided_count, rule_text, step_texts, visible_rows
from dlcalc.render.marks import ascii_describe
from dlcalc.render.notation import latex_number, latex_text_char, visible
from dlcalc.render.numbers import as_written, fmt

MARK_SIGN = {"right": r"\checkmark", "wrong": r"\times", "carried": r"\hookrightarrow"}

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
    "√": r"\surd ",  # a symbol, not a command that takes an argument: also valid in notes
    "⌊": r"\lfloor ",
    "⌋": r"\rfloor ",
    "⌈": r"\lceil ",
    "⌉": r"\rceil ",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "~": r"\sim ",
    "⊙": r"\odot ",
    "′": "'",
    "∇": r"\nabla ",
    "§": r"\S ",
    "≈": r"\approx ",
    "±": r"\pm ",
    "∈": r"\in ",
    "∏": r"\prod ",
    "⊗": r"\otimes ",
    "∘": r"\circ ",
    "÷": r"\div ",
    "←": r"\leftarrow ",
    "↪": r"\hookrightarrow ",
    "✓": r"\checkmark ",
    "³": "^{3}",
    "¹": "^{1}",
    "⁻": "^{-}",
    "ᵀ": "^{\\top}",
}
HAT = "\u0302"  # a combining circumflex (ŷ written by formula-tree names)
TILDE = "\u0303"  # a combining tilde, as in the slides' s̃ (the LSTM/GRU candidate state)
FUNCTIONS = {"ln", "log", "exp", "tanh", "max", "min", "sin", "cos"}
WORDS = {"if", "else", "otherwise", "for", "and"}
TOKEN = re.compile(
    r"[α-ωΑ-Ω]?[A-Za-z][\u0302\u0303](?:_[A-Za-z0-9]+)*|[A-Za-zα-ωΑ-Ω][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*(?:@[0-9.]+)?|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\^\(|_\(|.",
    re.S,
)


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
        if ord(base[0]) > 127:  # a Greek letter first: δ, Δw
            rest = base[1:]
            head = (SYMBOLS.get(base[0]) or greek(base[0]) or "?").strip() + (
                "" if not rest else " " + (rest if len(rest) == 1 else r"\mathrm{" + rest + "}")
            )
        else:
            head = base if len(base) == 1 else r"\mathrm{" + base + "}"
    sub = ",".join(subs)
    if tag:
        sub = (sub + "," if sub else "") + tag
    if not sub:
        return head
    sub_tex = sub if sub.isdigit() or len(sub) == 1 else r"\mathrm{" + sub + "}"
    return f"{head}_{{{sub_tex}}}"


# y₁₁ (formula-tree names with subscript digits) is read as y_11, i.e. y_{11}; y₂,₁₂ as y_2_12,
# i.e. y_{2,12}; a superscript index y⁽¹⁾ as y^{(1)}.
SUBSCRIPT_DIGITS = re.compile(
    "(?<=[\\w\u0300-\u036f])[₀-₉]+(?:,[₀-₉]+)*"
)  # after a letter, digit or accent
FROM_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
SUPERSCRIPT_INDEX = re.compile("⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾")
FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀ⁽⁾ᵏⁿⁱʲᵗ]+")  # ∂E⁽ᵏ⁾: one exponent
FROM_SUPERSCRIPT_RUN = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀ⁽⁾ᵏⁿⁱʲᵗ", "0123456789+−T()knijt")


SUBSCRIPT_TEXT = {chr(0x2080 + d): f"$_{{{d}}}$" for d in range(10)} | {"°": r"$^\circ$"}


def greek(ch: str) -> str | None:
    """A Greek letter as its LaTeX command (``Δ`` → ``\\Delta``), else ``None``."""
    import unicodedata

    name = unicodedata.name(ch, "") if len(ch) == 1 else ""
    for case, head in (
        ("GREEK CAPITAL LETTER ", str.capitalize),
        ("GREEK SMALL LETTER ", str.lower),
    ):
        if name.startswith(case) and name[len(case) :].isalpha():
            letter = head(name[len(case) :].replace("LAMDA", "LAMBDA"))
            if letter in (
                "Alpha",
                "Beta",
                "Epsilon",
                "Zeta",
                "Eta",
                "Iota",
                "Kappa",
                "Mu",
                "Nu",
                "Omicron",
                "Rho",
                "Tau",
                "Chi",
                "omicron",
            ):
                return {"omicron": "o"}.get(
                    letter, letter[0]
                )  # no command: the Latin letter looks the same
            return "\\" + letter + " "
    return None


def math(text: str) -> str:
    """dlcalc's Unicode formula notation as LaTeX maths."""
    out: list[str] = []
    depth: list[bool] = []  # for each open "(": does it close a ^( … ) group?
    text = SUBSCRIPT_DIGITS.sub(
        lambda m: "_" + m.group().translate(FROM_SUBSCRIPT).replace(",", "_"), text
    )
    text = SUPERSCRIPT_INDEX.sub(
        lambda m: "^((" + m.group(1).translate(FROM_SUPERSCRIPT) + "))", text
    )
    text = SUPERSCRIPT_RUN.sub(  # tan⁻¹: one exponent, not two
        lambda m: "^(" + m.group().translate(FROM_SUPERSCRIPT_RUN) + ")", text
    )
    text = re.sub("(?<!_)ŷ", "y" + HAT, text)  # ŷ_1 -> \hat{y}_{1} (the rnn helper)
    text = re.sub(r"_\{([^{}]*)\}", r"_(\1)", text)  # s_{t+1}: a subscript group
    text = re.sub("_([α-ωΑ-Ω])", r"_(\1)", text)  # G_σ: a Greek subscript
    for token in TOKEN.findall(text):
        if token in ("^(", "_("):
            out.append(token[0] + "{")
            depth.append(True)
        elif token == "(":
            out.append("(")
            depth.append(False)
        elif token == ")":
            out.append("}" if depth and depth.pop() else ")")
        elif token in SYMBOLS:
            out.append(SYMBOLS[token])
        elif TILDE in token or HAT in token:  # s̃_1 -> \tilde{s}_{1}, δs̃_1 -> \delta \tilde{s}_{1}
            m = re.fullmatch("(.?)([A-Za-z])([" + HAT + TILDE + "])(.*)", token, re.S)
            if m is None:
                out.append(r"\text{?}")
            else:
                ident = _ident(m.group(2) + m.group(4))
                prefix = (SYMBOLS.get(m.group(1)) or greek(m.group(1)) or "") if m.group(1) else ""
                accent = r"\tilde{" if m.group(3) == TILDE else r"\hat{"
                out.append(prefix + accent + ident[0] + "}" + ident[1:])
        elif token[0].isalpha():
            out.append(_ident(token))
        elif token == "\\":
            out.append(r"\backslash ")
        elif token == "_":
            out.append(r"\_")
        elif token == "^":
            out.append(r"\hat{}")
        elif ord(token[0]) > 127:
            from dlcalc.render.notation import latex_accented

            shown = greek(token) or latex_accented(token)
            out.append(shown or r"\text{" + latex_text_char(token) + "}")
        else:
            out.append(token)
    out.extend("}" if g else "" for g in reversed(depth))
    return "".join(out).strip()


TREE_LINES = {"├": r"$\vdash$", "└": r"$\llcorner$", "│": r"$\mid$", "─": "-"}


def text(value: str) -> str:
    """Plain text for LaTeX: special characters escaped, maths symbols as inline maths,
    `code` in typewriter and straight double quotes as opening and closing quotes."""
    if "`" in value:
        parts = re.split(r"`([^`]+)`", value)
        return "".join(
            r"\texttt{" + _text(p) + "}" if k % 2 else _text(p) for k, p in enumerate(parts)
        )
    return _text(value)


def _text(value: str) -> str:
    value = re.sub(r'(^|(?<=[\s(\[]))"', "\u201c", value)  # an opening " …
    value = value.replace('"', "\u201d")  # … and a closing one
    out = []
    for ch in visible(value):
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
        elif ch in SUBSCRIPT_TEXT:  # y₁₁ and 180° in notes (added by the conv helper)
            out.append(SUBSCRIPT_TEXT[ch])
        elif ch in (TILDE, HAT) and out:  # s̃ in notes (added by the rnn helper), δ̃, ã̂
            out[-1] = ("$\\tilde{" if ch == TILDE else "$\\hat{") + _in_math(out[-1]) + "}$"
        elif (letter := greek(ch)) is not None:
            out.append("$" + letter.strip() + "$")
        elif ch in TREE_LINES:  # graph's expression tree
            out.append(TREE_LINES[ch])
        elif ch in "“”":
            out.append("``" if ch == "“" else "''")
        elif ch == "`":
            out.append(r"\textasciigrave{}")
        elif ord(ch) > 127 and ch not in "—–’‘":
            out.append(latex_text_char(ch))
        else:
            out.append(ch)
    return "".join(out)


def _in_math(piece: str) -> str:
    """What :func:`text` wrote for one character, as maths (the argument of an accent)."""
    if len(piece) > 1 and piece.startswith("$") and piece.endswith("$"):
        return piece[1:-1]  # $\delta$ → \delta, $\tilde{a}$ → \tilde{a}
    if len(piece) == 1 and piece.isascii() and piece.isalnum():
        return piece
    return r"\text{" + piece + "}"


# Prose with maths in it (notes): a word is maths when it holds an operator, a sub- or
# superscript or a Greek letter, or is a short symbol (w0, x₂₂); runs of such words,
# with the one-letter words and numbers between them, are typeset as maths.
MATH_CHARS = re.compile("[=^_×·−+∂Σ½²³¹⁺⁻≥≤≠→‖√∏∇⊙≈∈\u0302\u0303₀-₉α-ωΑ-Ω]")
SHORT_SYMBOL = re.compile(r"[a-z][0-9]{1,3}")  # w0, x1, w14
CODE = re.compile(r"`([^`]+)`")
TRAIL = ",.;:"
OPERATOR_END = tuple("=−+×·/≥≤≠→≈(")
CONNECTORS = {"if", "else", "ln", "log", "exp", "max", "min", "tanh"}


KEY_NAME = re.compile(r"[a-z]{2,}(?:_[a-z]{2,})+")  # half_sse, update_bias: a key, not maths


def _is_maths(word: str) -> bool:
    core = word.strip("()" + TRAIL)
    if KEY_NAME.fullmatch(core):
        return False
    return bool(core) and (bool(MATH_CHARS.search(word)) or bool(SHORT_SYMBOL.fullmatch(core)))


def _is_weak(word: str) -> bool:
    """A word that is maths only beside maths: a number, one letter, if, else, ln, max."""
    core = word.strip("()" + TRAIL)
    return bool(core) and (
        core.replace(".", "", 1).isdigit() or len(core) == 1 or core in CONNECTORS
    )


def _maths_run(words: list[str]) -> str:
    """Words of maths as one inline formula; punctuation after it stays prose."""
    whole = re.sub(r"\^([A-Za-z0-9])(?![A-Za-z0-9(])", r"^(\1)", " ".join(words))  # e^z
    tail = ""
    while whole and (
        whole[-1] in TRAIL or (whole[-1] == ")" and whole.count(")") > whole.count("("))
    ):
        tail = whole[-1] + tail
        whole = whole[:-1]
    head = ""
    while whole.startswith("(") and whole.count("(") > whole.count(")"):
        head, whole = head + "(", whole[1:]
    return head + ("$" + math(whole) + "$" if whole else "") + text(tail)


def prose(value: str) -> str:
    """A note for LaTeX: its maths as inline maths, `code` in typewriter, quotes typeset."""
    out: list[str] = []
    for k, piece in enumerate(CODE.split(value)):
        if k % 2:
            out.append(r"\texttt{" + _text(piece) + "}")
            continue
        words = piece.split(" ")
        run: list[str] = []
        done: list[str] = []
        for j, word in enumerate(words):
            nxt = words[j + 1] if j + 1 < len(words) else ""
            joins = _is_weak(word) and (
                _is_maths(nxt)
                or (bool(run) and (run[-1].endswith(OPERATOR_END) or run[-1] in CONNECTORS))
            )
            if _is_maths(word) or joins:
                run.append(word)
                continue
            if run:
                done.append(_maths_run(run))
                run = []
            done.append(_quoted(word))
        if run:
            done.append(_maths_run(run))
        out.append(" ".join(done))
    return "".join(out)


def heading(title: str) -> str:
    """A section title: its parts (separated by " · ") as prose, the separator a centred dot."""
    return r" \textperiodcentered\ ".join(prose(part) for part in title.split(" · "))


def _quoted(word: str) -> str:
    """A word of prose; a single quote opening it is LaTeX's opening quote (`…'); a key
    name (update_bias) in typewriter."""
    key = KEY_NAME.search(word)
    if key is not None:
        before, after = word[: key.start()], word[key.end() :]
        return _text(before) + r"\texttt{" + _text(key.group()) + "}" + _text(after)
    return ("`" + _text(word[1:])) if word.startswith("'") and len(word) > 1 else _text(word)


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
