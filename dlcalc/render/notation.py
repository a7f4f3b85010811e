"""One formula printer per output format, each dispatching on the tree's node classes.

:class:`dlcalc.model.formula.Printer` writes terminal Unicode (``∂E/∂w5 = δ_o1 × out_h1``); the
subclasses here write plain ASCII (``dE/dw5 = delta_o1 * out_h1``), LaTeX
(``\\frac{\\partial E}{\\partial w_{5}}``) and HTML (``δ<sub>o1</sub>``).  User text (a unit's
name inside a symbol) is escaped by each printer for its own format, never interpreted.

Text that is not a tree (a given's name written as text, a note) is written from its
Unicode: :func:`ascii_text` transliterates it, :func:`dlcalc.render.latex.math` reads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from dlcalc.model.formula import (
    _OPPOSITE,
    Add,
    Call,
    Compare,
    Div,
    If,
    Mul,
    Name,
    Neg,
    Node,
    Num,
    Partial,
    Pow,
    Printer,
    Q,
    Sub,
    Symbol,
    _is_small_whole,
    _one_letter,
    _plain_number,
    accented,
    compound,
    print_name,
    quiet_floor,
)

# ---------------------------------------------------------------- visible control characters


def visible(text: str) -> str:
    """Control and invisible formatting characters as visible escapes (``\\x1b``, ``\\u202e``).

    User text (titles, unit names, claimed values) may carry terminal escape sequences or
    bidirectional overrides; every renderer shows them as escapes instead of obeying them.
    Newlines and tabs stay (sources are multi-line).
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\t" or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


# ---------------------------------------------------------------- ASCII

ASCII_SYMBOLS = {
    "×": "*",
    "·": "*",
    "⊙": "(.)",
    "−": "-",
    "–": "-",
    "—": "-",
    "½": "1/2",
    "√": "sqrt",
    "∂": "d",
    "Σ": "sum",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "→": "->",
    "←": "<-",
    "↪": "->",
    "✓": "ok",
    "✗": "X",
    "…": "...",
    "∞": "inf",
    "‖": "||",
    "⁺": "+",
    "⁻": "-",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "│": "|",
    "⌊": "floor(",
    "⌋": ")",
    "⌈": "ceil(",
    "⌉": ")",
    "₂": "2",
    "≈": "~",
    "∈": " in ",
    "§": "section ",
    "°": " degrees",
    "─": "-",
    "├": "|",
    "└": "`",
    "━": "-",
    "•": "*",
    "\u00a0": " ",
}
_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))


def greek_word(ch: str) -> str | None:
    """``δ`` → ``delta``, ``Δ`` → ``Delta`` (None for anything else)."""
    name = unicodedata.name(ch, "") if len(ch) == 1 else ""
    for case, head in (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.title)):
        if name.startswith(case) and name[len(case) :].isalpha():
            return head(name[len(case) :].replace("LAMDA", "LAMBDA"))
    return None


def ascii_text(text: str) -> str:
    """Any text in plain ASCII: dlcalc's symbols spelled out, other characters escaped."""
    if text.isascii():
        return visible(text)
    out: list[str] = []
    for ch in text:
        out.append(_ascii_char(ch))
    return visible("".join(out))


def _ascii_char(ch: str) -> str:
    if ch.isascii():
        return ch
    if ch in ASCII_SYMBOLS:
        return ASCII_SYMBOLS[ch]
    if ch in _SUPER:
        return "^" + _SUPER[ch]
    if ch in _SUB:
        return _SUB[ch]
    if (word := greek_word(ch)) is not None:
        return word
    if unicodedata.combining(ch):
        return {"\u0302": "_hat", "\u0304": "_bar", "\u0303": "_tilde"}.get(ch, "")
    parts = unicodedata.normalize("NFD", ch)  # ŷ: y and a combining hat (y_hat)
    if len(parts) > 1:
        return "".join(_ascii_char(p) for p in parts)
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return plain if plain.strip() else f"\\u{ord(ch):04x}"


