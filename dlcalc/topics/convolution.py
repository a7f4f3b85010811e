"""The numbers of a convolution / pooling stack, forward and backward, in exact arithmetic.

Numbers are Python ints and Fractions while they can be (the inputs as written:
0.1 is 1/10), so that sums of products are exact and an average is 5/3, not
1.6666666666666667; an activation such as sigmoid turns them into floats.  Everything
is channels first, ``[C][H][W]``.  Nothing here records steps or formats anything:
:mod:`dlcalc.topics.convolution_steps` writes the worked solution from these numbers.

Conventions (those of PyTorch, which the tests compare against):

* ``flip: false`` is cross-correlation, y[i][j] = b + Σ x[i·S + u·d][j·S + v·d]·K[u][v];
  ``flip: true`` uses the kernel rotated 180° (convolution in the signal-processing sense);
* max pooling pads with −∞ and routes each gradient to the first maximum in row order;
  average pooling divides by kh·kw, padded zeros counted, and shares each gradient equally;
* ``grad_kernel`` is with respect to the kernel as written, also with ``flip``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlcalc.model.formula import FLOAT_FUNCTIONS
from dlcalc.specs.convolution import ActivationLayer, ConvLayer, ConvNet, PoolLayer, Tensor, Window

Num = Any  # int, Fraction or float
Grid = list[list[Num]]
Channels = list[Grid]  # [C][H][W]
Round = Callable[[Num], Num]


# --- numbers ----------------------------------------------------------------------------------


def exact(x: float) -> Num:
    """A given number as written: 3.0 → 3, 0.1 → 1/10 (not the binary double)."""
    if isinstance(x, int):
        return x
    if x.is_integer() and abs(x) < 2**53:
        return int(x)
    return Fraction(repr(x))


def tidy(x: Num) -> Num:
    """A Fraction that is whole becomes an int (cheaper, and shown as a whole number)."""
    if isinstance(x, Fraction) and x.denominator == 1:
        return x.numerator
    return x


def round_half_away(q: Fraction, decimals: int) -> Fraction:
    """``q`` rounded to ``decimals`` places, ties away from zero (0.565 → 0.57, −0.565 → −0.57)."""
    scale = 10**decimals
    scaled = abs(q) * scale
    whole = math.floor(scaled + Fraction(1, 2))
    return Fraction(whole if q >= 0 else -whole, scale)


def rounder(carry: int | None) -> Round:
    """--carry: round a computed value as a student does; exact values stay exact, floats are read to 12 digits first."""
    if carry is None:
        return lambda x: x

    def carried(x: Num) -> Num:
        if isinstance(x, float):
            if not math.isfinite(x):
                return x
            return float(round_half_away(Fraction(f"{x:.12g}"), carry))
        return tidy(round_half_away(Fraction(x), carry))

    return carried


def to_exact(t: Tensor) -> Channels:
    return [[[exact(v) for v in row] for row in m] for m in t]


# --- geometry ---------------------------------------------------------------------------------


def padded(channel: Grid, window: Window, fill: Num = 0) -> Grid:
    """The channel with ``window.padding`` rows and columns of ``fill`` around it."""
    top, bottom, left, right = window.padding
    width = len(channel[0]) + left + right
    rows = [[fill] * width for _ in range(top)]
    rows += [[fill] * left + list(row) + [fill] * right for row in channel]
    rows += [[fill] * width for _ in range(bottom)]
    return rows


def taps(window: Window, i: int, j: int) -> Iterator[tuple[int, int, int, int]]:
    """``(u, v, r, c)`` for each kernel entry of output cell (i, j): (r, c) in padded coordinates, row order."""
    sh, sw = window.stride
    dh, dw = window.dilation
    kh, kw = window.size
    for u in range(kh):
        for v in range(kw):
            yield u, v, i * sh + u * dh, j * sw + v * dw


def is_padding(window: Window, height: int, width: int, r: int, c: int) -> bool:
    """Is padded position (r, c) outside the unpadded ``height`` × ``width`` input?"""
    top, _, left, _ = window.padding
    return not (top <= r < top + height and left <= c < left + width)


def used_kernel(kernel: Tensor, flip: bool) -> Tensor:
    """The kernel as it slides: rotated 180° (rows and columns reversed) when ``flip``."""
    if not flip:
        return kernel
    return [[list(reversed(row)) for row in reversed(m)] for m in kernel]


def flipped_index(layer: ConvLayer, u: int, v: int) -> tuple[int, int]:
    """The entry of the kernel as written that sits at (u, v) of the kernel as used."""
    if not layer.flip:
        return u, v
    kh, kw = layer.window.size
    return kh - 1 - u, kw - 1 - v


# --- forward ----------------------------------------------------------------------------------


@dataclass
class LayerRecord:
    """One layer's numbers: its input and output, and (pooling) the argmax of each window."""

    layer: ConvLayer | PoolLayer | ActivationLayer
    input: Channels
    output: Channels
    argmax: list[list[list[tuple[int, int]]]] = field(
        default_factory=list
    )  # [c][i][j] → (r, c) unpadded
    grad_output: Channels | None = None
    grad_input: Channels | None = None
    grad_kernel: list[Channels] | None = None  # [f][c][u][v], w.r.t. the kernel as written
    grad_bias: list[Num] | None = None


