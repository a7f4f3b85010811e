"""The worked solution of ``conv``: every output cell as its sum with numbers, as on the slides.

The numbers come from :mod:`dlcalc.topics.convolution`; this module writes them down.
Each computed cell is a :class:`~dlcalc.model.steps.Step` whose formula is a tree
(:mod:`dlcalc.model.formula`), so its printed formula, its numbers and ``check``'s
recomputation are one description.  Grids show the padded input, the kernels, the
receptive window of the first cell of each output row, and every feature map.

Labels (what an answers file names; indices from 0, channel first, as in ``result``):

* ``x[c][i][j]`` the input; ``K[f][c][u][v]``, ``b[f]`` kernel and bias of filter f;
* ``y[f][i][j]`` a conv output, ``a[c][i][j]`` an activation, ``pool[c][i][j]`` a pooling
  output (``y2``, ``K2``, ``b2``, ``a2``, ``pool2`` … where a stack has several);
* ``grad_y[f][i][j]`` ∂L/∂y, likewise ``grad_x``, ``grad_a``, ``grad_pool``, ``grad_K``, ``grad_b``;
* ``H_n``, ``W_n`` the output size of layer n.

Symbols are written as in maths, indices from 1: ``y₁₁`` is ``y[0][0][0]``.  Problems
whose feature maps have more than :data:`FULL_CELLS` cells write out the first
:data:`HEAD_CELLS` cells of each map and show the rest as grids (``--every-step``
writes every cell).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from dlcalc.model.formula import (
    Compare,
    If,
    Mul,
    Name,
    Node,
    Num,
    Partial,
    Q,
    Symbol,
    call,
    print_name,
    q,
    total,
)
from dlcalc.model.steps import Arg, Grid, Section, Step
from dlcalc.specs.convolution import ActivationLayer, ConvLayer, ConvNet, PoolLayer, Window
from dlcalc.topics import convolution as engine
from dlcalc.topics.convolution import Channels, LayerRecord

FULL_CELLS = 36  # feature maps of at most this many cells are written out cell by cell
HEAD_CELLS = 4  # larger maps: this many cells in full, the rest as a grid
MAX_TERMS = 100  # a longer sum (a gradient over a large map) is shown by its value only
WINDOW_GRID = (
    144  # padded inputs of at most this many cells show the window of every row's first cell
)
LOSS = Name("L")


def index_label(base: str, index: Sequence[int]) -> str:
    return base + "".join(f"[{i}]" for i in index)


def cell_name(base: str, index: Sequence[int], keep: Sequence[bool]) -> Name:
    """``y₁₂`` for y[0][0][1] of a one-channel map; ``y₂,₁₂`` with the channel (filter) first where there are several.

    Indices count from 1 as in maths; the last two are the row and column.
    """
    shown = [i + 1 for i, k in zip(index, keep) if k]
    if not shown:
        return Name(base)
    *lead, row, col = shown if len(shown) >= 2 else (None, *shown)
    place = [v for v in (row, col) if v is not None]
    sep = "" if all(v < 10 for v in place) else ","
    sub = sep.join(str(v) for v in place)
    if lead:
        sub = ",".join(str(v) for v in lead) + "," + sub
    return Name(base, sub, index=True)


class Tensor3:
    """One named [C][H][W] quantity (input, feature map, gradient): its labels, symbols and values."""

    def __init__(self, base: str, values: Channels, grad_of: str | None = None) -> None:
        self.base = base
        self.values = values
        self.grad_of = grad_of  # the quantity this is ∂L/∂ of, if a gradient
        self.keep = (len(values) > 1, True, True)
        self._leaves: dict[tuple[int, int, int], Q] = {}

    def label(self, c: int, i: int, j: int) -> str:
        return index_label(self.base, (c, i, j))

    def symbol(self, c: int, i: int, j: int) -> Name | Partial:
        if self.grad_of is not None:
            return Partial(LOSS, cell_name(self.grad_of, (c, i, j), self.keep))
        return cell_name(self.base, (c, i, j), self.keep)

    def shown(self, c: int, i: int, j: int) -> str:
        return print_name(self.symbol(c, i, j))

    def leaf(self, c: int, i: int, j: int) -> Q:
        """The cell as a formula leaf (one object per cell: a cell appears in many sums)."""
        key = (c, i, j)
        found = self._leaves.get(key)
        if found is None:
            found = self._leaves[key] = q(
                self.label(c, i, j), self.values[c][i][j], self.symbol(c, i, j)
            )
        return found

    def map_title(self, c: int) -> str:
        head = f"∂L/∂{self.grad_of}" if self.grad_of is not None else self.base
        return head if len(self.values) == 1 else f"{head}, channel {c + 1}"

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.values), len(self.values[0]), len(self.values[0][0])


_y12 = print_name(cell_name("y", (0, 0, 1), (False, True, True)))
_y212 = print_name(cell_name("y", (1, 0, 1), (True, True, True)))


def partial_name(y: Tensor3, f: int, i: int, j: int, ch: int) -> Name:
    """``y₁₁⁽¹⁾``: the part of y₁₁ that comes from input channel 1."""
    return cell_name(y.base, (f, i, j), y.keep).replace(sup=f"({ch + 1})")


def grad_tensor(of: Tensor3, values: Channels) -> Tensor3:
    return Tensor3("grad_" + of.base, values, grad_of=of.base)


class KernelLeaves:
    """A conv layer's kernel entries as formula leaves (one object per entry: each is in many sums)."""

    def __init__(
        self, layer: ConvLayer, kernels: list[Channels], kname: str, keep: tuple[bool, ...]
    ) -> None:
        self.layer = layer
        self.kernels = kernels
        self.kname = kname
        self.keep = keep
        self._leaves: dict[tuple[int, int, int, int], Q] = {}

    def at(self, f: int, ch: int, u: int, v: int) -> Q:
        """The kernel entry (as written) that sits at (u, v) as the kernel slides."""
        a, b = engine.flipped_index(self.layer, u, v)
        key = (f, ch, a, b)
        if key not in self._leaves:
            self._leaves[key] = q(
                index_label(self.kname, key),
                self.kernels[f][ch][a][b],
                cell_name(self.kname, key, self.keep),
            )
        return self._leaves[key]


