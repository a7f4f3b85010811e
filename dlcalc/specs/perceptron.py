"""Problem files for ``perceptron`` (training or evaluation) and ``delta``.

Numbers that the training rules work with are read back as exact fractions of
the decimals as written (``0.01`` → ``Fraction('0.01')``) by :func:`exact`, so
that ties such as ``w·x = 0`` come out exactly as they do on paper.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from dlcalc import limits
from dlcalc.errors import InputError
from dlcalc.specs.common import (
    Name,
    Number,
    Strict,
    Vector,
    Whole,
    one_of,
    to_name,
    to_number,
    vector,
)
from dlcalc.specs.loader import Document, describe, field_path, validate
from dlcalc.specs.problem import Problem

MAX_EPOCHS = 100_000
MAX_WORK = 3_000_000  # epochs × rows × weights in exact arithmetic (the run itself is metered: limits.Meter)
DELTA_MAX_EPOCHS = 10_000  # the delta rule's fractions grow each epoch: a tighter bound
DELTA_MAX_WORK = limits.DELTA_WORK
MAX_TRUTH_INPUTS = 10


def exact(x: float | int) -> Fraction:
    """The fraction of a number as written: ``0.01`` → 1/100 (not the binary double)."""
    return Fraction(x) if isinstance(x, int) else Fraction(str(x))


def _cell(value: Any) -> float | str:
    """A table cell: a number, or a text label (labels may only stand in the last column)."""
    if isinstance(value, bool):  # YAML reads yes/no/true/false as booleans: keep them as labels
        return str(value).lower()
    if value is None or isinstance(value, (list, dict)):
        raise ValueError(f"expected a number or a label, got {describe(value)}")
    if isinstance(value, str):
        try:
            return to_number(value)
        except ValueError:
            return to_name(value)  # a class label: a short one-line name
    return to_number(value)


def _rows(value: Any) -> list[list[float | str]]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of rows, got {describe(value)}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list) or not row:
            raise ValueError(f"row {i}: expected a list of values, got {describe(row)}")
        try:
            rows.append([_cell(v) for v in row])
        except ValueError as e:
            raise ValueError(f"row {i}: {e}") from None
    return rows


def label_text(value: float | str) -> str:
    """A class label as text: ``1.0`` and ``1`` both read ``1``."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return label_text(float(value))
    return to_name(value)


def _outputs(value: Any) -> tuple[int, int]:
    xs = vector(value, "[-1, 1] or [0, 1]")
    if xs not in ([-1.0, 1.0], [0.0, 1.0]):
        raise ValueError(
            f"expected [-1, 1] or [0, 1] (negative output, positive output), got {value!r}"
        )
    return int(xs[0]), int(xs[1])


def _aliases(table: dict[str, str]) -> BeforeValidator:
    """Accept other common names for a mode (``incremental`` for ``online`` …)."""
    return BeforeValidator(
        lambda v: table.get(v.strip().lower(), v.strip().lower()) if isinstance(v, str) else v
    )


def _inputs(value: Any) -> Any:
    """``classify: [2.1, 4.5]`` (one input) is read as ``[[2.1, 4.5]]``."""
    if isinstance(value, list) and value and not any(isinstance(v, list) for v in value):
        return [value]
    return value


Outputs = Annotated[tuple[int, int], BeforeValidator(_outputs)]
Label = Annotated[str, BeforeValidator(_label)]


class Data(Strict):
    """A table of examples: the last column is the target (class label or number)."""

    columns: list[Name] | None = None
    rows: Annotated[list[list[float | str]], BeforeValidator(_rows)]


class PerceptronTraining(Problem):
    """The perceptron training rule on a labelled table."""

    data: Data
    positive: Label | None = None
    outputs: Outputs = (-1, 1)
    fire_at_zero: bool = True
    initial_weights: Vector | None = None
    learning_rate: Number
    mode: Annotated[
        str,
        _aliases({"incremental": "online", "stochastic": "online"}),
        AfterValidator(one_of(("online", "batch"), "mode")),
    ] = "online"
    max_epochs: Whole = 100


class Unit(Strict):
    """One fixed perceptron: fires when w·x ≥ threshold (or w·x + bias ≥ 0)."""

    name: Name | None = None
    weights: Vector
    threshold: Number | None = None
    bias: Number | None = None


