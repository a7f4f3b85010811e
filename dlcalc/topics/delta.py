"""The delta rule: gradient descent on a linear unit o = w·x, epoch by epoch, in exact arithmetic.

E(w) = ½ Σ_d (t_d − o_d)² and ∂E/∂w_i = −Σ_d (t_d − o_d)·x_id, so each step is
Δw_i = η Σ_d (t_d − o_d)·x_id: once per epoch (``batch``, the slides' algorithm) or
after each row (``stochastic``).

Step labels (rows and epochs count from 1):

* ``w0@k``, ``w1@k`` …  the weights at the start of epoch k;
* ``o_r@k``  row r's output at those weights; ``E@k`` the error at those weights;
* batch: ``delta_w1@k`` = η Σ (t − o)·x1, then ``w1@k+1``;
* stochastic: ``o_now_r@k`` row r's output at the current weights,
  ``delta_w1_r@k`` = η (t − o)·x1 and ``w1@k.r`` the weight after that row;
* ``w1_final`` …, ``E_final`` (the error at the final weights).
"""

from __future__ import annotations

from fractions import Fraction

from dlcalc.model.formula import HALF, TWO, Name, Node, Q, q, total
from dlcalc.model.steps import Section, Solution, Step
from dlcalc.specs.perceptron import DeltaProblem, exact
from dlcalc.topics import linear_unit as lu
from dlcalc.topics.linear_unit import (
    MAX_WRITTEN,
    rounder,
    start_note,
    trace_table,
    weighted_sum,
    within_doubles,
)

FULL_EPOCHS = 10  # runs of at most this many epochs are written out in full
PLACES = 30  # long runs: fractions are rounded to this many decimals once they need more
LIMIT = 10**PLACES


