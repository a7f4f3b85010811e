"""A convolution worked with letters, as the slides' toy example: y₁₁ = aw + bx + ey + fz.

Each output cell is written as the sum of its window's products in window order (the
slides' form); SymPy expands and collects it, and where that differs (a letter that
appears twice, numbers that multiply out) the collected form is given beside it.
"""

from __future__ import annotations

import re
from typing import Any

from dlcalc.model.formula import SUPERSCRIPT
from dlcalc.model.steps import Grid, Section, Solution, Step
from dlcalc.specs.convolution import Window
from dlcalc.specs.letters import Entry, LetterConv, LetterNet
from dlcalc.topics.convolution_steps import cell_name, index_label, size_steps


def _factor(value: Any) -> str:
    """One factor as written: a letter as is, a sum in brackets, a negative number in brackets."""
    text = _shown(value)
    if any(op in text.lstrip("−") for op in "+−") or (text.startswith("−") and " " not in text):
        return f"({text})"
    return text


def _shown(value: Any) -> str:
    """A SymPy value as the slides write it: aw + bx, 2a, −c (no * between letters)."""
    import sympy

    if isinstance(value, sympy.Integer):
        return str(int(value)).replace("-", "−")
    if isinstance(value, sympy.Rational):
        return str(float(value)).replace("-", "−")
    text = str(value).replace("**", "^").replace("*", "").replace("-", "−")
    return re.sub(r"\^(\d+)", lambda m: m[1].translate(SUPERSCRIPT), text.replace("^", "^"))


def _product(a: Any, b: Any) -> str:
    """a times b as the slides write it: aw, 2w (a number first), 6 (numbers multiplied out)."""
    import sympy

    if isinstance(a, sympy.Number) and isinstance(b, sympy.Number):
        return _shown(a * b)
    if isinstance(b, sympy.Number):  # a number leads: 2w, not w2
        a, b = b, a
    if a == 1:
        return _factor(b)
    if isinstance(a, sympy.Number) and a < 0:  # −2a, not (−2)a
        return "−" + _product(-a, b)
    return _factor(a) + _factor(b)


def _as_sympy(entry: Entry) -> Any:
    import sympy

    if isinstance(entry, str):
        return sympy.Symbol(entry)
    return sympy.Rational(str(entry)) if entry != int(entry) else sympy.Integer(int(entry))


def solve_letters(net: LetterNet) -> Solution:
    """Every output cell of every conv layer as its sum of products, in the slides' notation."""
    x = [[[_as_sympy(v) for v in row] for row in m] for m in net.input]
    sections = [
        Section(
            "Input x",
            [
                Grid(
                    f"x{', channel ' + str(c + 1) if len(x) > 1 else ''}",
                    [[_shown(v) for v in row] for row in m],
                )
                for c, m in enumerate(x)
            ],
        )
    ]
    sections[0].items.insert(
        0,
        "Worked with letters, as on the slides: each output cell is its window's entries times "
        "the kernel's, added; SymPy collects the sum where terms combine.",
    )
    outputs = []
    for n, layer in enumerate(net.layers):
        base = "y" if len(net.layers) == 1 else f"y{n + 1}"
        kname = "K" if len(net.layers) == 1 else f"K{n + 1}"
        section, x, shown = _layer(n, layer, x, base, kname)
        sections.append(section)
        outputs.append(shown)
    result = {
        "layers": [{"type": "conv", "output": o} for o in outputs],
        "output": outputs[-1],
        "symbolic": True,
    }
    return Solution("conv", sections, result, title=net.title, source=net.source)


def _layer(
    n: int, layer: LetterConv, x: list[Any], base: str, kname: str
) -> tuple[Section, list[Any], list[list[list[str]]]]:
    """One conv layer: its kernels as grids, every output cell written out, the output grid."""
    import sympy

    channels, height, width = len(x), len(x[0]), len(x[0][0])
    ph, pw = layer.padding
    kh, kw = len(layer.kernels[0][0]), len(layer.kernels[0][0][0])
    sh, sw = layer.stride
    stride = str(sh) if sh == sw else f"{sh}×{sw}"
    padding = str(ph) if ph == pw else f"{ph}×{pw}"
    section = Section(f"Layer {n + 1} · conv {kh}×{kw}, stride {stride}, padding {padding}")
    section.add(
        "Convolution: the kernel is rotated 180° first, then slid over the input."
        if layer.flip
        else "Cross-correlation (what deep-learning libraries call convolution): the kernel "
        "slides over the input as written."
    )
    window = Window((kh, kw), (sh, sw), (ph, ph, pw, pw))
    size_steps(section, n + 1, window, height, width)  # the output size, as for numbers
    zero = sympy.Integer(0)
    padded = [
        [[zero] * (width + 2 * pw) for _ in range(ph)]
        + [[zero] * pw + list(row) + [zero] * pw for row in m]
        + [[zero] * (width + 2 * pw) for _ in range(ph)]
        for m in x
    ]
    out_h, out_w = (height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1
    keep = (len(layer.kernels) > 1, True, True)
    out: list[Any] = []
    shown_maps: list[list[list[str]]] = []
    for f, kernel in enumerate(layer.kernels):
        k = [[[_as_sympy(v) for v in row] for row in m] for m in kernel]
        if layer.flip:
            k = [[row[::-1] for row in m[::-1]] for m in k]
        for c in range(channels):
            title = kname + (f", filter {f + 1}" if len(layer.kernels) > 1 else "")
            title += f", channel {c + 1}" if channels > 1 else ""
            title += " rotated 180°" if layer.flip else ""
            section.add(Grid(title, [[_shown(v) for v in row] for row in k[c]]))
        cells: list[list[Any]] = []
        shown: list[list[str]] = []
        for i in range(out_h):
            row: list[Any] = []
            shown_row: list[str] = []
            for j in range(out_w):
                terms: list[str] = []
                value: Any = zero
                for c in range(channels):
                    for u in range(kh):
                        for v in range(kw):
                            a, b = padded[c][i * sh + u][j * sw + v], k[c][u][v]
                            value += a * b
                            if a != 0 and b != 0:
                                terms.append(_product(a, b))
                value = sympy.expand(value)
                written = " + ".join(terms).replace("+ −", "− ") if terms else "0"
                combined = value != 0 and len(sympy.Add.make_args(value)) != len(terms)
                note = f"= {_shown(value)}, collected" if combined else None
                name = cell_name(base, (f, i, j), keep)
                section.add(Step(index_label(base, (f, i, j)), written, name=name, note=note))
                row.append(value)
                shown_row.append(_shown(value) if combined else written)
            cells.append(row)
            shown.append(shown_row)
        out.append(cells)
        shown_maps.append(shown)
        section.add(Grid(base + (f", channel {f + 1}" if len(layer.kernels) > 1 else ""), shown))
    return section, out, shown_maps
