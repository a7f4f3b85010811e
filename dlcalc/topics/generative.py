"""GAN losses and their gradients; the VAE's reparametrisation, loss and backward pass.

GAN (natural log, means over the examples): the discriminator D outputs the probability
that its input is real, D = σ(a) for its logit a.  It minimises
L_D = −mean ln D(x) − mean ln(1 − D(G(z))), i.e. it maximises V(D, G) = −L_D.  The
generator minimises mean ln(1 − D(G(z))) (saturating, the minimax game) or
−mean ln D(G(z)) (non-saturating, the one used in practice).  Gradients are with respect
to the discriminator's logits, where dD/da = D·(1 − D) cancels the log's 1/D.

VAE: σ = e^(½ ln σ²), z = μ + σ·ε, KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − ln σ²),
loss = reconstruction + β·KL; the backward pass goes through z by the chain rule.
"""

from __future__ import annotations

from typing import Any

from dlcalc.errors import InputError
from dlcalc.model.formula import HALF, ONE, TWO, Name, Node, Num, Partial, Q, call, q, total
from dlcalc.model.steps import Section, Solution
from dlcalc.specs.generative import GanProblem, VaeProblem
from dlcalc.topics.worked import Work, indexed, label

# --- GAN ---------------------------------------------------------------------------------------


def _side(
    work: Work,
    section: Section,
    probabilities: list[float] | None,
    logits: list[float] | None,
    kind: str,
    written: str,
) -> list[Q]:
    """The discriminator's outputs D for one side (real or fake): given, or σ(a) of the logits.

    ``written`` is how the input is written, with {} for its number: x{} or G(z{}).
    """
    if probabilities is not None:
        return [
            q(label(f"D_{kind}", i), p, Name(f"D({written.format(i + 1)})"))
            for i, p in enumerate(probabilities)
        ]
    assert logits is not None
    out = []
    for i, a in enumerate(logits):
        logit = q(label(f"a_{kind}", i), a, Name(f"a({written.format(i + 1)})"))
        out.append(
            work.step(
                section,
                label(f"D_{kind}", i),
                Name(f"D({written.format(i + 1)})"),
                call("sigmoid", logit),
            )
        )
    return out


def _mean(terms: list[Q]) -> Node:
    """(t₁ + … + tₙ)/n, or the single term itself."""
    return total(terms) / Num(len(terms)) if len(terms) > 1 else terms[0]


def _refuse_saturated(ds: list[Q], bad: float, key: str, why: str, carry: int | None) -> None:
    """A D that came out as exactly 0 or 1 (a huge logit, or rounding under --carry) where its log is needed."""
    for i, d in enumerate(ds):
        if d.value == bad:
            cause = (
                f"rounds to {bad:g} at --carry {carry}; carry more decimals"
                if carry is not None
                else "the logit is too large for double precision; give one of smaller size"
            )
            raise InputError(f"D = σ(a) = {bad:g} here ({cause}), and {why}", field=f"{key}[{i}]")


def _discriminator_outputs(
    work: Work, spec: GanProblem, carry: int | None
) -> tuple[Section, list[Q], list[Q]]:
    """D on the real and generated examples (given, or σ of the logits), refusing a saturated D."""
    given = Section("The discriminator's outputs D = σ(a)")
    real = _side(work, given, spec.real, spec.real_logits, "real", "x{}")
    fake = _side(work, given, spec.fake, spec.fake_logits, "fake", "G(z{})")
    if spec.real is None:
        _refuse_saturated(real, 0.0, "real_logits", "ln D(x) is needed", carry)
    if spec.fake is None:
        _refuse_saturated(fake, 1.0, "fake_logits", "ln(1 − D(G(z))) is needed", carry)
        if spec.generator == "non_saturating":
            _refuse_saturated(
                fake, 0.0, "fake_logits", "the non-saturating loss needs ln D(G(z))", carry
            )
    return given, real, fake


def _discriminator_loss(work: Work, real: list[Q], fake: list[Q]) -> tuple[Section, list[Q], Q, Q]:
    """L_D = −mean ln D(x) − mean ln(1 − D(G(z))) term by term, and V(D, G) = −L_D.

    Returns the section, the terms ln(1 − D(G(z_j))), V and L_D.
    """
    disc = Section("Discriminator loss L_D = −mean ln D(x) − mean ln(1 − D(G(z)))")
    disc.add(
        "Real examples should get D(x) near 1 and generated ones D(G(z)) near 0: "
        "binary cross-entropy with target 1 for real data and 0 for generated data."
    )
    ln_real = [
        work.step(disc, label("ln_D_real", i), Name(f"ln D(x{i + 1})"), call("ln", d))
        for i, d in enumerate(real)
    ]
    ln_fake = [
        work.step(
            disc, label("ln_1mD_fake", j), Name(f"ln(1 − D(G(z{j + 1})))"), call("ln", ONE - d)
        )
        for j, d in enumerate(fake)
    ]
    e_real = work.step(
        disc,
        "E_real",
        Name("E", "real"),
        _mean(ln_real),
        "the mean of ln D(x) over the real examples",
    )
    e_fake = work.step(
        disc,
        "E_fake",
        Name("E", "fake"),
        _mean(ln_fake),
        "the mean of ln(1 − D(G(z))) over the generated examples",
    )
    value = work.step(
        disc, "V", Name("V"), e_real + e_fake, "V(D, G): the discriminator maximises it"
    )
    loss_d = work.step(disc, "L_D", Name("L", "D"), -e_real - e_fake, "L_D = −V(D, G)")
    return disc, ln_fake, value, loss_d