def ascii_title(text: str) -> str:
    """A title in plain ASCII: its separator dot is a dash ("Forward pass - layer 1")."""
    return ascii_text(text.replace(" · ", " - "))


def ascii_name(symbol: Symbol) -> str:
    """``dE/dw5``, ``delta_o1``, ``w5+``, ``m_hat1``."""
    if isinstance(symbol, Partial):
        return f"d{ascii_name(symbol.of)}/d{ascii_name(symbol.wrt)}"
    base = "".join(
        greek_word(c) or ASCII_SYMBOLS.get(c, c) if not c.isascii() else c for c in symbol.base
    )
    if symbol.accent:
        base += "_" + symbol.accent
    text = ascii_text(base)
    if symbol.sub:
        sub = ascii_text(symbol.sub)
        runs_on = symbol.sub.isdigit() and not symbol.label_sub and _one_letter(symbol.base)
        if compound(symbol.sub):
            sub = f"({sub})"
        text += sub if runs_on and symbol.base[-1].isascii() and not symbol.accent else "_" + sub
    if symbol.sup:
        text += ascii_text(symbol.sup)
    return text


class AsciiPrinter(Printer):
    """Plain ASCII: ``*``, ``-``, ``exp(...)``, ``sqrt(...)``, ``sigmoid(...)``, ``^2``."""

    times = " * "
    minus = " - "
    neg = "-"

    def print(self, node: Node) -> str:
        return ascii_text(super().print(node))  # ≥, ← and the like written by the base printer

    def value(self, value: Any) -> str:
        return ascii_text(super().value(value))

    def name(self, symbol: Symbol) -> str:
        return ascii_name(symbol)

    def _print_Num(self, node: Num) -> str:
        return ascii_text(super()._print_Num(node))

    def _print_Mul(self, node: Mul) -> str:
        sign = " (.) " if node.sign == "⊙" else self.times
        return sign.join(self.operand(f, node, first=k == 0) for k, f in enumerate(node.factors))

    def _print_Pow(self, node: Pow) -> str:
        base = self.bracket(node.base, node)
        if isinstance(node.base, (Call, Pow, Neg)) and not base.startswith("("):
            base = self.paren(base)
        if self.number is not None and isinstance(node.base, Q) and base.startswith("-"):
            base = self.paren(base)
        e = self.print(node.exponent)
        return f"{base}^{e if isinstance(node.exponent, (Q, Num)) else self.paren(e)}"

    def _print_Call(self, node: Call) -> str:
        if not node.args:  # a constant: pi, e
            return node.function
        if quiet_floor(node):
            return self.quiet(node.args[0])
        args = ", ".join(self.print(a) for a in node.args)
        return f"{node.function.removesuffix('_quiet')}({args})"

    def _print_Compare(self, node: Compare) -> str:
        op = ASCII_SYMBOLS.get(node.op, node.op)
        return f"{self.print(node.left)} {op} {self.print(node.right)}"


# ---------------------------------------------------------------- LaTeX

LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
NO_COMMAND_CAPS = {"Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu"}
NO_COMMAND_CAPS |= {"Omicron", "Rho", "Tau", "Chi"}


def latex_greek(ch: str) -> str | None:
    """A Greek letter as LaTeX maths (``δ`` → ``\\delta``; capitals without a command as Latin)."""
    word = greek_word(ch)
    if word is None:
        return None
    if word in NO_COMMAND_CAPS:
        return {"Omicron": "O", "Chi": "X"}.get(word, word[0])
    if word == "omicron":
        return "o"
    return "\\" + word + " "


LATEX_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar", "\u0303": r"\tilde", "\u0307": r"\dot"}


MATH_SYMBOLS = {
    "⊙": r"\odot",
    "×": r"\times",
    "·": r"\cdot",
    "−": "-",
    "∂": r"\partial",
    "½": r"\tfrac{1}{2}",
    "²": "^{2}",
    "⁺": "^{+}",
    "→": r"\to",
    "≥": r"\ge",
    "≤": r"\le",
    "‖": r"\|",
    "√": r"\surd",
    "∑": r"\sum",
    "Σ": r"\Sigma",
}


