"""Softmax, cross-entropy and KL divergence, worked out term by term.

Everything here is computed so that large scores cannot overflow: softmax subtracts
the largest score first, cross-entropy from logits goes through log-sum-exp.  Log
bases other than e are written as ``ln(…)/ln(2)`` so that one notation covers all.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dlcalc.errors import InputError
from dlcalc.scalars import carry_round, log_sum_exp, xlogx_ratio
from dlcalc.specs.losses import CrossEntropy, Gaussian, KLProblem, SoftmaxProblem
from dlcalc.steps import Arg, Section, Solution, Step, Table

Round = Callable[[float], float]


def rounder(carry: int | None) -> Round:
    """Round to ``carry`` decimals (hand-calculation mode), or leave values alone."""
    if carry is None:
        return lambda x: x
    return lambda x: carry_round(x, carry)


def _in_base(
    template: str, fn: Callable[..., float], base: float, logs_only: bool = False
) -> tuple[str, Callable[..., float]]:
    """The same formula in another log base.

    ``logs_only``: the formula is a sum of multiples of logs (−t × ln(p)), so it is written
    with the base's own log (−t × log₂(p)); otherwise as ``(…)/ln(2)``.
    """
    if base == math.e:
        return template, fn
    if logs_only:
        return template.replace("ln(", f"{log_name(base)}("), lambda *v: fn(*v) / math.log(base)
    return f"({template})/ln({base:g})", lambda *v: fn(*v) / math.log(base)


def log_name(base: float) -> str:
    """How the log of ``base`` is written: ln, log₂ or log₁₀."""
    return {2.0: "log₂", 10.0: "log₁₀"}.get(base, "ln")


def _unit(base: float) -> str:
    return {2.0: "bits", 10.0: "bans (log base 10)"}.get(base, "nats (natural log)")


def _joined(
    parts: list[Arg], empty: float = 0.0
) -> tuple[str, tuple[Arg, ...], Callable[..., float]]:
    """A sum ``{} + {} + …`` of ``parts``."""
    if not parts:
        return "0", (), lambda: empty
    return " + ".join(["{}"] * len(parts)), tuple(parts), lambda *v: math.fsum(v)


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
    scores = [Arg(f"z_{k + 1}", x) for k, x in enumerate(z)]
    if temperature != 1.0:
        section.add(
            f"Temperature T = {temperature:g}: the scores are divided by T first (T > 1 flattens the distribution, T < 1 sharpens it)."
        )
        t_arg = Arg("T", temperature)
        scaled = []
        for k, arg in enumerate(scores):
            value = rnd(arg.value / temperature)
            section.add(Step(f"s_{k + 1}", value, "{}/{}", (arg, t_arg), lambda a, t: a / t))
            scaled.append(Arg(f"s_{k + 1}", value))
        scores = scaled
    m = max(a.value for a in scores)
    section.add(
        Step("m", m, "max(" + ", ".join(["{}"] * n) + ")", tuple(scores), lambda *v: max(v))
    )
    m_arg = Arg("m", m)
    exps = []
    for k, arg in enumerate(scores):
        value = rnd(math.exp(arg.value - m))
        section.add(
            Step(f"e_{k + 1}", value, "e^({} − {})", (arg, m_arg), lambda a, mm: math.exp(a - mm))
        )
        exps.append(Arg(f"e_{k + 1}", value))
    total = rnd(math.fsum(a.value for a in exps))
    template, holes, fn = _joined(exps)
    section.add(Step("S", total, template, holes, fn))
    s_arg = Arg("S", total)
    probs = []
    for k, e in enumerate(exps):
        value = rnd(e.value / total)
        section.add(Step(f"p_{k + 1}", value, "{}/{}", (e, s_arg), lambda a, s: a / s))
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
            "sum": total,
            "temperature": temperature,
        },
        title=spec.title,
        source=spec.source,
        notes=notes,
    )


def _naive(z: list[float]) -> Section:
    """The slides' point: dividing each score by their sum is not a probability for negative scores."""
    section = Section("Why not just divide each score by the sum?")
    args = tuple(Arg(f"z_{k + 1}", x) for k, x in enumerate(z))
    total = math.fsum(z)
    if total == 0:
        section.add(
            "The scores sum to 0, so z_k/Σ z divides by zero: plain normalisation has no answer at all."
        )
        return section
    sum_template = "(" + " + ".join(["{}"] * len(z)) + ")"
    for k, x in enumerate(z):
        section.add(
            Step(
                f"naive_{k + 1}",
                x / total,
                "{}/" + sum_template,
                (args[k], *args),
                lambda a, *v: a / math.fsum(v),
            )
        )
    bad = [k + 1 for k, x in enumerate(z) if not 0 <= x / total <= 1]
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
    losses: list[Arg] = []
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
        losses.append(Arg(f"L{tag}", loss))
        all_probs.append(probs)
        sections.append(section)
    if rows > 1:
        mean = Section("Mean over the examples")
        value = rnd(math.fsum(a.value for a in losses) / rows)
        mean.add(
            Step(
                "L",
                value,
                "(" + " + ".join(["{}"] * rows) + f")/{rows}",
                tuple(losses),
                lambda *v: math.fsum(v) / len(v),
            )
        )
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
    t_arg = Arg(f"t{tag}", t, "t")
    if given == "logits":
        z_arg = Arg(f"z{tag}", v, "z")
        p = rnd(1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v)))
        section.add(
            Step(
                f"p{tag}",
                p,
                "1/(1 + e^(−{}))",
                (z_arg,),
                lambda z: 1.0 / (1.0 + math.exp(-z)),
                symbol="p = σ(z)",
            )
        )
        template, fn = _in_base(
            "ln(1 + e^({})) − {} × {}", lambda z, tt, z2: log_sum_exp([0.0, z]) - tt * z2, base
        )
        section.add(
            "From the logit directly (stable for large |z|): −[t·ln σ(z) + (1 − t)·ln(1 − σ(z))] = ln(1 + e^z) − t·z."
        )
        loss = rnd(fn(v, t, v))
        section.add(Step(f"L{tag}", loss, template, (z_arg, t_arg, z_arg), fn, symbol="L"))
        return loss, [p]
    p_arg = Arg(f"p{tag}", v, "p")
    raw: Callable[..., float]
    if t == 1:
        template, raw = "−ln({})", (lambda p: _log_term(1.0, p))
        holes: tuple[Arg, ...] = (p_arg,)
    elif t == 0:
        template, raw = "−ln(1 − {})", (lambda p: _log_term(1.0, 1.0 - p))
        holes = (p_arg,)
    else:
        template = "−[{} × ln({}) + (1 − {}) × ln(1 − {})]"
        holes = (t_arg, p_arg, t_arg, p_arg)

        def both_terms(tt: float, p: float, t2: float, p2: float) -> float:
            return _log_term(tt, p) + _log_term(1.0 - t2, 1.0 - p2)

        raw = both_terms

    section.add(
        "Binary cross-entropy: L = −[t·ln p + (1 − t)·ln(1 − p)]"
        + (f" with t = {t:g}." if t in (0, 1) else ".")
    )
    template, fn = _in_base(template, raw, base, logs_only=True)
    loss = rnd(fn(*(a.value for a in holes)))
    section.add(Step(f"L{tag}", loss, template, holes, fn, symbol="L"))
    return loss, [v]


