"""An autoencoder with one code layer, forward and backward, with the regularised variants.

x̃ = x ⊙ mask (denoising; else x̃ = x), a = W·x̃ + b, h = f(a) (the code), â = V·h + c,
x̂ = g(â), E = the loss between x̂ and the clean x.  Tied weights: V = Wᵀ, so each W_ji
gets two gradient terms, one as an encoder weight and one as a decoder weight, summed.
Penalties on the code: L1, λ·Σ|h_j|, or KL to a target activation ρ, β·Σ KL(ρ ‖ ρ̂_j)
with ρ̂_j = h_j (one example); contractive, λ·‖∂h/∂x‖²_F = λ·Σ_j f'(a_j)²·Σ_i W_ji².
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlcalc.errors import InputError
from dlcalc.model.formula import ONE, TWO, Name, Node, Num, Partial, Q, call, q, total
from dlcalc.model.steps import Section, Solution
from dlcalc.specs.autoencoder import AutoencoderProblem
from dlcalc.topics.worked import Work, indexed, label


def _slope_of_slope(kind: str, h: Q, s: Q) -> Node:
    """d f′(a)/da written with the code value h and the slope s = f′(a): σ″ = s·(1 − 2h), tanh″ = −2h·s."""
    if kind == "sigmoid":
        return s * (ONE - TWO * h)
    if kind == "tanh":
        return -(TWO * h * s)
    return Num(0)  # relu, linear: f′ is constant where it is defined


def _refuse_saturated(
    spec: AutoencoderProblem, carry: int | None, h: list[Q], xhat: list[Q]
) -> None:
    """A sigmoid that came out as exactly 0 or 1 where a log or 1/(1 − h) needs it inside (0, 1)."""
    why = (
        f"after rounding to {carry} decimals (--carry {carry}); carry more decimals"
        if carry is not None
        else "in double precision: its net input is too large; use smaller weights"
    )
    if spec.loss == "bce":
        for i, x in enumerate(xhat):
            if x.value in (0.0, 1.0):
                raise InputError(
                    f"the reconstruction x̂{i + 1} comes out as exactly {x.value:g} {why}, and bce "
                    "needs ln x̂ and ln(1 − x̂)",
                    field="loss",
                )
    if spec.sparsity is not None and spec.sparsity.kind == "kl":
        for j, v in enumerate(h):
            if v.value in (0.0, 1.0):
                raise InputError(
                    f"the code value h{j + 1} comes out as exactly {v.value:g} {why}, and the KL "
                    "sparsity penalty needs ln h and ln(1 − h)",
                    field="sparsity",
                )


@dataclass
class _Forward:
    """The forward pass's quantities: parameters, the input the encoder sees, code and output."""

    xs: list[Q]
    W: list[list[Q]]
    b: list[Q]
    c: list[Q]
    V: list[list[Q]]  # the decoder's weights (W transposed when tied)
    seen: list[Q]  # the input the encoder reads: x, or x ⊙ mask when denoising
    a: list[Q]
    h: list[Q]
    ahat: list[Q]
    xhat: list[Q]


@dataclass
class _Penalties:
    """The code penalties' parts of the backward pass."""

    sparse_grad: list[Node | None]  # ∂(sparsity penalty)/∂h_j, or None without sparsity
    contract_terms: list[tuple[Q, Node, Q]]  # per code unit: s_j, ds_j/da_j, ‖W_j‖²
    lam: Q  # the contractive weight λ_c (0 when there is no contractive penalty)


def _parameters(
    spec: AutoencoderProblem,
) -> tuple[list[Q], list[list[Q]], list[Q], list[Q], list[list[Q]]]:
    """The input x and the parameters W, b, c and the decoder's V (Wᵀ when tied)."""
    n, k = len(spec.input), spec.code_size
    xs = [q(label("x", i), v, indexed("x", i)) for i, v in enumerate(spec.input)]
    W = [
        [q(label("W", j, i), v, indexed("W", j, i)) for i, v in enumerate(row)]
        for j, row in enumerate(spec.weights)
    ]
    b = [q(label("b", j), v, indexed("b", j)) for j, v in enumerate(spec.biases("encoder"))]
    c = [q(label("c", i), v, indexed("c", i)) for i, v in enumerate(spec.biases("decoder"))]
    if spec.tied:
        V = [[W[j][i] for j in range(k)] for i in range(n)]  # the decoder reads W transposed
    else:
        assert spec.decoder_weights is not None
        V = [
            [q(label("V", i, j), v, indexed("V", i, j)) for j, v in enumerate(row)]
            for i, row in enumerate(spec.decoder_weights)
        ]
    return xs, W, b, c, V


