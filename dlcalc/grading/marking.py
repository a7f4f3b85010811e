"""The marking policy: points per step, how close is close enough, and credit carried forward.

A problem file's ``marks:`` (or ``--marks FILE``) becomes a :class:`Policy`.  It does two
things to a checked sheet, and nothing else:

* **before judging** it decides each claim's tolerance (:meth:`Policy.tolerance_of`, called
  by :func:`dlcalc.grading.checking.claim_tolerance`, the one place tolerances are decided): one of
  ``absolute`` ±v, ``relative`` ±v·|correct|, ``significant`` (half a unit in the n-th
  significant figure of the correct value) or ``decimals`` (half a unit in the n-th
  decimal); ``strict`` also asks the claim to be *written* to exactly that many digits
  (0.0051 is not 0.005 to one significant figure).  Without a policy tolerance each
  claim keeps the default rule of :mod:`dlcalc.grading.checking`.
* **after judging** it turns verdicts into points (:func:`score`): a right claim earns its
  step's weight (less the precision penalty when written with too few digits), a claim
  carried forward earns ``carried_forward`` of it, a wrong one nothing; each quantity
  counts once however often it is claimed.  The **gaming guard** withholds carried-forward
  credit where an earlier wrong value the claim builds on is not a value its step can take
  (outside the range of its formula, such as 1 for a sigmoid output, or 0 where it makes
  the later steps trivial), and says so.

Nothing here prints; the reasons are plain sentences that the renderers show.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dlcalc.errors import InputError
from dlcalc.grading.checking import fmt_points

if TYPE_CHECKING:
    from dlcalc.grading.checking import Claim, Index, Report, Verdict
    from dlcalc.model.formula import Node
    from dlcalc.specs.marks import MarksSpec, PrecisionSpec, ToleranceSpec

NUMBER_TEXT = re.compile(r"[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", re.ASCII)
NUMBER_TOKEN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
NEVER = -1.0  # a tolerance no claim meets: the claim is not written as the policy requires


# --- how a number was written -----------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """The digits of a number as written: decimals, and its significant figures (a range
    where trailing zeros of a whole number may or may not count: ``500`` has 1 to 3)."""

    decimals: int
    fewest: int
    most: int


def written(text: str) -> Written | None:
    """How ``text`` is written (None: not a plain decimal number)."""
    m = NUMBER_TEXT.fullmatch(text.strip().replace("−", "-").replace("_", ""))
    if not m or not (m.group(1) or m.group(2)):
        return None
    whole, frac, exp = m.group(1) or "", m.group(2) or "", int(m.group(3) or 0)
    decimals = len(frac) - exp
    digits = (whole + frac).lstrip("0")
    if not digits:  # 0, 0.000: as many figures as written after the point (0.00 → 1)
        return Written(decimals, 1, max(1, len(frac)))
    if frac or m.group(2) is not None:
        return Written(decimals, len(digits), len(digits))
    return Written(decimals, len(digits.rstrip("0")) or 1, len(digits))


def _texts(claim: Claim) -> list[str]:
    """The claim's numbers as written, one per value (lists flattened)."""
    if claim.written is not None:
        return [w for w in _flat(claim.written) if isinstance(w, str)]
    if isinstance(claim.value, list):
        return NUMBER_TOKEN.findall(claim.text)
    return [claim.text]


