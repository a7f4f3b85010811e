"""The perceptron: the training rule traced epoch by epoch, and fixed perceptrons evaluated.

Training runs in exact arithmetic (fractions of the decimals as written), so that a
tie ``w·x = 0`` is a tie and the trace matches the one worked on paper.

Step labels (unique within a solution; rows and epochs count from 1):

* ``w0@k``, ``w1@k`` …  the weights at the start of epoch k; ``errors@k`` the number
  of rows those weights misclassify;
* ``wx_r@k``, ``o_r@k``  w·x and the output for row r in epoch k;
* online: ``w1@k.r``  w1 after the update that row r causes in epoch k;
* batch: ``delta_w1@k`` = η Σ (t − o)·x1 over the misclassified rows, then ``w1@k+1``;
* ``w1_final`` …, ``x2_intercept`` and ``x2_slope`` (the final decision boundary);
* evaluation: ``sum_y1@k`` and ``y1@k`` for perceptron y1 on input k, ``code@k``.

Epochs that are not written out in full (long runs without ``--every-step``) appear
only in the trace table and in ``result.epochs``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlcalc import limits
from dlcalc.model.formula import Compare, If, Lookup, Name, Node, Num, Q, Vector, q, total
from dlcalc.model.steps import Rule, Section, Solution, Step, Table
from dlcalc.specs.perceptron import (
    PerceptronEvaluation,
    PerceptronTraining,
    exact,
    expected_outputs,
    label_text,
    unit_names,
)
from dlcalc.topics import linear_unit as lu
from dlcalc.topics.linear_unit import (
    MAX_WRITTEN,
    Round,
    rounder,
    start_note,
    trace_table,
    weighted_sum,
    within_doubles,
)

FULL_EPOCHS = 5  # runs of at most this many epochs are written out in full
FULL_INPUTS = 16  # evaluations of at most this many inputs are written out in full
MINUS = "−"


def shown_int(n: int) -> str:
    """An output value as the templates write it (−1, 0, 1)."""
    return f"{MINUS}{-n}" if n < 0 else str(n)


def fires(s: Fraction, fire_at_zero: bool) -> bool:
    return s >= 0 if fire_at_zero else s > 0


def threshold_output(
    s: Node, threshold: Node, pos: int, neg: int, fire_at_zero: bool, worked: str | None = None
) -> Node:
    """``1 if w·x ≥ 0, else −1`` (``>`` unless the unit fires at zero).

    ``worked``: with the numbers in, write the comparison as it came out, as the slides do
    (``2.1 < 3 ← threshold`` for ``worked="threshold"``, ``−30 < 0`` for ``""``).
    """
    cmp = "≥" if fire_at_zero else ">"
    return If(
        Num(pos, shown_int(pos)),
        Compare(s, cmp, threshold),
        Num(neg, shown_int(neg)),
        comma=True,
        worked=worked,
    )


@dataclass
class Example:
    """One row of the training table."""

    x: list[Fraction]
    t: int
    label: str


@dataclass
class EpochRecord:
    epoch: int
    weights: list[Fraction]
    misclassified: list[int]  # 1-based rows the starting weights misclassify


# --- training ---------------------------------------------------------------------------------


def training_examples(spec: PerceptronTraining) -> tuple[list[Example], list[str]]:
    """The rows as exact numbers with targets ±1 (or 0/1), and the input column names."""
    neg, pos = spec.outputs
    positive = spec.positive if spec.positive is not None else label_text(float(pos))
    examples = []
    for row in spec.data.rows:
        label = label_text(row[-1])
        x = [exact(v) for v in row[:-1]]  # type: ignore[arg-type]
        examples.append(Example(x, pos if label == positive else neg, label))
    n = len(spec.data.rows[0]) - 1
    columns = list(spec.data.columns[:-1]) if spec.data.columns else [f"x{i + 1}" for i in range(n)]
    return examples, columns


class Trainer:
    """Runs the perceptron training rule and records the epochs chosen to be written out."""

    def __init__(self, spec: PerceptronTraining, carry: int | None) -> None:
        self.spec = spec
        self.examples, self.columns = training_examples(spec)
        self.n = len(self.columns)
        self.eta = exact(spec.learning_rate)
        self.rnd = rounder(carry)
        self.neg, self.pos = spec.outputs
        self.defined: set[str] = set()
        self.latest: dict[
            int, list[str]
        ] = {}  # epoch → labels of its latest weights (written epochs)
        self.recorded: list[int] = []  # epochs written out in full
        # Online updates within a written epoch are numbered, as delta numbers its steps:
        # w0⁽¹⁾ = w0 + …, w0⁽²⁾ = w0⁽¹⁾ + …; ``since`` is the current weights' superscript.
        self.since: str | None = None
        self.last_sup: dict[int, str] = {}  # epoch → superscript of its last update

    def output(self, s: Fraction) -> int:
        return self.pos if fires(s, self.spec.fire_at_zero) else self.neg

    def misclassified(self, w: list[Fraction]) -> list[int]:
        return [
            r
            for r, e in enumerate(self.examples, 1)
            if self.output(self.rnd(weighted_sum(w, e.x))) != e.t
        ]

    # steps -----------------------------------------------------------------------------------

    def _x(self, r: int, i: int, *, in_row: bool = True) -> Q:
        """Input i (from 0) of row r, shown as ``x1`` inside the row's own formula, else ``x1_r``."""
        column = self.columns[i]
        return lu.input_value(
            f"{column}_{r}", self.examples[r - 1].x[i], column, None if in_row else r
        )

    def header(self, section: Section, k: int, w: list[Fraction], errors: list[int]) -> None:
        for i, wi in enumerate(w):
            if f"w{i}@{k}" not in self.defined:
                note = start_note(i, k)
                came_from = self.latest.get(k - 1)
                if came_from is not None and came_from[i] != f"w{i}@{k - 1}":
                    # the last update of the epoch before: a checker can carry an error forward
                    source = q(came_from[i], wi, lu.weight_name(i, self.last_sup.get(k - 1, "+")))
                    step = Step(f"w{i}@{k}", wi, name=lu.weight_name(i), note=note, expr=source)
                else:
                    step = Step(f"w{i}@{k}", wi, name=lu.weight_name(i), note=note)
                self.add(section, step)
        where = ", ".join(str(r) for r in errors) if errors else "none"
        self.add(
            section,
            Step(
                f"errors@{k}",
                len(errors),
                symbol="err",
                note=f"rows these weights misclassify: {where}",
            ),
        )

    def add(self, section: Section, step: Step) -> None:
        self.defined.add(step.label)
        section.add(step)

    def row_steps(
        self, section: Section, k: int, r: int, w: list[Fraction], names: list[str]
    ) -> tuple[Fraction, int]:
        e = self.examples[r - 1]
        s = self.rnd(weighted_sum(w, e.x))
        weights = [q(names[i], w[i], lu.weight_name(i, self.since)) for i in range(self.n + 1)]
        expr = lu.output(weights, [self._x(r, i) for i in range(self.n)])
        wx_name = Name("w·x", str(r), label_sub=True)
        self.add(section, Step(f"wx_{r}@{k}", s, name=wx_name, expr=expr))
        o = self.output(s)
        verdict = "correct, no update" if o == e.t else "misclassified"
        wx = q(f"wx_{r}@{k}", s, Name("w·x"))
        self.add(
            section,
            Step(
                f"o_{r}@{k}",
                o,
                name=Name("o", str(r), label_sub=True),
                note=f"target {e.label}: {verdict}",
                expr=threshold_output(wx, Num(0), self.pos, self.neg, self.spec.fire_at_zero),
            ),
        )
        return s, o

    def online_update(
        self, section: Section, k: int, r: int, w: list[Fraction], o: int, names: list[str]
    ) -> list[Fraction]:
        e = self.examples[r - 1]
        new = []
        count = int(self.since.strip("()")) + 1 if self.since else 1
        after = f"({count})"
        for i, wi in enumerate(w):
            xi = Fraction(1) if i == 0 else e.x[i - 1]
            value = self.rnd(wi + self.eta * (e.t - o) * xi)
            new.append(value)
            t = lu.row_value(f"t_{r}", e.t, "t", None)
            o_q = lu.row_value(f"o_{r}@{k}", o, "o", None)
            x = None if i == 0 else self._x(r, i - 1)
            before = q(names[i], wi, lu.weight_name(i, self.since))
            expr = before + lu.eta(self.eta) * lu.error_times_input(t, o_q, x)
            label = f"w{i}@{k}.{r}"
            self.add(section, Step(label, value, name=lu.weight_name(i, after), expr=expr))
            names[i] = label
        self.since = self.last_sup[k] = after
        return new

    def batch_update(
        self, section: Section, k: int, w: list[Fraction], outs: dict[int, int]
    ) -> list[Fraction]:
        wrong = [r for r, o in outs.items() if o != self.examples[r - 1].t]
        new = []
        for i, wi in enumerate(w):
            terms: list[Node] = []
            total_error = Fraction(0)
            for r in wrong:
                e = self.examples[r - 1]
                xi = Fraction(1) if i == 0 else e.x[i - 1]
                total_error += (e.t - outs[r]) * xi
                t = lu.row_value(f"t_{r}", e.t, "t", r)
                o_q = lu.row_value(f"o_{r}@{k}", outs[r], "o", r)
                x = None if i == 0 else self._x(r, i - 1, in_row=False)
                terms.append(lu.error_times_input(t, o_q, x))
            delta = self.rnd(self.eta * total_error)
            d_label = f"delta_w{i}@{k}"
            expr = lu.eta_times(lu.eta(self.eta), terms)
            self.add(section, Step(d_label, delta, name=lu.increment_name(i), expr=expr))
            value = self.rnd(wi + delta)
            new.append(value)
            expr = lu.updated(
                lu.weight(f"w{i}@{k}", wi, i), q(d_label, delta, lu.increment_name(i))
            )
            self.add(section, Step(f"w{i}@{k + 1}", value, name=lu.weight_name(i, "+"), expr=expr))
        return new

    # the run -----------------------------------------------------------------------------------

    def run(
        self, every_step: bool
    ) -> tuple[list[EpochRecord], list[Fraction], list[Section], list[str]]:
        spec = self.spec
        w = (
            [exact(v) for v in spec.initial_weights]
            if spec.initial_weights
            else [Fraction(0)] * (self.n + 1)
        )
        w = [self.rnd(v) for v in w]
        records: list[EpochRecord] = []
        sections: list[Section] = []
        notes: list[str] = []
        seen: dict[tuple[Fraction, ...], int] = {}
        detail = every_step
        meter = limits.Meter(
            "max_epochs", limits.PERCEPTRON_WORK, "row updates (rows × weights × epochs)"
        )
        for k in range(1, spec.max_epochs + 1):
            meter.spend(len(self.examples) * (self.n + 1))
            errors = self.misclassified(w)
            records.append(EpochRecord(k, list(w), errors))
            key = tuple(w)
            if key in seen and errors:
                first = seen[key]
                if not notes:
                    notes.append(
                        f"The weights at the start of epoch {k} are those of epoch {first}: "
                        f"training repeats a cycle of {k - first} epochs and will never converge."
                    )
                if not detail or k > MAX_WRITTEN:  # the rest repeats the cycle: copy it, exactly
                    w = self.repeat_cycle(records, first, k)
                    break
            seen.setdefault(key, k)
            record = (detail and k <= MAX_WRITTEN) or k == 1 or not errors
            if record:
                if not errors:
                    title = f"Epoch {k} · every row is classified correctly: converged"
                elif spec.mode == "online":
                    title = f"Epoch {k} · online: w = w + η(t − o)·x after each misclassified row"
                else:
                    title = f"Epoch {k} · batch: w = w + η Σ (t − o)·x over the misclassified rows"
                section = Section(title)
                sections.append(section)
                self.recorded.append(k)
                self.header(section, k, w, errors)
            if not errors:
                if record:
                    for r in range(1, len(self.examples) + 1):
                        self.row_steps(section, k, r, w, [f"w{i}@{k}" for i in range(self.n + 1)])
                break
            w = (
                self.online_epoch(k, w, section if record else None)
                if spec.mode == "online"
                else self.batch_epoch(k, w, section if record else None)
            )
        else:
            errors = self.misclassified(w)
            if not errors:  # the last epoch's updates fixed everything: record the check
                records.append(EpochRecord(spec.max_epochs + 1, list(w), []))
        return records, w, sections, notes

    def repeat_cycle(self, records: list[EpochRecord], first: int, k: int) -> list[Fraction]:
        """Fill epochs k+1 … max_epochs from the cycle first … k−1; return the final weights."""
        period = k - first
        for m in range(k + 1, self.spec.max_epochs + 1):
            same = records[first - 1 + (m - first) % period]
            records.append(EpochRecord(m, list(same.weights), list(same.misclassified)))
        return list(records[first - 1 + (self.spec.max_epochs + 1 - first) % period].weights)

    def online_epoch(self, k: int, w: list[Fraction], section: Section | None) -> list[Fraction]:
        names = [f"w{i}@{k}" for i in range(self.n + 1)]
        self.since = None  # the epoch starts from its own w0, w1 …
        for r, e in enumerate(self.examples, 1):
            if section is not None:
                _, o = self.row_steps(section, k, r, w, names)
            else:
                o = self.output(self.rnd(weighted_sum(w, e.x)))
            if o != e.t:
                if section is not None:
                    w = self.online_update(section, k, r, w, o, names)
                    self.latest[k] = list(names)
                else:
                    w = [
                        self.rnd(wi + self.eta * (e.t - o) * xi)
                        for wi, xi in zip(w, [Fraction(1), *e.x])
                    ]
        return w

    def batch_epoch(self, k: int, w: list[Fraction], section: Section | None) -> list[Fraction]:
        names = [f"w{i}@{k}" for i in range(self.n + 1)]
        outs: dict[int, int] = {}
        for r, e in enumerate(self.examples, 1):
            if section is not None:
                _, outs[r] = self.row_steps(section, k, r, w, names)
            else:
                outs[r] = self.output(self.rnd(weighted_sum(w, e.x)))
        if section is not None:
            return self.batch_update(section, k, w, outs)
        total = [Fraction(0)] * len(w)
        for r, e in enumerate(self.examples, 1):
            if outs[r] != e.t:
                for i, xi in enumerate([Fraction(1), *e.x]):
                    total[i] += (e.t - outs[r]) * xi
        return [self.rnd(wi + self.rnd(self.eta * d)) for wi, d in zip(w, total)]


