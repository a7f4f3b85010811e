"""The command line: parse options, load the problem, solve it, render the solution.

Every command has the same shape: a builder that turns a parsed problem file into a
:class:`~dlcalc.steps.Solution`, handed to :func:`run` with the output options.
Computation modules are imported inside the commands so that start-up stays fast
(``dlcalc --help`` never imports NumPy, pydantic or SymPy).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from dlcalc.errors import InputError
from dlcalc.render import EXTENSIONS, Format

if TYPE_CHECKING:
    from dlcalc.specs.loader import Document
    from dlcalc.steps import Solution

app = typer.Typer(
    name="dlcalc",
    help=(
        "Worked-example calculator for deep-learning coursework.\n\n"
        "Give a command and a YAML problem file (or - for standard input); dlcalc prints the full "
        "worked solution, every formula with its numbers substituted.\n\n"
        "\b\nExamples:\n"
        "  dlcalc backprop examples/mazur.yaml\n"
        "  dlcalc forward examples/ce-multiclass.yaml --format markdown\n"
        "  dlcalc backprop examples/mazur.yaml --carry 4 --decimals 4\n"
        "  dlcalc backprop examples/mazur.yaml -f json | jq .result.loss"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

# --- options shared by every command ---------------------------------------------------------

ProblemArg = Annotated[str, typer.Argument(metavar="PROBLEM", help="YAML problem file, or - to read it from standard input.")]
FormatOpt = Annotated[
    Optional[Format],
    typer.Option("--format", "-f", help="Output format: rich (default), markdown, latex or json.", show_default=False),
]
DecimalsOpt = Annotated[int, typer.Option("--decimals", "-d", min=0, max=15, help="Decimal places shown (JSON numbers keep full precision).")]
CarryOpt = Annotated[
    Optional[int],
    typer.Option("--carry", min=0, max=15, help="Hand-calculation mode: round every intermediate quantity to N decimals before later steps use it.", show_default=False),
]
OutputOpt = Annotated[
    Optional[Path],
    typer.Option("--output", "-o", help="Write the solution to FILE instead of the terminal; the format follows the extension (.md .tex .json .txt .html) unless --format is given.", show_default=False),
]
EveryStepOpt = Annotated[bool, typer.Option("--every-step", help="Write out every update of a long run, not just the first.")]


@dataclass
class Output:
    """Where and how to write a solution."""

    fmt: Format | None = None
    decimals: int = 4
    path: Path | None = None
    every_step: bool = False


def fail(message: str) -> typer.Exit:
    """Print one error line to standard error; return the exit to raise (status 2)."""
    typer.echo(f"dlcalc: error: {message}", err=True)
    return typer.Exit(2)


def run(problem: str, build: Callable[[Document], Solution], out: Output) -> None:
    """Load ``problem``, build its solution and write it; every input error exits with 2."""
    from dlcalc.specs.loader import load

    name = "<stdin>" if problem == "-" else problem
    try:
        doc = load(problem)
        solution = build(doc)
        emit(solution, out)
    except InputError as e:
        raise fail(str(e.located(name))) from None
    except (RecursionError, MemoryError, OverflowError) as e:
        raise fail(f"{name}: the problem is too large or too deeply nested to solve ({type(e).__name__})") from None
    except typer.Exit:
        raise
    except Exception as e:  # a bug must still not show a traceback to a student
        raise fail(f"{name}: internal error while solving ({type(e).__name__}: {e}); please report this problem file") from None


def emit(solution: Solution, out: Output) -> None:
    """Render ``solution`` to the terminal or to ``out.path``."""
    from dlcalc.render import render_text

    if out.path is None:
        fmt = out.fmt or Format.rich
        if fmt is Format.rich:
            from dlcalc.render.terminal import print_solution

            print_solution(solution, out.decimals, out.every_step)
        else:
            sys.stdout.write(render_text(solution, fmt, out.decimals, out.every_step))
        return
    suffix = out.path.suffix.lower()
    if out.fmt is None and suffix == ".html":
        from dlcalc.render.terminal import to_html

        text = to_html(solution, out.decimals, out.every_step)
    else:
        fmt = out.fmt or EXTENSIONS.get(suffix)
        if fmt is None:
            raise InputError(
                f"cannot tell the format from the extension {suffix or '(none)'!r}; use .md, .tex, .json, .txt or .html, or give --format",
                field="--output",
            )
        text = render_text(solution, fmt, out.decimals, out.every_step)
    if out.path.is_dir():
        raise InputError("is a directory; give a file name", file=str(out.path), field="--output")
    try:
        out.path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot be written: {e.strerror or e}", file=str(out.path), field="--output") from None


# --- network commands ------------------------------------------------------------------------


@app.command()
def forward(
    problem: ProblemArg,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
) -> None:
    """Forward pass of a network: every net input, output, error and the total loss.

    \b
    Examples:
      dlcalc forward examples/mazur.yaml
      dlcalc forward examples/bce-binary.yaml --decimals 6
      cat problem.yaml | dlcalc forward - --format json
    """

    def build(doc: Document) -> Solution:
        from dlcalc.specs.network import load_network
        from dlcalc.topics.network import solve_forward

        return solve_forward(load_network(doc, training=False), carry)

    run(problem, build, Output(fmt, decimals, output))


@app.command()
def backprop(
    problem: ProblemArg,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    every_step: EveryStepOpt = False,
) -> None:
    """Backpropagation: forward pass, loss, every δ and gradient by the chain rule, and the updates.

    Runs `epochs` epochs (online: update after each example; batch: one update per epoch
    with the mean gradient).  Long runs show the first update in full, the loss per epoch
    and the final parameters; --every-step shows every update.

    \b
    Examples:
      dlcalc backprop examples/mazur.yaml
      dlcalc backprop examples/hankamber.yaml --carry 3
      dlcalc backprop examples/mazur.yaml --format latex -o mazur.tex
    """

    def build(doc: Document) -> Solution:
        from dlcalc.specs.network import load_network
        from dlcalc.topics.network import solve_backprop

        return solve_backprop(load_network(doc, training=True), carry, every_step)

    run(problem, build, Output(fmt, decimals, output, every_step))


def main() -> None:
    """Console-script entry point."""
    app(prog_name="dlcalc")


if __name__ == "__main__":
    main()