def _flat(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    return [value]


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


# --- the policy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A marking policy (see the module docstring); ``Policy()`` is the default one."""

    default: float = 1.0
    steps: Mapping[str, float] = field(default_factory=dict)
    mode: str | None = None  # tolerance mode; None: each claim's default rule
    value: float = 0.0
    strict: bool = False
    carried_forward: float = 1.0
    precision: tuple[str, int, float] | None = None  # (mode, digits, credit)
    ask: tuple[str, ...] | None = None
    bound: bool = False  # ask and steps name their quantities by the keys claims get (bind)
    # the files ``ask`` and ``marks`` were read from (Documents), for messages
    sources: tuple[Any, Any] = field(default=(None, None), compare=False)

    def bind(self, index: Index) -> Policy:
        """This policy with ``ask`` and ``steps`` named as the claims are keyed (labels, result
        paths); a name the solution does not have is invalid input at its line of the file."""
        if self.bound:
            return self

        def key(name: str, where: str, loc: tuple[str | int, ...]) -> str:
            try:
                return quantity_of(index, name)
            except InputError as e:
                e.field = where
                doc = self.sources[0 if loc[0] == "ask" else 1]
                if doc is not None:
                    e.file, e.line = doc.name, doc.line_of(loc)
                raise

        asked = None
        if self.ask is not None:
            asked = tuple(
                dict.fromkeys(key(n, f"ask[{k}]", ("ask", k)) for k, n in enumerate(self.ask))
            )
        steps = {
            key(n, f"marks.steps.{n}", ("marks", "steps", n)): w for n, w in self.steps.items()
        }
        return replace(self, ask=asked, steps=steps, bound=True)

    @classmethod
    def of(cls, spec: MarksSpec | None, ask: Iterable[str] | None = None) -> Policy:
        """The policy of a ``marks:`` mapping (already validated) and an ``ask:`` list."""
        asked = tuple(ask) if ask is not None else None
        if spec is None:
            return cls(ask=asked)
        tol: ToleranceSpec | None = spec.tolerance
        prec: PrecisionSpec | None = spec.precision
        return cls(
            default=spec.default,
            steps=dict(spec.steps),
            mode=tol.mode if tol else None,
            value=tol.value if tol else 0.0,
            strict=tol.strict if tol else False,
            carried_forward=spec.carried_forward,
            precision=(prec.mode, int(prec.value), prec.credit) if prec else None,
            ask=asked,
        )

    @property
    def is_default(self) -> bool:
        """Nothing set: 1 point a claim, full credit carried forward, the default tolerance."""
        return self == Policy(bound=self.bound, ask=self.ask) and self.ask is None

    def describe(self) -> str:
        """One sentence for the teacher and the student: what the policy does."""
        parts = []
        if self.mode is not None:
            unit = {
                "absolute": f"within ±{self.value:g}",
                "relative": f"within {self.value * 100:g} % of the correct value",
                "significant": f"to {int(self.value)} significant figure{'s' if self.value != 1 else ''}",
                "decimals": f"to {int(self.value)} decimal{'s' if self.value != 1 else ''}",
            }[self.mode]
            parts.append(
                f"right {unit}" + (" (strict: rounded to exactly that)" if self.strict else "")
            )
        share = self.carried_forward
        parts.append(
            "carried forward earns a step's full points"
            if share == 1
            else f"carried forward earns {_share(share)} of a step's points"
        )
        if self.precision is not None:
            mode, digits, credit = self.precision
            what = "significant figures" if mode == "significant" else "decimals"
            parts.append(f"fewer than {digits} {what} written earns {_share(credit)}")
        return "Marking: " + "; ".join(parts) + "."

    def scores_of(self, report: Report, index: Index, guard: Guard | None = None) -> Scores:
        """The points of every verdict of ``report`` under this policy (:func:`score`)."""
        return score(report, self, index, guard)

    # -- tolerance (before judging) --

    def tolerance_of(self, text: str, correct: Any) -> float:
        """The tolerance of a number written ``text`` against ``correct``; called by
        :func:`dlcalc.grading.checking.claim_tolerance`, the one place tolerances are decided."""
        c = _number(correct)
        if c is None or not math.isfinite(c):
            return 0.0
        if self.strict and not self.written_as_asked(text):
            return NEVER
        if self.mode == "absolute":
            return self.value
        if self.mode == "relative":
            return self.value * abs(c)
        if self.mode == "decimals":
            return 0.5 * 10.0 ** -int(self.value)
        if c == 0:
            return 0.0
        return 0.5 * 10.0 ** (math.floor(math.log10(abs(c))) - int(self.value) + 1)

    def written_as_asked(self, text: str) -> bool:
        """Strict modes: is ``text`` written to exactly the policy's digits?"""
        w = written(text)
        if w is None:
            return False
        n = int(self.value)
        return w.decimals == n if self.mode == "decimals" else w.fewest <= n <= w.most

    # -- points (after judging) --

    def too_few_digits(self, claim: Claim) -> str | None:
        """Why a right claim loses the precision penalty (None: written with enough digits)."""
        if self.precision is None:
            return None
        mode, digits, _ = self.precision
        for text in _texts(claim):
            w = written(text)
            if w is None:
                continue
            have = w.decimals if mode == "decimals" else w.most
            if have < digits:
                what = "decimal" if mode == "decimals" else "significant figure"
                return f"written with {max(have, 0)} {what}{'s' if have != 1 else ''} where {digits} are asked"
        return None


def _share(fraction: float) -> str:
    if fraction == 1:
        return "full"
    if fraction == 0:
        return "no"
    return f"{fraction * 100:g} %"


def load_policy(doc: Any, marks_file: str | None = None) -> Policy:
    """The policy of a problem file (its ``marks:`` and ``ask:``), or of ``--marks FILE`` when
    given (its ``ask:``, else the problem's); the default policy when there is neither (every
    claim 1 point, carried forward full credit, the default tolerance)."""
    from dlcalc.specs.marks import read_marks

    own = read_marks(doc)
    if marks_file is not None:
        from dlcalc.specs.loader import load
        from dlcalc.specs.marks import load_marks_file

        marks_doc = load(marks_file)
        other = load_marks_file(marks_doc)
        if other.ask is None:  # the problem's ask with the file's marks
            return replace(Policy.of(other.marks, own.ask), sources=(doc, marks_doc))
        return replace(Policy.of(other.marks, other.ask), sources=(marks_doc, marks_doc))
    return replace(Policy.of(own.marks, own.ask), sources=(doc, doc))


def quantity_of(index: Index, name: str) -> str:
    """The key a claim of ``name`` gets (a label, symbol, slide-style name or result path):
    its step's label, else its result path; a name the solution lacks is invalid input."""
    labels = index.lookup(name)
    if labels is not None and len(labels) == 1:
        return labels[0]
    if labels:
        raise InputError(f"{name!r} is shown more than once; name one of: {', '.join(labels[:10])}")
    from dlcalc.grading.checking import Claim, Verdict, _link, quantity_key, resolve_path, unknown

    try:
        correct = resolve_path(index.result, name)
    except KeyError:
        raise unknown(name, index) from None
    path = Verdict(Claim(name, None, name, 0.0), _link(index, name, correct), name, correct)
    return quantity_key(index, path)


# --- the gaming guard ------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """An interval of reals; an open end is one the quantity cannot reach."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = True
    hi_open: bool = True

    @classmethod
    def point(cls, x: float) -> Range:
        return cls(x, x, False, False)

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.lo) or math.isfinite(self.hi)

    def holds(self, x: float) -> bool:
        if x < self.lo or x > self.hi:
            return False
        return not ((x == self.lo and self.lo_open) or (x == self.hi and self.hi_open))

    def __str__(self) -> str:
        def end(x: float) -> str:
            return (
                "∞"
                if x == math.inf
                else "−∞"
                if x == -math.inf
                else f"{x + 0.0:g}".replace("-", "−")
            )

        return f"{'(' if self.lo_open else '['}{end(self.lo)}, {end(self.hi)}{')' if self.hi_open else ']'}"