def conv_explanation(layer: ConvLayer, y: Tensor3, c_in: int) -> str:
    """What a conv layer computes: convolution or cross-correlation, per-channel parts, bias."""
    how = (
        "convolution: the kernel is rotated 180° first, then slid over the input"
        if layer.flip
        else "cross-correlation (what deep-learning libraries call convolution): the kernel slides over the input as written"
    )
    return (
        f"{how}.  Each output cell is the sum, over the input channels, of the window's cells times the "
        "kernel's entries"
        + (", plus the bias." if any(layer.biases) else ".")
        + (
            "  With several input channels, each channel's sum is written first "
            f"({print_name(partial_name(y, 0, 0, 0, 0))} is the part "
            f"of {y.shown(0, 0, 0)} from input channel 1; label {y.label(0, 0, 0)}@c0)."
            if c_in > 1
            else ""
        )
    )


def add_conv_grids(
    section: Section,
    layer: ConvLayer,
    x: Tensor3,
    xp: Channels,
    faint: frozenset[tuple[int, int]],
    kernels: list[Channels],
    kname: str,
) -> None:
    """The zero-padded input (when padded) and every kernel, also rotated when it is flipped."""
    window = layer.window
    c_in = x.shape[0]
    filters = len(kernels)
    if any(window.padding):
        for ch in range(c_in):
            section.add(
                Grid(
                    f"{x.map_title(ch)} padded with zeros ({padding_text(window)})",
                    xp[ch],
                    faint=faint,
                )
            )
    for f in range(filters):
        for ch in range(c_in):
            title = kernel_title(kname, f, ch, filters, c_in)
            section.add(Grid(title, kernels[f][ch]))
            if layer.flip:
                section.add(
                    Grid(
                        f"{title} rotated 180°, as it slides",
                        engine.used_kernel(kernels[f], True)[ch],
                    )
                )


def add_window_grids(
    section: Section,
    window: Window,
    x: Tensor3,
    y: Tensor3,
    xp: Channels,
    faint: frozenset[tuple[int, int]],
    i: int,
    j: int,
) -> None:
    """The receptive window of output cell (i, j) of the first map, highlighted in each input channel."""
    window_cells = frozenset((r, s) for _, _, r, s in engine.taps(window, i, j))
    for ch in range(x.shape[0]):
        section.add(
            Grid(
                f"window of {y.shown(0, i, j)} in {x.map_title(ch)}"
                + (" (padded)" if any(window.padding) else ""),
                xp[ch],
                highlight=window_cells,
                faint=faint,
            )
        )


