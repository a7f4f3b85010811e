"""The perceptron training rule and fixed perceptrons, against the slides and an independent oracle."""

from __future__ import annotations

from fractions import Fraction

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.render.numbers import fmt
from dlcalc.specs.loader import parse_yaml
from dlcalc.specs.perceptron import PerceptronEvaluation, PerceptronTraining, load_perceptron
from dlcalc.topics.perceptron import solve_evaluation, solve_training
from tests.conftest import EXAMPLES

# The slides' trace (w0, w1, w2, err), all 38 epochs.  Epochs 1-17 and 32-38 are printed on
# the slide; 18-31 are its "Fourteen more iterations", pinned from the exact computation.
SLIDE_TRACE = """
0.5 0.5 0.5 7 | 0.36 -0.12 0.1 6 | 0.3 -0.18 0.06 5 | 0.24 -0.14 0.14 4 | 0.18 -0.2 0.1 5
0.12 -0.16 0.18 4 | 0.08 -0.06 0.18 5 | 0.02 -0.12 0.14 4 | -0.04 -0.18 0.1 5
-0.1 -0.14 0.18 4 | -0.14 -0.04 0.18 5 | -0.2 -0.1 0.14 3 | -0.26 -0.16 0.1 4
-0.32 -0.12 0.18 3 | -0.36 -0.02 0.18 3 | -0.42 -0.08 0.14 2 | -0.42 -0.08 0.24 2
-0.48 -0.14 0.2 3 | -0.5 0 0.22 3 | -0.56 -0.06 0.18 3 | -0.6 -0.1 0.18 2 | -0.6 -0.1 0.28 2
-0.64 0 0.28 3 | -0.66 -0.08 0.28 2 | -0.72 -0.14 0.24 2 | -0.72 -0.02 0.24 2
-0.76 -0.06 0.24 3 | -0.78 -0.02 0.22 2 | -0.82 -0.06 0.22 3 | -0.84 -0.02 0.2 2
-0.86 0.02 0.18 2 | -0.9 -0.02 0.18 1 | -0.9 -0.02 0.24 2 | -0.92 0.02 0.22 2
-0.96 -0.02 0.22 3 | -0.98 0.02 0.2 2 | -1 0.06 0.18 2 | -1.04 0.02 0.18 0
"""


def slide_trace() -> list[tuple[list[float], int]]:
    entries = [e.split() for e in SLIDE_TRACE.replace("\n", " | ").split("|") if e.strip()]
    return [([float(v) for v in e[:3]], int(e[3])) for e in entries]


def training(text_or_dict: str | dict) -> PerceptronTraining:
    text = text_or_dict if isinstance(text_or_dict, str) else yaml.safe_dump(text_or_dict)
    spec = load_perceptron(parse_yaml(text, "problem.yaml"))
    assert isinstance(spec, PerceptronTraining)
    return spec


def evaluation(text: str) -> PerceptronEvaluation:
    spec = load_perceptron(parse_yaml(text, "problem.yaml"))
    assert isinstance(spec, PerceptronEvaluation)
    return spec


# --- the slides' 13-point example ------------------------------------------------------------


def test_slide_example_reproduces_all_38_epochs() -> None:
    spec = training((EXAMPLES / "perceptron-trace.yaml").read_text())
    result = solve_training(spec).result
    expected = slide_trace()
    assert len(expected) == 38
    assert [(e["weights"], e["errors"]) for e in result["epochs"]] == expected
    assert [e["epoch"] for e in result["epochs"]] == list(range(1, 39))
    assert result["converged"] is True
    assert result["weights"] == [-1.04, 0.02, 0.18]


def test_slide_example_steps_show_the_first_update() -> None:
    solution = solve_training(training((EXAMPLES / "perceptron-trace.yaml").read_text()))
    wx = solution.step("wx_4@1")
    assert wx is not None and wx.value == Fraction(5)
    assert wx.formula() == "w0 × 1 + w1 × x1 + w2 × x2"
    assert wx.substituted(fmt) == "0.5 × 1 + 0.5 × 4 + 0.5 × 5"
    update = solution.step("w1@1.4")
    assert update is not None and update.value == Fraction("0.42")
    assert update.recompute({}) == pytest.approx(0.42)
    assert solution.step("errors@1").value == 7  # type: ignore[union-attr]
    assert solution.step("errors@38").value == 0  # type: ignore[union-attr]
    assert solution.step("wx_1@2") is None  # epochs 2-37 only in the trace table


