"""The ``forward`` and ``backprop`` commands: the engine's passes written out by the recorder.

Long runs record only the first update(s) in full; the rest runs on the engine alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcalc.maths.numerics import LOSS, rounder
from dlcalc.model.formula import Q, q
from dlcalc.model.steps import Section, Solution, Step, Table
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network.engine import (
    Array,
    Network,
    Pass,
    run_pass,
    update_parameters,
)
from dlcalc.topics.network.recorder import Recorder, mean_loss_section

if TYPE_CHECKING:
    from dlcalc.specs.training import Regularization
    from dlcalc.topics.optimize import Update

FULL_UPDATES = 3  # runs with at most this many updates are shown in full
MAX_WRITTEN = 200  # --every-step writes out runs of at most this many updates
HISTORY_ROWS = 50  # the loss-per-epoch table shows every epoch up to this many rows


def _examples(spec: NetworkProblem) -> list[tuple[Array, Array | None]]:
    return [
        (
            np.array(e.input, dtype=float),
            None if e.target is None else np.array(e.target, dtype=float),
        )
        for e in spec.example_list()
    ]


def _tags(n: int) -> list[str]:
    return [""] if n == 1 else [f"@{k + 1}" for k in range(n)]


def _heading(n: int, k: int) -> str:
    return "" if n == 1 else f"Example {k + 1} · "


def _layers_result(net: Network, p: Pass) -> list[dict]:
    layers = []
    for layer, units in enumerate(net.units):
        entry: dict = {"units": units, "net": p.nets[layer].tolist(), "out": p.outs[layer].tolist()}
        if p.deltas:
            entry["grad_net"] = p.deltas[layer].tolist()
            entry["grad_weights"] = p.grad_w[layer].tolist()
            entry["grad_bias"] = p.grad_b[layer].tolist()
        layers.append(entry)
    return layers


def solve_forward(spec: NetworkProblem, carry: int | None = None) -> Solution:
    """The forward pass (and loss, where targets are given) for every example."""
    net = Network.from_problem(spec)
    loss = LOSS[spec.loss]
    rnd = rounder(carry)
    recorder = Recorder(net, loss)
    examples = _examples(spec)
    tags = _tags(len(examples))
    sections: list[Section] = []
    passes = []
    for k, ((x, t), tag) in enumerate(zip(examples, tags)):
        p = run_pass(net, net.weights, net.biases, x, t, loss, rnd, backward=False)
        passes.append(p)
        heading = _heading(len(examples), k)
        sections += recorder.forward(p, net.weights, net.biases, tag, heading)
        if t is not None:
            sections.append(recorder.loss_section(p, tag, heading))
    result: dict = {}
    losses = [p.loss for p in passes if p.loss is not None]
    if len(passes) == 1:
        result["layers"] = _layers_result(net, passes[0])
        result["output"] = passes[0].outs[-1].tolist()
    else:
        result["layers"] = [{"units": u} for u in net.units]
        result["examples"] = [
            {
                "layers": _layers_result(net, p),
                "output": p.outs[-1].tolist(),
                **({"loss": p.loss} if p.loss is not None else {}),
            }
            for p in passes
        ]
        result["output"] = [p.outs[-1].tolist() for p in passes]
    if len(losses) == len(passes):
        result["loss"] = float(rnd(np.mean(losses)))
        if len(passes) > 1:
            sections.append(mean_loss_section(losses, tags, rnd))
    return Solution("forward", sections, result, title=spec.title, source=spec.source)


def _batches(spec: NetworkProblem, n: int) -> list[list[int]]:
    """The examples of each update of an epoch: one each (online), all (batch) or B at a time."""
    if spec.batch_size is not None:
        b = spec.batch_size
        return [list(range(k, min(k + b, n))) for k in range(0, n, b)]
    if spec.mode == "online":
        return [[k] for k in range(n)]
    return [list(range(n))]


def solve_backprop(
    spec: NetworkProblem,
    carry: int | None = None,
    every_step: bool = False,
    variant: str | None = None,
    sequential: bool = False,
) -> Solution:
    """Train for ``epochs`` (online, batch or mini-batches), writing the first update(s) out in full.

    Training options: ``weight_decay``, ``dropout`` masks, an ``optimizer`` (its state
    carried across updates and epochs), ``regularization`` (the cost J and its gradient),
    ``batch_size``, ``clip`` and a learning-rate ``schedule``.  ``variant``: an optimizer
    convention other than the contract's (for ``check``).  ``sequential``: update layer by
    layer from the output back, each hidden δ taken through the already-updated weights
    above it (online mode; see ``engine.backward_arrays``).
    """
    # The optimizer machinery is imported here, so that `forward` does not load it.
    from dlcalc.topics.optimize import VARIANTS, variants

    run = _Training(spec, carry, every_step, variant, sequential)
    run.initial_loss()
    run.train()
    sections = run.final_sections()
    solution = Solution(
        "backprop", sections, run.result(), title=spec.title, source=spec.source, notes=run.notes()
    )
    if variant is None:
        for v in variants(run.h):

            def alternative(v: str = v) -> Solution:
                return solve_backprop(spec, carry, every_step, v)

            solution.alternatives.append((VARIANTS[v], alternative))
    return solution


_INITIAL_TITLE = "Loss over all examples at the initial weights (before any update)"


class _Prepared:
    """One update's gradients at each stage (∂E, ∂J, clipped) and its learning rate."""

    def __init__(self, run: _Training, gw: list[Array], gb: list[Array]) -> None:
        from dlcalc.topics import training_steps as T

        spec, reg, clip, rnd, m = run.spec, run.reg, run.clip, run.rnd, run.m
        self.e_w, self.e_b = gw, gb
        self.j_w, self.j_b = gw, gb
        if reg is not None:
            self.j_w = [T.cost_gradient(reg, m, g, w, rnd) for g, w in zip(gw, run.weights)]
            if spec.decay_bias:
                self.j_b = [T.cost_gradient(reg, m, g, b, rnd) for g, b in zip(gb, run.biases)]
        self.c_w, self.c_b = self.j_w, self.j_b
        self.norm, self.factor = 0.0, None
        if clip is not None:
            arrays = self.j_w + (self.j_b if spec.update_bias else [])
            out, self.norm, self.factor = T.clip_arrays(arrays, clip, rnd)
            self.c_w = out[: len(gw)]
            self.c_b = out[len(gw) :] if spec.update_bias else self.j_b
            run.norms.append(self.norm)
        self.k = len(run.learning_rates) + 1
        self.eta = T.scheduled_rate(run.schedule, run.lr, self.k, rnd)
        run.learning_rates.append(self.eta)