def channel_products(
    window: Window,
    x: Tensor3,
    faint: frozenset[tuple[int, int]],
    k_leaves: KernelLeaves,
    f: int,
    ch: int,
    i: int,
    j: int,
) -> tuple[list[Node], Any]:
    """The window's cells times the kernel's entries in one input channel, and their sum
    (a padding cell is written as 0)."""
    products: list[Node] = []
    partial: Any = 0
    for u, v, r, s in engine.taps(window, i, j):
        k = k_leaves.at(f, ch, u, v)
        if (r, s) in faint:
            products.append(Mul((Num(0), k), "·"))
            continue
        xq = x.leaf(ch, r - window.padding[0], s - window.padding[2])
        products.append(Mul((xq, k), "·"))
        partial += xq.value * k.value
    return products, partial


class Writer:
    """Writes the sections of one solution; ``every_step`` writes out every cell of large maps."""

    def __init__(self, net: ConvNet, every_step: bool, carry: int | None = None) -> None:
        self.every_step = every_step
        self.rnd = engine.rounder(carry)  # a channel's part is rounded like every written cell
        self.names = layer_names(net)
        self.elided = False
        self.args: dict[str, Arg] = {}

    def step(
        self,
        label: str,
        value: Any,
        symbol: Symbol,
        expr: Node | None = None,
        note: str | None = None,
    ) -> Step:
        """A step whose ``args`` come from its tree, each quantity's Arg made once (long runs have many)."""
        name, text = symbol, print_name(symbol)
        if expr is None:
            return Step(label, value, symbol=text, note=note, name=name)
        args = []
        for leaf in expr.quantities():
            arg = self.args.get(leaf.label)
            if arg is None:
                arg = self.args[leaf.label] = Arg(leaf.label, leaf.value, print_name(leaf.symbol))
            args.append(arg)
        return Step(label, value, symbol=text, note=note, expr=expr, args=tuple(args), name=name)

    # -- which cells to write out

    def written(
        self, height: int, width: int, cells: Sequence[tuple[int, int]] | None = None
    ) -> list[tuple[int, int]]:
        every = (
            cells if cells is not None else [(i, j) for i in range(height) for j in range(width)]
        )
        if self.every_step or height * width <= FULL_CELLS:
            return list(every)
        self.elided = True
        return list(every)[:HEAD_CELLS]

    def elision_note(self, section: Section, written: int, total_cells: int, what: str) -> None:
        if written < total_cells:
            section.add(
                f"The first {written} of {total_cells} {what} are written out; the grid shows all "
                "(--every-step writes out every one)."
            )

    # -- the input

    def input_section(self, x: Tensor3) -> Section:
        c, h, w = x.shape
        section = Section(f"Input x: {h}×{w}" + (f", {c} channels" if c > 1 else ""))
        section.add(
            f"Indices in symbols count from 1 ({_y12} is row 1, column 2; {_y212} is channel 2, row 1, "
            "column 2); labels for --check count from 0 with the channel first, as in the JSON result "
            f"({_y12} of a one-channel map is y[0][0][1])."
        )
        for ch in range(c):
            section.add(Grid(x.map_title(ch), x.values[ch]))
        return section

    # -- layers

    def conv_section(
        self, n: int, layer: ConvLayer, x: Tensor3, y: Tensor3, kname: str, bname: str
    ) -> Section:
        window = layer.window
        c_in, height, width = x.shape
        filters = len(layer.kernels)
        section = Section(f"Layer {n} · {describe_conv(layer)}")
        section.add(conv_explanation(layer, y, c_in))
        xp = [engine.padded(m, window) for m in x.values]
        faint = padding_cells(window, height, width)
        kernels = [engine.to_exact(k) for k in layer.kernels]
        add_conv_grids(section, layer, x, xp, faint, kernels, kname)
        size_steps(section, n, window, height, width)
        out_h, out_w = y.shape[1], y.shape[2]
        k_leaves = KernelLeaves(layer, kernels, kname, (filters > 1, c_in > 1, True, True))
        written = self.written(out_h, out_w)
        for f in range(filters):
            if filters > 1:
                section.add(f"Filter {f + 1} → output channel {f + 1}.")
            bias_leaf = q(
                index_label(bname, (f,)),
                engine.exact(layer.biases[f]),
                cell_name(bname, (f,), (filters > 1,)),
            )
            for i, j in written:
                if j == 0 and f == 0 and (len(xp[0]) * len(xp[0][0]) <= WINDOW_GRID or i == 0):
                    add_window_grids(section, window, x, y, xp, faint, i, j)
                shown_bias = bias_leaf if any(layer.biases) else None
                self.conv_cell(section, window, x, y, faint, k_leaves, shown_bias, (f, i, j))
            self.elision_note(section, len(written), out_h * out_w, "cells of this map")
            section.add(
                Grid(
                    f"output {y.map_title(f)} (feature map {f + 1})"
                    if filters > 1
                    else f"output {y.base}",
                    y.values[f],
                )
            )
        return section

    def conv_cell(
        self,
        section: Section,
        window: Window,
        x: Tensor3,
        y: Tensor3,
        faint: frozenset[tuple[int, int]],
        k_leaves: KernelLeaves,
        bias_leaf: Q | None,
        cell: tuple[int, int, int],
    ) -> None:
        """Output cell (f, i, j) as its sum over the input channels (one partial sum each when
        there are several), plus the bias when the layer has one."""
        f, i, j = cell
        c_in = x.shape[0]
        terms: list[Node] = []
        for ch in range(c_in):
            products, partial = channel_products(window, x, faint, k_leaves, f, ch, i, j)
            if c_in == 1:
                terms.extend(products)
                continue
            # several input channels: one partial sum per channel first (d2l's Fig. 7.4.1)
            part = partial_name(y, f, i, j, ch)
            label = f"{y.label(f, i, j)}@c{ch}"
            partial = self.rnd(engine.tidy(partial))
            section.add(self.step(label, partial, symbol=part, expr=total(products)))
            terms.append(q(label, partial, part))
        if bias_leaf is not None:
            terms.append(bias_leaf)
        section.add(
            self.step(
                y.label(f, i, j),
                y.values[f][i][j],
                symbol=y.symbol(f, i, j),
                expr=total(terms),
            )
        )

    def activation_section(self, n: int, layer: ActivationLayer, x: Tensor3, a: Tensor3) -> Section:
        section = Section(f"Layer {n} · activation: {layer.name}")
        c, h, w = x.shape
        section.add(f"{layer.name} is applied to every cell on its own.")
        written = self.written(h, w)
        for ch in range(c):
            for i, j in written:
                section.add(
                    self.step(
                        a.label(ch, i, j),
                        a.values[ch][i][j],
                        symbol=a.symbol(ch, i, j),
                        expr=activation_expr(layer, x.leaf(ch, i, j)),
                    )
                )
            self.elision_note(section, len(written), h * w, "cells of this map")
            section.add(Grid(f"output {a.map_title(ch)}", a.values[ch]))
        return section

    def pool_section(
        self, n: int, layer: PoolLayer, record: LayerRecord, x: Tensor3, p: Tensor3
    ) -> Section:
        window = layer.window
        c, height, width = x.shape
        kh, kw = window.size
        section = Section(f"Layer {n} · {describe_pool(layer)}")
        if layer.kind == "maxpool":
            section.add(
                "Each output cell is the largest cell of its window"
                + (" (padding counts as −∞)" if any(window.padding) else "")
                + "; the note says where the maximum is (the first one in row order on ties)."
            )
        else:
            section.add(
                f"Each output cell is the mean of its window: the sum divided by {kh}·{kw} = {kh * kw}"
                + (", padded zeros counted." if any(window.padding) else ".")
            )
        size_steps(section, n, window, height, width)
        fill = -math.inf if layer.kind == "maxpool" else 0
        faint = padding_cells(window, height, width)
        out_h, out_w = p.shape[1], p.shape[2]
        written = self.written(out_h, out_w)
        top, _, left, _ = window.padding
        for ch in range(c):
            xp = engine.padded(x.values[ch], window, fill)
            for i, j in written:
                cells = [(r, s) for _, _, r, s in engine.taps(window, i, j)]
                if j == 0 and (len(xp) * len(xp[0]) <= WINDOW_GRID or i == 0):
                    section.add(
                        Grid(
                            f"window of {p.shown(ch, i, j)} in {x.map_title(ch)}",
                            xp,
                            highlight=frozenset(cells),
                            faint=faint,
                        )
                    )
                leaves: list[Node] = [
                    Num(fill) if (r, s) in faint else x.leaf(ch, r - top, s - left)
                    for r, s in cells
                ]
                if layer.kind == "maxpool":
                    expr = call("max", *leaves) if len(leaves) > 1 else leaves[0]
                    r, s = record.argmax[ch][i][j]
                    note = f"the maximum is {x.shown(ch, r, s)} (row {r + 1}, column {s + 1})"
                else:
                    expr = total(leaves) / Num(kh * kw)
                    note = None
                section.add(
                    self.step(
                        p.label(ch, i, j),
                        p.values[ch][i][j],
                        symbol=p.symbol(ch, i, j),
                        expr=expr,
                        note=note,
                    )
                )
            self.elision_note(section, len(written), out_h * out_w, "cells of this map")
            section.add(Grid(f"output {p.map_title(ch)}", p.values[ch]))
        return section

    # -- backward

    def grad_output_section(self, g: Tensor3) -> Section:
        section = Section("Backward pass: the upstream gradient")
        section.add(
            "grad_output gives ∂L/∂ of the last layer's output.  Each layer below turns the gradient of "
            "its output into the gradient of its input (and of its kernel and bias), last layer first."
        )
        for ch in range(g.shape[0]):
            section.add(Grid(g.map_title(ch), g.values[ch]))
        return section

    def conv_backward(
        self,
        n: int,
        layer: ConvLayer,
        record: LayerRecord,
        x: Tensor3,
        g: Tensor3,
        kname: str,
        bname: str,
    ) -> Section:
        window = layer.window
        c_in, height, width = x.shape
        filters = len(layer.kernels)
        kh, kw = window.size
        _, out_h, out_w = g.shape
        section = Section(f"Backward · layer {n} · conv")
        section.add(
            "∂L/∂b is the sum of the upstream gradient over its map; ∂L/∂K is the input correlated with the "
            "upstream gradient (each kernel entry meets the input cells it multiplied); ∂L/∂x is the full "
            "convolution of the upstream gradient with the kernel rotated 180° (each input cell collects "
            "gradient × kernel entry from every window it was in)."
            + ("  With flip, ∂L/∂K is for the kernel as written." if layer.flip else "")
        )
        kernel_keep = (filters > 1, c_in > 1, True, True)
        kernels = [engine.to_exact(k) for k in layer.kernels]
        faint = padding_cells(window, height, width)
        top, _, left, _ = window.padding
        assert (
            record.grad_bias is not None
            and record.grad_kernel is not None
            and record.grad_input is not None
        )
        for f in range(filters):
            label = index_label("grad_" + bname, (f,))
            symbol: Symbol = Partial(LOSS, cell_name(bname, (f,), (filters > 1,)))
            count = out_h * out_w
            leaves: list[Node] = (
                [g.leaf(f, i, j) for i in range(out_h) for j in range(out_w)]
                if self.fits(count)
                else []
            )
            section.add(self.sum_step(label, symbol, record.grad_bias[f], leaves, count))
        for f in range(filters):
            for ch in range(c_in):
                for a in range(kh):
                    for b in range(kw):
                        u, v = engine.flipped_index(layer, a, b)
                        terms: list[Node] = []
                        for i in range(out_h if self.fits(out_h * out_w) else 0):
                            for j in range(out_w):
                                _, _, r, s = next(
                                    t for t in engine.taps(window, i, j) if t[:2] == (u, v)
                                )
                                if (r, s) not in faint:
                                    terms.append(
                                        Mul((x.leaf(ch, r - top, s - left), g.leaf(f, i, j)), "·")
                                    )
                        label = index_label("grad_" + kname, (f, ch, a, b))
                        symbol = Partial(LOSS, cell_name(kname, (f, ch, a, b), kernel_keep))
                        section.add(
                            self.sum_step(
                                label, symbol, record.grad_kernel[f][ch][a][b], terms, out_h * out_w
                            )
                        )
                section.add(
                    Grid(
                        "∂L/∂" + kernel_title(kname, f, ch, filters, c_in),
                        record.grad_kernel[f][ch],
                    )
                )
        # ∂L/∂x: each input cell collects ∂L/∂y × K from every window it sits in.
        reach: dict[tuple[int, int], list[tuple[int, int, int, int]]] = defaultdict(list)
        for i in range(out_h):
            for j in range(out_w):
                for u, v, r, s in engine.taps(window, i, j):
                    if (r, s) not in faint:
                        reach[(r - top, s - left)].append((i, j, u, v))
        gx = grad_tensor(x, record.grad_input)
        cells = [(p, qq) for p in range(height) for qq in range(width) if reach[(p, qq)]]
        written = self.written(height, width, cells)
        for ch in range(c_in):
            for p, qq in written:
                terms = []
                for f in range(filters):
                    for i, j, u, v in reach[(p, qq)]:
                        a, b = engine.flipped_index(layer, u, v)
                        k_leaf = q(
                            index_label(kname, (f, ch, a, b)),
                            kernels[f][ch][a][b],
                            cell_name(kname, (f, ch, a, b), kernel_keep),
                        )
                        terms.append(Mul((g.leaf(f, i, j), k_leaf), "·"))
                section.add(
                    self.sum_step(
                        gx.label(ch, p, qq), gx.symbol(ch, p, qq), gx.values[ch][p][qq], terms
                    )
                )
            if len(cells) < height * width:
                section.add("Input cells that no window reaches get gradient 0.")
            self.elision_note(section, len(written), len(cells), "input cells")
            section.add(Grid(gx.map_title(ch), gx.values[ch]))
        return section

    def fits(self, terms: int) -> bool:
        """Is a sum of this many terms written out?"""
        return self.every_step or terms <= MAX_TERMS

    def sum_step(
        self, label: str, symbol: Symbol, value: Any, terms: list[Node], count: int | None = None
    ) -> Step:
        """A step that sums ``terms``; ``count`` is their number where they were not built (too many)."""
        count = len(terms) if count is None else count
        if not self.fits(count):
            self.elided = True
            return self.step(
                label,
                value,
                symbol,
                note=f"a sum of {count} terms (--every-step writes it out)",
            )
        if not terms:
            return self.step(label, value, symbol, note="no term reaches it: 0")
        return self.step(label, value, symbol=symbol, expr=total(terms))

    def activation_backward(
        self,
        n: int,
        layer: ActivationLayer,
        record: LayerRecord,
        x: Tensor3,
        out: Tensor3,
        g: Tensor3,
    ) -> Section:
        section = Section(f"Backward · layer {n} · activation: {layer.name}")
        section.add(f"∂L/∂(input) = ∂L/∂(output) × {layer.name}′(input), cell by cell.")
        assert record.grad_input is not None
        gx = grad_tensor(x, record.grad_input)
        c, h, w = x.shape
        written = self.written(h, w)
        for ch in range(c):
            for i, j in written:
                expr, note = slope_expr(layer, x.leaf(ch, i, j), out.leaf(ch, i, j))
                section.add(
                    self.step(
                        gx.label(ch, i, j),
                        gx.values[ch][i][j],
                        symbol=gx.symbol(ch, i, j),
                        expr=g.leaf(ch, i, j) * expr,
                        note=note,
                    )
                )
            self.elision_note(section, len(written), h * w, "cells of this map")
            section.add(Grid(gx.map_title(ch), gx.values[ch]))
        return section

    def pool_backward(
        self, n: int, layer: PoolLayer, record: LayerRecord, x: Tensor3, g: Tensor3
    ) -> Section:
        window = layer.window
        c, height, width = x.shape
        _, out_h, out_w = g.shape
        top, _, left, _ = window.padding
        count = window.size[0] * window.size[1]
        section = Section(f"Backward · layer {n} · {layer.kind}")
        if layer.kind == "maxpool":
            section.add(
                "Max pooling routes each window's gradient to the cell that was its maximum; every other cell gets 0."
            )
        else:
            section.add(
                f"Average pooling shares each window's gradient equally: each of its {count} cells gets 1/{count} of it."
            )
        assert record.grad_input is not None
        gx = grad_tensor(x, record.grad_input)
        faint = padding_cells(window, height, width)
        for ch in range(c):
            reach: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
            windows: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
            for i in range(out_h):
                for j in range(out_w):
                    for _, _, r, s in engine.taps(window, i, j):
                        if (r, s) not in faint:
                            windows[(r - top, s - left)].append((i, j))
                    if layer.kind == "maxpool":
                        reach[record.argmax[ch][i][j]].append((i, j))
            if layer.kind != "maxpool":
                reach = windows
            # max pooling: every cell of a window is written, the maximum or not, so that check
            # can route a window's gradient to another cell from a student's own values
            cells = [(p, qq) for p in range(height) for qq in range(width) if windows[(p, qq)]]
            written = self.written(height, width, cells)
            for p, qq in written:
                if layer.kind == "maxpool":
                    terms: list[Node] = [
                        self.routed(window, x, g, ch, (p, qq), w) for w in windows[(p, qq)]
                    ]
                    note = (
                        "the maximum of the window of "
                        + ", ".join(
                            print_name(cell_name(g.grad_of or "", (ch, i, j), g.keep))
                            for i, j in reach[(p, qq)]
                        )
                        if reach[(p, qq)]
                        else "the maximum of no window: 0"
                    )
                else:
                    terms = [g.leaf(ch, i, j) / Num(count) for i, j in reach[(p, qq)]]
                    note = None
                step = self.sum_step(
                    gx.label(ch, p, qq), gx.symbol(ch, p, qq), gx.values[ch][p][qq], terms
                )
                step.note = step.note or note
                section.add(step)
            if len(cells) < height * width:
                section.add("Every other input cell gets gradient 0.")
            self.elision_note(
                section, len(written), len(cells), "input cells that receive gradient"
            )
            section.add(Grid(gx.map_title(ch), gx.values[ch]))
        return section

    def routed(
        self,
        window: Window,
        x: Tensor3,
        g: Tensor3,
        ch: int,
        cell: tuple[int, int],
        out: tuple[int, int],
    ) -> Node:
        """What input ``cell`` gets of window ``out``'s gradient: all of it where it is the
        window's first maximum in row order, else nothing.  Written as the route it takes here;
        ``check`` decides it again from a student's own values."""
        top, _, left, _ = window.padding
        faint = padding_cells(window, len(x.values[ch]), len(x.values[ch][0]))
        inside = [
            (r - top, s - left) for _, _, r, s in engine.taps(window, *out) if (r, s) not in faint
        ]
        k = inside.index(cell)
        me = x.leaf(ch, *cell)
        earlier = [x.leaf(ch, *rc) for rc in inside[:k]]
        later = [x.leaf(ch, *rc) for rc in inside[k + 1 :]]
        share: Node = g.leaf(ch, *out)
        if later:
            share = If(share, Compare(me, "≥", _largest(later)), Num(0), quiet=True)
        if earlier:
            share = If(share, Compare(me, ">", _largest(earlier)), Num(0), quiet=True)
        return share