def _multi_row(
    section: Section, t: list[float], v: list[float], given: str, base: float, tag: str, rnd: Round
) -> tuple[float, list[float]]:
    n = len(t)
    terms: list[Arg] = []
    log_p: list[float] = []

    def add_term(k: int, written: tuple[str, Callable[..., float]], second: Arg) -> None:
        """The term −t_k·log p_k (from p_k or from ln p_k), its step and its place in the sum."""
        template, fn = written
        t_arg = Arg(f"t{tag}_{k + 1}", t[k], f"t_{k + 1}")
        value = rnd(fn(t[k], second.value))
        symbol = f"−t_{k + 1}·ln p_{k + 1}"
        section.add(Step(f"term{tag}_{k + 1}", value, template, (t_arg, second), fn, symbol=symbol))
        terms.append(Arg(f"term{tag}_{k + 1}", value, symbol))

    if given == "logits":
        z_args = [Arg(f"z{tag}_{k + 1}", x, f"z_{k + 1}") for k, x in enumerate(v)]
        m = max(v)
        m_arg = Arg(f"m{tag}", m, "m")
        section.add(
            Step(
                f"m{tag}",
                m,
                "max(" + ", ".join(["{}"] * n) + ")",
                tuple(z_args),
                lambda *x: max(x),
                symbol="m",
            )
        )
        lse = rnd(log_sum_exp(v))
        holes: list[Arg] = [m_arg]
        for a in z_args:
            holes += [a, m_arg]
        section.add(
            Step(
                f"LSE{tag}",
                lse,
                "{} + ln(" + " + ".join(["e^({} − {})"] * n) + ")",
                tuple(holes),
                lambda mm, *zm: (
                    mm + math.log(math.fsum(math.exp(a - b) for a, b in zip(zm[::2], zm[1::2])))
                ),
                symbol="LSE",
                note="log-sum-exp ln Σ e^(z_j), shifted by m so that nothing overflows",
            )
        )
        lse_arg = Arg(f"LSE{tag}", lse, "LSE")
        log_p = [rnd(x - lse) for x in v]
        probs = [rnd(math.exp(x)) for x in log_p]  # carried like every other answer
        for k in range(n):
            if t[k] == 0:
                continue
            lp = Arg(f"logp{tag}_{k + 1}", log_p[k], f"ln p_{k + 1}")
            section.add(
                Step(
                    lp.name,
                    lp.value,
                    "{} − {}",
                    (z_args[k], lse_arg),
                    lambda a, b: a - b,
                    symbol=f"ln p_{k + 1}",
                )
            )
            add_term(k, _in_base("−{} × {}", lambda tt, lpp: -tt * lpp + 0.0, base), lp)
    else:
        probs = list(v)
        for k in range(n):
            if t[k] == 0:
                continue
            p_arg = Arg(f"p{tag}_{k + 1}", v[k], f"p_{k + 1}")
            add_term(k, _in_base("−{} × ln({})", _log_term, base, logs_only=True), p_arg)
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
        template, holes_t, fn = _joined(terms)
        loss = rnd(fn(*(a.value for a in holes_t)))
        section.add(Step(f"L{tag}", loss, template, holes_t, fn, symbol="L"))
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
    terms: list[Arg] = []
    values: list[float] = []
    for k, (x, y) in enumerate(zip(a, b)):
        if x == 0:
            values.append(0.0)
            continue
        template, fn = _in_base(
            "{} × ln({}/{})", lambda p, p2, q: xlogx_ratio(p, q), base, logs_only=True
        )
        value = rnd(fn(x, x, y))
        note = f"{bn}_{k + 1} = 0 while {an}_{k + 1} > 0: the term is infinite" if y == 0 else None
        step = Step(
            f"{label}_term_{k + 1}",
            value,
            template,
            (Arg(f"{an}_{k + 1}", x), Arg(f"{an}_{k + 1}", x), Arg(f"{bn}_{k + 1}", y)),
            fn,
            symbol=f"{an}_{k + 1}·{log_name(base)}({an}_{k + 1}/{bn}_{k + 1})",
            note=note,
        )
        section.add(step)
        terms.append(Arg(step.label, value, step.symbol))
        values.append(value)
    zero = sum(1 for x in a if x == 0)
    if zero:
        section.add(
            f"{zero} term{'s' if zero != 1 else ''} with {an}_k = 0 contribute{'s' if zero == 1 else ''} 0 (0·ln 0 = 0)."
        )
    template, holes, fn = _joined(terms)
    total = rnd(fn(*(h.value for h in holes)))
    section.add(Step(label, total, template, holes, fn, symbol=f"KL({an}‖{bn})"))
    return total, values


