"""Checking a student's answers against a worked solution, with error carried forward.

A claim names a quantity by the label the tables show (``out_h1``, ``w5_new``), by its
display symbol (``∂E/∂w5``, ``w5⁺``), by a slide-style name (``w46+``, ``θ4``, ``Err6``:
:mod:`dlcalc.grading.check_names`) or by a path into ``result`` (``layers[1].weights[0][0]``), and
is right when it agrees with the correct value to the decimals it was written with
(``0.50`` means ±0.005, so the answers file is read for each value's source text, not
just its float).

Error carried forward: the steps are redone in the *student's world*, where every
claimed quantity takes the student's value and every step that descends from a wrong
value is recomputed (:meth:`~dlcalc.model.steps.Step.recompute`) from the student's values of
its inputs, in dependency order (:attr:`Step.inputs`, not print order) and, under
``--carry N``, rounded as the solution rounds.  A wrong claim whose inputs descend from
an earlier wrong claim, and which matches what those inputs give (to one unit of its
last written decimal), is *carried forward*, not a new mistake.  Then the textbook
conventions are tried (:mod:`dlcalc.grading.conventions`).  The solution is indexed once
(:class:`Index`), so checking is linear in the number of claims and steps.  Nothing here
prints: :func:`judge` and :func:`check_sheet` return a :class:`Report`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from numbers import Real
from typing import Any, Protocol

import yaml

from dlcalc.errors import InputError, printable
from dlcalc.limits import CONTROL, MAX_NUMBER_CHARS, MAX_TEXT
from dlcalc.model.steps import Mark, Section, Solution, Step, Table

NUMBER = re.compile(r"^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$", re.ASCII)
PATH = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")
WHOLE_PATH = re.compile(r"(?:result\.)?[^.\[\]\s]+(?:\.[^.\[\]\s]+|\[-?\d+\])*")
MAX_CLAIMS = 5_000
OWNER_KEYS = ("id", "student")  # not claims: whose sheet it is
_INFINITE = ("inf", ".inf", "infinity")
MAX_LIST = 1_000
RIGHT, WRONG, CARRIED = "right", "wrong", "carried"
PLAIN_REASON = re.compile(r"right|wrong( \(where it went wrong\))?|carried forward: .*")
ECF_SLACK = (
    2.0  # carried forward: within one unit of the claim's last decimal (twice the half-unit)
)

Tol = Any  # a float, or a (nested) list of floats parallel to a list claim


@dataclass(frozen=True)
class MarkingPolicy:
    """How loosely a claim may be marked right, whatever precision it is written with.

    The default (the contract's): never more loosely than half a unit in the key's last
    shown decimal (``decimals``) or half a unit in the correct value's ``significant``-th
    significant figure, whichever is looser.  ``decimals=None``: the significant figures
    alone (the key is shown with ``--sig``).
    """

    decimals: int | None = 4
    significant: int = 2
    # A ``marks:`` policy (dlcalc.grading.marking.Policy) whose tolerance mode replaces this rule.
    marks: Any = field(default=None, compare=False)


DEFAULT_POLICY = MarkingPolicy()


def shown_policy(decimals: int) -> MarkingPolicy:
    """The default policy for a key shown with ``decimals`` (``--decimals N``; ``--sig N``:
    significant figures, so no fixed decimal)."""
    from dlcalc.render.numbers import Significant

    return MarkingPolicy(decimals=None if isinstance(decimals, Significant) else int(decimals))


EXACT = 1e-9  # the tolerance of a value written exactly (a fraction such as 13/50)


def claim_tolerance(
    written: str | None, correct: Any, policy: MarkingPolicy = DEFAULT_POLICY
) -> float:
    """The tolerance of one claimed number: the one place where marking precision is decided.

    ``written`` is the number as the student wrote it (``"0.59"``; None or a fraction:
    exact), ``correct`` the key's value.  The claim's own precision (half a unit of its last
    written digit: ``0.59`` ±0.005, ``1`` ±0.5, ``0e9`` ±5×10⁸) may narrow the tolerance but
    never widen it past what ``policy`` allows: for 0.5933 at most ±0.005, so ``1``, ``0.6``
    and ``0e9`` are wrong; for 1e-9, ``0.0000`` (±0.00005) is right.  A marking policy
    (``marks:``) replaces this function.
    """
    if policy.marks is not None and policy.marks.mode is not None and written is not None:
        return float(policy.marks.tolerance_of(written, correct))
    own = tolerance(written) if written is not None else None
    if own is None:
        own = EXACT
    x = _number(correct)
    if x is None or not math.isfinite(x):
        return own  # a label, or ±inf: compared exactly anyway
    widest = 0.0 if policy.decimals is None else 0.5 * 10.0**-policy.decimals
    if x != 0 and policy.significant > 0:
        exponent = math.floor(math.log10(abs(x)))
        widest = max(widest, 0.5 * 10.0 ** (exponent - policy.significant + 1))
    return min(own, widest)


@dataclass(frozen=True)
class Claim:
    """One line of an answers file: a name, the claimed value, its tolerance and source text.

    ``written``: each number as written (a string, or a list parallel to a list ``value``;
    None for a label).  ``policy``: the marking policy that turns ``written`` into ``tol``
    against the correct value (:func:`claim_tolerance`, applied by :func:`resolve`); None
    when ``tol`` is fixed (``--tol``, or a claim built in code).
    """

    name: str
    value: Any
    text: str
    tol: Tol
    line: int | None = None
    written: Any = None
    policy: MarkingPolicy | None = None


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
    note: str | None = None  # right under a convention: why (dlcalc.grading.conventions)


@dataclass
class Report:
    """Every verdict, in the order of the worked solution."""

    verdicts: list[Verdict] = field(default_factory=list)
    # Conventions the marks follow (dlcalc.grading.conventions): (name, title, the claims it explains).
    conventions: list[tuple[str, str, list[str]]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # conventions seen but not accepted
    seen: tuple[str, list[str]] | None = None  # the best of those: title, its mismatches
    scores: Any = None  # points under the marking policy (dlcalc.grading.marking.Scores)
    # Claims that do not count (count_once): copied givens, a quantity's second spelling.
    not_counted: list[Verdict] = field(default_factory=list)

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
        text += "."
        for _, title, names in self.conventions:
            text += f" Marked under {title} ({len(names)} claim{'s' if len(names) != 1 else ''})."
        if self.not_counted:
            k = len(self.not_counted)
            text += (
                f" {k} line{'s' if k != 1 else ''} not counted"
                " (givens of the problem, or a quantity written a second time)."
            )
        if self.scores is not None:
            text += " " + self.scores.line()
        return text

    def result(self) -> dict[str, Any]:
        """The contract's ``result`` of ``check``: counts, the mismatches, every claim with its
        verdict (and its points, reason, ``score`` and ``max_score`` when marked)."""

        def entry(v: Verdict) -> dict[str, Any]:
            out: dict[str, Any] = {
                "name": v.claim.name,
                "claimed": v.claim.value,
                "correct": v.correct,
            }
            if v.status == CARRIED:
                out["follows_from_claims"] = v.expected
            elif v.expected is not None:
                out["from_your_values"] = v.expected
            return out

        def claim(v: Verdict) -> dict[str, Any]:
            out = {"name": v.claim.name, "label": v.label, "status": v.status, **entry(v)}
            points = self.scores.of(v) if self.scores is not None else None
            if points is not None:
                out.update(points=points.points, max_points=points.max_points, reason=points.reason)
            return out

        first = self.first_wrong
        scored: dict[str, Any] = {}
        if self.scores is not None:
            scored = {
                "score": self.scores.score,
                "max_score": self.scores.max_score,
                "unanswered": [
                    {"name": label, "max_points": points}
                    for label, points in self.scores.unanswered
                ],
            }
        return {
            "checked": len(self.verdicts),
            **scored,
            "right": len(self.verdicts) - len(self.mismatches) - len(self.carried),
            "carried_forward": len(self.carried),
            "wrong": len(self.mismatches),
            "mismatches": [entry(v) for v in self.mismatches],
            "claims": [claim(v) for v in self.verdicts],
            "first_wrong": first.claim.name if first else None,
            "conventions": [
                {"convention": name, "title": title, "explains": names}
                for name, title, names in self.conventions
            ],
            "notes": {v.claim.name: v.note for v in self.verdicts if v.note},
            "not_counted": [
                {"name": v.claim.name, "reason": (v.note or "").removeprefix("not counted: ")}
                for v in self.not_counted
            ],
            "hints": list(self.hints),
            "summary": self.summary(),
            **self._convention(),
        }

    def _convention(self) -> dict[str, Any]:
        """``convention``: the first convention the marks follow, or the best one seen but not
        accepted, with the claims still wrong under it (absent when there is neither)."""
        if self.conventions:
            _, title, _ = self.conventions[0]
            names = [v.claim.name for v in self.mismatches]
            return {"convention": {"description": title, "mismatches": names, "accepted": True}}
        if self.seen is not None:
            title, names = self.seen
            return {"convention": {"description": title, "mismatches": names, "accepted": False}}
        return {}


# --- reading an answers file ----------------------------------------------------------------


def tolerance(text: str) -> float | None:
    """Half a unit of the last written decimal: ``0.268`` → 0.0005, ``0.50`` → 0.005, ``3`` → 0.5."""
    m = NUMBER.match(text.strip().replace("−", "-").replace("_", ""))
    if not m or not (m.group(1) or m.group(2)):
        return None
    decimals = len(m.group(2) or "") - int(m.group(3) or 0)
    try:
        return 0.5 * 10.0**-decimals
    except OverflowError:  # 0e400: a tolerance beyond any double (the policy narrows it)
        return math.inf


def _scalar(node: yaml.ScalarNode, tol: float | None, where: str) -> tuple[Any, Tol, str | None]:
    text = node.value.strip().replace("−", "-")
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "bool":
        return text.lower() in ("true", "yes", "on", "y"), 0.0, None
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
        return float(Fraction(int(a), int(b))), tol if tol is not None else EXACT, text
    if not NUMBER.match(text) and text.lower().lstrip("+-") not in _INFINITE:
        return node.value, 0.0, None  # a label such as Green: compared as text
    try:
        value = float(text)
    except ValueError:
        return node.value, 0.0, None  # a label such as Green: compared as text
    except OverflowError:
        raise InputError(f"{text[:20]}… is too large; expected a number", field=where) from None
    if not math.isfinite(value) and text.lower().lstrip("+-") not in ("inf", ".inf", "infinity"):
        raise InputError(f"{text!r} is not a number; expected a number", field=where)
    written = tolerance(text)
    return value, tol if tol is not None else (written if written is not None else EXACT), text


def _claimed(node: yaml.Node, tol: float | None, where: str) -> tuple[Any, Tol, Any]:
    """The claimed value, its tolerance as written and its number text(s), list by list."""
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, tol, where)
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) > MAX_LIST:
            raise InputError(
                f"a list of {len(node.value):,} values; at most {MAX_LIST:,}", field=where
            )
        parts = [_claimed(n, tol, f"{where}[{i}]") for i, n in enumerate(node.value)]
        return [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts]
    raise InputError("expected a number (or a list of numbers), not a mapping", field=where)


@dataclass
class Sheet:
    """An answers file: its claims and the conventions it declares (``conventions:`` key)."""

    claims: list[Claim]
    conventions: dict[str, str] = field(default_factory=dict)
    name: str = ""
    # its ``id:`` or ``student:`` key: the variant it answers (dlcalc vary)
    owner: str | None = None


def load_claims(
    path: str, tol: float | None = None, policy: MarkingPolicy = DEFAULT_POLICY
) -> list[Claim]:
    """Read an answers file (YAML mapping of names to claimed values); ``tol`` overrides every tolerance."""
    return load_sheet(path, tol, policy).claims


def load_sheet(
    path: str, tol: float | None = None, policy: MarkingPolicy = DEFAULT_POLICY
) -> Sheet:
    """Read an answers file: claims, and an optional ``conventions: {key: value}`` mapping.

    Each claim's tolerance is narrowed against the correct value by ``policy`` when it is
    resolved (:func:`claim_tolerance`); ``tol`` (``--tol``) replaces both.
    """
    from dlcalc.specs.loader import parse_yaml, read_text

    name, text = read_text(path)
    flat = _simple_pairs(text)  # the common flat sheet, read without building a YAML document
    if flat is not None:
        return _flat_sheet(flat, tol, name, policy)
    doc = parse_yaml(text, name)  # safe loading, bounded, aliases refused
    if not isinstance(doc.data, dict) or not doc.data:
        raise InputError(
            "expected a YAML mapping of quantity names to claimed values, e.g. `out_h1: 0.5933`",
            file=name,
        )
    node = doc.node
    assert isinstance(node, yaml.MappingNode)
    pairs = node.value
    _check_claim_count(len(pairs), name)
    claims = []
    declared: dict[str, str] = {}
    owner: str | None = None
    seen: set[str] = set()
    for key_node, value_node in pairs:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError("expected a quantity name as key", file=name, line=line)
        key = str(key_node.value).strip()
        if key == "conventions" and isinstance(value_node, yaml.MappingNode):
            for k, v in value_node.value:
                if not isinstance(k, yaml.ScalarNode) or not isinstance(v, yaml.ScalarNode):
                    raise InputError(
                        "expected `conventions: {name: value}`, e.g. {delta_sign: han_kamber}",
                        file=name,
                        line=k.start_mark.line + 1,
                        field="conventions",
                    )
                declared[str(k.value).strip()] = str(v.value).strip()
            continue
        if key in OWNER_KEYS and isinstance(value_node, yaml.ScalarNode):
            owner = str(value_node.value).strip()  # whose sheet it is (dlcalc vary's stubs)
            continue
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue  # left blank: not answered
        if key in seen:
            raise InputError("is claimed twice; keep one value", file=name, line=line, field=key)
        seen.add(key)
        try:
            value, claim_tol, written = _claimed(value_node, tol, key)
        except InputError as e:
            e.file, e.line = name, line
            raise
        shown = value_node.value if isinstance(value_node, yaml.ScalarNode) else _flow(value_node)
        claims.append(Claim(key, value, shown, claim_tol, line, written, _policy(tol, policy)))
    if not claims:
        raise InputError("has no claims; expected quantity names with values", file=name)
    return Sheet(claims, declared, name, owner)


SIMPLE_LINE = re.compile(
    r"""([^\s\-?:,\[\]{}#&*!|>'"%@`][^\s:#]*) *: +([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?: +#.*)? *"""
)
SKIPPED_LINE = re.compile(r" *(?:#.*)?")


def _simple_pairs(text: str) -> list[tuple[str, str, int]] | None:
    """``(name, number as written, line)`` of a sheet of plain ``name: number`` lines.

    None when any line is anything else (a list, a mapping, quotes, a tab, an anchor …):
    then the file is read as YAML in full.  Comment and blank lines are skipped.  What this
    returns is what YAML reads (tests/test_checking_property.py holds it to that).
    """
    if CONTROL.search(text.replace("\r\n", "\n")):
        return None  # ESC and the like: the full reader refuses them
    pairs = []
    for k, line in enumerate(text.split("\n")):
        m = SIMPLE_LINE.fullmatch(line.rstrip("\r"))
        if m is not None and (
            len(m.group(2)) > MAX_NUMBER_CHARS
            or len(m.group(1)) > MAX_TEXT
            or not m.group(2).isascii()  # Unicode digits are not digits
        ):
            return None  # the full reader (dlcalc.specs.loader) decides, with its limits
        if m is None:
            if SKIPPED_LINE.fullmatch(line.rstrip("\r")):
                continue
            return None
        pairs.append((m.group(1), m.group(2), k + 1))
    return pairs


def _flat_sheet(
    pairs: list[tuple[str, str, int]], tol: float | None, name: str, policy: MarkingPolicy
) -> Sheet:
    """The sheet of :func:`_simple_pairs`' lines: each value a plain number as written."""
    _check_claim_count(len(pairs), name)
    claims = []
    seen: set[str] = set()
    owner: str | None = None
    for key, text, line in pairs:
        if key in OWNER_KEYS:
            owner = text  # whose sheet it is (dlcalc vary's stubs)
            continue
        if key in seen:
            raise InputError("is claimed twice; keep one value", file=name, line=line, field=key)
        seen.add(key)
        value = float(text)
        if not math.isfinite(value):
            raise InputError(
                f"{text[:20]}… is too large; expected a number", file=name, line=line, field=key
            )
        written = tolerance(text)
        claim_tol = tol if tol is not None else (written if written is not None else EXACT)
        claims.append(Claim(key, value, text, claim_tol, line, text, _policy(tol, policy)))
    return Sheet(claims, {}, name, owner)


def _policy(tol: float | None, policy: MarkingPolicy) -> MarkingPolicy | None:
    """A fixed ``--tol`` replaces the marking policy; else the policy narrows each claim."""
    return None if tol is not None else policy


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
    return Index.of(solution).given


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


def unknown(name: str, index: Index) -> InputError:
    """The error for a name that is neither a quantity nor a path, with the right names near it."""
    from dlcalc.grading.check_names import suggestions

    close = suggestions(name, index.solution, index.by_label)
    if not close:
        options = list(index.names) + result_paths(index.result)
        close = difflib.get_close_matches(name, options, n=5, cutoff=0.5)
    hint = (
        f"; did you mean: {', '.join(close)}"
        if close
        else f"; valid names include {', '.join(list(index.names)[:8])}"
    )
    return InputError(f"no quantity or result path named {name!r}{hint}", field=name)


# --- judging --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    from dlcalc.model.plain import jsonable

    return jsonable(value)


def _number(x: Any) -> float | None:
    if type(x) is float:
        return x
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
    if type(claimed) is float and type(correct) is float and math.isfinite(claimed + correct):
        return abs(claimed - correct) <= tol * (1 + 1e-9) + 1e-12
    a, b = _number(claimed), _number(correct)
    if a is None or b is None:
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * (1 + 1e-9) + 1e-12


def _scaled(tol: Tol, k: float) -> Tol:
    return [_scaled(t, k) for t in tol] if isinstance(tol, list) else tol * k


@dataclass
class Index:
    """The solution read once, so that each claim costs a dictionary look-up, not a scan."""

    solution: Solution
    steps: list[Step]
    by_label: dict[str, Step]
    position: dict[str, int]  # print order
    given: dict[str, Any]
    inputs: dict[str, list[str]] = field(default_factory=dict)  # label → its inputs' labels
    _names: dict[str, list[str]] | None = None
    _result: Any = None
    _by_value: dict[float, list[str]] | None = None
    _normalized: dict[str, str] | None = None
    _order: list[Step] | None = None
    _label_paths: dict[str, str] | None = None

    @classmethod
    def of(cls, solution: Solution) -> Index:
        steps = list(solution.iter_steps())
        by_label: dict[str, Step] = {}
        for step in steps:
            by_label.setdefault(step.label, step)
        position = {label: k for k, label in enumerate(by_label)}
        given: dict[str, Any] = {}
        for step in steps:
            for a in step.args:
                if a.name not in by_label and a.name not in given:
                    given[a.name] = a.value
        return cls(
            solution,
            steps,
            by_label,
            position,
            given,
            {label: step.inputs for label, step in by_label.items()},
        )

    @property
    def names(self) -> dict[str, list[str]]:
        """Every accepted name → the labels it may mean (built when a claim is not a label)."""
        if self._names is None:
            self._names = _names(self.steps, self.by_label, self.given)
        return self._names

    @property
    def label_paths(self) -> dict[str, str]:
        """The result path of each label the topic maps (``Solution.paths``) that no step shows."""
        if self._label_paths is None:
            self._label_paths = {
                label: path
                for path, label in self.solution.paths.items()
                if label not in self.by_label and label not in self.given
            }
        return self._label_paths

    @property
    def result(self) -> Any:
        """The solution's ``result`` as plain JSON values (for result paths)."""
        if self._result is None:
            self._result = _plain(self.solution.result)
        return self._result

    def order(self) -> list[Step]:
        """The steps in dependency order (computed once; see :func:`_dependency_order`)."""
        if self._order is None:
            self._order = _dependency_order(self)
        return self._order

    def by_value(self, x: float) -> list[str]:
        """The labels of the steps whose value is exactly ``x``."""
        if self._by_value is None:
            self._by_value = {}
            for step in self.steps:
                v = _number(step.value)
                if v is not None:
                    self._by_value.setdefault(v, []).append(step.label)
        return self._by_value.get(x, [])

    def normalized(self) -> dict[str, str]:
        """Every accepted name in its normalized spelling (w₄₆⁺ = w46+), slide-style names too."""
        if self._normalized is None:
            from dlcalc.grading.check_names import normalize, slide_names

            table: dict[str, str] = {}
            for name, labels in self.names.items():
                if len(labels) == 1:
                    table.setdefault(normalize(name), labels[0])
            known = [*self.by_label, *self.given]
            for name, label in slide_names(self.solution, known).items():
                table.setdefault(name, label)
            self._normalized = table
        return self._normalized

    def lookup(self, name: str) -> list[str] | None:
        """The labels ``name`` may mean: exact names first, then slide-style and other spellings."""
        if name in self.by_label or name in self.given:
            return [name]  # a label always means itself
        labels = self.names.get(name)
        if labels is not None:
            return labels
        from dlcalc.grading.check_names import normalize

        base, tag = name, ""
        if "@" in name:
            base, _, rest = name.partition("@")
            tag = "@" + rest
        label = self.normalized().get(normalize(base))
        if label is None:
            return None
        if tag:
            label = label + tag
            return [label] if label in self.by_label or label in self.given else None
        return [label]


def _names(
    steps: list[Step], by_label: Mapping[str, Step], given: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Labels, givens, the steps' symbols (``∂E/∂w5``) and their ASCII spellings."""
    index: dict[str, list[str]] = {}

    def add(name: str, label: str) -> None:
        labels = index.setdefault(name, [])
        if label not in labels:
            labels.append(label)

    for label in by_label:
        index[label] = [label]
    for label in given:
        index.setdefault(label, [label])
    for step in steps:
        for name in (step.shown, _ascii(step.shown)):
            if name not in index or index[name] != [name]:
                add(name, step.label)
    for step in steps:
        for a in step.args:
            if a.symbol and a.name in index and a.symbol not in index:
                add(a.symbol, a.name)
    return index


def _link(index: Index, path: str, correct: Any) -> str | None:
    """The step that shows the result's value at ``path`` (None: none, or no way to tell which).

    By the result's structure first (``layers[1].weights[0][0]`` is the last update of w5;
    the topic's own ``Solution.paths`` map), confirmed by the value; else the one step
    holding exactly that value.  Whole numbers (counts, ±1 outputs) are too common to
    identify a step by value alone.
    """
    from dlcalc.grading.check_names import path_label

    x = _number(correct)
    label = index.solution.paths.get(_path_key(path))
    if label is None or label not in index.by_label:
        label = path_label(index.solution, path, index.by_label)
    if label is not None and label in index.by_label:
        step_value = index.by_label[label].value
        if _same(step_value, correct) or (
            x is not None and _number(step_value) is not None and _number(step_value) == x
        ):
            return label
    if x is None or not math.isfinite(x) or x == round(x):
        return None
    hits = index.by_value(x)
    return hits[0] if len(set(hits)) == 1 else None


def _path_key(path: str) -> str:
    """A result path as ``Solution.paths`` spells it: no ``result.`` prefix, no spaces."""
    return "".join(path.split()).removeprefix("result.")


def _dependency_order(index: Index) -> list[Step]:
    """The steps with every step after the steps it is computed from (print order where free).

    Print order is not enough: a softmax output ``out_o1`` is printed before ``net_o2``,
    which it depends on.
    """
    done: set[str] = set()
    order: list[Step] = []
    for root in index.by_label.values():
        if root.label in done:
            continue
        stack: list[tuple[Step, int]] = [(root, 0)]
        on_stack = {root.label}
        while stack:
            step, k = stack[-1]
            inputs = index.inputs[step.label]
            while k < len(inputs):
                name = inputs[k]
                k += 1
                child = index.by_label.get(name)
                if child is not None and name not in done and name not in on_stack:
                    stack[-1] = (step, k)
                    stack.append((child, 0))
                    on_stack.add(name)
                    break
            else:
                stack.pop()
                on_stack.discard(step.label)
                done.add(step.label)
                order.append(step)
    return order


def _carry_round(carry: int | None) -> Callable[[Any], Any]:
    """The student's rounding of every value they work out under ``--carry N`` (as the solution's)."""
    if carry is None:
        return lambda x: x
    from dlcalc.maths.numerics import rounder

    rnd = rounder(carry)

    def round_value(x: Any) -> Any:
        if isinstance(x, bool) or isinstance(x, str) or x is None:
            return x
        try:
            value = rnd(x)
        except Exception:
            return x
        return value.tolist() if hasattr(value, "tolist") else value

    return round_value


def resolve(
    index: Index, claims: Iterable[Claim], unknown_names: list[Claim] | None = None
) -> list[Verdict]:
    """One verdict (unmarked) per claim, naming the step or given it claims.

    A name that is neither a quantity nor a path fails, unless ``unknown_names`` is given: then
    it is appended there and the other claims are marked (a class report lists it in the row).
    """
    verdicts: list[Verdict] = []
    for claim in claims:
        labels = index.lookup(claim.name)
        if labels is not None and len(labels) > 1:
            raise InputError(
                f"{claim.name!r} is shown more than once; name one of: {', '.join(labels[:10])}",
                field=claim.name,
                line=claim.line,
            )
        if labels:
            label = labels[0]
            step = index.by_label.get(label)
            correct = step.value if step is not None else index.given[label]
            verdicts.append(Verdict(narrowed(claim, correct), label, None, correct))
            continue
        # a label no step shows (an elided cell, a gradient cell no window reaches) by its
        # path; else a path into result as written
        path = index.label_paths.get(claim.name)
        if path is None and WHOLE_PATH.fullmatch(claim.name.strip()):
            path = claim.name
        try:
            if path is None:
                raise KeyError(claim.name)
            correct = resolve_path(index.result, path)
        except KeyError:
            if unknown_names is not None:
                unknown_names.append(claim)
                continue
            error = unknown(claim.name, index)
            error.line = claim.line
            raise error from None
        verdicts.append(
            Verdict(narrowed(claim, correct), _link(index, path, correct), path, correct)
        )
    return verdicts


def narrowed(claim: Claim, correct: Any) -> Claim:
    """``claim`` with its tolerance decided by its marking policy against ``correct``."""
    if claim.policy is None or claim.written is None:
        return claim
    policy = claim.policy

    def tol(written: Any, value: Any, own: Tol) -> Tol:
        if hasattr(value, "tolist"):
            value = value.tolist()
        if isinstance(written, list):
            if not isinstance(value, (list, tuple)) or len(value) != len(written):
                return own  # the shapes differ: the claim is wrong whatever its tolerance
            owns = own if isinstance(own, list) else [own] * len(written)
            return [tol(w, v, o) for w, v, o in zip(written, value, owns)]
        if written is None:
            return own
        return claim_tolerance(written, value, policy)

    return dataclasses.replace(claim, tol=tol(claim.written, correct, claim.tol))


def quantity_key(index: Index, verdict: Verdict) -> str:
    """What a claim is about, however it is spelled: its step or given, else its result path
    with the indices counted from the front (``layers[-1]`` is ``layers[1]`` of two)."""
    if verdict.label is not None:
        return verdict.label
    path = verdict.path or verdict.claim.name
    parts = PATH.findall(path.removeprefix("result."))
    cur = index.result
    out = []
    for name, number in parts:
        if name:
            out.append("." + name)
            cur = cur.get(name) if isinstance(cur, dict) else None
        else:
            i = int(number)
            if isinstance(cur, list):
                i = i % len(cur) if cur else i
                cur = cur[i] if -len(cur) <= i < len(cur) else None
            out.append(f"[{i}]")
    return "result" + "".join(out)


def count_once(index: Index, verdicts: list[Verdict]) -> tuple[list[Verdict], list[Verdict]]:
    """The claims that count, and those that do not: a given of the problem claimed at its
    own value (copied, not worked out), and every spelling of a quantity after the first
    (``∂E/∂w5``, ``dE_dw5`` and ``dE/dw5`` are one claim).  Where the spellings disagree,
    the one that is not right counts, so writing a quantity twice can never earn a mark.
    A given claimed at a wrong value stays a claim: a misread given is a slip.
    """
    counted: dict[str, Verdict] = {}
    dropped: list[Verdict] = []
    for v in verdicts:
        is_given = v.label is not None and v.label in index.given and v.label not in index.by_label
        if is_given and within(v.claim.value, v.correct, v.claim.tol):
            v.note = "not counted: given in the problem"
            dropped.append(v)
            continue
        key = quantity_key(index, v)
        first = counted.get(key)
        if first is None:
            counted[key] = v
            continue
        keep, drop = first, v
        if within(first.claim.value, first.correct, first.claim.tol) and not within(
            v.claim.value, v.correct, v.claim.tol
        ):
            keep, drop = v, first
        counted[key] = keep
        drop.note = f"not counted: the same quantity as {keep.claim.name}"
        dropped.append(drop)
    kept = set(map(id, counted.values()))
    return [v for v in verdicts if id(v) in kept], dropped


def judge(
    solution: Solution | Index,
    claims: Iterable[Claim],
    carry: int | None = None,
    verdicts: list[Verdict] | None = None,
) -> Report:
    """Mark every claim right, wrong or carried forward (see the module docstring).

    ``carry``: the sheet was worked under ``--carry N``; the student's world rounds every
    value it works out to N decimals, as the solution does.  ``verdicts`` (from
    :func:`resolve`) saves resolving the same names again.
    """
    index = solution if isinstance(solution, Index) else Index.of(solution)
    not_counted: list[Verdict] = []
    if verdicts is None:
        verdicts, not_counted = count_once(index, resolve(index, claims))
    else:
        verdicts = [Verdict(v.claim, v.label, v.path, v.correct) for v in verdicts]
    if all(within(v.claim.value, v.correct, v.claim.tol) for v in verdicts):
        order = sorted(verdicts, key=lambda v: _place(index, v))
        return Report(order, not_counted=not_counted)  # nothing wrong: no world to redo
    rnd = _carry_round(carry)

    by_label: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.label is not None:
            by_label.setdefault(v.label, []).append(v)
    student: dict[
        str, Any
    ] = {}  # the student's value of every quantity that differs from the correct one
    tainted: set[str] = set()  # quantities that descend from a wrong claim

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
                if from_wrong and own is not None and not within(own, v.correct, 0.0):
                    v.expected = own  # what their own earlier values give: a second slip?
        student[label] = by_label[label][-1].claim.value
        if any(v.status != RIGHT for v in by_label[label]) or from_wrong:
            tainted.add(label)

    for label in index.given:
        if label in by_label:
            settle(label, None, False)
    for step in index.order():
        inputs = index.inputs[step.label]
        from_wrong = bool(tainted) and any(name in tainted for name in inputs)
        # Only what descends from a wrong value is worth redoing: elsewhere the student's
        # world differs from the solution by their rounding alone, which the claims' own
        # tolerances absorb (and under --carry, right claims are the carried values).
        own = step.value
        if from_wrong:
            own = _redo(step, student)
            if own is not None:
                own = rnd(own)
        if step.label in by_label:
            settle(step.label, own, from_wrong)
        elif own is not None and not _same(own, step.value):
            student[step.label] = own
            if from_wrong:
                tainted.add(step.label)
    for v in verdicts:
        if v.label is not None:
            continue
        v.status = RIGHT if within(v.claim.value, v.correct, v.claim.tol) else WRONG
        parts = _parts(index, v.path) if v.status == WRONG and v.path else None
        if parts and any(label in tainted for label in parts):
            # a vector or matrix path (time[1].y): carried when every number of it follows
            # from the student's own values
            own = [student.get(label, index.by_label[label].value) for label in parts]
            if within(_flat(v.claim.value), own, _flat_tol(v.claim.tol, len(own), ECF_SLACK)):
                v.status, v.expected = CARRIED, _shaped(own, v.correct)
            else:
                v.expected = _shaped(own, v.correct)

    order = sorted(verdicts, key=lambda v: _place(index, v))
    for v in order:
        if v.status == WRONG:
            v.first_wrong = True
            break
    return Report(order, not_counted=not_counted)


def _parts(index: Index, path: str) -> list[str] | None:
    """The step labels of every number under a list-valued result path, in order (None: not
    every number is a step the topic maps)."""
    try:
        value = resolve_path(index.result, path)
    except KeyError:
        return None
    if not isinstance(value, list):
        return None
    base = _path_key(path)
    labels: list[str] = []

    def walk(v: Any, at: str) -> bool:
        if isinstance(v, list):
            return all(walk(x, f"{at}[{k}]") for k, x in enumerate(v))
        label = index.solution.paths.get(at)
        if label is None or label not in index.by_label:
            return False
        labels.append(label)
        return True

    return labels if walk(value, base) and labels else None


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [value]


def _flat_tol(tol: Tol, n: int, k: float) -> list[float]:
    flat = _flat(tol) if isinstance(tol, list) else [tol] * n
    return [t * k for t in flat]


def _shaped(flat: list[Any], like: Any) -> Any:
    """``flat`` in the nesting of ``like``."""
    items = iter(flat)

    def build(x: Any) -> Any:
        return [build(v) for v in x] if isinstance(x, list) else next(items)

    return build(like)


def _place(index: Index, v: Verdict) -> tuple[int, int]:
    """Sort key of the report (stable): givens, then steps in print order, then paths."""
    if v.label is None:
        return (2, 0)
    if v.label in index.position:
        return (1, index.position[v.label])
    return (0, 0)


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


def fmt_points(x: float) -> str:
    """Points as a teacher writes them: 7, 6.5, 0.25 (no binary noise)."""
    return f"{round(x, 6):g}"


class Scoring(Protocol):
    """A ``marks:`` policy (:class:`dlcalc.grading.marking.Policy`): it scores a judged report.

    Passed in (as ``conventions`` is) so that checking does not import the marking built on it."""

    def scores_of(self, report: Report, index: Index, guard: Any = None) -> Any:
        """The points of every verdict of ``report`` (a :class:`dlcalc.grading.marking.Scores`)."""
        ...


# --- the marked solution --------------------------------------------------------------------


def marked(solution: Solution, report: Report) -> Solution:
    """The worked solution with every claim marked, a table of the claims and a summary line.

    The table holds the correct values themselves; renderers format them like every number.
    """
    labels = {step.label for step in solution.iter_steps()}
    scores = report.scores

    def points(v: Verdict) -> str | None:
        p = scores.of(v) if scores is not None else None
        if p is None or not p.asked:
            return None
        return f"{fmt_points(p.points)} of {fmt_points(p.max_points)}"

    marks: dict[str, Mark] = {}
    for v in report.verdicts:
        if v.label is not None and v.label in labels:
            marks[v.label] = Mark(
                v.status,
                v.claim.value,
                v.correct,
                printable(v.claim.text),
                v.expected,
                v.first_wrong,
                points(v),
            )
    signs = {RIGHT: "✓", WRONG: "✗", CARRIED: "↪ carried forward"}
    # a wrong claim after an earlier slip: what the student's own earlier values give, so
    # that they can tell a second slip from the first one carried
    own = any(v.status == WRONG and v.expected is not None for v in report.verdicts)
    rows = []
    reasons: dict[str, list[str]] = {}  # reasons a verdict and its points do not say, by claim
    for v in report.verdicts:
        verdict = signs[v.status] + (" ← where it went wrong" if v.first_wrong else "")
        if v.note:
            verdict = v.note
        row = [printable(v.claim.name), printable(v.claim.text), v.correct, verdict]
        if own:
            row.insert(3, v.expected if v.status == WRONG else None)
        p = scores.of(v) if scores is not None else None
        if scores is not None:
            row.append(f"{fmt_points(p.points)}/{fmt_points(p.max_points)}" if p else "")
        if p is not None and not PLAIN_REASON.fullmatch(p.reason):
            reasons.setdefault(p.reason, []).append(printable(v.claim.name))
        rows.append(row)
    columns = ["quantity", "you wrote", "correct", "verdict"]
    if own:
        columns.insert(3, "from your values")
    if scores is not None:
        columns.append("points")
    for v in report.not_counted:
        note = v.note or "not counted"
        row = [printable(v.claim.name), printable(v.claim.text), v.correct, note]
        if own:
            row.insert(3, None)
        rows.append(row + ([""] if scores is not None else []))
    section = Section("Your answers", [Table(columns, rows)])
    for reason, names in reasons.items():
        section.add(f"{', '.join(names)}: {reason}.")
    if scores is not None and not scores.policy.is_default:
        section.add(scores.policy.describe())
    section.add(report.summary())
    for hint in report.hints:
        section.add(hint)
    return solution.replace(
        command="check",
        sections=[*solution.sections, section],
        result=report.result(),
        marks=marks,
        notes=[*solution.notes],
    )


# Judges a report again under the textbook conventions (dlcalc.grading.conventions.apply):
# (index, report, sheet, problem) -> report.
Conventions = Callable[[Index, Report, Sheet, Any], Report]


def check_sheet(
    solution: Solution,
    sheet: Sheet,
    carry: int | None = None,
    problem: Any = None,
    index: Index | None = None,
    marks: Scoring | None = None,
    guard: Any = None,
    unknown_names: list[Claim] | None = None,
    *,
    conventions: Conventions | None,
) -> Report:
    """Judge one sheet: error carried forward, then the textbook conventions.

    ``conventions`` (:func:`dlcalc.grading.conventions.apply`, passed in so that checking does not
    import what builds on it; None: none tried) judges the report again under the
    conventions the sheet declares or its mismatches suggest.  ``problem`` (a
    :class:`dlcalc.grading.conventions.Problem`) lets conventions that change the problem be tried by
    solving it again; without it only conventions on the claimed values are tried.
    ``marks`` (:class:`dlcalc.grading.marking.Policy`, a ``marks:`` policy) gives the points (its
    tolerance mode reaches the claims through :func:`claim_tolerance`); ``guard`` (a
    :class:`dlcalc.grading.marking.Guard` of the same index) is shared by a class.
    ``unknown_names``: collect the claims naming no quantity there instead of failing (see
    :func:`resolve`).
    """
    try:
        index = index or Index.of(solution)
        verdicts, not_counted = count_once(index, resolve(index, sheet.claims, unknown_names))
        claims = [v.claim for v in verdicts]
        report = judge(index, claims, carry, verdicts)
        if conventions is not None:
            report = conventions(index, report, sheet, problem)
        if marks is not None:
            report.scores = marks.scores_of(report, index, guard)
    except InputError as e:
        e.file = sheet.name
        raise
    report.not_counted = not_counted
    return report


def check_solution(
    solution: Solution,
    answers: str,
    tol: float | None = None,
    carry: int | None = None,
    problem: Any = None,
    policy: MarkingPolicy = DEFAULT_POLICY,
    marks: Scoring | None = None,
    *,
    conventions: Conventions | None,
) -> tuple[Solution, Report]:
    """Load ``answers``, judge them against ``solution``; the marked solution and the report."""
    if marks is not None:
        policy = dataclasses.replace(policy, marks=marks)
    sheet = load_sheet(answers, tol, policy)
    sheet.name = "<stdin>" if answers == "-" else answers
    report = check_sheet(solution, sheet, carry, problem, marks=marks, conventions=conventions)
    return marked(solution, report), report


def _check_claim_count(count: int, name: str) -> None:
    """An answers file holds at least one claim and at most MAX_CLAIMS."""
    if not count:
        raise InputError(
            "expected a YAML mapping of quantity names to claimed values, e.g. `out_h1: 0.5933`",
            file=name,
        )
    if count > MAX_CLAIMS:
        raise InputError(f"has {count:,} claims; at most {MAX_CLAIMS:,}", file=name)