def _generator_losses(
    work: Work, spec: GanProblem, fake: list[Q], ln_fake: list[Q], order: list[str]
) -> tuple[Section, dict[str, float]]:
    """Both generator losses in ``order`` (the problem's first); the non-saturating one is
    left out, with a line saying why, when some D(G(z)) is 0."""
    n_f = len(fake)
    gen = Section("Generator losses")
    losses: dict[str, float] = {}
    can_non_saturate = all(d.value > 0 for d in fake)
    for kind in order:
        chosen = (
            "the generator's loss in this problem" if kind == spec.generator else "for comparison"
        )
        if kind == "saturating":
            name = Name("L", "G,sat")
            expr = _mean(ln_fake)
            loss = work.step(
                gen,
                "L_G_saturating",
                name,
                expr,
                f"saturating (minimax) loss mean ln(1 − D(G(z))): {chosen}",
            )
        elif can_non_saturate:
            name = Name("L", "G,non-sat")
            ln_d = [
                work.step(gen, label("ln_D_fake", j), Name(f"ln D(G(z{j + 1}))"), call("ln", d))
                for j, d in enumerate(fake)
            ]
            loss = work.step(
                gen,
                "L_G_non_saturating",
                name,
                -total(ln_d) / Num(n_f) if n_f > 1 else -ln_d[0],
                f"non-saturating loss −mean ln D(G(z)): {chosen}",
            )
        else:
            gen.add(
                "The non-saturating loss −mean ln D(G(z)) is not defined here: some D(G(z)) is 0."
            )
            continue
        losses[kind] = loss.value
    return gen, losses


def _logit_gradients(
    work: Work, real: list[Q], fake: list[Q], kinds: list[str]
) -> tuple[Section, list[float], list[float], dict[str, list[float]]]:
    """∂L_D/∂a on the real and generated examples, then ∂L_G/∂a(G(z)) for each loss in ``kinds``."""
    n_r, n_f = len(real), len(fake)
    grads = Section("Gradients with respect to the logits a (dD/da = D·(1 − D))")
    grads.add(
        "∂L_D/∂a(x_i) = −(1 − D(x_i))/n_real, ∂L_D/∂a(G(z_j)) = D(G(z_j))/n_fake; "
        "generator: −(1 − D(G(z_j)))/n_fake (non-saturating), −D(G(z_j))/n_fake (saturating)."
    )
    l_d = Name("L", "D")
    grad_real = [
        work.step(
            grads,
            label("dLD_da_real", i),
            Partial(l_d, Name(f"a(x{i + 1})")),
            -(ONE - d) / Num(n_r),
        ).value
        for i, d in enumerate(real)
    ]
    grad_fake = [
        work.step(
            grads,
            label("dLD_da_fake", j),
            Partial(l_d, Name(f"a(G(z{j + 1}))")),
            d / Num(n_f),
        ).value
        for j, d in enumerate(fake)
    ]
    gen_grads: dict[str, list[float]] = {}
    for kind in kinds:
        gen_grads[kind] = []
        short = "sat" if kind == "saturating" else "non-sat"
        of = Name("L", f"G,{short}")
        for j, d in enumerate(fake):
            expr = -d / Num(n_f) if kind == "saturating" else -(ONE - d) / Num(n_f)
            tag = "LGsat" if kind == "saturating" else "LGnonsat"
            gen_grads[kind].append(
                work.step(
                    grads, label(f"d{tag}_da_fake", j), Partial(of, Name(f"a(G(z{j + 1}))")), expr
                ).value
            )
    return grads, grad_real, grad_fake, gen_grads