def boundary(w: Sequence[Fraction]) -> tuple[Fraction | None, Fraction | None]:
    """For two inputs: x2 = a + b·x1 on w0 + w1·x1 + w2·x2 = 0 (None when w2 = 0)."""
    if len(w) != 3 or w[2] == 0:
        return None, None
    return -w[0] / w[2], -w[1] / w[2]


def trace_section(records: list[EpochRecord], n: int, columns: list[str]) -> Section:
    """The summary trace, one line per epoch as the slides list it, with its decision boundary."""
    section = Section("Training trace: weights at the start of each epoch, rows they misclassify")
    heads = ["epoch", *(f"w{i}" for i in range(n + 1)), "err"]
    if n == 2:
        x1, x2 = columns
        section.add(
            f"Decision boundary of each epoch: w0 + w1·{x1} + w2·{x2} = 0, i.e. {x2} = a + b·{x1} "
            "with a = −w0/w2 and b = −w1/w2 (— where w2 = 0: a vertical line or none)."
        )
        heads += ["a", "b"]
    elif n == 1:
        section.add(
            f"Decision boundary of each epoch: w0 + w1·{columns[0]} = 0, i.e. {columns[0]} = −w0/w1."
        )
        heads += [f"{columns[0]} at boundary"]
    rows = []
    for rec in records:
        row: list = [rec.epoch, *(float(v) for v in rec.weights), len(rec.misclassified)]
        if n == 2:
            a, b = boundary(rec.weights)
            row += [None if a is None else float(a), None if b is None else float(b)]
        elif n == 1:
            row.append(None if rec.weights[1] == 0 else float(-rec.weights[0] / rec.weights[1]))
        rows.append(row)
    section.add(trace_table(heads, rows, section))
    return section


