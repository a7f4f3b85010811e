"""Problem files for ``conv``: the numbers of a convolution / pooling stack over a small image.

The input is a matrix (one channel) or a list of matrices (channels first).  Each layer
is a one-key mapping: ``conv`` (a kernel or several ``filters``, bias, stride, zero
padding, dilation, flip), ``activation`` (element-wise), ``maxpool`` and ``avgpool``.
Shapes are worked out here, layer by layer, so that every impossible problem (a kernel
larger than the padded input, a kernel with the wrong number of channels, a
``grad_output`` of the wrong shape) is refused with the file, line and field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator

from dlcalc import limits
from dlcalc.errors import InputError
from dlcalc.specs.common import Number, Strict, one_of, to_number
from dlcalc.specs.conv import Dilation, Kernel, Padding, Stride
from dlcalc.specs.loader import Document, describe, field_path, suggest, validate
from dlcalc.specs.problem import Problem

Loc = tuple[str | int, ...]
Tensor = list[list[list[float]]]  # channels first: [C][H][W]
Pair = tuple[int, int]

MAX_LAYERS = 50
MAX_CELLS = 40_000  # numbers in the input (all channels)
MAX_WORK = limits.MAX_CONV_WORK  # multiply-adds, weighted by decimals and the backward pass
ELEMENTWISE = (
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softplus",
    "linear",
)  # numerics' minus softmax
KINDS = ("conv", "activation", "maxpool", "avgpool")
ALIASES = {
    "conv2d": "conv",
    "convolution": "conv",
    "act": "activation",
    "max_pool": "maxpool",
    "maxpool2d": "maxpool",
    "avg_pool": "avgpool",
    "average_pool": "avgpool",
    "avgpool2d": "avgpool",
}


# --- the validated problem --------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Where a sliding window goes: kernel size, stride, zero padding (top, bottom, left, right), dilation."""

    size: Pair
    stride: Pair
    padding: tuple[int, int, int, int]
    dilation: Pair = (1, 1)
    padding_text: str = "0"  # as written: 1, [1, 2], same, valid

    @property
    def span(self) -> Pair:
        """The dilated kernel size d(k − 1) + 1 along each axis."""
        return (
            self.dilation[0] * (self.size[0] - 1) + 1,
            self.dilation[1] * (self.size[1] - 1) + 1,
        )

    def out_size(self, height: int, width: int) -> Pair:
        """⌊(H + P_top + P_bottom − d(k − 1) − 1)/S⌋ + 1 per axis."""
        top, bottom, left, right = self.padding
        span_h, span_w = self.span
        return (
            (height + top + bottom - span_h) // self.stride[0] + 1,
            (width + left + right - span_w) // self.stride[1] + 1,
        )


@dataclass(frozen=True)
class ConvLayer:
    """A convolution: one kernel ``[C_in][kh][kw]`` and one bias per filter."""

    kernels: list[Tensor]
    biases: list[float]
    window: Window
    flip: bool = False
    kind: str = "conv"
    gaussian: tuple[float, int] | None = None  # (σ, size): a kernel given as `gaussian:`


@dataclass(frozen=True)
class PoolLayer:
    """Max or average pooling over each channel."""

    kind: str  # maxpool | avgpool
    window: Window


@dataclass(frozen=True)
class ActivationLayer:
    """An element-wise activation (relu, sigmoid, tanh, leaky_relu, softplus, linear)."""

    name: str
    alpha: float = 0.01
    kind: str = "activation"


Layer = ConvLayer | PoolLayer | ActivationLayer


@dataclass
class ConvNet:
    """A validated ``conv`` problem; ``shapes[i]`` is the ``(C, H, W)`` of layer i's output."""

    input: Tensor
    layers: list[Layer]
    shapes: list[tuple[int, int, int]]
    grad_output: Tensor | None = None
    title: str | None = None
    source: str | None = None
    file: str | None = None
    lines: list[int | None] | None = None
    edges: bool = (
        False  # the last output's two channels are s_x and s_y: add magnitude and direction
    )


