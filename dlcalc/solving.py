"""Which command a problem file is for: ``dlcalc solve FILE`` and files given to the wrong command.

A problem file may name its command (``command: backprop``).  ``solve`` runs that
command; any other command refuses the file and says which command it is for.  A
file without ``command:`` that holds another command's keys gets the same advice
instead of a bare "unknown key".  Nothing here knows Typer: the CLI hands over the
words after ``dlcalc solve`` and the options that take a value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from dlcalc.errors import InputError
from dlcalc.specs.loader import Document, suggest

# Commands that do not solve a problem file of their own, so ``solve`` cannot run them.
NOT_SOLVABLE = frozenset({"solve", "check", "key", "derive", "graph"})

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
