"""Templates: problem files in which a number may be a draw, and conditions on the solved variant.

A *draw* stands where a number would: ``{uniform: [lo, hi], decimals: d}`` (a number with d
decimals, every one of them equally likely), ``{integer: [lo, hi]}`` or ``{choice: [a, b, …]}``.
``constraints:`` lists conditions on the solved variant in the safe expression language
(:mod:`dlcalc.maths.expressions`) with one comparison each, or a chain: ``abs(net_h1) < 3``,
``0.05 < out_o1 < 0.95``; the names are the solution's labels and givens.  ``vary:`` holds the
template's own settings (``allow_saturated: true``).  Everything here is pure: a draw is a
function of the template and an integer seed (:func:`variant_seed`, a SHA-256 of the set's
seed and the row's id: never Python's ``hash()``), so the same arguments give the same
problems on any machine.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dlcalc.errors import InputError
from dlcalc.limits import (
    MAX_CHOICES,
    MAX_CONSTRAINTS,
    MAX_DRAW_DECIMALS,
    MAX_DRAW_MAGNITUDE,
    MAX_DRAWS,
)
from dlcalc.specs.loader import Document, field_path

DRAW_KINDS = ("uniform", "integer", "choice")
TEMPLATE_KEYS = ("constraints", "vary")  # a template's own keys: not in its variants
COMPARISON = re.compile(r"<=|>=|==|!=|<|>|≤|≥|≠")
_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "≤": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "≥": lambda a, b: a >= b,
    "==": lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
    "!=": lambda a, b: not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
    "≠": lambda a, b: not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
}


@dataclass(frozen=True)
class Draw:
    """One draw of a template: where it stands and what it may be."""

    path: tuple[str | int, ...]
    kind: str  # uniform | integer | choice
    low: float = 0.0
    high: float = 0.0
    decimals: int = 0
    choices: tuple[Any, ...] = ()

    def pick(self, rng: random.Random) -> Any:
        """One value: every allowed value equally likely (integers of units of 10^-decimals)."""
        if self.kind == "choice":
            return self.choices[rng.randrange(len(self.choices))]
        scale = 10**self.decimals
        lo, hi = math.ceil(self.low * scale - 1e-9), math.floor(self.high * scale + 1e-9)
        k = lo + rng.randrange(hi - lo + 1)
        return k if self.decimals == 0 else round(k / scale, self.decimals)

    def allows(self, value: Any) -> bool:
        """Whether ``value`` is one this draw can give (tests hold variants to it)."""
        if self.kind == "choice":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not self.low - 1e-12 <= value <= self.high + 1e-12:
            return False
        return abs(value * 10**self.decimals - round(value * 10**self.decimals)) < 1e-6

    @property
    def where(self) -> str:
        return field_path(self.path)


@dataclass(frozen=True)
class Constraint:
    """A condition on a solved variant: expressions chained by comparisons."""

    text: str
    parts: tuple[Any, ...]  # parsed expressions
    ops: tuple[str, ...]
    names: frozenset[str]

    def holds(self, values: dict[str, float]) -> bool:
        from dlcalc.maths.expressions import evaluate

        sides = [evaluate(p, values) for p in self.parts]
        if any(math.isnan(s) for s in sides):
            return False
        return all(_COMPARE[op](a, b) for op, a, b in zip(self.ops, sides, sides[1:]))


@dataclass
class Template:
    """A template file read: its data, its draws, constraints and settings."""

    doc: Document
    data: dict[str, Any]  # the file's data without the template's own keys
    draws: list[Draw]
    constraints: list[Constraint]
    allow_saturated: bool = False


def variant_seed(seed: int, row_id: str, attempt: int = 0) -> int:
    """The seed of one variant: a stable hash of the set's seed and the row's id (and the attempt)."""
    text = f"dlcalc-vary\x00{seed}\x00{row_id}" + (f"\x00{attempt}" if attempt else "")
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:6], "big")


def read_template(doc: Document) -> Template:
    """The draws, constraints and settings of a template file (invalid ones: InputError)."""
    if not isinstance(doc.data, dict):
        raise InputError("expected a YAML mapping: a problem file with draws", file=doc.name)
    data = {k: v for k, v in doc.data.items() if k not in TEMPLATE_KEYS}
    draws = list(_draws(data, (), doc))
    if len(draws) > MAX_DRAWS:
        raise InputError(f"{len(draws):,} draws; a template may have at most {MAX_DRAWS:,}")
    settings = doc.data.get("vary") or {}
    if not isinstance(settings, dict) or set(settings) - {"allow_saturated"}:
        raise InputError(
            "expected `vary: {allow_saturated: true}` (the template's own settings)",
            file=doc.name,
            line=doc.line_of(("vary",)),
            field="vary",
        )
    allow = settings.get("allow_saturated", False)
    if not isinstance(allow, bool):
        raise InputError("expected true or false", file=doc.name, field="vary.allow_saturated")
    constraints = _constraints(doc)
    return Template(doc, data, draws, constraints, allow)


def _draws(value: Any, path: tuple[str | int, ...], doc: Document) -> Iterator[Draw]:
    if isinstance(value, dict):
        if set(value) & set(DRAW_KINDS):
            yield _draw(value, path, doc)
            return
        for k, v in value.items():
            yield from _draws(v, (*path, k), doc)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _draws(v, (*path, i), doc)


def _draw(spec: dict[str, Any], path: tuple[str | int, ...], doc: Document) -> Draw:
    """One draw, validated: its range within the budget, its decimals few."""

    def bad(message: str) -> InputError:
        return InputError(message, file=doc.name, line=doc.line_of(path), field=field_path(path))

    kinds = [k for k in DRAW_KINDS if k in spec]
    allowed = {"uniform": {"uniform", "decimals"}, "integer": {"integer"}, "choice": {"choice"}}
    if len(kinds) != 1 or set(spec) - allowed[kinds[0]]:
        raise bad(
            "a draw is {uniform: [lo, hi], decimals: d}, {integer: [lo, hi]} or {choice: [a, b, ...]}; "
            f"got the keys {', '.join(map(str, spec))}"
        )
    kind = kinds[0]
    if kind == "choice":
        options = spec["choice"]
        if not isinstance(options, list) or not options:
            raise bad("choice: expected a list of values to choose from, e.g. [0.1, 0.5]")
        if len(options) > MAX_CHOICES:
            raise bad(f"choice: {len(options):,} options; at most {MAX_CHOICES}")
        for option in options:
            if isinstance(option, (dict, list)) or option is None:
                raise bad("choice: each option is a number or a name, not a list or mapping")
            if isinstance(option, float) and not math.isfinite(option):
                raise bad("choice: each option must be a finite number")
        return Draw(path, kind, choices=tuple(options))
    bounds = spec[kind]
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
    ):
        raise bad(f"{kind}: expected [low, high], two numbers, e.g. [-0.5, 0.5]")
    low, high = float(bounds[0]), float(bounds[1])
    if (
        not (math.isfinite(low) and math.isfinite(high))
        or max(abs(low), abs(high)) > MAX_DRAW_MAGNITUDE
    ):
        raise bad(f"{kind}: the bounds must be finite numbers within ±{MAX_DRAW_MAGNITUDE:g}")
    if low > high:
        raise bad(f"{kind}: low {bounds[0]} is above high {bounds[1]}; write [low, high]")
    decimals = 0
    if kind == "uniform":
        decimals = spec.get("decimals", 2)
        if isinstance(decimals, bool) or not isinstance(decimals, int):
            raise bad(f"decimals: expected a whole number from 0 to {MAX_DRAW_DECIMALS}")
        if not 0 <= decimals <= MAX_DRAW_DECIMALS:
            raise bad(f"decimals: {decimals}; expected 0 to {MAX_DRAW_DECIMALS}")
    elif low != int(low) or high != int(high):
        raise bad("integer: expected whole bounds, e.g. [1, 5]")
    scale = 10**decimals
    if math.floor(high * scale + 1e-9) < math.ceil(low * scale - 1e-9):
        raise bad(f"no number with {decimals} decimals lies in [{bounds[0]}, {bounds[1]}]")
    return Draw(path, kind, low, high, decimals)


def _constraints(doc: Document) -> list[Constraint]:
    from dlcalc.maths.expressions import parse

    assert isinstance(doc.data, dict)
    texts = doc.data.get("constraints")
    if texts is None:
        return []
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise InputError(
            "expected a list of conditions, e.g. ['abs(net_h1) < 3', 'out_o1 > 0.05']",
            file=doc.name,
            line=doc.line_of(("constraints",)),
            field="constraints",
        )
    if len(texts) > MAX_CONSTRAINTS:
        raise InputError(
            f"{len(texts)} conditions; at most {MAX_CONSTRAINTS}",
            file=doc.name,
            field="constraints",
        )
    out = []
    for k, text in enumerate(texts):
        where = f"constraints[{k}]"
        sides = COMPARISON.split(text)
        ops = COMPARISON.findall(text)
        if not ops:
            raise InputError(
                f"{text!r} compares nothing; write a condition such as 'out_o1 > 0.05'",
                file=doc.name,
                line=doc.line_of(("constraints", k)),
                field=where,
            )
        try:
            parts = tuple(parse(side.strip(), where) for side in sides)
        except InputError as e:
            e.file, e.line = doc.name, doc.line_of(("constraints", k))
            raise
        names = frozenset(n for p in parts for n in _symbols(p))
        out.append(Constraint(text, parts, tuple(ops), names))
    return out


def _symbols(node: Any) -> Iterator[str]:
    if node.op == "sym":
        yield node.name
    for child in node.args:
        yield from _symbols(child)


def set_at(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Put ``value`` at ``path`` in nested lists and mappings."""
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def instantiate(template: Template, seed: int) -> dict[str, Any]:
    """The problem data of one variant: every draw replaced by its value for ``seed``."""
    import copy

    rng = random.Random(seed)
    data = copy.deepcopy(template.data)
    for draw in template.draws:
        set_at(data, draw.path, draw.pick(rng))
    return data


def solution_values(solution: Any) -> dict[str, float]:
    """The numbers a constraint may name: every step's value and every given, by label."""
    from dlcalc.grading.checking import Index, _number

    index = Index.of(solution)
    values: dict[str, float] = {}
    for label, value in index.given.items():
        x = _number(value)
        if x is not None:
            values[label] = x
    for label, step in index.by_label.items():
        x = _number(step.value)
        if x is not None:
            values[label] = x
    return values


def check_names(template: Template, values: dict[str, float]) -> None:
    """Refuse a constraint that names a quantity the solved problem does not have."""
    from dlcalc.specs.loader import suggest

    for k, c in enumerate(template.constraints):
        for name in sorted(c.names - set(values)):
            raise InputError(
                f"{c.text!r} names {name!r}, which the solution does not have{suggest(name, values)}",
                file=template.doc.name,
                line=template.doc.line_of(("constraints", k)),
                field=f"constraints[{k}]",
            )
