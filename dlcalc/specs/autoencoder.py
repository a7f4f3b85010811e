"""Problem files for ``autoencoder``: one hidden layer, tied or not, with the regularised variants."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from dlcalc.specs.common import Matrix, Number, Strict, Vector, one_of, to_number, vector
from dlcalc.specs.generative import fail
from dlcalc.specs.loader import Document, validate
from dlcalc.specs.problem import Problem

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
LOSSES = ("half_sse", "sse", "mse", "bce")
MAX_UNITS = 32  # inputs or code units: every weight gets its own gradient line


def _vector_or_number(value: object) -> float | list[float]:
    if isinstance(value, list):
        return vector(value, "one number per unit, or one number for all")
    return to_number(value)


Bias = Annotated[float | list[float], BeforeValidator(_vector_or_number)]


class Sparsity(Strict):
    kind: Annotated[str, BeforeValidator(one_of(("l1", "kl"), "sparsity penalty"))]
    weight: Number = 0.1  # λ (l1) or β (kl)
    rho: Number = 0.05  # kl: the target mean activation ρ


class AutoencoderProblem(Problem):
    input: Vector
    weights: Matrix  # encoder W: one row per code unit, one column per input
    bias: Bias = 0.0
    tied: bool = False
    decoder_weights: Matrix | None = (
        None  # one row per input (reconstruction), one column per code unit
    )
    decoder_bias: Bias = 0.0
    activation: Annotated[str, BeforeValidator(one_of(ACTIVATIONS, "activation"))] = "sigmoid"
    output_activation: Annotated[str, BeforeValidator(one_of(ACTIVATIONS, "activation"))] = (
        "sigmoid"
    )
    loss: Annotated[str, BeforeValidator(one_of(LOSSES, "loss"))] = "half_sse"
    noise_mask: Vector | None = None  # denoising: the encoder sees x ⊙ mask, the loss the clean x
    sparsity: Sparsity | None = None
    contractive: Number | None = None  # λ of ‖∂h/∂x‖²_F
    learning_rate: Number | None = None  # η: one gradient-descent update of every parameter

    @property
    def code_size(self) -> int:
        return len(self.weights)

    def biases(self, which: str) -> list[float]:
        value = self.bias if which == "encoder" else self.decoder_bias
        size = self.code_size if which == "encoder" else len(self.input)
        return list(value) if isinstance(value, list) else [float(value)] * size


def load_autoencoder(doc: Document) -> AutoencoderProblem:
    """Validate an autoencoder problem: shapes agree, a decoder or `tied: true`, penalties in range."""
    spec = validate(AutoencoderProblem, doc)
    n, k = len(spec.input), spec.code_size
    if n > MAX_UNITS or k > MAX_UNITS:
        raise fail(doc, f"expected at most {MAX_UNITS} inputs and code units", "weights")
    if len(spec.weights[0]) != n:
        raise fail(
            doc,
            f"expected rows of {n} weights (one per input) for each code unit, got {len(spec.weights[0])}",
            "weights",
        )
    if isinstance(spec.bias, list) and len(spec.bias) != k:
        raise fail(doc, f"expected {k} biases (one per code unit), got {len(spec.bias)}", "bias")
    if isinstance(spec.decoder_bias, list) and len(spec.decoder_bias) != n:
        raise fail(
            doc,
            f"expected {n} biases (one per input), got {len(spec.decoder_bias)}",
            "decoder_bias",
        )
    if spec.tied and spec.decoder_weights is not None:
        raise fail(
            doc, "tied: true uses Wᵀ as the decoder; leave out decoder_weights", "decoder_weights"
        )
    if not spec.tied:
        if spec.decoder_weights is None:
            raise fail(doc, "give decoder_weights (n rows of k), or tied: true to use Wᵀ", "tied")
        shape = (len(spec.decoder_weights), len(spec.decoder_weights[0]))
        if shape != (n, k):
            raise fail(
                doc,
                f"expected {n} rows (one per input) of {k} (one per code unit), got {shape[0]} rows of {shape[1]}",
                "decoder_weights",
            )
    if spec.noise_mask is not None:
        if len(spec.noise_mask) != n:
            raise fail(doc, f"expected {n} mask values (one per input)", "noise_mask")
        if any(v not in (0, 1) for v in spec.noise_mask):
            raise fail(doc, "expected 1 (keep) or 0 (corrupt to 0) for each input", "noise_mask")
    if spec.loss == "bce":
        if spec.output_activation != "sigmoid":
            raise fail(doc, "bce needs outputs in (0, 1): use output_activation: sigmoid", "loss")
        if any(not 0 <= x <= 1 for x in spec.input):
            raise fail(doc, "bce needs inputs (the targets) in [0, 1]", "input")
    if spec.sparsity is not None:
        if spec.sparsity.weight < 0:
            raise fail(doc, "expected a weight of at least 0", "sparsity", "weight")
        if spec.sparsity.kind == "kl":
            if spec.activation != "sigmoid":
                raise fail(
                    doc,
                    "the KL sparsity penalty needs sigmoid code units (ρ̂ in (0, 1))",
                    "sparsity",
                )
            if not 0 < spec.sparsity.rho < 1:
                raise fail(
                    doc,
                    f"expected ρ strictly between 0 and 1, got {spec.sparsity.rho:g}",
                    "sparsity",
                    "rho",
                )
    if spec.learning_rate is not None and spec.learning_rate <= 0:
        raise fail(
            doc, f"expected a learning rate above 0, got {spec.learning_rate:g}", "learning_rate"
        )
    if spec.contractive is not None and spec.contractive < 0:
        raise fail(doc, "expected λ of at least 0", "contractive")
    return spec
