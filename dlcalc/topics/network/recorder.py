"""The worked solution of a network, read off the engine's passes as formula trees.

One step per named quantity in the style of the course slides
(``net_h1 = w1 × x1 + w2 × x2 + b_h1 × 1 = 0.15 × 0.05 + … = 0.3775``).  Each step's
formula is a tree (dlcalc.model.formula) whose leaves are the quantities it came from, so the
printed formula, the substituted numbers, ``--exact`` and ``check``'s recompute all read
the same description.  Labels and names come from :mod:`~dlcalc.topics.network.labels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dlcalc.maths.numerics import Loss
from dlcalc.model.formula import ONE, Name, Node, Num, Q, Symbol, call, q, total
from dlcalc.model.steps import Section, Step
from dlcalc.topics.network import labels as L
from dlcalc.topics.network.engine import Array, Network, Pass

if TYPE_CHECKING:
    from dlcalc.specs.training import Regularization


def _step(label: str, value: float, name: Symbol, expr: Node, note: str | None = None) -> Step:
    return Step(label, float(value), name=name, expr=expr, note=note)


class Recorder:
    """Writes the steps of passes and updates; ``tag`` keeps labels unique (``net_h1@2``)."""

    def __init__(self, net: Network, loss: Loss) -> None:
        self.net = net
        self.loss = loss
        # The label under which each weight's current value was last written (w5, then w5_new …).
        self.current_w = [[list(row) for row in layer] for layer in net.weight_labels]
        self.current_b = [[L.bias(u) for u in units] for units in net.units]

    # ---- leaves: the quantities steps are computed from

    def _w(self, layer: int, j: int, i: int, weights: list[Array]) -> Q:
        return q(
            self.current_w[layer][j][i],
            float(weights[layer][j, i]),
            L.weight_name(self.net.weight_labels[layer][j][i]),
        )

    def _b(self, layer: int, j: int, biases: list[Array]) -> Q:
        u = self.net.units[layer][j]
        return q(self.current_b[layer][j], float(biases[layer][j]), L.bias_name(u))

    def _fed(self, layer: int, i: int, p: Pass, tag: str) -> Q:
        if (
            layer > 0
            and self.net.dropped(layer - 1)
            and p.scales
            and p.scales[layer - 1] is not None
        ):
            u = self.net.units[layer - 1][i]
            return q(L.dropped(u, tag), float(p.fed[layer][i]), L.dropped_name(u))
        label = self.net.feeding(layer)[i]
        value = p.x[i] if layer == 0 else p.outs[layer - 1][i]
        return q(label + tag, float(value), L.fed_name(label))

    def _dropout_factor(self, layer: int, j: int) -> Node:
        """mask/(1 − p) of a unit under dropout."""
        assert self.net.masks is not None
        u = self.net.units[layer][j]
        mask = q(L.mask(u), float(self.net.masks[layer][j]), L.mask_name(u))
        rate = q(L.DROPOUT_RATE, self.net.dropout_rate, L.DROPOUT_RATE_NAME)
        return mask / (ONE - rate)

    def _dropout_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        """õut = out × mask/(1 − p): what the next layer receives (0 for a dropped unit)."""
        u = self.net.units[layer][j]
        assert self.net.masks is not None
        kept = bool(self.net.masks[layer][j])
        return _step(
            L.dropped(u, tag),
            p.fed[layer + 1][j],
            L.dropped_name(u),
            self._out(layer, j, p, tag) * self._dropout_factor(layer, j),
            note="kept: scaled by 1/(1 − p)" if kept else "dropped",
        )

    def _net(self, layer: int, j: int, p: Pass, tag: str) -> Q:
        u = self.net.units[layer][j]
        return q(L.net(u, tag), float(p.nets[layer][j]), L.net_name(u))

    def _out(self, layer: int, j: int, p: Pass, tag: str) -> Q:
        u = self.net.units[layer][j]
        return q(L.out(u, tag), float(p.outs[layer][j]), L.out_name(u))

    def _target(self, k: int, p: Pass, tag: str) -> Q:
        assert p.t is not None
        u = self.net.units[-1][k]
        return q(L.target(u, tag), float(p.t[k]), L.target_name(u))

    def _delta(self, layer: int, j: int, p: Pass, tag: str) -> Q:
        u = self.net.units[layer][j]
        return q(L.delta(u, tag), float(p.deltas[layer][j]), L.delta_name(u))

    def _grad_out(self, layer: int, j: int, p: Pass, tag: str) -> Q:
        u = self.net.units[layer][j]
        g = p.grad_out[layer]
        assert g is not None
        return q(L.grad_out(u, tag), float(g[j]), L.grad_out_name(u))

    # ---- the forward pass and the loss

    def forward(
        self, p: Pass, weights: list[Array], biases: list[Array], tag: str, heading: str
    ) -> list[Section]:
        sections = []
        n_layers = len(weights)
        for layer, (units, act) in enumerate(zip(self.net.units, self.net.activations)):
            kind = "output" if layer == n_layers - 1 else "hidden"
            section = Section(
                f"{heading}Forward pass · layer {layer + 1} ({kind}: {', '.join(units)}; {act.name})"
            )
            n_in = weights[layer].shape[1]
            outs = []
            for j, u in enumerate(units):
                products: list[Node] = [
                    self._w(layer, j, i, weights) * self._fed(layer, i, p, tag) for i in range(n_in)
                ]
                expr = total(products) + self._b(layer, j, biases) * ONE
                section.add(_step(L.net(u, tag), p.nets[layer][j], L.net_name(u), expr))
                if act.elementwise:
                    section.add(self._out_step(layer, j, p, tag))
                else:  # softmax uses every net of the layer: all of them first, then the outputs
                    outs.append(self._out_step(layer, j, p, tag))
            for step in outs:
                section.add(step)
            if self.net.dropped(layer) and p.scales and p.scales[layer] is not None:
                section.add(
                    f"dropout (rate p = {self.net.dropout_rate:g}): the next layer receives "
                    "out × mask/(1 − p); dropped units send 0"
                )
                for j in range(len(units)):
                    section.add(self._dropout_step(layer, j, p, tag))
            sections.append(section)
        return sections

    def _out_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        u, act = self.net.units[layer][j], self.net.activations[layer]
        if act.elementwise:
            expr = act.out_formula(self._net(layer, j, p, tag), self.net.alphas[layer])
        else:  # softmax: e^(net_j) / Σ_k e^(net_k)
            nets = [self._net(layer, k, p, tag) for k in range(len(self.net.units[layer]))]
            expr = call("exp", nets[j]) / total([call("exp", n) for n in nets])
        return _step(L.out(u, tag), p.outs[layer][j], L.out_name(u), expr)

    def loss_section(self, p: Pass, tag: str, heading: str) -> Section:
        assert p.t is not None and p.terms is not None and p.loss is not None
        loss, units = self.loss, self.net.units[-1]
        n = len(units)
        section = Section(f"{heading}Loss ({loss.name}: {loss.description})")
        terms: list[Node] = []
        for k, u in enumerate(units):
            expr = loss.term_formula(
                self._target(k, p, tag), self._out(len(self.net.units) - 1, k, p, tag), n
            )
            section.add(_step(L.term(u, tag), p.terms[k], L.term_name(u), expr))
            terms.append(q(L.term(u, tag), float(p.terms[k]), L.term_name(u)))
        section.add(_step(L.total(tag), p.loss, L.total_name(), total(terms)))
        return section

    # ---- the backward pass

    def backward(
        self, p: Pass, weights: list[Array], tag: str, heading: str, include_bias: bool
    ) -> list[Section]:
        """δ and gradients layer by layer, output first; per unit: ∂E/∂out, ∂out/∂net, δ, ∂E/∂w."""
        assert p.t is not None
        sections = []
        n_layers = len(weights)
        for layer in reversed(range(n_layers)):
            units, act = self.net.units[layer], self.net.activations[layer]
            kind = "output" if layer == n_layers - 1 else "hidden"
            section = Section(
                f"{heading}Backward pass · layer {layer + 1} ({kind}: {', '.join(units)})"
            )
            shortcut = p.grad_out[layer] is None
            if shortcut:
                section.add(
                    "softmax with cross-entropy: ∂E/∂net_k = out_k − t_k (the softmax Jacobian and −t/out cancel)"
                )
            elif not act.elementwise:
                for j in range(len(units)):
                    section.add(self._grad_out_step(layer, j, p, weights, tag))
                section.add(self._softmax_sum_step(layer, p, tag))
            for j, u in enumerate(units):
                if shortcut:
                    expr = self._out(layer, j, p, tag) - self._target(j, p, tag)
                    section.add(_step(L.delta(u, tag), p.deltas[layer][j], L.delta_name(u), expr))
                elif act.elementwise:
                    section.add(self._grad_out_step(layer, j, p, weights, tag))
                    section.add(self._slope_step(layer, j, p, tag))
                    section.add(self._delta_step(layer, j, p, tag))
                else:
                    section.add(self._delta_step(layer, j, p, tag))
                delta = self._delta(layer, j, p, tag)
                for i in range(weights[layer].shape[1]):
                    w = self.net.weight_labels[layer][j][i]
                    section.add(
                        _step(
                            L.grad_weight(w, tag),
                            p.grad_w[layer][j, i],
                            L.grad_weight_name(w),
                            delta * self._fed(layer, i, p, tag),
                        )
                    )
                if include_bias:
                    section.add(
                        _step(
                            L.grad_bias(u, tag),
                            p.grad_b[layer][j],
                            L.grad_bias_name(u),
                            delta * ONE,
                        )
                    )
            sections.append(section)
        return sections

    def _softmax_sum_step(self, layer: int, p: Pass, tag: str) -> Step:
        """S = Σ_j ∂E/∂out_j · out_j, the shared term of the softmax Jacobian."""
        units = self.net.units[layer]
        expr = total(
            [
                self._grad_out(layer, k, p, tag) * self._out(layer, k, p, tag)
                for k in range(len(units))
            ]
        )
        return _step(
            L.softmax_sum(layer, tag),
            p.softmax_sums[layer],  # type: ignore[arg-type]
            L.softmax_sum_name(layer),
            expr,
            note="softmax: δ_k = out_k × (∂E/∂out_k − S), S = Σ_j ∂E/∂out_j × out_j",
        )

    def _grad_out_step(self, layer: int, j: int, p: Pass, weights: list[Array], tag: str) -> Step:
        u = self.net.units[layer][j]
        value = p.grad_out[layer][j]  # type: ignore[index]
        if layer == len(weights) - 1:
            n = len(self.net.units[-1])
            expr = self.loss.grad_formula(self._target(j, p, tag), self._out(layer, j, p, tag), n)
            return _step(L.grad_out(u, tag), value, L.grad_out_name(u), expr)
        # A hidden unit reaches the loss through every unit of the next layer: sum over the paths.
        nxt = layer + 1
        paths: list[Node] = []
        for k in range(len(self.net.units[nxt])):
            w = q(
                self.current_w[nxt][k][j],
                float(weights[nxt][k, j]),
                L.weight_name(self.net.weight_labels[nxt][k][j]),
            )
            paths.append(self._delta(nxt, k, p, tag) * w)
        note = "sum over every path to the loss" if len(paths) > 1 else None
        summed: Node = total(paths)
        if self.net.dropped(layer) and p.scales and p.scales[layer] is not None:
            # Dropout: the paths reach out only through õut = out × mask/(1 − p).
            assert self.net.masks is not None
            summed = summed * self._dropout_factor(layer, j)
            if not self.net.masks[layer][j]:
                note = "dropped: no gradient flows back"
        return _step(L.grad_out(u, tag), value, L.grad_out_name(u), summed, note=note)

    def _slope_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        u, act = self.net.units[layer][j], self.net.activations[layer]
        expr = act.slope_formula(
            self._net(layer, j, p, tag), self._out(layer, j, p, tag), self.net.alphas[layer]
        )
        return _step(L.slope(u, tag), p.slopes[layer][j], L.slope_name(u), expr)  # type: ignore[index]

    def _delta_step(self, layer: int, j: int, p: Pass, tag: str) -> Step:
        u, act = self.net.units[layer][j], self.net.activations[layer]
        g = self._grad_out(layer, j, p, tag)
        if act.elementwise:
            slopes = p.slopes[layer]
            assert slopes is not None
            s = q(L.slope(u, tag), float(slopes[j]), L.slope_name(u))
            expr: Node = g * s
        else:
            sums = p.softmax_sums[layer]
            s_q = q(L.softmax_sum(layer, tag), float(sums), L.softmax_sum_name(layer))  # type: ignore[arg-type]
            expr = self._out(layer, j, p, tag) * (g - s_q)
        return _step(L.delta(u, tag), p.deltas[layer][j], L.delta_name(u), expr)

    # ---- batch means and updates

    def mean_gradients(
        self,
        passes: list[Pass],
        grads_w: list[Array],
        grads_b: list[Array],
        tags: list[str],
        tag: str,
        include_bias: bool,
        heading: str = "",
        numbers: Sequence[int] | None = None,
    ) -> Section:
        """∂E/∂w = (∂E⁽¹⁾/∂w + …)/n; ``numbers``: the examples' numbers (a mini-batch's)."""
        n = len(passes)
        what = "batch mode" if numbers is None else "this mini-batch"
        numbers = list(numbers) if numbers is not None else list(range(1, n + 1))
        section = Section(f"{heading}Mean gradient over the {n} examples ({what})")
        section.add("∂E⁽ᵏ⁾ is the loss of example k.")
        for layer in reversed(range(len(grads_w))):
            for j, u in enumerate(self.net.units[layer]):
                for i in range(grads_w[layer].shape[1]):
                    w = self.net.weight_labels[layer][j][i]
                    grads = [  # ∂E⁽¹⁾/∂w5: the gradient of example 1's loss
                        q(
                            L.grad_weight(w, t),
                            float(p.grad_w[layer][j, i]),
                            L.grad_weight_name(w, example=numbers[k]),
                        )
                        for k, (p, t) in enumerate(zip(passes, tags))
                    ]
                    section.add(
                        _step(
                            L.grad_weight(w, tag),
                            grads_w[layer][j, i],
                            L.grad_weight_name(w),
                            mean(grads),
                        )
                    )
                if include_bias:
                    grads = [
                        q(
                            L.grad_bias(u, t),
                            float(p.grad_b[layer][j]),
                            L.grad_bias_name(u, example=numbers[k]),
                        )
                        for k, (p, t) in enumerate(zip(passes, tags))
                    ]
                    section.add(
                        _step(
                            L.grad_bias(u, tag), grads_b[layer][j], L.grad_bias_name(u), mean(grads)
                        )
                    )
        return section

    def updates(
        self,
        old_w: list[Array],
        old_b: list[Array],
        new_w: list[Array],
        new_b: list[Array],
        grads_w: list[Array],
        grads_b: list[Array],
        lr: float,
        grad_tag: str,
        tag: str,
        heading: str,
        include_bias: bool,
        *,
        stage: str = "E",
        bias_stage: str = "E",
        eta: Q | None = None,
        decay: tuple[Regularization, int] | None = None,
        decay_bias: bool = False,
        first: Sequence[Step] = (),
    ) -> Section:
        """w⁺ = w − η·g for every weight (and bias), g the gradient of ``stage`` (∂E, ∂J or ĝ).

        ``eta``: update k's scheduled rate η_k (its step is in ``first``); ``decay``: an l2
        regularization, written in its decay-factor form (1 − ηλ/m)·w − η·∂E/∂w.
        """
        rate = eta.value if eta is not None else lr
        section = Section(f"{heading}Updates (η = {rate:g})")
        for step in first:
            section.add(step)
        eta = eta if eta is not None else q(L.LEARNING_RATE, lr, L.ETA)
        if decay is not None:
            from dlcalc.topics.training_steps import decay_factor_expr

            section.add("L2 as weight decay: w⁺ = w − η·(∂E/∂w + λ/m·w) = (1 − η·λ/m)·w − η·∂E/∂w")
        for layer in reversed(range(len(old_w))):
            for j, u in enumerate(self.net.units[layer]):
                for i in range(old_w[layer].shape[1]):
                    w = self.net.weight_labels[layer][j][i]
                    grad = q(
                        L.gradient(stage, w, grad_tag),
                        float(grads_w[layer][j, i]),
                        L.gradient_name(stage, L.weight_name(w)),
                    )
                    weight = self._w(layer, j, i, old_w)
                    if decay is not None:
                        expr = decay_factor_expr(decay[0], decay[1], eta, weight, grad)
                    else:
                        expr = weight - eta * grad
                    label = L.new_weight(w, tag)
                    section.add(_step(label, new_w[layer][j, i], L.weight_name(w, "+"), expr))
                    self.current_w[layer][j][i] = label
                if include_bias:
                    grad = q(
                        L.gradient(bias_stage, L.bias(u), grad_tag),
                        float(grads_b[layer][j]),
                        L.gradient_name(bias_stage, L.bias_name(u)),
                    )
                    bias = self._b(layer, j, old_b)
                    if decay is not None and decay_bias:
                        expr = decay_factor_expr(decay[0], decay[1], eta, bias, grad)
                    else:
                        expr = bias - eta * grad
                    label = L.new_bias(u, tag)
                    section.add(_step(label, new_b[layer][j], L.bias_name(u, "+"), expr))
                    self.current_b[layer][j] = label
        if len(old_w) > 1:
            section.add("The hidden layers' δ use the weights from before this update (w, not w⁺).")
        return section


def mean(terms: Sequence[Node]) -> Node:
    """(a + b + …)/n."""
    return total(terms) / Num(len(terms))


def mean_loss_section(
    losses: list[float], tags: list[str], rnd: object, title: str = "Loss over all examples"
) -> Section:
    """E = (E⁽¹⁾ + E⁽²⁾ + …)/n over the examples (E⁽ᵏ⁾: example k's E_total)."""
    terms: list[Node] = [
        q(L.total(t), v, L.example_loss_name(k + 1)) for k, (v, t) in enumerate(zip(losses, tags))
    ]
    section = Section(title)
    value = rnd(np.mean(losses))  # type: ignore[operator]
    section.add(_step(L.MEAN_LOSS, value, Name("E"), mean(terms)))
    return section