class _Training:
    """One ``backprop`` run: the parameters and optimizer state as they change, and the
    sections written so far.  Each method is one phase: the loss at the initial weights,
    one update (online or per batch), the end of an epoch, the final tables and result."""

    def __init__(
        self,
        spec: NetworkProblem,
        carry: int | None,
        every_step: bool,
        variant: str | None,
        sequential: bool,
    ) -> None:
        from dlcalc.topics import training_steps as T
        from dlcalc.topics.network_training import OptimizerRecord, hyper
        from dlcalc.topics.optimize import new_state

        self.spec, self.every_step = spec, every_step
        self.net = net = Network.from_problem(spec)
        self.loss = LOSS[spec.loss]
        self.rnd = rounder(carry)
        self.lr = float(spec.learning_rate or 0.0)
        self.examples = _examples(spec)
        self.n = n = len(self.examples)
        self.batches = _batches(spec, n)
        self.per_example = spec.mode == "online" and spec.batch_size is None
        # The network changes within an epoch: the loss at the initial weights is worked out first.
        self.stepwise = len(self.batches) > 1
        self.total_updates = spec.epochs * len(self.batches)
        self.record_all = (
            every_step and self.total_updates <= MAX_WRITTEN
        ) or self.total_updates <= FULL_UPDATES
        self.recorder = Recorder(net, self.loss)
        self.tags = _tags(n)
        self.reg, self.clip, self.schedule = spec.regularization, spec.clip, spec.schedule
        self.m = T.examples_count(self.reg, n) if self.reg is not None else n

        self.weights = [w.copy() for w in net.weights]
        self.biases = [b.copy() for b in net.biases]
        self.sections: list[Section] = []
        self.history: list[dict] = []
        self.h = h = hyper(spec, variant)
        self.dropout = net.masks is not None
        self.state_w = [new_state(h, w.shape) for w in self.weights]
        self.state_b = [new_state(h, b.shape) for b in self.biases]
        self.last: dict[str, list[Update]] = {}
        self.written = OptimizerRecord(h)
        self.learning_rates: list[float] = []
        self.norms: list[float] = []
        self.decay_form = (
            h.plain and self.reg is not None and self.reg.kind == "l2" and self.clip is None
        )
        self.sequential_lr = self.lr if sequential and self.per_example else None
        self.update_count = 0
        self.cost_written = False
        self.penalty: float | None = None
        self.cost: float | None = None
        # Early stopping: the validation loss after each epoch and the rule's state.
        es = self.es = spec.early_stopping
        self.validation = (
            [
                (np.array(e.input, dtype=float), np.array(e.target, dtype=float))
                for e in es.validation
            ]
            if es is not None
            else []
        )
        self.val_losses: list[float] = []
        self.wait, self.best_epoch = 0, 1
        self.kept: tuple[list[Array], list[Array]] | None = None
        self.stopped: int | None = None
        self.stopping: dict | None = None

    def update(self, g: _Prepared) -> tuple[list[Array], list[Array]]:
        """The new weights and biases after one update (plain, decay form or an optimizer)."""
        from dataclasses import replace

        from dlcalc.topics.optimize import apply

        spec, h, rnd, weights, biases = self.spec, self.h, self.rnd, self.weights, self.biases
        eta = g.eta
        if self.decay_form:
            assert self.reg is not None
            keep = 1 - eta * self.reg.lambda_ / self.m
            new_w = [rnd(keep * w - eta * d) for w, d in zip(weights, g.e_w)]
            if not spec.update_bias:
                return new_w, biases
            bias_keep = keep if spec.decay_bias else 1.0
            return new_w, [rnd(bias_keep * b - eta * d) for b, d in zip(biases, g.e_b)]
        if h.plain:
            return update_parameters(weights, biases, g.c_w, g.c_b, eta, rnd, spec.update_bias)
        h_k = h if self.schedule is None else replace(h, learning_rate=eta)
        t = self.update_count + 1  # the optimizer's step counter runs across examples and epochs
        self.last["w"] = [
            apply(h_k, s, w, d, t, rnd) for s, w, d in zip(self.state_w, weights, g.c_w)
        ]
        new_w = [u.weights for u in self.last["w"]]
        if not spec.update_bias:
            return new_w, biases
        self.last["b"] = [
            apply(h_k, s, b, d, t, rnd, decay=spec.decay_bias)
            for s, b, d in zip(self.state_b, biases, g.c_b)
        ]
        return new_w, [u.weights for u in self.last["b"]]

    def stages(self) -> tuple[str, str]:
        """The gradient each update starts from, for the weights and for the biases."""
        if self.clip is not None:
            return "clip", "clip"
        if self.reg is not None and not self.decay_form:
            return "J", "J" if self.spec.decay_bias else "E"
        return "E", "E"

    def record_update(
        self,
        new_w: list[Array],
        new_b: list[Array],
        g: _Prepared,
        grad_tag: str,
        tag: str,
        head: str,
    ) -> list[Section]:
        """The sections of one update written out: ∂J, clipping, the rate, the new parameters."""
        from dlcalc.topics import training_steps as T

        spec, reg, m, rnd, lr = self.spec, self.reg, self.m, self.rnd, self.lr
        old_w, old_b, recorder = self.weights, self.biases, self.recorder
        out = _option_sections(recorder, spec, g, old_w, old_b, grad_tag, head, m, rnd)
        stage_w, stage_b = self.stages()
        first = []
        eta_q = None
        if self.schedule is not None:
            step = T.scheduled_step(self.schedule, lr, g.k, rnd)
            first.append(step)
            eta_q = q(step.label, step.value, T.rate_name(g.k))
        grads = (g.c_w, g.c_b) if not self.decay_form else (g.e_w, g.e_b)
        if self.h.plain:
            section = recorder.updates(
                old_w, old_b, new_w, new_b, grads[0], grads[1], lr, grad_tag, tag, head,
                spec.update_bias, stage=stage_w, bias_stage=stage_b, eta=eta_q,
                decay=(reg, m) if self.decay_form and reg is not None else None,
                decay_bias=spec.decay_bias, first=first,
            )  # fmt: skip
        else:
            section = self.written.section(
                recorder, old_w, old_b, self.last, grads[0], grads[1], self.update_count,
                grad_tag, tag, head, spec.update_bias, spec.decay_bias, stage=stage_w,
                bias_stage=stage_b, eta=eta_q, first=first,
            )  # fmt: skip
        return [*out, section]

    def example_tag(self, epoch: int, k: int) -> str:
        """The tag of example k's pass in an epoch: epoch 1 uses the plain example tags."""
        if epoch == 1:
            return self.tags[k]
        return f"@e{epoch}" if self.n == 1 else f"@e{epoch}.{k + 1}"

    def batch_tag(self, epoch: int, b: int) -> str:
        """The tag of a (mini-)batch's mean gradient and update: "" for the first."""
        if self.n == 1:
            return self.example_tag(epoch, 0)
        if len(self.batches) == 1:
            return "" if epoch == 1 else f"@e{epoch}"
        if epoch == 1:
            return "" if b == 0 else f"@b{b + 1}"
        return f"@e{epoch}.b{b + 1}"

    def heading(self, epoch: int, k: int | None, b: int | None = None) -> str:
        """Panel titles say which epoch (in a run of several) and which example they belong to."""
        batch = "" if b is None or len(self.batches) == 1 else f"mini-batch {b + 1} · "
        if self.spec.epochs == 1:
            return batch if k is None else _heading(self.n, k)
        return (
            f"Epoch {epoch} · "
            + batch
            + ("" if k is None or self.n == 1 else f"example {k + 1} · ")
        )

    def write_pass(self, p: Pass, epoch: int, k: int, through: list[Array] | None = None) -> None:
        """One example's forward pass, loss and backward pass, written out."""
        tag, head = self.example_tag(epoch, k), self.heading(epoch, k)
        recorder, sections = self.recorder, self.sections
        sections.extend(recorder.forward(p, self.weights, self.biases, tag, head))
        sections.append(recorder.loss_section(p, tag, head))
        sections.extend(
            recorder.backward(p, through or self.weights, tag, head, self.spec.update_bias)
        )

    def initial_loss(self) -> None:
        """The loss (and the cost J) at the initial weights, from a pass over every example.

        Where the passes that show it stand: in batch mode epoch 1's passes are all at the
        initial weights; online, only the first is, so the mean is worked out first, from
        losses at the initial weights (labels E_total@0.k).
        """
        from dlcalc.topics import training_steps as T

        net, spec, h, reg, m, rnd = self.net, self.spec, self.h, self.reg, self.m, self.rnd
        first_passes = [
            run_pass(
                net,
                net.weights,
                net.biases,
                x,
                t,
                self.loss,
                rnd,
                backward=True,
                dropout=self.dropout,
            )  # fmt: skip
            for x, t in self.examples
        ]
        if h.l2:  # grad_weights (and grad_bias with decay_bias) include the decay term λ·w
            for p in first_passes:
                p.grad_w = [rnd(g + h.weight_decay * w) for g, w in zip(p.grad_w, net.weights)]
                if spec.decay_bias:
                    p.grad_b = [rnd(g + h.weight_decay * b) for g, b in zip(p.grad_b, net.biases)]
        if reg is not None:  # ... and the regularization term λ/m·w (or λ/m·sign(w))
            for p in first_passes:
                p.grad_w = [
                    T.cost_gradient(reg, m, g, w, rnd) for g, w in zip(p.grad_w, net.weights)
                ]
                if spec.decay_bias:
                    p.grad_b = [
                        T.cost_gradient(reg, m, g, b, rnd) for g, b in zip(p.grad_b, net.biases)
                    ]
        self.first_passes = first_passes
        self.losses_before = [float(p.loss) for p in first_passes if p.loss is not None]
        self.loss_before = float(rnd(np.mean(self.losses_before)))
        if reg is not None:
            decayed = net.weights + (net.biases if spec.decay_bias else [])
            self.penalty = T.penalty_value(reg, m, decayed, rnd)
            self.cost = float(rnd(self.loss_before + self.penalty))
        if self.n > 1 and self.stepwise:
            tags = [f"@0.{k + 1}" for k in range(self.n)]
            self.sections.append(mean_loss_section(self.losses_before, tags, rnd, _INITIAL_TITLE))
            self.cost_once()

    def cost_once(self) -> None:
        """The regularised cost section, once, where the first written pass needs it."""
        reg = self.reg
        if reg is not None and not self.cost_written:
            assert self.penalty is not None and self.cost is not None
            self.sections.append(
                _cost_section(
                    self.net,
                    self.spec,
                    reg,
                    self.m,
                    self.loss_before,
                    self.penalty,
                    self.cost,
                    self.n,
                )  # fmt: skip
            )
            self.cost_written = True

    def train(self) -> None:
        """Every epoch's updates, until the last epoch or early stopping."""
        for epoch in range(1, self.spec.epochs + 1):
            for b, batch in enumerate(self.batches):
                if self.per_example:
                    (k,) = batch
                    self.online_update(epoch, k)
                else:
                    self.batch_update(epoch, b, batch)
            if self.end_epoch(epoch):
                break

    def online_update(self, epoch: int, k: int) -> None:
        """One update from example k's gradient alone, written out if it is recorded."""
        x, t = self.examples[k]
        p = run_pass(
            self.net, self.weights, self.biases, x, t, self.loss, self.rnd, backward=True,
            dropout=self.dropout, sequential_lr=self.sequential_lr,
        )  # fmt: skip
        g = _Prepared(self, p.grad_w, p.grad_b)
        new_w, new_b = self.update(g)
        self.update_count += 1
        if self.record_all or self.update_count == 1:
            self.write_pass(p, epoch, k, new_w if self.sequential_lr is not None else None)
            self.cost_once()
            tag = self.example_tag(epoch, k)
            self.sections.extend(
                self.record_update(new_w, new_b, g, tag, tag, self.heading(epoch, k))
            )
        self.weights, self.biases = new_w, new_b

    def batch_update(self, epoch: int, b: int, batch: list[int]) -> None:
        """One update from the mean gradient of a (mini-)batch, written out if it is recorded."""
        rnd, n = self.rnd, self.n
        passes = [
            run_pass(
                self.net,
                self.weights,
                self.biases,
                *self.examples[k],
                self.loss,
                rnd,
                backward=True,
                dropout=self.dropout,
            )  # fmt: skip
            for k in batch
        ]
        layers = range(len(self.weights))
        grads_w = [rnd(np.mean([p.grad_w[i] for p in passes], axis=0)) for i in layers]
        grads_b = [rnd(np.mean([p.grad_b[i] for p in passes], axis=0)) for i in layers]
        g = _Prepared(self, grads_w, grads_b)
        new_w, new_b = self.update(g)
        self.update_count += 1
        if self.record_all or self.update_count == 1:
            for k, p in zip(batch, passes):
                self.write_pass(p, epoch, k)
            if n > 1 and epoch == 1 and not self.stepwise:
                self.sections.append(
                    mean_loss_section(self.losses_before, self.tags, rnd, _INITIAL_TITLE)
                )
            self.cost_once()
            grad_tag = self.batch_tag(epoch, b)
            head = self.heading(epoch, None, b)
            if n > 1:
                self.sections.append(
                    self.recorder.mean_gradients(
                        passes,
                        grads_w,
                        grads_b,
                        [self.example_tag(epoch, k) for k in batch],
                        grad_tag,
                        self.spec.update_bias,
                        head,
                        [k + 1 for k in batch] if len(self.batches) > 1 else None,
                    )
                )
            self.sections.extend(self.record_update(new_w, new_b, g, grad_tag, grad_tag, head))
        self.weights, self.biases = new_w, new_b

    def end_epoch(self, epoch: int) -> bool:
        """The training loss after the epoch and the early-stopping rule; True to stop."""
        rnd = self.rnd

        def mean_loss(data: Sequence[tuple[Array, Array | None]]) -> float:
            losses = [
                run_pass(
                    self.net, self.weights, self.biases, x, t, self.loss, rnd, backward=False
                ).loss
                for x, t in data
            ]
            return float(rnd(np.mean(losses)))  # type: ignore[arg-type]

        self.history.append({"epoch": epoch, "loss": mean_loss(self.examples)})
        es = self.es
        if es is None:
            return False
        value = mean_loss(self.validation)  # the validation loss after the epoch
        if not self.val_losses or value < self.val_losses[self.best_epoch - 1] - es.min_delta:
            self.wait, self.best_epoch, self.kept = 0, epoch, (self.weights, self.biases)
        else:
            self.wait += 1
        self.val_losses.append(value)
        if self.wait >= es.patience:
            self.stopped = epoch
            return True
        return False

    def final_sections(self) -> list[Section]:
        """All sections, ending with the loss per epoch, the final parameters and early stopping."""
        # The answers describe the network before any update (online mode changes it between examples).
        sections, es = self.sections, self.es
        if len(self.history) > 1:
            sections.append(
                _history_section(self.loss_before, self.history, self.spec.mode, self.n)
            )
        sections.append(
            _parameters_section(self.net, self.weights, self.biases, self.spec.update_bias)
        )
        if es is not None:
            assert self.kept is not None
            section, self.stopping = _early_stopping_section(
                self.net, es, self.val_losses, self.history, self.stopped, self.best_epoch,
                self.kept, self.every_step,
            )  # fmt: skip
            sections.append(section)
        return sections

    def result(self) -> dict:
        """The JSON result: the initial pass(es), the final parameters and the run's record."""
        spec, net, h, reg = self.spec, self.net, self.h, self.reg
        weights, biases, first_passes = self.weights, self.biases, self.first_passes
        result: dict = {}
        final_layers = [
            {"units": net.units[i], "weights": weights[i].tolist(), "bias": biases[i].tolist()}
            for i in range(len(weights))
        ]
        if self.n == 1:
            for entry, extra in zip(final_layers, _layers_result(net, first_passes[0])):
                entry.update({k: v for k, v in extra.items() if k != "units"})
            result["output"] = first_passes[0].outs[-1].tolist()
        else:
            result["examples"] = [
                {"layers": _layers_result(net, p), "output": p.outs[-1].tolist(), "loss": p.loss}
                for p in first_passes
            ]
            result["output"] = [p.outs[-1].tolist() for p in first_passes]
        result["layers"] = final_layers
        result["loss"] = self.loss_before
        if reg is not None:
            result["penalty"] = self.penalty
            result["cost"] = self.cost
            result["regularization"] = {"kind": reg.kind, "lambda": reg.lambda_, "examples": self.m}
        if self.stopping is not None:
            result["early_stopping"] = self.stopping
        result["loss_after"] = self.history[-1]["loss"]
        result["history"] = self.history
        result["epochs"] = spec.epochs
        result["mode"] = spec.mode
        if spec.batch_size is not None:
            result["batch_size"] = spec.batch_size
            result["batches"] = [[k + 1 for k in batch] for batch in self.batches]
        if self.schedule is not None:
            result["learning_rates"] = self.learning_rates
        if self.clip is not None:
            result["gradient_norms"] = self.norms
        if not h.plain:
            result["optimizer"] = h.optimizer
            if h.weight_decay:
                result["weight_decay"] = h.weight_decay
        return result

    def notes(self) -> list[str]:
        """Notes under the solution: updates not written out, early stopping, the mini-batches."""
        spec = self.spec
        notes = []
        if not self.record_all:
            hint = (
                f"--every-step writes out runs of at most {MAX_WRITTEN} updates"
                if self.total_updates > MAX_WRITTEN
                else "pass --every-step to see them all"
            )
            notes.append(f"{self.update_count:,} updates: the first is worked out in full; {hint}.")
        if self.stopped is not None:
            notes.append(
                f"Early stopping: training stopped after epoch {self.stopped} of {spec.epochs}."
            )
        if spec.batch_size is not None:
            sizes = ", ".join(
                "{" + ", ".join(str(k + 1) for k in batch) + "}" for batch in self.batches
            )
            notes.append(
                f"Mini-batches of {spec.batch_size} in the file's order: {sizes}; one update per "
                f"mini-batch with the mean of its examples' gradients ({len(self.batches)} per epoch)."
            )
        return notes