ANY = Range()
# Strictly increasing functions: (f, its limit at −∞, its limit at +∞); the limits are never reached.
MONOTONE: dict[str, tuple[Any, float, float]] = {
    "exp": (lambda x: math.exp(x) if x < 709 else math.inf, 0.0, math.inf),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)) if x > -709 else 0.0, 0.0, 1.0),
    "tanh": (math.tanh, -1.0, 1.0),
    "softplus": (lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))), 0.0, math.inf),
    "sqrt": (math.sqrt, 0.0, math.inf),
    "ln": (math.log, -math.inf, math.inf),
    "log2": (math.log2, -math.inf, math.inf),
    "log10": (math.log10, -math.inf, math.inf),
}
DOMAIN_LOW = {"sqrt": 0.0, "ln": 0.0, "log2": 0.0, "log10": 0.0}


def _monotone(name: str, r: Range) -> Range:
    f, low, high = MONOTONE[name]
    if r.lo < DOMAIN_LOW.get(name, -math.inf):
        return ANY
    if name in DOMAIN_LOW and r.lo == 0:
        lo = low if name != "sqrt" else 0.0
    else:
        lo = low if r.lo == -math.inf else float(f(r.lo))
    hi = high if r.hi == math.inf else float(f(r.hi))
    return Range(lo, hi, r.lo_open or math.isinf(r.lo), r.hi_open or math.isinf(r.hi))


