"""Output sizes, parameters, multiply–accumulates and receptive fields of a CNN, layer by layer.

Sizes follow the formula every deep-learning course writes on the board,
``(W − F + 2P)/S + 1``, floored when it is not whole (as PyTorch and Keras do).
Each layer gets its own section; a summary table and the totals close the solution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from dlcalc.errors import InputError
from dlcalc.specs.conv import Conv, ConvChain, ConvTranspose, Dense, Layer, Pool
from dlcalc.steps import Arg, Section, Solution, Step, Table

AXES = ("H", "W")


@dataclass
class AxisResult:
    """One axis (height or width) of a layer's output size."""

    out: int
    template: str
    args: tuple[Arg, ...]
    fn: Callable[..., int]
    note: str | None = None


def _fail(chain: ConvChain, layer: Layer, index: int, key: str, message: str) -> InputError:
    return InputError(
        message, file=chain.file, line=layer.line, field=f"layers[{index}].{layer.kind}.{key}"
    )


def conv_axis(
    size: int, kernel: int, stride: int, pad: int | str, dilation: int, i: int, axis: str
) -> AxisResult:
    """``⌊(W − F + 2P)/S⌋ + 1`` with the effective kernel ``D·(F − 1) + 1``; ``same`` gives ``⌈W/S⌉``."""
    size_arg = Arg(f"{axis}_{i - 1}", size)
    f_eff = dilation * (kernel - 1) + 1
    if pad == "same":
        # The padding that keeps the output at ⌈W/S⌉, shown in the usual formula with its P.
        out = -(-size // stride)
        total = max((out - 1) * stride + f_eff - size, 0)
        lines = "rows" if axis == "H" else "columns"
        f_shown = Arg(f"F_{i}" if dilation == 1 else f"F_eff_{i}", f_eff)
        note: str | None
        if total % 2 == 0:
            note = (
                f"same padding: P = {total // 2} on each side keeps the output at "
                f"⌈{axis}/S⌉ = ⌈{size}/{stride}⌉ = {out}"
            )
            return AxisResult(
                out,
                "({} − {} + 2·{})/{} + 1",
                (size_arg, f_shown, Arg(f"P_{i}", total // 2), Arg(f"S_{i}", stride)),
                lambda w, f, pp, s: int((w - f + 2 * pp) // s) + 1,
                note,
            )
        note = (
            f"same padding: {total} {lines} in total, {total // 2} before and {total - total // 2} "
            f"after (the extra one after, as TensorFlow does), keep the output at "
            f"⌈{axis}/S⌉ = ⌈{size}/{stride}⌉ = {out}"
        )
        return AxisResult(
            out,
            "({} − {} + {})/{} + 1",
            (size_arg, f_shown, Arg(f"P_total_{i}", total, f"P_total_{i}"), Arg(f"S_{i}", stride)),
            lambda w, f, pp, s: int((w - f + pp) // s) + 1,
            note,
        )
    p = 0 if pad == "valid" else int(pad)
    f_arg = Arg(f"F_{i}", f_eff if dilation == 1 else kernel)
    if dilation != 1:
        template = "({} − ({}·({} − 1) + 1) + 2·{})/{} + 1"
        args: tuple[Arg, ...] = (
            size_arg,
            Arg(f"D_{i}", dilation),
            f_arg,
            Arg(f"P_{i}", p),
            Arg(f"S_{i}", stride),
        )

        def dilated(w: float, d: float, f: float, pp: float, s: float) -> int:
            return int((w - (d * (f - 1) + 1) + 2 * pp) // s) + 1

        fn: Callable[..., int] = dilated
    else:
        template = "({} − {} + 2·{})/{} + 1"
        args = (size_arg, f_arg, Arg(f"P_{i}", p), Arg(f"S_{i}", stride))

        def plain(w: float, f: float, pp: float, s: float) -> int:
            return int((w - f + 2 * pp) // s) + 1

        fn = plain

    numerator = size - f_eff + 2 * p
    out = numerator // stride + 1
    note = None
    if numerator % stride:
        template = "⌊" + template[: -len(" + 1")] + "⌋ + 1"
        note = f"{numerator}/{stride} = {numerator / stride:g} is not whole: floored to {numerator // stride} (as PyTorch and Keras do)"
    return AxisResult(out, template, args, fn, note)


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
    size_arg = Arg(f"{axis}_{i - 1}", size)
    if pad == "same":
        return AxisResult(
            size * stride,
            "{}·{}",
            (size_arg, Arg(f"S_{i}", stride)),
            lambda w, s: int(w * s),
            "same padding: the output is the input size times the stride",
        )
    p = 0 if pad == "valid" else int(pad)
    out = (size - 1) * stride - 2 * p + dilation * (kernel - 1) + out_pad + 1
    if dilation == 1 and out_pad == 0:
        return AxisResult(
            out,
            "({} − 1)·{} − 2·{} + {}",
            (size_arg, Arg(f"S_{i}", stride), Arg(f"P_{i}", p), Arg(f"F_{i}", kernel)),
            lambda w, s, pp, f: int((w - 1) * s - 2 * pp + f),
        )
    return AxisResult(
        out,
        "({} − 1)·{} − 2·{} + {}·({} − 1) + {} + 1",
        (
            size_arg,
            Arg(f"S_{i}", stride),
            Arg(f"P_{i}", p),
            Arg(f"D_{i}", dilation),
            Arg(f"F_{i}", kernel),
            Arg(f"OP_{i}", out_pad),
        ),
        lambda w, s, pp, d, f, op: int((w - 1) * s - 2 * pp + d * (f - 1) + op + 1),
    )


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
        text = f"{layer.kind}: {s.filters} filters {s.kernel[0]}×{s.kernel[1]}, stride {_pair_text(s.stride)}, padding {_pad_text(s.padding)}"
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
    return {"global_avgpool": "global average pool", "flatten": "flatten"}[layer.kind]


def shape_text(shape: list[int]) -> str:
    return " × ".join(f"{x:,}" for x in shape)


def solve_conv_shape(chain: ConvChain) -> Solution:
    """Walk the chain: every layer's output size, parameters, MACs and receptive field."""
    shape = list(chain.input_shape)
    field_: Field | None = Field([1, 1], [1, 1])
    sections: list[Section] = []
    layer_results: list[dict[str, object]] = []
    summary: list[list[object]] = []
    notes: list[str] = []
    param_args: list[Arg] = []
    mac_args: list[Arg] = []
    start = Section(f"Input: {shape_text(shape)}")
    start.add(
        "Sizes are H × W × C (height, width, channels).  Output size of conv and pool layers: "
        "(W − F + 2P)/S + 1 with kernel F, padding P and stride S; floored when not whole.  "
        "Parameters: F·F·C_in·K weights plus K biases (conv), N_in·N_out + N_out (dense).  "
        "MACs: multiply–accumulates, one per weight per output position.  "
        "RF: receptive field, the input pixels per side one output value sees; "
        "jump: input pixels between neighbouring outputs."
    )
    sections.append(start)

    for index, layer in enumerate(chain.layers):
        i = index + 1
        s = layer.settings
        section = Section(f"Layer {i} · {describe(layer)}")
        params = 0
        macs = 0
        rf: int | list[int] | None = None
        if (
            layer.kind in ("conv", "conv_transpose", "maxpool", "avgpool", "global_avgpool")
            and len(shape) != 3
        ):
            raise InputError(
                f"a {layer.kind} layer needs an H × W × C input, but its input is a vector of {shape[0]:,} (after flatten or dense)",
                file=chain.file,
                line=layer.line,
                field=f"layers[{index}]",
            )
        if isinstance(s, (Conv, ConvTranspose, Pool)):
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
                    r = transpose_axis(
                        size,
                        kernel[a],
                        stride[a],
                        pads[a],
                        s.output_padding[a],
                        dilation[a],
                        i,
                        AXES[a],
                    )
                    if r.out < 1:
                        raise _fail(
                            chain,
                            layer,
                            index,
                            "padding",
                            f"the padding {pads[a]} leaves no output ({AXES[a]} would be {r.out})",
                        )
                else:
                    f_eff = dilation[a] * (kernel[a] - 1) + 1
                    p = pads[a]
                    padded = size + (2 * p if isinstance(p, int) else 0)
                    if p != "same" and f_eff > padded:
                        what = "kernel" if dilation[a] == 1 else "dilated kernel"
                        raise _fail(
                            chain,
                            layer,
                            index,
                            "kernel",
                            f"the {what} ({f_eff}) is larger than the padded input {AXES[a]} = {size} + 2·{p if isinstance(p, int) else 0} = {padded}",
                        )
                    r = conv_axis(size, kernel[a], stride[a], p, dilation[a], i, AXES[a])
                results.append(r)
            c_out = s.filters if isinstance(s, (Conv, ConvTranspose)) else c_in
            same_axes = (
                h_in == w_in
                and kernel[0] == kernel[1]
                and stride[0] == stride[1]
                and pads[0] == pads[1]
                and dilation[0] == dilation[1]
            )
            if same_axes:
                r = results[0]
                section.add(
                    Step(
                        f"H_{i}",
                        r.out,
                        r.template,
                        r.args,
                        r.fn,
                        symbol=f"H_{i} = W_{i}",
                        note=r.note,
                    )
                )
            else:
                for a, r in enumerate(results):
                    section.add(
                        Step(f"{AXES[a]}_{i}", r.out, r.template, r.args, r.fn, note=r.note)
                    )
            for r in results:
                if r.note and "floored" in r.note and f"Layer {i}: {r.note}." not in notes:
                    notes.append(f"Layer {i}: {r.note}.")
            shape = [results[0].out, results[1].out, c_out]
            if isinstance(s, (Conv, ConvTranspose)):
                k = s.filters
                kh, kw = kernel
                f_args = (
                    (Arg(f"F_{i}", kh),) * 2
                    if kh == kw
                    else (Arg(f"Fh_{i}", kh), Arg(f"Fw_{i}", kw))
                )
                c_arg, k_arg = Arg(f"C_{i - 1}", c_in), Arg(f"K_{i}", k)
                if s.bias:
                    section.add(
                        Step(
                            f"params_{i}",
                            kh * kw * c_in * k + k,
                            "{}·{}·{}·{} + {}",
                            (*f_args, c_arg, k_arg, k_arg),
                            lambda a, b, c, d, e: int(a * b * c * d + e),
                        )
                    )
                else:
                    section.add(
                        Step(
                            f"params_{i}",
                            kh * kw * c_in * k,
                            "{}·{}·{}·{}",
                            (*f_args, c_arg, k_arg),
                            lambda a, b, c, d: int(a * b * c * d),
                        )
                    )
                params = kh * kw * c_in * k + (k if s.bias else 0)
                if isinstance(s, Conv):
                    hw = (Arg(f"H_{i}", shape[0]), Arg(f"W_{i}", shape[1]))
                else:
                    hw = (Arg(f"H_{i - 1}", h_in), Arg(f"W_{i - 1}", w_in))
                macs = hw[0].value * hw[1].value * kh * kw * c_in * k
                section.add(
                    Step(
                        f"MACs_{i}",
                        int(macs),
                        "{}·{}·{}·{}·{}·{}",
                        (*hw, *f_args, c_arg, k_arg),
                        lambda *v: int(math.prod(v)),
                    )
                )
            else:
                section.add(Step(f"params_{i}", 0, note="pooling has no weights"))
            if isinstance(s, ConvTranspose):
                field_ = None
                section.add(
                    "The receptive field of a transposed convolution is not the usual growing window; not computed."
                )
            elif field_ is not None:
                rf = _receptive(
                    section,
                    field_,
                    i,
                    [dilation[a] * (kernel[a] - 1) + 1 for a in range(2)],
                    list(stride),
                )
        elif layer.kind == "global_avgpool":
            h_in, w_in, c_in = shape
            section.add(
                Step(
                    f"shape_{i}",
                    [1, 1, c_in],
                    note=f"each of the {c_in:,} channels is averaged over its {h_in:,} × {w_in:,} positions",
                )
            )
            section.add(Step(f"params_{i}", 0, note="pooling has no weights"))
            shape = [1, 1, c_in]
            field_ = None
        elif layer.kind == "flatten":
            if len(shape) == 3:
                n = shape[0] * shape[1] * shape[2]
                section.add(
                    Step(
                        f"N_{i}",
                        n,
                        "{}·{}·{}",
                        (
                            Arg(f"H_{i - 1}", shape[0]),
                            Arg(f"W_{i - 1}", shape[1]),
                            Arg(f"C_{i - 1}", shape[2]),
                        ),
                        lambda a, b, c: int(a * b * c),
                    )
                )
            else:
                n = shape[0]
                section.add(Step(f"N_{i}", n, note="already a vector"))
            section.add(Step(f"params_{i}", 0, note="flatten only reorders values"))
            shape = [n]
        elif isinstance(s, Dense):
            if len(shape) == 3:
                n_in = shape[0] * shape[1] * shape[2]
                section.add(
                    Step(
                        f"N_{i - 1}",
                        n_in,
                        "{}·{}·{}",
                        (
                            Arg(f"H_{i - 1}", shape[0]),
                            Arg(f"W_{i - 1}", shape[1]),
                            Arg(f"C_{i - 1}", shape[2]),
                        ),
                        lambda a, b, c: int(a * b * c),
                        note="the H × W × C input is flattened first",
                    )
                )
            else:
                n_in = shape[0]
            u = s.units
            n_arg, u_arg = Arg(f"N_{i - 1}", n_in), Arg(f"N_{i}", u)
            if s.bias:
                section.add(
                    Step(
                        f"params_{i}",
                        n_in * u + u,
                        "{}·{} + {}",
                        (n_arg, u_arg, u_arg),
                        lambda a, b, c: int(a * b + c),
                    )
                )
            else:
                section.add(
                    Step(f"params_{i}", n_in * u, "{}·{}", (n_arg, u_arg), lambda a, b: int(a * b))
                )
            params = n_in * u + (u if s.bias else 0)
            macs = n_in * u
            section.add(Step(f"MACs_{i}", macs, "{}·{}", (n_arg, u_arg), lambda a, b: int(a * b)))
            shape = [u]
        if layer.kind in ("flatten", "dense", "global_avgpool"):
            field_ = None
        if layer.kind != "global_avgpool":
            section.add(Step(f"shape_{i}", list(shape)))
        sections.append(section)
        if params:
            param_args.append(Arg(f"params_{i}", params))
        if macs:
            mac_args.append(Arg(f"MACs_{i}", int(macs)))
        layer_results.append(
            {
                "type": layer.kind,
                "output": list(shape),
                "params": params,
                "macs": int(macs),
                "receptive_field": rf,
            }
        )
        summary.append(
            [i, describe(layer).split(":")[0], shape_text(shape), params, int(macs), _rf_text(rf)]
        )

    total_params = sum(int(r["params"]) for r in layer_results)  # type: ignore[call-overload]
    total_macs = sum(int(r["macs"]) for r in layer_results)  # type: ignore[call-overload]
    totals = Section("Totals")
    totals.add(
        Table(
            ["#", "layer", "output", "params", "MACs", "receptive field"],
            [*summary, ["", "total", shape_text(shape), total_params, total_macs, ""]],
        )
    )
    totals.add(_sum_step("total_params", total_params, param_args))
    totals.add(_sum_step("total_MACs", total_macs, mac_args))
    sections.append(totals)
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


def _sum_step(label: str, total: int, parts: list[Arg]) -> Step:
    if len(parts) < 2:
        return Step(label, total)
    return Step(label, total, " + ".join(["{}"] * len(parts)), tuple(parts), lambda *v: int(sum(v)))


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
        section.add(
            Step(
                f"RF_{i}",
                new_rf[0],
                "{} + ({} − 1)·{}",
                (
                    Arg(f"RF_{i - 1}", field_.rf[0]),
                    Arg(f"F_{i}", f_eff[0]),
                    Arg(f"jump_{i - 1}", field_.jump[0]),
                ),
                lambda r, f, j: int(r + (f - 1) * j),
            )
        )
        if new_jump[0] == new_jump[1]:
            section.add(
                Step(
                    f"jump_{i}",
                    new_jump[0],
                    "{}·{}",
                    (Arg(f"jump_{i - 1}", field_.jump[0]), Arg(f"S_{i}", stride[0])),
                    lambda j, s: int(j * s),
                )
            )
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
