"""Problem files for ``init``: a weight-initialisation scheme, the layer widths, a gain."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from dlcalc.errors import InputError
from dlcalc.specs.common import Number, Whole, one_of
from dlcalc.specs.loader import Document, field_path, validate
from dlcalc.specs.problem import Problem

SCHEMES = (
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
)
MAX_LAYERS = 50
MAX_WIDTH = 1_000_000
MAX_DRAWN = 1_000_000  # weights drawn with `seed` (all layers together)


class InitProblem(Problem):
    scheme: Annotated[str, AfterValidator(one_of(SCHEMES, "scheme"))]
    sizes: list[Whole]
    gain: Number = 1.0
    input_variance: Number | None = None
    seed: Whole | None = None


def _fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def load_init(doc: Document) -> InitProblem:
    """Validate an init problem: at least two widths, each at least 1; a gain above 0."""
    spec = validate(InitProblem, doc)
    if len(spec.sizes) < 2:
        raise _fail(
            doc,
            "expected at least two layer widths, e.g. `sizes: [784, 256, 10]` "
            "(one weight matrix between each pair)",
            "sizes",
        )
    if len(spec.sizes) > MAX_LAYERS + 1:
        raise _fail(doc, f"expected at most {MAX_LAYERS + 1} widths", "sizes")
    for i, n in enumerate(spec.sizes):
        if not 1 <= n <= MAX_WIDTH:
            raise _fail(doc, f"expected a width from 1 to {MAX_WIDTH:,}, got {n}", "sizes", i)
    if not spec.gain > 0:
        raise _fail(doc, f"expected a gain above 0, got {spec.gain:g}", "gain")
    if spec.input_variance is not None and spec.input_variance < 0:
        raise _fail(
            doc, f"expected a variance of at least 0, got {spec.input_variance:g}", "input_variance"
        )
    if spec.seed is not None:
        if spec.seed < 0:
            raise _fail(doc, f"expected a seed of at least 0, got {spec.seed}", "seed")
        drawn = sum(a * b for a, b in zip(spec.sizes, spec.sizes[1:]))
        if drawn > MAX_DRAWN:
            raise _fail(
                doc,
                f"drawing {drawn:,} weights is too many for a worked example (at most "
                f"{MAX_DRAWN:,}); leave out `seed` for the variances alone",
                "seed",
            )
    return spec