def test_step_labels_are_unique_even_with_every_step() -> None:
    for mode in ("online", "batch"):
        text = (
            (EXAMPLES / "perceptron-trace.yaml")
            .read_text()
            .replace("mode: online", f"mode: {mode}")
        )
        solution = solve_training(training(text), every_step=True)
        labels = [s.label for s in solution.steps]
        assert len(labels) == len(set(labels))


def test_every_step_recomputes() -> None:
    solution = solve_training(
        training((EXAMPLES / "perceptron-trace.yaml").read_text()), every_step=True
    )
    for step in solution.steps:
        if step.computed:
            assert float(step.recompute({})) == pytest.approx(float(step.value), abs=1e-12), (
                step.label
            )


def test_tie_at_zero_follows_fire_at_zero() -> None:
    base = {
        "data": {"rows": [[0, 0, "A"], [1, 1, "B"]]},
        "positive": "A",
        "initial_weights": [0, 0, 0],
        "learning_rate": 1,
    }
    fire = solve_training(training(base)).result
    strict = solve_training(training({**base, "fire_at_zero": False})).result
    assert fire["epochs"][0]["errors"] == 1  # w·x = 0 fires: row 2 (B) is wrong
    assert strict["epochs"][0]["errors"] == 1  # w·x = 0 does not fire: row 1 (A) is wrong
    assert fire["epochs"] != strict["epochs"]


def test_non_separable_runs_out_of_epochs() -> None:
    xor = {
        "data": {"rows": [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]]},
        "outputs": [0, 1],
        "positive": 1,
        "initial_weights": [0, 0, 0],
        "learning_rate": 0.5,
        "max_epochs": 20,
    }
    solution = solve_training(training(xor))
    assert solution.result["converged"] is False
    assert len(solution.result["epochs"]) == 20
    text = " ".join(i for s in solution.sections for i in s.items if isinstance(i, str))
    assert "ran out" in text and "never converges" in text


def test_convergence_after_the_last_allowed_epoch_records_the_check() -> None:
    spec = training(
        (EXAMPLES / "perceptron-trace.yaml")
        .read_text()
        .replace("max_epochs: 100", "max_epochs: 37")
    )
    result = solve_training(spec).result
    assert result["converged"] is True
    assert len(result["epochs"]) == 38 and result["epochs"][-1]["errors"] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"positive": "Blue"}, "no row has the label"),
        ({"positive": None}, "positive"),
        ({"initial_weights": [1, 2]}, "expected 3 weights"),
        ({"outputs": [1, 2]}, "[-1, 1] or [0, 1]"),
        ({"mode": "minibatch"}, "mode"),
        ({"max_epochs": 0}, "epochs"),
        ({"learnig_rate": 0.1}, "did you mean 'learning_rate'"),
    ],
)
def test_invalid_training_input(change: dict, message: str) -> None:
    base = yaml.safe_load((EXAMPLES / "perceptron-trace.yaml").read_text())
    doc = {**base, **change}
    doc = {k: v for k, v in doc.items() if v is not None}
    with pytest.raises(InputError) as err:
        training(doc)
    assert message in str(err.value)


# --- evaluation -------------------------------------------------------------------------------


def test_question_1_four_classes() -> None:
    solution = solve_evaluation(evaluation((EXAMPLES / "four-classes.yaml").read_text()))
    first = solution.result["predictions"][0]
    assert first == {"input": [2.1, 4.5], "sums": [2.1, 4.5], "outputs": [0, 1], "label": "car"}
    labels = [p["label"] for p in solution.result["predictions"][1:]]
    assert labels == [
        "bus",
        "car",
        "car",
        "bus",
        "plane",
        "bicycle",
        "bicycle",
        "plane",
    ]  # the slide's table
    step = solution.step("y1@1")
    assert step is not None and step.substituted(fmt) == "2.1 < 3 ← threshold"  # as the slide
    assert solution.step("y2@1").substituted(fmt) == "4.5 ≥ 3 ← threshold"
    code = solution.step("code@1")
    assert code.substituted(fmt) == "(0, 1)" and code.value == "car"  # y = (0, 1) = car, once