# --- pieces ---------------------------------------------------------------------------------


def _largest(leaves: list[Q]) -> Node:
    return leaves[0] if len(leaves) == 1 else call("max", *leaves)


def layer_names(net: ConvNet) -> list[tuple[str, str, str]]:
    """(output, kernel, bias) base names per layer: y, K, b for conv; a; pool — numbered where a kind repeats."""
    count: dict[str, int] = defaultdict(int)
    kinds = [
        "conv"
        if isinstance(layer, ConvLayer)
        else "act"
        if isinstance(layer, ActivationLayer)
        else "pool"
        for layer in net.layers
    ]
    totals = {k: kinds.count(k) for k in set(kinds)}
    out = []
    for kind in kinds:
        count[kind] += 1
        tag = str(count[kind]) if totals[kind] > 1 else ""
        base = {"conv": "y", "act": "a", "pool": "pool"}[kind]
        out.append((base + tag, "K" + tag, "b" + tag))
    return out


def kernel_title(kname: str, f: int, ch: int, filters: int, channels: int) -> str:
    """``K`` or ``K, filter 2, channel 1`` (a grid's title)."""
    parts = [kname]
    if filters > 1:
        parts.append(f"filter {f + 1}")
    if channels > 1:
        parts.append(f"channel {ch + 1}")
    return ", ".join(parts)