def _early_stopping_section(
    net: Network,
    es: Any,
    val_losses: list[float],
    history: list[dict],
    stopped: int | None,
    best_epoch: int,
    kept: tuple[list[Array], list[Array]],
    every_step: bool,
) -> tuple[Section, dict]:
    """The validation loss epoch by epoch with best_t and wait_t, and the weights kept."""
    from dlcalc.topics.early_stopping import FULL_EPOCHS, rule_text, watch

    show_all = every_step or len(val_losses) <= FULL_EPOCHS
    w = watch(val_losses, es.patience, es.min_delta, show_all, [[h["loss"]] for h in history])
    assert w.stopped == stopped and w.best_epoch == best_epoch  # one rule, applied twice
    section = Section(
        f"Early stopping on {len(es.validation)} validation example"
        f"{'s' if len(es.validation) != 1 else ''} (patience {es.patience})"
    )
    for line in rule_text(es.min_delta, es.patience):
        section.add(line)
    section.add(
        Table(["epoch", "training loss", "validation loss", "best so far", "wait", ""], w.rows)
    )
    for item in w.items:  # the stop (best_t and wait_t worked: the early-stopping command)
        if isinstance(item, str) and "stops" in item:
            section.add(item)
    run = len(val_losses)
    kept_epoch = best_epoch if es.restore_best else run
    weights, biases = kept if es.restore_best else (None, None)
    how = "the best epoch's (restore_best)" if es.restore_best else "the last epoch's"
    section.add(f"Best epoch {best_epoch}; the weights kept are {how}: epoch {kept_epoch}.")
    layers = None
    if weights is not None and biases is not None:
        layers = [{"weights": w_.tolist(), "bias": b_.tolist()} for w_, b_ in zip(weights, biases)]
        rows = []
        for layer in range(len(weights)):
            for j, u in enumerate(net.units[layer]):
                for i in range(weights[layer].shape[1]):
                    rows.append([net.weight_labels[layer][j][i], weights[layer][j, i]])
                rows.append([f"b_{u}", biases[layer][j]])
        section.add(Table(["parameter", f"kept (after epoch {kept_epoch})"], rows))
    result = {
        "validation_loss": val_losses,
        "best_epoch": best_epoch,
        "stopped_epoch": stopped,
        "epochs_run": run,
        "kept_epoch": kept_epoch,
    }
    if layers is not None:
        result["kept_layers"] = layers
    return section, result