def conv_forward(x: Channels, layer: ConvLayer, rnd: Round) -> Channels:
    """y[f][i][j] = b[f] + Σ_c Σ_u Σ_v x_pad[c][i·S + u·d][j·S + v·d] · K_used[f][c][u][v].

    Summed one kernel entry at a time over whole output rows (strided slices of the
    padded input), which is the same sum in another order: exact either way.
    """
    window = layer.window
    xp = [padded(m, window) for m in x]
    out_h, out_w = window.out_size(len(x[0]), len(x[0][0]))
    (sh, sw), (dh, dw) = window.stride, window.dilation
    out: Channels = []
    for kernel, bias in zip(layer.kernels, layer.biases):
        k = to_exact(used_kernel(kernel, layer.flip))
        fmap: Grid = [[0] * out_w for _ in range(out_h)]
        for channel, kc in zip(xp, k):
            part: Grid = [[0] * out_w for _ in range(out_h)]
            for u, krow in enumerate(kc):
                for v, weight in enumerate(krow):
                    if weight == 0:
                        continue
                    start, stop = v * dw, v * dw + sw * (out_w - 1) + 1
                    for i in range(out_h):
                        source = channel[i * sh + u * dh][start:stop:sw]
                        part[i] = [o + a * weight for o, a in zip(part[i], source)]
            if len(xp) > 1:  # each channel's part is a written step: --carry rounds it first
                part = [[rnd(tidy(v)) for v in row] for row in part]
            fmap = [[o + v for o, v in zip(orow, prow)] for orow, prow in zip(fmap, part)]
        b = exact(bias)
        out.append([[rnd(tidy(v + b)) for v in row] for row in fmap])
    return out


def activate(name: str, alpha: float, net: Num) -> Num:
    """One activation value; relu, leaky_relu and linear stay exact."""
    if name == "relu":
        return net if net > 0 else 0
    if name == "linear":
        return net
    if name == "leaky_relu":
        return net if net > 0 else tidy(exact(alpha) * net)
    return float(FLOAT_FUNCTIONS[name](float(net)))  # sigmoid, tanh, softplus


def slope(name: str, alpha: float, net: Num, out: Num) -> Num:
    """d out / d net at one cell (relu: 0 at net = 0, as PyTorch)."""
    if name == "relu":
        return 1 if net > 0 else 0
    if name == "linear":
        return 1
    if name == "leaky_relu":
        return 1 if net > 0 else exact(alpha)
    if name == "sigmoid":
        return float(out) * (1.0 - float(out))
    if name == "tanh":
        return 1.0 - float(out) ** 2
    return FLOAT_FUNCTIONS["sigmoid"](float(net))  # softplus′ = σ


def pool_forward(
    x: Channels, layer: PoolLayer, rnd: Round
) -> tuple[Channels, list[list[list[tuple[int, int]]]]]:
    """Max (padding −∞, first maximum in row order) or average (÷ kh·kw, padding counted) per window."""
    window = layer.window
    top, _, left, _ = window.padding
    out_h, out_w = window.out_size(len(x[0]), len(x[0][0]))
    count = window.size[0] * window.size[1]
    out: Channels = []
    where: list[list[list[tuple[int, int]]]] = []
    for channel in x:
        if layer.kind == "maxpool":
            xp = padded(channel, window, -math.inf)
        else:
            xp = padded(channel, window, 0)
        fmap, fwhere = [], []
        for i in range(out_h):
            row, rwhere = [], []
            for j in range(out_w):
                values = [(xp[r][s], r, s) for _, _, r, s in taps(window, i, j)]
                if layer.kind == "maxpool":
                    best = values[0]
                    for item in values[1:]:
                        if item[0] > best[0]:
                            best = item
                    row.append(rnd(best[0]))
                    rwhere.append((best[1] - top, best[2] - left))
                else:
                    total = sum((v for v, _, _ in values), 0)
                    mean = total / count if isinstance(total, float) else Fraction(total, count)
                    row.append(rnd(tidy(mean)))
            fmap.append(row)
            fwhere.append(rwhere)
        out.append(fmap)
        where.append(fwhere)
    return out, where


def forward(net: ConvNet, carry: int | None = None) -> list[LayerRecord]:
    """Run every layer; the records hold each layer's input and output."""
    rnd = rounder(carry)
    x = to_exact(net.input)
    records = []
    for layer in net.layers:
        if isinstance(layer, ConvLayer):
            records.append(LayerRecord(layer, x, conv_forward(x, layer, rnd)))
        elif isinstance(layer, PoolLayer):
            out, where = pool_forward(x, layer, rnd)
            records.append(LayerRecord(layer, x, out, where))
        else:
            out = [
                [[rnd(activate(layer.name, layer.alpha, v)) for v in row] for row in m] for m in x
            ]
            records.append(LayerRecord(layer, x, out))
        x = records[-1].output
    return records