def result_section(
    trainer: Trainer, records: list[EpochRecord], w: list[Fraction], notes: list[str]
) -> tuple[Section, bool]:
    spec = trainer.spec
    last = records[-1]
    converged = not last.misclassified
    section = Section("Result")
    if converged:
        section.add(
            f"Converged: the weights at the start of epoch {last.epoch} classify all "
            f"{len(trainer.examples)} rows correctly (err = 0), so training stops."
        )
    else:
        remaining = len(trainer.misclassified(w))
        section.add(
            f"max_epochs ({spec.max_epochs}) ran out with {remaining} rows still misclassified. "
            "The perceptron rule converges only on linearly separable data (with a suitable η); "
            "on data that are not linearly separable it never converges."
        )
    for note in notes:
        section.add(note)
    for i, wi in enumerate(w):
        section.add(Step(f"w{i}_final", wi, name=lu.weight_name(i)))
    if trainer.n == 2 and w[2] != 0:
        x1, x2 = trainer.columns
        section.add(f"Decision boundary: w0 + w1·{x1} + w2·{x2} = 0, i.e. {x2} = a + b·{x1}")
        a, b = boundary(w)
        assert a is not None and b is not None  # w2 ≠ 0
        a, b = trainer.rnd(a), trainer.rnd(b)  # written values: carried like the rest
        w0, w1, w2 = (lu.weight(f"w{i}_final", w[i], i) for i in range(3))
        section.add(Step("x2_intercept", a, name=Name("a"), expr=-w0 / w2))
        section.add(Step("x2_slope", b, name=Name("b"), expr=-w1 / w2))
    return section, converged


