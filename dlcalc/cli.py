"""The command line: parse options, load the problem, solve it, render the solution.

Every command has the same shape: a builder that turns a parsed problem file into a
:class:`~dlcalc.steps.Solution`, handed to :func:`run` with the output options.
Computation modules are imported inside the commands so that start-up stays fast
(``dlcalc --help`` never imports NumPy, pydantic or SymPy).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dlcalc import files
from dlcalc.errors import InputError, printable
from dlcalc.render import EXTENSIONS, Format

if TYPE_CHECKING:
    from dlcalc.specs.loader import Document
    from dlcalc.steps import Solution


class _Commands(typer.core.TyperGroup):
    """The command group; refuses an absurd number of arguments before parsing them (quadratic)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from dlcalc.limits import MAX_ARGUMENTS

        if len(args) > MAX_ARGUMENTS:
            raise fail(f"command line: {len(args):,} arguments; at most {MAX_ARGUMENTS:,}")
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="dlcalc",
    cls=_Commands,
    help=(
        "Worked-example calculator for deep-learning coursework.\n\n"
        "Give a command and a YAML problem file (or - for standard input); dlcalc prints the full "
        "worked solution, every formula with its numbers substituted.\n\n"
        "\b\nExamples:\n"
        "  dlcalc backprop examples/mazur.yaml\n"
        "  dlcalc backprop examples/mazur.yaml --carry 4 --exact\n"
        "  dlcalc forward examples/ce-multiclass.yaml --format markdown\n"
        "  dlcalc perceptron examples/perceptron-trace.yaml --plot trace.png\n"
        "  dlcalc softmax 7 -2 4 1\n"
        "  dlcalc check examples/mazur.yaml examples/answers/mazur.yaml\n"
        "  dlcalc key examples/*.yaml -o key.tex\n"
        "  dlcalc derive 'sigmoid(x)' --at x=0.3\n\n"
        "Every command has its own --help with examples.  Problem formats: docs/reference.md."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _print_version(value: bool) -> None:
    if value:
        from dlcalc import __version__

        typer.echo(f"dlcalc {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Worked-example calculator for deep-learning coursework."""


# --- options shared by every command ---------------------------------------------------------

ProblemArg = Annotated[
    str,
    typer.Argument(
        metavar="PROBLEM", help="YAML problem file, or - to read it from standard input."
    ),
]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format: rich (default), markdown, latex or json.",
        show_default=False,
    ),
]
DecimalsOpt = Annotated[
    int,
    typer.Option(
        "--decimals",
        "-d",
        min=0,
        max=15,
        help="Decimal places shown (JSON numbers keep full precision).",
    ),
]
CarryOpt = Annotated[
    int | None,
    typer.Option(
        "--carry",
        min=0,
        max=15,
        help="Hand-calculation mode: round every intermediate quantity to N decimals before later steps use it.",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the solution to FILE instead of the terminal; the format follows the extension (.md .tex .json .txt .html) unless --format is given.",
        show_default=False,
    ),
]
EveryStepOpt = Annotated[
    bool,
    typer.Option("--every-step", help="Write out every update of a long run, not just the first."),
]
CheckOpt = Annotated[
    Path | None,
    typer.Option(
        "--check",
        metavar="ANSWERS",
        help="Check a student's answers (YAML: quantity name or result path → value); marks each ✓ ✗ ↪ and exits 1 when any is wrong.",
        show_default=False,
    ),
]


ExactOpt = Annotated[
    bool,
    typer.Option(
        "--exact",
        help="Also show exact values: rationals of the decimals as written (0.1 + 0.2 = 3/10) and short closed forms (SymPy).",
    ),
]


@dataclass
class Output:
    """Where and how to write a solution."""

    fmt: Format | None = None
    decimals: int = 4
    path: Path | None = None
    every_step: bool = False
    check: Path | None = None  # an answers file to check against the solution
    tol: float | None = None  # overrides each claim's tolerance
    exact: bool = False  # add exact values (--exact)


@dataclass
class Settings:
    """What a builder reads besides the problem; ``check`` and ``key`` pass the defaults."""

    carry: int | None = None
    every_step: bool = False
    plot: Path | None = None
    symbolic: bool = False
    overrides: dict[str, Any] = field(
        default_factory=dict
    )  # options that replace problem keys (--base 2)


Builder = Callable[["Document", Settings], "Solution"]
BUILDERS: dict[str, Builder] = {}
ARGUMENTS = "command line"  # where a problem given as numbers on the command line comes from


def builder(name: str) -> Callable[[Builder], Builder]:
    """Register the builder of a command, so that the command, ``check`` and ``key`` all solve its problems one way."""

    def register(fn: Builder) -> Builder:
        BUILDERS[name] = fn
        return fn

    return register