def _corner(a: float, b: float) -> float:
    if (a == 0 and math.isinf(b)) or (b == 0 and math.isinf(a)):
        return math.nan
    return a * b


class Ranges:
    """The range of values each step of a solution can take, whatever its inputs (givens
    fixed), by interval arithmetic on its formula: sound (never too narrow), not always tight."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.known: dict[str, Range] = {}

    def of(self, label: str) -> Range:
        """The range of step ``label``; a given (a weight, an input, a target) may be anything."""
        if label not in self.known:
            step = self.index.by_label.get(label)
            self.known[label] = ANY  # while it is worked out (steps form no cycles; be safe)
            if step is not None and step.expr is not None:
                try:
                    self.known[label] = self._node(step.expr)
                except (ArithmeticError, ValueError, TypeError, RecursionError):
                    self.known[label] = ANY
        return self.known[label]

    def _node(self, node: Node) -> Range:  # noqa: C901  (one case per node type)
        from dlcalc.model.formula import Add, Call, Div, Mul, Neg, Num, Pow, Q, Sub

        if isinstance(node, Q):
            return self.of(node.label)
        if isinstance(node, Num):
            x = _number(node.value) if not hasattr(node.value, "numerator") else float(node.value)
            return Range.point(x) if x is not None else ANY
        if isinstance(node, Neg):
            r = self._node(node.operand)
            return Range(-r.hi, -r.lo, r.hi_open, r.lo_open)
        if isinstance(node, Add):
            out = self._node(node.terms[0])
            for t in node.terms[1:]:
                out = _plus(out, self._node(t))
            return out
        if isinstance(node, Sub):
            r = self._node(node.right)
            return _plus(self._node(node.left), Range(-r.hi, -r.lo, r.hi_open, r.lo_open))
        if isinstance(node, Mul):
            out = self._node(node.factors[0])
            for f in node.factors[1:]:
                out = _times(out, self._node(f))
            return out
        if isinstance(node, Div):
            share = self._share(node)
            if share is not None:
                return share
            return _times(self._node(node.numerator), _inverse(self._node(node.denominator)))
        if isinstance(node, Pow):
            return _power(self._node(node.base), node.exponent)
        if isinstance(node, Call) and len(node.args) == 1:
            r = self._node(node.args[0])
            if node.function in MONOTONE:
                return _monotone(node.function, r)
            if node.function == "relu":  # max(0, x): reaches 0
                if r.lo >= 0:
                    return r
                return Range(0.0, max(r.hi, 0.0), False, r.hi_open if r.hi > 0 else False)
        return ANY

    def _share(self, node: Any) -> Range | None:
        """n/(… + n + …) with every term ≥ 0: a share of a total, in [0, 1] (a softmax output)."""
        from dlcalc.model.formula import Add

        d = node.denominator
        if not isinstance(d, Add):
            return None
        key = repr(node.numerator)
        if not any(repr(t) == key for t in d.terms):
            return None
        ranges = [self._node(t) for t in d.terms]
        if any(r.lo < 0 for r in ranges):
            return None
        mine = self._node(node.numerator)
        others = [r for t, r in zip(d.terms, ranges) if repr(t) != key]
        positive = lambda r: r.lo > 0 or (r.lo == 0 and r.lo_open)  # noqa: E731
        return Range(0.0, 1.0, positive(mine), any(positive(r) for r in others))


def _plus(a: Range, b: Range) -> Range:
    return Range(a.lo + b.lo, a.hi + b.hi, a.lo_open or b.lo_open, a.hi_open or b.hi_open)


def _times(a: Range, b: Range) -> Range:
    corners = [
        (_corner(x, y), ox or oy)
        if not ((x == 0 and not ox) or (y == 0 and not oy))
        else (0.0, False)
        for x, ox in ((a.lo, a.lo_open), (a.hi, a.hi_open))
        for y, oy in ((b.lo, b.lo_open), (b.hi, b.hi_open))
    ]
    if any(math.isnan(v) for v, _ in corners):
        return ANY
    lo = min(v for v, _ in corners)
    hi = max(v for v, _ in corners)
    return Range(
        lo,
        hi,
        all(o for v, o in corners if v == lo) or math.isinf(lo),
        all(o for v, o in corners if v == hi) or math.isinf(hi),
    )


def _inverse(r: Range) -> Range:
    if r.lo > 0 or (r.lo == 0 and r.lo_open):
        pass
    elif r.hi < 0 or (r.hi == 0 and r.hi_open):
        pass
    else:
        return ANY  # the divisor may be 0

    def inv(x: float) -> float:
        return (
            0.0
            if math.isinf(x)
            else math.inf
            if x == 0 and r.lo >= 0
            else -math.inf
            if x == 0
            else 1 / x
        )

    return Range(inv(r.hi), inv(r.lo), r.hi_open, r.lo_open)


def _power(base: Range, exponent: Any) -> Range:
    from dlcalc.model.formula import Num

    if not isinstance(exponent, Num):
        return ANY
    try:
        k = float(exponent.value)
    except (TypeError, ValueError):
        return ANY
    if k == 2:
        if base.lo >= 0:
            return Range(base.lo**2, base.hi**2, base.lo_open, base.hi_open)
        if base.hi <= 0:
            return Range(base.hi**2, base.lo**2, base.hi_open, base.lo_open)
        top = max(-base.lo, base.hi)
        return Range(0.0, top**2, False, (base.hi_open if base.hi >= -base.lo else base.lo_open))
    return ANY


@dataclass
class Guard:
    """Decides whether a claim carried forward earns credit (see the module docstring)."""

    index: Index
    ranges: Ranges

    @classmethod
    def of(cls, index: Index) -> Guard:
        return cls(index, Ranges(index))

    def implausible(self, label: str, value: Any, correct: Any) -> str | None:
        """Why ``value`` is no value that step ``label`` can honestly take (None: it can)."""
        x, c = _number(value), _number(correct)
        if x is None:
            return None
        r = self.ranges.of(label)
        step = self.index.by_label.get(label)
        formula = step.formula() if step is not None else None
        if r.bounded and not r.holds(x):
            where = f" ({formula})" if formula else ""
            return f"outside {r}, the values its formula{where} can take"
        if x == 0 and c is not None and c != 0:
            return "0, which makes the later steps trivial"
        return None

    def withheld(self, v: Verdict, earlier: Mapping[str, Verdict]) -> str | None:
        """Why carried-forward credit for ``v`` is withheld: an implausible earlier value it builds on."""
        if v.label is None:
            return None
        seen: set[str] = set()
        stack = list(self.index.inputs.get(v.label, ()))
        found: list[tuple[int, str]] = []
        while stack:
            label = stack.pop()
            if label in seen:
                continue
            seen.add(label)
            before = earlier.get(label)
            if before is not None and before.status != "right":
                why = self.implausible(label, before.claim.value, before.correct)
                if why is not None:
                    text = f"it builds on your {before.claim.name} = {before.claim.text}, {why}"
                    found.append((self.index.position.get(label, 0), text))
            stack.extend(self.index.inputs.get(label, ()))
        return min(found)[1] if found else None  # the earliest: where the trouble starts


# --- points ------------------------------------------------------------------------------------


@dataclass
class Points:
    """The points of one claim, and why."""

    points: float
    max_points: float
    reason: str
    asked: bool = True


@dataclass
class Scores:
    """A sheet's score under a policy."""

    score: float
    max_score: float
    by_claim: dict[int, Points]  # id(verdict) → its points
    unanswered: list[tuple[str, float]] = field(default_factory=list)  # (label, points lost)
    withheld: list[tuple[str, str]] = field(default_factory=list)  # (claim name, why)
    policy: Policy = field(default_factory=Policy)

    def of(self, v: Verdict) -> Points | None:
        return self.by_claim.get(id(v))

    def line(self) -> str:
        """``Score: 7 of 12 points.`` with what was not answered and any credit withheld."""
        text = f"Score: {fmt_points(self.score)} of {fmt_points(self.max_score)} point{'s' if self.max_score != 1 else ''}."
        if self.unanswered:
            names = ", ".join(label for label, _ in self.unanswered[:10])
            more = f" and {len(self.unanswered) - 10} more" if len(self.unanswered) > 10 else ""
            text += f" Not answered: {names}{more}."
        if self.withheld:
            n = len(self.withheld)
            text += f" Carried-forward credit withheld on {n} claim{'s' if n != 1 else ''}: {self.withheld[0][1]}."
        return text


