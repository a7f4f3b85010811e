"""The command line: options into one :class:`~dlcalc.app.settings.Settings`, then wiring only.

One Typer command per entry of the registry (:mod:`dlcalc.app.commands`) and per tool (check, key,
derive, graph: :mod:`dlcalc.app.tools`), plus solve, each converted only when it runs.
:func:`with_settings` adds the shared options to a command, so that ``--help`` lists them;
solving and writing live in Typer-free modules (:mod:`dlcalc.app.output`).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dlcalc.app import files
from dlcalc.app.arguments import ARGUMENTS
from dlcalc.app.commands import COMMANDS, HELP, OVERVIEW, Command
from dlcalc.app.settings import ALWAYS, SHARED, Opt, Settings
from dlcalc.errors import InputError, printable

if TYPE_CHECKING:
    from dlcalc.app.tools import Tool


class Commands(typer.core.TyperGroup):
    """Converts only the command that runs (Typer would convert all of them on every call), and
    refuses an absurd number of arguments before parsing them (parsing them is quadratic)."""

    def list_commands(self, ctx: Any) -> list[str]:
        from dlcalc.app.tools import TOOLS  # not needed by the problem commands

        return [*COMMANDS, *BY_HAND, *TOOLS]

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in self.commands and (name in COMMANDS or name in self.list_commands(ctx)):
            one = typer.Typer(add_completion=False, rich_markup_mode=None)
            if name in COMMANDS:
                command = COMMANDS[name]
                numbers = NUMBERS_ANYWHERE if command.negatives else None
                one.command(name, help=command.help, context_settings=numbers)(
                    problem_command(command)
                )
            elif name not in BY_HAND:
                from dlcalc.app.tools import TOOLS

                tool = TOOLS[name]
                cls = ExpressionCommand if tool.expression else FilesCommand if tool.files else None
                one.command(name, help=tool.help, cls=cls)(tool_command(tool))
            else:
                BY_HAND[name](one)
            self.commands[name] = typer.main.get_command(one)
        return self.commands.get(name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """An unknown command is refused with the nearest command's name (backprob: backprop)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            near = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            ctx.fail(f"No such command '{printable(name)}'{hint}.")
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from dlcalc.limits import MAX_ARGUMENTS

        if len(args) > MAX_ARGUMENTS:
            raise fail(f"command line: {len(args):,} arguments; at most {MAX_ARGUMENTS:,}")
        return super().parse_args(ctx, ascii_anywhere(args))


def ascii_anywhere(args: list[str]) -> list[str]:
    """``--ascii`` is taken anywhere on the line (before ``--``): it is set here and removed."""
    end = args.index("--") if "--" in args else len(args)
    if "--ascii" not in args[:end]:
        return args
    os.environ["DLCALC_ASCII"] = "1"
    return [a for a in args[:end] if a != "--ascii"] + args[end:]