def fail(message: str) -> typer.Exit:
    """Print one error line to standard error; return the exit to raise (status 2)."""
    typer.echo(f"dlcalc: error: {printable(message)}", err=True)
    return typer.Exit(2)


def guarded(where: str, action: Callable[[], None]) -> None:
    """Run ``action``; every input error (and any bug) becomes one message and exit status 2.

    ``where`` names the input (a file, "command line"); errors that know their file keep it.
    """
    prefix = f"{where}: " if where else ""
    try:
        action()
    except InputError as e:
        from dlcalc.specs.loader import annotate

        raise fail(str(annotate(e.located(where or None)))) from None
    except OverflowError:
        raise fail(
            f"{prefix}a number grows beyond the range of a double (about 1.8e308); use smaller values"
        ) from None
    except (RecursionError, MemoryError) as e:
        raise fail(
            f"{prefix}too large or too deeply nested to work out ({type(e).__name__})"
        ) from None
    except typer.Exit:
        raise
    except Exception as e:  # a bug must still not show a traceback to a student
        raise fail(
            f"{prefix}internal error ({type(e).__name__}: {e}); please report this input"
        ) from None
    finally:
        files.discard()  # nothing staged for writing survives a failure


def solve(command: str, doc: Document, settings: Settings) -> Solution:
    """Solve ``doc`` with the builder of ``command``, after applying option overrides."""
    if settings.overrides and isinstance(doc.data, dict):
        doc.data.update(settings.overrides)
    return BUILDERS[command](doc, settings)


def run(
    command: str, problem: str | None, settings: Settings, out: Output, data: dict | None = None
) -> None:
    """Solve ``problem`` (a file or -), or else the problem ``data`` built from command-line numbers; write it."""
    from dlcalc.specs.loader import Document, load

    if data is not None and problem is not None:
        raise fail(f"give either a problem file ({problem}) or the numbers as options, not both")
    if data is None and problem is None:
        raise fail("give a problem file, - for standard input, or the numbers (see --help)")
    where = ARGUMENTS if data is not None else ("<stdin>" if problem == "-" else str(problem))
    files.reset()

    def action() -> None:
        doc = Document(data, ARGUMENTS) if data is not None else load(str(problem))
        finish(solve(command, doc, settings), out)

    guarded(where, action)


def finish(solution: Solution, out: Output) -> None:
    """Add exact values and check answers where asked, then write; exit 1 when a claim is wrong."""
    undefined = solution.first_undefined()
    if undefined is not None:
        raise InputError(
            f"{undefined} comes out undefined (NaN): the inputs are outside the range where its formula "
            "is defined (a division by zero, the log of 0, or an overflow)"
        )
    if out.exact:
        from dlcalc.exact import attach_exact

        attach_exact(solution)
    wrong = False
    if out.check is not None:
        from dlcalc.checking import check_solution

        solution, report = check_solution(solution, str(out.check), out.tol, out.decimals)
        wrong = bool(report.mismatches)
    emit(solution, out)
    for write_figure in solution.figures:
        write_figure()
    files.commit()  # outputs were staged beside their targets; only now do they replace them
    if wrong:
        raise typer.Exit(1)


def emit(solution: Solution, out: Output) -> None:
    """Render ``solution`` to the terminal or to ``out.path``."""
    from dlcalc import limits
    from dlcalc.render import render_text

    terminal = (out.fmt or EXTENSIONS.get(out.path.suffix.lower() if out.path else "")) in (
        None,
        Format.rich,
    )
    limits.check_steps(limits.solution_size(solution), terminal)
    if out.path is None:
        fmt = out.fmt or Format.rich
        if fmt is Format.rich:
            from dlcalc.render.terminal import print_solution

            try:
                print_solution(solution, out.decimals, out.every_step)
            except OSError as e:
                raise files.stdout_failed(e) from None
        else:
            text = render_text(solution, fmt, out.decimals, out.every_step)
            files.write_stdout(limits.check_output(text))
        return
    suffix = out.path.suffix.lower()
    if out.fmt is None and suffix == ".html":
        from dlcalc.render.terminal import to_html

        text = to_html(solution, out.decimals, out.every_step)
    else:
        chosen = out.fmt or EXTENSIONS.get(suffix)
        if chosen is None:
            raise InputError(
                f"cannot tell the format from the extension {suffix or '(none)'!r}; use .md, .tex, .json, .txt or .html, or give --format",
                field="--output",
            )
        text = render_text(solution, chosen, out.decimals, out.every_step)
    files.write_text(out.path, limits.check_output(text))  # staged; finish() commits it


# --- network commands ------------------------------------------------------------------------