# --- models of the settings -------------------------------------------------------------------


class FilterSettings(Strict):
    kernel: Any
    bias: Number = 0.0


class ConvSettings(Strict):
    kernel: Any = None
    filters: list[Any] | None = None
    bias: Number | None = None
    stride: Stride = (1, 1)
    padding: Padding = (0, 0)
    dilation: Dilation = (1, 1)
    flip: bool = False


class PoolSettings(Strict):
    kernel: Kernel
    stride: Stride | None = None
    padding: Padding = (0, 0)


class ActivationSettings(Strict):
    name: Annotated[str, AfterValidator(one_of(ELEMENTWISE, "activation"))]
    alpha: Number = 0.01


class GaussianSettings(Strict):
    sigma: Number
    size: int = 3


class ConvProblemFile(Problem):
    input: Any
    layers: list[Any]
    grad_output: Any = None
    edges: bool = False


MAX_GAUSSIAN = 15  # sides of a Gaussian kernel written out entry by entry


def gaussian_kernel(sigma: float, size: int) -> list[list[float]]:
    """e^(−(u² + v²)/(2σ²)) at the offsets u, v = −r … r from the centre, divided by their sum."""
    r = size // 2
    g = [
        [math.exp(-(u * u + v * v) / (2 * sigma * sigma)) for v in range(-r, r + 1)]
        for u in range(-r, r + 1)
    ]
    total = math.fsum(x for row in g for x in row)
    return [[x / total for x in row] for row in g]


# --- loading ----------------------------------------------------------------------------------