def latex_accented(ch: str) -> str | None:
    """A precomposed accented letter as maths: ``ŷ`` → ``\\hat{y}`` (None for anything else)."""
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in LATEX_ACCENTS:
        return LATEX_ACCENTS[parts[1]] + "{" + parts[0] + "}"
    return None


# Latin letters that pdflatex's utf8 input encoding and T1 fonts typeset (é, ß, ł, ő …): all
# letters of Latin-1 and Latin Extended-A but these (checked with pdflatex).
LATEX_UNSET_LETTERS = frozenset("ĦħĸĿŀŉŦŧſ")


def latex_text_char(ch: str) -> str:
    """A non-ASCII character of user text that has no maths form, as LaTeX text.

    Accented Latin letters pass through (a title "Übung 3" stays "Übung 3"); any other
    character is shown by its code point, ``[U+4E2D]``, so that nothing is silently lost and
    the document still compiles.
    """
    if 0xA0 <= ord(ch) < 0x180 and ch.isalpha() and ch not in LATEX_UNSET_LETTERS:
        return ch
    return f"[U+{ord(ch):04X}]"


def latex_text_in_math(text: str) -> str:
    """User text inside maths (a unit's name as a subscript): ``\\text{…}`` with specials escaped."""
    text = visible(text)
    if text.isascii() and text.replace("_", "").isalnum():
        return r"\mathrm{" + text.replace("_", r"\_") + "}"
    out = []
    for ch in text:
        if ch in LATEX_SPECIALS:
            out.append(LATEX_SPECIALS[ch])
        elif ch.isascii():
            out.append(ch)
        elif (g := latex_greek(ch)) is not None:
            out.append("$" + g.strip() + "$")
        elif (a := latex_accented(ch)) is not None:
            out.append("$" + a + "$")
        elif ch in MATH_SYMBOLS:
            out.append("$" + MATH_SYMBOLS[ch] + "$")
        elif ch in LATEX_ACCENTS and out and len(out[-1]) == 1 and out[-1].isalpha():
            out[-1] = "$" + LATEX_ACCENTS[ch] + "{" + out[-1] + "}$"  # s + combining tilde: s̃
        else:
            out.append(latex_text_char(ch))
    return r"\text{" + "".join(out) + "}"


DERIVATIVE = re.compile(r"([d∂])(\w+)/\1(\w+)( \[use \d+\])?")


def latex_base(base: str) -> str:
    if len(base) == 1 and base.isascii() and base.isalpha():
        return base
    if derivative := DERIVATIVE.fullmatch(base):  # dy/du1, ∂v1/∂x [use 2]
        d = "d" if derivative[1] == "d" else r"\partial"
        of, wrt = latex_base(derivative[2]), latex_base(derivative[3])
        use = r"\,\text{" + derivative[4].strip() + "}" if derivative[4] else ""
        return rf"\frac{{{d} {of}}}{{{d} {wrt}}}{use}"
    if all(c.isascii() and c.isalpha() for c in base):
        return r"\mathrm{" + base + "}"
    if len(base) == 2 and base[0] in "Δ∂" and base[1].isalpha():  # Δw
        return (latex_greek(base[0]) or r"\partial ").strip() + " " + base[1]
    if len(base) == 1 and (g := latex_greek(base)) is not None:
        return g.strip()
    if len(base) == 1 and (a := latex_accented(base)) is not None:
        return a
    if all(c.isalnum() or c in "_()[],′" or unicodedata.combining(c) for c in base):
        # δo, δŷ, tanh(s_1), U[1,1]: dlcalc's own notation, read as a formula
        from dlcalc.render.latex import math

        return "{" + math(base) + "}"
    return latex_text_in_math(base)


