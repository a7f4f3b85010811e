"""Problem files for ``conv-shape``: an input size and a chain of layers.

Each layer is a one-key mapping such as ``conv: {filters: 96, kernel: 11, stride: 4}``.
Sizes may be one number (square) or an ``[h, w]`` pair; padding may also be ``same``
or ``valid``.  Shapes that cannot work (a kernel larger than the padded input, a pool
after ``flatten``) are refused here with the line of the layer.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from dlcalc.errors import InputError
from dlcalc.specs.common import Strict, to_whole
from dlcalc.specs.loader import Document, describe, field_path, suggest, validate
from dlcalc.specs.problem import Problem

MAX_LAYERS = 1000
MAX_SIZE = 10**9

Pair = tuple[int, int]


def _whole_at_least(low: int, what: str) -> Any:
    def check(value: Any) -> int:
        x = to_whole(value)
        if x < low or x > MAX_SIZE:
            raise ValueError(
                f"expected {what} (a whole number from {low} to {MAX_SIZE:,}), got {value!r}"
            )
        return x

    return check


def _pair(low: int, what: str) -> Any:
    """One whole number (used for height and width) or an ``[h, w]`` pair."""
    single = _whole_at_least(low, what)

    def check(value: Any) -> Pair:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(
                    f"expected {what} as one number or an [h, w] pair, got a list of {len(value)}"
                )
            return (single(value[0]), single(value[1]))
        if isinstance(value, str) and "x" in value.lower():  # 3x5 from the command line
            parts = value.lower().split("x")
            if len(parts) == 2:
                return (single(parts[0]), single(parts[1]))
        return (single(value), single(value))

    return check


def _padding(value: Any) -> Pair | str:
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        return value.strip().lower()
    if (
        isinstance(value, str)
        and not value.strip().lstrip("+-").replace("x", "").replace(".", "").isdigit()
    ):
        raise ValueError(f"expected a number, an [h, w] pair, same or valid; got {describe(value)}")
    return _pair(0, "a padding")(value)


Kernel = Annotated[Pair, BeforeValidator(_pair(1, "a kernel size"))]
Stride = Annotated[Pair, BeforeValidator(_pair(1, "a stride"))]
Dilation = Annotated[Pair, BeforeValidator(_pair(1, "a dilation"))]
OutputPadding = Annotated[Pair, BeforeValidator(_pair(0, "an output padding"))]
Padding = Annotated[Pair | str, BeforeValidator(_padding)]
Count = Annotated[int, BeforeValidator(_whole_at_least(1, "a count"))]


class Conv(Strict):
    """A 2-D convolution: ``filters`` kernels of ``kernel`` × ``kernel`` × input channels."""

    filters: Count
    kernel: Kernel
    stride: Stride = (1, 1)
    padding: Padding = (0, 0)
    dilation: Dilation = (1, 1)
    bias: bool = True


class ConvTranspose(Strict):
    """A transposed ("deconvolution") layer: the size formula of conv run backwards."""

    filters: Count
    kernel: Kernel
    stride: Stride = (1, 1)
    padding: Padding = (0, 0)
    output_padding: OutputPadding = (0, 0)
    dilation: Dilation = (1, 1)
    bias: bool = True


class Pool(Strict):
    """Max or average pooling; the stride defaults to the kernel (non-overlapping windows)."""

    kernel: Kernel
    stride: Stride | None = None
    padding: Padding = (0, 0)


class Nothing(Strict):
    """A layer without settings (flatten, global average pool)."""


class Dense(Strict):
    """A fully connected layer."""

    units: Count
    bias: bool = True


class Inception(Strict):
    """GoogLeNet's Inception module: four parallel branches, their outputs concatenated.

    The six numbers of the GoogLeNet table: 1×1 filters; 1×1 reductions before the 3×3 and
    its filters; 1×1 reductions before the 5×5 and its filters; the 1×1 projection after the
    3×3 max pool.  Every branch keeps H × W (stride 1, same padding).
    """

    conv1x1: Count
    reduce3x3: Count
    conv3x3: Count
    reduce5x5: Count
    conv5x5: Count
    pool_proj: Count
    bias: bool = True


KINDS: dict[str, type[Strict]] = {
    "conv": Conv,
    "conv_transpose": ConvTranspose,
    "maxpool": Pool,
    "avgpool": Pool,
    "global_avgpool": Nothing,
    "flatten": Nothing,
    "dense": Dense,
    "inception": Inception,
}
ALIASES = {
    "conv2d": "conv",
    "convolution": "conv",
    "deconv": "conv_transpose",
    "conv2d_transpose": "conv_transpose",
    "max_pool": "maxpool",
    "avg_pool": "avgpool",
    "average_pool": "avgpool",
    "global_average_pool": "global_avgpool",
    "global_avg_pool": "global_avgpool",
    "gap": "global_avgpool",
    "fc": "dense",
    "linear": "dense",
}


class ConvProblem(Problem):
    input: list[Any]
    layers: list[dict[str, Any]]


class Layer:
    """One validated layer: its kind (``conv``, ``maxpool`` …) and its settings."""

    def __init__(self, kind: str, settings: Strict, line: int | None = None) -> None:
        self.kind = kind
        self.settings = settings
        self.line = line

    def __repr__(self) -> str:
        return f"Layer({self.kind!r}, {self.settings!r})"


class ConvChain:
    """A validated conv-shape problem (``file`` names it in later error messages)."""

    def __init__(
        self,
        problem: ConvProblem,
        input_shape: list[int],
        layers: list[Layer],
        file: str | None = None,
    ) -> None:
        self.title = problem.title
        self.source = problem.source
        self.input_shape = input_shape
        self.layers = layers
        self.file = file


def load_conv(doc: Document) -> ConvChain:
    """Validate a conv-shape problem: the input size and every layer's settings."""
    problem = validate(ConvProblem, doc)

    def fail(message: str, *loc: str | int) -> InputError:
        return InputError(
            message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None
        )

    if len(problem.input) not in (1, 3):
        raise fail(
            f"expected [height, width, channels] (or [n] for a vector), got a list of {len(problem.input)}",
            "input",
        )
    shape = []
    for i, x in enumerate(problem.input):
        try:
            shape.append(_whole_at_least(1, "a size")(x))
        except ValueError as e:
            raise fail(str(e), "input", i) from None
    if not problem.layers:
        raise fail("expected at least one layer", "layers")
    if len(problem.layers) > MAX_LAYERS:
        raise fail(f"expected at most {MAX_LAYERS} layers", "layers")

    layers = []
    for i, item in enumerate(problem.layers):
        if len(item) != 1:
            raise fail(
                f"each layer is one key such as `conv: {{...}}`; this one has {len(item)} keys ({', '.join(map(str, item))})",
                "layers",
                i,
            )
        ((name, settings),) = item.items()
        key = str(name).strip().lower()
        key = ALIASES.get(key, key)
        if key not in KINDS:
            raise fail(
                f"unknown layer {name!r}{suggest(key, list(KINDS))}; expected one of {', '.join(KINDS)}",
                "layers",
                i,
                str(name),
            )
        sub = Document(
            settings if settings is not None else {},
            doc.name,
            doc.text,
            _sub_lines(doc, ("layers", i, name)),
        )
        try:
            model = validate(KINDS[key], sub)
        except InputError as e:
            e.field = field_path(("layers", i, str(name))) + ("." + e.field if e.field else "")
            e.line = e.line or doc.line_of(("layers", i, name))
            raise
        layers.append(Layer(key, model, doc.line_of(("layers", i))))
    return ConvChain(problem, shape, layers, doc.name)


