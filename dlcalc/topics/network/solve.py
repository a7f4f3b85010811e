"""The ``forward`` and ``backprop`` commands: the engine's passes written out by the recorder.

Long runs record only the first update(s) in full; the rest runs on the engine alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dlcalc.numerics import LOSS, rounder
from dlcalc.specs.network import NetworkProblem
from dlcalc.steps import Section, Solution, Table
from dlcalc.topics.network.engine import (
    Array,
    Network,
    Pass,
    run_pass,
    update_parameters,
)
from dlcalc.topics.network.recorder import Recorder, mean_loss_section

if TYPE_CHECKING:
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


def solve_backprop(
    spec: NetworkProblem,
    carry: int | None = None,
    every_step: bool = False,
    variant: str | None = None,
    sequential: bool = False,
) -> Solution:
    """Train for ``epochs`` (online or batch), writing the first update(s) out in full.

    Training options: ``weight_decay``, ``dropout`` masks and an ``optimizer`` (its state
    carried across updates and epochs).  ``variant``: an optimizer convention other than the
    contract's (for ``check``).  ``sequential``: update layer by layer from the output back,
    each hidden δ taken through the already-updated weights above it (online mode; see
    ``engine.backward_arrays``).
    """
    # The optimizer machinery is imported here, so that `forward` does not load it.
    from dlcalc.topics.network_training import OptimizerRecord, hyper
    from dlcalc.topics.optimize import VARIANTS, apply, new_state, variants

    net = Network.from_problem(spec)
    loss = LOSS[spec.loss]
    rnd = rounder(carry)
    lr = float(spec.learning_rate or 0.0)
    examples = _examples(spec)
    n = len(examples)
    updates_per_epoch = n if spec.mode == "online" else 1
    total_updates = spec.epochs * updates_per_epoch
    record_all = (every_step and total_updates <= MAX_WRITTEN) or total_updates <= FULL_UPDATES
    recorder = Recorder(net, loss)
    tags = _tags(n)

    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    sections: list[Section] = []
    history: list[dict] = []
    h = hyper(spec, variant)
    dropout = net.masks is not None
    state_w = [new_state(h, w.shape) for w in weights]
    state_b = [new_state(h, b.shape) for b in biases]
    last: dict[str, list[Update]] = {}
    written = OptimizerRecord(h)

    def update(grads_w: list[Array], grads_b: list[Array]) -> tuple[list[Array], list[Array]]:
        if h.plain:
            return update_parameters(weights, biases, grads_w, grads_b, lr, rnd, spec.update_bias)
        t = update_count + 1  # the optimizer's step counter runs across examples and epochs
        last["w"] = [apply(h, s, w, g, t, rnd) for s, w, g in zip(state_w, weights, grads_w)]
        new_w = [u.weights for u in last["w"]]
        if not spec.update_bias:
            return new_w, biases
        last["b"] = [
            apply(h, s, b, g, t, rnd, decay=spec.decay_bias)
            for s, b, g in zip(state_b, biases, grads_b)
        ]
        return new_w, [u.weights for u in last["b"]]

    def record_update(
        old_w: list[Array],
        old_b: list[Array],
        new_w: list[Array],
        new_b: list[Array],
        grads_w: list[Array],
        grads_b: list[Array],
        grad_tag: str,
        tag: str,
        head: str,
    ) -> Section:
        if h.plain:
            return recorder.updates(
                old_w, old_b, new_w, new_b, grads_w, grads_b, lr, grad_tag, tag, head,
                spec.update_bias,
            )  # fmt: skip
        return written.section(
            recorder, old_w, old_b, last, grads_w, grads_b, update_count, grad_tag, tag, head,
            spec.update_bias, spec.decay_bias,
        )  # fmt: skip

    def example_tag(epoch: int, k: int) -> str:
        if epoch == 1:
            return tags[k]
        return f"@e{epoch}" if n == 1 else f"@e{epoch}.{k + 1}"

    def heading(epoch: int, k: int | None) -> str:
        """Panel titles say which epoch (in a run of several) and which example they belong to."""
        if spec.epochs == 1:
            return "" if k is None else _heading(n, k)
        return f"Epoch {epoch} · " + ("" if k is None or n == 1 else f"example {k + 1} · ")

    sequential_lr = lr if sequential and spec.mode == "online" else None

    def write_pass(p: Pass, epoch: int, k: int, through: list[Array] | None = None) -> None:
        tag, head = example_tag(epoch, k), heading(epoch, k)
        sections.extend(recorder.forward(p, weights, biases, tag, head))
        sections.append(recorder.loss_section(p, tag, head))
        sections.extend(recorder.backward(p, through or weights, tag, head, spec.update_bias))

    # The loss at the initial weights, where the passes that show it stand: in batch mode
    # epoch 1's passes are all at the initial weights; online, only the first is, so the
    # mean is worked out first, from losses at the initial weights (labels E_total@0.k).
    first_passes = [
        run_pass(net, net.weights, net.biases, x, t, loss, rnd, backward=True, dropout=dropout)
        for x, t in examples
    ]
    if h.l2:  # grad_weights (and grad_bias with decay_bias) include the decay term λ·w
        for p in first_passes:
            p.grad_w = [rnd(g + h.weight_decay * w) for g, w in zip(p.grad_w, net.weights)]
            if spec.decay_bias:
                p.grad_b = [rnd(g + h.weight_decay * b) for g, b in zip(p.grad_b, net.biases)]
    losses_before = [float(p.loss) for p in first_passes if p.loss is not None]
    loss_before = float(rnd(np.mean(losses_before)))
    initial_title = "Loss over all examples at the initial weights (before any update)"
    if n > 1 and spec.mode == "online":
        sections.append(
            mean_loss_section(losses_before, [f"@0.{k + 1}" for k in range(n)], rnd, initial_title)
        )

    update_count = 0
    for epoch in range(1, spec.epochs + 1):
        if spec.mode == "online":
            for k, (x, t) in enumerate(examples):
                p = run_pass(
                    net,
                    weights,
                    biases,
                    x,
                    t,
                    loss,
                    rnd,
                    backward=True,
                    dropout=dropout,
                    sequential_lr=sequential_lr,
                )
                new_w, new_b = update(p.grad_w, p.grad_b)
                update_count += 1
                if record_all or update_count == 1:
                    write_pass(p, epoch, k, new_w if sequential_lr is not None else None)
                    tag = example_tag(epoch, k)
                    sections.append(
                        record_update(
                            weights,
                            biases,
                            new_w,
                            new_b,
                            p.grad_w,
                            p.grad_b,
                            tag,
                            tag,
                            heading(epoch, k),
                        )
                    )
                weights, biases = new_w, new_b
        else:
            passes = [
                run_pass(net, weights, biases, x, t, loss, rnd, backward=True, dropout=dropout)
                for x, t in examples
            ]
            grads_w = [
                rnd(np.mean([p.grad_w[i] for p in passes], axis=0)) for i in range(len(weights))
            ]
            grads_b = [
                rnd(np.mean([p.grad_b[i] for p in passes], axis=0)) for i in range(len(weights))
            ]
            new_w, new_b = update(grads_w, grads_b)
            update_count += 1
            if record_all or update_count == 1:
                for k, p in enumerate(passes):
                    write_pass(p, epoch, k)
                if n > 1 and epoch == 1:
                    sections.append(mean_loss_section(losses_before, tags, rnd, initial_title))
                if n == 1:
                    grad_tag = update_tag = example_tag(epoch, 0)
                else:
                    grad_tag = update_tag = "" if epoch == 1 else f"@e{epoch}"
                    sections.append(
                        recorder.mean_gradients(
                            passes,
                            grads_w,
                            grads_b,
                            [example_tag(epoch, k) for k in range(n)],
                            grad_tag,
                            spec.update_bias,
                            heading(epoch, None),
                        )
                    )
                sections.append(
                    record_update(
                        weights,
                        biases,
                        new_w,
                        new_b,
                        grads_w,
                        grads_b,
                        grad_tag,
                        update_tag,
                        heading(epoch, None),
                    )
                )
            weights, biases = new_w, new_b
        after = [
            run_pass(net, weights, biases, x, t, loss, rnd, backward=False).loss
            for x, t in examples
        ]
        history.append({"epoch": epoch, "loss": float(rnd(np.mean(after)))})  # type: ignore[arg-type]

    # The answers describe the network before any update (online mode changes it between examples).
    if spec.epochs > 1:
        sections.append(_history_section(loss_before, history, spec.mode, n))
    sections.append(_parameters_section(net, weights, biases, spec.update_bias))

    result: dict = {}
    final_layers = [
        {"units": net.units[i], "weights": weights[i].tolist(), "bias": biases[i].tolist()}
        for i in range(len(weights))
    ]
    if n == 1:
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
    result["loss"] = loss_before
    result["loss_after"] = history[-1]["loss"]
    result["history"] = history
    result["epochs"] = spec.epochs
    result["mode"] = spec.mode
    if not h.plain:
        result["optimizer"] = h.optimizer
        if h.weight_decay:
            result["weight_decay"] = h.weight_decay
    notes = []
    if not record_all:
        hint = (
            f"--every-step writes out runs of at most {MAX_WRITTEN} updates"
            if total_updates > MAX_WRITTEN
            else "pass --every-step to see them all"
        )
        notes.append(f"{total_updates:,} updates: the first is worked out in full; {hint}.")
    solution = Solution(
        "backprop", sections, result, title=spec.title, source=spec.source, notes=notes
    )
    if variant is None:
        for v in variants(h):

            def alternative(v: str = v) -> Solution:
                return solve_backprop(spec, carry, every_step, v)

            solution.alternatives.append((VARIANTS[v], alternative))
    return solution


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