def latex_name(symbol: Symbol) -> str:
    """``w_{5}^{+}``, ``\\delta_{\\mathrm{o1}}``, ``\\hat{m}_{1}``, ``\\frac{\\partial E}{\\partial w_{5}}``."""
    if isinstance(symbol, Partial):
        return rf"\frac{{\partial {latex_name(symbol.of)}}}{{\partial {latex_name(symbol.wrt)}}}"
    numbered = re.fullmatch(r"([A-Za-z])(\d+)", symbol.base)
    if numbered and symbol.sub and not symbol.accent:  # w1 of unit AND: w_{1,\mathrm{AND}}
        text = f"{numbered[1]}_{{{numbered[2]},{_latex_sub(symbol.sub)}}}"
    else:
        text = latex_base(symbol.base)
        if symbol.accent:  # \hat{m}; over a whole word: \widetilde{\mathrm{out}}
            wide = "wide" if len(symbol.base) > 1 and symbol.accent != "bar" else ""
            accent = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde"}[symbol.accent]
            text = accent.replace("\\", "\\" + wide) + "{" + text + "}"
        if symbol.sub:
            text += "_{" + _latex_sub(symbol.sub) + "}"
    if symbol.sup:
        sup = symbol.sup
        text += "^{" + (sup if sup in "+-*" or sup.isdigit() else latex_text_in_math(sup)) + "}"
    return text


def _latex_sub(sub: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9]+(?:[−+][A-Za-z0-9]+)+", sub):  # t−1: maths
        return sub.replace("−", "-")
    return sub if sub.isdigit() else latex_text_in_math(sub)


SCIENTIFIC = r"(\d(?:\.\d+)?)e([+−-]?)0*(\d+)"  # compiled (and cached by ``re``) when first used


def latex_number(text: str) -> str:
    """A formatted number as LaTeX maths: 4{,}096, −0.5 → -0.5, 1e−08 → 1 \\times 10^{-8}."""
    text = re.sub(
        SCIENTIFIC,
        lambda m: rf"{m[1]} \times 10^{{{'-' if m[2] in ('−', '-') else ''}{m[3]}}}",
        text,
    )
    return (
        text.replace(",", "{,}")
        .replace("−", "-")
        .replace("∞", r"\infty ")
        .replace("NaN", r"\mathrm{NaN}")
        .replace("—", r"\text{---}")
    )


LATEX_FUNCTIONS = {"ln": r"\ln", "tanh": r"\tanh", "max": r"\max", "min": r"\min"}
LATEX_FUNCTIONS |= {f: "\\" + f for f in ("sin", "cos", "tan", "sinh", "cosh")}
LATEX_CONSTANTS = {"pi": r"\pi ", "e": "e"}
LATEX_COMPARE = {"<": "<", "≤": r"\le", ">": ">", "≥": r"\ge", "=": "=", "≠": r"\ne"}


# Break marks: a private-use character per kind (before + −, before ×) and bracket depth.
ADD_BREAK, MUL_BREAK = 0xE000, 0xE100
DEEPER = {k + d: k + d + 1 for k in (ADD_BREAK, MUL_BREAK) for d in range(63)}
ALL_MARKS = {k + d: None for k in (ADD_BREAK, MUL_BREAK) for d in range(64)}


