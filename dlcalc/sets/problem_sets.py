"""Sets of problems: ``dlcalc vary`` (a variant per student), ``check --manifest``, ``practice``.

``make_set`` draws one variant of a template per roster row (or per number up to
``--count``), solves it and keeps it only when it is sound: nothing NaN or infinite, no
saturated unit (unless the template allows it), no asked value within 1e-6 of a rounding tie
at the sheet's decimals (so ``--carry`` and the key agree), every constraint true, and no two
variants the same.  A variant that fails is drawn again from the next seed of its row, a
bounded number of times.  ``write_set`` writes the problem files, sheets, keys, answers
stubs, the two class documents and ``manifest.csv``; ``mark_manifest`` marks every answers
file against its own variant and makes the class report.  Typer-free.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlcalc import limits
from dlcalc.app import files
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.limits import (
    MAX_DRAW_ATTEMPTS,
    MAX_ROSTER_COLUMNS,
    MAX_SET_DRAWS,
    MAX_SET_STEPS,
    MAX_SOLVED_STEPS,
    MAX_VARIANTS,
)

if TYPE_CHECKING:
    from dlcalc.grading.class_report import ClassReport
    from dlcalc.model.steps import Solution
    from dlcalc.render.sheet import Sheet
    from dlcalc.sets.asking import Asked
    from dlcalc.sets.templates import Template

SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # an id usable as a file name
# An asked value this close to a rounding tie is not asked: 1e-6 at 4 decimals, a hundredth
# of the last shown unit at any number of decimals.
TIE = 1e-6
SATURATED = 1e-3  # a sigmoid output this close to 0 or 1, a tanh this close to ±1
MANIFEST_COLUMNS = [
    "id",
    "seed",
    "problem",
    "sheet_md",
    "sheet_tex",
    "sheet_html",
    "key_md",
    "key_tex",
    "key_html",
    "answers",
]


@dataclass
class Row:
    """One variant to make: its id, the roster's other columns (heading, text) and the stem of
    its files (the id itself where that is a safe file name)."""

    id: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    file: str = ""

    @property
    def stem(self) -> str:
        return self.file or self.id


def file_stems(ids: list[str]) -> list[str]:
    """A safe, distinct file name stem for each id: the id itself, or its letters and digits
    with ``_`` for the rest (``Ana López`` → ``Ana_L_pez``), numbered when two meet."""
    stems: list[str] = []
    taken: set[str] = set()
    for student in ids:
        stem = student if SAFE_STEM.fullmatch(student) else re.sub(r"[^A-Za-z0-9_.-]", "_", student)
        if not SAFE_STEM.fullmatch(stem):
            stem = "s_" + stem.lstrip("._-")[:60]
        base, k = stem, 2
        while stem.lower() in taken:  # case-insensitive file systems too
            stem, k = f"{base}_{k}", k + 1
        taken.add(stem.lower())
        stems.append(stem)
    return stems


@dataclass
class Variant:
    """A sound variant: its seed, problem file text, solution and asked quantities."""

    row: Row
    seed: int
    text: str
    solution: Solution
    asked: list[Asked]
    command: str


# --- rows: --count or a roster ------------------------------------------------------------------


def counted_rows(count: int) -> list[Row]:
    """Rows ``01`` … ``N`` for ``--count N``."""
    limits.check_count("--count", count, MAX_VARIANTS, "variants")
    if count < 1:
        raise InputError("expected at least 1 variant", field="--count")
    width = len(str(count))
    return [Row(str(k).zfill(width)) for k in range(1, count + 1)]


def read_roster(path: str) -> list[Row]:
    """The roster's rows: a CSV file with a header; the first column is each student's id."""
    from dlcalc.specs.loader import _decode

    name, raw = files.read_input(path)
    text = _decode(raw, name)
    reader = csv.reader(io.StringIO(text))
    try:
        table = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as e:
        raise InputError(f"is not a CSV file ({e})", file=name, field="--roster") from None
    if table and _is_header(table[0][1]):
        header = [h.strip() for h in table[0][1]]
        table = table[1:]
    else:  # no header line: the first column is the id, the others are numbered
        header = ["id"]
    if not table:
        raise InputError(
            "expected one line per student (first column: the student's id), after an "
            "optional header line",
            file=name,
            field="--roster",
        )
    if max(len(header), *(len(cells) for _, cells in table)) > MAX_ROSTER_COLUMNS:
        raise InputError(f"more than {MAX_ROSTER_COLUMNS} columns", file=name, field="--roster")
    limits.check_count("--roster", len(table), MAX_VARIANTS, "students")
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for line, cells in table:
        for k, cell in enumerate(cells):
            where = header[k] if k < len(header) and header[k] else f"column {k + 1}"
            try:
                limits.check_text(where, cell)
            except InputError as e:
                e.file, e.line = name, line
                raise
        student = cells[0].strip()
        if any(ch in student for ch in "\n\r\t\v\f"):
            raise InputError(
                "an id must be on one line (no line break or tab in it)",
                file=name,
                line=line,
                field=header[0] or "column 1",
            )
        if not student or len(student) > limits.MAX_NAME:
            raise InputError(
                f"expected the student's id in the first column, at most {limits.MAX_NAME} characters",
                file=name,
                line=line,
                field=header[0] or "column 1",
            )
        if student in seen:
            raise InputError(
                f"the id {student!r} is on lines {seen[student]} and {line}; ids must differ",
                file=name,
                line=line,
            )
        seen[student] = line
        columns = [
            (header[k] if k < len(header) and header[k] else f"column {k + 1}", cells[k].strip())
            for k in range(1, len(cells))
        ]
        rows.append(Row(student, columns))
    for row, stem in zip(rows, file_stems([r.id for r in rows])):
        row.file = stem
    return rows


# What a roster's header calls its first column (a first line starting otherwise is a student).
HEADER_WORDS = frozenset(
    "id ids student students pupil learner sid name names username user login email mail "
    "matrikel matric matriculation number no nr roll candidate".split()
)


def _is_header(cells: list[str]) -> bool:
    """Whether a roster's first line is its header: its first cell names the id column."""
    first = re.sub(r"[\s_\-.#]+", " ", cells[0].strip().lower()).strip() if cells else ""
    return (
        first in HEADER_WORDS
        or first.replace(" ", "") in HEADER_WORDS  # e-mail, user name
        or first.split(" ")[0] in ("student", "user")
        or first.endswith(" id")
    )


