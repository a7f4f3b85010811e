"""Which command a problem file is for: ``dlcalc solve FILE`` and files given to the wrong command.

A problem file may name its command (``command: backprop``).  ``solve`` runs that
command; any other command refuses the file and says which command it is for.  A
file without ``command:`` that holds another command's keys gets the same advice
instead of a bare "unknown key".  Nothing here knows Typer: the CLI hands over the
words after ``dlcalc solve`` and the options that take a value.

:func:`solve_problem` is the one path from a problem to its worked solution, for every
registered command on the command line and for :func:`dlcalc.solve` alike (as sqlite-utils'
commands all call its library): they differ only in where the solution goes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from dlcalc.errors import InputError
from dlcalc.specs.loader import Document, suggest

if TYPE_CHECKING:
    from dlcalc.app.settings import Settings
    from dlcalc.model.diagrams import Drawing
    from dlcalc.model.steps import Solution

# Commands that do not solve a problem file of their own, so ``solve`` cannot run them.
NOT_SOLVABLE = frozenset({"solve", "check", "key", "derive", "graph", "export"})

# Top-level keys that only one command's problem files hold: a file given to another
# command with one of these keys is that command's problem.
DISTINCTIVE_KEYS = {
    "perceptrons": "perceptron",
    "classify": "perceptron",
    "truth_table": "perceptron",
    "codes": "perceptron",
    "positive": "perceptron",
    "fire_at_zero": "perceptron",
    "max_epochs": "perceptron",
    "gaussian": "kld",
    "p": "kld",
    "q": "kld",
    "probabilities": "crossentropy",
    "probability": "crossentropy",
    "logit": "crossentropy",
    "temperature": "softmax",
    "update_bias": "backprop",
    "examples": "forward",
}


def named_command(doc: Document) -> str | None:
    """The file's ``command:`` key, or None when it names none (refusing a value that is not a name)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    name = data.get("command")
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"expected a command name, e.g. `command: backprop`; got {name!r}"[:200],
            file=doc.name,
            line=doc.line_of(("command",)),
            field="command",
        )
    return name.strip()


# Commands that also read another command's problem: ``forward`` and ``gradcheck`` take a
# ``backprop`` problem (the same network; forward reads its training keys and uses none).
ALSO_READS = {"forward": frozenset({"backprop"}), "gradcheck": frozenset({"backprop"})}


def refuse_other_command(doc: Document, command: str) -> None:
    """Refuse a file whose ``command:`` names another command, saying which one it is for."""
    named = named_command(doc)
    if named is None or named == command or named in ALSO_READS.get(command, ()):
        return
    raise InputError(
        f"this file is {_a(named)} `{named}` problem (its `command:` key says so), not {_a(command)} `{command}` one; "
        f"run `dlcalc {named} {doc.name}` or `dlcalc solve {doc.name}`",
        file=doc.name,
        line=doc.line_of(("command",)),
        field="command",
    )


def explain_unknown_key(error: InputError, doc: Document, command: str) -> InputError:
    """An "unknown key" error for a key another command knows becomes advice to run that command."""
    if not error.message.startswith("unknown key") or error.field is None:
        return error
    key = error.field
    keys = list(doc.data) if isinstance(doc.data, dict) else []
    if key not in keys:  # an unknown key inside a layer or example, not the file's own
        return error
    family = {"forward", "backprop"} if command in ("forward", "backprop") else {command}
    owners = {DISTINCTIVE_KEYS[k] for k in keys if k in DISTINCTIVE_KEYS} - family
    if len(owners) != 1:
        return error
    owner = owners.pop()
    error.message = (
        f"unknown key {key!r} for `{command}`: this looks like {_a(owner)} `{owner}` problem; "
        f"run `dlcalc {owner} {doc.name}` (or add `command: {owner}` and run `dlcalc solve {doc.name}`)"
    )
    return error


def _a(word: str) -> str:
    """The article before a command's name: a `forward`, an `optimize`."""
    return "an" if word[:1].lower() in "aeio" else "a"


def command_to_solve(doc: Document, commands: Collection[str]) -> str:
    """The command ``dlcalc solve`` runs for ``doc``: its ``command:`` key, which must name one of ``commands``."""
    named = named_command(doc)
    choices = sorted(c for c in commands if c not in NOT_SOLVABLE)
    if named is None:
        raise InputError(
            "missing key 'command'; `dlcalc solve` runs the command the file names, e.g. "
            f"`command: backprop` (one of: {', '.join(choices)})",
            file=doc.name,
            field="command",
        )
    if named not in choices:
        raise InputError(
            f"`dlcalc solve` cannot run {named!r}{suggest(named, choices)}; expected one of: {', '.join(choices)}",
            file=doc.name,
            line=doc.line_of(("command",)),
            field="command",
        )
    return named


