"""Softmax, cross-entropy and KL divergence, worked out term by term.

Everything here is computed so that large scores cannot overflow: softmax subtracts
the largest score first, cross-entropy from logits goes through log-sum-exp.  Log
bases other than e are written as ``ln(…)/ln(2)`` so that one notation covers all.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dlcalc.errors import InputError
from dlcalc.maths.scalars import carry_round, log_sum_exp, xlogx_ratio
from dlcalc.model.formula import HALF, ONE, TWO, Name, Node, Num, Q, call, q
from dlcalc.model.formula import q as quantity
from dlcalc.model.formula import total as sum_of
from dlcalc.model.steps import Section, Solution, Step, Table
from dlcalc.specs.losses import CrossEntropy, Gaussian, KLProblem, SoftmaxProblem

Round = Callable[[float], float]


def rounder(carry: int | None) -> Round:
    """Round to ``carry`` decimals (hand-calculation mode), or leave values alone."""
    if carry is None:
        return lambda x: x
    return lambda x: carry_round(x, carry)


def _tree_in_base(expr: Node, base: float) -> Node:
    """The same formula tree in another log base: ``(…)/ln(2)``."""
    if base == math.e:
        return expr
    return expr / call("ln", Num(base))


def _log(x: Node, base: float) -> Node:
    """log of ``x`` in ``base`` written with the base's own log: ln, log₂ or log₁₀."""
    return call({2.0: "log2", 10.0: "log10"}.get(base, "ln"), x)


def log_name(base: float) -> str:
    """How the log of ``base`` is written: ln, log₂ or log₁₀."""
    return {2.0: "log₂", 10.0: "log₁₀"}.get(base, "ln")


def _unit(base: float) -> str:
    return {2.0: "bits", 10.0: "bans (log base 10)"}.get(base, "nats (natural log)")


def _joined(terms: list[Node]) -> Node:
    """The sum of ``terms``; a sum of nothing is 0."""
    return sum_of(terms) if terms else Num(0)


# --- softmax --------------------------------------------------------------------------------


def solve_softmax(spec: SoftmaxProblem, carry: int | None = None) -> Solution:
    """p_k = e^(z_k − m)/Σ_j e^(z_j − m) with m = max z (the shift cancels and prevents overflow)."""
    rnd = rounder(carry)
    z = list(spec.logits)
    n = len(z)
    temperature = spec.temperature
    section = Section("Softmax, computed stably")
    section.add(
        "Every score is shifted by the largest one, m = max z, before exponentiating: "
        "e^(z_k − m)/Σ e^(z_j − m) = e^(z_k)/Σ e^(z_j) because the factor e^(−m) cancels, "
        "and no exponential can exceed 1, so none overflows."
    )
    scores: list[Q] = [
        q(f"z_{k + 1}", x, Name("z", str(k + 1), label_sub=True)) for k, x in enumerate(z)
    ]
    if temperature != 1.0:
        section.add(
            f"Temperature T = {temperature:g}: the scores are divided by T first (T > 1 flattens the distribution, T < 1 sharpens it)."
        )
        t_q = q("T", temperature, Name("T"))
        scaled = []
        for k, z_q in enumerate(scores):
            value = rnd(z_q.value / temperature)
            name = Name("s", str(k + 1), label_sub=True)
            section.add(Step(f"s_{k + 1}", value, name=name, expr=z_q / t_q))
            scaled.append(q(f"s_{k + 1}", value, name))
        scores = scaled
    m = max(a.value for a in scores)
    section.add(Step("m", m, name=Name("m"), expr=call("max", *scores)))
    m_q = q("m", m, Name("m"))
    exps: list[Q] = []
    for k, z_q in enumerate(scores):
        value = rnd(math.exp(z_q.value - m))
        name = Name("e", str(k + 1), label_sub=True)
        section.add(Step(f"e_{k + 1}", value, name=name, expr=call("exp", z_q - m_q)))
        exps.append(q(f"e_{k + 1}", value, name))
    total_value = rnd(math.fsum(a.value for a in exps))
    section.add(Step("S", total_value, name=Name("S"), expr=sum_of(exps)))
    s_q = q("S", total_value, Name("S"))
    probs = []
    for k, e in enumerate(exps):
        value = rnd(e.value / total_value)
        section.add(
            Step(f"p_{k + 1}", value, name=Name("p", str(k + 1), label_sub=True), expr=e / s_q)
        )
        probs.append(value)

    columns = (
        ["k", "z_k"] + (["z_k/T"] if temperature != 1.0 else []) + ["z_k − m", "e^(z_k − m)", "p_k"]
    )
    plain = all(a.value <= 700 for a in scores)
    if plain:
        columns.insert(-2, "e^(z_k)")
    rows = []
    for k in range(n):
        row: list[object] = [k + 1, z[k]]
        if temperature != 1.0:
            row.append(scores[k].value)
        row.append(scores[k].value - m)
        if plain:
            row.append(math.exp(scores[k].value))
        row += [exps[k].value, probs[k]]
        rows.append(row)
    table = Section("Table", [Table(columns, rows, elide=True)])
    if plain:
        table.add(
            Step(
                "S_unshifted",
                math.fsum(math.exp(a.value) for a in scores),
                symbol="Σ e^(z_k)",
                note="without the shift; the probabilities are the same",
            )
        )
    else:
        table.add(
            "e^(z_k) itself would overflow a double here (z above 709); the shifted form does not."
        )
    sections = [section, table]
    table.add(Step("sum_p", math.fsum(probs), symbol="Σ p_k", note="the probabilities sum to 1"))
    notes: list[str] = []
    if spec.show_naive:
        sections.append(_naive(z))
    return Solution(
        command="softmax",
        sections=sections,
        result={
            "probabilities": probs,
            "max": m,
            "exp_shifted": [a.value for a in exps],
            "sum": total_value,
            "temperature": temperature,
        },
        title=spec.title,
        source=spec.source,
        notes=notes,
    )