class PerceptronEvaluation(Problem):
    """Fixed perceptrons applied to inputs; their outputs side by side form a class code."""

    perceptrons: list[Unit]
    outputs: Outputs = (0, 1)
    fire_at_zero: bool = True
    codes: dict[Label, Vector] | None = None
    classify: Annotated[list[Vector] | None, BeforeValidator(_inputs)] = None
    truth_table: bool = False
    expected: list[Any] | None = None  # per input: a class label (with codes), the outputs, or null


def expected_outputs(
    spec: PerceptronEvaluation, n_inputs: int
) -> list[str | tuple[int, ...] | None]:
    """``expected:`` as labels (where ``codes`` names them) or output tuples, None where unknown."""
    out: list[str | tuple[int, ...] | None] = []
    for item in spec.expected or []:
        if item is None:
            out.append(None)
        elif isinstance(item, list):
            out.append(tuple(int(to_number(v)) for v in item))
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            out.append((int(item),))
        else:
            out.append(to_name(item))
    return out


class DeltaProblem(Problem):
    """Gradient descent on a linear unit o = w·x (the delta rule)."""

    data: Data
    initial_weights: Vector | None = None
    learning_rate: Number
    mode: Annotated[
        str,
        _aliases({"online": "stochastic", "incremental": "stochastic"}),
        AfterValidator(one_of(("batch", "stochastic"), "mode")),
    ] = "batch"
    epochs: Whole = 1


def _fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def _check_data(doc: Document, data: Data, *, numeric_target: bool) -> int:
    """Check the table's shape; return the number of input columns."""
    width = len(data.rows[0])
    if width < 2:
        raise _fail(
            doc,
            "each row needs at least one input value and the target (last column)",
            "data",
            "rows",
            0,
        )
    for i, row in enumerate(data.rows):
        if len(row) != width:
            raise _fail(
                doc, f"expected {width} values like row 0, got {len(row)}", "data", "rows", i
            )
        cells = row if numeric_target else row[:-1]
        for j, v in enumerate(cells):
            if isinstance(v, str):
                what = (
                    "input values must be numbers"
                    if j < width - 1
                    else "the target t must be a number"
                )
                raise _fail(doc, f"{what}; got the text {v!r}", "data", "rows", i, j)
    if data.columns is not None and len(data.columns) != width:
        raise _fail(
            doc,
            f"expected {width} column names (the inputs, then the target), got {len(data.columns)}",
            "data",
            "columns",
        )
    return width - 1


def _check_weights(doc: Document, weights: list[float] | None, n_inputs: int) -> None:
    if weights is not None and len(weights) != n_inputs + 1:
        raise _fail(
            doc,
            f"expected {n_inputs + 1} weights (w0, the bias weight, then one per input column), got {len(weights)}",
            "initial_weights",
        )


def _check_work(
    doc: Document,
    epochs: int,
    rows: int,
    weights: int,
    key: str,
    limits: tuple[int, int] = (MAX_EPOCHS, MAX_WORK),
) -> None:
    max_epochs, max_work = limits
    if epochs < 1 or epochs > max_epochs:
        raise _fail(doc, f"expected a whole number of epochs from 1 to {max_epochs:,}", key)
    if epochs * rows * weights > max_work:
        raise _fail(
            doc,
            f"{epochs:,} epochs × {rows} rows × {weights} weights is too much for a worked example "
            f"(limit {max_work:,}); use fewer epochs",
            key,
        )


def load_perceptron(doc: Document) -> PerceptronTraining | PerceptronEvaluation:
    """Training (``data:``) or evaluation (``perceptrons:``), validated; errors name the line."""
    if isinstance(doc.data, dict) and (
        "perceptrons" in doc.data or "classify" in doc.data or "truth_table" in doc.data
    ):
        return _load_evaluation(doc)
    spec = validate(PerceptronTraining, doc)
    n = _check_data(doc, spec.data, numeric_target=False)
    _check_weights(doc, spec.initial_weights, n)
    _check_work(doc, spec.max_epochs, len(spec.data.rows), n + 1, "max_epochs")
    labels = [label_text(row[-1]) for row in spec.data.rows]
    if spec.positive is None:
        allowed = {label_text(float(v)) for v in spec.outputs}
        if not set(labels) <= allowed:
            distinct = ", ".join(dict.fromkeys(labels))
            raise _fail(
                doc,
                f"say which label is the positive class, e.g. `positive: {labels[0]}` (labels: {distinct})",
                "positive",
            )
    elif spec.positive not in labels:
        raise _fail(
            doc,
            f"no row has the label {spec.positive!r}; labels: {', '.join(dict.fromkeys(labels))}",
            "positive",
        )
    return spec