# --- making the set -----------------------------------------------------------------------------


def make_set(
    template_path: str, rows: list[Row], seed: int, decimals: int, settings: Settings
) -> list[Variant]:
    """One sound variant per row, in the rows' order (see the module docstring)."""
    from dlcalc.sets.templates import read_template
    from dlcalc.specs.loader import load

    doc = load(template_path)
    template = read_template(doc)
    variants: list[Variant] = []
    seen: set[str] = set()
    budget = [MAX_SET_DRAWS, MAX_SOLVED_STEPS]  # draws and solved steps left
    for row in rows:
        variant = _variant(template, row, seed, decimals, settings, seen, budget)
        if not variants:
            steps = limits.solution_size(variant.solution)
            limits.check_work(
                "--count",
                steps * len(rows),
                MAX_SET_STEPS,
                "worked steps in the set",
                "use fewer variants or a smaller problem",
            )
        variants.append(variant)
    return variants


def _variant(
    template: Template,
    row: Row,
    seed: int,
    decimals: int,
    settings: Settings,
    seen: set[str],
    budget: list[int],
) -> Variant:
    """The first sound variant of ``row``'s seeds; exit 2 naming the condition that failed most."""
    from dlcalc.sets.templates import variant_seed

    failed: Counter[str] = Counter()
    errors: dict[str, InputError] = {}
    for attempt in range(MAX_DRAW_ATTEMPTS):
        if budget[0] <= 0:
            raise InputError(
                f"the set needs more than {MAX_SET_DRAWS:,} draws; loosen the template's "
                "constraints or ranges",
                file=template.doc.name,
                field="constraints",
            )
        budget[0] -= 1
        s = variant_seed(seed, row.id, attempt)
        try:
            variant, reason = _try(template, row, s, decimals, settings, seen, budget)
        except SetTooLarge as e:
            e.file, e.field = template.doc.name, "--count"
            raise
        except InputError as e:
            reason = f"the variant is not a valid problem ({e.message})"
            errors.setdefault(reason, e)
            variant = None
            if attempt >= 4 and failed[reason] >= attempt:  # every draw so far: a template error
                raise _located(e, template) from None
        if variant is not None:
            return variant
        failed[reason] += 1
    reason, count = failed.most_common(1)[0]
    if reason in errors and count == MAX_DRAW_ATTEMPTS:
        raise _located(errors[reason], template)
    raise InputError(
        f"no sound variant for {row.id!r} in {MAX_DRAW_ATTEMPTS} draws: {reason} in {count} of them; "
        "loosen that condition or the ranges of the draws",
        file=template.doc.name,
        field="constraints",
    )


