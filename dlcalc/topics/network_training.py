"""Training options of ``backprop`` written out: weight decay, and an optimizer's state per weight.

The numbers come from :func:`dlcalc.topics.optimize.apply` (run by ``solve_backprop`` on whole
weight matrices); this module only writes one update of every weight and bias as steps:
the decay term (``∂J/∂w5 = ∂E/∂w5 + λ × w5``), the optimizer's state (``m_w5,1``, ``m̂_w5,1`` …)
and the new weight (``w5⁺``).  Plain SGD without decay keeps the recorder's own update steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dlcalc.model.formula import Name, Partial, Q, q
from dlcalc.model.steps import Section, Step
from dlcalc.specs.network import NetworkProblem
from dlcalc.topics.network import labels as L
from dlcalc.topics.optimize import Hyper, Names, Update, initial_state, update_steps

if TYPE_CHECKING:
    from dlcalc.topics.network.recorder import Recorder

Array = np.ndarray


def hyper(spec: NetworkProblem, variant: str | None = None) -> Hyper:
    """The optimizer of a backprop problem (default: plain SGD), optionally in another convention."""
    return Hyper.of(spec, float(spec.learning_rate or 0.0), variant)


class ParameterNames(Names):
    """One weight's (or bias's) quantities: ``m_w5_1`` written m_w5,1 (w5's m after update 1),
    and its decayed gradient ``dJ_dw5`` written ∂J/∂w5."""

    def __init__(self, parameter: str, tag: str) -> None:
        super().__init__(parameter)
        self.tag = tag

    def label(self, kind: str, t: int) -> str:
        assert self.param is not None
        if kind == "g_reg":
            return f"dJ_d{self.param}{self.tag}"
        return f"{kind}_{self.param}_{t}"

    def name(self, kind: str, t: int) -> Name | Partial:  # type: ignore[override]
        assert self.param is not None
        if kind == "g_reg":
            return Partial(Name("J"), Name(self.param))  # ∂J/∂w5, J = E + (λ/2)‖w‖²
        return super().name(kind, t)


class OptimizerRecord:
    """Writes the updates of a backprop run with an optimizer or weight decay; keeps each
    parameter's state quantities (m_w5,0 → m_w5,1 → …) between the updates it writes."""

    def __init__(self, h: Hyper) -> None:
        self.h = h
        self.previous: dict[str, dict[str, Q]] = {}

    def _prev(self, parameter: str) -> dict[str, Q]:
        if parameter not in self.previous:
            self.previous[parameter] = initial_state(self.h, ParameterNames(parameter, ""))
        return self.previous[parameter]

    def section(
        self,
        recorder: Recorder,
        old_w: list[Array],
        old_b: list[Array],
        updates: dict[str, list[Update]],
        grads_w: list[Array],
        grads_b: list[Array],
        t: int,
        grad_tag: str,
        tag: str,
        heading: str,
        include_bias: bool,
        decay_bias: bool,
        *,
        stage: str = "E",
        bias_stage: str = "E",
        eta: Q | None = None,
        first: Sequence[Step] = (),
    ) -> Section:
        """One update of every parameter; ``stage`` names the gradient it starts from (∂E/∂w,
        the cost's ∂J/∂w or the clipped ĝ), ``eta`` a scheduled η_k whose step is in ``first``."""
        h = self.h
        net = recorder.net
        rate = eta.value if eta is not None else h.learning_rate
        title = f"{heading}Updates ({h.optimizer}, η = {rate:g}"
        title += f", λ = {h.weight_decay:g})" if h.weight_decay else ")"
        section = Section(title)
        for rule in h.rules(loss="E" if stage == "E" else "J"):
            section.add(rule)
        for step in first:
            section.add(step)
        for layer in reversed(range(len(old_w))):
            for j, u in enumerate(net.units[layer]):
                for i in range(old_w[layer].shape[1]):
                    w = net.weight_labels[layer][j][i]
                    weight = q(
                        recorder.current_w[layer][j][i], float(old_w[layer][j, i]), L.weight_name(w)
                    )
                    grad = q(
                        L.gradient(stage, w, grad_tag),
                        float(grads_w[layer][j, i]),
                        L.gradient_name(stage, L.weight_name(w)),
                    )
                    new = q(L.new_weight(w, tag), 0.0, L.weight_name(w, "+"))
                    steps = update_steps(
                        h,
                        t,
                        ParameterNames(w, grad_tag),
                        weight,
                        grad,
                        updates["w"][layer],
                        (j, i),
                        self._prev(w),
                        new_weight=new,
                        eta=eta,
                    )
                    for step in steps:
                        section.add(step)
                    recorder.current_w[layer][j][i] = new.label
                if include_bias:
                    b = L.bias(u)
                    bias = q(recorder.current_b[layer][j], float(old_b[layer][j]), L.bias_name(u))
                    grad = q(
                        L.gradient(bias_stage, b, grad_tag),
                        float(grads_b[layer][j]),
                        L.gradient_name(bias_stage, L.bias_name(u)),
                    )
                    new = q(L.new_bias(u, tag), 0.0, L.bias_name(u, "+"))
                    steps = update_steps(
                        h,
                        t,
                        ParameterNames(b, grad_tag),
                        bias,
                        grad,
                        updates["b"][layer],
                        (j,),
                        self._prev(b),
                        decay=decay_bias,
                        new_weight=new,
                        eta=eta,
                    )
                    for step in steps:
                        section.add(step)
                    recorder.current_b[layer][j] = new.label
        if h.l2 and not decay_bias:
            section.add("Biases are not decayed (decay_bias: false).")
        if len(old_w) > 1:
            section.add("The hidden layers' δ use the weights from before this update (w, not w⁺).")
        return section