def _load_evaluation(doc: Document) -> PerceptronEvaluation:
    spec = validate(PerceptronEvaluation, doc)
    if not spec.perceptrons:
        raise _fail(doc, "expected at least one perceptron", "perceptrons")
    n = len(spec.perceptrons[0].weights)
    names = []
    for k, unit in enumerate(spec.perceptrons):
        if len(unit.weights) != n:
            raise _fail(
                doc,
                f"expected {n} weights like perceptron 0, got {len(unit.weights)}",
                "perceptrons",
                k,
                "weights",
            )
        if unit.threshold is not None and unit.bias is not None:
            raise _fail(
                doc,
                "give `threshold:` or `bias:`, not both (bias = −threshold)",
                "perceptrons",
                k,
                "bias",
            )
        names.append(unit.name or (f"y{k + 1}" if len(spec.perceptrons) > 1 else "y"))
    if len(set(names)) != len(names):
        raise _fail(doc, "perceptron names must be different from each other", "perceptrons")
    if spec.classify is None and not spec.truth_table:
        raise _fail(
            doc,
            "give the inputs to classify (`classify: [[x1, x2], ...]`) or `truth_table: true`",
            "classify",
        )
    if spec.truth_table and n > MAX_TRUTH_INPUTS:
        raise _fail(
            doc,
            f"a truth table of {n} inputs has {2**n:,} rows; at most {MAX_TRUTH_INPUTS} inputs",
            "truth_table",
        )
    for i, x in enumerate(spec.classify or []):
        if len(x) != n:
            raise _fail(
                doc, f"expected {n} input values (one per weight), got {len(x)}", "classify", i
            )
    if len(spec.classify or []) > 10_000:
        raise _fail(doc, "at most 10,000 inputs to classify", "classify")
    n_inputs = len(spec.classify) if spec.classify is not None else 2**n
    if spec.expected is not None:
        if len(spec.expected) != n_inputs:
            raise _fail(
                doc,
                f"expected one expected output per input ({n_inputs}), got {len(spec.expected)}",
                "expected",
            )
        for i, item in enumerate(spec.expected):
            try:
                if isinstance(item, list) and len(item) != len(spec.perceptrons):
                    raise ValueError(
                        f"expected {len(spec.perceptrons)} outputs (one per perceptron), got {len(item)}"
                    )
                (shown,) = expected_outputs(spec.model_copy(update={"expected": [item]}), 1)
            except ValueError as e:
                raise _fail(doc, str(e), "expected", i) from None
            if isinstance(shown, str) and shown not in (spec.codes or {}):
                known = ", ".join(spec.codes or {}) or "none: give `codes:` to name classes"
                raise _fail(
                    doc,
                    f"unknown class {shown!r}; expected outputs such as [0, 1] or a class of `codes:` ({known})",
                    "expected",
                    i,
                )
    for label, code in (spec.codes or {}).items():
        if len(code) != len(spec.perceptrons):
            raise _fail(
                doc,
                f"expected {len(spec.perceptrons)} outputs (one per perceptron), got {len(code)}",
                "codes",
                label,
            )
    return spec


def unit_names(spec: PerceptronEvaluation) -> list[str]:
    """Each perceptron's name: its own, else y (one perceptron) or y1, y2, …."""
    many = len(spec.perceptrons) > 1
    return [u.name or (f"y{k + 1}" if many else "y") for k, u in enumerate(spec.perceptrons)]


def load_delta(doc: Document) -> DeltaProblem:
    """A delta-rule problem: numeric table with the target t last."""
    spec = validate(DeltaProblem, doc)
    n = _check_data(doc, spec.data, numeric_target=True)
    _check_weights(doc, spec.initial_weights, n)
    _check_work(
        doc, spec.epochs, len(spec.data.rows), n + 1, "epochs", (DELTA_MAX_EPOCHS, DELTA_MAX_WORK)
    )
    return spec
