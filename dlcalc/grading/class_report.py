"""A class report: many answer sheets marked against one problem, totals per student.

``dlcalc check PROBLEM answers/*.yaml --report marks.csv`` marks every sheet with error
carried forward and the textbook conventions (as ``check`` does one sheet), then writes one
row per student (right, carried forward, wrong, where it first went wrong, conventions) and
the steps that are most often the first wrong one across the class.  A sheet that cannot be
read or marked, for any reason, is a row with its error, not the end of the run.  Nothing
here prints.

Every cell is written by a student (a file name, a quantity name, an error quoting the
sheet), so every format gets it as inert text: control characters escaped (``\x1b``),
Markdown and HTML escaped as the solution renderers escape them, and a CSV cell that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return
first) prefixed with ``'`` as OWASP recommends.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlcalc.errors import InputError, printable
from dlcalc.model.steps import Solution

if TYPE_CHECKING:
    from dlcalc.grading.checking import Index, MarkingPolicy, Report, Sheet, Verdict
    from dlcalc.grading.marking import Policy

COLUMNS = [
    "student",
    "claims",
    "right",
    "carried_forward",
    "wrong",
    "first_wrong",
    "conventions",
    "error",
]


@dataclass
class StudentMarks:
    """One sheet's totals."""

    student: str
    claims: int = 0
    right: int = 0
    carried: int = 0
    wrong: int = 0
    first_wrong: str | None = None
    conventions: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # names the sheet uses that mean nothing here
    error: str | None = None  # the sheet could not be marked at all
    score: float | None = None  # under a marking policy (dlcalc.grading.marking)
    max_score: float | None = None
    # the marked sheet, for the per-step statistics and the feedback pages
    report: Report | None = field(default=None, repr=False)

    def _unknown(self) -> str:
        """The error column of a marked sheet that names quantities the problem does not have."""
        if not self.unknown:
            return ""
        return f"not marked, no such quantity: {', '.join(self.unknown)}"

    def row(self, scored: bool = False) -> list[Any]:
        from dlcalc.grading.marking import fmt_points

        points = []
        if scored:
            points = [
                fmt_points(self.score) if self.score is not None else "",
                fmt_points(self.max_score) if self.max_score is not None else "",
            ]
        return [
            self.student,
            *points,
            self.claims,
            self.right,
            self.carried,
            self.wrong,
            self.first_wrong or "",
            "; ".join(self.conventions),
            self.error or self._unknown(),
        ]


@dataclass
class StepStats:
    """How the class did on one step: how many answered it right, carried forward or wrong,
    the most common wrong value and, where a known slip explains it, which."""

    label: str
    right: int = 0
    carried: int = 0
    wrong: int = 0
    common_wrong: str | None = None  # as written
    common_count: int = 0
    explained: str | None = None

    @property
    def answered(self) -> int:
        return self.right + self.carried + self.wrong

    def share(self, n: int) -> str:
        return f"{round(100 * n / self.answered)} %" if self.answered else ""

    def row(self) -> list[Any]:
        return [
            self.label,
            self.answered,
            self.share(self.right),
            self.share(self.carried),
            self.share(self.wrong),
            f"{self.common_wrong} ({self.common_count}×)" if self.common_wrong else "",
            self.explained or "",
        ]


STEP_HEADINGS = [
    "step",
    "answered",
    "right",
    "carried forward",
    "wrong",
    "most common wrong value",
    "explained by",
]