def _naive(z: list[float]) -> Section:
    """The slides' point: dividing each score by their sum is not a probability for negative scores."""
    section = Section("Why not just divide each score by the sum?")
    zs = [q(f"z_{k + 1}", x, Name("z", str(k + 1), label_sub=True)) for k, x in enumerate(z)]
    total_value = math.fsum(z)
    if total_value == 0:
        section.add(
            "The scores sum to 0, so z_k/Σ z divides by zero: plain normalisation has no answer at all."
        )
        return section
    for k, x in enumerate(z):
        name = Name("naive", str(k + 1), label_sub=True)
        section.add(Step(f"naive_{k + 1}", x / total_value, name=name, expr=zs[k] / sum_of(zs)))
    bad = [k + 1 for k, x in enumerate(z) if not 0 <= x / total_value <= 1]
    if bad:
        which = ", ".join(f"naive_{k}" for k in bad)
        section.add(
            f"{which} {'is' if len(bad) == 1 else 'are'} not between 0 and 1: plain normalisation fails for negative scores; softmax's e^z is always positive."
        )
    else:
        section.add(
            "Here every score is non-negative so the quotients happen to be probabilities, but one negative score would give a negative 'probability'; softmax's e^z is always positive."
        )
    return section


# --- cross-entropy --------------------------------------------------------------------------


def solve_crossentropy(problem: CrossEntropy, carry: int | None = None) -> Solution:
    """−Σ t_k·log p_k per row (binary: −[t log p + (1 − t) log(1 − p)]) and the mean over rows."""
    rnd = rounder(carry)
    rows = len(problem.targets)
    sections: list[Section] = []
    losses: list[Q] = []
    all_probs: list[list[float]] = []
    notes: list[str] = list(problem.notes)
    for r in range(rows):
        tag = f"_{r + 1}" if rows > 1 else ""
        title = f"Example {r + 1}" if rows > 1 else "Cross-entropy"
        section = Section(title)
        t, v = problem.targets[r], problem.values[r]
        if problem.binary:
            loss, probs = _binary_row(section, t[0], v[0], problem.given, problem.base, tag, rnd)
        else:
            loss, probs = _multi_row(section, t, v, problem.given, problem.base, tag, rnd)
        losses.append(q(f"L{tag}", loss, Name("L", str(r + 1), label_sub=True)))
        all_probs.append(probs)
        sections.append(section)
    if rows > 1:
        mean = Section("Mean over the examples")
        value = rnd(math.fsum(a.value for a in losses) / rows)
        mean.add(Step("L", value, name=Name("L"), expr=sum_of(losses) / Num(rows)))
        sections.append(mean)
        loss = value
    else:
        loss = losses[0].value
    if math.isinf(loss):
        if problem.given == "logits":
            raise InputError(
                "the loss overflows: the logits are so far apart that −log p exceeds the largest double",
                field="logits",
            )
        notes.append(
            "The loss is infinite: a class with a positive target has probability 0 (log 0 = −∞)."
        )
    notes.append(f"Loss in {_unit(problem.base)}.")
    result: dict[str, object] = {"loss": loss}
    if rows > 1:
        result["losses"] = [a.value for a in losses]
    if problem.given == "logits":
        result["probabilities"] = all_probs[0] if rows == 1 else all_probs
    return Solution("crossentropy", sections, result, problem.title, problem.source, notes)