def _located(error: InputError, template: Template) -> InputError:
    error.file = error.file if error.file and error.file != "<variant>" else template.doc.name
    return error


class SetTooLarge(InputError):
    """The set would take more work than the budget allows (never retried)."""


def _try(
    template: Template,
    row: Row,
    seed: int,
    decimals: int,
    settings: Settings,
    seen: set[str],
    budget: list[int],
) -> tuple[Variant | None, str]:
    """Draw, solve and judge one variant: (the variant, "") or (None, why it is not sound)."""
    from dlcalc.app.commands import command_of, solve
    from dlcalc.sets.asking import asked_quantities, asks_of
    from dlcalc.sets.templates import check_names, instantiate, solution_values
    from dlcalc.specs.loader import Document

    data = instantiate(template, seed)
    key = json.dumps(data, sort_keys=True, default=str)
    if key in seen:
        return None, "it is the same as an earlier variant"
    # solved from the drawn data (its file is written once it is sound), with the template's
    # name and lines, so that an error in it points into the template
    doc = Document(copy.deepcopy(data), template.doc.name, template.doc.text, template.doc.lines)
    name = command_of(doc, None)
    try:
        solution = solve(name, doc, settings)
    except ArithmeticError:  # an overflow or a division by zero of this draw's numbers
        return None, "a value is NaN or infinite"
    budget[1] -= limits.solution_size(solution)
    if budget[1] < 0:
        raise SetTooLarge(
            f"the set needs more than {MAX_SOLVED_STEPS:,} worked steps solved (every draw "
            "tried counts); use fewer variants, a smaller problem or looser constraints"
        )
    if solution.first_undefined() is not None or not _finite(solution):
        return None, "a value is NaN or infinite"
    if not template.allow_saturated and _saturated(solution):
        return None, "a unit is saturated (an output within 0.001 of its limit)"
    values = solution_values(solution)
    check_names(template, values)
    for c in template.constraints:
        if not c.holds(values):
            return None, f"the constraint {c.text!r} is false"
    asked = asked_quantities(solution, asks_of(doc), decimals)
    for a in asked:
        if _near_tie(a.value, a.decimals):
            return None, "an asked value is within 1e-6 of a rounding tie"
    asks = asks_of(doc) or [a.label for a in asked]  # the variant's file names what it asks for
    text = problem_text(data, row.id, seed, asks)
    seen.add(key)
    return Variant(row, seed, text, solution, asked, name), ""


def _finite(solution: Solution) -> bool:
    for step in solution.iter_steps():
        values = step.value if isinstance(step.value, list) else [step.value]
        for v in values:
            if isinstance(v, float) and not math.isfinite(v):
                return False
    return True