def _entropy(
    section: Section,
    label: str,
    symbol: str,
    p: list[float],
    q: list[float],
    base: float,
    rnd: Round,
) -> float:
    """−Σ p_k·ln q_k over the terms with p_k > 0 (q = p gives the entropy H(p))."""
    holes: list[Arg] = []
    for k, (x, y) in enumerate(zip(p, q)):
        if x > 0:
            holes += [Arg(f"p_{k + 1}", x), Arg(f"{'p' if q is p else 'q'}_{k + 1}", y)]
    inner = " + ".join(["{} × ln({})"] * (len(holes) // 2))

    def raw(*v: float) -> float:
        return math.fsum(_log_term(a, b) for a, b in zip(v[::2], v[1::2]))

    template, fn = _in_base(f"−({inner})", raw, base, logs_only=True)
    value = rnd(fn(*(h.value for h in holes)))
    section.add(Step(label, value, template, tuple(holes), fn, symbol=symbol))
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
            "{} + {}",
            (Arg("H_p", h_p, "H(p)"), Arg("KL_pq", kl_pq, "KL(p‖q)")),
            lambda a, b: a + b,
            symbol="H(p) + KL(p‖q)",
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


def _sigmas(section: Section, g: Gaussian, name: str, rnd: Round) -> list[Arg]:
    """σ per dimension, computed from ln σ² where that is what was given."""
    if g.sigma is not None:
        return [Arg(f"{name}_{d + 1}", s) for d, s in enumerate(g.sigma)]
    assert g.logvar is not None
    out = []
    for d, lv in enumerate(g.logvar):
        value = rnd(math.exp(0.5 * lv))
        step = Step(
            f"{name}_{d + 1}",
            value,
            "e^(½ × {})",
            (Arg(f"logvar_{d + 1}", lv),),
            lambda x: math.exp(0.5 * x),
        )
        section.add(step)
        out.append(Arg(step.label, value))
    return out


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
    parts: list[Arg] = []
    mus = [Arg(f"mu_{d + 1}", m) for d, m in enumerate(g.mu)]
    if g.q is None:
        section.add(
            "The VAE latent loss: KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − ln σ²) for each dimension, summed."
        )
        for d in range(dims):
            if g.logvar is not None:
                lv = Arg(f"logvar_{d + 1}", g.logvar[d])
                template, fn = _in_base(
                    "½ × ({}² + e^({}) − 1 − {})",
                    lambda m, a, b: 0.5 * (m * m + math.exp(a) - 1.0 - b),
                    spec.base,
                )
                holes: tuple[Arg, ...] = (mus[d], lv, lv)
            else:
                s = Arg(f"sigma_{d + 1}", g.sigma[d])  # type: ignore[index]
                template, fn = _in_base(
                    "½ × ({}² + {}² − 1 − ln({}²))",
                    lambda m, a, b: (
                        0.5 * (m * m + a * a - 1.0 - 2.0 * math.log(b))
                    ),  # ln σ² = 2 ln σ: σ² may underflow
                    spec.base,
                )
                holes = (mus[d], s, s)
            value = rnd(fn(*(h.value for h in holes)))
            section.add(Step(f"KL_{d + 1}", value, template, holes, fn))
            parts.append(Arg(f"KL_{d + 1}", value))
    else:
        section.add(
            "KL(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) = ln(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − ½ for each dimension, summed."
        )
        sp = _sigmas(section, g, "sigma", rnd)
        sq = _sigmas(section, g.q, "sigma_q", rnd)
        mq = [Arg(f"mu_q_{d + 1}", m) for d, m in enumerate(g.q.mu)]
        for d in range(dims):
            a_sq, a_mq = sq[d if len(sq) > 1 else 0], mq[d if len(mq) > 1 else 0]
            template, fn = _in_base(
                "ln({}/{}) + ({}² + ({} − {})²)/(2 × {}²) − ½",
                lambda s2, s1, s1b, m1, m2, s2b: _gaussian_pair_kl(s2, s1, s1b, m1, m2, s2b),
                spec.base,
            )
            holes = (a_sq, sp[d], sp[d], mus[d], a_mq, a_sq)
            value = rnd(fn(*(h.value for h in holes)))
            section.add(Step(f"KL_{d + 1}", value, template, holes, fn))
            parts.append(Arg(f"KL_{d + 1}", value))
    if dims > 1:
        template, holes_s, fn_s = _joined(parts)
        total = rnd(fn_s(*(h.value for h in holes_s)))
        section.add(
            Step("KL", total, template, holes_s, fn_s, note="summed over the latent dimensions")
        )
    else:
        total = parts[0].value
    if not math.isfinite(total):
        raise InputError(
            "the Gaussian KL overflows: μ or σ is so large that μ² or σ² exceeds the largest double",
            field="gaussian",
        )
    return Solution(
        "kld",
        [section],
        {"kl": total, "kl_per_dimension": [a.value for a in parts]},
        spec.title,
        spec.source,
        [f"Divergence in {_unit(spec.base)}."],
    )