def _forward(
    work: Work, spec: AutoencoderProblem, f: Any, g: Any
) -> tuple[Section, Section, _Forward]:
    """The encoder (a = W·x̃ + b, h = f(a)) and decoder (â = V·h + c, x̂ = g(â)) sections."""
    n, k = len(spec.input), spec.code_size
    xs, W, b, c, V = _parameters(spec)
    encode = Section("Encoder: a = W·x + b, h = f(a)")
    if spec.tied:
        encode.add("Tied weights: the decoder uses Wᵀ, so V_ij = W_ji (one set of weights).")
    seen = xs
    if spec.noise_mask is not None:
        encode.add(
            "Denoising: the encoder sees the corrupted input, x ⊙ mask; the loss compares "
            "the reconstruction with the clean x."
        )
        masks = [q(label("mask", i), v, indexed("m", i)) for i, v in enumerate(spec.noise_mask)]
        seen = [
            work.step(encode, label("xt", i), indexed("x", i, accent="tilde"), xs[i] * masks[i])
            for i in range(n)
        ]
    a = [
        work.step(
            encode,
            label("a", j),
            indexed("a", j),
            total([W[j][i] * seen[i] for i in range(n)]) + b[j],
        )
        for j in range(k)
    ]
    h = [
        work.step(encode, label("h", j), indexed("h", j), f.out_formula(a[j], 0.01))
        for j in range(k)
    ]

    decode = Section("Decoder: V·h + c, then g" if not spec.tied else "Decoder: Wᵀ·h + c, then g")
    ahat = [
        work.step(
            decode,
            label("ahat", i),
            indexed("a", i, accent="hat"),
            total([V[i][j] * h[j] for j in range(k)]) + c[i],
        )
        for i in range(n)
    ]
    xhat = [
        work.step(
            decode, label("xhat", i), indexed("x", i, accent="hat"), g.out_formula(ahat[i], 0.01)
        )
        for i in range(n)
    ]
    return encode, decode, _Forward(xs, W, b, c, V, seen, a, h, ahat, xhat)


def _sparsity_penalty(
    work: Work, cost: Section, spec: AutoencoderProblem, h: list[Q]
) -> tuple[Q | None, list[Node | None]]:
    """The L1 or KL sparsity penalty on the code and its gradient for each h_j (None without)."""
    k = len(h)
    if spec.sparsity is None:
        return None, [None] * k
    weight = q(
        "sparsity_weight",
        spec.sparsity.weight,
        Name("λ" if spec.sparsity.kind == "l1" else "β"),
    )
    if spec.sparsity.kind == "l1":
        cost.add("Sparsity (L1): λ·Σ|h_j| pushes code values to 0; its gradient is λ·sign(h_j).")
        pen = work.step(
            cost, "P_sparse", Name("P", "sparse"), weight * total([call("abs", hj) for hj in h])
        )
        return pen, [weight * call("sign", hj) for hj in h]
    rho = q("rho", spec.sparsity.rho, Name("ρ"))
    cost.add(
        "Sparsity (KL): β·Σ KL(ρ ‖ h_j), the divergence of each code unit's mean "
        "activation (h_j itself, for one example) from the target ρ; its gradient is "
        "β·(−ρ/h_j + (1 − ρ)/(1 − h_j))."
    )
    kls = [
        work.step(
            cost,
            label("KL", j),
            indexed("KL", j),
            rho * call("ln", rho / h[j]) + (ONE - rho) * call("ln", (ONE - rho) / (ONE - h[j])),
        )
        for j in range(k)
    ]
    pen = work.step(cost, "P_sparse", Name("P", "sparse"), weight * total(kls))
    return pen, [weight * (-rho / h[j] + (ONE - rho) / (ONE - h[j])) for j in range(k)]