def padding_cells(window: Window, height: int, width: int) -> frozenset[tuple[int, int]]:
    top, bottom, left, right = window.padding
    rows, cols = height + top + bottom, width + left + right
    return frozenset(
        (r, s)
        for r in range(rows)
        for s in range(cols)
        if engine.is_padding(window, height, width, r, s)
    )


def _pair(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}×{p[1]}"


def padding_text(window: Window) -> str:
    top, bottom, left, right = window.padding
    if window.padding_text == "same":
        return f"same: {top} above, {bottom} below, {left} left, {right} right"
    return f"P = {window.padding_text}"


def describe_conv(layer: ConvLayer) -> str:
    w = layer.window
    f = len(layer.kernels)
    text = (
        f"conv: {f} filter{'s' if f > 1 else ''} {w.size[0]}×{w.size[1]}, stride {_pair(w.stride)}, "
        f"padding {w.padding_text}"
    )
    if w.dilation != (1, 1):
        text += f", dilation {_pair(w.dilation)}"
    return text + (", kernel flipped" if layer.flip else "")


def describe_pool(layer: PoolLayer) -> str:
    w = layer.window
    return (
        f"{layer.kind}: {w.size[0]}×{w.size[1]}, stride {_pair(w.stride)}, padding {w.padding_text}"
    )