def _cost_section(
    net: Network,
    spec: NetworkProblem,
    reg: Regularization,
    m: int,
    loss_before: float,
    penalty: float,
    cost: float,
    n: int,
) -> Section:
    """penalty = λ/(2m)·Σw² (or λ/m·Σ|w|) and J = E + penalty, at the initial weights."""
    from dlcalc.model.formula import Name
    from dlcalc.topics import training_steps as T
    from dlcalc.topics.network import labels as L

    form = "λ/(2m)·Σw²" if reg.kind == "l2" else "λ/m·Σ|w|"
    section = Section(f"Regularised cost at the initial weights ({reg.kind}: J = E + {form})")
    leaves = []
    for layer, w in enumerate(net.weights):
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                label = net.weight_labels[layer][j][i]
                leaves.append(q(label, float(w[j, i]), L.weight_name(label)))
    if spec.decay_bias:
        for layer, units in enumerate(net.units):
            for j, u in enumerate(units):
                leaves.append(q(L.bias(u), float(net.biases[layer][j]), L.bias_name(u)))
    section.add(
        Step(
            "penalty",
            penalty,
            name=Name("penalty"),
            expr=T.penalty_expr(reg, m, leaves),
            note=f"m = {m}" + ("" if spec.decay_bias else "; biases are not regularised"),
        )
    )
    e = q(L.total() if n == 1 else L.MEAN_LOSS, loss_before, Name("E"))
    pen = q("penalty", penalty, Name("penalty"))
    section.add(Step("cost", cost, name=Name("J"), expr=e + pen))
    section.add("The loss E (and loss_after, history) stays the data loss; J adds the penalty.")
    return section