@within_doubles("learning_rate")
def solve_training(
    spec: PerceptronTraining, carry: int | None = None, every_step: bool = False
) -> Solution:
    """Train with the perceptron rule; write out the first (and converged) epoch, then the trace."""
    trainer = Trainer(spec, carry)
    records, w, sections, notes = trainer.run(every_step)
    if not every_step and len(records) <= FULL_EPOCHS:  # a short run: write out every epoch
        trainer = Trainer(spec, carry)
        records, w, sections, notes = trainer.run(True)
    intro = Section("Setup")
    neg, pos = spec.outputs
    positive = spec.positive if spec.positive is not None else label_text(float(pos))
    cmp = "≥" if spec.fire_at_zero else ">"
    intro.add(
        f"Targets: {positive} → t = {shown_int(pos)}, any other label → t = {shown_int(neg)}. "
        f"Output o = {shown_int(pos)} if w·x {cmp} 0, else {shown_int(neg)}; "
        f"w·x = w0 × 1 + "
        + " + ".join(f"w{i + 1} × {c}" for i, c in enumerate(trainer.columns))
        + "."
    )
    intro.add(Step("learning_rate", trainer.eta, name=lu.ETA))
    if every_step and len(records) > MAX_WRITTEN:
        intro.add(
            f"--every-step writes out at most {MAX_WRITTEN} epochs; the trace lists them all."
        )
    if len(records) > len(trainer.recorded):
        intro.add(
            f"{len(records)} epochs: written out in full here are epochs "
            f"{' and '.join(str(k) for k in trainer.recorded)}; the trace lists every epoch "
            "(--every-step writes out all of them)."
        )
    trace = trace_section(records, trainer.n, trainer.columns)
    final, converged = result_section(trainer, records, w, notes)
    result = {
        "weights": [float(v) for v in w],
        "converged": converged,
        "epochs": [
            {
                "epoch": r.epoch,
                "weights": [float(v) for v in r.weights],
                "errors": len(r.misclassified),
            }
            for r in records
        ],
    }
    return Solution(
        "perceptron", [intro, *sections, trace, final], result, title=spec.title, source=spec.source
    )