def _contractive_penalty(
    work: Work, cost: Section, spec: AutoencoderProblem, f: Any, fwd: _Forward
) -> tuple[Q | None, list[tuple[Q, Node, Q]], Q]:
    """λ_c·Σ_j f'(a_j)²·Σ_i W_ji², with each unit's slope, its derivative and ‖W_j‖² for later."""
    n, k = len(fwd.xs), len(fwd.h)
    a, h, W = fwd.a, fwd.h, fwd.W
    lam = q("contractive", spec.contractive or 0.0, Name("λ", "c"))
    if spec.contractive is None:
        return None, [], lam
    cost.add(
        "Contractive: λ_c × ‖∂h/∂x‖²_F; since ∂h_j/∂x_i = f'(a_j) × W_ji, the penalty is "
        "λ_c × Σ_j f'(a_j)² × Σ_i W_ji²."
    )
    slopes = [
        work.step(cost, label("s", j), indexed("s", j), f.slope_formula(a[j], h[j], 0.01))
        for j in range(k)
    ]
    norms = [
        work.step(
            cost,
            label("Wsq", j),
            Name("‖W‖²", str(j + 1)),
            total([W[j][i] ** TWO for i in range(n)]),
        )
        for j in range(k)
    ]
    pen_c = work.step(
        cost,
        "P_contractive",
        Name("P", "contractive"),
        lam * total([slopes[j] ** TWO * norms[j] for j in range(k)]),
    )
    contract_terms = [
        (slopes[j], _slope_of_slope(spec.activation, h[j], slopes[j]), norms[j]) for j in range(k)
    ]
    return pen_c, contract_terms, lam


def _cost(
    work: Work, spec: AutoencoderProblem, f: Any, loss: Any, fwd: _Forward
) -> tuple[Section, Q, Q, _Penalties]:
    """The loss term by term, the penalties and their sum J; returns E, J and the penalties."""
    n = len(fwd.xs)
    cost = Section(f"Loss: {loss.description}, with t = x and out the reconstruction")
    errors = [
        work.step(
            cost, label("E", i), indexed("E", i), loss.term_formula(fwd.xs[i], fwd.xhat[i], n)
        )
        for i in range(n)
    ]
    e_total = work.step(cost, "E", Name("E"), total(errors))
    parts: list[Q] = [e_total]
    pen, sparse_grad = _sparsity_penalty(work, cost, spec, fwd.h)
    if pen is not None:
        parts.append(pen)
    pen_c, contract_terms, lam = _contractive_penalty(work, cost, spec, f, fwd)
    if pen_c is not None:
        parts.append(pen_c)
    objective = (
        work.step(cost, "J", Name("J"), total(parts), "the loss plus the penalties")
        if len(parts) > 1
        else e_total
    )
    return cost, e_total, objective, _Penalties(sparse_grad, contract_terms, lam)


def _backward(
    work: Work, f: Any, g: Any, loss: Any, fwd: _Forward, pens: _Penalties, J: Name
) -> tuple[Section, list[Q], list[Q]]:
    """The errors ∂J/∂â_i at the outputs, then ∂J/∂h_j and ∂J/∂a_j at the code."""
    n, k = len(fwd.xs), len(fwd.h)
    V, a, h = fwd.V, fwd.a, fwd.h
    back = Section("Backward pass")
    back.add(
        "First the error at each output's net input (∂E/∂ of the output times g'), then "
        "∂J/∂h_j, the sum over the outputs of V_ij times that error (+ the sparsity term), "
        "then ∂J/∂a_j = ∂J/∂h_j·f'(a_j) (+ the contractive term)."
    )
    d_hat = [
        work.step(
            back,
            label("dahat", i),
            Partial(J, indexed("a", i, accent="hat")),
            loss.grad_formula(fwd.xs[i], fwd.xhat[i], n)
            * g.slope_formula(fwd.ahat[i], fwd.xhat[i], 0.01),
        )
        for i in range(n)
    ]
    d_h = []
    for j in range(k):
        expr = total([V[i][j] * d_hat[i] for i in range(n)])
        extra = pens.sparse_grad[j]
        d_h.append(
            work.step(
                back,
                label("dh", j),
                Partial(J, indexed("h", j)),
                expr + extra if extra is not None else expr,
            )
        )
    d_a = []
    for j in range(k):
        expr = d_h[j] * f.slope_formula(a[j], h[j], 0.01)
        if pens.contract_terms:
            s_j, ds_j, norm_j = pens.contract_terms[j]
            expr = expr + pens.lam * TWO * s_j * ds_j * norm_j
        d_a.append(work.step(back, label("da", j), Partial(J, indexed("a", j)), expr))
    return back, d_hat, d_a


