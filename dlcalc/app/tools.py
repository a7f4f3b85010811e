"""The commands that solve no single problem type: check, key, derive and graph.

Each is declared as plain data, like the registered problem commands (:mod:`dlcalc.app.commands`):
its ``--help``, its own arguments and options (:class:`~dlcalc.app.settings.Opt`), the shared
options it takes, and a function that runs it from the option values and the
:class:`~dlcalc.app.settings.Settings`.  The command line (dlcalc/app/cli.py) turns each into a Typer
command only when it runs.  Typer-free: errors are raised as :class:`~dlcalc.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlcalc.app.commands import PROBLEM
from dlcalc.app.settings import Opt, Settings
from dlcalc.errors import InputError

if TYPE_CHECKING:
    from dlcalc.model.steps import Solution


@dataclass(frozen=True)
class Tool:
    """A command with its own way of running: ``run(values, settings)`` returns the exit status."""

    name: str
    help: str
    arguments: tuple[Opt, ...]  # its own arguments and options
    options: tuple[str, ...]  # the optional shared options it takes (names in SHARED)
    run: Callable[[dict[str, Any], Settings], int | None]
    where: Callable[[dict[str, Any]], str] = lambda values: ""  # the input errors are about
    expression: bool = False  # its first argument is an expression that may begin with '-'
    files: bool = False  # its arguments are files whose names may begin with '-' (-2+3.yaml)


CHECK_HELP = """\
Check a student's answers against the worked solution, with error carried forward.

ANSWERS maps names to claimed values: a label as the tables show it (out_h1, dE_dw5,
w5_new), its symbol (∂E/∂w5, w5⁺) or a path into the JSON result
(layers[1].weights[0][0]).  A claim is right when it agrees to the decimals it was
written with (0.50 means ±0.005).  A wrong value that follows from the student's own
earlier wrong values is marked ↪ (carried forward), not ✗.  Slide-style names (w46+,
θ4, Err6) are understood, and work done under a textbook convention (Han & Kamber's
Err = −δ, a sequential update, the loss without ½, …) is ✓ under it when it explains two
claims or the sheet declares it (docs/checking.md).  Several ANSWERS files, or --report,
mark a whole class.  Exit status 1 when any claim is genuinely wrong.