def _log_term(t: float, p: float) -> float:
    """−t·ln p with 0·ln 0 = 0."""
    if t == 0:
        return 0.0
    return math.inf if p == 0 else -t * math.log(p) + 0.0  # + 0.0: no −0


def _binary_row(
    section: Section, t: float, v: float, given: str, base: float, tag: str, rnd: Round
) -> tuple[float, list[float]]:
    t_q = q(f"t{tag}", t, Name("t"))
    if given == "logits":
        z_q = q(f"z{tag}", v, Name("z"))
        p = rnd(1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v)))
        section.add(Step(f"p{tag}", p, symbol="p = σ(z)", expr=ONE / (ONE + call("exp", -z_q))))
        expr = _tree_in_base(call("ln", ONE + call("exp", z_q)) - t_q * z_q, base)
        section.add(
            "From the logit directly (stable for large |z|): −[t·ln σ(z) + (1 − t)·ln(1 − σ(z))] = ln(1 + e^z) − t·z."
        )
        loss = rnd((log_sum_exp([0.0, v]) - t * v) / math.log(base))
        section.add(Step(f"L{tag}", loss, name=Name("L"), expr=expr))
        return loss, [p]
    p_q = q(f"p{tag}", v, Name("p"))
    if t == 1:
        expr = -_log(p_q, base)
        raw = _log_term(1.0, v)
    elif t == 0:
        expr = -_log(ONE - p_q, base)
        raw = _log_term(1.0, 1.0 - v)
    else:
        expr = -(t_q * _log(p_q, base) + (ONE - t_q) * _log(ONE - p_q, base))
        raw = _log_term(t, v) + _log_term(1.0 - t, 1.0 - v)
    section.add(
        "Binary cross-entropy: L = −[t·ln p + (1 − t)·ln(1 − p)]"
        + (f" with t = {t:g}." if t in (0, 1) else ".")
    )
    loss = rnd(raw / math.log(base))
    section.add(Step(f"L{tag}", loss, name=Name("L"), expr=expr))
    return loss, [v]


