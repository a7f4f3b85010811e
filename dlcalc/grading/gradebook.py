"""The LMS round trip: a quiz's responses in, every attempt re-marked, grades out.

Read (the format is told by the header row):

* a **Moodle** quiz "Responses" report downloaded as CSV (``Surname``, ``First name``,
  identity columns such as ``ID number`` and ``Email address``, ``State``, …, ``Response 1``,
  ``Response 2``, …).  For the cloze question that ``dlcalc export --to moodle`` makes, a
  response reads ``part 1: 0.3775; part 2: 0.6033; …`` (Moodle's multianswer summary): part
  k is the k-th asked quantity.  A quiz of one numerical question per asked quantity has
  one ``Response k`` column each.
* a **Canvas** classic-quiz "Student Analysis" report (``name``, ``id``, ``sis_id``,
  ``section``, …, ``submitted``, then for each question a ``<question id>: <text>`` column
  followed by its points column, then ``n correct``, ``n incorrect``, ``score``).  A question
  is matched to an asked quantity by the label or symbol its text names, else by order; a
  fill-in-multiple-blanks answer (``a,b,c``) holds the asked quantities in order.

Write the grades in the LMS's own import format:

* **Moodle** grade import CSV: ``First name``, ``Surname``, ``ID number``, ``Email address``,
  the grade item, ``Feedback`` (map ``ID number`` or ``Email address`` to the user when
  importing; the item column to the grade item, the feedback column to its feedback);
* **Canvas** gradebook CSV: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
  ``Section``, the assignment, with a ``Points Possible`` row (Canvas matches rows by ID,
  SIS User ID or SIS Login ID).

A student with several attempts gets the highest score (Moodle's default grading method).
Every cell comes from students or the LMS, so CSV cells a spreadsheet would run as formulas
are neutralised (:func:`dlcalc.grading.class_report.csv_cell`).  Nothing here prints.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dlcalc.errors import InputError

if TYPE_CHECKING:
    from dlcalc.grading.checking import Index, MarkingPolicy, Sheet
    from dlcalc.grading.class_report import ClassReport, StudentMarks

MAX_ROWS = 10_000
MAX_CELL = 20_000
PART = re.compile(r"part (\d+): (.*?)(?=; part \d+: |$)", re.S)
QUESTION = re.compile(r"^(\d+): ?(.*)$", re.S)
RESPONSE = re.compile(r"^Response (\d+)$")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
BLANK = ("", "-")


@dataclass
class Attempt:
    """One row of the responses: who, and the answer to each asked quantity (None: blank)."""

    student: str
    ids: dict[str, str]  # idnumber, email, first, last / canvas_id, sis_id, login, section
    answers: dict[str, str]  # asked label → the answer as entered
    row: int  # the CSV line, for messages


@dataclass
class Responses:
    """A responses report: which LMS it came from and its attempts."""

    lms: str  # "moodle" | "canvas"
    attempts: list[Attempt] = field(default_factory=list)


def read_responses(path: str, asked: list[str], index: Index, question: int = 1) -> Responses:
    """Read a Moodle responses CSV or a Canvas student analysis CSV (see the module docstring)."""
    from dlcalc.app import files
    from dlcalc.limits import MAX_ROSTER_BYTES

    name, raw = files.read_input(path, MAX_ROSTER_BYTES)
    if len(raw) > MAX_ROSTER_BYTES:
        raise InputError(f"is larger than {MAX_ROSTER_BYTES:,} bytes", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "is not UTF-8 text; download the report as CSV (UTF-8)", file=name
        ) from None
    csv.field_size_limit(MAX_CELL)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise InputError(f"is not a readable CSV file ({e})", file=name) from None
    if not rows:
        raise InputError("is empty; expected a quiz responses report (CSV)", file=name)
    if len(rows) > MAX_ROWS + 1:
        raise InputError(f"has {len(rows) - 1:,} rows; at most {MAX_ROWS:,}", file=name)
    header = [h.strip() for h in rows[0]]
    try:
        if any(RESPONSE.match(h) for h in header):
            return Responses("moodle", _moodle(header, rows[1:], asked, question))
        if "n correct" in header and any(QUESTION.match(h) for h in header):
            return Responses("canvas", _canvas(header, rows[1:], asked, index))
    except InputError as e:
        e.file = name
        raise
    raise InputError(
        "is neither a Moodle quiz responses report (no 'Response 1' column) nor a Canvas "
        "student analysis report (no '<id>: <question>' and 'n correct' columns)",
        file=name,
        line=1,
    )


def _cell(row: list[str], header: list[str], column: str) -> str:
    k = header.index(column) if column in header else -1
    return row[k].strip() if 0 <= k < len(row) else ""


def _moodle(
    header: list[str], rows: list[list[str]], asked: list[str], question: int
) -> list[Attempt]:
    responses = sorted(
        ((int(m.group(1)), k) for k, h in enumerate(header) if (m := RESPONSE.match(h))),
    )
    attempts = []
    for n, row in enumerate(rows, start=2):
        first, last = _cell(row, header, "First name"), _cell(row, header, "Surname")
        ids = {
            "first": first,
            "last": last,
            "idnumber": _cell(row, header, "ID number"),
            "email": _cell(row, header, "Email address"),
            "username": _cell(row, header, "Username"),
        }
        if not any(ids[k] for k in ("idnumber", "email", "username")):
            continue  # a summary row (Overall average), not a student
        if _cell(row, header, "State") not in ("", "Finished"):
            continue  # an attempt in progress or never submitted has no answers to mark
        cells = [row[k].strip() if k < len(row) else "" for _, k in responses]
        chosen = cells[question - 1] if 0 < question <= len(cells) else ""
        answers: dict[str, str] = {}
        if PART.match(chosen):  # the cloze question of `dlcalc export`: one part per asked quantity
            for m in PART.finditer(chosen):
                k = int(m.group(1)) - 1
                if 0 <= k < len(asked):
                    answers[asked[k]] = m.group(2).strip()
        else:  # one numerical question per asked quantity
            for label, cell in zip(asked, cells):
                answers[label] = cell
        student = " ".join(x for x in (first, last) if x) or ids["idnumber"] or ids["email"]
        attempts.append(Attempt(student, ids, answers, n))
    return attempts


def _canvas(
    header: list[str], rows: list[list[str]], asked: list[str], index: Index
) -> list[Attempt]:
    questions = [(k, m.group(2)) for k, h in enumerate(header) if (m := QUESTION.match(h))]
    columns = _match_questions([text for _, text in questions], asked, index)
    attempts = []
    for n, row in enumerate(rows, start=2):
        ids = {
            "name": _cell(row, header, "name"),
            "canvas_id": _cell(row, header, "id"),
            "sis_id": _cell(row, header, "sis_id"),
            "section": _cell(row, header, "section"),
        }
        if not (ids["canvas_id"] or ids["sis_id"]):
            continue
        answers: dict[str, str] = {}
        cells = [row[k].strip() if k < len(row) else "" for k, _ in questions]
        if len(questions) == 1 and len(asked) > 1:  # fill in multiple blanks: a,b,c in order
            parts = re.split(r"(?<!\\),", cells[0]) if cells[0] else []
            answers = {label: p.replace("\\,", ",").strip() for label, p in zip(asked, parts)}
        else:
            for cell, label in zip(cells, columns):
                if label is not None:
                    answers[label] = cell
        attempts.append(Attempt(ids["name"] or ids["sis_id"] or ids["canvas_id"], ids, answers, n))
    return attempts


def _match_questions(texts: list[str], asked: list[str], index: Index) -> list[str | None]:
    """The asked quantity each question column is about: the one label or symbol its text
    names, else the asked quantities in order."""
    names: dict[str, str] = {}
    for label in asked:
        names[label] = label
        step = index.by_label.get(label)
        if step is not None and step.symbol:
            names[step.symbol] = label
    found: list[str | None] = []
    for text in texts:
        hits = {
            label
            for name, label in names.items()
            if re.search(rf"(?<![\w⁺]){re.escape(name)}(?![\w⁺])", text)
        }
        found.append(hits.pop() if len(hits) == 1 else None)
    if all(f is not None for f in found) and len(set(found)) == len(found):
        return found
    return [*asked[: len(texts)], *([None] * max(0, len(texts) - len(asked)))]


def sheet_of(attempt: Attempt, where: str, tol: float | None) -> Callable[[MarkingPolicy], Sheet]:
    """A reader of the attempt's sheet (one claim per answered quantity), for the class marking."""

    def read(policy: MarkingPolicy) -> Sheet:
        from dlcalc.grading.checking import Claim, Sheet, _flat_sheet

        numbers = []
        texts = []
        for label, answer in attempt.answers.items():
            text = answer.replace("−", "-").strip()
            if text in BLANK:
                continue
            if "," in text and "." not in text and re.fullmatch(r"[+-]?\d+,\d+", text):
                text = text.replace(",", ".")  # a decimal comma (the LMS's locale)
            if NUMBER.fullmatch(text):
                numbers.append((label, text, attempt.row))
            else:
                texts.append(Claim(label, answer[:200], answer[:200], 0.0, attempt.row))
        if not numbers and not texts:
            return Sheet([], {}, where)
        sheet = _flat_sheet(numbers, tol, where, policy) if numbers else Sheet([], {}, where)
        sheet.claims += texts
        return sheet

    return read