\b
Examples:
  dlcalc check examples/mazur.yaml examples/answers/mazur.yaml
  dlcalc check problem.yaml answers.yaml --command backprop --format json
  dlcalc check examples/mazur.yaml answers/*.yaml --report marks.csv
  dlcalc check --manifest set/manifest.csv returned/*.yaml --report marks.csv
"""


def run_check(values: dict[str, Any], settings: Settings) -> int:
    """Mark one answers file against the solution, or a whole class (several files, --report)."""
    from dlcalc.app.output import check_answers, mark_class

    if values.get("manifest") is not None:  # every sheet against its own variant (dlcalc vary)
        from dlcalc.sets.problem_sets import run_manifest

        return run_manifest(values, settings)
    problem, answers = values["problem"], [Path(a) for a in values["answers"] or ()]
    if not answers:
        raise InputError(
            "give the answers file to check, e.g. dlcalc check problem.yaml answers.yaml",
            field="ANSWERS",
        )
    marks = str(values["marks"]) if values.get("marks") else None
    if values["report"] is not None or values.get("feedback") is not None or len(answers) > 1:
        return mark_class(
            problem,
            answers,
            values["command"],
            values["tol"],
            values["report"],
            settings,
            marks,
            values.get("feedback"),
        )
    settings.check, settings.tol = answers[0], values["tol"]
    return check_answers(problem, values["command"], settings, marks)


GRADE_HELP = """\
Re-mark a quiz's attempts from the LMS and write the grades in the LMS's import format.

RESPONSES is a Moodle quiz "Responses" report or a Canvas "Student Analysis" report,
downloaded as CSV (the format is told by its header).  Every attempt is marked with
error carried forward, the textbook conventions and the problem's marking policy
(`marks:`, or --marks FILE); the problem's `ask:` list says which quantity each part
(Moodle's cloze "part k", Canvas's k-th question) is.  -o gets the grade file: Moodle's
grade import CSV (ID number, Email address, the grade item, Feedback) or Canvas's
gradebook CSV (Student, ID, SIS User ID, SIS Login ID, Section, the assignment), for
the LMS the responses came from unless --to says otherwise.  A student's best attempt
counts.  Cells a spreadsheet would run as formulas are neutralised.

\b
Examples:
  dlcalc grade quiz.yaml responses.csv -o grades.csv
  dlcalc grade quiz.yaml student_analysis.csv -o gradebook.csv --to canvas --feedback fb/
"""


def run_grade(values: dict[str, Any], settings: Settings) -> int:
    from dlcalc.app.output import grade_class

    return grade_class(values, settings)  # -o (settings.output) is the grade file


KEY_HELP = """\
Answer key: solve several problem files into one numbered Markdown, LaTeX or HTML document.

Each problem gets its number, title and source (the file's leading # comment lines,
else its `source:` key), after a contents list.  The format follows -o's extension
(.md, .tex, .html) unless --format is given; LaTeX is a complete document (amsmath,
booktabs, lmodern) for pdflatex; HTML is one self-contained page.

\b
Examples:
  dlcalc key examples/*.yaml -o key.md
  dlcalc key examples/mazur.yaml examples/hankamber.yaml -o key.tex
"""


def run_key(values: dict[str, Any], settings: Settings) -> None:
    from dlcalc.app.output import answer_key

    answer_key(values["problems"], settings, values["title"])


DERIVE_HELP = """\
The derivative of an expression, each chain-rule factor shown (SymPy does the calculus).

Functions: exp ln log sqrt sin cos tan tanh sinh cosh sigmoid σ relu softplus abs
max min, and softmax(k, z1, …, zn) (the k-th output).  Named activations come with
their derivative worked out from the definition (σ′ = σ·(1 − σ) by the quotient
rule); softmax brings its Jacobian and softmax + cross-entropy = ŷ − y.

\b
Examples:
  dlcalc derive 'exp(exp(x^2))'
  dlcalc derive 'sigmoid(x)' --at x=0.3
  dlcalc derive 'w*x + b' --wrt w
  dlcalc derive -x^2 --at x=2
"""


GRAPH_HELP = """\
The computational graph of an expression: forward values, then the backward pass.

Every node with its operation, value and adjoint ∂f/∂node, in evaluation order and
as a tree; each input's gradient is summed over every path from it to the output.

\b
Examples:
  dlcalc graph 'x*y + sin(x)' --at x=0.5,y=2
  dlcalc graph 'sigmoid(w1*x1 + w2*x2 + b)' --at w1=0.1,w2=-0.2,x1=1,x2=2,b=0
"""


def expression_solver(
    name: str, solve: Callable[[Any, dict[str, Any]], Solution]
) -> Callable[[dict[str, Any], Settings], Solution]:
    """Parse the expression and ``--at`` first (bad input never waits for SymPy), then solve.

    ``solve(calculus, values)`` gets the topic module and the option values, with ``at``
    parsed into a mapping of symbol values (a mapping given to :func:`dlcalc.solve` is
    read like ``x=0.5,y=2``)."""

    def solved(values: dict[str, Any], settings: Settings) -> Solution:
        from dlcalc.app.solving import add_diagram
        from dlcalc.maths.expressions import parse, parse_assignments

        if settings.diagram is not None:
            from dlcalc.render.diagram import check_diagram_path

            check_diagram_path(settings.diagram)
        parse(values["expression"])
        at = values.get("at")
        if isinstance(at, dict):
            at = ",".join(f"{k}={v}" for k, v in at.items())
        values = {**values, "at": parse_assignments(at) if at is not None else None}
        from dlcalc.topics import calculus

        solution = solve(calculus, values)
        add_diagram(name, None, solution, settings)
        return solution

    return solved


def run_solved(solve: Callable[[dict[str, Any], Settings], Solution]) -> Callable[..., int]:
    """Solve, then add exact values, check and write as every problem command does."""

    def run(values: dict[str, Any], settings: Settings) -> int:
        from dlcalc.app.output import finish

        return finish(solve(values, settings), settings)

    return run


EXPRESSION = Opt(
    "expression",
    (),
    "The expression, e.g. 'exp(x^2)' or 'sigmoid(w*x + b)'; quote it for the shell.",
    metavar="EXPR",
    required=True,
)
AT = "x=0.3,y=1"


EXPORT_HELP = """\
Export problems (or a `vary` manifest's variants) as a quiz an LMS imports.

Each problem is solved; its asked quantities (`ask:`, else the command's final
answers) become numerical answers, as the key shows them, with a tolerance (the
problem's `marks:`, else half a unit in the last shown decimal); its givens are the
question and its worked solution the feedback.  --to moodle: Moodle XML, one cloze
question per problem (variants of one template share a category, for a quiz's
random question); gift: one GIFT question per asked quantity; qti: an IMS QTI 1.2
.zip for Canvas.  docs/moodle.md and docs/canvas.md give the import steps.

\b
Examples:
  dlcalc export examples/mazur.yaml --to moodle -o mazur.xml
  dlcalc export variants/manifest.csv --to moodle -o quiz.xml
  dlcalc export examples/mazur.yaml examples/softmax-3-4-10-3.yaml --to gift
  dlcalc export variants/manifest.csv --to qti -o quiz.zip
"""


def run_export(values: dict[str, Any], settings: Settings) -> None:
    from dlcalc.export import export

    export(values["problems"], values["to"], settings, values["moodle_type"])


DERIVE = expression_solver(
    "derive", lambda calculus, v: calculus.solve_derive(v["expression"], v.get("wrt"), v["at"])
)
GRAPH = expression_solver(
    "graph", lambda calculus, v: calculus.solve_graph(v["expression"], v["at"])
)
# The tools that work out one solution (run writes it; dlcalc.solve shows it).
SOLVERS: dict[str, Callable[[dict[str, Any], Settings], Solution]] = {
    "derive": DERIVE,
    "graph": GRAPH,
}

COMMAND_OPTION = Opt(
    "command",
    ("--command", "-c"),
    "The command that solves the problem (default: the problem file's `command:` key).",
    metavar="COMMAND",
)
MARKS_OPTION = Opt(
    "marks",
    ("--marks",),
    "A marking policy (YAML with `marks:` and optionally `ask:`) that replaces the problem's: weights per step, tolerance mode, carried-forward credit, precision penalty (docs/marking.md).",
    Path,
    metavar="FILE",
)


def _where(values: dict[str, Any]) -> str:
    return "<stdin>" if values["problem"] == "-" else str(values["problem"])


VARY_HELP = """\
A different problem for every student: variants of a template, their sheets, keys and a manifest.

A template is a problem file in which a number may be a draw: {uniform: [lo, hi],
decimals: d}, {integer: [lo, hi]} or {choice: [a, b, ...]}; `constraints:` lists
conditions on the solved variant ('abs(net_h1) < 3', '0.05 < out_o1 < 0.95') and `ask:`
the quantities asked (default: the command's final answers).  One variant per row of
--roster (a CSV, first column the student's id; a header line is recognised) or up to
--count; each variant's seed is a hash of --seed and its id, so the same arguments give
the same files and a student added later changes nobody's problem.  Written into -o DIR:
manifest.csv; per variant problems/ID.yaml, sheets/ID.{md,tex,html}, keys/ID.{md,tex,html}
and answers/ID.yaml (the stub the student fills in); sheets.tex and keys.tex (one student
a page).  Mark the returned answers with dlcalc check --manifest DIR/manifest.csv.

\b
Examples:
  dlcalc vary examples/templates/backprop.yaml --count 60 --seed 2026 -o set/
  dlcalc vary examples/templates/backprop.yaml --roster class.csv --seed 2026 -o set/
  dlcalc check --manifest set/manifest.csv returned/*.yaml --report marks.csv
"""

PRACTICE_HELP = """\
Practice: a fresh problem like the ones in class, with its answers file to fill in.

TEMPLATE is a template file or the name of a shipped one (backprop, forward, softmax,
... : examples/templates/).  Prints the problem and writes it with an answers stub;
after filling the stub in, dlcalc check PROBLEM ANSWERS shows where it went wrong.
--show also prints the worked solution.  --seed repeats a problem.

\b
Examples:
  dlcalc practice backprop
  dlcalc practice softmax --seed 7 --show
  dlcalc practice my-template.yaml -o practice/
"""


def run_vary(values: dict[str, Any], settings: Settings) -> int:
    from dlcalc.sets.problem_sets import run_vary as run

    return run(values, settings)


def run_practice(values: dict[str, Any], settings: Settings) -> int:
    from dlcalc.sets.problem_sets import run_practice as run

    return run(values, settings)


SEED = Opt(
    "seed", ("--seed",), "The seed: the same seed gives the same problems.", int, min=0, max=10**12
)

TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "check",
            CHECK_HELP,
            (
                PROBLEM,
                Opt(
                    "answers",
                    (),
                    "YAML answers file(s): quantity name (as the tables show it) or result path → claimed value.",
                    list,
                    metavar="ANSWERS",
                ),
                COMMAND_OPTION,
                Opt(
                    "tol",
                    ("--tol",),
                    "Absolute tolerance for every claim (default: half a unit of each claim's last written decimal).",
                    float,
                    min=0.0,
                    max=1e6,
                ),
                MARKS_OPTION,
                Opt(
                    "feedback",
                    ("--feedback",),
                    "Mark every ANSWERS file and write one HTML feedback page per student into DIR (the marked worked solution, the points and why).",
                    Path,
                    metavar="DIR",
                ),
                Opt(
                    "report",
                    ("--report",),
                    "Mark every ANSWERS file and write a class report (.csv or .md): per-student totals and the steps most often first wrong.",
                    Path,
                    metavar="FILE",
                ),
                Opt(
                    "manifest",
                    ("--manifest",),
                    "A manifest.csv of dlcalc vary: then every argument is an answers file, marked against its own variant (its id: key, else its file name).",
                    Path,
                    metavar="MANIFEST",
                ),
            ),
            ("carry", "every_step"),
            run_check,
            _where,
            files=True,
        ),
        Tool(
            "grade",
            GRADE_HELP,
            (
                PROBLEM,
                Opt(
                    "responses",
                    (),
                    "The LMS's responses report (CSV): Moodle quiz Responses or Canvas Student Analysis.",
                    Path,
                    metavar="RESPONSES",
                    required=True,
                ),
                Opt(
                    "to",
                    ("--to",),
                    "The grade file's LMS: moodle or canvas (default: the responses' own).",
                    metavar="LMS",
                ),
                Opt(
                    "item",
                    ("--item",),
                    "The grade item (Moodle) or assignment (Canvas) column name (default: dlcalc: <title>).",
                    metavar="NAME",
                ),
                Opt(
                    "question",
                    ("--question",),
                    "Which Moodle question (Response N) holds this problem's cloze parts (default 1).",
                    int,
                    default=1,
                    min=1,
                    max=1000,
                ),
                COMMAND_OPTION,
                MARKS_OPTION,
                Opt(
                    "tol",
                    ("--tol",),
                    "Absolute tolerance for every answer (default: the marking policy).",
                    float,
                    min=0.0,
                    max=1e6,
                ),
                Opt(
                    "report",
                    ("--report",),
                    "Also write the class report (.csv or .md).",
                    Path,
                    metavar="FILE",
                ),
                Opt(
                    "feedback",
                    ("--feedback",),
                    "Also write one HTML feedback page per attempt into DIR.",
                    Path,
                    metavar="DIR",
                ),
            ),
            ("carry",),
            run_grade,
            _where,
        ),
        Tool(
            "key",
            KEY_HELP,
            (
                Opt(
                    "problems",
                    (),
                    "YAML problem files, each with a `command:` key.",
                    list,
                    metavar="PROBLEM...",
                    required=True,
                ),
                Opt("title", ("--title",), "The document's title.", default="Answer key"),
            ),
            ("carry", "every_step"),
            run_key,
        ),
        Tool(
            "export",
            EXPORT_HELP,
            (
                Opt(
                    "problems",
                    (),
                    "YAML problem files, or a `dlcalc vary` manifest.csv (its variants).",
                    list,
                    metavar="PROBLEM_OR_MANIFEST...",
                    required=True,
                ),
                Opt(
                    "to",
                    ("--to",),
                    "The quiz format: moodle (Moodle XML), gift or qti (Canvas, a .zip).",
                    metavar="moodle|gift|qti",
                    required=True,
                ),
                Opt(
                    "moodle_type",
                    ("--moodle-type",),
                    "Moodle questions: cloze (one per problem, default) or numerical (one per asked quantity).",
                    metavar="cloze|numerical",
                    default="cloze",
                ),
            ),
            (),
            run_export,
        ),
        Tool(
            "vary",
            VARY_HELP,
            (
                Opt(
                    "template",
                    (),
                    "The template: a problem file with draws.",
                    metavar="TEMPLATE",
                    required=True,
                ),
                Opt(
                    "count",
                    ("--count", "-n"),
                    "Make N variants (ids 1 … N, zero-padded to one width: 01 … 60).",
                    int,
                    min=1,
                    max=10**6,
                ),
                Opt(
                    "roster",
                    ("--roster",),
                    "A CSV class list: one variant per row, the first column the student's id.",
                    Path,
                    metavar="FILE.csv",
                ),
                Opt(
                    "seed",
                    ("--seed",),
                    "The set's seed: the same seed gives the same problems.",
                    int,
                    default=0,
                    min=0,
                    max=10**12,
                ),
                Opt(
                    "title",
                    ("--title",),
                    "The sheets' title (default: the template's).",
                    metavar="TEXT",
                ),
            ),
            (),
            run_vary,
            lambda values: str(values["template"]),
        ),
        Tool(
            "practice",
            PRACTICE_HELP,
            (
                Opt(
                    "template",
                    (),
                    "A template file, or a shipped template's name (backprop, softmax, …).",
                    metavar="TEMPLATE",
                    required=True,
                ),
                SEED,
                Opt("show", ("--show",), "Also print the worked solution.", bool),
            ),
            (),
            run_practice,
        ),
        Tool(
            "derive",
            DERIVE_HELP,
            (
                EXPRESSION,
                Opt(
                    "wrt",
                    ("--wrt",),
                    "The variable to differentiate by (default: the only symbol, or x).",
                    metavar="NAME",
                ),
                Opt(
                    "at",
                    ("--at",),
                    "Values of the symbols, name=value pairs separated by commas.",
                    metavar=AT,
                ),
            ),
            (),
            run_solved(DERIVE),
            expression=True,
        ),
        Tool(
            "graph",
            GRAPH_HELP,
            (
                EXPRESSION,
                Opt(
                    "at",
                    ("--at",),
                    "Values of every symbol, name=value pairs separated by commas.",
                    metavar=AT,
                    required=True,
                ),
            ),
            ("diagram",),
            run_solved(GRAPH),
            expression=True,
        ),
    )
}