def score(report: Report, policy: Policy, index: Index, guard: Guard | None = None) -> Scores:
    """Points for every verdict of ``report`` under ``policy`` (see the module docstring).

    Each quantity is one verdict by now (:func:`dlcalc.grading.checking.count_once`)."""
    from dlcalc.grading.checking import quantity_key

    guard = guard or Guard.of(index)
    policy = policy.bind(index)
    asked = policy.ask

    def weight(key: str) -> float:
        return policy.steps.get(key, policy.default)

    by_label = {v.label: v for v in report.verdicts if v.label is not None}
    by_claim: dict[int, Points] = {}
    withheld: list[tuple[str, str]] = []
    answered: set[str] = set()
    total = maximum = 0.0
    for v in report.verdicts:
        key = quantity_key(index, v)
        answered.add(key)
        if asked is not None and key not in asked:
            by_claim[id(v)] = Points(0.0, 0.0, "not asked: marked, but earns no points", False)
            continue
        p = _points(v, weight(key), policy, guard, by_label)
        if p.reason.startswith(NO_CREDIT):
            withheld.append((v.claim.name, p.reason.removeprefix(NO_CREDIT)))
        by_claim[id(v)] = p
        total += p.points
        maximum += p.max_points
    unanswered = [(k, weight(k)) for k in (asked or []) if k not in answered]
    maximum += sum(points for _, points in unanswered)
    return Scores(total, maximum, by_claim, unanswered, withheld, policy)