def _gradients(
    work: Work,
    spec: AutoencoderProblem,
    fwd: _Forward,
    pens: _Penalties,
    J: Name,
    d_hat: list[Q],
    d_a: list[Q],
) -> tuple[Section, list[Q], list[Q], list[list[Q]], list[list[Q]]]:
    """∂J/∂b, ∂J/∂c, ∂J/∂W (both terms when tied, + the contractive term) and ∂J/∂V."""
    n, k = len(fwd.xs), len(fwd.h)
    grads = Section("Gradients" + (": tied weights get both terms, summed" if spec.tied else ""))
    grad_b = [
        work.step(grads, label("db", j), Partial(J, indexed("b", j)), d_a[j]) for j in range(k)
    ]
    grad_c = [
        work.step(grads, label("dc", i), Partial(J, indexed("c", i)), d_hat[i]) for i in range(n)
    ]
    grad_w: list[list[Q]] = []
    for j in range(k):
        row = []
        for i in range(n):
            expr = d_a[j] * fwd.seen[i]
            if spec.tied:
                expr = expr + d_hat[i] * fwd.h[j]
            if pens.contract_terms:
                s_j = pens.contract_terms[j][0]
                expr = expr + pens.lam * TWO * s_j**TWO * fwd.W[j][i]
            row.append(work.step(grads, label("dW", j, i), Partial(J, indexed("W", j, i)), expr))
        grad_w.append(row)
    grad_v: list[list[Q]] = []
    if not spec.tied:
        grad_v = [
            [
                work.step(
                    grads, label("dV", i, j), Partial(J, indexed("V", i, j)), d_hat[i] * fwd.h[j]
                )
                for j in range(k)
            ]
            for i in range(n)
        ]
    return grads, grad_b, grad_c, grad_w, grad_v


def _update(
    work: Work,
    spec: AutoencoderProblem,
    fwd: _Forward,
    grad_b: list[Q],
    grad_c: list[Q],
    grad_w: list[list[Q]],
    grad_v: list[list[Q]],
    result: dict[str, Any],
) -> Section:
    """One gradient-descent step θ⁺ = θ − η·∂J/∂θ on every parameter, stored in ``result``."""
    n, k = len(fwd.xs), len(fwd.h)
    W, b, c, V = fwd.W, fwd.b, fwd.c, fwd.V
    update = Section("Update θ⁺ = θ − η·∂J/∂θ")
    assert spec.learning_rate is not None
    eta = q("learning_rate", spec.learning_rate, Name("η"))

    def new(old: Q, grad: Q) -> float:
        name = old.symbol.replace(sup="+")  # type: ignore[union-attr]
        return work.step(update, old.label + "_new", name, old - eta * grad).value

    result["weights"] = [[new(W[j][i], grad_w[j][i]) for i in range(n)] for j in range(k)]
    result["bias"] = [new(b[j], grad_b[j]) for j in range(k)]
    if grad_v:
        result["decoder_weights"] = [
            [new(V[i][j], grad_v[i][j]) for j in range(k)] for i in range(n)
        ]
    result["decoder_bias"] = [new(c[i], grad_c[i]) for i in range(n)]
    return update


def _values(rows: list[list[Q]]) -> list[list[float]]:
    """The numbers of a matrix of quantities."""
    return [[x.value for x in row] for row in rows]


def solve_autoencoder(spec: AutoencoderProblem, carry: int | None = None) -> Solution:
    """Forward pass, loss and penalties, then every gradient by the chain rule."""
    from dlcalc.maths.numerics import ACTIVATION, LOSS

    work = Work(carry)
    f, g, loss = ACTIVATION[spec.activation], ACTIVATION[spec.output_activation], LOSS[spec.loss]
    encode, decode, fwd = _forward(work, spec, f, g)
    _refuse_saturated(spec, carry, fwd.h, fwd.xhat)
    cost, e_total, objective, pens = _cost(work, spec, f, loss, fwd)
    J = Name("J") if objective is not e_total else Name("E")
    back, d_hat, d_a = _backward(work, f, g, loss, fwd, pens, J)
    grads, grad_b, grad_c, grad_w, grad_v = _gradients(work, spec, fwd, pens, J, d_hat, d_a)

    result: dict[str, Any] = {
        "hidden": [x.value for x in fwd.h],
        "reconstruction": [x.value for x in fwd.xhat],
        "loss": e_total.value,
        "cost": objective.value,
        "grad_weights": _values(grad_w),
        "grad_bias": [g.value for g in grad_b],
        "grad_decoder_bias": [g.value for g in grad_c],
    }
    if grad_v:
        result["grad_decoder_weights"] = _values(grad_v)
    sections = [encode, decode, cost, back, grads]
    if spec.learning_rate is not None:
        sections.append(_update(work, spec, fwd, grad_b, grad_c, grad_w, grad_v, result))
    return Solution("autoencoder", sections, result, title=spec.title, source=spec.source)