def _saturated(solution: Solution) -> bool:
    """Whether a sigmoid output is within :data:`SATURATED` of 0 or 1, or a tanh of ±1."""
    for step in solution.iter_steps():
        if not isinstance(step.value, (int, float)) or isinstance(step.value, bool):
            continue
        v = float(step.value)
        if SATURATED < abs(v) < 1 - SATURATED or abs(v) > 1:
            continue  # far from every limit: no need to read the formula
        formula = step.formula() or ""
        if ("1/(1 + e^(−" in formula or formula.startswith("σ(")) and not (
            SATURATED < v < 1 - SATURATED
        ):
            return True
        if formula.startswith("tanh(") and abs(v) > 1 - SATURATED:
            return True
    return False


def _near_tie(value: Any, decimals: int) -> bool:
    """Whether ``value`` lies within a hundredth of a unit of its last decimal of a rounding tie
    (:data:`TIE` at 4 decimals): 0.12345 and 0.1234495 at 4 decimals are, 0.12344 is not."""
    if isinstance(value, (bool, str)) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int) or not math.isfinite(value):
        return False
    scaled = abs(value) * 10**decimals
    return abs(scaled - math.floor(scaled) - 0.5) < TIE * 10**4  # in units of the last decimal


def problem_text(data: dict[str, Any], row_id: str, seed: int, asks: list[str] | None) -> str:
    """A variant's problem file: a comment naming it, then the data (``ask:`` first)."""
    import yaml

    data = dict(data)
    if asks is not None:
        data = {"ask": asks, **{k: v for k, v in data.items() if k != "ask"}}
    if "command" in data:
        data = {"command": data["command"], **{k: v for k, v in data.items() if k != "command"}}
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
    return f"# Variant {row_id} (dlcalc vary, seed {seed})\n{body}"


# --- writing the set ---------------------------------------------------------------------------


def shown_problem(text: str) -> str:
    """The problem file as a sheet shows it: without its comment, title and ``ask:`` lines."""
    return "\n".join(
        line for line in text.splitlines() if not line.startswith(("# Variant ", "title:", "ask:"))
    )


def sheet_of(variant: Variant, title: str, answers_file: str) -> Sheet:
    from dlcalc.render.sheet import Sheet, givens

    problem = shown_problem(variant.text)
    return Sheet(
        variant.row.id,
        title,
        problem,
        givens(variant.solution),
        variant.asked,
        variant.solution,
        variant.row.columns,
        answers_file,
    )


def answers_stub(variant: Variant, decimals: int, mark_with: str) -> str:
    """The answers file a student fills in: their id, then each asked name with no value."""
    from dlcalc.render.sheet import precision

    lines = [
        f"# Answers of variant {variant.row.id}: write each value after its colon, to "
        f"{precision(decimals)}.",
        f"# Then: {mark_with}",
        f"id: {_yaml_scalar(variant.row.id)}",
    ]
    lines += [f"{_yaml_key(a.label)}:" for a in variant.asked]
    return "\n".join(lines) + "\n"


def _yaml_key(label: str) -> str:
    return label if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label) else json.dumps(label)