class DeltaRun:
    """The data as exact numbers and the steps of the epochs written out."""

    def __init__(self, spec: DeltaProblem, carry: int | None) -> None:
        self.spec = spec
        self.xs = [[exact(v) for v in row[:-1]] for row in spec.data.rows]  # type: ignore[arg-type]
        self.ts = [exact(row[-1]) for row in spec.data.rows]  # type: ignore[arg-type]
        self.n = len(self.xs[0])
        cols = spec.data.columns
        self.columns = list(cols[:-1]) if cols else [f"x{i + 1}" for i in range(self.n)]
        self.target = str(cols[-1]) if cols else "t"
        self.eta = exact(spec.learning_rate)
        self.rnd = rounder(carry) if carry is not None else _bounded
        self.defined: set[str] = set()

    def add(self, section: Section, step: Step) -> None:
        self.defined.add(step.label)
        section.add(step)

    def x_arg(self, r: int, i: int, *, in_row: bool = True) -> Q:
        """Input i (from 1) of row r, shown as ``x1`` inside the row's own formula, else ``x1_r``."""
        column = self.columns[i - 1]
        return lu.input_value(f"{column}_{r}", self.xs[r - 1][i - 1], column, None if in_row else r)

    def t_arg(self, r: int) -> Q:
        return lu.row_value(f"t_{r}", self.ts[r - 1], "t", r)

    def o_arg(self, label: str, r: int, value: Fraction, step: int | None = None) -> Q:
        """Row r's output; ``step``: the output at that update of a stochastic run (o_2⁽⁶⁾)."""
        if step is None:
            return lu.row_value(label, value, "o", r)
        return q(label, value, _step_output_name(r, step))

    def output_step(self, label: str, r: int, w: list[Fraction], names: list[str]) -> Step:
        weights = [lu.weight(names[i], w[i], i) for i in range(self.n + 1)]
        expr = lu.output(weights, [self.x_arg(r, i) for i in range(1, self.n + 1)])
        value = self.rnd(weighted_sum(w, self.xs[r - 1]))
        return Step(label, value, name=Name("o", str(r), label_sub=True), expr=expr)

    def error(self, outs: list[Fraction]) -> Fraction:
        return self.rnd(
            Fraction(1, 2) * sum(((t - o) ** 2 for t, o in zip(self.ts, outs)), Fraction(0))
        )

    def run(
        self, every_step: bool
    ) -> tuple[list[tuple[int, list[Fraction], Fraction]], list[Fraction], list[Section]]:
        spec = self.spec
        w = (
            [self.rnd(exact(v)) for v in spec.initial_weights]
            if spec.initial_weights
            else [Fraction(0)] * (self.n + 1)
        )
        epochs: list[tuple[int, list[Fraction], Fraction]] = []
        sections: list[Section] = []
        rows = range(1, len(self.xs) + 1)
        for k in range(1, spec.epochs + 1):
            record = (
                (every_step and k <= MAX_WRITTEN)
                or spec.epochs <= FULL_EPOCHS
                or k in (1, spec.epochs)
            )
            names = [f"w{i}@{k}" for i in range(self.n + 1)]
            outs = [self.rnd(weighted_sum(w, x)) for x in self.xs]
            e = self.error(outs)
            epochs.append((k, list(w), e))
            if not record:
                w = self._batch(w, outs) if spec.mode == "batch" else self._stochastic(w)
                continue
            kind = (
                "batch: Δw = η Σ (t − o)·x, applied once"
                if spec.mode == "batch"
                else "stochastic: w = w + η(t − o)·x after each row"
            )
            section = Section(f"Epoch {k} · {kind}")
            sections.append(section)
            for i, wi in enumerate(w):
                if names[i] not in self.defined:
                    step = Step(names[i], wi, name=lu.weight_name(i), note=start_note(i, k))
                    self.add(section, step)
            for r in rows:
                self.add(section, self.output_step(f"o_{r}@{k}", r, w, names))
            squares: list[Node] = [
                (self.t_arg(r) - self.o_arg(f"o_{r}@{k}", r, outs[r - 1])) ** TWO for r in rows
            ]
            expr = HALF * total(squares)
            self.add(section, Step(f"E@{k}", e, name=Name("E"), expr=expr))
            if spec.mode == "batch":
                w = self._batch_steps(section, k, w, outs, names)
            else:
                w = self._stochastic_steps(section, k, w, names)
        return epochs, w, sections

    def _batch(self, w: list[Fraction], outs: list[Fraction]) -> list[Fraction]:
        new = []
        for i, wi in enumerate(w):
            total = sum(
                ((t - o) * (x[i - 1] if i else 1) for t, o, x in zip(self.ts, outs, self.xs)),
                Fraction(0),
            )
            new.append(self.rnd(wi + self.rnd(self.eta * total)))
        return new

    def _stochastic(self, w: list[Fraction]) -> list[Fraction]:
        for x, t in zip(self.xs, self.ts):
            o = self.rnd(weighted_sum(w, x))
            w = [
                self.rnd(wi + self.rnd(self.eta * (t - o) * xi))
                for wi, xi in zip(w, [Fraction(1), *x])
            ]
        return w

    def _batch_steps(
        self, section: Section, k: int, w: list[Fraction], outs: list[Fraction], names: list[str]
    ) -> list[Fraction]:
        new = self._batch(w, outs)
        for i, wi in enumerate(w):
            terms = [
                lu.error_times_input(
                    self.t_arg(r),
                    self.o_arg(f"o_{r}@{k}", r, outs[r - 1]),
                    self.x_arg(r, i, in_row=False) if i else None,
                )
                for r in range(1, len(self.xs) + 1)
            ]
            total = sum(
                ((t - o) * (x[i - 1] if i else 1) for t, o, x in zip(self.ts, outs, self.xs)),
                Fraction(0),
            )
            delta = self.rnd(self.eta * total)
            label = f"delta_w{i}@{k}"
            expr = lu.eta_times(lu.eta(self.eta), terms)
            self.add(section, Step(label, delta, name=lu.increment_name(i), expr=expr))
            expr = lu.updated(lu.weight(names[i], wi, i), q(label, delta, lu.increment_name(i)))
            self.add(section, Step(f"w{i}@{k + 1}", new[i], name=lu.weight_name(i, "+"), expr=expr))
        return new

    def _stochastic_steps(
        self, section: Section, k: int, w: list[Fraction], names: list[str]
    ) -> list[Fraction]:
        """One update per row, each quantity indexed by its step s (counted over the run):
        o_2⁽⁶⁾ = w0⁽⁵⁾ × 1 + …, Δw0⁽⁶⁾ = η × (t_2 − o_2⁽⁶⁾) × 1, w0⁽⁶⁾ = w0⁽⁵⁾ + Δw0⁽⁶⁾."""
        names = list(names)
        before: str | None = None  # the weights' step superscript: none at the epoch's start
        for r in range(1, len(self.xs) + 1):
            o_label = f"o_now_{r}@{k}"
            s = (k - 1) * len(self.xs) + r
            weights = [q(names[i], w[i], lu.weight_name(i, before)) for i in range(self.n + 1)]
            expr = lu.output(weights, [self.x_arg(r, i) for i in range(1, self.n + 1)])
            o = self.rnd(weighted_sum(w, self.xs[r - 1]))
            note = f"output at step {s}, the weights so far"
            self.add(section, Step(o_label, o, name=_step_output_name(r, s), expr=expr, note=note))
            t = self.ts[r - 1]
            new = []
            for i, wi in enumerate(w):
                xi = self.xs[r - 1][i - 1] if i else Fraction(1)
                delta = self.rnd(self.eta * (t - o) * xi)
                x = self.x_arg(r, i, in_row=False) if i else None
                error = lu.error_times_input(self.t_arg(r), self.o_arg(o_label, r, o, s), x)
                d_label = f"delta_w{i}_{r}@{k}"
                increment = Name("Δw", str(i), f"({s})")
                expr = lu.eta(self.eta) * error
                self.add(section, Step(d_label, delta, name=increment, expr=expr))
                value = self.rnd(wi + delta)
                new_label = f"w{i}@{k}.{r}"
                expr = lu.updated(weights[i], q(d_label, delta, increment))
                self.add(
                    section, Step(new_label, value, name=lu.weight_name(i, f"({s})"), expr=expr)
                )
                names[i] = new_label
                new.append(value)
            w = new
            before = f"({s})"
        return w


