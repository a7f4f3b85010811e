"""Textbook conventions that ``check`` recognises, so that a convention is not marked as a mistake.

Textbooks and slides disagree on signs, factors and orders: Han & Kamber's error term is
Err = O(1 − O)(T − O), which is −δ; some write the loss Σ(t − o)² without the ½; Mazur's
blog reports the loss after a *sequential* update.  Each :class:`Convention` is one such
variant, and is one of three kinds:

* ``problem``: a transformation of the problem file, solved again (``sse`` for ``half_sse``,
  targets coded ±1 for 0/1, log base 2, KL(q‖p) for KL(p‖q), …);
* ``claims``: a transformation of the student's claimed values (Err = −δ);
* ``engine``: a variant of the computation itself (the sequential update).

:func:`detect` tries them when claims are wrong and accepts a convention only where it
*explains* at least two claims (wrong under dlcalc's convention, right under it) and breaks
none, or where the answers file declares it (``conventions: {delta_sign: han_kamber}``).  A
convention that explains a single claim is not accepted (a coincidence is too likely); the
claim stays ✗ with a hint.  Nothing here prints.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dlcalc.errors import InputError

if TYPE_CHECKING:
    from dlcalc.grading.checking import Index, Report, Sheet, Verdict
    from dlcalc.model.steps import Solution

Data = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """What the detector may re-solve: the command, the problem's data and how to solve it."""

    command: str
    data: Data
    solve: Callable[[Data], Solution]  # solves problem data with ``command`` (and the same --carry)
    carry: int | None = None
    every_step: bool = False
    # Variant solutions by the conventions that made them: a class's sheets share them.
    solved: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Convention:
    """One textbook convention: ``key: value`` as an answers file declares it."""

    key: str
    value: str
    commands: tuple[str, ...]
    title: str  # "Han & Kamber's sign convention (Err = −δ)"
    kind: str  # "problem" | "claims" | "engine"
    problem: Callable[[Data], Data | None] | None = None  # the variant's data (None: n/a)
    claim: Callable[[str, Any], Any] | None = None  # (label, claimed) → value in dlcalc's terms
    because: str = "{name} = {text} is what this convention gives"
    # Which labels the variant can change (None: any); a sheet whose unexplained claims are
    # all elsewhere is not re-solved for it.
    affects: Callable[[str], bool] | None = None
    # kind "alternative": the solver's own variant of this very solution (Solution.alternatives)
    alternative: Callable[[], Solution] | None = None

    @property
    def name(self) -> str:
        return f"{self.key}: {self.value}"

    def note(self, v: Verdict) -> str:
        label = v.label or ""
        unit = label.removeprefix("delta_").split("@")[0]
        return self.because.format(name=v.claim.name, text=v.claim.text, label=label, unit=unit)


# --- the variants ---------------------------------------------------------------------------


def _switch(
    key: str, pairs: Mapping[Any, Any], default: Any = None
) -> Callable[[Data], Data | None]:
    """A problem variant that replaces ``data[key]`` by its partner in ``pairs``."""

    def variant(data: Data) -> Data | None:
        current = data.get(key, default)
        if current not in pairs:
            return None
        out = copy.deepcopy(data)
        out[key] = pairs[current]
        return out

    return variant


NATS = (None, "e", "ln", "nat", "nats", math.e)
BITS = (2, "2", "bit", "bits")


def _base(frm: tuple[Any, ...], to: Any) -> Callable[[Data], Data | None]:
    """Logarithms to another base: ``base`` in ``frm`` (any spelling) becomes ``to``."""

    def variant(data: Data) -> Data | None:
        base = data.get("base")
        if (base.strip().lower() if isinstance(base, str) else base) not in frm:
            return None
        out = copy.deepcopy(data)
        out["base"] = to
        return out

    return variant


