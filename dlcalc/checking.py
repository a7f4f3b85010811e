"""Checking a student's answers against a worked solution, with error carried forward.

A claim names a quantity by the label the tables show (``out_h1``, ``w5_new``), by its
display symbol (``∂E/∂w5``, ``w5⁺``) or by a path into ``result``
(``layers[1].weights[0][0]``), and is right when it agrees with the correct value to
the decimals it was written with (``0.50`` means ±0.005, so the answers file is read
for each value's source text, not just its float).

Error carried forward: the steps are redone in order in the *student's world*, where
every claimed quantity takes the student's value and every other step is recomputed
(:meth:`~dlcalc.steps.Step.recompute`) from the student's values of its inputs.  A
wrong claim whose inputs descend from an earlier wrong claim, and which matches what
those inputs give (to one unit of its last written decimal), is *carried forward*,
not a new mistake.  Nothing here prints: :func:`judge` returns a :class:`Report`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real
from typing import Any

import yaml

from dlcalc.errors import InputError
from dlcalc.limits import MAX_NUMBER_CHARS
from dlcalc.steps import Mark, Section, Solution, Step, Table

NUMBER = re.compile(r"^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$", re.ASCII)
PATH = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")
WHOLE_PATH = re.compile(r"(?:result\.)?[^.\[\]\s]+(?:\.[^.\[\]\s]+|\[-?\d+\])*")
MAX_CLAIMS = 5_000
_INFINITE = ("inf", ".inf", "infinity")
MAX_LIST = 1_000
RIGHT, WRONG, CARRIED = "right", "wrong", "carried"
ECF_SLACK = (
    2.0  # carried forward: within one unit of the claim's last decimal (twice the half-unit)
)

Tol = Any  # a float, or a (nested) list of floats parallel to a list claim


@dataclass(frozen=True)
class Claim:
    """One line of an answers file: a name, the claimed value, its tolerance and source text."""

    name: str
    value: Any
    text: str
    tol: Tol
    line: int | None = None


@dataclass
class Verdict:
    """What ``check`` made of one claim."""

    claim: Claim
    label: str | None  # the step or given it names (None: a path into result not shown as a step)
    path: str | None
    correct: Any
    status: str = RIGHT
    expected: Any = None  # carried: the value the student's own inputs give
    first_wrong: bool = False


@dataclass
class Report:
    """Every verdict, in the order of the worked solution."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def mismatches(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == WRONG]

    @property
    def carried(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == CARRIED]

    @property
    def first_wrong(self) -> Verdict | None:
        return next((v for v in self.verdicts if v.first_wrong), None)

    def summary(self) -> str:
        """One line: how many claims were right, carried forward and wrong."""
        n = len(self.verdicts)
        right = n - len(self.mismatches) - len(self.carried)
        text = f"{n} claim{'s' if n != 1 else ''} checked: {right} right, {len(self.carried)} carried forward, {len(self.mismatches)} wrong"
        first = self.first_wrong
        if first is not None:
            text += f"; it first went wrong at {first.claim.name}"
        return text + "."

    def result(self) -> dict[str, Any]:
        """The contract's ``result`` of ``check``."""

        def entry(v: Verdict) -> dict[str, Any]:
            out: dict[str, Any] = {
                "name": v.claim.name,
                "claimed": v.claim.value,
                "correct": v.correct,
            }
            if v.status == CARRIED:
                out["follows_from_claims"] = v.expected
            return out

        first = self.first_wrong
        return {
            "checked": len(self.verdicts),
            "mismatches": [entry(v) for v in self.mismatches],
            "carried_forward": [entry(v) for v in self.carried],
            "right": [v.claim.name for v in self.verdicts if v.status == RIGHT],
            "first_wrong": first.claim.name if first else None,
            "summary": self.summary(),
        }


# --- reading an answers file ----------------------------------------------------------------


def tolerance(text: str) -> float | None:
    """Half a unit of the last written decimal: ``0.268`` → 0.0005, ``0.50`` → 0.005, ``3`` → 0.5."""
    m = NUMBER.match(text.strip().replace("−", "-").replace("_", ""))
    if not m or not (m.group(1) or m.group(2)):
        return None
    decimals = len(m.group(2) or "") - int(m.group(3) or 0)
    return 0.5 * 10.0**-decimals


