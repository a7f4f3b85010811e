"""Output sizes, parameters, multiply–accumulates and receptive fields of a CNN, layer by layer.

Sizes follow the formula every deep-learning course writes on the board,
``(W − F + 2P)/S + 1``, floored when it is not whole (as PyTorch and Keras do).
Each layer gets its own section; a summary table and the totals close the solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dlcalc.errors import InputError
from dlcalc.model.formula import ONE, TWO, Mul, Name, Node, Num, Q, call, q, total
from dlcalc.model.steps import Section, Solution, Step, Table
from dlcalc.specs.conv import (
    MAX_SIZE,
    Conv,
    ConvChain,
    ConvTranspose,
    Dense,
    Inception,
    Layer,
    Pool,
)

AXES = ("H", "W")


def _name(label: str) -> Name:
    """``H_1`` is H with the label 1, ``F_eff_2`` is F_eff with 2, ``total_params`` is total with params."""
    base, _, sub = label.rpartition("_")
    return Name(base, sub, label_sub=True) if base else Name(label)


def _q(label: str, value: int) -> Q:
    """A quantity named by its label (``H_0``, ``K_1``, ``jump_2``)."""
    return q(label, value, _name(label))


def _dot(*factors: Node) -> Node:
    """A product written with ·, as the board writes sizes and counts (F·F·C·K)."""
    return Mul(tuple(factors), "·")


def _step(label: str, value: int, expr: Node, note: str | None = None) -> Step:
    return Step(label, value, name=_name(label), expr=expr, note=note)


@dataclass
class AxisResult:
    """One axis (height or width) of a layer's output size and its formula."""

    out: int
    expr: Node
    note: str | None = None


def _fail(chain: ConvChain, layer: Layer, index: int, key: str, message: str) -> InputError:
    return InputError(
        message, file=chain.file, line=layer.line, field=f"layers[{index}].{layer.kind}.{key}"
    )