def _targets(coding: str) -> Callable[[Data], Data | None]:
    """Targets coded the other way: 0/1 → ±1 (``coding='pm1'``) or ±1 → 0/1 (``'01'``)."""
    frm, to = ({0, 1}, lambda t: 2 * t - 1) if coding == "pm1" else ({-1, 1}, lambda t: (t + 1) / 2)

    def recode(target: Any) -> Any:
        if (
            isinstance(target, list)
            and target
            and all(
                isinstance(t, (int, float)) and not isinstance(t, bool) and t in frm for t in target
            )
        ):
            return [to(t) for t in target]
        return None

    def variant(data: Data) -> Data | None:
        out = copy.deepcopy(data)
        found = False
        if "target" in out:
            new = recode(out["target"])
            if new is None:
                return None
            out["target"], found = new, True
        for example in out.get("examples") or []:
            if isinstance(example, dict) and "target" in example:
                new = recode(example["target"])
                if new is None:
                    return None
                example["target"], found = new, True
        return out if found and out != data else None  # [1] is 1 in both codings

    return variant


def _reversed_kl(data: Data) -> Data | None:
    if "p" not in data or "q" not in data:
        return None
    out = copy.deepcopy(data)
    out["p"], out["q"] = data["q"], data["p"]
    return out


def _sigma_as_logvar(data: Data) -> Data | None:
    """The given σ read as ln σ² (or the given ln σ² read as σ)."""
    g = data.get("gaussian")
    if not isinstance(g, dict) or g.get("q") is not None:
        return None
    out = copy.deepcopy(data)
    if "sigma" in g:
        out["gaussian"]["logvar"] = out["gaussian"].pop("sigma")
    elif "logvar" in g:
        out["gaussian"]["sigma"] = out["gaussian"].pop("logvar")
    else:
        return None
    return out


def _threshold_sign(data: Data) -> Data | None:
    """θ subtracted where the bias is added: each unit's ``bias`` read as a ``threshold`` (and back)."""
    units = data.get("perceptrons")
    if not isinstance(units, list):
        return None
    out = copy.deepcopy(data)
    for unit in out["perceptrons"]:
        if not isinstance(unit, dict):
            return None
        if "bias" in unit and unit["bias"] is not None:
            unit["threshold"] = unit.pop("bias")
        elif "threshold" in unit and unit["threshold"] is not None:
            unit["bias"] = unit.pop("threshold")
    return out


def _flip_kernels(data: Data) -> Data | None:
    """Every convolution's kernel rotated 180° (``flip`` toggled): convolution vs cross-correlation."""
    layers = data.get("layers")
    if not isinstance(layers, list):
        return None
    out = copy.deepcopy(data)
    found = False
    for layer in out["layers"]:
        conv = layer.get("conv") if isinstance(layer, dict) else None
        if isinstance(conv, dict):
            conv["flip"] = not conv.get("flip", False)
            found = True
    return out if found else None


def _after_first_forward(label: str) -> bool:
    """Everything but the first forward pass (net, out of the first example, before any update)."""
    base, _, tag = label.partition("@")
    return tag not in ("", "1") or not base.startswith(("net_", "out_"))