def plot_data(spec: PerceptronTraining) -> tuple[list[list[float]], list[bool], list[str]]:
    """Points, whether each is positive, and the axis names (for ``--plot``)."""
    examples, columns = training_examples(spec)
    pos = spec.outputs[1]
    return [[float(v) for v in e.x] for e in examples], [e.t == pos for e in examples], columns


# --- evaluation -----------------------------------------------------------------------------


def evaluation_inputs(spec: PerceptronEvaluation) -> list[list[Fraction]]:
    if spec.classify is not None:
        return [[exact(v) for v in x] for x in spec.classify]
    n = len(spec.perceptrons[0].weights)
    return [[Fraction(b) for b in bits] for bits in itertools.product((0, 1), repeat=n)]


@within_doubles("perceptrons")
def solve_evaluation(
    spec: PerceptronEvaluation, carry: int | None = None, every_step: bool = False
) -> Solution:
    """Each perceptron's sum with numbers, the threshold comparison, the code and its label."""
    rnd = rounder(carry)
    names = unit_names(spec)
    inputs = evaluation_inputs(spec)
    n = len(spec.perceptrons[0].weights)
    codes = {label: tuple(int(v) for v in code) for label, code in (spec.codes or {}).items()}
    detail = every_step or len(inputs) <= FULL_INPUTS
    expected = expected_outputs(spec, len(inputs))

    sections = [_setup_section(spec, names, codes)]
    predictions = []
    table_rows = []
    for k, x in enumerate(inputs, 1):
        record = detail or k == 1
        section, sums, outs, label = _input_section(spec, names, codes, k, x, rnd, record)
        if record:
            sections.append(section)
        want = expected[k - 1] if expected else None
        entry, row = _prediction(x, sums, outs, label, bool(codes), bool(expected), want)
        predictions.append(entry)
        table_rows.append(row)
    heads = [f"x{i + 1}" for i in range(n)]
    for name in names:
        heads += [f"sum_{name}", name]
    if codes:
        heads.append("class")
    if expected:
        heads += ["expected", "right?"]
    summary = Section("Truth table" if spec.truth_table else "Predictions")
    summary.add(Table(heads, table_rows, elide=len(table_rows) > 60))
    if expected:
        judged = [e for e in predictions if "correct" in e]
        right = sum(1 for e in judged if e["correct"])
        summary.add(f"{right} of {len(judged)} predicted as expected.")
    if not detail:
        summary.add(f"Input 1 is written out in full; --every-step writes out all {len(inputs)}.")
    sections.append(summary)
    return Solution(
        "perceptron", sections, {"predictions": predictions}, title=spec.title, source=spec.source
    )


