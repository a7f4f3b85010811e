"""Problem files for ``attention``: Q, K, V, an optional mask and ∂L/∂output."""

from __future__ import annotations

from dlcalc.specs.common import Matrix, Strict, Whole
from dlcalc.specs.generative import fail
from dlcalc.specs.loader import Document, validate
from dlcalc.specs.problem import Problem

MAX_SIDE = 64  # queries, keys or features
MAX_WORK = 50_000  # multiply-adds n·m·(d_k + d_v): each is written out as a term


class MultiHead(Strict):
    """Multi-head attention's sizes: d_model split over ``heads``, n queries over m keys."""

    d_model: Whole
    heads: Whole
    queries: Whole  # n: positions that ask (the sequence length, for self-attention)
    keys: Whole | None = None  # m: positions attended to (default n)
    bias: bool = True


class AttentionProblem(Problem):
    queries: Matrix | None = None
    keys: Matrix | None = None
    values: Matrix | None = None
    mask: Matrix | None = None
    scale: bool = True
    grad_output: Matrix | None = None
    multi_head: MultiHead | None = None

    @property
    def d_k(self) -> int:
        assert self.queries is not None
        return len(self.queries[0])

    @property
    def d_v(self) -> int:
        assert self.values is not None
        return len(self.values[0])


def load_attention(doc: Document) -> AttentionProblem:
    """Validate an attention problem: the shapes agree, the mask is 0/1 and blocks no whole row."""
    spec = validate(AttentionProblem, doc)
    if spec.multi_head is not None:
        _check_heads(doc, spec.multi_head)
    given = [k for k in ("queries", "keys", "values") if getattr(spec, k) is not None]
    if spec.multi_head is not None and not given:
        for key in ("mask", "grad_output"):
            if getattr(spec, key) is not None:
                raise fail(doc, "give queries, keys and values for a mask or a backward pass", key)
        return spec
    for key in ("queries", "keys", "values"):
        if getattr(spec, key) is None:
            raise fail(doc, f"missing required key {key!r}")
    assert spec.queries is not None and spec.keys is not None and spec.values is not None
    n, m = len(spec.queries), len(spec.keys)
    for key, size in (
        ("queries", n),
        ("keys", m),
        ("values", len(spec.values)),
        ("queries", spec.d_k),
        ("values", spec.d_v),
    ):
        if size > MAX_SIDE:
            raise fail(
                doc,
                f"expected at most {MAX_SIDE} rows and columns, got {size}; solve a smaller problem",
                key,
            )
    if len(spec.keys[0]) != spec.d_k:
        raise fail(
            doc,
            f"expected keys of d_k = {spec.d_k} numbers (as long as each query, for q·k), "
            f"got {len(spec.keys[0])}",
            "keys",
        )
    if len(spec.values) != m:
        raise fail(doc, f"expected {m} rows (one value per key), got {len(spec.values)}", "values")
    work = n * m * (spec.d_k + spec.d_v) * (3 if spec.grad_output is not None else 1)
    if work > MAX_WORK:
        raise fail(
            doc,
            f"this problem needs about {work:,} written multiply-adds, over the limit of {MAX_WORK:,} "
            "(a worked example should stay readable); use fewer queries, keys or features",
            "queries",
        )
    if spec.mask is not None:
        if (len(spec.mask), len(spec.mask[0])) != (n, m):
            raise fail(
                doc,
                f"expected {n} rows of {m} (one entry per query and key), "
                f"got {len(spec.mask)} rows of {len(spec.mask[0])}",
                "mask",
            )
        for i, row in enumerate(spec.mask):
            for j, v in enumerate(row):
                if v not in (0, 1):
                    raise fail(doc, f"expected 1 (attend) or 0 (block), got {v:g}", "mask", i, j)
            if not any(row):
                raise fail(
                    doc,
                    f"query {i + 1} has every key blocked: its scores are all −∞ and softmax "
                    "is undefined; let it attend to at least one key",
                    "mask",
                    i,
                )
    if spec.grad_output is not None:
        shape = (len(spec.grad_output), len(spec.grad_output[0]))
        if shape != (n, spec.d_v):
            raise fail(
                doc,
                f"expected the output's shape, {n} rows of {spec.d_v} (∂L/∂output for every "
                f"output), got {shape[0]} rows of {shape[1]}",
                "grad_output",
            )
    return spec


MAX_SIZE = 10**6


def _check_heads(doc: Document, h: MultiHead) -> None:
    for key in ("d_model", "heads", "queries", "keys"):
        value = getattr(h, key)
        if value is not None and not 1 <= value <= MAX_SIZE:
            raise fail(
                doc,
                f"expected a whole number from 1 to {MAX_SIZE:,}, got {value}",
                "multi_head",
                key,
            )
    if h.d_model % h.heads:
        raise fail(
            doc,
            f"d_model = {h.d_model} does not split into {h.heads} heads of equal size "
            f"(d_k = d_model/heads = {h.d_model / h.heads:g}); expected a divisor of d_model",
            "multi_head",
            "heads",
        )