def _option_sections(
    recorder: Recorder,
    spec: NetworkProblem,
    g: Any,
    old_w: list[Array],
    old_b: list[Array],
    grad_tag: str,
    head: str,
    m: int,
    rnd: Any,
) -> list[Section]:
    """The regularised gradient ∂J/∂w and the clipping of one update, where the problem has them."""
    from dlcalc.model.formula import Name
    from dlcalc.topics import training_steps as T
    from dlcalc.topics.network import labels as L

    net = recorder.net
    reg, clip = spec.regularization, spec.clip
    out: list[Section] = []

    def parameters() -> list[tuple[str, Name, int, tuple[int, ...], bool]]:
        """(label, name, layer, index, is_weight) of every parameter, output layer first."""
        found: list[tuple[str, Name, int, tuple[int, ...], bool]] = []
        for layer in reversed(range(len(old_w))):
            for j, u in enumerate(net.units[layer]):
                for i in range(old_w[layer].shape[1]):
                    w = net.weight_labels[layer][j][i]
                    found.append((w, L.weight_name(w), layer, (j, i), True))
                found.append((L.bias(u), L.bias_name(u), layer, (j,), False))
        return found

    def leaf(stage: str, label: str, name: Name, value: float) -> Q:
        return q(L.gradient(stage, label, grad_tag), value, L.gradient_name(stage, name))

    stage = "E"
    if reg is not None:
        form = "λ/m·w" if reg.kind == "l2" else "λ/m·sign(w)"
        section = Section(f"{head}Gradient of the cost J ({reg.kind}: ∂J/∂w = ∂E/∂w + {form})")
        for label, name, layer, index, is_weight in parameters():
            if not is_weight and not spec.decay_bias:
                continue
            if not is_weight and not spec.update_bias:
                continue
            arrays = (g.e_w, g.j_w) if is_weight else (g.e_b, g.j_b)
            current = (
                recorder._w(layer, index[0], index[1], old_w)
                if is_weight
                else recorder._b(layer, index[0], old_b)
            )
            grad = leaf("E", label, name, float(arrays[0][layer][index]))
            new = leaf("J", label, name, float(arrays[1][layer][index]))
            section.add(
                Step(new.label, new.value, name=new.symbol,
                     expr=T.reg_gradient_expr(reg, m, grad, current))
            )  # fmt: skip
        if not spec.decay_bias:
            section.add("Biases are not regularised (decay_bias: false): ∂J/∂b = ∂E/∂b.")
        out.append(section)
        stage = "J"
    if clip is not None:
        how = (
            f"by norm, c = {clip.norm:g}"
            if clip.norm is not None
            else f"by value, c = {clip.value:g}"
        )
        section = Section(f"{head}Gradient clipping ({how})")
        gradients, clipped = [], []
        for label, name, layer, index, is_weight in parameters():
            if not is_weight and not spec.update_bias:
                continue
            src_stage = stage if is_weight or spec.decay_bias else "E"
            arrays = (g.j_w, g.c_w) if is_weight else (g.j_b, g.c_b)
            gradients.append(leaf(src_stage, label, name, float(arrays[0][layer][index])))
            clipped.append(leaf("clip", label, name, float(arrays[1][layer][index])))
        for item in T.clip_steps(
            clip, gradients, clipped, f"grad_norm{grad_tag}", g.norm, g.factor,
            f"clip_factor{grad_tag}", None, rnd,
        ):  # fmt: skip
            section.add(item)
        out.append(section)
    return out


