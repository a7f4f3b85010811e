"""The names students write for a network's quantities, as the slides and textbooks write them.

dlcalc labels weights row by row (``w1`` … ``w8``, Mazur's numbering); the course slides
number every unit across the layers, inputs first, and name a weight by its connection:
with inputs 1–3, hidden units 4, 5 and output 6, ``w14`` goes from input 1 to unit 4 and
``w46`` from unit 4 to unit 6.  This module maps those names (and ``w_h1_o2``, ``θ4``,
``b4``, ``Err6``, ``z4``/``a4``, ``w46+``/``w46⁺``/``w46_new``) onto dlcalc's labels, links a
result path such as ``layers[1].weights[0][0]`` to the step that shows it, and suggests the
right names when a slide-style name does not exist.  It reads only the solution's steps and
``result``; nothing here computes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
UPDATED = ("⁺", "+", "_new", "'", "’", "new")
NETWORK_COMMANDS = ("forward", "backprop")


def normalize(name: str) -> str:
    """One spelling of a name: subscript digits, braces, spaces and the update mark unified.

    ``w₄₆⁺``, ``w_{46}+``, ``w46_new`` and ``w46+`` all read ``w46+``; ``θ_4`` reads ``theta4``.
    """
    text = name.strip().translate(SUBSCRIPTS)
    text = text.replace("{", "").replace("}", "").replace(" ", "")
    text = text.replace("θ", "theta").replace("Θ", "theta").replace("δ", "delta")
    for mark in UPDATED:
        if text.endswith(mark) and len(text) > len(mark):
            text = text[: -len(mark)].rstrip("_") + "+"
            break
    return text


@dataclass
class Layout:
    """A network's units numbered the slides' way: inputs first, then layer after layer."""

    inputs: list[str]  # x1, x2, …
    units: list[list[str]]  # unit names per layer (h1, h2 | o1, o2, or '4', '5' | '6')
    numbers: dict[str, int] = field(default_factory=dict)  # unit or input name → slide number

    def __post_init__(self) -> None:
        k = 0
        for name in self.inputs:
            k += 1
            self.numbers[name] = k
        for layer in self.units:
            for u in layer:
                k += 1
                self.numbers[u] = k

    def fed_by(self, layer: int) -> list[str]:
        return self.inputs if layer == 0 else self.units[layer - 1]

    def weight_label(self, layer: int, j: int, i: int) -> str:
        """dlcalc's row-by-row label of the weight from ``fed_by(layer)[i]`` to ``units[layer][j]``."""
        k = 0
        for earlier in range(layer):
            k += len(self.units[earlier]) * len(self.fed_by(earlier))
        from dlcalc.topics.network import labels

        return labels.weight(k + j * len(self.fed_by(layer)) + i + 1)


def layout(solution: Any) -> Layout | None:
    """The network layout of a forward/backprop solution (None for other commands)."""
    if solution.command not in NETWORK_COMMANDS:
        return None
    layers = solution.result.get("layers") if isinstance(solution.result, dict) else None
    if not isinstance(layers, list) or not all(
        isinstance(entry, dict) and "units" in entry for entry in layers
    ):
        return None
    units = [[str(u) for u in entry["units"]] for entry in layers]
    n_inputs = 0
    for step in solution.iter_steps():
        if step.label.startswith("net_"):
            n_inputs = sum(1 for a in step.args if re.fullmatch(r"x\d+", a.name))
            break
    if not n_inputs:
        return None
    return Layout([f"x{i + 1}" for i in range(n_inputs)], units)


