"""Problems as quiz questions: what each export format writes, as plain records.

A :class:`Question` is one problem (or one variant of a ``vary`` manifest): its title, the
givens as an HTML table, one :class:`Part` per asked quantity (the correct value as the key
shows it, the tolerance and the points) and the worked solution as HTML feedback.  The
numbers come from :func:`dlcalc.sets.asking.asked_quantities`, the same records the student
sheets and keys read, so that an export asks exactly what a sheet asks, shown the same way.
"""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlcalc.errors import InputError
from dlcalc.model.records import Record

if TYPE_CHECKING:
    from dlcalc.app.settings import Settings
    from dlcalc.grading.marking import Policy
    from dlcalc.sets.asking import Asked

MAX_QUESTIONS = 2_000  # problems or variants one export may hold


class Part(Record):
    """One asked quantity: its name (HTML), the answer as text and, for a number, its tolerance.

    ``answer`` is the value as the key shows it, in positional decimal notation (``0.7514``,
    ``34944``, ``-0.000123``: every LMS reads that, none needs an exponent); ``tolerance`` the
    accepted absolute error in the same notation (``0.00005``), None for a text answer (a
    class name), which must match exactly.
    """

    __slots__ = ("label", "name_html", "answer", "tolerance", "points")

    def __init__(
        self, label: str, name_html: str, answer: str, tolerance: str | None, points: float
    ) -> None:
        self.label = label
        self.name_html = name_html
        self.answer = answer
        self.tolerance = tolerance
        self.points = points

    @property
    def numeric(self) -> bool:
        return self.tolerance is not None


class Question(Record):
    """One problem or variant as a quiz question (all text already HTML where it says ``html``)."""

    __slots__ = ("ident", "title", "category", "intro_html", "parts", "feedback_html")

    def __init__(
        self,
        ident: str,
        title: str,
        category: str | None,
        intro_html: str,
        parts: list[Part],
        feedback_html: str,
    ) -> None:
        self.ident = ident  # unique in the export: a file's stem, or the variant's id
        self.title = title  # plain text (each writer escapes it)
        self.category = category  # plain text: the template a variant comes from (None: none)
        self.intro_html = intro_html  # the title's source, the givens: HTML, escaped
        self.parts = parts
        self.feedback_html = feedback_html  # the worked solution: HTML, escaped


def decimal_text(x: Decimal) -> str:
    """``x`` in positional notation without an exponent: 0.00005, 34944, -1.5."""
    text = format(x, "f")
    return "0" if text.lstrip("-").strip("0.") == "" and "." not in text.strip("-0") else text


def answer_and_tolerance(
    value: Any, places: int, mode: str | None = None, amount: float = 0.0
) -> tuple[str, str]:
    """The answer as the key shows it and the absolute tolerance an LMS accepts around it.

    Default: ``places`` decimals (as the key shows the value) and half a unit in the last of
    them (0.7514 → 0.00005).  A marking policy's tolerance (``marks: {tolerance: {mode,
    value}}``) replaces it: ``absolute`` v → ±v; ``relative`` v → ±v·|x|; ``decimals`` n → the
    answer to n places, ±half a unit in the n-th; ``significant`` n → the answer to n
    significant figures, ±half a unit in the n-th.
    """
    x = float(value)
    if not math.isfinite(x):
        raise InputError(f"an asked value is {value}; an LMS cannot take it as an answer")
    last = -places  # the power of ten of the last shown digit
    if mode == "decimals":
        last = -int(amount)
    elif mode == "significant" and x != 0:
        last = math.floor(math.log10(abs(x))) - int(amount) + 1
    shown = Decimal(f"{round(x, -last):.{max(0, -last)}f}")
    if shown == 0:
        shown = abs(shown)  # -0.0000 reads as 0.0000
    margin = Decimal(5).scaleb(last - 1)
    if mode == "absolute":
        margin = Decimal(repr(float(amount)))
    elif mode == "relative":
        margin = Decimal(repr(float(amount) * abs(x)))
    return decimal_text(shown), decimal_text(margin.normalize())