app = typer.Typer(
    name="dlcalc",
    cls=Commands,
    help=OVERVIEW,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
BY_HAND: dict[str, Callable[[typer.Typer], Any]] = {}  # solve
NUMBERS_ANYWHERE = {"ignore_unknown_options": True, "allow_extra_args": True}  # -2 is a number


def command(name: str, **kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declare a command written here (not from the registry); Typer converts it when it runs."""

    def add(fn: Callable[..., None]) -> Callable[..., None]:
        BY_HAND[name] = lambda one: one.command(name, **kwargs)(fn)
        return fn

    return add


def _print_version(value: bool) -> None:
    if value:
        from dlcalc import __version__

        typer.echo(f"dlcalc {__version__}")
        raise typer.Exit(0)


@app.callback()
def global_options(
    ascii: Annotated[
        bool,
        typer.Option(
            "--ascii",
            help="Write the terminal output in plain ASCII (dE/dw5, delta_o1, sqrt); "
            "automatic when the terminal cannot show Unicode.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options for every command (--ascii anywhere on the line: dlcalc backprop f.yaml --ascii)."""
    if ascii:
        os.environ["DLCALC_ASCII"] = "1"


def _option(*names: str, **kwargs: Any) -> Any:
    return typer.Option(*names, show_default=kwargs.pop("show_default", False), **kwargs)


METAVARS: dict[Any, str] = {str: "TEXT", int: "N", float: "X", Path: "FILE"}


def parameter(opt: Opt) -> inspect.Parameter:
    """The Typer parameter of an option or argument declared as plain data."""
    kind = list[str] if opt.kind is list else opt.kind
    if opt.flags:
        metavar = opt.metavar or METAVARS.get(opt.kind)  # --decimals N, not --decimals <int range>
        info = _option(*opt.flags, help=opt.help, metavar=metavar, min=opt.min, max=opt.max)
        info.show_default = opt.default is not None and opt.kind is not bool
    else:
        info = typer.Argument(metavar=opt.metavar, help=opt.help, show_default=False)
    if opt.kind is bool:
        default: Any = bool(opt.default)
    elif opt.required:
        default = inspect.Parameter.empty
    else:
        default, kind = opt.default, (kind if opt.default is not None else kind | None)
    return inspect.Parameter(
        opt.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, info]
    )


def with_settings(*options: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the shared options (--format, --decimals, --output and ``options``) to a command.

    Typer sees the function's own arguments, then the shared options (so --help lists them
    all); the function gets their values as one :class:`Settings` in ``settings``."""
    names = [name for name in SHARED if name in ALWAYS or name in options]

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(fn, eval_str=True).parameters.values()
        params = [p for p in own if p.name != "settings"] + [parameter(SHARED[n]) for n in names]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> None:
            values = {name: kwargs.pop(name) for name in names}
            clash = Settings.clash(values)
            if clash:
                raise fail(clash)
            fn(**kwargs, settings=Settings.from_options(values))

        setattr(command, "__signature__", inspect.Signature(params))  # noqa: B010
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


def fail(message: str) -> typer.Exit:
    """Print one error line to standard error; return the exit to raise (status 2)."""
    typer.echo(f"dlcalc: error: {printable(message)}", err=True)
    return typer.Exit(2)


def guarded(where: str, action: Callable[[], int | None]) -> None:
    """Run ``action`` and exit with its status; any error is one line and exit status 2."""
    from dlcalc.specs.loader import failure

    try:
        status = action()
    except Exception as e:  # an input error, or a bug: still never a traceback for a student
        raise fail(failure(e, where)) from None
    finally:
        files.discard()  # nothing staged for writing survives a failure
    if status:
        raise typer.Exit(status)


def run(name: str, problem: str | None, settings: Settings, data: dict | None = None) -> None:
    """Solve ``problem`` (a file or -), or else the problem ``data`` built from command-line numbers; write it."""
    from dlcalc.app.output import publish
    from dlcalc.app.solving import read_document, solve_problem

    if data is not None and problem is not None:
        raise fail(f"give either a problem file ({problem}) or the numbers as options, not both")
    if data is None and problem is None:
        raise fail("give a problem file, - for standard input, or the numbers (see --help)")
    where = ARGUMENTS if data is not None else ("<stdin>" if problem == "-" else str(problem))
    files.reset()

    def action() -> int:
        solved = solve_problem(name, read_document(problem, data), settings)
        return publish(solved.solution, settings, solved.wrong)

    guarded(where, action)


def problem_command(command: Command) -> Callable[..., None]:
    """The command line of a registered command: its own arguments, then the shared options."""

    def solve_problem(settings: Settings, **values: Any) -> None:
        if command.read is None:
            return run(command.name, values["problem"], settings)
        try:
            problem, data, overrides = command.read(values)
        except InputError as e:
            raise fail(str(e.located(ARGUMENTS))) from None
        settings.overrides.update(overrides)
        run(command.name, problem, settings, data)

    return with_settings(*command.options)(taking(command.arguments, solve_problem))


def tool_command(tool: Tool) -> Callable[..., None]:
    """The command line of check, key, derive or graph (:mod:`dlcalc.app.tools`)."""

    def run_tool(settings: Settings, **values: Any) -> None:
        files.reset()
        guarded(tool.where(values), lambda: tool.run(values, settings))

    return with_settings(*tool.options)(taking(tool.arguments, run_tool))


def taking(opts: tuple[Opt, ...], fn: Callable[..., None]) -> Callable[..., None]:
    """``fn`` with the Typer parameters of ``opts`` (its values arrive as keywords) and ``settings``."""
    own = [parameter(opt) for opt in opts]
    settings = inspect.Parameter("settings", inspect.Parameter.KEYWORD_ONLY)
    setattr(fn, "__signature__", inspect.Signature([*own, settings]))  # noqa: B010
    return fn


# --- solve: the command the problem names, with that command's options -----------------------


@command(
    "solve",
    help=HELP["solve"],
    context_settings=NUMBERS_ANYWHERE,
    options_metavar="PROBLEM [OPTIONS OF ITS COMMAND]",
)
def solve_named(ctx: typer.Context) -> None:
    from dlcalc.app.solving import command_to_solve, read_problem, split_problem

    group = typer.main.get_command(app)
    assert isinstance(group, Commands)
    commands = {name: group.get_command(ctx, name) for name in COMMANDS}
    options = [p for c in commands.values() for p in c.params if p.param_type_name == "option"]
    value_options = {o for p in options if not getattr(p, "is_flag", False) for o in p.opts}
    chosen: list[str] = []

    def action() -> None:
        problem, rest = split_problem(ctx.args, value_options)
        chosen.extend([command_to_solve(read_problem(problem), COMMANDS), problem, *rest])

    guarded("", action)
    status = commands[chosen[0]].main(
        chosen[1:], prog_name=f"dlcalc {chosen[0]}", standalone_mode=False
    )
    if isinstance(status, int) and status:
        raise typer.Exit(status)


# --- check, key, derive, graph (dlcalc.app.tools) ------------------------------------------------


class ExpressionCommand(typer.core.TyperCommand):
    """A command whose expression may begin with '-' (``dlcalc derive -x^2``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from dlcalc.app.arguments import expressions_last

        known = {o for p in self.params for o in (*p.opts, *p.secondary_opts)}
        options = [p for p in self.params if p.param_type_name == "option"]
        takes_value = {o for p in options if not getattr(p, "is_flag", False) for o in p.opts}
        known |= set(ctx.help_option_names)
        return super().parse_args(ctx, expressions_last(args, known, takes_value))


class FilesCommand(typer.core.TyperCommand):
    """A command whose file arguments may begin with '-' (a sheet named ``-2+3.yaml``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from dlcalc.app.arguments import dash_files

        known = {o for p in self.params for o in (*p.opts, *p.secondary_opts)}
        options = [p for p in self.params if p.param_type_name == "option"]
        takes_value = {o for p in options if not getattr(p, "is_flag", False) for o in p.opts}
        known |= set(ctx.help_option_names)
        return super().parse_args(ctx, dash_files(args, known, takes_value))


class Terminated(BaseException):
    """SIGTERM (``timeout``, ``kill``): unwinds like Ctrl-C, so staged files are removed."""


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated


def ascii_where_needed() -> None:
    """On a console that cannot show dlcalc's Unicode (a cp1252 Windows console), every
    character it cannot encode (in --help, an error message) is written in its ASCII form."""
    from dlcalc.render.notation import can_encode

    streams = [s for s in (sys.stdout, sys.stderr) if not can_encode(s)]
    if not streams:
        return
    import codecs

    from dlcalc.render.notation import ascii_text

    def spell_out(error: UnicodeError) -> tuple[str, int]:
        assert isinstance(error, UnicodeEncodeError)
        return ascii_text(error.object[error.start : error.end]), error.end

    codecs.register_error("dlcalc-ascii", spell_out)
    for stream in streams:
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="dlcalc-ascii")


def main() -> None:
    """Console-script entry point: usage errors, like input errors, are one line and exit status 2."""
    # No pydantic plugins (observability hooks) for problem files: looking for them scans every
    # installed package's metadata, ~7 ms of each run.  Typer does the same for its own options.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    import signal

    signal.signal(signal.SIGTERM, _terminated)  # clean up staged files, as on Ctrl-C
    ascii_where_needed()
    try:
        status = app(prog_name="dlcalc", standalone_mode=False)
    except typer.Abort:
        typer.echo("dlcalc: aborted", err=True)
        sys.exit(1)
    except Terminated:
        files.discard()
        typer.echo("dlcalc: terminated", err=True)
        sys.exit(143)
    except KeyboardInterrupt:  # Ctrl-C wherever it lands (matplotlib's import): no traceback
        files.discard()
        typer.echo("dlcalc: aborted", err=True)
        sys.exit(130)
    except Exception as e:
        if not hasattr(e, "format_message"):  # not a usage error: let Python report it
            raise
        if type(e).__name__ == "NoArgsIsHelpError":  # `dlcalc` or `dlcalc COMMAND` alone: the help
            typer.echo(e.format_message(), err=True)
            sys.exit(2)
        ctx = getattr(e, "ctx", None)
        hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        typer.echo(f"dlcalc: error: {printable(e.format_message())}{hint}", err=True)
        sys.exit(getattr(e, "exit_code", 2))
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