SymbolicOpt = Annotated[
    bool,
    typer.Option(
        "--symbolic",
        help="First derive every gradient in symbols (SymPy), then substitute the numbers.",
    ),
]


def _network(doc: Document, settings: Settings, training: bool) -> Solution:
    from dlcalc import limits
    from dlcalc.specs.network import load_network
    from dlcalc.topics.network import solve_backprop, solve_forward

    spec = load_network(doc, training=training)
    limits.check_network(spec, training, settings.every_step, settings.symbolic)
    if training:
        solution = solve_backprop(spec, settings.carry, settings.every_step)
    else:
        solution = solve_forward(spec, settings.carry)
    if settings.symbolic:
        from dlcalc.topics.symbolic import add_symbolic

        solution = add_symbolic(solution, spec, training)
    return solution


@builder("forward")
def build_forward(doc: Document, settings: Settings) -> Solution:
    """The forward pass of a network problem."""
    return _network(doc, settings, training=False)


@builder("backprop")
def build_backprop(doc: Document, settings: Settings) -> Solution:
    """Backpropagation on a network problem."""
    return _network(doc, settings, training=True)


def _no_symbolic_check(symbolic: bool, check: Path | None) -> None:
    if symbolic and check is not None:
        raise fail(
            "--symbolic: cannot be combined with --check (the symbolic steps repeat the quantities' names); check without it"
        )


@app.command()
def forward(
    problem: ProblemArg,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    check: CheckOpt = None,
    symbolic: SymbolicOpt = False,
    exact: ExactOpt = False,
) -> None:
    """Forward pass of a network: every net input, output, error and the total loss.

    \b
    Examples:
      dlcalc forward examples/mazur.yaml
      dlcalc forward examples/bce-binary.yaml --decimals 6
      cat problem.yaml | dlcalc forward - --format json
    """
    _no_symbolic_check(symbolic, check)
    settings = Settings(carry, symbolic=symbolic)
    run("forward", problem, settings, Output(fmt, decimals, output, check=check, exact=exact))