def _yaml_scalar(text: str) -> str:
    """``text`` as a YAML value that reads back as the same text (quoted unless plainly safe)."""
    return text if SAFE_STEM.fullmatch(text) else json.dumps(text, ensure_ascii=False)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(cell: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula (OWASP: a leading ' before = + - @ tab CR)."""
    return "'" + cell if cell[:1] in FORMULA_START else cell


def unneutral(cell: str) -> str:
    """The text :func:`neutral` wrote ``cell`` for."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START else cell


def write_set(
    variants: list[Variant], out: Path, decimals: int, title: str | None
) -> list[tuple[str, int]]:
    """Write every file of the set into ``out``; return what was written (kind, count)."""
    from dlcalc.render import sheet as render

    limits.check_text("--title", title or "")
    heading = title or (variants[0].solution.title if variants else None) or "Problem"
    if out.exists() and not out.is_dir():
        raise InputError("is a file; give a folder for the set", file=str(out), field="--output")
    sheets: list[str] = []
    keys: list[str] = []
    texts: dict[str, str] = {}
    rows = []
    extra: list[str] = []
    for v in variants:
        for h, _ in v.row.columns:
            if h not in extra:
                extra.append(h)
    for v in variants:
        i = v.row.stem
        paths = {
            "problem": f"problems/{i}.yaml",
            "sheet_md": f"sheets/{i}.md",
            "sheet_tex": f"sheets/{i}.tex",
            "sheet_html": f"sheets/{i}.html",
            "key_md": f"keys/{i}.md",
            "key_tex": f"keys/{i}.tex",
            "key_html": f"keys/{i}.html",
            "answers": f"answers/{i}.yaml",
        }
        sheet = sheet_of(v, heading, paths["answers"])
        body, key_body = render.latex_body(sheet, decimals), render.latex_key_body(sheet, decimals)
        sheets.append(body)
        keys.append(key_body)
        mark_with = f"dlcalc check --manifest manifest.csv {paths['answers']}"
        texts[paths["problem"]] = v.text
        texts[paths["sheet_md"]] = render.markdown(sheet, decimals)
        texts[paths["sheet_tex"]] = render.latex_document([body], heading)
        texts[paths["sheet_html"]] = render.html(sheet, decimals)
        texts[paths["key_md"]] = render.markdown_key(sheet, decimals)
        texts[paths["key_tex"]] = render.latex_document([key_body], heading)
        texts[paths["key_html"]] = render.html_key(sheet, decimals)
        texts[paths["answers"]] = answers_stub(v, decimals, mark_with)
        columns = dict(v.row.columns)
        rows.append(
            [neutral(v.row.id), str(v.seed), *(paths[c] for c in MANIFEST_COLUMNS[2:])]
            + [neutral(columns.get(h, "")) for h in extra]
        )
    texts["sheets.tex"] = render.latex_document(sheets, heading)
    texts["keys.tex"] = render.latex_document(keys, f"Key: {heading}")
    names = [h if h not in MANIFEST_COLUMNS else f"roster_{h}" for h in extra]
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS + [neutral(h) for h in names])
    writer.writerows(rows)
    texts["manifest.csv"] = manifest.getvalue()
    for text in texts.values():
        limits.check_output(text)
    for folder in ("", "problems", "sheets", "keys", "answers"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for rel, text in texts.items():
        _stage(out / rel, text)
    files.commit()
    return [("variants", len(variants)), ("files", len(texts))]


def _stage(path: Path, text: str) -> None:
    """Write ``text`` beside ``path`` for :func:`dlcalc.app.files.commit` to rename onto it.

    Like :func:`dlcalc.app.files.write_text` without its fsync per file: a set has thousands of
    files, and one that is cut short is never renamed into place.
    """
    tmp = files.staged(path)
    try:
        tmp.write_text(text, encoding="utf-8")
    except OSError as e:
        files.discard()
        raise InputError(f"cannot be written: {e.strerror or e}", file=str(path)) from None


# --- the command lines ---------------------------------------------------------------------------


def run_vary(values: dict[str, Any], settings: Settings) -> int:
    """``dlcalc vary TEMPLATE (--count N | --roster FILE) --seed S -o DIR``."""
    decimals = _sheet_decimals(settings)
    if settings.output is None:
        raise InputError("give the folder to write the set into, e.g. -o set/", field="--output")
    count, roster = values.get("count"), values.get("roster")
    if (count is None) == (roster is None):
        raise InputError("give either --count N or --roster FILE.csv", field="--count")
    rows = read_roster(str(roster)) if roster is not None else counted_rows(int(count or 0))
    variants = make_set(values["template"], rows, values["seed"], decimals, Settings())
    written = write_set(variants, settings.output, decimals, values.get("title"))
    if _json(settings):  # what was written, for scripts
        manifest = [
            {"id": v.row.id, "seed": v.seed, "problem": f"problems/{v.row.stem}.yaml"}
            for v in variants
        ]
        result = {
            "manifest": str(settings.output / "manifest.csv"),
            "variants": manifest,
            "files": written[1][1],
        }
        files.write_stdout(json.dumps({"command": "vary", "result": result, "steps": []}) + "\n")
        return 0
    files.write_stdout(
        f"{written[0][1]} variants, {written[1][1]} files in {settings.output}: "
        f"manifest.csv, sheets.tex, keys.tex, problems/, sheets/, keys/, answers/\n"
    )
    return 0


def _json(settings: Settings) -> bool:
    """Whether ``--format json`` asks for a JSON summary instead of the text one."""
    from dlcalc.render import Format

    return settings.fmt is Format.json


def _sheet_decimals(settings: Settings) -> int:
    from dlcalc.render.numbers import DEFAULT_DECIMALS, Places, Significant

    if isinstance(settings.decimals, Significant):
        raise InputError("sheets ask for decimal places; use --decimals N", field="--sig")
    # default: 4 places, and 4 significant figures below 0.1 (0.0003523, not 0.0004)
    return settings.decimals if isinstance(settings.decimals, Places) else DEFAULT_DECIMALS


# --- marking through the manifest -----------------------------------------------------------------


def read_manifest(path: str) -> tuple[dict[str, str], dict[str, str]]:
    """``id`` → problem path of a manifest (paths inside its folder only), and the stem of
    each problem file → its id (for answers files named after them)."""
    from dlcalc.specs.loader import _decode

    name, raw = files.read_input(path)
    text = _decode(raw, name)
    try:
        table = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as e:
        raise InputError(f"is not a CSV file ({e})", file=name, field="--manifest") from None
    folder = Path(path).parent
    problems: dict[str, str] = {}
    stems: dict[str, str] = {}
    for line, row in enumerate(table, 2):
        student = unneutral((row.get("id") or "").strip())
        problem = (row.get("problem") or "").strip()
        if not student or not problem:
            raise InputError(
                "expected the columns id and problem (a manifest.csv written by dlcalc vary)",
                file=name,
                line=line,
                field="--manifest",
            )
        rel = Path(problem)
        if rel.is_absolute() or ".." in rel.parts:
            raise InputError(
                f"the problem path {problem[:60]!r} leaves the manifest's folder",
                file=name,
                line=line,
            )
        problems[student] = str(folder / rel)
        stems[rel.stem] = student
    return problems, stems


def sheet_owner(path: str) -> str:
    """Whose sheet an answers file is: its ``id:`` or ``student:`` key, else its file name."""
    from dlcalc.grading.checking import load_sheet
    from dlcalc.grading.class_report import student_name

    try:
        owner = load_sheet(path).owner
    except InputError:
        owner = None
    return owner or student_name(path)


def mark_manifest(
    manifest: str,
    answers: list[str],
    tol: float | None,
    settings: Settings,
    marks_file: str | None = None,
) -> ClassReport:
    """Mark every answers file against its own variant; the class report (one row per file).

    Each variant's marking policy is its own ``ask:`` and ``marks:`` (or ``--marks FILE``'s),
    as ``check`` marks one problem (:func:`dlcalc.grading.marking.load_policy`).
    """
    from dlcalc.app.commands import command_of, solve, variants
    from dlcalc.app.output import bound
    from dlcalc.grading import class_report as cr
    from dlcalc.grading.marking import load_policy
    from dlcalc.specs.loader import load

    problems, stems = read_manifest(manifest)
    solved: dict[str, tuple[Any, Any, Any]] = {}
    students: list[cr.StudentMarks] = []
    title = None
    for path in answers:
        owner = sheet_owner(path)
        owner = owner if owner in problems else stems.get(owner, owner)
        if owner not in problems:
            near = _close(owner, problems)
            students.append(
                cr.StudentMarks(owner, error=f"{path}: no variant {owner!r} in the manifest{near}")
            )
            continue
        if owner not in solved:
            try:
                doc = load(problems[owner])
                name = command_of(doc, None)
                solution = solve(name, doc, settings)
                policy = bound(load_policy(doc, marks_file), solution)
                solved[owner] = (solution, variants(name, doc, settings), policy)
            except InputError as e:  # the variant's own file: a row with its error
                students.append(cr.StudentMarks(owner, error=str(e.located(problems[owner]))))
                continue
        solution, alternatives, policy = solved[owner]
        title = title or solution.title
        report = cr.mark_sheets(
            solution, [path], tol, settings.carry, alternatives, settings.decimals, policy
        )
        for marks in report.students:
            marks.student = owner
            students.append(marks)
    students.sort(key=lambda s: cr.natural(s.student))  # as every class report: s2 before s10
    return cr.ClassReport(students, title)


def _close(word: str, options: dict[str, str]) -> str:
    from dlcalc.specs.loader import suggest

    return suggest(word, options)


# --- practice ------------------------------------------------------------------------------------


def template_path(name: str) -> str:
    """A template file, or the name of a shipped one (examples/templates/NAME.yaml)."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists() or name == "-":
        return name
    shipped = Path(__file__).resolve().parent.parent.parent / "examples" / "templates"
    found = shipped / f"{name}.yaml"
    if found.is_file():
        return str(found)
    from dlcalc.specs.loader import suggest

    known = sorted(p.stem for p in shipped.glob("*.yaml")) if shipped.is_dir() else []
    raise InputError(
        f"no template {name!r}{suggest(name, known)}; give a template file"
        + (f" or one of: {', '.join(known)}" if known else ""),
        field="TEMPLATE",
    )


def run_practice(values: dict[str, Any], settings: Settings) -> int:
    """``dlcalc practice backprop``: a fresh problem, its answers stub; --show the worked key."""
    import secrets

    decimals = _sheet_decimals(settings)
    template = template_path(values["template"])
    seed = values.get("seed")
    if seed is None:
        seed = secrets.randbelow(1_000_000)
    folder = settings.output or Path(".")
    if folder.exists() and not folder.is_dir():
        raise InputError("is a file; give a folder", file=str(folder), field="--output")
    row = Row(f"practice-{seed}")
    (variant,) = make_set(template, [row], seed, decimals, Settings())
    problem = folder / f"{row.id}.yaml"
    answers = folder / f"{row.id}-answers.yaml"
    mark_with = f"dlcalc check {problem} {answers}"
    sheet = sheet_of(variant, variant.solution.title or "Practice", str(answers))
    from dlcalc.render.sheet import plain

    folder.mkdir(parents=True, exist_ok=True)
    files.write_text(problem, variant.text)
    files.write_text(answers, answers_stub(variant, decimals, mark_with))
    files.commit()
    if _json(settings):
        result = {
            "seed": seed,
            "problem": str(problem),
            "answers": str(answers),
            "ask": [a.label for a in variant.asked],
        }
        files.write_stdout(
            json.dumps({"command": "practice", "result": result, "steps": []}) + "\n"
        )
        return 0
    files.write_stdout(
        plain(sheet, decimals)
        + f"\nProblem: {problem}\nAnswers: {answers} (fill it in, then: {mark_with})\n"
        + f"The same problem again: dlcalc practice {values['template']} --seed {seed}\n"
    )
    if values.get("show"):
        from dlcalc.render.terminal import print_solution

        print_solution(variant.solution, decimals)
    return 0


def run_manifest(values: dict[str, Any], settings: Settings) -> int:
    """``check --manifest M ANSWERS…``: the class report of every answers file; exit 1 if any is wrong."""
    from dlcalc.grading import class_report as cr

    answers = [values["problem"], *(values.get("answers") or ())]
    marks_file = str(values["marks"]) if values.get("marks") else None
    marks = mark_manifest(
        str(values["manifest"]), [str(a) for a in answers], values["tol"], settings, marks_file
    )
    if values["report"] is not None:
        cr.write(marks, values["report"])
    files.write_stdout(marks.to_markdown())
    return 1 if marks.any_wrong else 0