def _scalar(node: yaml.ScalarNode, tol: float | None, where: str) -> tuple[Any, Tol]:
    text = node.value.strip().replace("−", "-")
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "bool":
        return text.lower() in ("true", "yes", "on", "y"), 0.0
    if kind == "null" or not text:
        raise InputError("has no value; expected a number", field=where)
    if len(text) > MAX_NUMBER_CHARS:
        raise InputError(
            f"a value written with {len(text):,} characters; at most {MAX_NUMBER_CHARS}",
            field=where,
        )
    if re.fullmatch(r"[+-]?\d+\s*/\s*\d+", text, re.ASCII):  # an exact fraction such as -13/50
        a, b = text.split("/")
        if int(b) == 0:
            raise InputError(f"{node.value!r} divides by zero", field=where)
        return float(Fraction(int(a), int(b))), tol if tol is not None else 1e-9
    if not NUMBER.match(text) and text.lower().lstrip("+-") not in _INFINITE:
        return node.value, 0.0  # a label such as Green: compared as text
    try:
        value = float(text)
    except ValueError:
        return node.value, 0.0  # a label such as Green: compared as text
    except OverflowError:
        raise InputError(f"{text[:20]}… is too large; expected a number", field=where) from None
    if not math.isfinite(value) and text.lower().lstrip("+-") not in ("inf", ".inf", "infinity"):
        raise InputError(f"{text!r} is not a number; expected a number", field=where)
    written = tolerance(text)
    return value, tol if tol is not None else (written if written is not None else 1e-9)


def _claimed(node: yaml.Node, tol: float | None, where: str) -> tuple[Any, Tol]:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, tol, where)
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) > MAX_LIST:
            raise InputError(
                f"a list of {len(node.value):,} values; at most {MAX_LIST:,}", field=where
            )
        pairs = [_claimed(n, tol, f"{where}[{i}]") for i, n in enumerate(node.value)]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    raise InputError("expected a number (or a list of numbers), not a mapping", field=where)


def load_claims(path: str, tol: float | None = None) -> list[Claim]:
    """Read an answers file (YAML mapping of names to claimed values); ``tol`` overrides every tolerance."""
    from dlcalc.specs.loader import parse_yaml, read_text

    name, text = read_text(path)
    doc = parse_yaml(text, name)  # safe loading, bounded, aliases refused
    if not isinstance(doc.data, dict) or not doc.data:
        raise InputError(
            "expected a YAML mapping of quantity names to claimed values, e.g. `out_h1: 0.5933`",
            file=name,
        )
    node = doc.node
    assert isinstance(node, yaml.MappingNode)
    if len(node.value) > MAX_CLAIMS:
        raise InputError(f"has {len(node.value):,} claims; at most {MAX_CLAIMS:,}", file=name)
    claims = []
    seen: set[str] = set()
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError("expected a quantity name as key", file=name, line=line)
        key = str(key_node.value).strip()
        if key in seen:
            raise InputError("is claimed twice; keep one value", file=name, line=line, field=key)
        seen.add(key)
        if ("[" in key or "." in key) and not WHOLE_PATH.fullmatch(key):
            raise InputError(
                "is not a path into the result; write it like layers[1].weights[0][0]",
                file=name,
                line=line,
                field=key,
            )
        try:
            value, claim_tol = _claimed(value_node, tol, key)
        except InputError as e:
            e.file, e.line = name, line
            raise
        shown = value_node.value if isinstance(value_node, yaml.ScalarNode) else _flow(value_node)
        claims.append(Claim(key, value, shown, claim_tol, line))
    return claims