def _setup_section(
    spec: PerceptronEvaluation, names: list[str], codes: dict[str, tuple[int, ...]]
) -> Section:
    """Each perceptron's rule in symbols and its weights, and the class codes."""
    neg, pos = spec.outputs
    n = len(spec.perceptrons[0].weights)
    setup = Section("Perceptrons")
    for name, unit in zip(names, spec.perceptrons):
        symbols: list[
            Node
        ] = [  # the unit's rule in symbols: AND = 1 if w1_AND × x1 + … ≥ 0, else 0
            q(f"w{i + 1}_{name}", None, Name(f"w{i + 1}", name, label_sub=True))
            * q(f"x{i + 1}", None, Name("x", str(i + 1)))
            for i in range(n)
        ]
        if unit.bias is not None:
            symbols.append(q(f"b_{name}", None, Name("b", name, label_sub=True)))
            bound: Node = Num(0)
        else:
            bound = q(f"threshold_{name}", None, Name("θ", name, label_sub=True))
        rule = threshold_output(total(symbols), bound, pos, neg, spec.fire_at_zero)
        setup.add(Rule(Name(name), rule))
        for i, wi in enumerate(unit.weights):
            weight = Name(f"w{i + 1}", name, label_sub=True)
            setup.add(Step(f"w{i + 1}_{name}", exact(wi), name=weight))
        if unit.bias is not None:
            setup.add(Step(f"b_{name}", exact(unit.bias), name=Name("b", name, label_sub=True)))
        else:
            setup.add(
                Step(
                    f"threshold_{name}",
                    exact(unit.threshold or 0),
                    name=Name("θ", name, label_sub=True),
                )
            )
    if codes:
        setup.add(
            "Class codes ("
            + ", ".join(names)
            + "): "
            + "; ".join(
                f"{label} = ({', '.join(shown_int(v) for v in code)})"
                for label, code in codes.items()
            )
        )

    return setup


