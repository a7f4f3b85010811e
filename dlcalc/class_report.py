"""A class report: many answer sheets marked against one problem, totals per student.

``dlcalc check PROBLEM answers/*.yaml --report marks.csv`` marks every sheet with error
carried forward and the textbook conventions (as ``check`` does one sheet), then writes one
row per student (right, carried forward, wrong, where it first went wrong, conventions) and
the steps that are most often the first wrong one across the class.  A sheet that cannot be
read is a row with its error, not the end of the run.  Nothing here prints.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlcalc.errors import InputError
from dlcalc.steps import Solution

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

    def _unknown(self) -> str:
        """The error column of a marked sheet that names quantities the problem does not have."""
        if not self.unknown:
            return ""
        return f"not marked, no such quantity: {', '.join(self.unknown)}"

    def row(self) -> list[Any]:
        return [
            self.student,
            self.claims,
            self.right,
            self.carried,
            self.wrong,
            self.first_wrong or "",
            "; ".join(self.conventions),
            self.error or self._unknown(),
        ]


@dataclass
class ClassReport:
    """Every student's marks, students in natural order (s2 before s10)."""

    students: list[StudentMarks]
    title: str | None = None

    def first_wrong_counts(self) -> list[tuple[str, int]]:
        """The steps most often first wrong, most frequent first (ties by name)."""
        counts = Counter(s.first_wrong for s in self.students if s.first_wrong)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    @property
    def any_wrong(self) -> bool:
        return any(s.wrong for s in self.students)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for s in self.students:
            writer.writerow(s.row())
        return out.getvalue()

    def to_markdown(self) -> str:
        lines = [f"# Class report{': ' + _cell(self.title) if self.title else ''}", ""]
        n = len(self.students)
        lines.append(f"{n} sheet{'s' if n != 1 else ''} marked.")
        lines += ["", "| " + " | ".join(_HEADINGS) + " |", "|" + "---|" * len(_HEADINGS)]
        for s in self.students:
            lines.append("| " + " | ".join(_cell(str(v)) for v in s.row()) + " |")
        counts = self.first_wrong_counts()
        lines += ["", "## Where the class first went wrong", ""]
        if counts:
            lines += ["| step | students |", "|---|---|"]
            lines += [f"| {_cell(label)} | {count} |" for label, count in counts]
        else:
            lines.append("No sheet has a genuinely wrong value.")
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


def _cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def student_name(path: str) -> str:
    return "<stdin>" if path == "-" else Path(path).stem


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
) -> ClassReport:
    """Mark every sheet in ``paths`` against ``solution`` (see :func:`dlcalc.checking.check_sheet`)."""
    from dlcalc.checking import Claim, Index, check_sheet, load_sheet

    index = Index.of(solution)  # shared by every sheet
    students = []
    for path in paths:
        marks = StudentMarks(student_name(path))
        unknown: list[Claim] = []
        try:
            sheet = load_sheet(path, tol)
            sheet.name = path
            report = check_sheet(
                solution, sheet, carry, variants, index=index, unknown_names=unknown
            )
        except InputError as e:
            marks.error = str(e.located(path))
            students.append(marks)
            continue
        marks.unknown = [claim.name for claim in unknown]  # listed in the row; the rest is marked
        marks.claims = len(report.verdicts)
        marks.wrong = len(report.mismatches)
        marks.carried = len(report.carried)
        marks.right = marks.claims - marks.wrong - marks.carried
        first = report.first_wrong
        if first is not None:
            marks.first_wrong = first.claim.name  # as the student wrote it (a5, not out_5)
        marks.conventions = [name for name, _, _ in report.conventions]
        students.append(marks)
    students.sort(key=lambda s: natural(s.student))  # s2 before s10
    return ClassReport(students, solution.title)


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
    from dlcalc import files

    files.write_text(path, text, field="--report")  # beside the target; refuses an input file
    files.commit()
