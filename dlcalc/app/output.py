"""The write-out pipeline: exact values, checking, rendering and writing, after a solve.

Typer-free: problems are reported by raising :class:`~dlcalc.errors.InputError`, and
:func:`finish` returns the exit status (1 when a checked answer is wrong) for the command
line to use.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlcalc import limits
from dlcalc.app import files
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.render import EXTENSIONS, Format

if TYPE_CHECKING:
    from dlcalc.model.steps import Solution
    from dlcalc.render.answer_key import Problem


def finish(solution: Solution, settings: Settings, variants: Any = None) -> int:
    """Add exact values and check answers where asked, then write; the exit status (0 or 1).

    ``variants`` (a :class:`dlcalc.grading.conventions.Problem`) lets ``check`` re-solve the problem
    under the textbook conventions it tries.
    """
    solution, wrong = complete(solution, settings, variants)
    return publish(solution, settings, wrong)


def complete(solution: Solution, settings: Settings, variants: Any = None) -> tuple[Solution, bool]:
    """The solution with exact values and marks added where asked; whether a claim is wrong.

    Refuses a solution with an undefined (NaN) value.  Writes nothing.
    """
    undefined = solution.first_undefined()
    if undefined is not None:
        raise InputError(
            f"{undefined} comes out undefined (NaN): the inputs are outside the range where its formula "
            "is defined (a division by zero, the log of 0, or an overflow)"
        )
    if settings.exact:
        from dlcalc.maths.exact import attach_exact

        limits.check_work(
            "--exact",
            limits.solution_size(solution),
            limits.MAX_EXACT_STEPS,
            "steps worked out exactly",
            "leave out --exact for a problem this size",
        )

        attach_exact(solution)
    wrong = False
    if settings.check is not None:
        from dlcalc.grading import conventions
        from dlcalc.grading.checking import check_solution, shown_policy

        solution, report = check_solution(
            solution,
            str(settings.check),
            settings.tol,
            settings.carry,
            variants,
            shown_policy(settings.decimals),
            settings.marks,
            conventions=conventions.apply,
        )
        wrong = bool(report.mismatches)
    return solution, wrong


def publish(solution: Solution, settings: Settings, wrong: bool = False) -> int:
    """Write a completed solution (terminal or -o) and its figures; the exit status (1: a claim is wrong)."""
    emit(solution, settings)
    write_figures(solution)
    return 1 if wrong else 0


def write_figures(solution: Solution) -> None:
    """Write the solution's figures (--plot, --diagram), then put every staged file in place."""
    for write_figure in solution.figures:
        write_figure()
    files.commit()  # outputs were staged beside their targets; only now do they replace them


def emit(solution: Solution, settings: Settings) -> None:
    """Render ``solution`` to the terminal or to ``settings.output``."""
    from dlcalc.render import render_text

    decimals, every_step, path = settings.decimals, settings.every_step, settings.output
    chosen_format = settings.fmt or EXTENSIONS.get(path.suffix.lower() if path else "")
    terminal = chosen_format in (None, Format.rich)
    limits.check_steps(limits.solution_size(solution), terminal)
    limits.check_grid_cells(limits.grid_cells(solution), terminal)
    if path is None:
        fmt = settings.fmt or Format.rich
        if fmt is Format.rich:
            from dlcalc.render.terminal import print_solution

            try:
                print_solution(solution, decimals, every_step)
            except OSError as e:
                raise files.stdout_failed(e) from None
        else:
            text = limits.check_output(render_text(solution, fmt, decimals, every_step))
            files.write_stdout(for_terminal(text, fmt))
        return
    suffix = path.suffix.lower()
    chosen = settings.fmt or EXTENSIONS.get(suffix)  # .html: Format.html
    if chosen is None:
        raise InputError(
            f"cannot tell the format from the extension {suffix or '(none)'!r}; use .md, .tex, .json, .txt or .html, or give --format",
            field="--output",
        )
    text = render_text(solution, chosen, decimals, every_step)
    write(path, limits.check_output(text))


def for_terminal(text: str, fmt: Format) -> str:
    """``text`` for standard output: plain ASCII under ``--ascii`` or where it cannot show Unicode."""
    from dlcalc.render import ascii_wanted, in_ascii

    return in_ascii(text, fmt) if ascii_wanted(sys.stdout) else text


def write(path: Path, text: str) -> None:
    """Stage ``text`` for ``path`` (dlcalc.app.files): written beside it, renamed by ``files.commit()``."""
    files.write_text(path, text)


def key_format(settings: Settings) -> Format:
    """The answer key's format: --format, else -o's extension, else Markdown; md, tex or html."""
    fmt, output = settings.fmt, settings.output
    chosen = fmt or (
        EXTENSIONS.get(output.suffix.lower()) if output is not None else Format.markdown
    )
    if chosen in (Format.markdown, Format.latex, Format.html):
        return chosen
    what = f"--format {fmt.value}" if fmt else f"the extension {output.suffix if output else ''!r}"
    raise InputError(
        f"cannot write an answer key for {what}; use .md, .tex or .html (or --format markdown|latex|html)",
        field="--output",
    )


def write_key(problems: list[Problem], settings: Settings, title: str) -> None:
    """Render the answer key of ``problems`` and write it to -o or standard output."""
    from dlcalc.render import answer_key

    render = {Format.latex: answer_key.latex, Format.html: answer_key.html}.get(
        key_format(settings), answer_key.markdown
    )
    text = limits.check_output(render(problems, settings.decimals, settings.every_step, title))
    if settings.output is None:
        files.write_stdout(for_terminal(text, key_format(settings)))
    else:
        write(settings.output, text)
        files.commit()


