"""Problem files for ``batchnorm``: a batch (rows are examples), γ, β, ε and optionally ∂L/∂y."""

from __future__ import annotations

from dlcalc.errors import InputError
from dlcalc.specs.common import Matrix, Number, Vector
from dlcalc.specs.loader import Document, field_path, validate
from dlcalc.specs.problem import Problem

MAX_VALUES = 10_000


class BatchNormProblem(Problem):
    batch: Matrix
    gamma: Vector | None = None
    beta: Vector | None = None
    epsilon: Number = 1e-5
    grad_output: Matrix | None = None

    @property
    def features(self) -> int:
        return len(self.batch[0])


def _fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def load_batchnorm(doc: Document) -> BatchNormProblem:
    """Validate a batchnorm problem: shapes agree, ε ≥ 0, and no feature divides by zero."""
    spec = validate(BatchNormProblem, doc)
    m, n = len(spec.batch), spec.features
    if m * n > MAX_VALUES:
        raise _fail(doc, f"expected at most {MAX_VALUES:,} values, got {m * n:,}", "batch")
    for key in ("gamma", "beta"):
        values = getattr(spec, key)
        if values is not None and len(values) != n:
            raise _fail(
                doc,
                f"expected {n} value{'s' if n > 1 else ''} (one per feature, a column of the batch), "
                f"got {len(values)}",
                key,
            )
    if spec.epsilon < 0:
        raise _fail(doc, f"expected epsilon of at least 0, got {spec.epsilon:g}", "epsilon")
    if spec.grad_output is not None:
        rows, cols = len(spec.grad_output), len(spec.grad_output[0])
        if (rows, cols) != (m, n):
            raise _fail(
                doc,
                f"expected the batch's shape, {m} rows of {n} (∂L/∂y for every output), "
                f"got {rows} rows of {cols}",
                "grad_output",
            )
    if spec.epsilon == 0:
        for k in range(n):
            column = [row[k] for row in spec.batch]
            if all(x == column[0] for x in column):
                raise _fail(
                    doc,
                    f"feature {k + 1} has variance 0 and epsilon is 0, so x̂ = (x − μ)/√(σ² + ε) "
                    "divides by zero; give epsilon above 0 (the default is 1e-5)",
                    "epsilon",
                )
    return spec