def solve_gan(spec: GanProblem, carry: int | None = None) -> Solution:
    """Discriminator loss term by term, both generator losses, V(D, G) and the logit gradients."""
    work = Work(carry)
    given, real, fake = _discriminator_outputs(work, spec, carry)
    sections = [given] if given.items else []
    disc, ln_fake, value, loss_d = _discriminator_loss(work, real, fake)
    sections.append(disc)
    order = ["non_saturating", "saturating"]
    if spec.generator == "saturating":
        order.reverse()
    gen, losses = _generator_losses(work, spec, fake, ln_fake, order)
    sections.append(gen)
    grads, grad_real, grad_fake, gen_grads = _logit_gradients(
        work, real, fake, [kind for kind in order if kind in losses]
    )
    sections.append(grads)

    notes = [_why_non_saturating(fake)]
    result: dict[str, Any] = {
        "discriminator_loss": loss_d.value,
        "generator_loss": losses[spec.generator],
        "value": value.value,
        "grad_real_logits": grad_real,
        "grad_fake_logits": grad_fake,
        "grad_generator_logits": gen_grads[spec.generator],
        "generator": spec.generator,
        "generator_losses": losses,
        "real": [d.value for d in real],
        "fake": [d.value for d in fake],
    }
    return Solution("gan", sections, result, title=spec.title, source=spec.source, notes=notes)


def _why_non_saturating(fake: list[Q]) -> str:
    """Why the non-saturating loss learns when D(G(z)) is near 0, with this problem's numbers."""
    d = min(f.value for f in fake)
    return (
        "Why the non-saturating loss: early in training the discriminator rejects generated "
        "examples, D(G(z)) ≈ 0.  There the saturating loss ln(1 − D(G(z))) is flat: its "
        "gradient −D(G(z))/n vanishes with D(G(z)), so the generator barely learns.  The "
        "non-saturating loss −ln D(G(z)) has the gradient −(1 − D(G(z)))/n ≈ −1/n there, "
        "and both push D(G(z)) up.  "
        f"Here the smallest D(G(z)) is {d:.4g}: the factors are D = {d:.4g} (saturating) "
        f"against 1 − D = {1 - d:.4g} (non-saturating)."
    )


# --- VAE ---------------------------------------------------------------------------------------


def _reparametrise(
    work: Work, spec: VaeProblem
) -> tuple[Section, list[Q], list[Q], list[Q], list[Q], list[Q]]:
    """σ (from ln σ² when given so) and z = μ + σ·ε for each latent dimension.

    Returns the section, μ, ε, ln σ² (empty when σ is given), σ and z.
    """
    mus = [q(label("mu", d), m, indexed("μ", d)) for d, m in enumerate(spec.mu)]
    eps = [q(label("eps", d), e, indexed("ε", d)) for d, e in enumerate(spec.noise)]
    repar = Section("Reparametrisation z = μ + σ·ε")
    repar.add(
        "z is drawn as μ + σ·ε with ε ~ N(0, 1) given, so that z is a differentiable function "
        "of μ and σ (the randomness sits in ε)."
    )
    logvars: list[Q] = []
    if spec.log_variance is not None:
        logvars = [
            q(label("logvar", d), v, indexed("ln σ", d, sup="2"))
            for d, v in enumerate(spec.log_variance)
        ]
        sigmas = [
            work.step(repar, label("sigma", d), indexed("σ", d), call("exp", HALF * lv))
            for d, lv in enumerate(logvars)
        ]
    else:
        assert spec.sigma is not None
        sigmas = [q(label("sigma", d), s, indexed("σ", d)) for d, s in enumerate(spec.sigma)]
    zs = [
        work.step(repar, label("z", d), indexed("z", d), mus[d] + sigmas[d] * eps[d])
        for d in range(len(mus))
    ]
    return repar, mus, eps, logvars, sigmas, zs


def _kl_divergence(
    work: Work, mus: list[Q], logvars: list[Q], sigmas: list[Q]
) -> tuple[Section, list[Q], Q]:
    """KL(N(μ, σ²) ‖ N(0, 1)) for each latent dimension and summed over them."""
    dims = len(mus)
    kl_section = Section("KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − ln σ²)")
    kls: list[Q] = []
    for d in range(dims):
        log_term: Node = logvars[d] if logvars else TWO * call("ln", sigmas[d])
        expr = HALF * (mus[d] ** TWO + sigmas[d] ** TWO - ONE - log_term)
        kls.append(work.step(kl_section, label("KL", d), indexed("KL", d), expr))
    kl = (
        work.step(kl_section, "KL", Name("KL"), total(kls), "summed over the latent dimensions")
        if dims > 1
        else q("KL_1", kls[0].value, kls[0].name)
    )
    return kl_section, kls, kl


