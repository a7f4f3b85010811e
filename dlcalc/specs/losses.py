"""Problem files for ``softmax``, ``crossentropy`` and ``kld``.

Distributions are checked here (no negative entries, a sum of 1 within 1e-6, equal
lengths) so that every message names the field and its line.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator

from dlcalc.errors import InputError
from dlcalc.specs.common import Number, Strict, Vector, matrix, to_number, vector
from dlcalc.specs.loader import Document, describe, field_path, validate
from dlcalc.specs.problem import Problem

TOLERANCE = 1e-6
MAX_VALUES = 10_000
MAX_LOGVAR = 700.0  # e^700 is still a double; beyond, σ² overflows


def _base(value: Any) -> float:
    """``e`` (natural log, the default), ``2`` (bits) or ``10``."""
    if isinstance(value, str) and value.strip().lower() in ("e", "ln", "nat", "nats"):
        return math.e
    if isinstance(value, str) and value.strip().lower() in ("bits", "bit"):
        return 2.0
    x = to_number(value)
    if x not in (2.0, 10.0) and abs(x - math.e) > 1e-9:
        raise ValueError(f"expected a log base of e, 2 or 10, got {describe(value)}")
    return math.e if abs(x - math.e) <= 1e-9 else x


def _rows(value: Any) -> list[list[float]]:
    """One row (a list of numbers) or several (a list of equally long lists)."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return matrix(value)
    return [vector(value)]


def _numbers(value: Any) -> list[float]:
    """One number or a list of numbers (binary cross-entropy, one per example)."""
    if isinstance(value, list):
        return vector(value)
    return [to_number(value)]


Base = Annotated[float, BeforeValidator(_base)]
Rows = Annotated[list[list[float]], BeforeValidator(_rows)]
Numbers = Annotated[list[float], BeforeValidator(_numbers)]


class SoftmaxProblem(Problem):
    logits: Vector
    temperature: Number = 1.0
    show_naive: bool = False


class CrossEntropyProblem(Problem):
    target: Any
    probabilities: Rows | None = None
    logits: Rows | None = None
    probability: Numbers | None = None
    logit: Numbers | None = None
    base: Base = math.e


class Gaussian(Strict):
    """N(μ, σ²) per dimension: ``mu`` with ``sigma`` or ``logvar`` (ln σ²)."""

    mu: Numbers
    sigma: Numbers | None = None
    logvar: Numbers | None = None


class GaussianProblem(Gaussian):
    """The first Gaussian, and ``q`` the second one (default N(0, 1), the VAE prior)."""

    q: Gaussian | None = None


class KLProblem(Problem):
    p: Vector | None = None
    q: Vector | None = None
    gaussian: GaussianProblem | None = None
    base: Base = math.e


def _fail(doc: Document, message: str, *loc: str | int) -> InputError:
    return InputError(message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None)


def written_decimals(x: float) -> int:
    """The decimals a number was written with, read back from its shortest form (0.27 → 2)."""
    exponent = Decimal(repr(float(x))).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def rounding_slack(values: list[float]) -> float:
    """How far the sum of rounded numbers may be from the true sum: half a unit of each one's last decimal.

    Whole numbers (a one-hot 0 or 1) are taken as exact.
    """
    return math.fsum(0.5 * 10.0 ** -written_decimals(x) for x in values if x != int(x))


def check_distribution(
    doc: Document, values: list[float], *loc: str | int, rounded: bool = False
) -> str | None:
    """Refuse entries below 0 or above 1 and sums that are not 1 within 1e-6.

    With ``rounded``, a sum within the rounding of the decimals as written (0.27 + 0.26 + 0.46
    = 0.99, each ±0.005) is accepted: the values are used as written, and the returned note
    says so.  Percentages ([27, 26, 47]) are refused with the hint to divide by 100.
    """
    total = math.fsum(values)
    for k, x in enumerate(values):
        if x < 0:
            raise _fail(doc, f"a probability cannot be negative, got {x:g} (entry {k})", *loc, k)
    if any(x > 1 for x in values):
        if abs(total - 100.0) <= 100 * max(TOLERANCE, rounding_slack(values) / 100):
            shown = ", ".join(f"{x / 100:.10g}" for x in values)
            raise _fail(
                doc,
                f"these look like percentages (they sum to {total:.10g}); a probability is between 0 and 1, "
                f"so divide each by 100: [{shown}]",
                *loc,
            )
        k, x = next((k, x) for k, x in enumerate(values) if x > 1)
        raise _fail(doc, f"a probability is at most 1, got {x:g} (entry {k})", *loc)
    if abs(total - 1.0) <= TOLERANCE:
        return None
    slack = rounding_slack(values)
    # Strictly within: a sum that needs every entry to sit exactly on a tie ([0.5, 0.4]) is refused.
    if rounded and abs(total - 1.0) < slack - 1e-9:
        places = max(written_decimals(x) for x in values)
        return (
            f"{field_path(loc)} sum to {total:.10g}, not 1: within the rounding of the "
            f"{places} decimal{'s' if places != 1 else ''} they are written with (±{slack:.10g}), "
            "so they are taken as rounded probabilities and used as written."
        )
    hint = (
        f" or, for probabilities rounded to the decimals written, within ±{slack:.10g}"
        if rounded and slack
        else ""
    )
    raise _fail(
        doc,
        f"the probabilities sum to {total:.10g}, expected 1 (within {TOLERANCE:g}{hint})",
        *loc,
    )