def _multi_row(
    section: Section, t: list[float], v: list[float], given: str, base: float, tag: str, rnd: Round
) -> tuple[float, list[float]]:
    n = len(t)
    terms: list[Node] = []
    log_p: list[float] = []

    def add_term(k: int, expr: Node, value: float, inner: Node) -> None:
        """The term −t_k·log p_k (from p_k or from ln p_k), its step and its place in the sum
        (``inner`` is t_k·log p_k: the loss is −(Σ t_k·log p_k))."""
        symbol = f"−t_{k + 1}·ln p_{k + 1}"
        section.add(Step(f"term{tag}_{k + 1}", rnd(value), symbol=symbol, expr=expr))
        terms.append(inner)

    def t_q(k: int) -> Q:
        return q(f"t{tag}_{k + 1}", t[k], Name("t", str(k + 1), label_sub=True))

    if given == "logits":
        z_qs = [
            q(f"z{tag}_{k + 1}", x, Name("z", str(k + 1), label_sub=True)) for k, x in enumerate(v)
        ]
        m = max(v)
        m_q = q(f"m{tag}", m, Name("m"))
        section.add(Step(f"m{tag}", m, name=Name("m"), expr=call("max", *z_qs)))
        lse = rnd(log_sum_exp(v))
        shifted = sum_of([call("exp", z - m_q) for z in z_qs])
        section.add(
            Step(
                f"LSE{tag}",
                lse,
                name=Name("LSE"),
                expr=m_q + call("ln", shifted),
                note="log-sum-exp ln Σ e^(z_j), shifted by m so that nothing overflows",
            )
        )
        lse_q = q(f"LSE{tag}", lse, Name("LSE"))
        log_p = [rnd(x - lse) for x in v]
        probs = [rnd(math.exp(x)) for x in log_p]  # carried like every other answer
        for k in range(n):
            if t[k] == 0:
                continue
            label = f"logp{tag}_{k + 1}"
            section.add(Step(label, log_p[k], symbol=f"ln p_{k + 1}", expr=z_qs[k] - lse_q))
            lp = q(label, log_p[k], Name("ln p", str(k + 1), label_sub=True))
            value = (-t[k] * log_p[k] + 0.0) / math.log(base)
            add_term(k, _tree_in_base(-t_q(k) * lp, base), value, t_q(k) * lp)
    else:
        probs = list(v)
        for k in range(n):
            if t[k] == 0:
                continue
            p_q = q(f"p{tag}_{k + 1}", v[k], Name("p", str(k + 1), label_sub=True))
            value = _log_term(t[k], v[k]) / math.log(base)
            add_term(k, -t_q(k) * _log(p_q, base), value, t_q(k) * _log(p_q, base))
    zero = n - len(terms)
    if zero:
        section.add(
            f"{zero} class{'es' if zero != 1 else ''} with target t_k = 0 contribute{'s' if zero == 1 else ''} 0 (0·ln p = 0)."
        )
    if len(terms) == 1:  # one class carries the target (one-hot): its term is the loss
        last = section.steps[-1]
        last.label, last.symbol = f"L{tag}", "L"
        loss = last.value
    else:
        loss = rnd(math.fsum(s.value for s in section.steps if s.label.startswith(f"term{tag}_")))
        expr = -_joined(terms)
        if given == "logits":
            expr = _tree_in_base(expr, base)
        section.add(Step(f"L{tag}", loss, name=Name("L"), expr=expr))
    rows: list[list[object]] = []
    for k in range(n):
        term = (
            0.0
            if t[k] == 0
            else (
                math.inf
                if probs[k] == 0 and given == "probabilities"
                else -t[k] * (log_p[k] if given == "logits" else math.log(probs[k]))
            )
        )
        shown = [probs[k]] if given == "logits" else []
        rows.append([k + 1, t[k], v[k], *shown, term / math.log(base)])
    columns = (
        ["k", "t_k", "p_k" if given == "probabilities" else "z_k"]
        + (["p_k = softmax"] if given == "logits" else [])
        + ["−t_k·log p_k"]
    )
    section.add(Table(columns, rows, elide=True))
    return loss, probs


# --- KL divergence --------------------------------------------------------------------------


def solve_kld(spec: KLProblem, carry: int | None = None) -> Solution:
    """KL(p‖q) of two discrete distributions, or of Gaussians (the VAE latent loss)."""
    if spec.gaussian is not None:
        return _gaussian(spec, carry)
    return _discrete(spec, carry)


def _kl_terms(
    section: Section,
    a: list[float],
    b: list[float],
    an: str,
    bn: str,
    base: float,
    rnd: Round,
    label: str,
) -> tuple[float, list[float]]:
    """Per-term a_k·log(a_k/b_k) steps and their sum KL(a‖b)."""
    terms: list[Node] = []
    values: list[float] = []
    for k, (x, y) in enumerate(zip(a, b)):
        if x == 0:
            values.append(0.0)
            continue
        a_q = q(f"{an}_{k + 1}", x, Name(an, str(k + 1), label_sub=True))
        b_q = q(f"{bn}_{k + 1}", y, Name(bn, str(k + 1), label_sub=True))
        expr = a_q * _log(a_q / b_q, base)
        value = rnd(xlogx_ratio(x, y) / math.log(base))
        note = f"{bn}_{k + 1} = 0 while {an}_{k + 1} > 0: the term is infinite" if y == 0 else None
        symbol = f"{an}_{k + 1}·{log_name(base)}({an}_{k + 1}/{bn}_{k + 1})"
        section.add(Step(f"{label}_term_{k + 1}", value, symbol=symbol, expr=expr, note=note))
        terms.append(expr)
        values.append(value)
    zero = sum(1 for x in a if x == 0)
    if zero:
        section.add(
            f"{zero} term{'s' if zero != 1 else ''} with {an}_k = 0 contribute{'s' if zero == 1 else ''} 0 (0·ln 0 = 0)."
        )
    total = rnd(math.fsum(v for v, x in zip(values, a) if x != 0))
    section.add(Step(label, total, symbol=f"KL({an}‖{bn})", expr=_joined(terms)))
    return total, values