class LatexPrinter(Printer):
    """LaTeX maths: ``\\frac``, ``\\sqrt{}``, ``e^{…}``, ``\\times``, ``\\odot``, ``\\sigma``.

    With ``breakable``, the places where a long formula may be broken across lines are
    marked (before + and −, and before ×): outside fractions, roots and exponents only, and
    with plain brackets, which may open on one line and close on the next.
    """

    times = r" \times "
    minus = " - "
    neg = "-"

    def __init__(self, number: Callable[[Any], str] | None = None, breakable: bool = False) -> None:
        super().__init__(number)
        self.breakable = breakable
        self.locked = 0  # inside \frac, \sqrt, an exponent: no breaks

    def paren(self, text: str) -> str:
        if self.breakable and "\\frac" not in text:
            return f"({text.translate(DEEPER)})"
        return rf"\left({_unmarked(text)}\right)"

    def locked_print(self, node: Node) -> str:
        self.locked += 1
        try:
            return _unmarked(self.print(node))
        finally:
            self.locked -= 1

    def mark(self, kind: int) -> str:
        return chr(kind) if self.breakable and not self.locked else ""

    def _print_Add(self, node: Add) -> str:
        out = self.bracket(node.terms[0], node)
        for term in node.terms[1:]:
            if isinstance(term, Neg):
                out += (
                    self.mark(ADD_BREAK)
                    + " - "
                    + self.bracket(term.operand, Sub(node, term.operand), True)
                )
            else:
                out += self.mark(ADD_BREAK) + " + " + self.bracket(term, node)
        return out

    def _print_Sub(self, node: Sub) -> str:
        return (
            self.bracket(node.left, node)
            + self.mark(ADD_BREAK)
            + " - "
            + self.bracket(node.right, node, True)
        )

    def value(self, value: Any) -> str:
        assert self.number is not None
        text = latex_number(self.number(value))
        return self.paren(text) if text.startswith("-") else text

    def name(self, symbol: Symbol) -> str:
        return latex_name(symbol)

    def _print_Num(self, node: Num) -> str:
        if node.text == "½":
            return r"\tfrac{1}{2}"
        if node.text is not None:
            return latex_number(node.text)
        if self.number is not None:
            return self.value(node.value)
        return latex_number(_plain_number(node.value))

    def _print_Mul(self, node: Mul) -> str:
        sign = r" \odot " if node.sign == "⊙" else self.times
        return (self.mark(MUL_BREAK) + sign).join(self.bracket(f, node) for f in node.factors)

    def _print_Div(self, node: Div) -> str:
        top, bottom = self.locked_print(node.numerator), self.locked_print(node.denominator)
        return rf"\frac{{{top}}}{{{bottom}}}"

    def _print_Pow(self, node: Pow) -> str:
        base = self.bracket(node.base, node)
        if isinstance(node.base, (Call, Pow, Neg, Div)) or (
            self.number is not None and isinstance(node.base, Q) and base.startswith(r"\left(")
        ):
            base = base if base.startswith(r"\left(") else self.paren(base)
        return f"{{{_unmarked(base)}}}^{{{self.locked_print(node.exponent)}}}"

    def _print_Call(self, node: Call) -> str:
        if node.function in LATEX_CONSTANTS:
            return LATEX_CONSTANTS[node.function]
        if quiet_floor(node):
            return self.quiet(node.args[0])
        if node.function in ("exp", "sqrt", "abs", "floor", "floor_quiet"):
            args = ", ".join(self.locked_print(a) for a in node.args)
        else:
            args = ", ".join(self.print(a) for a in node.args)
        f = node.function
        if f == "exp":
            return f"e^{{{args}}}"
        if f == "sqrt":
            return rf"\sqrt{{{args}}}"
        if f == "abs":
            return rf"\left\lvert {args}\right\rvert"
        if f in ("floor", "floor_quiet"):  # \left … \right: no line break inside
            return rf"\left\lfloor {args} \right\rfloor"
        if f == "log2":
            return rf"\log_2{self.paren(args)}"
        if f == "log10":
            return rf"\log_{{10}}{self.paren(args)}"
        if f == "sigmoid":
            return rf"\sigma{self.paren(args)}"
        if f == "softplus":
            return rf"\operatorname{{softplus}}{self.paren(args)}"
        return LATEX_FUNCTIONS.get(f, rf"\operatorname{{{f}}}") + self.paren(args)

    def _print_Compare(self, node: Compare) -> str:
        return f"{self.print(node.left)} {LATEX_COMPARE[node.op]} {self.print(node.right)}"

    def _print_If(self, node: If) -> str:
        """Cases, so that a value after them cannot be read as part of the else branch."""
        c = node.condition
        if node.worked is not None and self.number is not None and isinstance(c, Compare):
            op = c.op if bool(c.evaluate()) else _OPPOSITE[c.op]
            arrow = f" \\leftarrow {latex_text_in_math(node.worked)}" if node.worked else ""
            return f"{self.leads(c.left)} {LATEX_COMPARE[op]} {self.leads(c.right)}{arrow}"
        return (
            f"\\begin{{cases}} {self.leads(node.then)} & \\text{{if }} {self.leads(c)} \\\\ "
            f"{self.leads(node.otherwise)} & \\text{{otherwise}} \\end{{cases}}"
        )


