"""Early stopping worked epoch by epoch: the best validation loss so far, the epochs waited, the stop.

The rule (Keras's ``EarlyStopping(monitor="val_loss", mode="min")``): epoch t improves when
L_t < best − min_delta; then best = L_t and the wait starts again at 0, otherwise the wait
grows by 1.  Training stops after the epoch where the wait reaches the patience.  The
weights kept are those of the best epoch (``restore_best``, Keras's
``restore_best_weights=True``) or of the last epoch run.
"""

from __future__ import annotations

from typing import Any

from dlcalc.maths.numerics import rounder
from dlcalc.model.formula import ONE, Compare, If, Name, Num, Q, q
from dlcalc.model.steps import Section, Solution, Step, Table
from dlcalc.specs.early_stopping import EarlyStoppingProblem

FULL_EPOCHS = 12  # epochs written out step by step; the table shows every one


class Watch:
    """The rule applied to a curve: the worked steps, one row per epoch run, the outcome."""

    def __init__(self) -> None:
        self.items: list[Step | str] = []
        self.rows: list[list[Any]] = []
        self.epochs: list[dict[str, Any]] = []
        self.stopped: int | None = None
        self.best_epoch = 1


def watch(
    losses: list[float],
    patience: int,
    min_delta: float,
    show_all: bool,
    extra: list[list[Any]] | None = None,
) -> Watch:
    """best_t and wait_t epoch by epoch until the wait reaches the patience (or the curve ends).

    ``extra``: columns shown before the validation loss in each row (a training loss)."""
    delta = q("min_delta", min_delta, Name("δ"))
    out = Watch()
    best_q: Q | None = None
    wait_q: Q | None = None
    for t, value in enumerate(losses, start=1):
        k = str(t)
        loss_q = q(f"L_{k}", value, Name("L", k, index=True))
        if best_q is None or wait_q is None:  # epoch 1 sets the best
            steps = [
                Step(loss_q.label, value, name=loss_q.symbol, note="validation loss"),
                Step(f"best_{k}", value, name=Name("best", k), expr=loss_q,
                     note="the first epoch sets the best"),
                Step(f"wait_{k}", 0, name=Name("wait", k), expr=Num(0)),
            ]  # fmt: skip
            improved = True
        else:
            condition = Compare(loss_q, "<", best_q - delta)
            improved = bool(value < float(best_q.value) - min_delta)
            best_value = value if improved else float(best_q.value)
            wait_value = 0 if improved else int(wait_q.value) + 1
            steps = [
                Step(loss_q.label, value, name=loss_q.symbol, note="validation loss"),
                Step(f"best_{k}", best_value, name=Name("best", k),
                     expr=If(loss_q, condition, best_q, worked=""),
                     note="improved" if improved else "no improvement"),
                Step(f"wait_{k}", wait_value, name=Name("wait", k),
                     expr=If(Num(0), condition, wait_q + ONE, worked="")),
            ]  # fmt: skip
        best_q = q(f"best_{k}", steps[1].value, Name("best", k))
        wait_q = q(f"wait_{k}", steps[2].value, Name("wait", k))
        if improved:
            out.best_epoch = t
        if show_all or t <= 2:
            out.items.extend(steps)
        reached = int(wait_q.value) >= patience
        mark = "✓" if improved else ("stop" if reached else "")
        before = extra[t - 1] if extra is not None else []
        out.rows.append([t, *before, value, best_q.value, wait_q.value, mark])
        out.epochs.append(
            {
                "epoch": t,
                "loss": value,
                "best": best_q.value,
                "wait": wait_q.value,
                "improved": improved,
            }
        )
        if reached:
            out.stopped = t
            out.items.append(
                f"wait_{t} = {wait_q.value} reaches the patience {patience}: training stops after epoch {t}."
            )
            break
    if not show_all and len(out.epochs) > 2:
        out.items.append(
            f"{len(out.epochs):,} epochs: the first two are written out; the table shows every one "
            "(--every-step writes all)."
        )
    return out


def rule_text(min_delta: float, patience: int) -> list[str]:
    return [
        f"Epoch t improves when L_t < best_(t−1) − δ (δ = min_delta = {min_delta:g}); "
        "then best_t = L_t and wait_t = 0, else best_t = best_(t−1) and wait_t = wait_(t−1) + 1.",
        f"Training stops after the epoch where wait_t reaches the patience, {patience}.",
    ]


def solve_early_stopping(
    spec: EarlyStoppingProblem, carry: int | None = None, every_step: bool = False
) -> Solution:
    rnd = rounder(carry)
    losses = [float(rnd(v)) for v in spec.validation_loss]
    intro = Section("Early stopping (monitor: the validation loss, smaller is better)")
    for line in rule_text(spec.min_delta, spec.patience):
        intro.add(line)
    show_all = every_step or len(losses) <= FULL_EPOCHS
    extra = [[v] for v in spec.training_loss] if spec.training_loss is not None else None
    w = watch(losses, spec.patience, spec.min_delta, show_all, extra)
    written = Section("Epoch by epoch", list(w.items))
    stopped, best_epoch = w.stopped, w.best_epoch
    columns = ["epoch"] + (["training loss"] if spec.training_loss is not None else [])
    columns += ["validation loss", "best so far", "wait", ""]
    table = Section("The curve")
    table.add(Table(columns, w.rows, elide=True))
    if stopped is None:
        table.add(
            f"The wait never reached the patience: all {len(losses)} epochs run, no early stop."
        )
    elif stopped < len(losses):
        table.add(f"Epochs {stopped + 1}–{len(losses)} of the curve are not run.")
    run = stopped if stopped is not None else len(losses)
    kept = best_epoch if spec.restore_best else run
    outcome = Section("Result")
    outcome.add(
        f"Stopped after epoch {stopped}"
        if stopped is not None
        else f"No early stop: {run} epochs run"
    )
    how = (
        "the best epoch's (restore_best)"
        if spec.restore_best
        else "the last epoch's (restore_best: false)"
    )
    outcome.add(
        f"Best epoch {best_epoch} (validation loss {losses[best_epoch - 1]:g}); the weights kept are {how}: epoch {kept}."
    )
    result: dict[str, Any] = {
        "stopped_epoch": stopped,
        "epochs_run": run,
        "best_epoch": best_epoch,
        "best_loss": losses[best_epoch - 1],
        "kept_epoch": kept,
        "epochs": w.epochs,
    }
    if spec.weights is not None:
        result["kept_weights"] = spec.weights[kept - 1]
        outcome.add(
            Table(
                ["epoch", "weights kept"],
                [[kept, ", ".join(f"{x:g}" for x in spec.weights[kept - 1])]],
            )
        )
    sections = [intro, written, table, outcome]
    labels = {step.label for step in w.items if isinstance(step, Step)}
    paths = {  # the result's numbers → the steps that show them (for check and asking)
        f"epochs[{k}].{key}": f"{prefix}_{k + 1}"
        for k in range(len(w.epochs))
        for key, prefix in (("loss", "L"), ("best", "best"), ("wait", "wait"))
        if f"{prefix}_{k + 1}" in labels
    }
    if f"best_{run}" in labels:
        paths["best_loss"] = f"best_{run}"
    return Solution(
        "early-stopping", sections, result, title=spec.title, source=spec.source, paths=paths
    )