def refuse_percent_signs(doc: Document, key: str) -> None:
    """``27%`` is a percentage: say to write it as a probability (0.27), not just "not a number"."""
    value = doc.data.get(key) if isinstance(doc.data, dict) else None
    entries = value if isinstance(value, list) else [value]
    for k, row in enumerate(entries):
        cells = row if isinstance(row, list) else [row]
        for j, cell in enumerate(cells):
            if isinstance(cell, str) and cell.strip().endswith("%"):
                number = cell.strip()[:-1].strip()
                try:
                    shown = f"{to_number(number) / 100:.10g}"
                except ValueError:
                    shown = "the percentage divided by 100"
                where = (
                    [k, j] if isinstance(row, list) else ([k] if isinstance(value, list) else [])
                )
                raise _fail(
                    doc,
                    f"{cell.strip()!r} is a percentage; write the probability instead, divided by 100: {shown}",
                    key,
                    *where,
                )


def _check_size(doc: Document, n: int, *loc: str | int) -> None:
    if n > MAX_VALUES:
        raise _fail(doc, f"expected at most {MAX_VALUES:,} values, got {n:,}", *loc)


def load_softmax(doc: Document) -> SoftmaxProblem:
    spec = validate(SoftmaxProblem, doc)
    _check_size(doc, len(spec.logits), "logits")
    if spec.temperature <= 0:
        raise _fail(doc, f"expected a temperature above 0, got {spec.temperature:g}", "temperature")
    return spec


class CrossEntropy:
    """A validated cross-entropy problem: rows of targets and of probabilities or logits."""

    def __init__(
        self,
        spec: CrossEntropyProblem,
        binary: bool,
        given: str,
        targets: list[list[float]],
        values: list[list[float]],
    ) -> None:
        self.title = spec.title
        self.source = spec.source
        self.base = spec.base
        self.binary = binary
        self.given = given  # "probabilities" or "logits"
        self.targets = targets  # binary: one [t] per row
        self.values = values  # binary: one [p] or [z] per row
        self.notes: list[str] = []  # what the solution should say about the input (rounded sums)