@dataclass
class ClassReport:
    """Every student's marks, students in natural order (s2 before s10)."""

    students: list[StudentMarks]
    title: str | None = None
    index: Index | None = field(default=None, repr=False)  # the key, for the statistics

    @property
    def scored(self) -> bool:
        return any(s.score is not None for s in self.students)

    def step_stats(self) -> list[StepStats]:
        """One row per step any sheet claimed, in the key's order (see :class:`StepStats`)."""
        stats: dict[str, StepStats] = {}
        wrong_values: dict[str, Counter[str]] = {}
        examples: dict[tuple[str, str], tuple[Verdict, list[str]]] = {}
        for s in self.students:
            if s.report is None:
                continue
            for v in s.report.verdicts:
                key = v.label or v.claim.name
                st = stats.setdefault(key, StepStats(key))
                if v.status == "right":
                    st.right += 1
                elif v.status == "carried":
                    st.carried += 1
                else:
                    st.wrong += 1
                    text = printable(v.claim.text)
                    wrong_values.setdefault(key, Counter())[text] += 1
                    examples.setdefault((key, text), (v, s.report.hints))
        for key, counts in wrong_values.items():
            text, count = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            st = stats[key]
            st.common_wrong, st.common_count = text, count
            v, hints = examples[(key, text)]
            st.explained = known_slip(v, self.index, hints)
        position = self.index.position if self.index is not None else {}
        return sorted(
            stats.values(), key=lambda st: (position.get(st.label, len(position)), st.label)
        )

    def first_wrong_counts(self) -> list[tuple[str, int]]:
        """The steps most often first wrong, most frequent first (ties by name)."""
        counts = Counter(s.first_wrong for s in self.students if s.first_wrong)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def any_wrong(self) -> bool:
        return any(s.wrong for s in self.students)

    def columns(self, headings: list[str]) -> list[str]:
        scored = ["score", "max_score"] if self.scored else []
        return headings[:1] + scored + headings[1:]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns(COLUMNS))
        for s in self.students:
            writer.writerow([csv_cell(v) for v in s.row(self.scored)])
        return out.getvalue()

    def to_markdown(self) -> str:
        lines = [f"# Class report{': ' + _cell(self.title) if self.title else ''}", ""]
        n = len(self.students)
        lines.append(f"{n} sheet{'s' if n != 1 else ''} marked.")
        headings = self.columns(_HEADINGS)
        lines += ["", "| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
        for s in self.students:
            lines.append("| " + " | ".join(_cell(str(v)) for v in s.row(self.scored)) + " |")
        counts = self.first_wrong_counts()
        lines += ["", "## Where the class first went wrong", ""]
        if counts:
            lines += ["| step | students |", "|---|---|"]
            lines += [f"| {_cell(label)} | {count} |" for label, count in counts]
        else:
            lines.append("No sheet has a genuinely wrong value.")
        stats = self.step_stats()
        if stats:
            lines += ["", "## Each step", ""]
            lines += ["| " + " | ".join(STEP_HEADINGS) + " |", "|" + "---|" * len(STEP_HEADINGS)]
            lines += ["| " + " | ".join(_cell(str(v)) for v in st.row()) + " |" for st in stats]
        return "\n".join(lines) + "\n"


_HEADINGS = [
    "student",
    "claims",
    "right",
    "carried forward",
    "wrong",
    "first wrong",
    "conventions",
    "error",
]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: control characters escaped, and a text that
    a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+1+1``, ``@SUM(1)``, a tab or
    carriage return first) prefixed with ``'`` (OWASP, "CSV Injection").  Counts stay numbers."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    if value.startswith(FORMULA_START) or text.startswith(FORMULA_START):
        return "'" + text
    return text


def _cell(text: str) -> str:
    """Text for a Markdown table cell: escaped as the solution renderers escape, one line."""
    from dlcalc.render.markdown import escape

    return escape(printable(text))


def student_name(path: str) -> str:
    return "<stdin>" if path == "-" else Path(path).stem


def student_names(paths: list[str]) -> list[str]:
    """Each sheet's student: the file's stem, or its whole path where two stems are the same
    (``alice.yaml`` and ``alice.yml`` are two rows, not one student twice)."""
    stems = [student_name(p) for p in paths]
    counts = Counter(stems)
    return [stem if counts[stem] == 1 else path for stem, path in zip(stems, paths)]


def sheet_file(path: str) -> None:
    """Refuse a sheet that is not a plain file in its own folder.

    A symbolic link out of the sheets' folder (``bob.yaml → ../key.yaml`` or a file of
    secrets) would mark the teacher's answers, or quote a line of any readable file in the
    published error column; a FIFO or a device would hold up the whole class run.
    """
    if path == "-":
        return
    import os
    import stat

    given = Path(path)
    try:
        info = os.stat(given)
    except OSError:
        return  # the reader reports a missing or unreadable file
    if os.path.dirname(os.path.realpath(given)) != os.path.realpath(given.parent):
        raise InputError(
            "is a symbolic link out of the sheets' folder; copy the sheet into the folder",
            file=path,
        )
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a pipe or a device); give a sheet file", file=path)


