"""dlcalc from Python: solve a problem, check answers, show the worked solution in a notebook.

    import dlcalc
    s = dlcalc.solve("examples/mazur.yaml")               # a problem file ...
    s = dlcalc.solve({"command": "softmax", "logits": [3, 4, 10, 3]}, decimals=2)  # ... or a dict
    s.result["probabilities"]                              # the JSON document's result
    s.show(every_step=True, decimals=6)

Options are the command line's, by their long names (``decimals=4``, ``carry=3``,
``exact=True``, ``every_step=True``, ``diagram="net.svg"``, ``temperature=2`` …).  Every
problem goes the command line's own way (:func:`dlcalc.app.solving.solve_problem`): the same
validation, the same solution, the same one-line message for invalid input, raised here as
:class:`InvalidInput`.  A command registered in :mod:`dlcalc.app.commands` works here with no
change.  Nothing here imports SymPy, Rich or Typer unless a feature needs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlcalc.app.settings import ALWAYS, SHARED, Opt, Settings
from dlcalc.errors import InputError, InvalidInput

if TYPE_CHECKING:
    from dlcalc.model.diagrams import Drawing
    from dlcalc.model.steps import Solution
    from dlcalc.specs.loader import Document

__all__ = ["InvalidInput", "WorkedSolution", "check", "solve"]

DICT = "<dict>"  # how a problem given as a dict is named in messages
ANSWERS = "<answers>"  # ... and answers given as a dict


def solve(problem: Any = None, command: str | None = None, **options: Any) -> WorkedSolution:
    """Solve ``problem`` (a problem file's path, or a dict with the file's keys).

    ``command`` is the command to run (default: the problem's ``command:`` key);
    ``options`` are the command line's options by their long names.  Raises
    :class:`InvalidInput` (a ``ValueError``) with the command line's one-line message.
    """
    return _run(problem, command, options)


def check(
    problem: Any,
    answers: Any,
    command: str | None = None,
    tol: float | None = None,
    **options: Any,
) -> WorkedSolution:
    """Mark a student's ``answers`` (a path, or a dict of quantity name → claimed value).

    The same as ``dlcalc solve PROBLEM --check ANSWERS``: the worked solution with every
    claim marked ✓ ✗ ↪, whose ``result`` holds the marks (``checked``, ``mismatches``, …) and
    ``marks`` each marked step's verdict.  ``tol`` is ``dlcalc check --tol``: one absolute
    tolerance for every claim.
    """
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 <= tol <= 1e6
    ):
        raise InvalidInput(f"tol: expected a number from 0 to 1e+06; got {tol!r}")
    if isinstance(answers, Mapping):
        import tempfile

        import yaml

        with tempfile.TemporaryDirectory(prefix="dlcalc-") as folder:
            path = Path(folder) / "answers.yaml"
            path.write_text(
                yaml.safe_dump(_plain(dict(answers)), sort_keys=False, allow_unicode=True),
                encoding="utf-8",
            )
            return _run(problem, command, {**options, "check": path}, (str(path), ANSWERS), tol)
    return _run(problem, command, {**options, "check": answers}, tol=tol)


# --- the way in: options by long name, the problem as a file or a dict ------------------------


def _long_name(opt: Opt) -> str:
    flag = next((f for f in opt.flags if f.startswith("--")), opt.flags[0])
    return flag.lstrip("-").replace("-", "_")


def _interface(name: str) -> tuple[tuple[Opt, ...], list[str], Any]:
    """A command's own arguments, its shared options and the function solving it."""
    from dlcalc.app.commands import COMMANDS

    if name in COMMANDS:
        command = COMMANDS[name]
        return command.arguments, [*ALWAYS, *command.options], None
    from dlcalc.app.tools import SOLVERS, TOOLS

    if name not in SOLVERS:
        from dlcalc.specs.loader import suggest

        known = sorted({*COMMANDS, *SOLVERS})
        raise InputError(
            f"unknown command {name!r}{suggest(name, known)}; expected one of: {', '.join(known)}",
            field="command",
        )
    tool = TOOLS[name]
    return tool.arguments, [*ALWAYS, *tool.options], SOLVERS[name]


def _convert(long: str, opt: Opt, value: Any) -> Any:
    """A Python value for ``opt``, checked as the command line checks the option's text."""
    kind = opt.kind

    def wrong(expected: str) -> InputError:
        return InputError(f"expected {expected}; got {value!r}"[:200], field=long)

    if value is None:
        return None
    if kind is bool:
        if not isinstance(value, bool):
            raise wrong("True or False")
        return value
    if kind in (int, float):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (kind is int and not float(value).is_integer()):
            raise wrong("a whole number" if kind is int else "a number")
        value = kind(value)
        if (opt.min is not None and value < opt.min) or (opt.max is not None and value > opt.max):
            raise wrong(f"a number from {opt.min:g} to {opt.max:g}")
        return value
    if kind is Path:
        if not isinstance(value, (str, os.PathLike)):
            raise wrong("a file name")
        return Path(value)
    if kind is list:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise wrong("a list")
        return [_text(v) for v in items]
    if isinstance(kind, type) and issubclass(kind, str) and kind is not str:  # Format
        try:
            return kind(value)
        except ValueError:
            raise wrong("one of " + ", ".join(m.value for m in kind)) from None  # type: ignore[attr-defined]
    return _text(value)


def _text(value: Any) -> str:
    """Values as the command line writes them: 0.5,0.5 (a list), 0,1;1,0 (rows), x=1,y=2 (a dict)."""
    value = _plain(value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        rows = [v if isinstance(v, list) else [v] for v in value]
        if all(isinstance(v, list) for v in value):
            return ";".join(",".join(str(x) for x in row) for row in rows)
        return ",".join(str(v) for v in value)
    return str(value)


def _plain(value: Any) -> Any:
    """NumPy arrays and scalars, tuples and paths as plain YAML-ready values."""
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def where(problem: Any) -> str:
    """How ``problem`` is named in messages: its path, <stdin> or <dict>."""
    if isinstance(problem, Mapping):
        return DICT
    return "<stdin>" if problem == "-" else os.fspath(problem) if problem is not None else ""


def _document(data: Mapping[str, Any]) -> Document:
    """A problem given as a dict, read exactly as its YAML file would be (bounds, numbers as
    written, refused tags), named ``<dict>`` in messages."""
    import yaml

    from dlcalc.specs.loader import parse_yaml

    try:
        text = yaml.safe_dump(_plain(dict(data)), sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as e:
        raise InputError(
            f"holds a value that is not a number, text, list or mapping ({e})"[:200], file=DICT
        ) from None
    doc = parse_yaml(text, DICT)
    doc.lines = {}  # lines of a text nobody wrote would mislead
    return doc


def _run(
    problem: Any,
    command: str | None,
    options: dict[str, Any],
    rename: tuple[str, str] | None = None,
    tol: float | None = None,
) -> WorkedSolution:
    from dlcalc.app import files
    from dlcalc.app.output import emit, write_figures
    from dlcalc.specs.loader import failure

    if problem is not None and not isinstance(problem, (str, os.PathLike, Mapping)):
        raise InvalidInput(
            f"problem: expected a problem file's path or a dict of its keys; got {type(problem).__name__}"
        )
    files.reset()
    place = ""  # what an error is about: nothing while reading the options (as on the command line)
    try:
        if command is None and problem is None:
            raise InputError("give a problem: a problem file's path or a dict with its keys")
        name, doc = command, None
        if name is None and isinstance(problem, Mapping) and _is_tool(problem.get("command")):
            name = problem["command"]  # {"command": "graph", "expression": …, "at": …}
        if name is None:  # as `dlcalc solve`: the command the problem names
            from dlcalc.app.commands import COMMANDS
            from dlcalc.app.solving import command_to_solve

            place = where(problem)
            doc = _problem_document(problem)
            name = command_to_solve(doc, COMMANDS)
            place = ""
        arguments, shared, tool_solve = _interface(name)
        settings, values = _settings(name, arguments, shared, options)
        if settings.fmt is not None and settings.output is None:
            raise InputError(
                "chooses the format of the file output= writes; a notebook shows the solution "
                "as HTML, and s.render('json') (markdown, latex, html, text) gives it as text",
                field="format",
            )
        settings.tol = tol
        if tool_solve is not None:
            solved = _solve_tool(name, tool_solve, problem, values, settings)
        else:
            place = where(problem)
            solved = _solve_command(name, problem, doc, values, settings)
        if settings.output is not None:
            emit(solved.solution, settings)
        write_figures(solved.solution)
    except (InputError, OverflowError, RecursionError, MemoryError) as e:
        message = failure(e, place)
        if rename is not None:
            message = message.replace(*rename)
        raise InvalidInput(message) from None
    finally:
        files.discard()
    return WorkedSolution(solved)


def _is_tool(name: Any) -> bool:
    """Is ``name`` a command that solves no problem file but is solved here (derive, graph)?"""
    from dlcalc.app.tools import SOLVERS

    return isinstance(name, str) and name in SOLVERS


def _problem_document(problem: Any) -> Document:
    from dlcalc.specs.loader import load

    return _document(problem) if isinstance(problem, Mapping) else load(os.fspath(problem))


def _settings(
    name: str, arguments: tuple[Opt, ...], shared: list[str], options: dict[str, Any]
) -> tuple[Settings, dict[str, Any]]:
    """The run's settings and the command's own option values, from ``options`` by long name."""
    table = {_long_name(SHARED[n]): SHARED[n] for n in SHARED if n in shared}
    own = {_long_name(opt): opt for opt in arguments if opt.flags}
    values: dict[str, Any] = {}
    shared_values: dict[str, Any] = {}
    for long, value in options.items():
        opt = table.get(long) or own.get(long)
        if opt is None:
            from dlcalc.specs.loader import suggest

            known = sorted({*table, *own})
            raise InputError(
                f"`{name}` has no option {long}={value!r}{suggest(long, known)}; "
                f"its options: {', '.join(known)}"[:300],
                field=long,
            )
        converted = _convert(long, opt, value)
        (shared_values if long in table else values)[opt.name] = converted
    clash = Settings.clash(shared_values)
    if clash:
        raise InputError(clash)
    return Settings.from_options(shared_values), values


def _solve_command(
    name: str, problem: Any, doc: Document | None, values: dict[str, Any], settings: Settings
) -> Any:
    """A registered command: its own options read as the command line reads them (``doc``:
    the problem, when already read to learn its command)."""
    from dlcalc.app.commands import COMMANDS
    from dlcalc.app.solving import read_document, solve_problem

    command = COMMANDS[name]
    path = None if problem is None or isinstance(problem, Mapping) else os.fspath(problem)
    data = None
    if command.read is not None:
        for opt in command.arguments:
            if not opt.flags:  # the problem argument (softmax's takes its scores too)
                values[opt.name] = ([path] if path else []) if opt.kind is list else path
        path, data, overrides = command.read(values)
        settings.overrides.update(overrides)
    if problem is not None and data is not None:
        raise InputError(
            f"give either the problem ({where(problem)}) or the numbers as options, not both"
        )
    if doc is not None or isinstance(problem, Mapping):
        return solve_problem(name, doc or _document(problem), settings)
    if data is None and path is None:
        raise InputError("give a problem file, a dict with its keys, or the numbers as options")
    return solve_problem(name, read_document(path, data), settings)


def _solve_tool(
    name: str, solve: Any, problem: Any, values: dict[str, Any], settings: Settings
) -> Any:
    """derive, graph: the expression as ``problem`` (or a dict with ``expression``, ``at`` …)."""
    from dlcalc.app.output import complete
    from dlcalc.app.solving import Solved

    if isinstance(problem, Mapping):
        given = {k: v for k, v in problem.items() if k != "command"}
        if problem.get("command", name) != name:
            raise InputError(
                f"this problem is for `{problem['command']}`, not `{name}`", field="command"
            )
        values = {**given, **values}
    elif problem is not None:
        values = {**values, "expression": os.fspath(problem)}
    if not isinstance(values.get("expression"), str):
        raise InputError("give the expression, e.g. 'x*y + sin(x)'", field="expression")
    solution, wrong = complete(solve(values, settings), settings)
    return Solved(solution, wrong, name, None, settings)


# --- the way out: a worked solution that shows itself -----------------------------------------


class WorkedSolution:
    """A solved problem: ``result`` and ``steps`` exactly as in the JSON document, and the
    worked solution shown in a notebook (HTML, with the network's diagram), as Markdown or
    as LaTeX."""

    def __init__(self, solved: Any, decimals: Any = None, every_step: bool | None = None) -> None:
        self._solved = solved
        self.solution: Solution = solved.solution  # the worked solution itself (steps.Solution)
        settings = solved.settings
        self.decimals = settings.decimals if decimals is None else decimals
        self.every_step = settings.every_step if every_step is None else every_step
        self._document: dict[str, Any] | None = None
        self._figure: dict[Any, str | None] = {}

    # the JSON document
    @property
    def document(self) -> dict[str, Any]:
        """The JSON document of ``--format json``: ``command``, ``result``, ``steps`` …"""
        if self._document is None:
            from dlcalc.render.json_doc import document

            self._document = document(self.solution, self.decimals)
        return self._document

    @property
    def command(self) -> str:
        return str(self.document["command"])

    @property
    def title(self) -> str | None:
        return self.solution.title

    @property
    def result(self) -> dict[str, Any]:
        """The answers, keyed as the contract says (``result["layers"][0]["net"]``)."""
        return self.document["result"]  # type: ignore[no-any-return]

    @property
    def steps(self) -> list[dict[str, Any]]:
        """Every step: ``quantity``, ``value``, ``formula``, ``substituted`` …"""
        return self.document["steps"]  # type: ignore[no-any-return]

    @property
    def marks(self) -> dict[str, str]:
        """After checking: each marked step's verdict (right, wrong, carried) by its label."""
        return {label: mark.status for label, mark in self.solution.marks.items()}

    @property
    def wrong(self) -> bool:
        """Whether a checked claim is genuinely wrong (the command line's exit status 1)."""
        return bool(self._solved.wrong)

    def __getitem__(self, quantity: str) -> Any:
        """A step's value by its name as the tables show it: ``s["out_h1"]``."""
        for step in self.steps:
            if step["quantity"] == quantity or step.get("symbol") == quantity:
                return step["value"]
        raise KeyError(quantity)

    def __repr__(self) -> str:
        title = f" {self.title!r}" if self.title else ""
        keys = ", ".join(self.result)
        return f"<dlcalc {self.command}{title}: {len(self.steps)} steps; result: {keys}>"

    # showing it
    def render(self, format: str = "markdown") -> str:
        """The worked solution as text: markdown, latex (a document), html (a page), json, text."""
        from dlcalc.render import Format, render_text

        fmt = Format.rich if format == "text" else Format(format)
        return render_text(self.solution, fmt, self.decimals, self.every_step)

    def show(self, every_step: bool | None = None, decimals: int | None = None) -> None:
        """Show the solution again (in a notebook, or as text), with every update written out
        or a number of decimal places (``decimals=6``: exactly 6, as ``--decimals 6``)."""
        view = self.view(every_step=every_step, decimals=decimals)
        shell = None
        if "IPython" in sys.modules:  # a notebook or IPython runs this
            from IPython import get_ipython  # type: ignore[attr-defined]

            shell = get_ipython()
        if shell is not None:
            from IPython.display import display

            display(view)
        else:
            print(view.render("text"), end="")

    def view(self, every_step: bool | None = None, decimals: int | None = None) -> WorkedSolution:
        """The same solution shown with other settings (see :meth:`show`)."""
        if decimals is not None:
            from dlcalc.render.numbers import Places

            if (
                isinstance(decimals, bool)
                or not isinstance(decimals, int)
                or not 0 <= decimals <= 15
            ):
                raise InvalidInput(
                    f"decimals: expected a whole number from 0 to 15; got {decimals!r}"
                )
            places: Any = Places(decimals)
        else:
            places = self.decimals
        return WorkedSolution(
            self._solved, places, self.every_step if every_step is None else every_step
        )

    def drawing(self) -> Drawing | None:
        """What the diagram shows (a network, a computational graph); None for other problems."""
        return self._solved.drawing()  # type: ignore[no-any-return]

    def diagram(self, format: str = "svg") -> str | None:
        """The diagram as DOT text (``format="dot"``) or SVG (needs Graphviz); None for a
        problem without one."""
        drawing = self.drawing()
        if drawing is None:
            return None
        from dlcalc.render.diagram import to_dot, to_svg

        dot = to_dot(drawing, self.decimals)
        if format == "dot":
            return dot
        try:
            return to_svg(dot)
        except InputError as e:
            raise InvalidInput(str(e)) from None

    def _inline_figure(self) -> str | None:
        key = str(self.decimals)
        if key not in self._figure:
            from dlcalc.render.diagram import inline_svg

            drawing = self.drawing()
            try:
                self._figure[key] = None if drawing is None else inline_svg(drawing, self.decimals)
            except InputError:  # Graphviz failed: the solution still shows, without its picture
                self._figure[key] = None
        return self._figure[key]

    def _too_long(self, terminal: bool) -> str | None:
        """Why the solution is too long to show in a notebook's format (None: it is not)."""
        from dlcalc import limits

        try:
            limits.check_steps(limits.solution_size(self.solution), terminal, field="display")
        except InputError as e:
            return str(e)
        return None

    def _repr_html_(self) -> str:
        from dlcalc.render.html import esc, fragment

        too_long = self._too_long(terminal=True)
        if too_long is not None:
            return f'<div class="dlcalc-solution"><p>{esc(too_long)}</p></div>'
        return fragment(self.solution, self.decimals, self.every_step, self._inline_figure())

    def _repr_markdown_(self) -> str | None:
        from dlcalc.render import markdown

        if self._too_long(terminal=False) is not None:
            return None
        return markdown.render(self.solution, self.decimals, self.every_step)

    def _repr_latex_(self) -> str | None:
        from dlcalc.render import latex

        if self._too_long(terminal=False) is not None:
            return None
        return latex.body(self.solution, self.decimals, self.every_step)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """HTML for the notebook, and a one-line summary as plain text."""
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}