def _input_section(
    spec: PerceptronEvaluation,
    names: list[str],
    codes: dict[str, tuple[int, ...]],
    k: int,
    x: list[Fraction],
    rnd: Round,
    record: bool,
) -> tuple[Section, list[Fraction], list[Any], str | None]:
    """Input ``k`` through every perceptron (written out when ``record``): the section, the
    sums, the outputs and the class their code names (None: no class, or no codes)."""
    neg, pos = spec.outputs
    n = len(spec.perceptrons[0].weights)
    section = Section(f"Input {k}")
    sums, outs = [], []
    for name, unit in zip(names, spec.perceptrons):
        w = [exact(v) for v in unit.weights]
        products: list[Node] = [
            q(f"w{i + 1}_{name}", w[i], Name(f"w{i + 1}", name, label_sub=True))
            * q(f"x{i + 1}@{k}", x[i], Name("x", str(i + 1)))
            for i in range(n)
        ]
        s = sum((a * b for a, b in zip(w, x)), Fraction(0))
        if unit.bias is not None:
            bias = exact(unit.bias)
            s += bias
            products.append(q(f"b_{name}", bias, Name("b", name, label_sub=True)))
        s = rnd(s)
        theta = Fraction(0) if unit.bias is not None else exact(unit.threshold or 0)
        fired = fires(s - theta, spec.fire_at_zero)
        o = pos if fired else neg
        sums.append(s)
        outs.append(o)
        if record:
            sum_name = Name("sum", name, label_sub=True)
            section.add(Step(f"sum_{name}@{k}", s, name=sum_name, expr=total(products)))
            s_q = q(f"sum_{name}@{k}", s, sum_name)
            threshold: Node = (
                Num(0)
                if unit.bias is not None
                else q(f"threshold_{name}", theta, Name("θ", name, label_sub=True))
            )
            worked = "" if unit.bias is not None else "threshold"  # 2.1 < 3 ← threshold
            expr = threshold_output(s_q, threshold, pos, neg, spec.fire_at_zero, worked)
            section.add(Step(f"{name}@{k}", o, name=Name(name), expr=expr))
    label = next((lab for lab, code in codes.items() if code == tuple(outs)), None)
    if record and len(names) > 1:
        note = None
        if codes:
            note = f"class: {label}" if label is not None else "no class has this code"
        code = Vector(tuple(q(f"{name}@{k}", o, Name(name)) for name, o in zip(names, outs)))

        def code_of(v: tuple[int, ...]) -> str:
            return "(" + ", ".join(shown_int(o) for o in v) + ")"

        if codes:  # as the slides write it: y = (0, 1) = car
            classes = {c: lab for lab, c in codes.items()}
            expr = Lookup(code, classes, code_of)
            value = label if label is not None else code_of(tuple(outs))
            section.add(
                Step(
                    f"code@{k}",
                    value,
                    expr=expr,
                    symbol="class",
                    note=None if label is not None else note,
                )
            )
        else:  # the code itself, once: code = (0, 1)
            expr = Lookup(code, {}, code_of)
            section.add(Step(f"code@{k}", code_of(tuple(outs)), expr=expr, symbol="code"))
    elif record and codes:
        section.add(f"class: {label}" if label is not None else "no class has this code")
    return section, sums, outs, label


def _prediction(
    x: list[Fraction],
    sums: list[Fraction],
    outs: list[Any],
    label: str | None,
    codes: bool,
    expected: bool,
    want: Any,
) -> tuple[dict, list]:
    """One input's entry of the result and its row of the summary table (with the expected
    output ``want`` and whether it is met, when the problem gives expected outputs)."""
    entry: dict = {
        "input": [float(v) for v in x],
        "sums": [float(s) for s in sums],
        "outputs": outs,
    }
    if codes:
        entry["label"] = label
    row: list = [float(v) for v in x]
    for s, o in zip(sums, outs):
        row += [float(s), o]
    if codes:
        row.append(label if label is not None else "—")
    if expected and want is None:  # nothing expected: a test input
        row += ["—", ""]
    elif expected:
        assert want is not None
        got = label if isinstance(want, str) else tuple(outs)
        entry["expected"] = want if isinstance(want, str) else list(want)
        entry["correct"] = got == want
        row += [_shown_expected(want), "✓" if got == want else "✗"]
    return entry, row


def _shown_expected(want: str | tuple[int, ...]) -> str:
    """An expected class as the table shows it: its label, or its outputs (0, 1)."""
    if isinstance(want, str):
        return want
    return (
        shown_int(want[0]) if len(want) == 1 else "(" + ", ".join(shown_int(v) for v in want) + ")"
    )
