"""``conv`` problems written with letters (the slides' toy example: input a … A, kernel w x / y z).

A problem whose input or kernels hold a letter is worked symbolically: each output cell is
the sum of its window's products written out, "aw + bx + ey + fz".  Only conv layers (one
kernel or several filters, stride, zero padding, flip), without a backward pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dlcalc.errors import InputError
from dlcalc.specs.common import to_number
from dlcalc.specs.loader import Document, describe, field_path, validate
from dlcalc.specs.problem import Problem

LETTER = re.compile(r"[A-Za-z][A-Za-z0-9]{0,5}", re.ASCII)  # a, w, x1, A: a symbol as written
Entry = str | float  # a letter, or a number
MAX_CELLS = 400
MAX_TERMS = 5_000  # products written out over all output cells of a layer


@dataclass(frozen=True)
class LetterConv:
    """One conv layer over letters: kernels [filter][channel][row][col], stride, padding."""

    kernels: list[list[list[list[Entry]]]]
    stride: tuple[int, int]
    padding: tuple[int, int]
    flip: bool


@dataclass
class LetterNet:
    input: list[list[list[Entry]]]  # [channel][row][col]
    layers: list[LetterConv]
    title: str | None
    source: str | None


def _is_letter(value: Any) -> bool:
    return isinstance(value, str) and LETTER.fullmatch(value.strip()) is not None


def has_letters(doc: Document) -> bool:
    """Whether the problem is a chain of conv layers whose input or kernels hold a letter.

    Such a problem is worked symbolically; any other (with pooling, activations, a backward
    pass) reads numbers only, so that a stray letter there is reported where it stands.
    """
    data = doc.data if isinstance(doc.data, dict) else {}

    def walk(value: Any) -> bool:
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return _is_letter(value)

    layers = data.get("layers")
    if not isinstance(layers, list) or not all(
        isinstance(layer, dict)
        and len(layer) == 1
        and str(next(iter(layer))).strip().lower() == "conv"
        for layer in layers
    ):
        return False  # pooling, activations: numbers only (a letter there is a typo, said so)
    if set(data) - {"title", "source", "command", "input", "layers"}:
        return False
    kernels = []
    for layer in layers:
        if isinstance(layer, dict):
            for settings in layer.values():
                if isinstance(settings, dict):
                    kernels.append(settings.get("kernel"))
                    kernels.extend(
                        f.get("kernel")
                        for f in settings.get("filters") or []
                        if isinstance(f, dict)
                    )
    return walk(data.get("input")) or any(walk(k) for k in kernels if isinstance(k, list))


class _Reader:
    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def fail(self, message: str, *loc: str | int) -> InputError:
        return InputError(
            message, file=self.doc.name, line=self.doc.line_of(loc), field=field_path(loc) or None
        )

    def entry(self, value: Any, loc: tuple[str | int, ...]) -> Entry:
        if _is_letter(value):
            return str(value).strip()
        try:
            return to_number(value)
        except ValueError:
            raise self.fail(
                f"expected a letter (a, w, x1) or a number, got {describe(value)}", *loc
            ) from None

    def matrix(self, value: Any, loc: tuple[str | int, ...]) -> list[list[Entry]]:
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(r, list) and r for r in value)
        ):
            raise self.fail(f"expected a matrix (a list of rows), got {describe(value)}", *loc)
        rows = [
            [self.entry(x, (*loc, i, j)) for j, x in enumerate(row)] for i, row in enumerate(value)
        ]
        if len({len(r) for r in rows}) > 1:
            raise self.fail("expected rows of equal length", *loc)
        return rows

    def tensor(self, value: Any, loc: tuple[str | int, ...]) -> list[list[list[Entry]]]:
        deep = (
            isinstance(value, list)
            and value
            and isinstance(value[0], list)
            and value[0]
            and isinstance(value[0][0], list)
        )
        if not deep:
            return [self.matrix(value, loc)]
        channels = [self.matrix(m, (*loc, c)) for c, m in enumerate(value)]
        if len({(len(m), len(m[0])) for m in channels}) > 1:
            raise self.fail("expected channels of one size", *loc)
        return channels

    def pair(self, value: Any, loc: tuple[str | int, ...], low: int) -> tuple[int, int]:
        items = value if isinstance(value, list) else [value, value]
        try:
            out = [int(to_number(v)) for v in items]
        except ValueError:
            out = []
        if len(out) != 2 or any(v < low or v != to_number(w) for v, w in zip(out, items)):
            raise self.fail(f"expected a whole number of at least {low} or an [h, w] pair", *loc)
        return out[0], out[1]


KNOWN = {"kernel", "filters", "stride", "padding", "flip"}


def load_letters(doc: Document) -> LetterNet:
    """Validate a conv problem written with letters."""
    data = doc.data if isinstance(doc.data, dict) else {}
    r = _Reader(doc)
    extra = set(data) - {"title", "source", "command", "input", "layers"}
    if extra:
        key = sorted(extra)[0]
        raise r.fail(
            f"{key!r} is not available when the numbers are letters (worked symbolically: "
            "conv layers only, no backward pass)",
            key,
        )
    x = r.tensor(data.get("input"), ("input",))
    if sum(len(m) * len(m[0]) for m in x) > MAX_CELLS:
        raise r.fail(f"expected at most {MAX_CELLS} input cells", "input")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise r.fail("expected a list of conv layers", "layers")
    shape = (len(x), len(x[0]), len(x[0][0]))
    terms = 1
    out = []
    for i, item in enumerate(layers):
        if (
            not isinstance(item, dict)
            or len(item) != 1
            or str(next(iter(item))).strip().lower() != "conv"
        ):
            raise r.fail(
                "with letters, every layer is a `conv:` (activations and pooling need numbers)",
                "layers",
                i,
            )
        ((name, s),) = item.items()
        loc: tuple[str | int, ...] = ("layers", i, name)
        if not isinstance(s, dict):
            raise r.fail(f"expected the conv's settings, got {describe(s)}", *loc)
        unknown = set(s) - KNOWN
        if unknown:
            raise r.fail(
                f"unknown key {sorted(unknown)[0]!r}; expected one of: {', '.join(sorted(KNOWN))}",
                *loc,
            )
        if ("kernel" in s) == ("filters" in s):
            raise r.fail("expected either `kernel:` or `filters:` (a list of {kernel})", *loc)
        if "kernel" in s:
            kernels = [r.tensor(s["kernel"], (*loc, "kernel"))]
        else:
            kernels = []
            for f, item_f in enumerate(s["filters"] or []):
                if not isinstance(item_f, dict) or set(item_f) != {"kernel"}:
                    raise r.fail(
                        "expected {kernel: ...} (no bias with letters)", *loc, "filters", f
                    )
                kernels.append(r.tensor(item_f["kernel"], (*loc, "filters", f, "kernel")))
        size = (len(kernels[0][0]), len(kernels[0][0][0]))
        for f, k in enumerate(kernels):
            if len(k) != shape[0] or (len(k[0]), len(k[0][0])) != size:
                raise r.fail(
                    f"filter {f}: expected {shape[0]} channel(s) of {size[0]}×{size[1]}", *loc
                )
        stride = r.pair(s.get("stride", 1), (*loc, "stride"), 1)
        padding = r.pair(s.get("padding", 0), (*loc, "padding"), 0)
        flip = s.get("flip", False)
        if not isinstance(flip, bool):
            raise r.fail("expected true or false", *loc, "flip")
        h = (shape[1] + 2 * padding[0] - size[0]) // stride[0] + 1
        w = (shape[2] + 2 * padding[1] - size[1]) // stride[1] + 1
        if h < 1 or w < 1:
            raise r.fail(
                f"the kernel {size[0]}×{size[1]} is larger than its padded input", *loc, "kernel"
            )
        terms *= shape[0] * size[0] * size[1]  # an output cell's terms, expanded, at most
        if terms * len(kernels) * h * w > MAX_TERMS:
            raise r.fail(
                f"written out, these cells would hold about {terms * len(kernels) * h * w:,} "
                f"terms, over the limit of {MAX_TERMS:,}; use fewer or smaller layers",
                *loc,
            )
        out.append(LetterConv(kernels, stride, padding, flip))
        shape = (len(kernels), h, w)
    head = validate(
        Problem,
        Document(
            {k: data[k] for k in ("title", "source", "command") if k in data},
            doc.name,
            doc.text,
            doc.lines,
        ),
    )
    return LetterNet(x, out, head.title, head.source)