def test_gates_truth_table() -> None:
    solution = solve_evaluation(evaluation((EXAMPLES / "gates.yaml").read_text()))
    rows = {tuple(int(v) for v in p["input"]): p["outputs"] for p in solution.result["predictions"]}
    assert len(rows) == 8
    for (a, b, c), (g_and, g_or, g_not, g_maj) in rows.items():
        assert g_and == int(a and b)
        assert g_or == int(a or b)
        assert g_not == int(not a)
        assert g_maj == int(a + b + c >= 2)


def test_bias_and_threshold_forms_agree() -> None:
    bias = evaluation("perceptrons: [{weights: [20, 20], bias: -30}]\nclassify: [[0, 0], [1, 1]]")
    threshold = evaluation(
        "perceptrons: [{weights: [20, 20], threshold: 30}]\nclassify: [[0, 0], [1, 1]]"
    )
    outs = [p["outputs"] for p in solve_evaluation(bias).result["predictions"]]
    assert (
        outs
        == [p["outputs"] for p in solve_evaluation(threshold).result["predictions"]]
        == [[0], [1]]
    )


def test_invalid_evaluation_input() -> None:
    with pytest.raises(InputError, match="not both"):
        evaluation("perceptrons: [{weights: [1], bias: 1, threshold: 2}]\nclassify: [[1]]")
    with pytest.raises(InputError, match="expected 2 input values"):
        evaluation("perceptrons: [{weights: [1, 2]}]\nclassify: [[1]]")
    with pytest.raises(InputError, match="classify"):
        evaluation("perceptrons: [{weights: [1, 2]}]")


# --- properties against an independent implementation ----------------------------------------


def oracle(rows, targets, w, eta, mode, fire_at_zero, outputs, max_epochs):
    """The perceptron rule exactly as the contract states it, written plainly."""
    neg, pos = outputs

    def out(w, x):
        s = w[0] + sum(a * b for a, b in zip(w[1:], x))
        return pos if (s >= 0 if fire_at_zero else s > 0) else neg

    epochs = []
    for k in range(1, max_epochs + 1):
        wrong = [i for i, (x, t) in enumerate(zip(rows, targets)) if out(w, x) != t]
        epochs.append((k, list(w), len(wrong)))
        if not wrong:
            return epochs, w, True
        if mode == "online":
            for x, t in zip(rows, targets):
                o = out(w, x)
                if o != t:
                    w = [wi + eta * (t - o) * xi for wi, xi in zip(w, [1, *x])]
        else:
            step = [Fraction(0)] * len(w)
            for i in wrong:
                o = out(w, rows[i])
                step = [s + (targets[i] - o) * xi for s, xi in zip(step, [1, *rows[i]])]
            w = [wi + eta * s for wi, s in zip(w, step)]
    converged = all(out(w, x) == t for x, t in zip(rows, targets))
    if converged:
        epochs.append((max_epochs + 1, list(w), 0))
    return epochs, w, converged


decimal = st.integers(-30, 30).map(lambda n: n / 10)
point = st.tuples(decimal, decimal)


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(point, min_size=1, max_size=8),
    labels=st.lists(st.booleans(), min_size=8, max_size=8),
    w=st.tuples(decimal, decimal, decimal),
    eta=st.sampled_from([0.01, 0.1, 0.25, 1]),
    mode=st.sampled_from(["online", "batch"]),
    fire_at_zero=st.booleans(),
    outputs=st.sampled_from([[-1, 1], [0, 1]]),
)
def test_trace_matches_an_independent_implementation(
    points, labels, w, eta, mode, fire_at_zero, outputs
) -> None:
    rows = [[x1, x2, "P" if lab else "N"] for (x1, x2), lab in zip(points, labels)]
    spec = training(
        {
            "data": {"rows": rows},
            "positive": rows[0][2],
            "outputs": outputs,
            "fire_at_zero": fire_at_zero,
            "initial_weights": list(w),
            "learning_rate": eta,
            "mode": mode,
            "max_epochs": 30,
        }
    )
    result = solve_training(spec).result
    exact_rows = [[Fraction(str(v)) for v in r[:2]] for r in rows]
    targets = [outputs[1] if r[2] == rows[0][2] else outputs[0] for r in rows]
    epochs, final, converged = oracle(
        exact_rows,
        targets,
        [Fraction(str(v)) for v in w],
        Fraction(str(eta)),
        mode,
        fire_at_zero,
        outputs,
        30,
    )
    assert [(e["epoch"], e["weights"], e["errors"]) for e in result["epochs"]] == [
        (k, [float(v) for v in ws], n) for k, ws, n in epochs
    ]
    assert result["weights"] == [float(v) for v in final]
    assert result["converged"] is converged


