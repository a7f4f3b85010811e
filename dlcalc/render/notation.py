"""One formula printer per output format, each dispatching on the tree's node classes.

:class:`dlcalc.model.formula.Printer` writes terminal Unicode (``∂E/∂w5 = δ_o1 × out_h1``); the
subclasses here write plain ASCII (``dE/dw5 = delta_o1 * out_h1``), LaTeX
(``\\frac{\\partial E}{\\partial w_{5}}``) and HTML (``δ<sub>o1</sub>``).  User text (a unit's
name inside a symbol) is escaped by each printer for its own format, never interpreted.

Text that is not a tree (a given's name written as text, a note) is written from its
Unicode: :func:`ascii_text` transliterates it, :func:`math` reads it (and :func:`text`
escapes user text for LaTeX; both are used by dlcalc.render.latex and dlcalc.render.layout).
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


# ---------------------------------------------------------------- LaTeX from Unicode text

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