def read_problem(problem: str) -> Document:
    """Load ``problem`` to learn its command; standard input is kept for the command to read again."""
    import io
    import sys

    from dlcalc.specs.loader import load

    if problem != "-":
        return load(problem)
    text = sys.stdin.read() if sys.stdin is not None else ""
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    doc = load("-")
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    return doc


def split_problem(args: Iterable[str], value_options: Collection[str]) -> tuple[str, list[str]]:
    """The problem file among the words after ``dlcalc solve``, and the other words (the options).

    ``value_options`` are the options that take a value (``--format``, ``-o``), so that the
    value after one is not mistaken for the file.
    """
    rest: list[str] = []
    problem: str | None = None
    words = iter(args)
    for word in words:
        if word == "--":
            tail = list(words)
            if tail and problem is None:
                problem, tail = tail[0], tail[1:]
            rest += ["--", *tail] if tail else []
            break
        if word == "-" or not word.startswith("-"):
            if problem is None:
                problem = word
            else:
                rest.append(word)
            continue
        rest.append(word)
        if "=" not in word and word in value_options:
            value = next(words, None)
            if value is not None:
                rest.append(value)
    if problem is None:
        raise InputError(
            "give the problem file to solve (or - for standard input), e.g. `dlcalc solve problem.yaml`",
            field="PROBLEM",
        )
    return problem, rest


# --- the one path from a problem to its worked solution --------------------------------------


class Solved:
    """A problem solved by :func:`solve_problem`: the worked solution (exact values and marks
    added where asked), whether a checked claim is wrong, and what it was solved from."""

    __slots__ = ("solution", "wrong", "command", "doc", "settings")

    def __init__(
        self,
        solution: Solution,
        wrong: bool,
        command: str,
        doc: Document | None,
        settings: Settings,
    ) -> None:
        self.solution = solution
        self.wrong = wrong
        self.command = command
        self.doc = doc
        self.settings = settings

    def drawing(self) -> Drawing | None:
        """The diagram of the solution (a network's units and weights), None for other commands."""
        from dlcalc.model.diagrams import drawing_of

        return drawing_of(self.command, self.doc, self.solution)


def read_document(problem: str | None, data: dict | None) -> Document:
    """The problem file ``problem`` (or - for standard input), or the problem ``data`` built
    from command-line numbers."""
    from dlcalc.app.arguments import ARGUMENTS
    from dlcalc.specs.loader import load

    return Document(data, ARGUMENTS) if data is not None else load(str(problem))


def solve_problem(command: str | None, doc: Document, settings: Settings) -> Solved:
    """Solve ``doc`` with ``command`` (None: the command its ``command:`` key names).

    The single path of every problem command: ``dlcalc COMMAND FILE``, ``dlcalc solve FILE``
    and :func:`dlcalc.solve` all come through here, then only write the solution out (or show
    it) differently.  Raises :class:`InputError` for invalid input.
    """
    from dlcalc.app.commands import COMMANDS, solve, variants
    from dlcalc.app.output import complete
    from dlcalc.grading.checking import Index

    if settings.diagram is not None:
        from dlcalc.render.diagram import check_diagram_path

        check_diagram_path(settings.diagram)  # before solving: a wrong name costs nothing
    name = command_to_solve(doc, COMMANDS) if command is None else command
    refuse_other_command(doc, name)
    checked = variants(name, doc, settings) if settings.check is not None else None
    try:
        solution = solve(name, doc, settings)
    except InputError as e:
        raise explain_unknown_key(e, doc, name) from None
    if settings.check is not None:  # the problem's marking policy (marks:, ask:)
        from dlcalc.grading.marking import load_policy

        settings.marks = load_policy(doc).bind(Index.of(solution))
    solution, wrong = complete(solution, settings, checked)
    add_diagram(name, doc, solution, settings)
    return Solved(solution, wrong, name, doc, settings)


def add_diagram(command: str, doc: Document | None, solution: Solution, settings: Settings) -> None:
    """With ``--diagram FILE``: add the figure that writes the diagram of ``solution`` to FILE."""
    if settings.diagram is None:
        return
    from dlcalc.model.diagrams import drawing_of
    from dlcalc.render.diagram import diagram_figure

    drawing = drawing_of(command, doc, solution)
    if drawing is None:
        raise InputError(
            f"draws network problems (forward, backprop) and graph; `{command}` has no diagram",
            field="--diagram",
        )
    solution.figures.append(diagram_figure(settings.diagram, drawing, settings.decimals))