@app.command()
def backprop(
    problem: ProblemArg,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    every_step: EveryStepOpt = False,
    check: CheckOpt = None,
    symbolic: SymbolicOpt = False,
    exact: ExactOpt = False,
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
      dlcalc backprop examples/mazur.yaml --check examples/answers/mazur.yaml
      dlcalc backprop examples/mazur.yaml --symbolic
    """
    _no_symbolic_check(symbolic, check)
    settings = Settings(carry, every_step, symbolic=symbolic)
    out = Output(fmt, decimals, output, every_step, check=check, exact=exact)
    run("backprop", problem, settings, out)


# --- perceptron and delta rule ---------------------------------------------------------------

PlotOpt = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        help='Also draw a figure to FILE (.png or .svg); needs matplotlib: pip install "dlcalc[plot]".',
        show_default=False,
    ),
]


@builder("perceptron")
def build_perceptron(doc: Document, settings: Settings) -> Solution:
    """Perceptron training (with its plot) or evaluation of fixed perceptrons."""
    from dlcalc.specs.perceptron import PerceptronTraining, label_text, load_perceptron
    from dlcalc.topics.perceptron import plot_data, solve_evaluation, solve_training

    plot = settings.plot
    if plot is not None:
        from dlcalc.plots import check_path

        check_path(plot)
    spec = load_perceptron(doc)
    if not isinstance(spec, PerceptronTraining):
        if plot is not None:
            raise InputError(
                "--plot draws a training run (`data:`); this problem only evaluates fixed perceptrons",
                field="--plot",
            )
        return solve_evaluation(spec, settings.carry, settings.every_step)
    solution = solve_training(spec, settings.carry, settings.every_step)
    if plot is not None:
        from dlcalc.plots import plot_perceptron

        points, positive, columns = plot_data(spec)
        labels = [label_text(row[-1]) for row in spec.data.rows]
        pos_name = next((lab for lab, p in zip(labels, positive) if p), "positive")
        neg_name = next((lab for lab, p in zip(labels, positive) if not p), "negative")
        weights = [e["weights"] for e in solution.result["epochs"]]
        solution.figures.append(
            lambda: plot_perceptron(
                plot, points, positive, (neg_name, pos_name), columns, weights, spec.title
            )
        )
    return solution


@builder("delta")
def build_delta(doc: Document, settings: Settings) -> Solution:
    """The delta rule (with the plot of its error per epoch)."""
    from dlcalc.specs.perceptron import load_delta
    from dlcalc.topics.delta import solve_delta

    plot = settings.plot
    if plot is not None:
        from dlcalc.plots import check_path

        check_path(plot)
    spec = load_delta(doc)
    solution = solve_delta(spec, settings.carry, settings.every_step)
    if plot is not None:
        from dlcalc.plots import plot_errors

        errors = [e["error"] for e in solution.result["epochs"]]
        solution.figures.append(lambda: plot_errors(plot, errors, spec.title))
    return solution


@app.command()
def perceptron(
    problem: ProblemArg,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    every_step: EveryStepOpt = False,
    plot: PlotOpt = None,
    check: CheckOpt = None,
    exact: ExactOpt = False,
) -> None:
    """Perceptron: the training rule epoch by epoch, or fixed perceptrons (gates, class codes) evaluated.

    Training (`data:` with the label last, `positive:`, `initial_weights:` with w0 first,
    `learning_rate:`) runs in exact arithmetic: every row's w·x, output and update, the
    trace w0, w1, w2, err per epoch with its decision boundary, and convergence.  Long runs
    write out the first and the converged epoch; --every-step writes out all.  Evaluation
    (`perceptrons:` with `threshold:` or `bias:`, `classify:` or `truth_table: true`, optional
    `codes:`) shows each sum, the threshold comparison, the code and its class.

    \b
    Examples:
      dlcalc perceptron examples/perceptron-trace.yaml
      dlcalc perceptron examples/perceptron-trace.yaml --plot trace.png
      dlcalc perceptron examples/four-classes.yaml
      dlcalc perceptron examples/gates.yaml -f json | jq .result.predictions
    """
    settings = Settings(carry, every_step, plot=plot)
    out = Output(fmt, decimals, output, every_step, check=check, exact=exact)
    run("perceptron", problem, settings, out)


@app.command()
def delta(
    problem: ProblemArg,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    every_step: EveryStepOpt = False,
    plot: PlotOpt = None,
    check: CheckOpt = None,
    exact: ExactOpt = False,
) -> None:
    """Delta rule: gradient descent on a linear unit o = w·x, with E = ½ Σ (t − o)² per epoch.

    `data:` holds the inputs with the target t last; `mode: batch` applies
    Δw = η Σ (t − o)·x once per epoch (the slides' algorithm), `mode: stochastic` after
    each row.  Exact arithmetic; every Δw is shown with its numbers.  --plot draws the
    error per epoch.

    \b
    Examples:
      dlcalc delta examples/delta-rule.yaml
      dlcalc delta examples/delta-rule.yaml --plot error.svg
      dlcalc delta examples/delta-rule.yaml -f json | jq .result.weights
    """
    settings = Settings(carry, every_step, plot=plot)
    out = Output(fmt, decimals, output, every_step, check=check, exact=exact)
    run("delta", problem, settings, out)


# --- conv-shape, softmax, crossentropy, kld ----------------------------------------------------
#
# These small commands take a problem file (or -) or their numbers on the command line.  The
# numbers are put into the same mapping a file would hold, so one model validates both.

NumbersOpt = str | None  # numbers split by commas (rows by ;)
BaseOpt = Annotated[
    str | None,
    typer.Option("--base", help="Log base: e (default), 2 (bits) or 10.", show_default=False),
]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(text: str | None) -> list[str] | list[list[str]] | None:
    """``0.2,0.3`` -> a list; ``0,1;1,0`` -> rows (for several examples); values stay text for the model."""
    if text is None:
        return None
    if ";" in text:
        return [[x.strip() for x in row.split(",")] for row in text.split(";")]
    return [x.strip() for x in text.split(",")]


ProblemOpt = Annotated[
    str | None,
    typer.Argument(
        metavar="[PROBLEM]",
        help="YAML problem file, or - for standard input; or give the numbers as options.",
        show_default=False,
    ),
]
NUMBERS_ANYWHERE = {
    "ignore_unknown_options": True,
    "allow_extra_args": True,
}  # so that -2 is a number, not an option


@builder("conv-shape")
def build_conv_shape(doc: Document, settings: Settings) -> Solution:
    """Layer-by-layer CNN shape arithmetic."""
    from dlcalc.specs.conv import load_conv
    from dlcalc.topics.conv import solve_conv_shape

    return solve_conv_shape(load_conv(doc))


@builder("softmax")
def build_softmax(doc: Document, settings: Settings) -> Solution:
    """Softmax of a list of scores."""
    from dlcalc.specs.losses import load_softmax
    from dlcalc.topics.losses import solve_softmax

    return solve_softmax(load_softmax(doc), settings.carry)


@builder("crossentropy")
def build_crossentropy(doc: Document, settings: Settings) -> Solution:
    """Binary or multi-class cross-entropy."""
    from dlcalc.specs.losses import load_crossentropy
    from dlcalc.topics.losses import solve_crossentropy

    return solve_crossentropy(load_crossentropy(doc), settings.carry)


@builder("kld")
def build_kld(doc: Document, settings: Settings) -> Solution:
    """KL divergence, discrete or Gaussian."""
    from dlcalc.specs.losses import load_kld
    from dlcalc.topics.losses import solve_kld

    return solve_kld(load_kld(doc), settings.carry)


@app.command("conv-shape")
def conv_shape(
    problem: ProblemOpt = None,
    input_size: Annotated[
        str | None,
        typer.Option(
            "--input", "-i", metavar="H,W,C", help="Input size, e.g. 227,227,3.", show_default=False
        ),
    ] = None,
    layers: Annotated[
        list[str] | None,
        typer.Option(
            "--layer",
            "-l",
            metavar="KIND:…",
            help="One layer, in order; repeat for each layer (forms below).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    output: OutputOpt = None,
    check: CheckOpt = None,
    exact: ExactOpt = False,
) -> None:
    """CNN shapes: each layer's output size (W − F + 2P)/S + 1, parameters, MACs and receptive field.

    Layers: conv, conv_transpose, maxpool, avgpool, global_avgpool, flatten, dense.
    Sizes may be [h, w] pairs (3x5 on the command line); padding a number, same or
    valid.  Where (W − F + 2P)/S is not whole it is floored, and the row says so.

    \b
    Layer forms for --layer (later values optional):
      conv:FILTERS:KERNEL:STRIDE:PADDING:DILATION      (stride 1, padding 0)
      conv_transpose:FILTERS:KERNEL:STRIDE:PADDING:OUTPUT_PADDING
      maxpool:KERNEL:STRIDE:PADDING  avgpool:…          (stride = kernel)
      global_avgpool   flatten   dense:UNITS

    \b
    Examples:
      dlcalc conv-shape examples/alexnet.yaml
      dlcalc conv-shape -i 227,227,3 -l conv:96:11:4:0 -l maxpool:3:2 -l flatten -l dense:10
      dlcalc conv-shape -i 224,224,3 -l conv:64:3:1:same -l maxpool:2
      dlcalc conv-shape examples/alexnet.yaml -f json | jq .result.total_params
    """
    data = None
    if input_size is not None or layers:
        from dlcalc.specs.conv import layer_from_text

        if input_size is None:
            raise fail("--input: give the input size, e.g. --input 227,227,3")
        try:
            data = {
                "input": _numbers(input_size.replace("x", ",")),
                "layers": [layer_from_text(t, n + 1) for n, t in enumerate(layers or [])],
            }
        except InputError as e:
            raise fail(str(e.located(ARGUMENTS))) from None

    out = Output(fmt, decimals, output, check=check, exact=exact)
    run("conv-shape", problem, Settings(), out, data)


@app.command(context_settings=NUMBERS_ANYWHERE)
def softmax(
    values: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PROBLEM | SCORES…",
            help="YAML problem file or -, or the scores (logits) themselves.",
            show_default=False,
        ),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--temperature",
            "-t",
            help="Divide the scores by T first (default 1).",
            show_default=False,
        ),
    ] = None,
    show_naive: Annotated[
        bool,
        typer.Option(
            "--show-naive",
            help="Also show why dividing each score by their sum fails for negative scores.",
        ),
    ] = False,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    check: CheckOpt = None,
    exact: ExactOpt = False,
) -> None:
    """Softmax: e^(z_k − max z) for each score, their sum and each probability.

    The largest score is subtracted before exponentiating (the result is the same and
    nothing overflows); the solution says so.  Negative scores need no quoting.

    \b
    Examples:
      dlcalc softmax 3 4 10 3
      dlcalc softmax 7 -2 4 1 --show-naive
      dlcalc softmax 1 2 3 --temperature 2
      dlcalc softmax examples/softmax-3-4-10-3.yaml -f json
    """
    values = values or []
    problem, data = None, None
    if len(values) == 1 and not _is_number(values[0]):
        problem = values[0]
    elif values:
        data = {"logits": values}

    overrides: dict[str, Any] = {}
    if temperature is not None:
        overrides["temperature"] = temperature
    if show_naive:
        overrides["show_naive"] = True
    out = Output(fmt, decimals, output, check=check, exact=exact)
    run("softmax", problem, Settings(carry, overrides=overrides), out, data)


@app.command(context_settings=NUMBERS_ANYWHERE)
def crossentropy(
    problem: ProblemOpt = None,
    target: Annotated[
        NumbersOpt,
        typer.Option(
            "--target",
            help="Target: one-hot 0,0,1 (or a distribution); binary 0 or 1; rows split by ;.",
            show_default=False,
        ),
    ] = None,
    probabilities: Annotated[
        NumbersOpt,
        typer.Option(
            "--probabilities",
            "-p",
            help="Predicted probabilities, e.g. 0.2718,0.2634,0.4648.",
            show_default=False,
        ),
    ] = None,
    logits: Annotated[
        NumbersOpt,
        typer.Option(
            "--logits", help="Scores before softmax (log-sum-exp is used).", show_default=False
        ),
    ] = None,
    probability: Annotated[
        NumbersOpt,
        typer.Option(
            "--probability",
            help="Binary: the predicted probability of class 1.",
            show_default=False,
        ),
    ] = None,
    logit: Annotated[
        NumbersOpt,
        typer.Option("--logit", help="Binary: the score before the sigmoid.", show_default=False),
    ] = None,
    base: BaseOpt = None,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    check: CheckOpt = None,
    exact: ExactOpt = False,
) -> None:
    """Cross-entropy: each term −t·log p with its numbers, the loss, and the mean over several rows.

    Multi-class from probabilities or logits (stable log-sum-exp), binary from a
    probability or a logit.  Several examples: rows separated by ; (mean loss).

    \b
    Examples:
      dlcalc crossentropy --target 0,0,1 --probabilities 0.2718,0.2634,0.4648
      dlcalc crossentropy --target 0 --probability 0.7152
      dlcalc crossentropy --target "0,1;1,0" --logits "2,-1;0.5,0.5" --base 2
      dlcalc crossentropy problem.yaml -f json | jq .result.loss
    """
    given = {
        "target": target,
        "probabilities": probabilities,
        "logits": logits,
        "probability": probability,
        "logit": logit,
    }
    data: dict | None = {k: _numbers(v) for k, v in given.items() if v is not None} or None
    if data is not None and base is not None:
        data["base"] = base

    settings = Settings(carry, overrides={"base": base} if base is not None else {})
    out = Output(fmt, decimals, output, check=check, exact=exact)
    run("crossentropy", problem, settings, out, data)


@app.command(context_settings=NUMBERS_ANYWHERE)
def kld(
    problem: ProblemOpt = None,
    p: Annotated[
        NumbersOpt, typer.Option("--p", help="Distribution p, e.g. 0.5,0.5.", show_default=False)
    ] = None,
    q: Annotated[
        NumbersOpt,
        typer.Option(
            "--q",
            help="Distribution q (KL(p‖q) is computed, and KL(q‖p) beside it).",
            show_default=False,
        ),
    ] = None,
    mu: Annotated[
        NumbersOpt, typer.Option("--mu", help="Gaussian: means per dimension.", show_default=False)
    ] = None,
    sigma: Annotated[
        NumbersOpt,
        typer.Option(
            "--sigma", help="Gaussian: standard deviations per dimension.", show_default=False
        ),
    ] = None,
    logvar: Annotated[
        NumbersOpt,
        typer.Option(
            "--logvar", help="Gaussian: ln σ² per dimension instead of --sigma.", show_default=False
        ),
    ] = None,
    q_mu: Annotated[
        NumbersOpt,
        typer.Option(
            "--q-mu", help="Second Gaussian's mean (default: N(0, 1)).", show_default=False
        ),
    ] = None,
    q_sigma: Annotated[
        NumbersOpt,
        typer.Option("--q-sigma", help="Second Gaussian's standard deviation.", show_default=False),
    ] = None,
    base: BaseOpt = None,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    check: CheckOpt = None,
    exact: ExactOpt = False,
) -> None:
    """KL divergence: KL(p‖q) term by term, KL(q‖p), and H(p, q) = H(p) + KL(p‖q); or Gaussians.

    Terms with p = 0 contribute 0; q = 0 where p > 0 makes KL infinite.  Gaussian:
    KL(N(μ, σ²) ‖ N(0, 1)) per dimension and summed (the VAE latent loss), from σ or
    ln σ²; with --q-mu/--q-sigma, KL between two Gaussians.

    \b
    Examples:
      dlcalc kld --p 0.5,0.5 --q 0.9,0.1
      dlcalc kld --p 0.5,0.5 --q 0.9,0.1 --base 2
      dlcalc kld --mu 0.5,-1 --sigma 1,0.5
      dlcalc kld --mu 1 --sigma 1 --q-mu 0 --q-sigma 2
      dlcalc kld examples/vae-latent-kl.yaml
    """
    data: dict | None = None
    if p is not None or q is not None:
        data = {k: _numbers(v) for k, v in (("p", p), ("q", q)) if v is not None}
    if mu is not None or sigma is not None or logvar is not None:
        gaussian: dict[str, Any] = {
            k: _numbers(v)
            for k, v in (("mu", mu), ("sigma", sigma), ("logvar", logvar))
            if v is not None
        }
        if q_mu is not None or q_sigma is not None:
            gaussian["q"] = {"mu": _numbers(q_mu or "0"), "sigma": _numbers(q_sigma or "1")}
        data = {**(data or {}), "gaussian": gaussian}
    if data is not None and base is not None:
        data["base"] = base

    settings = Settings(carry, overrides={"base": base} if base is not None else {})
    out = Output(fmt, decimals, output, check=check, exact=exact)
    run("kld", problem, settings, out, data)


# --- checking answers and answer keys --------------------------------------------------------

AnswersArg = Annotated[
    Path,
    typer.Argument(
        metavar="ANSWERS",
        help="YAML answers file: quantity name (as the tables show it) or result path → claimed value.",
    ),
]
CommandOpt = Annotated[
    str | None,
    typer.Option(
        "--command",
        "-c",
        help="The command that solves the problem (default: the problem file's `command:` key).",
        show_default=False,
    ),
]
TolOpt = Annotated[
    float | None,
    typer.Option(
        "--tol",
        min=0.0,
        max=1e6,
        help="Absolute tolerance for every claim (default: half a unit of each claim's last written decimal).",
        show_default=False,
    ),
]


def builder_for(doc: Document, command: str | None) -> Builder:
    """The builder of ``--command``, else of the problem's ``command:`` key."""
    from dlcalc.specs.loader import suggest

    data = doc.data if isinstance(doc.data, dict) else {}
    name = command or data.get("command")
    if name is not None and not isinstance(name, str):
        raise InputError(
            f"expected a command name, e.g. `command: backprop`; got {name!r}"[:200],
            line=doc.line_of(("command",)),
            field="command",
        )
    known = ", ".join(sorted(BUILDERS))
    if not name:
        raise InputError(
            f"missing key 'command'; say which command solves this problem (one of: {known}), or give --command",
            field="command",
        )
    if name not in BUILDERS:
        line = None if command else doc.line_of(("command",))
        raise InputError(
            f"unknown command {name!r}{suggest(str(name), BUILDERS)}; expected one of: {known}",
            line=line,
            field="--command" if command else "command",
        )
    return BUILDERS[name]


@app.command("check")
def check_answers(
    problem: ProblemArg,
    answers: AnswersArg,
    command: CommandOpt = None,
    tol: TolOpt = None,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    output: OutputOpt = None,
    every_step: EveryStepOpt = False,
) -> None:
    """Check a student's answers against the worked solution, with error carried forward.

    ANSWERS maps names to claimed values: a label as the tables show it (out_h1, dE_dw5,
    w5_new), its symbol (∂E/∂w5, w5⁺) or a path into the JSON result
    (layers[1].weights[0][0]).  A claim is right when it agrees to the decimals it was
    written with (0.50 means ±0.005).  A wrong value that follows from the student's own
    earlier wrong values is marked ↪ (carried forward), not ✗.  Exit status 1 when any
    claim is genuinely wrong.

    \b
    Examples:
      dlcalc check examples/mazur.yaml examples/answers/mazur.yaml
      dlcalc check problem.yaml answers.yaml --command backprop --format json
    """
    from dlcalc.specs.loader import load

    out = Output(fmt, decimals, output, every_step, check=answers, tol=tol)
    files.reset()

    def action() -> None:
        doc = load(problem)
        finish(builder_for(doc, command)(doc, Settings(carry, every_step)), out)

    guarded("<stdin>" if problem == "-" else problem, action)


@app.command("key")
def answer_key(
    problems: Annotated[
        list[str],
        typer.Argument(
            metavar="PROBLEM...", help="YAML problem files, each with a `command:` key."
        ),
    ],
    output: OutputOpt = None,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    carry: CarryOpt = None,
    every_step: EveryStepOpt = False,
    title: Annotated[str, typer.Option("--title", help="The document's title.")] = "Answer key",
) -> None:
    """Answer key: solve several problem files into one numbered Markdown or LaTeX document.

    Each problem gets its number, title and source (the `source:` key and the file's
    leading # comment lines).  The format follows -o's extension (.md, .tex) unless
    --format is given; LaTeX is a complete document (amsmath, booktabs) for pdflatex.

    \b
    Examples:
      dlcalc key examples/*.yaml -o key.md
      dlcalc key examples/mazur.yaml examples/hankamber.yaml -o key.tex
    """
    from dlcalc import answer_key as ak
    from dlcalc import limits
    from dlcalc.render import EXTENSIONS
    from dlcalc.specs.loader import load

    chosen = fmt or (
        EXTENSIONS.get(output.suffix.lower()) if output is not None else Format.markdown
    )
    if chosen not in (Format.markdown, Format.latex):
        what = (
            f"--format {fmt.value}" if fmt else f"the extension {output.suffix if output else ''!r}"
        )
        raise fail(
            f"--output: cannot write an answer key for {what}; use .md or .tex (or --format markdown|latex)"
        )
    solved = []
    files.reset()
    guarded("", lambda: None if limits.check_text("--title", title) else None)
    for problem in problems:
        name = "<stdin>" if problem == "-" else problem

        def action(problem: str = problem, name: str = name) -> None:
            doc = load(problem)
            solution = builder_for(doc, None)(doc, Settings(carry, every_step))
            solved.append(ak.Problem(solution, Path(name).name, ak.leading_comment(doc.text)))

        guarded(name, action)
    render = ak.latex if chosen is Format.latex else ak.markdown
    text = render(solved, decimals, every_step, title)
    guarded("", lambda: _write_key(text, output))


def _write_key(text: str, output: Path | None) -> None:
    if output is None:
        files.write_stdout(text)
        return
    files.write_text(output, text)
    files.commit()


# --- derive and graph: expressions (SymPy, imported only when these run) --------------------

ExpressionArg = Annotated[
    str,
    typer.Argument(
        metavar="EXPR",
        help="The expression, e.g. 'exp(x^2)' or 'sigmoid(w*x + b)'; quote it for the shell.",
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="x=0.3,y=1",
        help="Values of the symbols, name=value pairs separated by commas.",
        show_default=False,
    ),
]


class ExpressionCommand(typer.core.TyperCommand):
    """A command whose expression may begin with '-' (``dlcalc derive -x^2``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        known = {o for p in self.params for o in (*p.opts, *p.secondary_opts)} | set(
            ctx.help_option_names
        )
        takes_value = {
            o
            for p in self.params
            if p.param_type_name == "option" and not getattr(p, "is_flag", False)
            for o in p.opts
        }
        rest: list[str] = []
        expressions: list[str] = []
        skip = False
        for k, arg in enumerate(args):
            if arg == "--" and not skip:
                rest += args[k:]
                break
            if (
                skip
                or arg == "-"
                or not arg.startswith("-")
                or arg.split("=", 1)[0] in known
                or arg == "--"
            ):
                rest.append(arg)
                skip = not skip and arg in takes_value
                continue
            expressions.append(arg)
        if expressions:
            rest += ["--", *expressions]
        return super().parse_args(ctx, rest)


@app.command(cls=ExpressionCommand)
def derive(
    expression: ExpressionArg,
    wrt: Annotated[
        str | None,
        typer.Option(
            "--wrt",
            help="The variable to differentiate by (default: the only symbol, or x).",
            show_default=False,
        ),
    ] = None,
    at: AtOpt = None,
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    output: OutputOpt = None,
) -> None:
    """The derivative of an expression, each chain-rule factor shown (SymPy does the calculus).

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

    def action() -> None:
        from dlcalc.expressions import parse, parse_assignments

        parse(expression)  # reject bad input before SymPy is even imported
        values = parse_assignments(at) if at is not None else None
        from dlcalc.topics.calculus import solve_derive

        finish(solve_derive(expression, wrt, values), Output(fmt, decimals, output))

    guarded("", action)  # the error names the expression's field and column itself


@app.command(cls=ExpressionCommand)
def graph(
    expression: ExpressionArg,
    at: Annotated[
        str,
        typer.Option(
            "--at",
            metavar="x=0.3,y=1",
            help="Values of every symbol, name=value pairs separated by commas.",
        ),
    ],
    fmt: FormatOpt = None,
    decimals: DecimalsOpt = 4,
    output: OutputOpt = None,
) -> None:
    """The computational graph of an expression: forward values, then the backward pass.

    Every node with its operation, value and adjoint ∂f/∂node, in evaluation order and
    as a tree; each input's gradient is summed over every path from it to the output.

    \b
    Examples:
      dlcalc graph 'x*y + sin(x)' --at x=0.5,y=2
      dlcalc graph 'sigmoid(w1*x1 + w2*x2 + b)' --at w1=0.1,w2=-0.2,x1=1,x2=2,b=0
    """

    def action() -> None:
        from dlcalc.expressions import parse, parse_assignments

        parse(expression)  # reject bad input before SymPy is even imported
        values = parse_assignments(at)
        from dlcalc.topics.calculus import solve_graph

        finish(solve_graph(expression, values), Output(fmt, decimals, output))

    guarded("", action)  # the error names the expression's field and column itself


def main() -> None:
    """Console-script entry point: usage errors, like input errors, are one line and exit status 2."""
    try:
        status = app(prog_name="dlcalc", standalone_mode=False)
    except typer.Abort:
        typer.echo("dlcalc: aborted", err=True)
        sys.exit(1)
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