def _flow(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(_flow(n) for n in node.value) + "]"
    return str(node.value)


# --- naming quantities ----------------------------------------------------------------------


def _ascii(symbol: str) -> str:
    return (
        symbol.replace("∂", "d")
        .replace("⁺", "+")
        .replace("δ_", "delta_")
        .replace("δ", "delta")
        .replace("η", "eta")
    )


def givens(solution: Solution) -> dict[str, float]:
    """The quantities steps use but no step computes (``w5``, ``x1``, ``t_o1``, ``learning_rate``)."""
    produced = {s.label for s in solution.iter_steps()}
    out: dict[str, float] = {}
    for step in solution.iter_steps():
        for a in step.args:
            if a.name not in produced and a.name not in out:
                out[a.name] = a.value
    return out


def name_index(solution: Solution) -> dict[str, list[str]]:
    """Every accepted name → the labels it may mean (more than one: ambiguous)."""
    index: dict[str, list[str]] = {}

    def add(name: str, label: str) -> None:
        labels = index.setdefault(name, [])
        if label not in labels:
            labels.append(label)

    for step in solution.iter_steps():
        index[step.label] = [step.label]
    for label in givens(solution):
        index.setdefault(label, [label])
    for step in solution.iter_steps():
        for name in (step.shown, _ascii(step.shown)):
            if name not in index or index[name] != [name]:
                add(name, step.label)
    for step in solution.iter_steps():
        for a in step.args:
            if a.symbol and a.name in index and a.symbol not in index:
                add(a.symbol, a.name)
    return index


def resolve_path(result: Any, path: str) -> Any:
    """Follow ``layers[1].weights[0][0]`` (``result.`` may lead) into ``result``; KeyError if absent."""
    parts = PATH.findall(path.removeprefix("result."))
    if not parts:
        raise KeyError(path)
    cur = result
    for name, index in parts:
        if name:
            if not isinstance(cur, dict) or name not in cur:
                raise KeyError(path)
            cur = cur[name]
        else:
            i = int(index)
            if not isinstance(cur, list) or not -len(cur) <= i < len(cur):
                raise KeyError(path)
            cur = cur[i]
    return cur


def result_paths(result: Any, prefix: str = "", limit: int = 2000) -> list[str]:
    """Every path into ``result`` (for suggestions)."""
    out: list[str] = []

    def walk(value: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if path:
            out.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(result, prefix)
    return out


def unknown(name: str, solution: Solution, index: Mapping[str, list[str]]) -> InputError:
    """The error for a name that is neither a quantity nor a path, with the closest valid names."""
    options = list(index) + result_paths(_plain(solution.result))
    close = difflib.get_close_matches(name, options, n=5, cutoff=0.5)
    hint = (
        f"; closest: {', '.join(close)}"
        if close
        else f"; valid names include {', '.join(list(index)[:8])}"
    )
    return InputError(f"no quantity or result path named {name!r}{hint}", field=name)


# --- judging --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    from dlcalc.plain import jsonable

    return jsonable(value)


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, Real):
        if isinstance(x, str) and x in ("inf", "-inf"):
            return float(x)
        return None
    return float(x)


def within(claimed: Any, correct: Any, tol: Tol) -> bool:
    """Does ``claimed`` agree with ``correct`` to ``tol`` (element by element for lists)?"""
    if hasattr(correct, "tolist"):
        correct = correct.tolist()
    if isinstance(claimed, list):
        if not isinstance(correct, (list, tuple)) or len(correct) != len(claimed):
            return False
        tols = tol if isinstance(tol, list) else [tol] * len(claimed)
        return all(within(c, v, t) for c, v, t in zip(claimed, correct, tols))
    if isinstance(claimed, bool) or isinstance(claimed, str):
        return claimed == correct or (isinstance(claimed, str) and str(correct) == claimed)
    a, b = _number(claimed), _number(correct)
    if a is None or b is None:
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * (1 + 1e-9) + 1e-12


def _scaled(tol: Tol, k: float) -> Tol:
    return [_scaled(t, k) for t in tol] if isinstance(tol, list) else tol * k


def _link(solution: Solution, path: str, correct: Any) -> str | None:
    """The one step whose value is exactly the result's value at ``path`` (None: none or several).

    Whole numbers (counts, ±1 outputs) are too common to identify a step and are not linked.
    """
    x = _number(correct)
    if x is None or not math.isfinite(x) or x == round(x):
        return None
    hits = [
        s.label
        for s in solution.iter_steps()
        if _number(s.value) is not None and _number(s.value) == _number(correct)
    ]
    return hits[0] if len(set(hits)) == 1 else None


def judge(solution: Solution, claims: Iterable[Claim]) -> Report:
    """Mark every claim right, wrong or carried forward (see the module docstring)."""
    claims = list(claims)
    index = name_index(solution)
    given = givens(solution)
    result = _plain(solution.result)
    verdicts: list[Verdict] = []
    for claim in claims:
        labels = index.get(claim.name)
        if labels is not None and len(labels) > 1:
            raise InputError(
                f"{claim.name!r} is shown more than once; name one of: {', '.join(labels[:10])}",
                field=claim.name,
                line=claim.line,
            )
        if labels:
            label = labels[0]
            step = solution.step(label)
            correct = step.value if step is not None else given[label]
            verdicts.append(Verdict(claim, label, None, correct))
            continue
        try:
            correct = resolve_path(result, claim.name)
        except KeyError:
            error = unknown(claim.name, solution, index)
            error.line = claim.line
            raise error from None
        verdicts.append(Verdict(claim, _link(solution, claim.name, correct), claim.name, correct))

    by_label: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.label is not None:
            by_label.setdefault(v.label, []).append(v)
    student: dict[
        str, Any
    ] = {}  # the student's value of every quantity that differs from the correct one
    tainted: set[str] = set()  # quantities that descend from a wrong claim
    order: list[Verdict] = []

    def settle(label: str, own: Any, from_wrong: bool) -> None:
        for v in by_label[label]:
            if within(v.claim.value, v.correct, v.claim.tol):
                v.status = RIGHT
            elif (
                from_wrong
                and own is not None
                and within(v.claim.value, own, _scaled(v.claim.tol, ECF_SLACK))
            ):
                v.status, v.expected = CARRIED, own
            else:
                v.status = WRONG
            order.append(v)
        last = by_label[label][-1]
        student[label] = last.claim.value
        if any(v.status != RIGHT for v in by_label[label]) or from_wrong:
            tainted.add(label)

    for label in given:
        if label in by_label:
            settle(label, None, False)
    for step in solution.iter_steps():
        from_wrong = any(a.name in tainted for a in step.args)
        own = _redo(step, student) if any(a.name in student for a in step.args) else step.value
        if step.label in by_label:
            settle(step.label, own, from_wrong)
        elif own is not None and not _same(own, step.value):
            student[step.label] = own
            if from_wrong:
                tainted.add(step.label)
    for v in verdicts:
        if v.label is None:  # a path that no step shows: right or wrong, nothing to carry
            v.status = RIGHT if within(v.claim.value, v.correct, v.claim.tol) else WRONG
            order.append(v)
    for v in order:
        if v.status == WRONG:
            v.first_wrong = True
            break
    return Report(order)


def _redo(step: Step, values: Mapping[str, Any]) -> Any:
    if not step.computed:
        return None
    try:
        return step.recompute(values)
    except Exception:  # a student's value outside the function's domain
        return None


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


# --- the marked solution --------------------------------------------------------------------


def marked(solution: Solution, report: Report) -> Solution:
    """The worked solution with every claim marked, a table of the claims and a summary line.

    The table holds the correct values themselves; renderers format them like every number.
    """
    marks: dict[str, Mark] = {}
    for v in report.verdicts:
        if v.label is not None and solution.step(v.label) is not None:
            marks[v.label] = Mark(
                v.status, v.claim.value, v.correct, v.claim.text, v.expected, v.first_wrong
            )
    signs = {RIGHT: "✓", WRONG: "✗", CARRIED: "↪ carried forward"}
    rows = []
    for v in report.verdicts:
        verdict = signs[v.status] + (" ← where it went wrong" if v.first_wrong else "")
        rows.append([v.claim.name, v.claim.text, v.correct, verdict])
    section = Section(
        "Your answers", [Table(["quantity", "you wrote", "correct", "verdict"], rows)]
    )
    section.add(report.summary())
    return dataclasses.replace(
        solution,
        command="check",
        sections=[*solution.sections, section],
        result=report.result(),
        marks=marks,
        notes=[*solution.notes],
    )


def check_solution(
    solution: Solution, answers: str, tol: float | None = None
) -> tuple[Solution, Report]:
    """Load ``answers``, judge them against ``solution``; the marked solution and the report."""
    claims = load_claims(answers, tol)
    name = "<stdin>" if answers == "-" else answers
    try:
        report = judge(solution, claims)
    except InputError as e:
        e.file = name
        raise
    convention = other_convention(solution, claims, report)
    result = marked(solution, report)
    if convention is not None:
        description, alternative = convention
        text = (
            f"Your answers follow another convention: {description}.  Under it, "
            f"{len(alternative.verdicts) - len(alternative.mismatches)} of "
            f"{len(alternative.verdicts)} claims are right."
        )
        result.sections[-1].add(text)
        result.result["convention"] = {
            "description": description,
            "mismatches": [v.claim.name for v in alternative.mismatches],
        }
    return result, report


def other_convention(
    solution: Solution, claims: list[Claim], report: Report
) -> tuple[str, Report] | None:
    """The alternative convention (``solution.alternatives``) under which more claims are right."""
    if not report.mismatches or not solution.alternatives:
        return None
    best: tuple[str, Report] | None = None
    for description, solve in solution.alternatives:
        try:
            other = judge(solve(), claims)
        except (InputError, ArithmeticError, ValueError):
            continue
        fewer = len(other.mismatches) < len(report.mismatches)
        if fewer and (best is None or len(other.mismatches) < len(best[1].mismatches)):
            best = (description, other)
    return best