NO_CREDIT = "carried forward, but no credit: "


def _points(
    v: Verdict, weight: float, policy: Policy, guard: Guard, earlier: Mapping[str, Verdict]
) -> Points:
    w = fmt_points(weight)
    if v.status == "right":
        why = policy.too_few_digits(v.claim)
        if why is not None:
            credit = policy.precision[2] if policy.precision else 1.0
            return Points(weight * credit, weight, f"right, but {why}: {_share(credit)} of {w}")
        what = f"right under {v.note}" if v.note else "right"
        return Points(weight, weight, what)
    if v.status == "carried":
        reason = guard.withheld(v, earlier)
        if reason is not None:
            return Points(0.0, weight, NO_CREDIT + reason)
        share = policy.carried_forward
        return Points(
            weight * share,
            weight,
            f"carried forward: {_share(share)} of {w}",
        )
    if policy.strict and policy.mode is not None:
        texts = _texts(v.claim)
        if texts and not all(policy.written_as_asked(t) for t in texts):
            n = int(policy.value)
            what = "significant figures" if policy.mode == "significant" else "decimals"
            return Points(0.0, weight, f"wrong: not rounded to {n} {what} as asked (strict)")
    return Points(0.0, weight, "wrong" + (" (where it went wrong)" if v.first_wrong else ""))
