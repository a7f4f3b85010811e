"""Scaled dot-product attention worked entry by entry, forward and backward.

Forward: S = QKᵀ/√d_k (a masked entry is −∞), A = softmax of each row of S (shifted by the
row's maximum, as ``softmax`` does), O = A·V.  Backward, from G = ∂L/∂O:
∂L/∂V = Aᵀ·G, ∂L/∂A = G·Vᵀ, the softmax's Jacobian row by row
∂L/∂S_ij = A_ij·(∂L/∂A_ij − Σ_j′ A_ij′·∂L/∂A_ij′), then ∂L/∂Q = (∂L/∂S)·K/√d_k and
∂L/∂K = (∂L/∂S)ᵀ·Q/√d_k.  A blocked entry has A = 0 and passes no gradient.
"""

from __future__ import annotations

import math
from typing import Any

from dlcalc.errors import InputError
from dlcalc.model.formula import Name, Node, Num, Partial, Q, call, q, total
from dlcalc.model.steps import Grid, Section, Solution, Step
from dlcalc.specs.attention import AttentionProblem, MultiHead
from dlcalc.topics.worked import Work, indexed, label


def _matrix(base: str, rows: list[list[float]]) -> list[list[Q]]:
    """The given entries of a matrix as quantities Q_1_1 … (Q₁,₁ …)."""
    return [
        [q(label(base, i, j), v, indexed(base, i, j)) for j, v in enumerate(row)]
        for i, row in enumerate(rows)
    ]


def _sum_or_zero(terms: list[Node]) -> Node:
    return total(terms) if terms else Num(0)


def solve_attention(spec: AttentionProblem, carry: int | None = None) -> Solution:
    """Scores, row softmax, output, and with ``grad_output`` ∂L/∂Q, ∂L/∂K, ∂L/∂V."""
    heads = _multi_head(spec.multi_head) if spec.multi_head is not None else None
    if spec.queries is None:
        assert heads is not None
        return Solution(
            "attention", [heads[0]], {"multi_head": heads[1]}, title=spec.title, source=spec.source
        )
    assert spec.keys is not None and spec.values is not None
    work = Work(carry)
    n, m, d_k, d_v = len(spec.queries), len(spec.keys), spec.d_k, spec.d_v
    Q_, K_, V_ = _matrix("Q", spec.queries), _matrix("K", spec.keys), _matrix("V", spec.values)
    open_ = [[spec.mask is None or spec.mask[i][j] == 1 for j in range(m)] for i in range(n)]
    root: Node | None = call("sqrt", Num(d_k)) if spec.scale else None

    def scaled(expr: Node) -> Node:
        return expr / root if root is not None else expr

    scores_section = Section(
        "Scores S = QKᵀ/√d_k" + f" (d_k = {d_k})" if spec.scale else "Scores S = QKᵀ (not scaled)"
    )
    if spec.scale:
        scores_section.add(
            "Dividing by √d_k keeps the scores' spread independent of the dimension, so the "
            "softmax does not saturate for long vectors."
        )
    S: list[list[Q | None]] = []
    for i in range(n):
        row: list[Q | None] = []
        for j in range(m):
            if not open_[i][j]:
                row.append(None)
                continue
            dot = total([Q_[i][k] * K_[j][k] for k in range(d_k)])
            row.append(work.step(scores_section, label("S", i, j), indexed("S", i, j), scaled(dot)))
        S.append(row)
    for i, row_s in enumerate(S):
        for j, s_ij in enumerate(row_s):
            if s_ij is not None and not math.isfinite(s_ij.value):
                raise InputError(
                    f"the score of query {i + 1} and key {j + 1} overflows a double "
                    "(about 1.8e308); use queries and keys of ordinary size",
                    field="queries",
                )
    blocked = [f"S{_sub(i, j)}" for i in range(n) for j in range(m) if not open_[i][j]]
    if blocked:
        scores_section.add(
            f"Blocked by the mask: {', '.join(blocked)} = −∞, so e^(−∞) = 0 and "
            + ("its weight is 0." if len(blocked) == 1 else "their weights are 0.")
        )

    soft = Section("Attention weights A = softmax of each row of S")
    soft.add(
        "Each row is shifted by its largest score m_i before exponentiating (the shift "
        "cancels and no exponential overflows)."
    )
    A: list[list[Q | None]] = []
    for i in range(n):
        scores_i = [s for s in S[i] if s is not None]
        m_i = work.step(
            soft,
            label("m", i),
            indexed("m", i),
            call("max", *scores_i) if len(scores_i) > 1 else scores_i[0],
        )
        exps: list[Q | None] = [
            work.step(soft, label("e", i, j), indexed("e", i, j), call("exp", s - m_i))
            if s is not None
            else None
            for j, s in enumerate(S[i])
        ]
        z_i = work.step(
            soft, label("Z", i), indexed("Z", i), total([e for e in exps if e is not None])
        )
        A.append(
            [
                work.step(soft, label("A", i, j), indexed("A", i, j), e / z_i)
                if e is not None
                else None
                for j, e in enumerate(exps)
            ]
        )

    out = Section("Output O = A·V")
    outputs = [
        [
            work.step(
                out,
                label("O", i, c),
                indexed("O", i, c),
                _sum_or_zero([a * V_[j][c] for j, a in enumerate(A[i]) if a is not None]),
            )
            for c in range(d_v)
        ]
        for i in range(n)
    ]
    weights = [[a.value if a is not None else 0.0 for a in row] for row in A]
    result: dict[str, Any] = {
        "scores": [[s.value if s is not None else -math.inf for s in row] for row in S],
        "weights": weights,
        "output": [[o.value for o in row] for row in outputs],
    }
    summary = Section(
        "Summary",
        [
            Grid("Attention weights A (rows: queries, columns: keys)", weights),
            Grid("Output O", result["output"]),
        ],
    )
    sections = [scores_section, soft, out]
    if spec.grad_output is not None:
        sections += _backward(work, spec, Q_, K_, V_, A, scaled, result)
    sections.append(summary)
    if heads is not None:
        sections.append(heads[0])
        result["multi_head"] = heads[1]
    return Solution("attention", sections, result, title=spec.title, source=spec.source)