def mark_class(
    problem: str,
    answers: list[Path],
    command: str | None,
    tol: float | None,
    report: Path | None,
    settings: Settings,
    marks_file: str | None = None,
    feedback: Path | None = None,
) -> int:
    """``check`` with several sheets or --report: mark them all, print the class report (Markdown).

    ``marks_file``: a ``--marks FILE`` policy (else the problem's ``marks:``); ``feedback``: a
    folder for one HTML page per student.  The exit status: 1 when any sheet has a
    genuinely wrong claim.
    """
    from dlcalc.app.commands import command_of, solve, variants
    from dlcalc.grading import class_report as cr
    from dlcalc.grading.marking import load_policy
    from dlcalc.specs.loader import load

    doc = load(problem)
    name = command_of(doc, command)
    solution = solve(name, doc, settings)
    policy = bound(load_policy(doc, marks_file), solution)
    marks = cr.mark_sheets(
        solution,
        [str(a) for a in answers],
        tol,
        settings.carry,
        variants(name, doc, settings),
        settings.decimals,
        policy,
    )
    if report is not None:
        cr.write(marks, report)
    if feedback is not None:
        cr.write_feedback(marks, solution, feedback, settings.decimals)
    files.write_stdout(for_terminal(marks.to_markdown(), Format.markdown))
    return 1 if marks.any_wrong else 0


def check_answers(
    problem: str, command: str | None, settings: Settings, marks: str | None = None
) -> int:
    """``check``: solve ``problem`` with its command, mark ``settings.check``; the exit status.

    ``marks``: a ``--marks FILE`` whose policy replaces the problem's ``marks:``."""
    from dlcalc.app.commands import command_of, solve, variants
    from dlcalc.grading.marking import load_policy
    from dlcalc.specs.loader import load

    doc = load(problem)
    name = command_of(doc, command)
    policy = load_policy(doc, marks)
    solution = solve(name, doc, settings)
    settings.marks = bound(policy, solution)
    return finish(solution, settings, variants(name, doc, settings))


def bound(policy: Any, solution: Solution) -> Any:
    """``policy`` (a dlcalc.grading.marking.Policy, or None) with its names checked against ``solution``."""
    if policy is None:
        return None
    from dlcalc.grading.checking import Index

    return policy.bind(Index.of(solution))


def answer_key(problems: list[str], settings: Settings, title: str) -> None:
    """``key``: solve each problem file with the command it names, write one answer key."""
    from dlcalc.app.commands import command_of, solve
    from dlcalc.render.answer_key import Problem, leading_comment
    from dlcalc.specs.loader import failure, load

    key_format(settings)  # refuse a format an answer key cannot have, before solving
    files.reset()
    limits.check_text("--title", title)
    solved: list[Problem] = []
    steps = cells = 0  # the whole key is held to the limits of one document
    for problem in problems:
        name = "<stdin>" if problem == "-" else problem
        try:
            doc = load(problem)
            solution = solve(command_of(doc, None), doc, settings)
            size, grid = limits.solution_size(solution), limits.grid_cells(solution)
            limits.check_steps(size, False)
            limits.check_grid_cells(grid, False)
        except Exception as e:  # the message names the file that failed
            raise InputError(failure(e, name)) from None
        steps, cells = steps + size, cells + grid
        limits.check_steps(steps, False, f"{name} (the answer key so far)")
        limits.check_grid_cells(cells, False, f"{name} (the answer key so far)")
        solved.append(Problem(solution, Path(name).name, leading_comment(doc.text)))
    write_key(solved, settings, title)


def grade_class(values: dict[str, Any], settings: Settings) -> int:
    """``grade``: re-mark every attempt of an LMS responses report, write the LMS's grade CSV."""
    from dlcalc.app.commands import command_of, solve, variants
    from dlcalc.grading import class_report as cr
    from dlcalc.grading import gradebook as gb
    from dlcalc.grading.checking import Index
    from dlcalc.grading.marking import load_policy
    from dlcalc.specs.loader import load

    if settings.output is None:
        raise InputError("give the grade file to write with -o FILE (.csv)", field="--output")
    if values["to"] not in (None, "moodle", "canvas"):
        raise InputError(f"unknown LMS {values['to']!r}; expected moodle or canvas", field="--to")
    problem = values["problem"]
    doc = load(problem)
    name = command_of(doc, values["command"])
    marks = values.get("marks")
    policy = load_policy(doc, str(marks) if marks else None)
    if policy.ask is None:
        raise InputError(
            "needs `ask: [label, ...]` (in the problem or the --marks file): the quiz's parts are the asked quantities in order",
            file=str(problem),
            field="ask",
        )
    solution = solve(name, doc, settings)
    index = Index.of(solution)
    policy = policy.bind(index)
    asked = list(policy.ask or ())
    path = str(values["responses"])
    responses = gb.read_responses(path, asked, index, values["question"])
    sheets = [
        (a.student, f"{path}, line {a.row}", gb.sheet_of(a, f"{path}, line {a.row}", values["tol"]))
        for a in responses.attempts
    ]
    report = cr.mark_loaded(
        solution, sheets, settings.carry, variants(name, doc, settings), settings.decimals, policy
    )
    rows = gb.best_attempts(responses, report)
    item = values["item"] or f"dlcalc: {solution.title or name}"
    limits.check_text("--item", item)
    to = values["to"] or responses.lms
    possible = max((s.max_score for s in report.students if s.max_score is not None), default=None)
    text = (
        gb.moodle_grades(rows, item) if to == "moodle" else gb.canvas_grades(rows, item, possible)
    )
    files.write_text(settings.output, text)
    if values["report"] is not None:
        cr.write(report, values["report"])
    if values["feedback"] is not None:
        cr.write_feedback(report, solution, values["feedback"], settings.decimals)
    files.commit()
    files.write_stdout(report.to_markdown())
    return 0