# --- backward ---------------------------------------------------------------------------------


def zeros(c: int, h: int, w: int) -> Channels:
    return [[[0] * w for _ in range(h)] for _ in range(c)]


def conv_backward(record: LayerRecord, grad: Channels, rnd: Round) -> None:
    """∂L/∂b = Σ ∂L/∂y; ∂L/∂K = correlation of the input with ∂L/∂y; ∂L/∂x = full convolution with the flipped kernel."""
    layer = record.layer
    assert isinstance(layer, ConvLayer)
    window = layer.window
    x = record.input
    c_in, height, width = len(x), len(x[0]), len(x[0][0])
    top, _, left, _ = window.padding
    xp = [padded(m, window) for m in x]
    kh, kw = window.size
    grad_bias: list[Num] = []
    grad_kernel: list[Channels] = []
    grad_xp = [[[0] * len(xp[0][0]) for _ in xp[0]] for _ in range(c_in)]
    for f, kernel in enumerate(layer.kernels):
        k = to_exact(used_kernel(kernel, layer.flip))
        g = grad[f]
        grad_bias.append(rnd(tidy(sum((v for row in g for v in row), 0))))
        gw = [[[0] * kw for _ in range(kh)] for _ in range(c_in)]
        for i, row in enumerate(g):
            for j, gij in enumerate(row):
                if gij == 0:
                    continue
                for u, v, r, s in taps(window, i, j):
                    for c in range(c_in):
                        gw[c][u][v] += gij * xp[c][r][s]
                        grad_xp[c][r][s] += gij * k[c][u][v]
        written = [[[0] * kw for _ in range(kh)] for _ in range(c_in)]
        for c in range(c_in):
            for u in range(kh):
                for v in range(kw):
                    a, b = flipped_index(layer, u, v)
                    written[c][a][b] = rnd(tidy(gw[c][u][v]))
        grad_kernel.append(written)
    record.grad_bias = grad_bias
    record.grad_kernel = grad_kernel
    record.grad_input = [
        [[rnd(tidy(grad_xp[c][top + p][left + q])) for q in range(width)] for p in range(height)]
        for c in range(c_in)
    ]


def pool_backward(record: LayerRecord, grad: Channels, rnd: Round) -> None:
    """Max: each gradient to its window's argmax; average: shared equally over the window (÷ kh·kw)."""
    layer = record.layer
    assert isinstance(layer, PoolLayer)
    window = layer.window
    x = record.input
    c_in, height, width = len(x), len(x[0]), len(x[0][0])
    top, _, left, _ = window.padding
    count = window.size[0] * window.size[1]
    out = zeros(c_in, height, width)
    for c in range(c_in):
        for i, row in enumerate(grad[c]):
            for j, gij in enumerate(row):
                if layer.kind == "maxpool":
                    p, q = record.argmax[c][i][j]
                    out[c][p][q] += gij
                    continue
                share = gij / count if isinstance(gij, float) else Fraction(gij, 1) / count
                for _, _, r, s in taps(window, i, j):
                    if not is_padding(window, height, width, r, s):
                        out[c][r - top][s - left] += share
    record.grad_input = [[[rnd(tidy(v)) for v in row] for row in m] for m in out]


def backward(records: list[LayerRecord], grad_output: Tensor, carry: int | None = None) -> None:
    """Fill every record's ``grad_output``/``grad_input`` (and conv ``grad_kernel``/``grad_bias``), last layer first."""
    rnd = rounder(carry)
    grad = to_exact(grad_output)
    for record in reversed(records):
        record.grad_output = grad
        layer = record.layer
        if isinstance(layer, ConvLayer):
            conv_backward(record, grad, rnd)
        elif isinstance(layer, PoolLayer):
            pool_backward(record, grad, rnd)
        else:
            record.grad_input = [
                [
                    [
                        rnd(tidy(g * slope(layer.name, layer.alpha, n, o)))
                        for g, n, o in zip(grow, nrow, orow)
                    ]
                    for grow, nrow, orow in zip(gm, nm, om)
                ]
                for gm, nm, om in zip(grad, record.input, record.output)
            ]
        assert record.grad_input is not None
        grad = record.grad_input


def result(records: list[LayerRecord]) -> dict[str, Any]:
    """The contract's ``result``: each layer's type, output and (with a backward pass) gradients."""
    layers = []
    for record in records:
        entry: dict[str, Any] = {"type": record.layer.kind, "output": record.output}
        if isinstance(record.layer, ActivationLayer):
            entry["activation"] = record.layer.name
        if record.grad_input is not None:
            entry["grad_input"] = record.grad_input
        if record.grad_kernel is not None:
            entry["grad_kernel"] = record.grad_kernel
            entry["grad_bias"] = record.grad_bias
        layers.append(entry)
    return {"layers": layers, "output": records[-1].output}