def _multi_head(h: MultiHead) -> tuple[Section, dict[str, int]]:
    """Multi-head attention's shapes, parameters and multiply–accumulates, as conv-shape counts."""
    section = Section(f"Multi-head attention: d_model = {h.d_model}, {h.heads} heads")
    section.add(
        "Each head projects the queries, keys and values to d_k = d_model/h dimensions "
        "(W_Q, W_K, W_V: d_model × d_model in all, h blocks of d_model × d_k), attends, and "
        "the heads' outputs are concatenated back to d_model and projected by W_O.  "
        "MACs: multiply–accumulates."
    )
    m_value = h.keys if h.keys is not None else h.queries
    d_model = q("d_model", h.d_model, Name("d", "model"))
    heads = q("h", h.heads, Name("h"))
    n = q("n", h.queries, Name("n"))
    m = q("m", m_value, Name("m"))
    values: dict[str, int] = {}

    def add(label: str, name: Name, expr: Node, note: str | None = None) -> Q:
        value = int(round(float(expr.evaluate())))
        section.add(Step(label, value, name=name, expr=expr, note=note))
        values[label] = value
        return q(label, value, name)

    d_k = add("d_k", Name("d", "k"), d_model / heads, "each head's query and key size (d_v alike)")
    weights = d_model * d_model
    one = add(
        "params_projection",
        Name("params", "W"),
        weights + d_model if h.bias else weights,
        "one of W_Q, W_K, W_V, W_O" + (" with its bias" if h.bias else ""),
    )
    add("params", Name("params"), Num(4) * one, "W_Q, W_K, W_V and W_O")
    projections = add(
        "MACs_projections",
        Name("MACs", "QKV"),
        n * d_model * d_model + Num(2) * m * d_model * d_model,
        "Q from the n queries; K and V from the m keys",
    )
    scores = add("MACs_scores", Name("MACs", "scores"), heads * n * m * d_k, "QKᵀ in every head")
    mix = add("MACs_weighted", Name("MACs", "AV"), heads * n * m * d_k, "A·V in every head")
    out = add("MACs_output", Name("MACs", "O"), n * d_model * d_model, "the output projection W_O")
    add("MACs", Name("MACs"), projections + scores + mix + out)
    add("weights_per_head", Name("A", "entries"), n * m, "each head's attention matrix is n × m")
    return section, {
        "d_k": values["d_k"],
        "params": values["params"],
        "params_per_projection": values["params_projection"],
        "macs": values["MACs"],
        "attention_entries_per_head": values["weights_per_head"],
    }


