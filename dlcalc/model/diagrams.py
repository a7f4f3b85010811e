"""What a diagram shows: a network's units in layers, or an expression's computational graph.

A :class:`Drawing` is plain data read off a worked solution (and, for a network, the problem's
layout of units and weights): boxes in columns, left to right, and the links between them,
each carrying named numbers.  Nothing here formats a number or knows Graphviz; the DOT and
SVG writer is :mod:`dlcalc.render.diagram`.  Like micrograd's ``draw_dot``, which only walks
the graph that ``Value`` recorded, the drawing only reads what the solution recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlcalc.model.records import Record

if TYPE_CHECKING:
    from dlcalc.model.steps import Solution
    from dlcalc.specs.loader import Document

Line = tuple[str, Any]  # a name and its value (None: the name alone)


class Box(Record):
    """One node: its key (unique in the drawing), heading and named values.

    ``kind``: ``input``, ``unit`` (a neuron), ``value`` (a node of a computational graph) or
    ``operation`` (the operation that made a value, as micrograd draws it)."""

    __slots__ = ("key", "heading", "lines", "kind")

    def __init__(self, key: str, heading: str, lines: list[Line], kind: str) -> None:
        self.key = key
        self.heading = heading
        self.lines = lines
        self.kind = kind


class Link(Record):
    """An edge from one box to another, with its named values (a weight and its update)."""

    __slots__ = ("source", "target", "lines")

    def __init__(self, source: str, target: str, lines: list[Line] | None = None) -> None:
        self.source = source
        self.target = target
        self.lines = lines or []


class Column(Record):
    """Boxes drawn one above the other: a layer of a network (``title`` says which)."""

    __slots__ = ("title", "boxes")

    def __init__(self, title: str | None, boxes: list[Box]) -> None:
        self.title = title
        self.boxes = boxes


class Drawing(Record):
    """A diagram: columns of boxes left to right, the links, a title and lines under it."""

    __slots__ = ("title", "columns", "links", "caption")

    def __init__(
        self, title: str, columns: list[Column], links: list[Link], caption: list[Line]
    ) -> None:
        self.title = title
        self.columns = columns
        self.links = links
        self.caption = caption

    @property
    def boxes(self) -> list[Box]:
        return [box for column in self.columns for box in column.boxes]


def drawing_of(command: str, doc: Document | None, solution: Solution) -> Drawing | None:
    """The drawing of a solved problem: forward and backprop draw the network, graph its graph;
    None for a command that has no diagram."""
    if command in ("forward", "backprop") and doc is not None:
        return network_drawing(doc, solution, training=command == "backprop")
    if command == "graph":
        return graph_drawing(solution)
    return None


def network_drawing(doc: Document, solution: Solution, training: bool) -> Drawing:
    """The network of ``doc``: inputs, then each layer's units with net, out, δ and bias; each
    edge with its weight and, after backpropagation, the new weight.

    With several examples or epochs the numbers are those of the first example's pass and the
    first update (the ones the worked solution writes out in full)."""
    from dlcalc.specs.network import load_network
    from dlcalc.topics.network import labels
    from dlcalc.topics.network.engine import Network

    spec = load_network(doc, training=training)
    net = Network.from_problem(spec)
    example = spec.example_list()[0]
    values = {step.label: step.value for step in solution.iter_steps()}
    several = labels.net(net.units[0][0]) not in values  # labels carry a tag: net_h1@1

    def value(label: str) -> Any:
        for tagged in (label + "@1", label + "@e1", label) if several else (label,):
            if tagged in values:
                return values[tagged]
        return None

    def shown(lines: list[Line]) -> list[Line]:
        return [(name, v) for name, v in lines if v is not None]

    columns = [
        Column(
            "inputs",
            [
                Box(f"in:{x}", x, [("", v)], "input")
                for x, v in zip(net.inputs, [float(v) for v in example.input])
            ],
        )
    ]
    links: list[Link] = []
    sources = [f"in:{x}" for x in net.inputs]
    last = len(net.units) - 1
    targets = list(example.target) if example.target is not None else None
    for layer, units in enumerate(net.units):
        boxes = []
        for j, unit in enumerate(units):
            lines: list[Line] = [
                (f"net_{unit}", value(labels.net(unit))),
                (f"out_{unit}", value(labels.out(unit))),
            ]
            if layer == last and targets is not None:
                lines.append((f"t_{unit}", float(targets[j])))
            lines.append((f"δ_{unit}", value(labels.delta(unit))))
            lines.append((f"b_{unit}", float(net.biases[layer][j])))
            lines.append((f"b_{unit}⁺", value(labels.new_bias(unit))))
            boxes.append(Box(f"unit:{unit}", unit, shown(lines), "unit"))
            for i, source in enumerate(sources):
                weight = net.weight_labels[layer][j][i]
                new = value(labels.new_weight(weight))
                edge = [(weight, float(net.weights[layer][j][i])), (f"{weight}⁺", new)]
                links.append(Link(source, f"unit:{unit}", shown(edge)))
        kind = "output" if layer == last else "hidden"
        columns.append(
            Column(f"layer {layer + 1} ({kind}, {spec.layers[layer].activation})", boxes)
        )
        sources = [f"unit:{u}" for u in units]
    caption: list[Line] = []
    total = value(labels.total())
    if total is not None:
        caption.append(("E_total", total))
    if training and spec.learning_rate is not None:
        caption.append(("η", float(spec.learning_rate)))
    epochs = solution.result.get("epochs", 1)
    if several or (isinstance(epochs, int) and epochs > 1):
        caption.append(
            ("numbers of the first pass (example 1, epoch 1) and the first update", None)
        )
    title = solution.title or ("Backpropagation" if training else "Forward pass")
    return Drawing(title, columns, links, caption)


def graph_drawing(solution: Solution) -> Drawing:
    """micrograd's picture of a computational graph: each node with its value and adjoint
    ∂f/∂node, fed by a small node for the operation that made it (its formula)."""
    result = solution.result
    nodes = result["nodes"]
    output = nodes[-1]["node"]
    formulas = {step.label: step.formula() for step in solution.sections[0].steps if step.computed}
    boxes: list[Box] = []
    links: list[Link] = []
    for node in nodes:
        name = node["node"]
        lines = [("value", node["value"]), (f"∂{output}/∂{name}", node["adjoint"])]
        boxes.append(Box(f"node:{name}", name, lines, "value"))
        if node["operation"] == "input":
            continue
        operation = f"op:{name}"
        boxes.append(Box(operation, formulas.get(name) or node["operation"], [], "operation"))
        links.append(Link(operation, f"node:{name}"))
        links += [Link(f"node:{source}", operation) for source in node["inputs"]]
    caption: list[Line] = [] if solution.title else [(f"{output} = {result['expression']}", None)]
    return Drawing(solution.title or "Computational graph", [Column(None, boxes)], links, caption)