def _entropy(
    section: Section,
    label: str,
    symbol: str,
    p: list[float],
    q_: list[float],
    base: float,
    rnd: Round,
) -> float:
    """−Σ p_k·ln q_k over the terms with p_k > 0 (q = p gives the entropy H(p))."""
    terms: list[Node] = []
    raw: list[float] = []
    for k, (x, y) in enumerate(zip(p, q_)):
        if x > 0:
            p_q = q(f"p_{k + 1}", x, Name("p", str(k + 1), label_sub=True))
            name = "p" if q_ is p else "q"
            y_q = (
                p_q if q_ is p else q(f"{name}_{k + 1}", y, Name(name, str(k + 1), label_sub=True))
            )
            terms.append(p_q * _log(y_q, base))
            raw.append(_log_term(x, y))
    value = rnd(math.fsum(raw) / math.log(base))
    section.add(Step(label, value, symbol=symbol, expr=-_joined(terms)))
    return value


def _discrete(spec: KLProblem, carry: int | None) -> Solution:
    rnd = rounder(carry)
    assert spec.p is not None and spec.q is not None
    p, q, base = list(spec.p), list(spec.q), spec.base
    log = log_name(base)
    forward = Section(f"KL(p‖q) = Σ p_k·{log}(p_k/q_k)")
    kl_pq, terms_pq = _kl_terms(forward, p, q, "p", "q", base, rnd, "KL_pq")
    backward = Section(f"The other direction: KL(q‖p) = Σ q_k·{log}(q_k/p_k)")
    kl_qp, terms_qp = _kl_terms(backward, q, p, "q", "p", base, rnd, "KL_qp")
    if kl_pq != kl_qp:
        backward.add(
            "KL is not symmetric: KL(p‖q) ≠ KL(q‖p), so it is a divergence, not a distance."
        )
    identity = Section("Cross-entropy = entropy + KL: H(p, q) = H(p) + KL(p‖q)")
    h_p = _entropy(identity, "H_p", "H(p)", p, p, base, rnd)
    h_pq = _entropy(identity, "H_pq", "H(p, q)", p, q, base, rnd)
    identity.add(
        Step(
            "H_p_plus_KL",
            rnd(h_p + kl_pq),
            symbol="H(p) + KL(p‖q)",
            expr=quantity("H_p", h_p, Name("H(p)")) + quantity("KL_pq", kl_pq, Name("KL(p‖q)")),
            note="equals H(p, q) above",
        )
    )
    table = Section(
        "Table",
        [
            Table(
                ["k", "p_k", "q_k", f"p_k·{log}(p_k/q_k)", f"q_k·{log}(q_k/p_k)"],
                [[k + 1, p[k], q[k], terms_pq[k], terms_qp[k]] for k in range(len(p))],
                elide=True,
            )
        ],
    )
    notes = []
    if math.isinf(kl_pq):
        zeros = ", ".join(f"q_{k + 1}" for k in range(len(p)) if p[k] > 0 and q[k] == 0)
        notes.append(
            f"KL(p‖q) is infinite: {zeros} = 0 where p > 0, so q gives no probability to an outcome that p can produce."
        )
    notes.append(f"Divergences in {_unit(base)}.")
    return Solution(
        "kld",
        [forward, backward, identity, table],
        {"kl": kl_pq, "kl_reverse": kl_qp, "entropy": h_p, "cross_entropy": h_pq},
        spec.title,
        spec.source,
        notes,
    )


def _sigmas(section: Section, g: Gaussian, name: str, rnd: Round) -> list[Q]:
    """σ per dimension, computed from ln σ² where that is what was given."""
    if g.sigma is not None:
        return [_indexed(name, d, s) for d, s in enumerate(g.sigma)]
    assert g.logvar is not None
    out = []
    for d, lv in enumerate(g.logvar):
        value = rnd(math.exp(0.5 * lv))
        expr = call("exp", HALF * _indexed("logvar", d, lv))
        section.add(Step(f"{name}_{d + 1}", value, name=_indexed(name, d, value).name, expr=expr))
        out.append(_indexed(name, d, value))
    return out