def size_steps(section: Section, n: int, window: Window, height: int, width: int) -> None:
    """H_n and W_n by ⌊(H + P_top + P_bottom − F')/S⌋ + 1, F' = d(k − 1) + 1 the dilated kernel."""
    top, bottom, left, right = window.padding
    for axis, size, k, d, s, p1, p2 in (
        ("H", height, window.size[0], window.dilation[0], window.stride[0], top, bottom),
        ("W", width, window.size[1], window.dilation[1], window.stride[1], left, right),
    ):
        span = d * (k - 1) + 1
        a = axis.lower()
        size_q = q(f"{axis}_{n - 1}", size, Name(axis, str(n - 1), label_sub=True))
        f_q: Node = q(f"F_{a}{n}", k, "F")
        if d != 1:
            dilated = Mul((q(f"D_{a}{n}", d, "d"), f_q - Num(1)), "·") + Num(1)
            section.add(
                Step(f"F'_{a}{n}", span, name=Name("F′"), expr=dilated, note="the dilated kernel")
            )
            f_q = q(f"F'_{a}{n}", span, Name("F′"))
        numerator = size + p1 + p2 - span
        s_q = q(f"S_{a}{n}", s, "S")
        if p1 == p2:
            padded = size_q + Mul((Num(2), q(f"P_{a}{n}", p1, "P")), "·") - f_q
        else:
            before = q(f"P_{a}{n}_before", p1, Name("P", "1", index=True))
            padded = size_q + before + q(f"P_{a}{n}_after", p2, Name("P", "2", index=True)) - f_q
        note = None
        if numerator % s:
            note = f"{numerator}/{s} is not whole: floored to {numerator // s}; the last {numerator % s} row(s)/column(s) are not covered"
        expr = call("floor_quiet", padded / s_q) + Num(1)  # ⌊⌋ written only where not whole
        section.add(
            Step(
                f"{axis}_{n}",
                numerator // s + 1,
                name=Name(axis, str(n), label_sub=True),
                expr=expr,
                note=note,
            )
        )


