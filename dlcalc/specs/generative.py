"""Problem files for ``gan`` (discriminator outputs or logits) and ``vae`` (μ, ln σ² or σ, ε, x, x̂)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from dlcalc.errors import InputError
from dlcalc.specs.common import Number, Vector, one_of
from dlcalc.specs.loader import Document, field_path, validate
from dlcalc.specs.problem import Problem

MAX_VALUES = 1_000  # examples of a GAN batch, latent dimensions, reconstructed values

GENERATORS = ("non_saturating", "saturating")
RECONSTRUCTION_LOSSES = ("bce", "sse", "half_sse", "mse")


class GanProblem(Problem):
    real: Vector | None = None
    fake: Vector | None = None
    real_logits: Vector | None = None
    fake_logits: Vector | None = None
    generator: Annotated[str, BeforeValidator(one_of(GENERATORS, "generator loss"))] = (
        "non_saturating"
    )


class VaeProblem(Problem):
    mu: Vector
    log_variance: Vector | None = None
    sigma: Vector | None = None
    noise: Vector
    x: Vector | None = None
    reconstruction: Vector | None = None
    reconstruction_loss: Annotated[
        str, BeforeValidator(one_of(RECONSTRUCTION_LOSSES, "reconstruction loss"))
    ] = "sse"
    beta: Number = 1.0
    grad_z: Vector | None = None


def fail(doc: Document, message: str, *loc: str | int) -> InputError:
    """An input error at ``loc`` (a key path) of the problem file."""
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def _one_of_two(doc: Document, spec: Problem, a: str, b: str, what: str) -> str:
    """Which of the keys ``a`` and ``b`` the file gives (exactly one of them)."""
    given = [k for k in (a, b) if getattr(spec, k) is not None]
    if not given:
        raise fail(doc, f"missing {what}: give `{a}:` or `{b}:`")
    if len(given) == 2:
        raise fail(doc, f"give {what} once: `{a}:` or `{b}:`, not both", b)
    return given[0]


def _count(doc: Document, key: str, values: list[float]) -> None:
    if len(values) > MAX_VALUES:
        raise fail(doc, f"expected at most {MAX_VALUES:,} values, got {len(values):,}", key)


def load_gan(doc: Document) -> GanProblem:
    """Validate a GAN problem: D(x) and D(G(z)) as probabilities (or logits), their logs finite."""
    spec = validate(GanProblem, doc)
    real = _one_of_two(doc, spec, "real", "real_logits", "the discriminator's outputs on real data")
    fake = _one_of_two(doc, spec, "fake", "fake_logits", "the discriminator's outputs on G(z)")
    for key in (real, fake):
        _count(doc, key, getattr(spec, key))
    if real == "real":
        for i, p in enumerate(spec.real or []):
            if not 0 <= p <= 1:
                raise fail(doc, f"expected a probability D(x) in [0, 1], got {p:g}", "real", i)
            if p == 0:
                raise fail(
                    doc,
                    "D(x) = 0 for a real example: its log ln D(x) is needed and is −∞; "
                    "give a probability above 0 (or the logit in real_logits)",
                    "real",
                    i,
                )
    if fake == "fake":
        for j, p in enumerate(spec.fake or []):
            if not 0 <= p <= 1:
                raise fail(doc, f"expected a probability D(G(z)) in [0, 1], got {p:g}", "fake", j)
            if p == 1:
                raise fail(
                    doc,
                    "D(G(z)) = 1 for a generated example: ln(1 − D(G(z))) is needed and is −∞; "
                    "give a probability below 1 (or the logit in fake_logits)",
                    "fake",
                    j,
                )
            if p == 0 and spec.generator == "non_saturating":
                raise fail(
                    doc,
                    "D(G(z)) = 0: the non-saturating generator loss needs ln D(G(z)), which is −∞; "
                    "give a probability above 0, or `generator: saturating`",
                    "fake",
                    j,
                )
    return spec


def load_vae(doc: Document) -> VaeProblem:
    """Validate a VAE problem: one value per latent dimension, x and x̂ alike, σ > 0."""
    spec = validate(VaeProblem, doc)
    spread = _one_of_two(doc, spec, "log_variance", "sigma", "the spread of q(z|x)")
    dims = len(spec.mu)
    _count(doc, "mu", spec.mu)
    for key in (spread, "noise", "grad_z"):
        values = getattr(spec, key)
        if values is not None and len(values) != dims:
            raise fail(
                doc,
                f"expected {dims} value{'s' if dims > 1 else ''} (one per latent dimension, as mu), "
                f"got {len(values)}",
                key,
            )
    if spec.sigma is not None:
        for d, s in enumerate(spec.sigma):
            if s <= 0:
                raise fail(doc, f"expected a standard deviation above 0, got {s:g}", "sigma", d)
    for d, v in enumerate(spec.log_variance or []):
        if v > 700:
            raise fail(
                doc, f"expected ln σ² of at most 700 (σ² = e^{v:g} overflows)", "log_variance", d
            )
    if spec.beta < 0:
        raise fail(doc, f"expected beta of at least 0, got {spec.beta:g}", "beta")
    if (spec.x is None) != (spec.reconstruction is None):
        missing = "reconstruction" if spec.x is not None else "x"
        raise fail(
            doc,
            "the reconstruction loss needs both the input `x:` and the decoder's output "
            f"`reconstruction:`; `{missing}:` is missing",
            "x" if spec.x is not None else "reconstruction",
        )
    if spec.x is not None and spec.reconstruction is not None:
        _count(doc, "x", spec.x)
        if len(spec.reconstruction) != len(spec.x):
            raise fail(
                doc,
                f"expected {len(spec.x)} values (one per input value in x), "
                f"got {len(spec.reconstruction)}",
                "reconstruction",
            )
        if spec.reconstruction_loss == "bce":
            for i, t in enumerate(spec.x):
                if not 0 <= t <= 1:
                    raise fail(doc, f"bce expects targets in [0, 1], got {t:g}", "x", i)
            for i, p in enumerate(spec.reconstruction):
                if not 0 < p < 1:
                    raise fail(
                        doc,
                        f"bce needs ln x̂ and ln(1 − x̂), so x̂ must lie strictly between 0 and 1; "
                        f"got {p:g}",
                        "reconstruction",
                        i,
                    )
    return spec