def _indexed(base: str, d: int, value: float) -> Q:
    """The quantity ``base_(d+1)`` of one latent dimension (mu_1, sigma_q_2)."""
    return q(f"{base}_{d + 1}", value, Name(base, str(d + 1), label_sub=True))


def _gaussian_pair_kl(
    sigma_q: float, sigma_p: float, sigma_p2: float, mu_p: float, mu_q: float, sigma_q2: float
) -> float:
    """ln(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½, computed without squaring tiny σ.

    Logs of each σ (never of their ratio) and ratios before squares keep σ = 1e-200 exact:
    two equal tiny Gaussians give 0, not 0/0.
    """
    log_ratio = math.log(sigma_q) - math.log(sigma_p)
    spread = (sigma_p2 / sigma_q2) ** 2
    shift = ((mu_p - mu_q) / sigma_q2) ** 2
    return log_ratio + (spread + shift) / 2 - 0.5


def _gaussian(spec: KLProblem, carry: int | None) -> Solution:
    rnd = rounder(carry)
    g = spec.gaussian
    assert g is not None
    dims = len(g.mu)
    section = Section(
        "KL(N(μ, σ²) ‖ N(0, 1)) per dimension"
        if g.q is None
        else "KL(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) per dimension"
    )
    parts: list[float] = []
    kl_qs: list[Q] = []
    if g.q is None:
        section.add(
            "The VAE latent loss: KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − ln σ²) for each dimension, summed."
        )
        mu_qs = [
            q(f"mu_{d + 1}", m, Name("mu", str(d + 1), label_sub=True)) for d, m in enumerate(g.mu)
        ]
        for d in range(dims):
            if g.logvar is not None:
                lv = q(f"logvar_{d + 1}", g.logvar[d], Name("logvar", str(d + 1), label_sub=True))
                inner: Node = mu_qs[d] ** TWO + call("exp", lv) - ONE - lv
            else:
                sd = q(f"sigma_{d + 1}", g.sigma[d], Name("sigma", str(d + 1), label_sub=True))  # type: ignore[index]
                inner = mu_qs[d] ** TWO + sd**TWO - ONE - TWO * call("ln", sd)  # σ² may underflow
            expr = _tree_in_base(HALF * inner, spec.base)
            value = rnd(float(expr.evaluate()))
            name = Name("KL", str(d + 1), label_sub=True)
            section.add(Step(f"KL_{d + 1}", value, name=name, expr=expr))
            parts.append(value)
            kl_qs.append(q(f"KL_{d + 1}", value, name))
    else:
        section.add(
            "KL(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) = ln(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½ for each dimension, summed."
        )
        sp = _sigmas(section, g, "sigma", rnd)
        sq = _sigmas(section, g.q, "sigma_q", rnd)
        mus = [_indexed("mu", d, m) for d, m in enumerate(g.mu)]
        mq = [_indexed("mu_q", d, m) for d, m in enumerate(g.q.mu)]
        for d in range(dims):
            s_q, m_q = sq[d if len(sq) > 1 else 0], mq[d if len(mq) > 1 else 0]
            s_p = sp[d]
            expr = _tree_in_base(
                call("ln", s_q / s_p)
                + (s_p**TWO + (mus[d] - m_q) ** TWO) / (TWO * s_q**TWO)
                - HALF,
                spec.base,
            )
            pair = _gaussian_pair_kl(
                s_q.value, s_p.value, s_p.value, mus[d].value, m_q.value, s_q.value
            )
            value = rnd(pair / math.log(spec.base))
            name = Name("KL", str(d + 1), label_sub=True)
            section.add(Step(f"KL_{d + 1}", value, name=name, expr=expr))
            parts.append(value)
            kl_qs.append(q(f"KL_{d + 1}", value, name))
    if dims > 1:
        total = rnd(math.fsum(parts))
        note = "summed over the latent dimensions"
        section.add(Step("KL", total, name=Name("KL"), expr=sum_of(kl_qs), note=note))
    else:
        total = parts[0]
    if not math.isfinite(total):
        raise InputError(
            "the Gaussian KL overflows: μ or σ is so large that μ² or σ² exceeds the largest double",
            field="gaussian",
        )
    return Solution(
        "kld",
        [section],
        {"kl": total, "kl_per_dimension": parts},
        spec.title,
        spec.source,
        [f"Divergence in {_unit(spec.base)}."],
    )
