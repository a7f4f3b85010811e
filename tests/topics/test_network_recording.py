"""Issue 12, items 1-3: step order, the loss per epoch and batch/stochastic notation."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlcalc.render import Format, render_text
from dlcalc.specs.loader import load, parse_yaml
from dlcalc.specs.network import load_network
from dlcalc.specs.perceptron import load_delta
from dlcalc.topics.delta import solve_delta
from dlcalc.topics.network import solve_backprop, solve_forward

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
XOR = """\
examples:
  - {input: [0, 0], target: [0]}
  - {input: [0, 1], target: [1]}
  - {input: [1, 0], target: [1]}
  - {input: [1, 1], target: [0]}
learning_rate: 0.5
mode: batch
epochs: 3
layers:
  - {activation: sigmoid, weights: [[0.1, 0.2], [0.3, -0.1]], bias: 0.1}
  - {activation: sigmoid, weights: [[0.2, -0.3]], bias: 0.05}
"""


def _network(text: str, training: bool = True):
    return load_network(parse_yaml(text, "p.yaml"), training=training)


def test_every_quantity_is_worked_out_before_a_step_uses_it() -> None:
    spec = load_network(load(str(EXAMPLES / "ce-multiclass.yaml")), training=False)
    for solution in (
        solve_forward(spec),
        solve_backprop(spec.model_copy(update={"learning_rate": 0.1})),
    ):
        defined: set[str] = set()
        givens = {"x", "t", "w", "b", "l"}  # inputs, targets, weights, biases, learning rate
        for step in solution.steps:
            for label in step.inputs:
                assert label in defined or label[0] in givens, (step.label, label)
            defined.add(step.label)


def test_softmax_outputs_come_after_every_net_of_their_layer() -> None:
    spec = load_network(load(str(EXAMPLES / "ce-multiclass.yaml")), training=False)
    labels = [s.label for s in solve_forward(spec).steps]
    assert labels.index("net_o3") < labels.index("out_o1")


@pytest.mark.parametrize(("epochs", "rows"), [(3, 4), (20, 21), (49, 50), (120, 50)])
def test_loss_history_is_shown_for_every_run_of_several_epochs(epochs: int, rows: int) -> None:
    solution = solve_backprop(_network(XOR.replace("epochs: 3", f"epochs: {epochs}")))
    history = next(s for s in solution.sections if s.title.startswith("Loss per epoch"))
    table = history.items[0]
    assert len(table.rows) == rows and not table.elide
    assert table.rows[0][0] == 0 and table.rows[-1][0] == epochs  # first and last always
    assert [r[1] for r in table.rows[1:]] == [
        h["loss"] for h in solution.result["history"] if h["epoch"] in {r[0] for r in table.rows}
    ]
    if epochs + 1 > 50:
        assert f"50 of {epochs + 1} rows shown" in history.items[1]


def test_one_epoch_needs_no_history_table() -> None:
    solution = solve_backprop(_network(XOR.replace("epochs: 3", "epochs: 1")))
    assert not any(s.title.startswith("Loss per epoch") for s in solution.sections)


def test_panels_say_what_they_are_and_stand_in_order() -> None:
    titles = [s.title for s in solve_backprop(_network(XOR)).sections]
    initial = titles.index("Loss over all examples at the initial weights (before any update)")
    first_mean = next(i for i, t in enumerate(titles) if "Mean gradient" in t)
    assert initial < first_mean  # beside epoch 1's passes, not after epoch 3
    assert titles[0].startswith("Epoch 1 · example 1 · Forward pass")
    assert titles[first_mean].startswith("Epoch 1 · Mean gradient")
    assert titles[-2].startswith("Loss per epoch") and titles[-1] == "Final parameters"


def test_online_initial_loss_has_labels_of_its_own() -> None:
    solution = solve_backprop(_network(XOR.replace("mode: batch", "mode: online")))
    labels = [s.label for s in solution.steps]
    assert len(labels) == len(set(labels))  # no label stands for two values
    mean = solution.step("E_mean")
    assert mean is not None and mean.inputs == [f"E_total@0.{k}" for k in range(1, 5)]
    assert mean.value == pytest.approx(solution.result["loss"])


def test_batch_gradients_name_each_examples_loss() -> None:
    solution = solve_backprop(_network(XOR))
    step = solution.step("dE_dw5")
    assert step is not None
    assert step.formula() == "(∂E⁽¹⁾/∂w5 + ∂E⁽²⁾/∂w5 + ∂E⁽³⁾/∂w5 + ∂E⁽⁴⁾/∂w5)/4"
    assert step.inputs == ["dE_dw5@1", "dE_dw5@2", "dE_dw5@3", "dE_dw5@4"]
    assert solution.step("E_mean").formula() == "(E⁽¹⁾ + E⁽²⁾ + E⁽³⁾ + E⁽⁴⁾)/4"


def test_stochastic_delta_indexes_each_quantity_by_its_step() -> None:
    text = (EXAMPLES / "delta-rule.yaml").read_text().replace("mode: batch", "mode: stochastic")
    solution = solve_delta(load_delta(parse_yaml(text, "d.yaml")))
    epoch1 = solution.sections[1]
    shown = [s.shown for s in epoch1.steps]
    assert len(shown) == len(set(shown)), "a symbol stands for two values in one panel"
    assert "o_2⁽²⁾" in shown and "Δw0⁽²⁾" in shown and "w0⁽²⁾" in shown
    step = next(s for s in epoch1.steps if s.shown == "o_2⁽²⁾")
    assert step.formula() == "w0⁽¹⁾ × 1 + w1⁽¹⁾ × x1 + w2⁽¹⁾ × x2"
    text_out = render_text(solution, Format.markdown)
    assert "o_2⁽²⁾" in text_out
