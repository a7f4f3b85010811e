"""``conv``'s solution: the stack's numbers (:mod:`dlcalc.topics.convolution`) written down cell
by cell (:mod:`dlcalc.topics.convolution_steps`), with the Gaussian kernels and edge maps of
:mod:`dlcalc.topics.edges`.  Kept apart from the writer so that edges can build on it.
"""

from __future__ import annotations

from typing import Any

from dlcalc.model.steps import Solution
from dlcalc.specs.convolution import ConvLayer, ConvNet, PoolLayer
from dlcalc.topics import convolution as engine
from dlcalc.topics.convolution import LayerRecord
from dlcalc.topics.convolution_steps import (
    FULL_CELLS,
    HEAD_CELLS,
    Tensor3,
    Writer,
    grad_tensor,
    index_label,
)
from dlcalc.topics.edges import edge_section, gaussian_sections

# --- the solution -------------------------------------------------------------------------


def solve_convolution(net: ConvNet, carry: int | None = None, every_step: bool = False) -> Solution:
    """Forward (and with grad_output, backward) pass of the stack, cell by cell."""
    net, kernel_sections = gaussian_sections(net, carry)
    records = engine.forward(net, carry)
    if net.grad_output is not None:
        engine.backward(records, net.grad_output, carry)
    writer = Writer(net, every_step, carry)
    x = Tensor3("x", engine.to_exact(net.input))
    sections = [writer.input_section(x)]
    tensors = [x]
    for n, (layer, record, (base, kname, bname)) in enumerate(
        zip(net.layers, records, writer.names), start=1
    ):
        out = Tensor3(base, record.output)
        if n - 1 in kernel_sections:
            sections.append(kernel_sections[n - 1])
        if isinstance(layer, ConvLayer):
            sections.append(writer.conv_section(n, layer, tensors[-1], out, kname, bname))
        elif isinstance(layer, PoolLayer):
            sections.append(writer.pool_section(n, layer, record, tensors[-1], out))
        else:
            sections.append(writer.activation_section(n, layer, tensors[-1], out))
        tensors.append(out)
    edges = None
    if net.edges:
        edge_part, edges = edge_section(tensors[-1], carry)
        sections.append(edge_part)
    if net.grad_output is not None:
        g = grad_tensor(tensors[-1], engine.to_exact(net.grad_output))
        sections.append(writer.grad_output_section(g))
        for n in range(len(net.layers), 0, -1):
            layer, record = net.layers[n - 1], records[n - 1]
            x_in, out = tensors[n - 1], tensors[n]
            assert record.grad_output is not None
            g = grad_tensor(out, record.grad_output)
            _, kname, bname = writer.names[n - 1]
            if isinstance(layer, ConvLayer):
                sections.append(writer.conv_backward(n, layer, record, x_in, g, kname, bname))
            elif isinstance(layer, PoolLayer):
                sections.append(writer.pool_backward(n, layer, record, x_in, g))
            else:
                sections.append(writer.activation_backward(n, layer, record, x_in, out, g))
    notes = []
    if writer.elided:
        notes.append(
            f"Maps larger than {FULL_CELLS} cells show their first {HEAD_CELLS} cells in full and the "
            "rest as grids; --every-step writes out every cell."
        )
    if carry is not None:
        notes.append(
            f"--carry {carry}: every computed cell is rounded to {carry} decimals (ties away from zero) before later steps use it."
        )
    paths = result_paths(records, tensors, writer.names)
    result = engine.result(records)
    if edges is not None:
        result["edges"] = edges
        for key, base in (("magnitude", "M"), ("direction", "theta")):
            for r, row in enumerate(edges[key]):
                for c in range(len(row)):
                    paths[f"edges.{key}[{r}][{c}]"] = index_label(base, (r, c))
    return Solution(
        "conv",
        sections,
        result,
        title=net.title,
        source=net.source,
        notes=notes,
        paths=paths,
    )


def result_paths(
    records: list[LayerRecord], tensors: list[Tensor3], names: list[tuple[str, str, str]]
) -> dict[str, str]:
    """Every cell of ``result`` → its label (``layers[0].output[0][1][2]`` → ``y[0][1][2]``),
    written out or not, for ``check``."""
    paths: dict[str, str] = {}

    def cells(path: str, base: str, values: Any, index: tuple[int, ...] = ()) -> None:
        if isinstance(values, list):
            for k, v in enumerate(values):
                cells(f"{path}[{k}]", base, v, (*index, k))
        else:
            paths[path] = index_label(base, index)

    for n, record in enumerate(records):
        _, kname, bname = names[n]
        out, x_in = tensors[n + 1], tensors[n]
        cells(f"layers[{n}].output", out.base, record.output)
        if n == len(records) - 1:
            cells("output", out.base, record.output)
        if record.grad_input is not None:
            cells(f"layers[{n}].grad_input", "grad_" + x_in.base, record.grad_input)
        if record.grad_kernel is not None and record.grad_bias is not None:
            cells(f"layers[{n}].grad_kernel", "grad_" + kname, record.grad_kernel)
            cells(f"layers[{n}].grad_bias", "grad_" + bname, record.grad_bias)
    return paths