def slide_names(solution: Any, labels: Iterable[str]) -> dict[str, str]:
    """Every slide-style name (normalized) → the label it means, for the labels that exist."""
    net = layout(solution)
    if net is None:
        return {}
    from dlcalc.topics.network import labels as lb

    have = set(labels)
    names: dict[str, str] = {}

    def add(name: str, label: str) -> None:
        if label in have:
            names.setdefault(normalize(name), label)

    for layer, units in enumerate(net.units):
        fed = net.fed_by(layer)
        for j, u in enumerate(units):
            n = net.numbers[u]
            for i, src in enumerate(fed):
                m = net.numbers[src]
                label = net.weight_label(layer, j, i)
                src_name = src.removeprefix("out_")
                forms = [f"w_{m}_{n}", f"w{m},{n}", f"w_{m},{n}", f"w_{src_name}_{u}"]
                if m < 10 and n < 10:  # w1011 could be read two ways: write w_10_11
                    forms += [f"w{m}{n}", f"w_{m}{n}"]
                for form in forms:
                    add(form, label)
                    add(form + "+", lb.new_weight(label))
            for base, target in (
                ("theta", lb.bias(u)),
                ("b", lb.bias(u)),
                ("bias", lb.bias(u)),
                ("z", lb.net(u)),
                ("net", lb.net(u)),
                ("I", lb.net(u)),
                ("a", lb.out(u)),
                ("O", lb.out(u)),
                ("out", lb.out(u)),
                ("Err", lb.delta(u)),
                ("err", lb.delta(u)),
                ("delta", lb.delta(u)),
            ):
                for form in (f"{base}{n}", f"{base}_{n}"):
                    add(form, target)
                    if base in ("theta", "b", "bias"):
                        add(form + "+", lb.new_bias(u))
    return names


def suggestions(name: str, solution: Any, labels: Iterable[str]) -> list[str]:
    """The right slide-style names near a wrong one: ``w36`` → the weights into unit 6 and out of 3."""
    net = layout(solution)
    if net is None:
        return []
    m = re.fullmatch(r"w_?(\d)_?,?(\d)(\+?)", normalize(name))
    if not m:
        return []
    a, b, updated = int(m.group(1)), int(m.group(2)), m.group(3)
    out: list[str] = []
    for layer, units in enumerate(net.units):
        for u in units:
            for src in net.fed_by(layer):
                s, d = net.numbers[src], net.numbers[u]
                if d == b or s == a:
                    out.append(f"w{s}{d}{updated}")
    return out[:8]


# --- result paths ---------------------------------------------------------------------------

_PART = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def path_label(solution: Any, path: str, labels: Mapping[str, Any]) -> str | None:
    """The step a network result path names, by structure: ``layers[1].out[0]`` → ``out_o1``.

    ``labels`` maps each step label to its step; the last matching label wins for final
    weights (the last update written out).  None where the path is not one a step shows.
    """
    net = layout(solution)
    if net is None:
        return None
    parts = _PART.findall(path.removeprefix("result."))
    keys = [name for name, _ in parts if name]
    idx = [int(i) for name, i in parts if not name]
    if keys == ["layers"] or (keys and keys[0] != "layers" and keys[0] not in ("output", "loss")):
        return None
    from dlcalc.topics.network import labels as lb

    if keys == ["output"] and len(idx) == 1 and 0 <= idx[0] < len(net.units[-1]):
        return lb.out(net.units[-1][idx[0]])
    if keys == ["loss"] and not idx:
        for label in (lb.total(), lb.MEAN_LOSS):
            if label in labels:
                return label
        return None
    if len(keys) != 2 or not idx:
        return None
    layer = idx[0]
    if not 0 <= layer < len(net.units):
        return None
    units = net.units[layer]
    key, rest = keys[1], idx[1:]
    if not rest or not 0 <= rest[0] < len(units):
        return None
    u = units[rest[0]]
    if key in ("out", "net", "grad_net", "grad_bias") and len(rest) == 1:
        return {"out": lb.out(u), "net": lb.net(u), "grad_net": lb.delta(u)}.get(
            key, lb.grad_bias(u)
        )
    if key in ("weights", "grad_weights") and len(rest) == 2:
        fed = net.fed_by(layer)
        if not 0 <= rest[1] < len(fed):
            return None
        w = net.weight_label(layer, rest[0], rest[1])
        if key == "grad_weights":
            return lb.grad_weight(w)
        return _last_update(lb.new_weight(w), labels)
    if key == "bias" and len(rest) == 1:
        return _last_update(lb.new_bias(u), labels)
    return None


def _last_update(label: str, labels: Mapping[str, Any]) -> str | None:
    """``w5_new`` or the last of its later updates (``w5_new@e3``) that is written out."""
    last = label if label in labels else None
    for other in labels:
        if other.startswith(label + "@"):
            last = other
    return last