def part_of(asked: Asked, policy: Policy) -> Part:
    """The quiz part of one asked quantity, with its points and tolerance from ``policy``."""
    from dlcalc.render.notation import visible

    name_html = html_name(asked.symbol)
    points = policy.steps.get(asked.label, policy.default)
    if isinstance(asked.value, (str, bool)):
        return Part(asked.label, name_html, visible(str(asked.value)), None, points)
    answer, margin = answer_and_tolerance(asked.value, asked.decimals, policy.mode, policy.value)
    return Part(asked.label, name_html, answer, margin, points)


def html_name(symbol: str) -> str:
    """A quantity's symbol as inert HTML text (``∂E/∂w5``, ``out_o1``)."""
    from dlcalc.export.pages import esc

    return esc(symbol)


def question_of(
    problem: str, settings: Settings, ident: str, category: str | None = None
) -> Question:
    """Solve ``problem`` (a file, or - for standard input) and make its quiz question."""
    from dlcalc.app.commands import command_of, solve
    from dlcalc.export.pages import feedback_html, intro_html
    from dlcalc.grading.checking import Index
    from dlcalc.grading.marking import load_policy
    from dlcalc.sets.asking import asked_quantities, asks_of
    from dlcalc.specs.loader import failure, load

    name = "<stdin>" if problem == "-" else problem
    try:
        doc = load(problem)
        solution = solve(command_of(doc, None), doc, settings)
        asked = asked_quantities(solution, asks_of(doc), settings.decimals, doc)
        policy = load_policy(doc).bind(Index.of(solution))
    except Exception as e:  # the message names the file that failed
        raise InputError(failure(e, name)) from None
    if not asked:
        raise InputError(f"{name}: the problem asks for nothing; add `ask: [label, ...]`")
    try:
        parts = [part_of(a, policy) for a in asked]
    except InputError as e:
        raise InputError(failure(e, name)) from None
    title = solution.title or f"dlcalc {solution.command}"
    return Question(
        ident,
        title,
        category,
        intro_html(solution),
        parts,
        feedback_html(solution, settings.decimals),
    )


def read_manifest(path: Path) -> list[tuple[str, str]]:
    """``(id, problem path)`` of every variant in a ``vary`` manifest (paths as it gives them,
    relative to its folder)."""
    from dlcalc.app.files import read_input

    _, raw = read_input(str(path))
    text = raw.decode("utf-8-sig", errors="replace")
    rows = list(csv.DictReader(text.splitlines()))
    missing = {"id", "problem"} - set(rows[0] if rows else {})
    if not rows or missing:
        raise InputError(
            f"{path}: not a `dlcalc vary` manifest (it needs the columns id and problem; "
            f"missing: {', '.join(sorted(missing)) or 'every row'})"
        )
    out = []
    for k, row in enumerate(rows, start=2):
        problem = (row.get("problem") or "").strip()
        ident = (row.get("id") or "").strip()
        if not problem or not ident:
            raise InputError(f"{path}:{k}: a variant without its id or problem path")
        target = (path.parent / problem).resolve()
        if path.parent.resolve() not in target.parents:
            raise InputError(
                f"{path}:{k}: the problem {problem!r} lies outside the manifest's folder; "
                "a manifest names its own variants only"
            )
        out.append((ident, str(target)))
    return out


def questions(inputs: list[str], settings: Settings) -> list[Question]:
    """Every problem file, and every variant of every manifest (``*.csv``), as quiz questions."""
    out: list[Question] = []
    seen: set[str] = set()
    for item in inputs:
        path = Path(item)
        if path.suffix.lower() == ".csv":
            variants = read_manifest(path)
            first: Question | None = None
            for ident, problem in variants:
                q = question_of(problem, settings, ident)
                first = first or q
                q.category = first.title
                out.append(q)
        else:
            stem = "stdin" if item == "-" else path.stem
            out.append(question_of(item, settings, stem))
        if len(out) > MAX_QUESTIONS:
            raise InputError(f"more than {MAX_QUESTIONS:,} questions in one export; split it")
    for q in out:  # idents must be unique in one quiz file
        base, k = q.ident, 2
        while q.ident in seen:
            q.ident, k = f"{base}-{k}", k + 1
        seen.add(q.ident)
    return out