def _sub_lines(doc: Document, prefix: tuple[str | int, ...]) -> dict[tuple[str | int, ...], int]:
    """The line table of ``doc`` below ``prefix``, re-rooted so a sub-model's errors keep their lines."""
    n = len(prefix)
    return {loc[n:]: line for loc, line in doc.lines.items() if loc[:n] == prefix and len(loc) > n}


# The short command-line form of a layer: KIND:FIRST:SECOND:… in this order per kind.
POSITIONS: dict[str, tuple[str, ...]] = {
    "conv": ("filters", "kernel", "stride", "padding", "dilation"),
    "conv_transpose": ("filters", "kernel", "stride", "padding", "output_padding"),
    "maxpool": ("kernel", "stride", "padding"),
    "avgpool": ("kernel", "stride", "padding"),
    "global_avgpool": (),
    "flatten": (),
    "dense": ("units",),
    "inception": ("conv1x1", "reduce3x3", "conv3x3", "reduce5x5", "conv5x5", "pool_proj"),
}


def layer_from_text(text: str, number: int) -> dict[str, dict[str, str]]:
    """``conv:96:11:4:0`` -> ``{"conv": {"filters": "96", "kernel": "11", "stride": "4", "padding": "0"}}``.

    The values stay text: the same model as for files validates them.
    """
    kind, *values = [part.strip() for part in text.split(":")]
    key = ALIASES.get(kind.lower(), kind.lower())
    where = f"--layer {number} ({text!r})"
    if key not in POSITIONS:
        raise InputError(
            f"unknown layer {kind!r}{suggest(key, list(POSITIONS))}; expected one of {', '.join(POSITIONS)}",
            field=where,
        )
    names = POSITIONS[key]
    if len(values) > len(names):
        form = ":".join([key, *(n.upper() for n in names)])
        raise InputError(f"too many values; expected {form} (later ones optional)", field=where)
    return {key: dict(zip(names, values))}