def natural(name: str) -> tuple[Any, ...]:
    """Sort key that reads digits as numbers: s2 before s10."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", name)
        if part
    )


def mark_sheets(
    solution: Solution,
    paths: list[str],
    tol: float | None = None,
    carry: int | None = None,
    variants: Any = None,
    decimals: int = 4,
    marks: Policy | None = None,
) -> ClassReport:
    """Mark every sheet in ``paths`` against ``solution`` (see :func:`dlcalc.grading.checking.check_sheet`).

    ``decimals``: how the key shows its values, which bounds every claim's tolerance
    (:func:`dlcalc.grading.checking.claim_tolerance`).  ``marks``: the marking policy (scores).
    """
    from dlcalc.grading.checking import load_sheet

    def reader(path: str) -> Callable[[MarkingPolicy], Sheet]:
        def read(policy: MarkingPolicy) -> Sheet:
            sheet_file(path)
            sheet = load_sheet(path, tol, policy)
            sheet.name = path
            return sheet

        return read

    sheets = [(name, path, reader(path)) for path, name in zip(paths, student_names(paths))]
    report = mark_loaded(solution, sheets, carry, variants, decimals, marks)
    report.students.sort(key=lambda s: natural(s.student))  # s2 before s10
    return report


def mark_loaded(
    solution: Solution,
    sheets: list[tuple[str, str, Callable[[MarkingPolicy], Sheet]]],
    carry: int | None = None,
    variants: Any = None,
    decimals: int = 4,
    marks: Policy | None = None,
) -> ClassReport:
    """Mark sheets given as ``(student, where, read)``: ``read(policy)`` returns the sheet
    (from a file, or from a row of an LMS export: dlcalc.grading.gradebook); students in that order."""
    import dataclasses

    from dlcalc.grading import conventions
    from dlcalc.grading.checking import Claim, Index, check_sheet, shown_policy

    policy = shown_policy(decimals)
    if marks is not None:
        policy = dataclasses.replace(policy, marks=marks)
    index = Index.of(solution)  # shared by every sheet
    guard = None
    if marks is not None:
        from dlcalc.grading.marking import Guard

        guard = Guard.of(index)  # the steps' ranges, worked out once for the class
    students = []
    for name, where, read in sheets:
        student = StudentMarks(name)
        unknown: list[Claim] = []
        try:
            sheet = read(policy)
            report = check_sheet(
                solution,
                sheet,
                carry,
                variants,
                index,
                marks,
                guard,
                unknown_names=unknown,
                conventions=conventions.apply,
            )
        except Exception as e:  # one sheet's error is its row, never the end of the run
            from dlcalc.specs.loader import failure

            student.error = failure(e, where)
            students.append(student)
            continue
        student.unknown = [claim.name for claim in unknown]  # listed in the row; the rest is marked
        student.claims = len(report.verdicts)
        student.wrong = len(report.mismatches)
        student.carried = len(report.carried)
        student.right = student.claims - student.wrong - student.carried
        first = report.first_wrong
        if first is not None:
            student.first_wrong = first.claim.name  # as the student wrote it (a5, not out_5)
        student.conventions = [name for name, _, _ in report.conventions]
        if report.scores is not None:
            student.score, student.max_score = report.scores.score, report.scores.max_score
        student.report = report
        students.append(student)
    return ClassReport(students, solution.title, index)


def known_slip(v: Verdict, index: Index | None, hints: Iterable[str] = ()) -> str | None:
    """A common slip that explains a wrong value: a textbook convention that gives it (a hint
    of :mod:`dlcalc.grading.conventions`), the sign, a factor of 2, the value of another step, or
    two digits swapped."""
    from dlcalc.grading.checking import within

    if v.note:
        return v.note
    said = f"{v.claim.name} = {v.claim.text}"
    for hint in hints:
        if said in hint:
            return hint.split("; not accepted")[0]
    x, c = v.claim.value, v.correct
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not isinstance(c, (int, float)):
        return None
    tol = v.claim.tol if isinstance(v.claim.tol, (int, float)) and v.claim.tol >= 0 else 0.0
    if c != 0 and within(x, -c, tol):
        return "the sign flipped"
    if c != 0 and within(x, 2 * c, tol):
        return "twice the value (a factor of 2, e.g. the ½ of the loss)"
    if c != 0 and within(x, c / 2, tol):
        return "half the value (a factor of ½)"
    if index is not None:
        for step in index.steps:
            if (
                step.label != v.label
                and isinstance(step.value, float)
                and within(x, step.value, tol)
            ):
                return f"the value of {step.label} (the wrong quantity used)"
    digits, right = (
        sorted(v.claim.text.strip("+-")),
        sorted(f"{c:.{_decimals(v.claim.text)}f}".strip("+-")),
    )
    if digits == right and x != c:
        return "two digits swapped"
    return None


def _decimals(text: str) -> int:
    whole, _, frac = text.partition(".")
    return len(frac) if frac.isdigit() else 0


def write_feedback(report: ClassReport, solution: Solution, folder: Path, decimals: int = 4) -> int:
    """One HTML page per marked student in ``folder`` (the marked worked solution, their score
    and the reasons); the number written.  File names are made from the student's name with
    anything but letters, digits, ``-`` and ``_`` replaced, so a name cannot leave the folder."""

    from dlcalc.app import files
    from dlcalc.grading.checking import marked
    from dlcalc.render.terminal import to_html

    if folder.exists() and not folder.is_dir():
        raise InputError(
            "is not a folder; give a folder for the feedback pages",
            file=str(folder),
            field="--feedback",
        )
    folder.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    n = 0
    for s in report.students:
        if s.report is None:
            continue
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", s.student).strip("_")[:80] or "student"
        name, k = stem, 1
        while name.lower() in used:
            k += 1
            name = f"{stem}-{k}"
        used.add(name.lower())
        page = marked(solution, s.report).replace(
            title=f"Feedback for {s.student}: {solution.title or solution.command}"
        )
        files.write_text(folder / f"{name}.html", to_html(page, decimals), field="--feedback")
        n += 1
    files.commit()
    return n


def write(report: ClassReport, path: Path) -> None:
    """Write the report as CSV (``.csv``) or Markdown (``.md``, ``.markdown``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = report.to_csv()
    elif suffix in (".md", ".markdown"):
        text = report.to_markdown()
    else:
        raise InputError(
            f"cannot tell the format from the extension {suffix or '(none)'!r}; use .csv or .md",
            field="--report",
        )
    if path.is_dir():
        raise InputError("is a directory; give a file name", file=str(path), field="--report")
    from dlcalc.app import files

    files.write_text(path, text, field="--report")  # beside the target; refuses an input file
    files.commit()