def load_crossentropy(doc: Document) -> CrossEntropy:
    for key in ("probabilities", "probability", "target"):
        refuse_percent_signs(doc, key)
    spec = validate(CrossEntropyProblem, doc)
    given = [
        k
        for k in ("probabilities", "logits", "probability", "logit")
        if getattr(spec, k) is not None
    ]
    if len(given) != 1:
        which = " and ".join(given) if given else "none of them"
        raise _fail(
            doc,
            f"give exactly one of probabilities, logits (multi-class) or probability, logit (binary); got {which}",
            given[1] if len(given) > 1 else "target",
        )
    key = given[0]
    binary = key in ("probability", "logit")
    if binary:
        try:
            targets = _numbers(spec.target)
        except ValueError as e:
            raise _fail(doc, str(e), "target") from None
        values: list[float] = getattr(spec, key)
        if len(targets) != len(values):
            raise _fail(
                doc, f"expected one target per {key} ({len(values)}), got {len(targets)}", "target"
            )
        _check_size(doc, len(values), key)
        for r, t in enumerate(targets):
            if not 0 <= t <= 1:
                raise _fail(
                    doc,
                    f"a binary target is 0 or 1 (or a probability between), got {t:g}",
                    "target",
                    *((r,) if isinstance(spec.target, list) else ()),
                )
        if key == "probability":
            for r, p in enumerate(values):
                if not 0 <= p <= 1:
                    raise _fail(
                        doc,
                        f"a probability lies between 0 and 1, got {p:g}",
                        key,
                        *((r,) if isinstance(doc.data.get(key), list) else ()),
                    )
        return CrossEntropy(
            spec,
            True,
            "probabilities" if key == "probability" else "logits",
            [[t] for t in targets],
            [[v] for v in values],
        )

    rows: list[list[float]] = getattr(spec, key)
    try:
        target_rows = _rows(spec.target)
    except ValueError as e:
        raise _fail(
            doc, f"{e} (multi-class: a one-hot list such as [0, 0, 1] or a distribution)", "target"
        ) from None
    several = (
        isinstance(doc.data.get(key), list)
        and bool(doc.data[key])
        and isinstance(doc.data[key][0], list)
    )
    if len(target_rows) != len(rows):
        raise _fail(
            doc,
            f"expected {len(rows)} target row{'s' if len(rows) != 1 else ''} (one per row of {key}), got {len(target_rows)}",
            "target",
        )
    _check_size(doc, len(rows) * len(rows[0]), key)
    notes: list[str] = []
    for r, (target_row, v) in enumerate(zip(target_rows, rows)):
        where: tuple[int, ...] = (r,) if several else ()
        if len(target_row) != len(v):
            raise _fail(
                doc,
                f"expected {len(v)} target values (one per class), got {len(target_row)}",
                "target",
                *where,
            )
        check_distribution(doc, target_row, "target", *where)
        if key == "probabilities":
            note = check_distribution(doc, v, key, *where, rounded=True)
            if note is not None:
                notes.append(note)
    problem = CrossEntropy(spec, False, key, target_rows, rows)
    problem.notes = notes
    return problem


def load_kld(doc: Document) -> KLProblem:
    for key in ("p", "q"):
        refuse_percent_signs(doc, key)
    spec = validate(KLProblem, doc)
    discrete = spec.p is not None or spec.q is not None
    if discrete == (spec.gaussian is not None):
        raise _fail(
            doc,
            "give either p and q (two discrete distributions) or gaussian: {mu, sigma}, not both or neither",
            "gaussian" if discrete else "p",
        )
    if discrete:
        if spec.p is None or spec.q is None:
            raise _fail(
                doc,
                "missing required key "
                + ("'q'" if spec.q is None else "'p'")
                + "; KL(p‖q) needs both distributions",
                "q" if spec.q is None else "p",
            )
        if len(spec.p) != len(spec.q):
            raise _fail(
                doc,
                f"p has {len(spec.p)} entries but q has {len(spec.q)}; expected the same outcomes in both",
                "q",
            )
        _check_size(doc, len(spec.p), "p")
        check_distribution(doc, spec.p, "p")
        check_distribution(doc, spec.q, "q")
        return spec
    assert spec.gaussian is not None
    for g, loc in ((spec.gaussian, ("gaussian",)), (spec.gaussian.q, ("gaussian", "q"))):
        if g is None:
            continue
        if (g.sigma is None) == (g.logvar is None):
            raise _fail(
                doc,
                "give either sigma (standard deviations) or logvar (ln σ²), not both or neither",
                *loc,
            )
        if g.sigma is not None:
            for k, s in enumerate(g.sigma):
                if s <= 0:
                    raise _fail(
                        doc,
                        f"a standard deviation must be above 0, got {s:g}",
                        *loc,
                        "sigma",
                        *((k,) if len(g.sigma) > 1 else ()),
                    )
        for lv in g.logvar or []:
            if abs(lv) > MAX_LOGVAR:
                raise _fail(
                    doc,
                    f"ln σ² = {lv:g} is out of range (e^{lv:g} overflows); expected between −{MAX_LOGVAR:g} and {MAX_LOGVAR:g}",
                    *loc,
                    "logvar",
                )
        spread = g.sigma if g.sigma is not None else g.logvar
        assert spread is not None
        if len(spread) != len(g.mu):
            raise _fail(
                doc,
                f"expected one {'sigma' if g.sigma is not None else 'logvar'} per mu ({len(g.mu)}), got {len(spread)}",
                *loc,
                "sigma" if g.sigma is not None else "logvar",
            )
        _check_size(doc, len(g.mu), *loc, "mu")
    q = spec.gaussian.q
    if q is not None and len(q.mu) not in (1, len(spec.gaussian.mu)):
        raise _fail(
            doc,
            f"expected q with 1 or {len(spec.gaussian.mu)} dimensions, got {len(q.mu)}",
            "gaussian",
            "q",
            "mu",
        )
    return spec