def _unmarked(text: str) -> str:
    return text.translate(ALL_MARKS)


# ---------------------------------------------------------------- HTML


def _escape_html(text: str) -> str:
    import html  # loaded by HTML output only, not at start-up

    return html.escape(text)


def html_name(symbol: Symbol) -> str:
    """``δ<sub>o1</sub>``, ``w<sub>5</sub><sup>+</sup>``, ``∂E/∂w<sub>5</sub>`` (text escaped)."""
    if isinstance(symbol, Partial):
        return f"∂{html_name(symbol.of)}/∂{html_name(symbol.wrt)}"
    text = _escape_html(visible(accented(symbol.base, symbol.accent)))
    if symbol.sub:
        text += f"<sub>{_escape_html(visible(symbol.sub))}</sub>"
    if symbol.sup:
        text += f"<sup>{_escape_html(visible(symbol.sup))}</sup>"
    return f'<span class="sym">{text}</span>'


class HtmlPrinter(Printer):
    """HTML text: Unicode operators, names with ``<sub>``/``<sup>``, everything else escaped."""

    def value(self, value: Any) -> str:
        return _escape_html(visible(super().value(value)))

    def name(self, symbol: Symbol) -> str:
        return html_name(symbol)

    def _print_Num(self, node: Num) -> str:
        return _escape_html(super()._print_Num(node))

    def _print_Pow(self, node: Pow) -> str:
        base = self.bracket(node.base, node)
        if isinstance(node.base, (Call, Pow, Neg, Div)) or (
            self.number is not None and isinstance(node.base, Q) and base.startswith("(")
        ):
            base = base if base.startswith("(") else self.paren(base)
        return f"{base}<sup>{self.print(node.exponent)}</sup>"

    def _print_Call(self, node: Call) -> str:
        if node.function == "exp":
            return f"e<sup>{', '.join(self.print(a) for a in node.args)}</sup>"
        if node.function == "sqrt":  # a math font's radical hangs below the line: see html.CSS
            args = ", ".join(self.leads(a) for a in node.args)
            return f'<span class="radical">√</span>{self.paren(args)}'
        return super()._print_Call(node)

    def _print_Compare(self, node: Compare) -> str:
        return f"{self.print(node.left)} {_escape_html(node.op)} {self.print(node.right)}"


# ---------------------------------------------------------------- choosing a printer

PRINTERS: dict[str, type[Printer]] = {
    "unicode": Printer,
    "ascii": AsciiPrinter,
    "latex": LatexPrinter,
    "html": HtmlPrinter,
}


def printer(notation: str, number: Callable[[Any], str] | None = None) -> Printer:
    return PRINTERS[notation](number)


def name_in(notation: str, symbol: Symbol) -> str:
    if notation == "ascii":
        return ascii_name(symbol)
    if notation == "latex":
        return latex_name(symbol)
    if notation == "html":
        return html_name(symbol)
    return print_name(symbol)


def top_terms(node: Node) -> list[tuple[str, Node]]:
    """A sum split into its terms with the sign that joins each (for breaking long lines)."""
    if isinstance(node, Add):
        out: list[tuple[str, Node]] = []
        for k, term in enumerate(node.terms):
            if isinstance(term, Neg) and k:
                out.append(("−", term.operand))
            else:
                out.append(("+" if k else "", term))
        return out
    if isinstance(node, Sub):
        return [("", node.left), ("−", node.right)]
    return [("", node)]


__all__ = [
    "AsciiPrinter",
    "HtmlPrinter",
    "LatexPrinter",
    "Name",
    "ascii_name",
    "ascii_text",
    "ascii_title",
    "html_name",
    "latex_name",
    "name_in",
    "printer",
    "top_terms",
    "visible",
    "_is_small_whole",
]


def can_encode(stream: Any, sample: str = "─│╭×−∂δ✓") -> bool:
    """Whether ``stream`` can write dlcalc's Unicode (a cp1252 console or file cannot)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        sample.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