def conv_axis(
    size: int, kernel: int, stride: int, pad: int | str, dilation: int, i: int, axis: str
) -> AxisResult:
    """``⌊(W − F + 2P)/S⌋ + 1`` with the effective kernel ``D·(F − 1) + 1``; ``same`` gives ``⌈W/S⌉``."""
    size_q = _q(f"{axis}_{i - 1}", size)
    s_q = _q(f"S_{i}", stride)
    f_eff = dilation * (kernel - 1) + 1
    if pad == "same":
        # The padding that keeps the output at ⌈W/S⌉, shown in the usual formula with its P.
        out = -(-size // stride)
        total = max((out - 1) * stride + f_eff - size, 0)
        lines = "rows" if axis == "H" else "columns"
        f_shown = _q(f"F_{i}" if dilation == 1 else f"F_eff_{i}", f_eff)
        note: str | None
        if total % 2 == 0:
            note = (
                f"same padding: P = {total // 2} on each side keeps the output at "
                f"⌈{axis}/S⌉ = ⌈{size}/{stride}⌉ = {out}"
            )
            padded = size_q - f_shown + _dot(TWO, _q(f"P_{i}", total // 2))
            return AxisResult(out, _floored(padded, s_q), note)
        note = (
            f"same padding: {total} {lines} in total, {total // 2} before and {total - total // 2} "
            f"after (the extra one after, as TensorFlow does), keep the output at "
            f"⌈{axis}/S⌉ = ⌈{size}/{stride}⌉ = {out}"
        )
        padded = size_q - f_shown + _q(f"P_total_{i}", total)
        return AxisResult(out, _floored(padded, s_q), note)
    p = 0 if pad == "valid" else int(pad)
    f_q = _q(f"F_{i}", f_eff if dilation == 1 else kernel)
    span = f_q if dilation == 1 else _dot(_q(f"D_{i}", dilation), f_q - ONE) + ONE
    numerator = size - f_eff + 2 * p
    out = numerator // stride + 1
    note = None
    if numerator % stride:
        note = f"{numerator}/{stride} = {numerator / stride:g} is not whole: floored to {numerator // stride} (as PyTorch and Keras do)"
    padded = size_q - span + _dot(TWO, _q(f"P_{i}", p))
    return AxisResult(out, _floored(padded, s_q), note)


def _floored(padded: Node, stride: Q) -> Node:
    """``⌊padded/S⌋ + 1``, the floor written only where the quotient is not whole (as on the board)."""
    return call("floor_quiet", padded / stride) + ONE


def transpose_axis(
    size: int,
    kernel: int,
    stride: int,
    pad: int | str,
    out_pad: int,
    dilation: int,
    i: int,
    axis: str,
) -> AxisResult:
    """``(W − 1)·S − 2P + D·(F − 1) + OP + 1`` (PyTorch's ConvTranspose2d); ``same`` gives ``W·S``."""
    size_q, s_q = _q(f"{axis}_{i - 1}", size), _q(f"S_{i}", stride)
    if pad == "same":
        return AxisResult(
            size * stride,
            _dot(size_q, s_q),
            "same padding: the output is the input size times the stride",
        )
    p = 0 if pad == "valid" else int(pad)
    out = (size - 1) * stride - 2 * p + dilation * (kernel - 1) + out_pad + 1
    f_q = _q(f"F_{i}", kernel)
    spread = _dot(size_q - ONE, s_q) - _dot(TWO, _q(f"P_{i}", p))
    if dilation == 1 and out_pad == 0:
        return AxisResult(out, spread + f_q)
    dilated = _dot(_q(f"D_{i}", dilation), f_q - ONE)
    return AxisResult(out, spread + dilated + _q(f"OP_{i}", out_pad) + ONE)


@dataclass
class Field:
    """Receptive field and jump (distance in input pixels between neighbouring outputs) per axis."""

    rf: list[int]
    jump: list[int]


def _pair_text(pair: tuple[int, int], sep: str = "×") -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}{sep}{pair[1]}"


def _pad_text(pad: tuple[int, int] | str) -> str:
    return pad if isinstance(pad, str) else _pair_text(pad, ", ")


def describe(layer: Layer) -> str:
    """``conv: 96 filters 11×11, stride 4, padding 0`` — the layer as the slides write it."""
    s = layer.settings
    if isinstance(s, (Conv, ConvTranspose)):
        text = f"{layer.kind}: {s.filters} {'filter' if s.filters == 1 else 'filters'} {s.kernel[0]}×{s.kernel[1]}, stride {_pair_text(s.stride)}, padding {_pad_text(s.padding)}"
        if s.dilation != (1, 1):
            text += f", dilation {_pair_text(s.dilation)}"
        if isinstance(s, ConvTranspose) and s.output_padding != (0, 0):
            text += f", output padding {_pair_text(s.output_padding)}"
        return text + ("" if s.bias else ", no bias")
    if isinstance(s, Pool):
        stride = s.stride or s.kernel
        return f"{layer.kind}: {s.kernel[0]}×{s.kernel[1]}, stride {_pair_text(stride)}, padding {_pad_text(s.padding)}"
    if isinstance(s, Dense):
        return f"dense: {s.units} units" + ("" if s.bias else ", no bias")
    if isinstance(s, Inception):
        return (
            f"inception: 1×1 {s.conv1x1}; 1×1 {s.reduce3x3} → 3×3 {s.conv3x3}; "
            f"1×1 {s.reduce5x5} → 5×5 {s.conv5x5}; 3×3 max pool → 1×1 {s.pool_proj}"
        )
    return {"global_avgpool": "global average pool", "flatten": "flatten"}[layer.kind]


def shape_text(shape: list[int]) -> str:
    return " × ".join(f"{x:,}" for x in shape)


@dataclass
class LayerOutcome:
    """What one layer adds to the walk: parameters, MACs, output shape and receptive field."""

    params: int
    macs: int
    shape: list[int]
    rf: int | list[int] | None = None
    branches: dict[str, dict[str, int]] | None = None


def solve_conv_shape(chain: ConvChain) -> Solution:
    """Walk the chain: every layer's output size, parameters, MACs and receptive field."""
    shape = list(chain.input_shape)
    field_: Field | None = Field([1, 1], [1, 1])
    sections = [_introduction(shape)]
    layer_results: list[dict[str, object]] = []
    summary: list[list[object]] = []
    notes: list[str] = []
    param_qs: list[Q] = []
    mac_qs: list[Q] = []

    for index, layer in enumerate(chain.layers):
        i = index + 1
        section = Section(f"Layer {i} · {describe(layer)}")
        _check_image_input(chain, layer, index, shape)
        outcome = _solve_layer(chain, layer, index, section, shape, field_, notes)
        shape = outcome.shape
        if layer.kind in ("conv_transpose", "flatten", "dense", "global_avgpool"):
            field_ = None
        if layer.kind != "global_avgpool":
            section.add(Step(f"shape_{i}", list(shape)))
        sections.append(section)
        if outcome.params:
            param_qs.append(_q(f"params_{i}", outcome.params))
        if outcome.macs:
            mac_qs.append(_q(f"MACs_{i}", int(outcome.macs)))
        layer_results.append(_layer_record(layer, outcome))
        summary.append(
            [
                i,
                describe(layer).split(":")[0],
                shape_text(shape),
                outcome.params,
                int(outcome.macs),
                _rf_text(outcome.rf),
            ]
        )

    total_params = sum(int(r["params"]) for r in layer_results)  # type: ignore[call-overload]
    total_macs = sum(int(r["macs"]) for r in layer_results)  # type: ignore[call-overload]
    sections.append(_totals(summary, shape, total_params, total_macs, param_qs, mac_qs))
    return Solution(
        command="conv-shape",
        sections=sections,
        result={
            "layers": layer_results,
            "output": list(shape),
            "total_params": total_params,
            "total_macs": total_macs,
        },
        title=chain.title,
        source=chain.source,
        notes=notes,
    )


def _totals(
    summary: list[list[object]],
    shape: list[int],
    total_params: int,
    total_macs: int,
    param_qs: list[Q],
    mac_qs: list[Q],
) -> Section:
    """The summary table of every layer and the sums of parameters and MACs."""
    totals = Section("Totals")
    totals.add(
        Table(
            ["#", "layer", "output", "params", "MACs", "receptive field"],
            [*summary, ["", "total", shape_text(shape), total_params, total_macs, ""]],
        )
    )
    totals.add(_sum_step("total_params", total_params, param_qs))
    totals.add(_sum_step("total_MACs", total_macs, mac_qs))
    return totals


def _introduction(shape: list[int]) -> Section:
    """The input's size and what each quantity in the layers' sections means."""
    start = Section(f"Input: {shape_text(shape)}")
    start.add(
        "Sizes are H × W × C (height, width, channels).  Output size of conv and pool layers: "
        "(W − F + 2P)/S + 1 with kernel F, padding P and stride S; floored when not whole.  "
        "Parameters: F·F·C_in·K weights plus K biases (conv), N_in·N_out + N_out (dense).  "
        "MACs: multiply–accumulates, one per weight per output position.  "
        "RF: receptive field, the input pixels per side one output value sees; "
        "jump: input pixels between neighbouring outputs."
    )
    return start


def _check_image_input(chain: ConvChain, layer: Layer, index: int, shape: list[int]) -> None:
    """Layers that slide over H × W need an image, not the vector a flatten or dense leaves."""
    if (
        layer.kind
        in ("conv", "conv_transpose", "maxpool", "avgpool", "global_avgpool", "inception")
        and len(shape) != 3
    ):
        raise InputError(
            f"a {layer.kind} layer needs an H × W × C input, but its input is a vector of {shape[0]:,} (after flatten or dense)",
            file=chain.file,
            line=layer.line,
            field=f"layers[{index}]",
        )


def _solve_layer(
    chain: ConvChain,
    layer: Layer,
    index: int,
    section: Section,
    shape: list[int],
    field_: Field | None,
    notes: list[str],
) -> LayerOutcome:
    """One layer's steps, written into its section, by the layer's kind."""
    i = index + 1
    s = layer.settings
    if isinstance(s, (Conv, ConvTranspose, Pool)):
        return _sliding_layer(chain, layer, s, index, section, shape, field_, notes)
    if isinstance(s, Inception):
        params, macs, out_shape, branches = _inception(section, s, shape, i)
        rf: int | list[int] | None = None
        if field_ is not None:
            section.add("The widest branch, the 5×5 convolution, sets the receptive field.")
            rf = _receptive(section, field_, i, [5, 5], [1, 1])
        return LayerOutcome(params, macs, out_shape, rf, branches)
    if layer.kind == "global_avgpool":
        return _global_avgpool(section, shape, i)
    if layer.kind == "flatten":
        return _flatten(section, shape, i)
    if isinstance(s, Dense):
        return _dense(section, s, shape, i)
    return LayerOutcome(0, 0, shape)


def _layer_record(layer: Layer, outcome: LayerOutcome) -> dict[str, object]:
    """The layer's entry in the JSON result."""
    record: dict[str, object] = {
        "type": layer.kind,
        "output": list(outcome.shape),
        "params": outcome.params,
        "macs": int(outcome.macs),
        "receptive_field": outcome.rf,
    }
    if outcome.branches is not None:
        record["branches"] = outcome.branches
    return record


def _sliding_layer(
    chain: ConvChain,
    layer: Layer,
    s: Conv | ConvTranspose | Pool,
    index: int,
    section: Section,
    shape: list[int],
    field_: Field | None,
    notes: list[str],
) -> LayerOutcome:
    """A conv, transposed conv or pooling layer: output size, weights and receptive field."""
    i = index + 1
    h_in, w_in, c_in = shape
    kernel = s.kernel
    if isinstance(s, Pool):
        stride = s.stride or s.kernel
        dilation = (1, 1)
    else:
        stride, dilation = s.stride, s.dilation
    pad = s.padding
    pads: list[int | str] = [pad, pad] if isinstance(pad, str) else list(pad)
    results = []
    for a, size in enumerate((h_in, w_in)):
        if isinstance(s, ConvTranspose):
            out_pad = s.output_padding[a]
            r = _checked_transpose_axis(
                chain, layer, index, a, size, kernel[a], stride[a], pads[a], out_pad, dilation[a]
            )
        else:
            r = _checked_conv_axis(
                chain, layer, index, a, size, kernel[a], stride[a], pads[a], dilation[a]
            )
        results.append(r)
    c_out = s.filters if isinstance(s, (Conv, ConvTranspose)) else c_in
    same_axes = (
        h_in == w_in
        and kernel[0] == kernel[1]
        and stride[0] == stride[1]
        and pads[0] == pads[1]
        and dilation[0] == dilation[1]
    )
    _size_steps(section, i, results, same_axes, notes)
    out_shape = [results[0].out, results[1].out, c_out]
    params = 0
    macs = 0
    if isinstance(s, (Conv, ConvTranspose)):
        params, macs = _weight_steps(section, s, i, shape, out_shape)
    else:
        section.add(Step(f"params_{i}", 0, note="pooling has no weights"))
    rf: int | list[int] | None = None
    if isinstance(s, ConvTranspose):
        section.add(
            "The receptive field of a transposed convolution is not the usual growing window; not computed."
        )
    elif field_ is not None:
        f_eff = [dilation[a] * (kernel[a] - 1) + 1 for a in range(2)]
        rf = _receptive(section, field_, i, f_eff, list(stride))
    return LayerOutcome(params, macs, out_shape, rf)


def _checked_transpose_axis(
    chain: ConvChain,
    layer: Layer,
    index: int,
    a: int,
    size: int,
    kernel: int,
    stride: int,
    pad: int | str,
    out_pad: int,
    dilation: int,
) -> AxisResult:
    """A transposed conv's output along one axis, refused when empty or too large."""
    r = transpose_axis(size, kernel, stride, pad, out_pad, dilation, index + 1, AXES[a])
    if r.out < 1:
        raise _fail(
            chain,
            layer,
            index,
            "padding",
            f"the padding {pad} leaves no output ({AXES[a]} would be {r.out})",
        )
    if r.out > MAX_SIZE:  # sizes multiply by the stride layer after layer
        raise _fail(
            chain,
            layer,
            index,
            "stride",
            f"the output {AXES[a]} would be {r.out:.3g}, over {MAX_SIZE:,}; "
            "use smaller strides or fewer transposed layers",
        )
    return r


def _checked_conv_axis(
    chain: ConvChain,
    layer: Layer,
    index: int,
    a: int,
    size: int,
    kernel: int,
    stride: int,
    pad: int | str,
    dilation: int,
) -> AxisResult:
    """A conv or pool output along one axis, refused when the kernel overhangs the padded input."""
    f_eff = dilation * (kernel - 1) + 1
    padded = size + (2 * pad if isinstance(pad, int) else 0)
    if pad != "same" and f_eff > padded:
        what = "kernel" if dilation == 1 else "dilated kernel"
        raise _fail(
            chain,
            layer,
            index,
            "kernel",
            f"the {what} ({f_eff}) is larger than the padded input {AXES[a]} = {size} + 2·{pad if isinstance(pad, int) else 0} = {padded}",
        )
    return conv_axis(size, kernel, stride, pad, dilation, index + 1, AXES[a])


def _size_steps(
    section: Section, i: int, results: list[AxisResult], same_axes: bool, notes: list[str]
) -> None:
    """The output height and width (one step when both axes match); floored sizes become notes."""
    if same_axes:
        r = results[0]
        # named in text: "H_1 = W_1" is two names, not one
        section.add(Step(f"H_{i}", r.out, symbol=f"H_{i} = W_{i}", expr=r.expr, note=r.note))
    else:
        for a, r in enumerate(results):
            section.add(_step(f"{AXES[a]}_{i}", r.out, r.expr, r.note))
    for r in results:
        if r.note and "floored" in r.note and f"Layer {i}: {r.note}." not in notes:
            notes.append(f"Layer {i}: {r.note}.")


def _weight_steps(
    section: Section,
    s: Conv | ConvTranspose,
    i: int,
    shape_in: list[int],
    shape_out: list[int],
) -> tuple[int, int]:
    """A conv's parameters F·F·C·K (+ K biases) and its MACs, one per weight per position."""
    h_in, w_in, c_in = shape_in
    k = s.filters
    kh, kw = s.kernel
    f_qs = (_q(f"F_{i}", kh),) * 2 if kh == kw else (_q(f"Fh_{i}", kh), _q(f"Fw_{i}", kw))
    c_q, k_q = _q(f"C_{i - 1}", c_in), _q(f"K_{i}", k)
    weights = _dot(*f_qs, c_q, k_q)
    params = kh * kw * c_in * k + (k if s.bias else 0)
    section.add(_step(f"params_{i}", params, weights + k_q if s.bias else weights))
    if isinstance(s, Conv):
        hw = (_q(f"H_{i}", shape_out[0]), _q(f"W_{i}", shape_out[1]))
    else:
        hw = (_q(f"H_{i - 1}", h_in), _q(f"W_{i - 1}", w_in))
    macs = hw[0].value * hw[1].value * kh * kw * c_in * k
    section.add(_step(f"MACs_{i}", int(macs), _dot(*hw, *f_qs, c_q, k_q)))
    return params, macs


def _global_avgpool(section: Section, shape: list[int], i: int) -> LayerOutcome:
    """Global average pooling: one value per channel, no weights."""
    h_in, w_in, c_in = shape
    section.add(
        Step(
            f"shape_{i}",
            [1, 1, c_in],
            note=f"each of the {c_in:,} channels is averaged over its {h_in:,} × {w_in:,} positions",
        )
    )
    section.add(Step(f"params_{i}", 0, note="pooling has no weights"))
    return LayerOutcome(0, 0, [1, 1, c_in])


def _flatten(section: Section, shape: list[int], i: int) -> LayerOutcome:
    """Flatten: H·W·C values in a row (a vector stays as it is)."""
    if len(shape) == 3:
        n = shape[0] * shape[1] * shape[2]
        section.add(_step(f"N_{i}", n, _flattened(i, shape)))
    else:
        n = shape[0]
        section.add(Step(f"N_{i}", n, note="already a vector"))
    section.add(Step(f"params_{i}", 0, note="flatten only reorders values"))
    return LayerOutcome(0, 0, [n])


def _dense(section: Section, s: Dense, shape: list[int], i: int) -> LayerOutcome:
    """A dense layer: N_in·N_out weights (+ N_out biases) and N_in·N_out MACs."""
    if len(shape) == 3:
        n_in = shape[0] * shape[1] * shape[2]
        note = "the H × W × C input is flattened first"
        section.add(_step(f"N_{i - 1}", n_in, _flattened(i, shape), note))
    else:
        n_in = shape[0]
    u = s.units
    n_q, u_q = _q(f"N_{i - 1}", n_in), _q(f"N_{i}", u)
    params = n_in * u + (u if s.bias else 0)
    section.add(_step(f"params_{i}", params, _dot(n_q, u_q) + u_q if s.bias else _dot(n_q, u_q)))
    macs = n_in * u
    section.add(_step(f"MACs_{i}", macs, _dot(n_q, u_q)))
    return LayerOutcome(params, macs, [u])


def _flattened(i: int, shape: Sequence[int]) -> Node:
    """H·W·C of layer ``i``'s input."""
    return _dot(*(_q(f"{axis}_{i - 1}", n) for axis, n in zip(("H", "W", "C"), shape)))


def _sum_step(label: str, value: int, parts: list[Q]) -> Step:
    if len(parts) < 2:
        return Step(label, value)
    return _step(label, value, total(parts))


def _receptive(
    section: Section, field_: Field, i: int, f_eff: list[int], stride: list[int]
) -> int | list[int]:
    """r_i = r_(i−1) + (F − 1)·j_(i−1) and j_i = j_(i−1)·S: how many input pixels one output sees."""
    new_rf = [field_.rf[a] + (f_eff[a] - 1) * field_.jump[a] for a in range(2)]
    new_jump = [field_.jump[a] * stride[a] for a in range(2)]
    if (
        new_rf[0] == new_rf[1]
        and field_.rf[0] == field_.rf[1]
        and field_.jump[0] == field_.jump[1]
        and f_eff[0] == f_eff[1]
    ):
        jump = _q(f"jump_{i - 1}", field_.jump[0])
        grown = _q(f"RF_{i - 1}", field_.rf[0]) + _dot(_q(f"F_{i}", f_eff[0]) - ONE, jump)
        section.add(_step(f"RF_{i}", new_rf[0], grown))
        if new_jump[0] == new_jump[1]:
            section.add(_step(f"jump_{i}", new_jump[0], _dot(jump, _q(f"S_{i}", stride[0]))))
    else:
        section.add(Step(f"RF_{i}", list(new_rf), note="receptive field (height, width)"))
    field_.rf, field_.jump = new_rf, new_jump
    return new_rf[0] if new_rf[0] == new_rf[1] else list(new_rf)


def _rf_text(rf: int | list[int] | None) -> str:
    if rf is None:
        return "—"
    if isinstance(rf, list):
        return f"{rf[0]} × {rf[1]}"
    return f"{rf} × {rf}"


def _inception(
    section: Section, s: Inception, shape: list[int], i: int
) -> tuple[int, int, list[int], dict[str, dict[str, int]]]:
    """An Inception module: the branches' channels concatenated, their parameters and MACs,
    and what the 1×1 reductions save against 3×3 and 5×5 convolutions on the whole input."""
    h, w, c_in = shape
    section.add(
        "Four parallel branches over the same input, each keeping H × W (stride 1, same "
        "padding): 1×1; 1×1 reduction → 3×3; 1×1 reduction → 5×5; 3×3 max pool → 1×1.  "
        "Their outputs are stacked along the channels."
    )
    if h == w:
        section.add(
            Step(f"H_{i}", h, symbol=f"H_{i} = W_{i}", expr=_q(f"H_{i - 1}", h), note="unchanged")
        )
    else:
        section.add(_step(f"H_{i}", h, _q(f"H_{i - 1}", h), "unchanged"))
        section.add(_step(f"W_{i}", w, _q(f"W_{i - 1}", w), "unchanged"))
    hw = (_q(f"H_{i}", h), _q(f"W_{i}", w))
    c_q = _q(f"C_{i - 1}", c_in)

    def k(kind: str, value: int) -> Q:
        return q(f"K_{kind}_{i}", value, Name("K", f"{kind},{i}"))

    def add(label: str, sub: str, expr: Node, note: str | None = None) -> Q:
        value = int(round(float(expr.evaluate())))
        base, _, kind = label.partition("_")
        shown = kind.replace("direct", " direct")  # params_3x3 direct,1
        name = Name(base, f"{shown},{i}" if kind else sub, label_sub=True)
        section.add(Step(f"{label}_{i}", value, name=name, expr=expr, note=note))
        return q(f"{label}_{i}", value, name)

    k1, r3, k3 = k("1x1", s.conv1x1), k("r3x3", s.reduce3x3), k("3x3", s.conv3x3)
    r5, k5, kp = k("r5x5", s.reduce5x5), k("5x5", s.conv5x5), k("pool", s.pool_proj)
    channels = add("C", str(i), k1 + k3 + k5 + kp, "the branches' channels, concatenated")

    def conv(size: int, c: Node, filters: Q) -> Node:
        weights = _dot(Num(size), Num(size), c, filters)
        return weights + filters if s.bias else weights

    def one(c: Node, filters: Q) -> Node:
        return _dot(Num(1), Num(1), c, filters)

    p1 = add("params_1x1", f"1x1,{i}", conv(1, c_q, k1))
    p3 = add("params_3x3", f"3x3,{i}", conv(1, c_q, r3) + conv(3, r3, k3))
    p5 = add("params_5x5", f"5x5,{i}", conv(1, c_q, r5) + conv(5, r5, k5))
    pp = add("params_pool", f"pool,{i}", conv(1, c_q, kp), "the max pool has no weights")
    params = add("params", str(i), p1 + p3 + p5 + pp)
    m1 = add("MACs_1x1", f"1x1,{i}", _dot(*hw, one(c_q, k1)))
    m3 = add("MACs_3x3", f"3x3,{i}", _dot(*hw, one(c_q, r3) + _dot(Num(3), Num(3), r3, k3)))
    m5 = add("MACs_5x5", f"5x5,{i}", _dot(*hw, one(c_q, r5) + _dot(Num(5), Num(5), r5, k5)))
    mp = add("MACs_pool", f"pool,{i}", _dot(*hw, one(c_q, kp)))
    macs = add("MACs", str(i), m1 + m3 + m5 + mp)
    section.add(
        "Without the 1×1 reductions the 3×3 and 5×5 convolutions would run on all "
        f"{c_in:,} input channels:"
    )
    d3 = add("params_3x3direct", "", conv(3, c_q, k3))
    d5 = add("params_5x5direct", "", conv(5, c_q, k5))
    add("params_saved", "", d3 + d5 - p3 - p5, "parameters the reductions save")
    e3 = add("MACs_3x3direct", "", _dot(*hw, Num(3), Num(3), c_q, k3))
    e5 = add("MACs_5x5direct", "", _dot(*hw, Num(5), Num(5), c_q, k5))
    add("MACs_saved", "", e3 + e5 - m3 - m5, "multiply–accumulates the reductions save")
    branches = {
        kind: {"channels": int(c.value), "params": int(p.value), "macs": int(m.value)}
        for kind, c, p, m in (
            ("1x1", k1, p1, m1),
            ("3x3", k3, p3, m3),
            ("5x5", k5, p5, m5),
            ("pool", kp, pp, mp),
        )
    }
    return params.value, macs.value, [h, w, channels.value], branches