def _sub(*index: int) -> str:
    from dlcalc.model.formula import print_name

    return print_name(indexed("", *index))


def _backward(
    work: Work,
    spec: AttentionProblem,
    Q_: list[list[Q]],
    K_: list[list[Q]],
    V_: list[list[Q]],
    A: list[list[Q | None]],
    scaled: Any,
    result: dict[str, Any],
) -> list[Section]:
    """∂L/∂V, ∂L/∂A, the softmax backward pass ∂L/∂S, then ∂L/∂Q and ∂L/∂K."""
    assert spec.grad_output is not None
    n, m, d_k, d_v = len(Q_), len(K_), spec.d_k, spec.d_v
    L = Name("L")

    def d(base: str, *index: int) -> Partial:
        return Partial(L, indexed(base, *index))

    G = [
        [q(label("dO", i, c), v, d("O", i, c)) for c, v in enumerate(row)]
        for i, row in enumerate(spec.grad_output)
    ]
    values = Section("Backward: ∂L/∂V = Aᵀ·∂L/∂O")
    dV = [
        [
            work.step(
                values,
                label("dV", j, c),
                d("V", j, c),
                _sum_or_zero([a * G[i][c] for i in range(n) if (a := A[i][j]) is not None]),
            ).value
            for c in range(d_v)
        ]
        for j in range(m)
    ]
    soft = Section("Backward through the softmax: ∂L/∂A and ∂L/∂S")
    soft.add(
        "∂L/∂A = ∂L/∂O·Vᵀ; then, row by row, ∂L/∂S_ij = A_ij·(∂L/∂A_ij − r_i) with "
        "r_i = Σ_j A_ij·∂L/∂A_ij (the softmax's Jacobian).  A blocked entry has A = 0, so "
        "its ∂L/∂S is 0."
    )
    dS: list[list[Q | None]] = []
    for i in range(n):
        dA = [
            work.step(
                soft,
                label("dA", i, j),
                d("A", i, j),
                total([G[i][c] * V_[j][c] for c in range(d_v)]),
            )
            if A[i][j] is not None
            else None
            for j in range(m)
        ]
        r_i = work.step(
            soft,
            label("r", i),
            indexed("r", i),
            total([a * g for a, g in zip(A[i], dA) if a is not None and g is not None]),
        )
        dS.append(
            [
                work.step(soft, label("dS", i, j), d("S", i, j), a * (g - r_i))
                if a is not None and g is not None
                else None
                for j, (a, g) in enumerate(zip(A[i], dA))
            ]
        )
    qk = Section(
        "Backward: ∂L/∂Q = ∂L/∂S·K/√d_k, ∂L/∂K = (∂L/∂S)ᵀ·Q/√d_k"
        if spec.scale
        else "Backward: ∂L/∂Q = ∂L/∂S·K, ∂L/∂K = (∂L/∂S)ᵀ·Q"
    )
    dQ = [
        [
            work.step(
                qk,
                label("dQ", i, k),
                d("Q", i, k),
                _scaled_sum(scaled, [s * K_[j][k] for j, s in enumerate(dS[i]) if s is not None]),
            ).value
            for k in range(d_k)
        ]
        for i in range(n)
    ]
    dK = [
        [
            work.step(
                qk,
                label("dK", j, k),
                d("K", j, k),
                _scaled_sum(
                    scaled, [s * Q_[i][k] for i in range(n) if (s := dS[i][j]) is not None]
                ),
            ).value
            for k in range(d_k)
        ]
        for j in range(m)
    ]
    result["grad_queries"] = dQ
    result["grad_keys"] = dK
    result["grad_values"] = dV
    return [values, soft, qk]


def _scaled_sum(scaled: Any, terms: list[Node]) -> Node:
    return scaled(total(terms)) if terms else Num(0)