def _vae_loss(
    work: Work, spec: VaeProblem, beta: Q, kl: Q, result: dict[str, Any]
) -> list[Section]:
    """The reconstruction loss (when x is given) and L = reconstruction + β·KL.

    Returns the sections to show and stores the losses in ``result``.
    """
    from dlcalc.maths.numerics import LOSS  # the networks' losses: one formula for each

    sections = []
    loss_section = Section("Loss = reconstruction + β·KL")
    if spec.x is not None and spec.reconstruction is not None:
        rec = Section(f"Reconstruction loss ({spec.reconstruction_loss})")
        n = len(spec.x)
        terms = []
        for i, (t, p) in enumerate(zip(spec.x, spec.reconstruction)):
            x_q = q(label("x", i), t, indexed("x", i))
            xhat = q(label("xhat", i), p, indexed("x", i, accent="hat"))
            if i == 0:
                rec.add(f"{LOSS[spec.reconstruction_loss].description}, with t = x and out = x̂.")
            term = LOSS[spec.reconstruction_loss].term_formula(x_q, xhat, n)
            terms.append(work.step(rec, label("rec", i), indexed("E", i), term))
        rec_loss = work.step(rec, "L_rec", Name("L", "rec"), total(terms))
        sections.append(rec)
        result["reconstruction_loss"] = rec_loss.value
        loss = work.step(loss_section, "L", Name("L"), rec_loss + beta * kl)
    else:
        loss_section.add("No x given: the loss shown is the KL part alone, β·KL.")
        loss = work.step(loss_section, "L", Name("L"), beta * kl)
    sections.append(loss_section)
    result["loss"] = loss.value
    return sections


def _vae_backward(
    work: Work,
    grad_z: list[float],
    beta: Q,
    mus: list[Q],
    eps: list[Q],
    logvars: list[Q],
    sigmas: list[Q],
    result: dict[str, Any],
) -> Section:
    """∂L/∂μ and ∂L/∂ln σ² (or ∂L/∂σ) from the given ∂L_rec/∂z, stored in ``result``."""
    dims = len(mus)
    back = Section("Backward pass through z = μ + σ·ε")
    l_rec = Name("L", "rec")
    gzs = [q(label("grad_z", d), g, Partial(l_rec, indexed("z", d))) for d, g in enumerate(grad_z)]
    l_name = Name("L")
    if logvars:
        back.add(
            "∂z/∂μ = 1 and ∂z/∂ln σ² = ε·σ/2 (σ = e^(½ ln σ²)); ∂KL/∂μ = μ and "
            "∂KL/∂ln σ² = (σ² − 1)/2.  So ∂L/∂μ = ∂L_rec/∂z + β·μ and "
            "∂L/∂ln σ² = ∂L_rec/∂z·ε·σ/2 + β·(σ² − 1)/2."
        )
    else:
        back.add(
            "∂z/∂μ = 1 and ∂z/∂σ = ε; ∂KL/∂μ = μ and ∂KL/∂σ = σ − 1/σ.  So "
            "∂L/∂μ = ∂L_rec/∂z + β·μ and ∂L/∂σ = ∂L_rec/∂z·ε + β·(σ − 1/σ)."
        )
    grad_mu = [
        work.step(
            back, label("dL_dmu", d), Partial(l_name, indexed("μ", d)), gzs[d] + beta * mus[d]
        )
        for d in range(dims)
    ]
    result["grad_mu"] = [g.value for g in grad_mu]
    if logvars:
        grad_lv = [
            work.step(
                back,
                label("dL_dlogvar", d),
                Partial(l_name, indexed("ln σ", d, sup="2")),
                gzs[d] * eps[d] * sigmas[d] / TWO + beta * (sigmas[d] ** TWO - ONE) / TWO,
            )
            for d in range(dims)
        ]
        result["grad_log_variance"] = [g.value for g in grad_lv]
    else:
        grad_s = [
            work.step(
                back,
                label("dL_dsigma", d),
                Partial(l_name, indexed("σ", d)),
                gzs[d] * eps[d] + beta * (sigmas[d] - ONE / sigmas[d]),
            )
            for d in range(dims)
        ]
        result["grad_sigma"] = [g.value for g in grad_s]
    return back


def solve_vae(spec: VaeProblem, carry: int | None = None) -> Solution:
    """σ, z = μ + σ·ε, the KL term by term, the reconstruction loss, the loss and its gradients."""
    work = Work(carry)
    repar, mus, eps, logvars, sigmas, zs = _reparametrise(work, spec)
    kl_section, kls, kl = _kl_divergence(work, mus, logvars, sigmas)
    sections = [repar, kl_section]
    result: dict[str, Any] = {
        "sigma": [s.value for s in sigmas],
        "z": [z.value for z in zs],
        "kl": kl.value,
        "kl_per_dimension": [k.value for k in kls],
    }
    beta = q("beta", spec.beta, Name("β"))
    sections += _vae_loss(work, spec, beta, kl, result)
    if spec.grad_z is not None:
        sections.append(_vae_backward(work, spec.grad_z, beta, mus, eps, logvars, sigmas, result))
    return Solution("vae", sections, result, title=spec.title, source=spec.source)