def _negate_delta(label: str, value: Any) -> Any:
    if not label.startswith("delta_"):
        return value
    if isinstance(value, list):
        return [-v if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return -value
    return value


NETWORK = ("forward", "backprop")

CONVENTIONS: tuple[Convention, ...] = (
    Convention(
        "delta_sign",
        "han_kamber",
        NETWORK[1:],
        "Han & Kamber's sign convention (Err = O(1 − O)(T − O) = −δ)",
        "claims",
        claim=_negate_delta,
        because="your {name} = {text} is −δ_{unit}: Han & Kamber's sign convention (Err = −δ)",
        affects=_after_first_forward,
    ),
    Convention(
        "update",
        "sequential",
        NETWORK[1:],
        "sequential update (hidden δ from the already-updated output weights)",
        "engine",
        because="{name} = {text} is what a sequential update gives: hidden δ computed from the already-updated output weights",
        affects=_after_first_forward,
    ),
    Convention(
        "loss",
        "sse",
        NETWORK,
        "E = Σ(t − o)², without the ½",
        "problem",
        problem=_switch("loss", {"half_sse": "sse"}, "half_sse"),
        because="{name} = {text} is what E = Σ(t − o)² gives: the loss without the ½",
        affects=_after_first_forward,
    ),
    Convention(
        "loss",
        "half_sse",
        NETWORK,
        "E = ½Σ(t − o)²",
        "problem",
        problem=_switch("loss", {"sse": "half_sse"}, "half_sse"),
        because="{name} = {text} is what E = ½Σ(t − o)² gives",
        affects=_after_first_forward,
    ),
    Convention(
        "targets",
        "plus_minus_one",
        NETWORK,
        "targets coded ±1 instead of 0/1",
        "problem",
        problem=_targets("pm1"),
        because="{name} = {text} is what targets coded ±1 (not 0/1) give",
        affects=_after_first_forward,
    ),
    Convention(
        "targets",
        "zero_one",
        NETWORK,
        "targets coded 0/1 instead of ±1",
        "problem",
        problem=_targets("01"),
        because="{name} = {text} is what targets coded 0/1 (not ±1) give",
        affects=_after_first_forward,
    ),
    Convention(
        "threshold",
        "subtracted",
        ("perceptron",),
        "the threshold θ subtracted (w·x − θ) where the bias is added, or the other way round",
        "problem",
        problem=_threshold_sign,
        because="{name} = {text} is what a threshold θ subtracted (w·x − θ) instead of a bias added gives, or the other way round",
    ),
    Convention(
        "fire_at_zero",
        "flipped",
        ("perceptron",),
        "the other choice of firing at exactly 0 (≥ 0 vs > 0)",
        "problem",
        problem=lambda data: {
            **copy.deepcopy(data),
            "fire_at_zero": not data.get("fire_at_zero", True),
        },
        because="{name} = {text} is what the other choice at exactly 0 (fire at ≥ 0 vs only > 0) gives",
    ),
    Convention(
        "kernel",
        "flipped",
        ("conv",),
        "the kernel rotated 180° (convolution) where the problem asks for cross-correlation, or the other way round",
        "problem",
        problem=_flip_kernels,
        because="{name} = {text} is what the kernel rotated 180° gives (convolution vs cross-correlation)",
    ),
    Convention(
        "log_base",
        "two",
        ("crossentropy", "kld"),
        "logarithms to base 2 (bits) instead of ln",
        "problem",
        problem=_base(NATS, 2),
        because="{name} = {text} is in bits (log₂), not nats (ln)",
    ),
    Convention(
        "log_base",
        "e",
        ("crossentropy", "kld"),
        "natural logarithms (nats) instead of log₂",
        "problem",
        problem=_base(BITS, "e"),
        because="{name} = {text} is in nats (ln), not bits",
    ),
    Convention(
        "kl_direction",
        "reversed",
        ("kld",),
        "KL(q‖p) instead of KL(p‖q)",
        "problem",
        problem=_reversed_kl,
        because="{name} = {text} is KL(q‖p), the other direction",
    ),
    Convention(
        "gaussian_scale",
        "swapped",
        ("kld",),
        "σ and ln σ² taken for each other",
        "problem",
        problem=_sigma_as_logvar,
        because="{name} = {text} is what reading σ as ln σ² (or ln σ² as σ) gives",
    ),
)


def known(command: str | None = None) -> list[Convention]:
    """The conventions (for ``command``, or all)."""
    return [c for c in CONVENTIONS if command is None or command in c.commands]


# The optimizer conventions a solver offers itself (Solution.alternatives, by their
# description in dlcalc.topics.optimize.VARIANTS), under the names a sheet declares them by.
ALTERNATIVE_NAMES = {
    "momentum_negative": ("momentum", "v_minus_eta_g"),
    "eps_inside": ("epsilon", "inside_root"),
    "double_decay": ("weight_decay", "two_lambda"),
}


def alternatives(solution: Solution) -> list[Convention]:
    """The conventions the solver offers for this solution (``Solution.alternatives``).

    The ``optimize`` and ``backprop`` solvers compute their own variants (momentum written
    v = μv − ηg, ε inside the root, a 2λ weight decay): each becomes a convention of kind
    ``alternative``, tried and accepted like the others.
    """
    offered = getattr(solution, "alternatives", None) or []
    if not offered:
        return []
    from dlcalc.topics.optimize import VARIANTS

    keys = {description: key for key, description in VARIANTS.items()}
    out = []
    for description, solve in offered:
        key = keys.get(description, description)
        name, value = ALTERNATIVE_NAMES.get(key, ("variant", key))
        out.append(
            Convention(
                name,
                value,
                (solution.command,),
                description,
                "alternative",
                because="{name} = {text} is what " + description + " gives",
                alternative=solve,
            )
        )
    return out


def declared(
    text: Mapping[str, Any],
    command: str,
    where: str = "conventions",
    offered: list[Convention] | None = None,
) -> list[Convention]:
    """The conventions an answers file declares, e.g. ``{delta_sign: han_kamber}``; unknown is invalid input.

    ``offered``: the solution's own alternatives (:func:`alternatives`), declarable too.
    """
    out = []
    pool = [*CONVENTIONS, *(offered or [])]
    for key, value in text.items():
        matches = [c for c in pool if c.key == str(key) and c.value == str(value)]
        if not matches:
            options = ", ".join(
                sorted(
                    {c.name for c in [*known(command), *(offered or [])]}
                    or {c.name for c in CONVENTIONS}
                )
            )
            raise InputError(
                f"unknown convention {key}: {value}; known for {command}: {options}",
                field=f"{where}.{key}",
            )
        if command not in matches[0].commands:
            raise InputError(
                f"the convention {key}: {value} is not one of {command}'s", field=f"{where}.{key}"
            )
        out.append(matches[0])
    return out


# --- detection ------------------------------------------------------------------------------


def _solve(problem: Problem | None, conventions: tuple[Convention, ...]) -> Solution | None:
    offered = [c for c in conventions if c.kind == "alternative"]
    if offered:  # the solver's own variant of the original problem: not combined with others
        if len(offered) > 1 or any(c.kind in ("problem", "engine") for c in conventions):
            return None
        assert offered[0].alternative is not None
        try:
            return offered[0].alternative()
        except Exception:
            return None
    if problem is None:
        return None
    data: Data | None = problem.data
    for c in conventions:
        if c.kind == "problem" and c.problem is not None and data is not None:
            data = c.problem(data)
    if data is None:
        return None
    try:
        if any(c.kind == "engine" for c in conventions):
            if problem.command != "backprop":
                return None
            from dlcalc.specs.loader import Document
            from dlcalc.specs.network import load_network
            from dlcalc.topics.network import solve_backprop

            spec = load_network(Document(copy.deepcopy(data), "<convention>"), training=True)
            if spec.mode != "online":
                return None
            return solve_backprop(spec, problem.carry, problem.every_step, sequential=True)
        if data is problem.data:
            return None
        return problem.solve(copy.deepcopy(data))
    except (
        Exception
    ):  # a variant this problem does not admit (σ < 0, an overflow): not a convention here
        return None


def _judge(
    index: Index,
    verdicts: list[Verdict],
    problem: Problem | None,
    conventions: tuple[Convention, ...],
    unexplained: set[str] | None = None,
) -> Report | None:
    """The claims judged under ``conventions`` (None: the variant does not apply).

    ``unexplained``: the claims not right so far; when none of them agrees with the
    variant's value, the variant explains nothing and is not judged in full.
    """
    from dlcalc.grading.checking import Index as IndexClass
    from dlcalc.grading.checking import judge, resolve, within

    claims = [v.claim for v in verdicts]
    if unexplained is not None and all(c.affects is not None for c in conventions[-1:]):
        last = conventions[-1]
        assert last.affects is not None
        if not any(v.claim.name in unexplained and last.affects(v.label or "@") for v in verdicts):
            return None  # the variant leaves every unexplained claim as it is
    if any(c.kind != "claims" for c in conventions):
        if problem is None and any(c.kind in ("problem", "engine") for c in conventions):
            return None
        key = tuple(sorted(c.name for c in conventions if c.kind != "claims"))
        solved = problem.solved if problem is not None else {}
        if key not in solved:
            solution = _solve(problem, conventions)
            solved[key] = None if solution is None else IndexClass.of(solution)
        if solved[key] is None:
            return None
        index = solved[key]
        try:
            verdicts = resolve(index, claims)
        except InputError:
            return None
    transforms = [c.claim for c in conventions if c.kind == "claims" and c.claim is not None]
    if transforms:
        changed = []
        for v in verdicts:
            value = v.claim.value
            for t in transforms:
                value = t(v.label or "", value)
            changed.append(dataclasses.replace(v, claim=dataclasses.replace(v.claim, value=value)))
        verdicts = changed
    if unexplained is not None and not any(
        v.claim.name in unexplained and within(v.claim.value, v.correct, v.claim.tol)
        for v in verdicts
    ):
        return None
    report = judge(index, claims, problem.carry if problem else None, verdicts)
    originals = {id(c): c for c in claims}
    by_line = {(c.name, c.line): c for c in originals.values()}
    for v in report.verdicts:  # show what the student wrote, not the transformed value
        v.claim = by_line.get((v.claim.name, v.claim.line), v.claim)
    return report


def _status(report: Report) -> dict[str, str]:
    return {v.claim.name: v.status for v in report.verdicts}


def detect(
    index: Index,
    base: Report,
    problem: Problem | None,
    declared_conventions: list[Convention],
    max_conventions: int = 2,
) -> tuple[Report, list[tuple[Convention, list[str]]], list[str]]:
    """The claims judged under the conventions that explain them.

    Returns the report, the accepted conventions each with the claims it explains (declared
    ones with every claim it changes), and hints: one line per claim that a convention would
    explain on its own but that is not accepted (a single match).
    """
    command = index.solution.command if problem is None else problem.command
    offered = alternatives(index.solution)
    verdicts = base.verdicts
    current = base
    used: tuple[Convention, ...] = ()
    accepted: list[tuple[Convention, list[str]]] = []
    if declared_conventions:
        used = tuple(declared_conventions)
        report = _judge(index, verdicts, problem, used)
        if report is not None:
            before, after = _status(base), _status(report)
            changed = [n for n, s in after.items() if s != before.get(n)]
            for c in used:
                accepted.append((c, changed))
            current = report
    hints: dict[str, str] = {}  # claim name → why a convention would explain it
    seen: tuple[str, list[str], int] | None = None  # the best convention not accepted
    for _ in range(max_conventions):
        if not any(v.status != "right" for v in current.verdicts):
            break
        before = _status(current)
        best: tuple[int, Convention, Report, list[str]] | None = None
        for c in [*known(command), *offered]:
            if c in used or any(u.key == c.key for u in used):
                continue
            not_right = {n for n, status in before.items() if status != "right"}
            report = _judge(index, verdicts, problem, used + (c,), not_right)
            if report is None:
                continue
            after = _status(report)
            explained = [n for n, s in after.items() if s == "right" and before.get(n) != "right"]
            broken = [n for n, s in after.items() if s != "right" and before.get(n) == "right"]
            if not explained:
                continue
            quantities = {
                v.label or v.claim.name for v in report.verdicts if v.claim.name in explained
            }  # a quantity claimed twice (by label and by path) is one piece of evidence
            if len(quantities) < 2 or broken:
                why = (
                    "a single match"
                    if len(quantities) < 2
                    else "it breaks " + ", ".join(broken[:3])
                )
                if seen is None or len(explained) > seen[2]:
                    seen = (c.title, [v.claim.name for v in report.mismatches], len(explained))
                for v in report.verdicts:
                    if v.claim.name in explained:
                        hints.setdefault(
                            v.claim.name,
                            f"{c.note(v)}; not accepted ({why}): declare "
                            f"`conventions: {{{c.key}: {c.value}}}` if that is what you used",
                        )
                continue
            score = len(report.mismatches) + len(report.carried)
            if best is None or score < best[0]:
                best = (score, c, report, explained)
        if best is None:
            break
        _, c, report, explained = best
        used = used + (c,)
        accepted.append((c, explained))
        current = report
    for c, names in accepted:
        for v in current.verdicts:
            if v.claim.name in names and v.status == "right":
                v.note = f"✓ {c.note(v)}"
    still_wrong = {v.claim.name for v in current.verdicts if v.status != "right"}
    current.hints = [h for name, h in hints.items() if name in still_wrong]
    current.conventions = [(c.name, c.title, names) for c, names in accepted]
    if not accepted and seen is not None and current.hints:
        current.seen = (seen[0], seen[1])
    return current, accepted, current.hints


def apply(index: Index, report: Report, sheet: Sheet, problem: Problem | None) -> Report:
    """``report`` judged again under the conventions ``sheet`` declares or its mismatches suggest.

    What :func:`dlcalc.grading.checking.check_sheet` takes as its ``conventions`` step.
    """
    offered = alternatives(index.solution)
    chosen = declared(sheet.conventions, index.solution.command, offered=offered)
    if chosen or report.mismatches or report.carried:
        report, _, _ = detect(index, report, problem, chosen)
    return report