@settings(max_examples=40, deadline=None)
@given(
    true_w=st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-3, 3)).filter(
        lambda w: w[1] or w[2]
    ),
    points=st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=1, max_size=10),
    mode=st.sampled_from(["online", "batch"]),
)
def test_separable_data_converge_and_are_separated(true_w, points, mode) -> None:
    w0, w1, w2 = true_w
    sums = [w0 + w1 * x1 + w2 * x2 for x1, x2 in points]
    rows = [[x1, x2, "pos" if s > 0 else "neg"] for (x1, x2), s in zip(points, sums) if s != 0]
    if not any(r[2] == "pos" for r in rows):
        return
    spec = training(
        {
            "data": {"rows": rows},
            "positive": "pos",
            "initial_weights": [0, 0, 0],
            "learning_rate": 0.1,
            "mode": mode,
            "max_epochs": 3000,
        }
    )
    result = solve_training(spec).result
    assert result["converged"] is True
    assert result["epochs"][-1]["errors"] == 0
    w = [Fraction(str(v)) for v in result["weights"]]
    for x1, x2, label in rows:
        s = w[0] + w[1] * x1 + w[2] * x2
        assert (s >= 0) == (label == "pos")


def test_cycle_shortcut_gives_the_same_trace_as_running_every_epoch() -> None:
    xor = {
        "data": {"rows": [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0]]},
        "outputs": [0, 1],
        "positive": 1,
        "initial_weights": [0.3, -0.2, 0.1],
        "learning_rate": 0.1,
        "max_epochs": 150,
    }
    for mode in ("online", "batch"):
        spec = training({**xor, "mode": mode})
        short = solve_training(spec)  # copies the cycle once the weights repeat
        full = solve_training(spec, every_step=True)  # runs (and writes out) every epoch
        assert short.result == full.result
        assert any("cycle" in i for s in short.sections for i in s.items if isinstance(i, str))


def test_friendly_input_forms() -> None:
    spec = training(
        "data: {rows: [[1, 2, yes], [2, 1, no]]}\npositive: yes\nlearning_rate: 1\nmode: Incremental\n"
    )
    assert spec.mode == "online" and spec.positive == "yes"  # yes is a label, not YAML 1.1's true
    one = evaluation("perceptrons: [{weights: [1, 0], threshold: 3}]\nclassify: [2.1, 4.5]\n")
    assert solve_evaluation(one).result["predictions"] == [
        {"input": [2.1, 4.5], "sums": [2.1], "outputs": [0]}
    ]


def test_expected_outputs_are_compared_with_the_predictions() -> None:
    text = (EXAMPLES / "four-classes.yaml").read_text().split("expected:")[0]
    text += "expected: [car, bus, car, car, bus, plane, bicycle, bicycle, [0, 0]]\n"
    solution = solve_evaluation(evaluation(text))
    predictions = solution.result["predictions"]
    assert [p["correct"] for p in predictions] == [True] * 8 + [False]
    assert predictions[-1]["expected"] == [0, 0] and predictions[0]["expected"] == "car"
    table = solution.sections[-1].items[0]
    assert table.columns[-2:] == ["expected", "right?"] and table.rows[-1][-2:] == ["(0, 0)", "✗"]
    assert "8 of 9 predicted as expected." in solution.sections[-1].items


def test_expected_outputs_are_validated() -> None:
    from dlcalc.errors import InputError

    base = (EXAMPLES / "four-classes.yaml").read_text().split("expected:")[0]
    with pytest.raises(InputError, match="one expected output per input"):
        evaluation(base + "expected: [car]\n")
    with pytest.raises(InputError, match="unknown class 'train'"):
        evaluation(base + "expected: [train, bus, car, car, bus, plane, bicycle, bicycle, plane]\n")


def test_the_slides_table_is_predicted_as_given() -> None:
    solution = solve_evaluation(evaluation((EXAMPLES / "four-classes.yaml").read_text()))
    assert "expected" not in solution.result["predictions"][0]  # the test input: nothing expected
    assert all(p["correct"] for p in solution.result["predictions"][1:])
    assert "8 of 8 predicted as expected." in solution.sections[-1].items