class _Loader:
    """Validates one document; ``fail`` builds errors that name its file, line and field."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def fail(self, message: str, *loc: str | int) -> InputError:
        return InputError(
            message, file=self.doc.name, line=self.doc.line_of(loc), field=field_path(loc) or None
        )

    def matrix(self, value: Any, loc: Loc, what: str) -> list[list[float]]:
        """A rectangular list of rows of numbers; errors name the row and item."""
        if not isinstance(value, list) or not value:
            raise self.fail(f"expected {what} as a list of rows, got {describe(value)}", *loc)
        rows: list[list[float]] = []
        for i, row in enumerate(value):
            if not isinstance(row, list) or not row:
                raise self.fail(
                    f"row {i}: expected a list of numbers, got {describe(row)}", *loc, i
                )
            out = []
            for j, x in enumerate(row):
                try:
                    out.append(to_number(x))
                except ValueError as e:
                    raise self.fail(f"row {i}, item {j}: {e}", *loc, i, j) from None
            rows.append(out)
        widths = [len(r) for r in rows]
        if len(set(widths)) > 1:
            bad = next(i for i, w in enumerate(widths) if w != widths[0])
            raise self.fail(
                f"row {bad} has {widths[bad]} number{'s' if widths[bad] != 1 else ''} but row 0 has {widths[0]}; "
                f"expected {what} with rows of equal length",
                *loc,
                bad,
            )
        return rows

    def tensor(self, value: Any, loc: Loc, what: str) -> Tensor:
        """A matrix (one channel) or a list of equally sized matrices (channels first)."""
        if not isinstance(value, list) or not value:
            raise self.fail(
                f"expected {what}: a matrix (one channel) or a list of matrices, got {describe(value)}",
                *loc,
            )
        first = value[0]
        deep = isinstance(first, list) and bool(first) and isinstance(first[0], list)
        if not deep:
            return [self.matrix(value, loc, what)]
        channels = []
        for c, m in enumerate(value):
            if not (isinstance(m, list) and m and isinstance(m[0], list)):
                raise self.fail(
                    f"channel {c}: expected a matrix like channel 0, got {describe(m)}", *loc, c
                )
            channels.append(self.matrix(m, (*loc, c), what))
        size = (len(channels[0]), len(channels[0][0]))
        for c, m in enumerate(channels):
            if (len(m), len(m[0])) != size:
                raise self.fail(
                    f"channel {c} is {len(m)}×{len(m[0])} but channel 0 is {size[0]}×{size[1]}; "
                    "expected channels of one size",
                    *loc,
                    c,
                )
        return channels

    def settings(self, model: type[Strict], value: Any, loc: Loc) -> Any:
        sub = Document(
            value if value is not None else {},
            self.doc.name,
            self.doc.text,
            {k[len(loc) :]: v for k, v in self.doc.lines.items() if k[: len(loc)] == loc},
        )
        try:
            return validate(model, sub)
        except InputError as e:
            e.field = field_path(loc) + ("." + e.field if e.field else "")
            e.line = e.line or self.doc.line_of(loc)
            raise

    def window(
        self,
        size: Pair,
        stride: Pair,
        padding: Pair | str,
        dilation: Pair,
        shape: tuple[int, int, int],
        loc: Loc,
        pool: bool,
    ) -> Window:
        """Resolve ``same``/``valid`` and check that the kernel fits the padded input."""
        _, height, width = shape
        if padding == "valid":
            pads, text = (0, 0, 0, 0), "valid"
        elif padding == "same":
            if stride != (1, 1):
                raise self.fail(
                    f"same padding needs stride 1 (the output keeps the input size); the stride is "
                    f"{stride[0]}×{stride[1]}: give the padding as a number",
                    *loc,
                    "padding",
                )
            total_h = dilation[0] * (size[0] - 1)
            total_w = dilation[1] * (size[1] - 1)
            pads = (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
            text = "same"
        else:
            assert isinstance(padding, tuple)
            pads = (padding[0], padding[0], padding[1], padding[1])
            text = str(padding[0]) if padding[0] == padding[1] else f"[{padding[0]}, {padding[1]}]"
        window = Window(size, stride, pads, dilation, text)
        span_h, span_w = window.span
        padded = (height + pads[0] + pads[1], width + pads[2] + pads[3])
        if span_h > padded[0] or span_w > padded[1]:
            dilated = f" (dilated to {span_h}×{span_w})" if dilation != (1, 1) else ""
            raise self.fail(
                f"the kernel {size[0]}×{size[1]}{dilated} is larger than its padded input "
                f"{padded[0]}×{padded[1]}; expected a kernel that fits",
                *loc,
                "kernel",
            )
        if (
            pool
            and text not in ("same", "valid")
            and (2 * pads[0] > size[0] or 2 * pads[2] > size[1])
        ):
            raise self.fail(
                f"padding {text} is more than half the pooling window {size[0]}×{size[1]}; "
                "a window could hold padding only (PyTorch refuses this too)",
                *loc,
                "padding",
            )
        return window

    def conv(self, value: Any, loc: Loc, shape: tuple[int, int, int]) -> ConvLayer:
        s = self.settings(ConvSettings, value, loc)
        if (s.kernel is None) == (s.filters is None):
            raise self.fail(
                "expected either `kernel:` (one filter) or `filters:` (a list of {kernel, bias})"
                + (", not both" if s.kernel is not None else ""),
                *loc,
            )
        if s.filters is not None and s.bias is not None:
            raise self.fail(
                "with `filters:`, give each filter its own bias ({kernel: ..., bias: ...})",
                *loc,
                "bias",
            )
        kernels: list[Tensor] = []
        biases: list[float] = []
        gaussian = None
        if isinstance(s.kernel, dict) and "gaussian" in s.kernel:
            gaussian = self.gaussian(s.kernel, (*loc, "kernel"), shape)
            kernels.append([gaussian_kernel(*gaussian)])
            biases.append(s.bias or 0.0)
            where: list[Loc] = [(*loc, "kernel")]
        elif s.kernel is not None:
            kernels.append(self.tensor(s.kernel, (*loc, "kernel"), "a kernel"))
            biases.append(s.bias or 0.0)
            where = [(*loc, "kernel")]
        else:
            if not s.filters:
                raise self.fail("expected at least one filter", *loc, "filters")
            where = []
            for f, item in enumerate(s.filters):
                floc = (*loc, "filters", f)
                fs = self.settings(FilterSettings, item, floc)
                kernels.append(self.tensor(fs.kernel, (*floc, "kernel"), "a kernel"))
                biases.append(fs.bias)
                where.append((*floc, "kernel"))
        c_in = shape[0]
        size = (len(kernels[0][0]), len(kernels[0][0][0]))
        for f, (k, kloc) in enumerate(zip(kernels, where)):
            if len(k) != c_in:
                raise self.fail(
                    f"the kernel has {len(k)} channel{'s' if len(k) != 1 else ''} but its input has "
                    f"{c_in}; expected one matrix per input channel",
                    *kloc,
                )
            if (len(k[0]), len(k[0][0])) != size:
                raise self.fail(
                    f"filter {f} is {len(k[0])}×{len(k[0][0])} but filter 0 is {size[0]}×{size[1]}; "
                    "expected filters of one size",
                    *kloc,
                )
        window = self.window(size, s.stride, s.padding, s.dilation, shape, loc, pool=False)
        return ConvLayer(kernels, biases, window, s.flip, gaussian=gaussian)

    def gaussian(
        self, value: dict[str, Any], loc: Loc, shape: tuple[int, int, int]
    ) -> tuple[float, int]:
        """``{gaussian: {sigma: 1, size: 3}}``: σ > 0 and an odd size, over one input channel."""
        if len(value) != 1:
            raise self.fail("expected `kernel: {gaussian: {sigma: ..., size: ...}}` alone", *loc)
        g = self.settings(GaussianSettings, value["gaussian"], (*loc, "gaussian"))
        if not 0.01 <= g.sigma <= 1000:
            raise self.fail(
                f"expected sigma from 0.01 to 1000 pixels, got {g.sigma:g}",
                *loc,
                "gaussian",
                "sigma",
            )
        if g.size < 1 or g.size % 2 == 0 or g.size > MAX_GAUSSIAN:
            raise self.fail(
                f"expected an odd size from 1 to {MAX_GAUSSIAN} (the kernel has a centre), got {g.size}",
                *loc,
                "gaussian",
                "size",
            )
        if shape[0] != 1:
            raise self.fail(
                f"a Gaussian kernel blurs one channel; the input has {shape[0]}", *loc, "gaussian"
            )
        return (g.sigma, g.size)

    def pool(self, kind: str, value: Any, loc: Loc, shape: tuple[int, int, int]) -> PoolLayer:
        s = self.settings(PoolSettings, value, loc)
        stride = s.stride or s.kernel
        return PoolLayer(
            kind, self.window(s.kernel, stride, s.padding, (1, 1), shape, loc, pool=True)
        )

    def activation(self, value: Any, loc: Loc) -> ActivationLayer:
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict):
            raise self.fail(
                f"expected an activation name such as relu, got {describe(value)}", *loc
            )
        s = self.settings(ActivationSettings, value, loc)
        return ActivationLayer(s.name, s.alpha)


def load_convolution(doc: Document) -> ConvNet:
    """Validate a ``conv`` problem: the input, every layer (with its shape) and grad_output."""
    problem = validate(ConvProblemFile, doc)
    loader = _Loader(doc)
    if problem.command is not None and problem.command.strip().lower() != "conv":
        raise loader.fail(
            f"this file is a problem for `dlcalc {problem.command.strip()}`, not `dlcalc conv`; "
            f"run dlcalc {problem.command.strip()} on it",
            "command",
        )
    x = loader.tensor(problem.input, ("input",), "an input")
    if sum(len(m) * len(m[0]) for m in x) > MAX_CELLS:
        raise loader.fail(f"expected at most {MAX_CELLS:,} numbers in the input", "input")
    if not problem.layers:
        raise loader.fail("expected at least one layer", "layers")
    if len(problem.layers) > MAX_LAYERS:
        raise loader.fail(f"expected at most {MAX_LAYERS} layers", "layers")
    shape = (len(x), len(x[0]), len(x[0][0]))
    layers: list[Layer] = []
    shapes: list[tuple[int, int, int]] = []
    lines: list[int | None] = []
    work = 0
    macs: list[int] = []  # each convolution's multiply-adds
    cells = sum(len(m) * len(m[0]) for m in x)  # every map worked out, cell by cell
    for i, item in enumerate(problem.layers):
        if not isinstance(item, dict) or len(item) != 1:
            got = f"{len(item)} keys" if isinstance(item, dict) else describe(item)
            raise loader.fail(
                f"each layer is one key such as `conv: {{kernel: ...}}` or `activation: relu`; got {got}",
                "layers",
                i,
            )
        ((name, value),) = item.items()
        key = str(name).strip().lower()
        key = ALIASES.get(key, key)
        loc: Loc = ("layers", i, name)
        layer: Layer
        if key == "conv":
            layer = loader.conv(value, loc, shape)
            out_h, out_w = layer.window.out_size(shape[1], shape[2])
            top, bottom, left, right = layer.window.padding
            padded = shape[0] * (shape[1] + top + bottom) * (shape[2] + left + right)
            size = cells + padded + len(layer.kernels) * out_h * out_w
            _check_cells(loader, size, loc, padded, shape[0] * shape[1] * shape[2])
            cells += padded + len(layer.kernels) * out_h * out_w
            macs.append(
                len(layer.kernels)
                * shape[0]
                * layer.window.size[0]
                * layer.window.size[1]
                * out_h
                * out_w
            )
            work += macs[-1]
            shape = (len(layer.kernels), out_h, out_w)
        elif key in ("maxpool", "avgpool"):
            layer = loader.pool(key, value, loc, shape)
            out_h, out_w = layer.window.out_size(shape[1], shape[2])
            top, bottom, left, right = layer.window.padding
            padded = shape[0] * (shape[1] + top + bottom) * (shape[2] + left + right)
            size = cells + padded + shape[0] * out_h * out_w
            _check_cells(loader, size, loc, padded, shape[0] * shape[1] * shape[2])
            cells += padded + shape[0] * out_h * out_w
            work += shape[0] * layer.window.size[0] * layer.window.size[1] * out_h * out_w
            shape = (shape[0], out_h, out_w)
        elif key == "activation":
            layer = loader.activation(value, loc)
        elif key in ELEMENTWISE:  # `- relu: {}` is read as `- activation: relu`
            extra = value if isinstance(value, dict) else {}
            if value is not None and not isinstance(value, dict):
                raise loader.fail(
                    f"expected settings such as {{alpha: 0.1}}, got {describe(value)}", *loc
                )
            layer = loader.activation({"name": key, **extra}, loc)
        else:
            raise loader.fail(
                f"unknown layer {name!r}{suggest(key, KINDS)}; expected one of {', '.join(KINDS)}",
                *loc,
            )
        if work > MAX_WORK:
            raise loader.fail(
                f"the layers need more than {MAX_WORK:,} multiply-adds; expected a problem "
                "small enough to work by hand",
                *loc,
            )
        layers.append(layer)
        shapes.append(shape)
        lines.append(doc.line_of(("layers", i)))
    grad = None
    if problem.grad_output is not None:
        grad = loader.tensor(problem.grad_output, ("grad_output",), "grad_output")
        grad_shape = (len(grad), len(grad[0]), len(grad[0][0]))
        if grad_shape != shape:
            raise loader.fail(
                f"grad_output is {_shape(grad_shape)} but the last layer's output is {_shape(shape)}; "
                "expected ∂L/∂output of the same shape",
                "grad_output",
            )
        _check_cells(loader, 2 * cells, ("grad_output",), 0)
    _check_exact_work(loader, x, layers, grad, macs)
    if problem.edges and shape[0] != 2:
        raise loader.fail(
            f"edges: true reads the last output as two edge maps s_x and s_y (a conv with two "
            f"filters, e.g. Sobel x and y); it has {shape[0]} channel{'s' if shape[0] != 1 else ''}",
            "edges",
        )
    return ConvNet(
        x, layers, shapes, grad, problem.title, problem.source, doc.name, lines, problem.edges
    )


def _check_cells(loader: _Loader, cells: int, loc: Loc, padded: int, unpadded: int = 0) -> None:
    """Refuse a problem whose maps (padded inputs and outputs) have too many cells to work
    out and draw; the message names the padding when the padding makes most of them."""
    if cells <= limits.MAX_CONV_CELLS:
        return
    if padded > 2 * unpadded > 0:
        loc = (*loc, "padding")
    raise loader.fail(
        f"the maps to work out (padded inputs and outputs, every channel) have {cells:,} cells, "
        f"over the limit of {limits.MAX_CONV_CELLS:,}; use less padding or a smaller input",
        *loc,
    )


def _decimals(value: float) -> int:
    """How many decimals ``value`` is written with (the digits of its exact denominator)."""
    if value == int(value):
        return 0
    text = repr(float(value))
    if "e" not in text:
        return len(text.split(".")[1])
    from fractions import Fraction

    return len(str(Fraction(text).denominator)) - 1


def _check_exact_work(
    loader: _Loader, x: Tensor, layers: list[Layer], grad: Tensor | None, macs: list[int]
) -> None:
    """Refuse an exact run whose multiply-adds, weighted by the decimals of its numbers, are
    too many: fractions grow layer by layer (each convolution multiplies the denominators),
    and the backward pass costs two more passes."""
    numbers = [v for m in x for row in m for v in row]
    for layer in layers:
        if isinstance(layer, ConvLayer):
            numbers += [v for k in layer.kernels for m in k for row in m for v in row]
            numbers += layer.biases
    if grad is not None:
        numbers += [v for m in grad for row in m for v in row]
    decimals = max((_decimals(v) for v in numbers), default=0)
    cost = sum(n * (1 + limits.CONV_DECIMAL_COST * decimals * (k + 1)) for k, n in enumerate(macs))
    if grad is not None:
        cost *= limits.CONV_BACKWARD_COST
    if cost > MAX_WORK:
        raise loader.fail(
            f"this problem needs about {int(cost):,} units of exact work (multiply-adds, weighted "
            f"by the {decimals} decimals its numbers are written with"
            + (" and by the backward pass" if grad is not None else "")
            + f"), over the limit of {MAX_WORK:,}; use fewer decimals, channels, layers or cells",
            "layers",
        )


def _shape(shape: tuple[int, int, int]) -> str:
    c, h, w = shape
    return f"{h}×{w}" if c == 1 else f"{c} channels of {h}×{w}"


# --- the command line -------------------------------------------------------------------------


def matrix_text(text: str, option: str) -> list[Any]:
    """``"0 1 2; 3 4 5"`` → rows (numbers by spaces or commas, rows by ``;``, channels by ``|``); values stay text."""
    channels = []
    for part in text.split("|"):
        rows = [row.replace(",", " ").split() for row in part.split(";")]
        rows = [row for row in rows if row]
        if not rows:
            raise InputError(f'expected numbers such as "0 1; 2 3", got {text!r}', field=option)
        channels.append(rows)
    return channels[0] if len(channels) == 1 else channels


def settings_from_options(
    input_text: str | None,
    kernel: str | None,
    bias: str | None,
    stride: str | None,
    padding: str | None,
    dilation: str | None,
    flip: bool,
) -> dict[str, Any]:
    """The problem mapping of ``--input ... --kernel ...``: one conv layer, validated like a file."""
    if input_text is None or kernel is None:
        raise InputError(
            'give both --input and --kernel, e.g. --input "0 1 2; 3 4 5; 6 7 8" --kernel "0 1; 2 3"',
            field="--input" if input_text is None else "--kernel",
        )
    conv: dict[str, Any] = {"kernel": matrix_text(kernel, "--kernel"), "flip": flip}
    for key, value in (
        ("bias", bias),
        ("stride", stride),
        ("padding", padding),
        ("dilation", dilation),
    ):
        if value is not None:
            conv[key] = value
    return {"input": matrix_text(input_text, "--input"), "layers": [{"conv": conv}]}