def _history_section(loss_before: float, history: list[dict], mode: str, n: int) -> Section:
    """The loss after every epoch (epoch 0: the initial weights); a long run shows a sample."""
    over = " (the mean over the examples)" if n > 1 else ""
    section = Section(f"Loss per epoch: E{over} after each epoch's updates")
    rows: list[list] = [[0, loss_before]] + [[h["epoch"], h["loss"]] for h in history]
    shown = sample_rows(rows, HISTORY_ROWS)
    section.add(Table(["epoch", "E after the epoch"], shown))
    if len(shown) < len(rows):
        section.add(
            f"{len(shown)} of {len(rows):,} rows shown, evenly spaced from epoch 0 to the last; "
            "the JSON result's history lists every epoch."
        )
    return section


def sample_rows(rows: list[list], limit: int) -> list[list]:
    """All ``rows`` up to ``limit``; else ``limit`` of them evenly spaced, the first and last included."""
    if len(rows) <= limit:
        return rows
    picked = sorted({round(k * (len(rows) - 1) / (limit - 1)) for k in range(limit)})
    return [rows[k] for k in picked]


def _parameters_section(
    net: Network, weights: list[Array], biases: list[Array], update_bias: bool
) -> Section:
    section = Section("Final parameters")
    rows: list[list] = []
    for layer in range(len(weights)):
        feeding = net.feeding(layer)
        for j, u in enumerate(net.units[layer]):
            for i in range(weights[layer].shape[1]):
                source = feeding[i].removeprefix("out_")
                rows.append(
                    [
                        net.weight_labels[layer][j][i],
                        f"{source} → {u}",
                        net.weights[layer][j, i],
                        weights[layer][j, i],
                    ]
                )
            rows.append([f"b_{u}", f"bias → {u}", net.biases[layer][j], biases[layer][j]])
    section.add(Table(["parameter", "connection", "initial", "final"], rows))
    if not update_bias:
        section.add("update_bias is false: the biases keep their initial values.")
    return section
