"""Optimizer names and the ranges their hyper-parameters must lie in.

Shared by ``optimize`` and ``backprop`` problems; it holds no pydantic models, so a
``backprop`` run does not build the ``optimize`` problem's.
"""

from __future__ import annotations

from dlcalc.errors import InputError
from dlcalc.specs.loader import Document, field_path

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


def fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def check_settings(
    doc: Document,
    *,
    optimizer: str,
    learning_rate: float,
    momentum: float,
    beta1: float,
    beta2: float,
    rho: float,
    epsilon: float,
    weight_decay: float,
) -> None:
    """Refuse hyper-parameters outside the range where the update rules make sense."""
    if learning_rate <= 0:
        raise fail(doc, f"expected a learning rate above 0, got {learning_rate:g}", "learning_rate")
    if momentum < 0:
        raise fail(doc, f"expected a momentum of at least 0, got {momentum:g}", "momentum")
    for name, value in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= value < 1:
            raise fail(
                doc,
                f"expected a decay rate from 0 up to (not including) 1, got {value:g} "
                "(the bias correction divides by 1 − β^t)",
                name,
            )
    if not 0 <= rho <= 1:
        raise fail(doc, f"expected a decay rate between 0 and 1, got {rho:g}", "rho")
    if epsilon < 0:
        raise fail(doc, f"expected epsilon of at least 0, got {epsilon:g}", "epsilon")
    if weight_decay < 0:
        raise fail(
            doc, f"expected a weight decay of at least 0, got {weight_decay:g}", "weight_decay"
        )