def _step_output_name(row: int, step: int) -> Name:
    """o_2⁽⁶⁾: row 2's output at update 6 of a stochastic run (o_2 alone: at the epoch's start)."""
    return Name("o", str(row), f"({step})", label_sub=True)


def _bounded(q: Fraction) -> Fraction:
    """Exact, unless the fraction needs more than ``PLACES`` decimals: then rounded to them.

    A run of many epochs multiplies denominators without end; 30 decimals keep every
    printed digit (and every double) exact while each step stays fast.
    """
    return q if q.denominator <= LIMIT else round(q, PLACES)


@within_doubles("learning_rate")
def solve_delta(spec: DeltaProblem, carry: int | None = None, every_step: bool = False) -> Solution:
    """Run the delta rule for ``epochs`` epochs; each epoch's E and every Δw with numbers."""
    run = DeltaRun(spec, carry)
    epochs, w, sections = run.run(every_step)
    setup = Section("Setup")
    setup.add(
        "Linear unit o = w·x = w0 × 1 + "
        + " + ".join(f"w{i + 1} × {c}" for i, c in enumerate(run.columns))
        + (f"; target t = column {run.target}" if run.target != "t" else "; target t")
        + "; error E = ½ Σ_d (t − o)²; Δw_i = η Σ_d (t − o)·x_i."
    )
    setup.add(Step("learning_rate", run.eta, name=lu.ETA))
    if len(sections) < len(epochs):
        written = ", ".join(s.title.split(" ·")[0].removeprefix("Epoch ") for s in sections)
        setup.add(
            f"{len(epochs)} epochs: written out in full are epochs {written} "
            f"(--every-step writes out up to {MAX_WRITTEN})."
        )
    trace = Section("Trace: weights at the start of each epoch and the error E there")
    heads = ["epoch", *(f"w{i}" for i in range(run.n + 1)), "E"]
    rows = [[k, *(float(v) for v in ws), float(e)] for k, ws, e in epochs]
    trace.add(trace_table(heads, rows, trace))
    final = Section(f"Result after {len(epochs)} epochs")
    for i, wi in enumerate(w):
        run.add(final, Step(f"w{i}_final", wi, name=lu.weight_name(i)))
    outs = [run.rnd(weighted_sum(w, x)) for x in run.xs]
    e_final = run.error(outs)
    final.add(Step("E_final", e_final, name=Name("E"), note="the error at the final weights"))
    result = {
        "weights": [float(v) for v in w],
        "epochs": [
            {"epoch": k, "weights": [float(v) for v in ws], "error": float(e)}
            for k, ws, e in epochs
        ],
        "error": float(e_final),
    }
    return Solution(
        "delta", [setup, *sections, trace, final], result, title=spec.title, source=spec.source
    )