def activation_expr(layer: ActivationLayer, net: Q) -> Node:
    name = layer.name
    if name == "relu":
        return call("max", Num(0), net)
    if name == "leaky_relu":
        return call("max", Num(engine.exact(layer.alpha)) * net, net)
    if name == "linear":
        return net
    if name == "softplus":
        return call("softplus", net)
    return call(name, net)  # sigmoid, tanh


def slope_expr(layer: ActivationLayer, net: Q, out: Q) -> tuple[Node, str | None]:
    """f′(net) as a formula (sigmoid: out·(1 − out)), or its value with a note (relu: 1 as net > 0)."""
    name = layer.name
    if name == "sigmoid":
        return out * (Num(1) - out), None
    if name == "tanh":
        return Num(1) - out * out, None
    if name == "softplus":
        return call("sigmoid", net), None
    if name == "linear":
        return Num(1), None
    positive = net.value > 0
    below = 0 if name == "relu" else engine.exact(layer.alpha)
    value = 1 if positive else below
    shown = print_name(net.symbol)
    # written as the slope it is here, decided again from a student's own net by check
    slope = If(Num(1), Compare(net, ">", Num(0)), Num(below), quiet=True)
    return slope, f"{name}′ = {value} since {shown} {'>' if positive else '≤'} 0"


# --- conventions (for check) ---------------------------------------------------------------

# The alternative conventions a student may have worked in: each maps a problem to the same
# problem under that convention, so a checker can redo the solution and compare (issue 13).
CONVENTIONS: dict[str, str] = {
    "kernel_flip": "the kernel rotated 180° (convolution) instead of as written "
    "(cross-correlation), or the other way round",
}


def with_convention(net: ConvNet, name: str) -> ConvNet:
    """``net`` under the alternative convention ``name`` (see :data:`CONVENTIONS`)."""
    if name != "kernel_flip":
        raise KeyError(name)
    layers = [
        dataclasses.replace(layer, flip=not layer.flip) if isinstance(layer, ConvLayer) else layer
        for layer in net.layers
    ]
    return dataclasses.replace(net, layers=layers)
