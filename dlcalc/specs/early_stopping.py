"""Problem files for ``early-stopping``: a validation-loss curve, a patience and a min_delta."""

from __future__ import annotations

from dlcalc.errors import InputError
from dlcalc.specs.common import Matrix, Number, Vector, Whole
from dlcalc.specs.loader import Document, field_path, validate
from dlcalc.specs.problem import Problem

MAX_EPOCHS = 10_000


class EarlyStoppingProblem(Problem):
    validation_loss: Vector  # one per epoch, epoch 1 first
    training_loss: Vector | None = None  # shown beside it (optional)
    patience: Whole
    min_delta: Number = 0.0
    restore_best: bool = True  # keep the best epoch's weights (else the last epoch's)
    weights: Matrix | None = None  # optional: the weights after each epoch, one row per epoch


def _fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def load_early_stopping(doc: Document) -> EarlyStoppingProblem:
    """Validate: a patience of at least 1, min_delta ≥ 0, per-epoch lists of the same length."""
    spec = validate(EarlyStoppingProblem, doc)
    n = len(spec.validation_loss)
    if n > MAX_EPOCHS:
        raise _fail(doc, f"expected at most {MAX_EPOCHS:,} epochs, got {n:,}", "validation_loss")
    if spec.patience < 1:
        raise _fail(
            doc,
            f"expected a patience of at least 1 (epochs without improvement before stopping), got {spec.patience}",
            "patience",
        )
    if spec.min_delta < 0:
        raise _fail(doc, f"expected min_delta of at least 0, got {spec.min_delta:g}", "min_delta")
    for key in ("training_loss", "weights"):
        values = getattr(spec, key)
        if values is not None and len(values) != n:
            raise _fail(
                doc,
                f"expected {n} rows, one per epoch (as validation_loss), got {len(values)}",
                key,
            )
    return spec