# --- the grade files ---------------------------------------------------------------------------


def best_attempts(responses: Responses, report: ClassReport) -> list[tuple[Attempt, StudentMarks]]:
    """One (attempt, marks) per student: their highest score (ties: the later attempt; an
    attempt that could not be marked counts as 0)."""
    best: dict[str, tuple[Attempt, StudentMarks]] = {}
    for attempt, marks in zip(responses.attempts, report.students):
        key = _identity(attempt)
        old = best.get(key)
        if old is None or (marks.score or 0.0) >= (old[1].score or 0.0):
            best[key] = (attempt, marks)
    return list(best.values())


def _identity(a: Attempt) -> str:
    for k in ("idnumber", "email", "username", "sis_id", "canvas_id"):
        if a.ids.get(k):
            return f"{k}:{a.ids[k].lower()}"
    return f"row:{a.row}"


def _feedback(marks: StudentMarks) -> str:
    if marks.error:
        return f"not marked: {marks.error}"
    text = f"{marks.right} right, {marks.carried} carried forward, {marks.wrong} wrong"
    if marks.first_wrong:
        text += f"; first went wrong at {marks.first_wrong}"
    return text + " (dlcalc)"


def moodle_grades(rows: list[tuple[Attempt, StudentMarks]], item: str) -> str:
    """Moodle's grade import CSV (see the module docstring)."""
    from dlcalc.grading.class_report import csv_cell
    from dlcalc.grading.marking import fmt_points

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["First name", "Surname", "ID number", "Email address", item, "Feedback"])
    for attempt, marks in rows:
        ids = attempt.ids
        score = fmt_points(marks.score) if marks.score is not None else ""
        cells = [
            ids.get("first", ""),
            ids.get("last", ""),
            ids.get("idnumber", ""),
            ids.get("email", ""),
        ]
        writer.writerow([csv_cell(c) for c in [*cells, score, _feedback(marks)]])
    return out.getvalue()


def canvas_grades(
    rows: list[tuple[Attempt, StudentMarks]], item: str, possible: float | None
) -> str:
    """Canvas's gradebook CSV (see the module docstring)."""
    from dlcalc.grading.class_report import csv_cell
    from dlcalc.grading.marking import fmt_points

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", item])
    if possible is not None:
        writer.writerow(["    Points Possible", "", "", "", "", fmt_points(possible)])
    for attempt, marks in rows:
        ids = attempt.ids
        name = ids.get("name") or " ".join(
            x for x in (ids.get("last", ""), ids.get("first", "")) if x
        )
        sis = ids.get("sis_id") or ids.get("idnumber", "")
        login = ids.get("login") or ids.get("username") or ids.get("email", "")
        score = fmt_points(marks.score) if marks.score is not None else ""
        cells = [name, ids.get("canvas_id", ""), sis, login, ids.get("section", ""), score]
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue()
