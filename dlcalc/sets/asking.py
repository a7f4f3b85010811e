"""What a problem asks for: its ``ask:`` list (or the command's final answers), as values.

A problem file may carry ``ask: [out_o1, E_total, w5_new]``: the quantities a student sheet,
a variant (``dlcalc vary``) and an export ask for.  Each is any name ``check`` accepts for a
claim (a label as the tables show it, its symbol, a slide-style name, a path into
``result``); a name the solution does not have is invalid input.  Without ``ask:``, the
command's final answers are asked (:data:`FINAL_ANSWERS`).

:func:`asked_quantities` is the one place that turns a solved problem and its asks into
``(label, value, shown decimals)`` records; sheets, keys, answers stubs and exports all read
it.  Nothing here prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING, Any

from dlcalc.errors import InputError

if TYPE_CHECKING:
    from dlcalc.grading.checking import Index
    from dlcalc.model.steps import Solution
    from dlcalc.specs.loader import Document

# The final answers of each command: the parts of its JSON ``result`` a sheet asks for when the
# problem has no ``ask:``.  A part is a key of ``result`` or a key under a list of mappings
# (``layers.weights`` is every ``layers[i].weights``; of several parts of one list, the first
# its items have).  Each number there is asked by the label of the step that shows it
# (``layers[1].weights[0][0]`` is ``w5_new``).
FINAL_ANSWERS: dict[str, tuple[str, ...]] = {
    "forward": ("output", "loss"),
    "backprop": ("loss", "layers.weights", "layers.bias"),
    "perceptron": ("weights", "predictions.label", "predictions.outputs"),
    "delta": ("weights", "error"),
    "conv-shape": ("total_params", "total_macs"),
    "conv": ("output",),
    "softmax": ("probabilities",),
    "crossentropy": ("loss",),
    "kld": ("kl",),
    "rnn": ("loss", "parameters"),
    "optimize": ("weights", "loss"),
    "batchnorm": ("output", "grad_gamma", "grad_beta", "grad_input"),
    "attention": ("output",),
    "autoencoder": ("reconstruction", "loss"),
    "gan": ("discriminator_loss", "generator_loss"),
    "vae": ("z", "kl", "loss"),
    "gradcheck": ("max_relative_error",),
    "init": ("layers.variance", "layers.std"),
    "early-stopping": ("best_loss", "epochs.wait"),
}  # otherwise (a command not here, a result without these parts): its last section's steps
_ITEM = re.compile(r"[^.\[\]]+\[(\d+)\]\.")


@dataclass(frozen=True)
class Asked:
    """One asked quantity: the name a sheet shows and an answers file uses, its correct value,
    the decimals it is shown with (the key, an export's tolerance) and its symbol (``∂E/∂w5``)."""

    label: str
    value: Any  # a float or int; a text answer (a class label) is a str
    decimals: int
    symbol: str


def shown_decimals(value: Any, decimals: int) -> int:
    """How many decimals ``value`` is asked and shown to under the renderers' rule ``decimals``,
    trailing zeros counted: 0.5933 → 4, 0.119 → 4, 0.0004386 → 7 (4 significant figures
    below 0.1), 34,944 → 0; ``Places(4)``: 4; ``Significant(3)``: 0.04386 → 4."""
    from dlcalc.render.numbers import HUGE, Places, Significant

    if isinstance(value, (bool, str, Integral)) or value is None:
        return 0
    x = float(value)
    digits = int(decimals)
    if isinstance(decimals, Places):
        return digits
    if x == 0 or not math.isfinite(x):
        return max(digits - 1, 0) if isinstance(decimals, Significant) else digits
    figures = max(digits, 1) if isinstance(decimals, Significant) or abs(x) < 0.1 else None
    if figures is None:
        return 0 if abs(x) >= HUGE else digits
    exponent = int(f"{x:.{figures - 1}e}".split("e")[1])  # of the rounded value
    return max(0, figures - 1 - exponent)


def asks_of(doc: Document | None) -> list[str] | None:
    """The problem file's ``ask:`` list (None: it has none, the final answers are asked)."""
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    asks = data.get("ask")
    if asks is None:
        return None
    return [str(a).strip() for a in asks]


def asked_quantities(
    solution: Solution,
    asks: list[str] | None = None,
    decimals: int = 4,
    doc: Document | None = None,
) -> list[Asked]:
    """The asked quantities of a solved problem, in the order asked.

    ``asks``: names as ``check`` accepts them (None: :data:`FINAL_ANSWERS` of the command).
    A name whose value is a list asks for each of its numbers.  ``decimals`` is the
    renderers' rule (``4``, ``Places(4)``, ``Significant(3)``).  A name the solution does not
    have, or two names for one quantity, is an :class:`InputError` naming the ``ask`` entry
    (with its line when ``doc`` is the problem file) and the close names.
    """
    from dlcalc.grading.checking import Index
    from dlcalc.model.plain import jsonable

    index = Index.of(solution)
    if asks is None:
        pairs = _final_answers(index, solution.command)
    else:
        pairs = []
        for k, name in enumerate(asks):
            try:
                pairs += _named(index, name)
            except InputError as e:
                e.field = f"ask[{k}]"
                e.line = doc.line_of(("ask", k)) if doc is not None else None
                raise
    out: list[Asked] = []
    seen: set[str] = set()
    for label, value in pairs:
        if label in seen:
            raise InputError(
                f"{label!r} is asked for twice (two names in the list mean it); ask for it once",
                field="ask",
                line=doc.line_of(("ask",)) if doc is not None else None,
            )
        seen.add(label)
        step = index.by_label.get(label)
        symbol = step.shown if step is not None else label
        value = jsonable(value)
        out.append(Asked(label, value, shown_decimals(value, decimals), symbol))
    return out


def check_asks(doc: Document, solution: Solution) -> None:
    """Refuse a problem whose ``ask:`` names a quantity its solution does not have."""
    asks = asks_of(doc)
    if asks is not None:
        try:
            asked_quantities(solution, asks, doc=doc)
        except InputError as e:
            e.file = e.file or doc.name
            raise


def _named(index: Index, name: str) -> list[tuple[str, Any]]:
    """``(label, value)`` of every number the ask ``name`` stands for (one, or a list's numbers)."""
    from dlcalc.grading.checking import resolve_path, unknown

    labels = index.lookup(name)
    if labels is not None and len(labels) > 1:
        raise InputError(
            f"{name!r} is shown more than once; ask for one of: {', '.join(labels[:10])}"
        )
    if labels:
        label = labels[0]
        step = index.by_label.get(label)
        value = step.value if step is not None else index.given[label]
        path = None
    else:
        try:
            value = resolve_path(index.result, name)
        except KeyError:
            error = unknown(name, index)
            error.message = error.message.replace("no quantity or result path", "no quantity")
            raise error from None
        label, path = name, name.removeprefix("result.")
    if hasattr(value, "tolist"):
        value = value.tolist()
    if _has_mapping(value):
        raise InputError(f"{name!r} is a group of results; ask for the numbers in it")
    if isinstance(value, list):
        base = path if path is not None else _path_of(index, label)
        if base is None:
            raise InputError(f"{name!r} is a list; ask for its numbers by their labels")
        return _leaves(index, base, value, set())
    if path is not None:
        label = _label_of(index, path, value, set()) or label  # layers[1].out[1] is out_o2
    return [(label, value)]


def _has_mapping(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_mapping(v) for v in value)
    return isinstance(value, dict)


def _path_of(index: Index, label: str) -> str | None:
    """A result path holding the list value of step ``label`` (None: none does)."""
    from dlcalc.grading.checking import _same, resolve_path, result_paths

    step = index.by_label.get(label)
    value = step.value if step is not None else index.given.get(label)
    for path in result_paths(index.result):
        if _same(resolve_path(index.result, path), value):
            return path
    return None


def _leaves(index: Index, path: str, value: Any, used: set[str]) -> list[tuple[str, Any]]:
    """The numbers under ``path``, each by the label of the step that shows it (else its path)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(index, f"{path}.{k}", v, used)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(index, f"{path}[{i}]", v, used)]
    label = _label_of(index, path, value, used)
    if label is not None:
        used.add(label)
        step = index.by_label.get(label)
        return [(label, step.value if step is not None else value)]
    return [(path, value)]


def _label_of(index: Index, path: str, value: Any, used: set[str]) -> str | None:
    """The computed step that shows the result's number at ``path`` (None: none does).

    By name or by the result's structure first (``layers[1].weights[0][0]`` is ``w5_new``);
    else the steps holding exactly that value: those of the latest section that has one (a
    final answer is worked out last), the first not yet asked in print order.
    """
    from dlcalc.grading.checking import _link, _number
    from dlcalc.model.plain import jsonable

    labels = index.lookup(path)
    if labels is not None and len(labels) == 1 and labels[0] in index.by_label:
        return labels[0]
    label = _link(index, path, value)  # by the result's structure, confirmed by the value
    if label is not None and label not in used:
        return label
    if isinstance(value, str):
        hits = [st.label for st in index.steps if st.value == value]
    else:
        x = _number(value)
        if x is None or not math.isfinite(x):
            return None
        hits = index.by_value(x)
    hits = [h for h in dict.fromkeys(hits) if h not in used]
    item = _ITEM.match(path)  # predictions[2]… is shown by the steps tagged @3
    if item is not None:
        tag = f"@{int(item.group(1)) + 1}"
        hits = [h for h in hits if h.endswith(tag)] or hits
    same_kind = [h for h in hits if type(jsonable(index.by_label[h].value)) is type(value)]
    hits = same_kind or hits  # an output 0 is the step 0, not a sum 0.0
    if not hits:
        return None
    section = _sections(index)
    latest = max(section[h] for h in hits)
    return next(h for h in hits if section[h] == latest)


def _sections(index: Index) -> dict[str, int]:
    """The number of the section that shows each step label."""
    return {
        step.label: k
        for k, part in enumerate(index.solution.sections)
        for step in reversed(part.steps)
    }


def _final_answers(index: Index, command: str) -> list[tuple[str, Any]]:
    """``(label, value)`` of the command's final answers (:data:`FINAL_ANSWERS`)."""
    parts = FINAL_ANSWERS.get(command, ())
    result = index.result
    pairs: list[tuple[str, Any]] = []
    used: set[str] = set()
    found_in: set[str] = set()  # lists whose items had one of their parts
    for part in parts:
        key, _, sub = part.partition(".")
        if key not in result or key in found_in:
            continue
        if not sub:
            pairs += _leaves(index, key, result[key], used)
        elif isinstance(result[key], list):
            for i, item in enumerate(result[key]):
                if isinstance(item, dict) and sub in item:
                    found_in.add(key)
                    found = _leaves(index, f"{key}[{i}].{sub}", item[sub], used)
                    # numbers no step shows are not answers (a bias that is not updated)
                    pairs += [
                        (label, v)
                        for label, v in found
                        if label in index.by_label or isinstance(v, str)
                    ]
    if not pairs:  # a command not in the table, or a result without those parts
        last = [section.steps for section in index.solution.sections if section.steps]
        pairs = [(step.label, step.value) for step in (last[-1] if last else [])]
    return pairs
