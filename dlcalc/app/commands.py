"""The command registry: which builder solves the problems of each command.

A *builder* turns a loaded problem file (a :class:`~dlcalc.specs.loader.Document`) and the
run's :class:`~dlcalc.app.settings.Settings` into a :class:`~dlcalc.model.steps.Solution`: it validates
the spec, calls the topic's pure computation and, where asked, attaches a figure.  Registering
it here makes the command exist everywhere at once: ``dlcalc NAME PROBLEM`` (the command line
builds one command per entry, with the builder's docstring as its ``--help``), ``dlcalc check``
and ``dlcalc key`` (both pick the builder from the problem's ``command:`` key).

This module is Typer-free, and every builder imports its spec and topic inside its body, so
that importing the registry (and ``dlcalc --help``) stays fast.  See docs/adding-a-command.md.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dlcalc.app import arguments as args
from dlcalc.app.arguments import Given
from dlcalc.app.settings import ALWAYS, SHARED, Opt, Settings
from dlcalc.errors import InputError

if TYPE_CHECKING:
    from dlcalc.model.steps import Solution
    from dlcalc.specs.loader import Document

OVERVIEW = (
    "Worked-example calculator for deep-learning coursework.\n\n"
    "Give a command and a YAML problem file (or - for standard input); dlcalc prints the full "
    "worked solution, every formula with its numbers substituted.\n\n"
    "\b\nExamples:\n"
    "  dlcalc backprop examples/mazur.yaml\n"
    "  dlcalc backprop examples/mazur.yaml --carry 4 --exact\n"
    "  dlcalc forward examples/ce-multiclass.yaml --format markdown\n"
    "  dlcalc perceptron examples/perceptron-trace.yaml --plot trace.png\n"
    "  dlcalc softmax 7 -2 4 1\n"
    "  dlcalc solve examples/hankamber.yaml --carry 3\n"
    "  dlcalc check examples/mazur.yaml examples/answers/mazur.yaml\n"
    "  dlcalc key examples/*.yaml -o key.tex\n"
    "  dlcalc derive 'sigmoid(x)' --at x=0.3\n\n"
    "Every command has its own --help with examples.  Problem formats: docs/reference.md."
)  # dlcalc --help

# --help of `solve`, which dlcalc/app/cli.py writes itself (it needs the command line's own parser).
HELP = {
    "solve": """\
Solve a problem file with the command its `command:` key names.

Every option of that command may follow (--format, --carry, --every-step, ...); the
JSON `command` is the command that ran.

\b
Examples:
  dlcalc solve examples/mazur.yaml
  dlcalc solve examples/perceptron-trace.yaml --plot trace.png
  dlcalc solve examples/hankamber.yaml --carry 3 -f json
""",
}

Builder = Callable[["Document", Settings], "Solution"]

PROBLEM = Opt(
    "problem",
    (),
    "YAML problem file, or - to read it from standard input.",
    metavar="PROBLEM",
    required=True,
)
PROBLEM_OR_NUMBERS = Opt(
    "problem",
    (),
    "YAML problem file, or - for standard input; or give the numbers as options.",
    metavar="[PROBLEM]",
)


class Command:
    """One registered command: its builder, ``--help`` text and command-line interface."""

    __slots__ = ("name", "build", "help", "options", "arguments", "read", "negatives")

    def __init__(
        self,
        name: str,
        build: Builder,
        help: str,
        options: tuple[str, ...],
        arguments: tuple[Opt, ...],
        read: Callable[[dict[str, Any]], Given] | None,
        negatives: bool,
    ) -> None:
        self.name = name
        self.build = build
        self.help = help
        self.options = options  # the optional shared options it takes (names in SHARED)
        self.arguments = arguments  # its own arguments and options, the problem first
        self.read = read  # own option values -> the problem
        # a leading '-' may start a value (softmax -2 1): unknown options are values
        self.negatives = negatives


COMMANDS: dict[str, Command] = {}
HELP_FLAGS = ("-h", "--help")  # every command's --help (dlcalc/app/cli.py)


def clashes(arguments: tuple[Opt, ...], options: tuple[str, ...]) -> str | None:
    """Why a command's own ``arguments`` cannot sit beside the shared ``options`` it takes
    (and --format, --decimals, --sig, --output, --help), or None.

    Each value arrives under its name, so no two may share one (nor take ``settings``, the
    name the shared options' values arrive under); each flag must mean one option.
    """
    shared = [SHARED[n] for n in SHARED if n in ALWAYS or n in options]
    names: dict[str, str] = {"settings": "the shared options' values"}
    flags: dict[str, str] = dict.fromkeys(HELP_FLAGS, "the help option")
    for opt in shared:
        names[opt.name] = f"the shared option {opt.flags[0]}"
        flags.update(dict.fromkeys(opt.flags, f"the shared option {opt.flags[0]}"))
    for opt in arguments:
        own = f"{opt.flags[0]}" if opt.flags else f"the argument {opt.name!r}"
        if opt.name in names:
            return f"{own} is named {opt.name!r}, as is {names[opt.name]}; rename it"
        names[opt.name] = own
        for flag in opt.flags:
            if flag in flags:
                return f"{own} takes the flag {flag}, which is {flags[flag]}'s; choose another"
            flags[flag] = own
    return None


def register(
    name: str,
    options: tuple[str, ...] = ("carry", "check", "exact"),
    arguments: tuple[Opt, ...] = (PROBLEM,),
    read: Callable[[dict[str, Any]], Given] | None = None,
    negatives: bool = False,
) -> Callable[[Builder], Builder]:
    """Register ``name``'s builder; its docstring is the command's ``--help`` (first line: summary).

    ``options``: the optional shared options the command takes besides --format, --decimals
    and --output (names in :data:`~dlcalc.app.settings.SHARED`).  A command that reads only a
    problem file needs nothing else.  One whose numbers may also be given on the command
    line declares its ``arguments`` (:class:`~dlcalc.app.settings.Opt`) and a ``read`` function
    (in :mod:`dlcalc.app.arguments`) that turns their values into the problem.
    """
    unknown = set(options) - set(SHARED)
    if unknown:
        raise ValueError(f"unknown shared options {sorted(unknown)}")
    clash = clashes(arguments, options)
    if clash:
        raise ValueError(f"command {name!r}: {clash}")

    def add(build: Builder) -> Builder:
        text = inspect.cleandoc(build.__doc__ or "")
        COMMANDS[name] = Command(name, build, text, options, arguments, read, negatives)
        return build

    return add


def solve(name: str, doc: Document, settings: Settings) -> Solution:
    """Solve ``doc`` with the builder of command ``name``, after applying option overrides."""
    if settings.overrides and isinstance(doc.data, dict):
        doc.data.update(settings.overrides)
    solution = COMMANDS[name].build(doc, settings)
    if isinstance(doc.data, dict) and "ask" in doc.data and doc.data.get("command") in (None, name):
        from dlcalc.sets.asking import check_asks

        # every asked quantity is one the solution has (a backprop problem's asks are
        # backprop's, not those of forward run on the same file)
        check_asks(doc, solution)
    if settings.carry is not None:
        from dlcalc.maths.scalars import say_carry_mode

        say_carry_mode(solution, settings.carry)
    return solution


def variants(name: str, doc: Document, settings: Settings) -> Any:
    """What ``check`` re-solves to try the textbook conventions: a :class:`dlcalc.grading.conventions.Problem`.

    Its ``solve`` is this command layer's :func:`solve` (with ``--carry`` and ``--every-step``;
    options such as ``--base 2`` go into the data), so the conventions never import commands.
    """
    if not isinstance(doc.data, dict):
        return None
    from dlcalc.grading.conventions import Problem
    from dlcalc.specs.loader import Document

    plain = Settings(carry=settings.carry, every_step=settings.every_step)
    data = copy.deepcopy(doc.data)
    data.update(copy.deepcopy(settings.overrides))

    def resolve(variant: dict[str, Any]) -> Solution:
        return solve(name, Document(variant, doc.name), plain)

    return Problem(name, data, resolve, settings.carry, settings.every_step)


def command_of(doc: Document, command: str | None) -> str:
    """The command named by ``--command``, else by the problem's ``command:`` key (for check, key)."""
    from dlcalc.specs.loader import suggest

    data = doc.data if isinstance(doc.data, dict) else {}
    name = command or data.get("command")
    if name is not None and not isinstance(name, str):
        raise InputError(
            f"expected a command name, e.g. `command: backprop`; got {name!r}"[:200],
            line=doc.line_of(("command",)),
            field="command",
        )
    known = ", ".join(sorted(COMMANDS))
    if not name:
        raise InputError(
            f"missing key 'command'; say which command solves this problem (one of: {known}), or give --command",
            field="command",
        )
    if name not in COMMANDS:
        line = None if command else doc.line_of(("command",))
        raise InputError(
            f"unknown command {name!r}{suggest(str(name), COMMANDS)}; expected one of: {known}",
            line=line,
            field="--command" if command else "command",
        )
    return name


# --- network ---------------------------------------------------------------------------------


def _network(doc: Document, settings: Settings, training: bool) -> Solution:
    from dlcalc import limits
    from dlcalc.specs.network import load_network, weights_note
    from dlcalc.topics.network import solve_backprop, solve_forward

    spec = load_network(doc, training=training)
    limits.check_network(spec, training, settings.every_step, settings.symbolic)
    options = (spec.regularization, spec.batch_size, spec.clip, spec.schedule)
    if (
        settings.symbolic
        and training  # forward reads a backprop file's training keys and uses none
        and (spec.weight_decay or spec.dropout or spec.optimizer != "sgd" or any(options))
    ):
        raise InputError(
            "derives plain backpropagation; it does not cover weight_decay, dropout, an optimizer, "
            "regularization, batch_size, clip or a schedule",
            field="--symbolic",
        )
    if training:
        solution = solve_backprop(spec, settings.carry, settings.every_step)
    else:
        solution = solve_forward(spec, settings.carry)
    solution.sections[0].items.insert(0, weights_note(spec))  # which way the weights were read
    if not training and spec.command == "backprop":
        solution.notes.append(
            "A backprop problem: this is its forward pass; the training keys (learning rate, "
            "optimizer, regularization, …) are read and not used."
        )
    if settings.symbolic:
        from dlcalc.topics.symbolic import add_symbolic

        solution = add_symbolic(solution, spec, training)
    return solution


@register("forward", options=("carry", "check", "symbolic", "exact", "diagram"))
def build_forward(doc: Document, settings: Settings) -> Solution:
    """Forward pass of a network: every net input, output, error and the total loss.

    \b
    Examples:
      dlcalc forward examples/ce-multiclass.yaml
      dlcalc forward examples/bce-binary.yaml --decimals 6
      cat problem.yaml | dlcalc forward - --format json
    """
    return _network(doc, settings, training=False)


@register("backprop", options=("carry", "every_step", "check", "symbolic", "exact", "diagram"))
def build_backprop(doc: Document, settings: Settings) -> Solution:
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
    return _network(doc, settings, training=True)


# --- perceptron and delta rule ---------------------------------------------------------------


@register("perceptron", options=("carry", "every_step", "plot", "check", "exact"))
def build_perceptron(doc: Document, settings: Settings) -> Solution:
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
    from dlcalc.specs.perceptron import PerceptronTraining, label_text, load_perceptron
    from dlcalc.topics.perceptron import plot_data, solve_evaluation, solve_training

    plot = settings.plot
    if plot is not None:
        from dlcalc.render.plots import check_path

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
        from dlcalc.render.plots import plot_perceptron

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


@register("optimize", options=("carry", "every_step", "plot", "check", "exact"))
def build_optimize(doc: Document, settings: Settings) -> Solution:
    """Optimizer steps: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, every state variable.

    `function:` gives the loss as an expression of w1, w2, … (its gradient is derived),
    or `gradients:` the gradient of every step; `start:` the initial weights.  Each step
    shows the gradient, the optimizer's state (v, a, r, m, v, m̂, v̂) and the new weights
    with their numbers, then the trajectory.  --plot draws the path over the loss's
    contour lines (two weights).  Formats and labels: docs/training.md.

    \b
    Examples:
      dlcalc optimize examples/adam-step.yaml
      dlcalc optimize examples/momentum-trace.yaml --plot path.png
      dlcalc optimize examples/adam-step.yaml -f json | jq .result.steps
    """
    from dlcalc.specs.optimize import load_optimize
    from dlcalc.topics.optimize import plot_inputs, solve_optimize

    plot = settings.plot
    if plot is not None:
        from dlcalc.render.plots import check_path

        check_path(plot)
    spec, node = load_optimize(doc)
    solution = solve_optimize(spec, node, settings.carry, settings.every_step)
    if plot is not None:
        from dlcalc.render.plots import plot_path

        points, loss = plot_inputs(solution, node)
        optimizer = solution.result["optimizer"]
        solution.figures.append(lambda: plot_path(plot, points, loss, optimizer, spec.title))
    return solution


@register("batchnorm")
def build_batchnorm(doc: Document, settings: Settings) -> Solution:
    """Batch normalization: mean, variance (÷m), x̂ and γ·x̂ + β per element; with grad_output the backward pass.

    `batch:` has one row per example and one column per feature; `gamma:`, `beta:`
    (default ones and zeros) and `epsilon:` (default 1e-5, inside the square root).
    With `grad_output:` (∂L/∂y, shaped like the batch): ∂L/∂γ, ∂L/∂β and ∂L/∂x with
    its three terms.  Formats and labels: docs/training.md.

    \b
    Examples:
      dlcalc batchnorm examples/batchnorm.yaml
      dlcalc batchnorm examples/batchnorm.yaml -f json | jq .result.grad_input
    """
    from dlcalc.specs.batchnorm import load_batchnorm
    from dlcalc.topics.batchnorm import solve_batchnorm

    return solve_batchnorm(load_batchnorm(doc), settings.carry)


@register("delta", options=("carry", "every_step", "plot", "check", "exact"))
def build_delta(doc: Document, settings: Settings) -> Solution:
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
    from dlcalc.specs.perceptron import load_delta
    from dlcalc.topics.delta import solve_delta

    plot = settings.plot
    if plot is not None:
        from dlcalc.render.plots import check_path

        check_path(plot)
    spec = load_delta(doc)
    solution = solve_delta(spec, settings.carry, settings.every_step)
    if plot is not None:
        from dlcalc.render.plots import plot_errors

        errors = [e["error"] for e in solution.result["epochs"]]
        solution.figures.append(lambda: plot_errors(plot, errors, spec.title))
    return solution


# --- conv-shape, softmax, crossentropy, kld (their numbers may also be given as options) -------

BASE = Opt("base", ("--base",), "Log base: e (default), 2 (bits) or 10.", metavar="e|2|10")


@register(
    "conv-shape",
    options=("check", "exact"),
    arguments=(
        PROBLEM_OR_NUMBERS,
        Opt("input_size", ("--input", "-i"), "Input size, e.g. 227,227,3.", metavar="H,W,C"),
        Opt(
            "layers",
            ("--layer", "-l"),
            "One layer, in order; repeat for each layer (forms below).",
            list,
            metavar="KIND:…",
        ),
    ),
    read=args.conv_shape,
)
def build_conv_shape(doc: Document, settings: Settings) -> Solution:
    """CNN shapes: each layer's output size (W − F + 2P)/S + 1, parameters, MACs and receptive field.

    Layers: conv, conv_transpose, maxpool, avgpool, global_avgpool, flatten, dense, and
    inception (GoogLeNet's four branches, with what the 1×1 reductions save).
    Sizes may be [h, w] pairs (3x5 on the command line); padding a number, same or
    valid.  Where (W − F + 2P)/S is not whole it is floored, and the row says so.

    \b
    Layer forms for --layer (later values optional):
      conv:FILTERS:KERNEL:STRIDE:PADDING:DILATION      (stride 1, padding 0)
      conv_transpose:FILTERS:KERNEL:STRIDE:PADDING:OUTPUT_PADDING
      maxpool:KERNEL:STRIDE:PADDING  avgpool:…          (stride = kernel)
      global_avgpool   flatten   dense:UNITS
      inception:1X1:REDUCE3:3X3:REDUCE5:5X5:POOL_PROJ  (GoogLeNet's table)

    \b
    Examples:
      dlcalc conv-shape examples/alexnet.yaml
      dlcalc conv-shape -i 227,227,3 -l conv:96:11:4:0 -l maxpool:3:2 -l flatten -l dense:10
      dlcalc conv-shape -i 224,224,3 -l conv:64:3:1:same -l maxpool:2
      dlcalc conv-shape examples/alexnet.yaml -f json | jq .result.total_params
    """
    from dlcalc.specs.conv import load_conv
    from dlcalc.topics.conv import solve_conv_shape

    return solve_conv_shape(load_conv(doc))


@register(
    "softmax",
    arguments=(
        Opt(
            "values",
            (),
            "YAML problem file or -, or the scores (logits) themselves.",
            list,
            metavar="PROBLEM | SCORES…",
        ),
        Opt(
            "temperature",
            ("--temperature", "-t"),
            "Divide the scores by T first (default 1).",
            float,
        ),
        Opt(
            "show_naive",
            ("--show-naive",),
            "Also show why dividing each score by their sum fails for negative scores.",
            bool,
        ),
    ),
    read=args.softmax,
    negatives=True,
)
def build_softmax(doc: Document, settings: Settings) -> Solution:
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
    from dlcalc.specs.losses import load_softmax
    from dlcalc.topics.losses import solve_softmax

    return solve_softmax(load_softmax(doc), settings.carry)


@register(
    "crossentropy",
    arguments=(
        PROBLEM_OR_NUMBERS,
        Opt(
            "target",
            ("--target",),
            "Target: one-hot 0,0,1 (or a distribution); binary 0 or 1; rows split by ;.",
            metavar="NUMBERS",
        ),
        Opt(
            "probabilities",
            ("--probabilities", "-p"),
            "Predicted probabilities, e.g. 0.2718,0.2634,0.4648.",
            metavar="NUMBERS",
        ),
        Opt(
            "logits",
            ("--logits",),
            "Scores before softmax (log-sum-exp is used).",
            metavar="NUMBERS",
        ),
        Opt(
            "probability",
            ("--probability",),
            "Binary: the predicted probability of class 1.",
            metavar="X",
        ),
        Opt("logit", ("--logit",), "Binary: the score before the sigmoid.", metavar="X"),
        BASE,
    ),
    read=args.crossentropy,
    negatives=True,
)
def build_crossentropy(doc: Document, settings: Settings) -> Solution:
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
    from dlcalc.specs.losses import load_crossentropy
    from dlcalc.topics.losses import solve_crossentropy

    return solve_crossentropy(load_crossentropy(doc), settings.carry)


@register(
    "kld",
    arguments=(
        PROBLEM_OR_NUMBERS,
        Opt("p", ("--p",), "Distribution p, e.g. 0.5,0.5.", metavar="NUMBERS"),
        Opt(
            "q",
            ("--q",),
            "Distribution q (KL(p‖q) is computed, and KL(q‖p) beside it).",
            metavar="NUMBERS",
        ),
        Opt("mu", ("--mu",), "Gaussian: means per dimension.", metavar="NUMBERS"),
        Opt(
            "sigma", ("--sigma",), "Gaussian: standard deviations per dimension.", metavar="NUMBERS"
        ),
        Opt(
            "logvar",
            ("--logvar",),
            "Gaussian: ln σ² per dimension instead of --sigma.",
            metavar="NUMBERS",
        ),
        Opt("q_mu", ("--q-mu",), "Second Gaussian's mean (default: N(0, 1)).", metavar="NUMBERS"),
        Opt("q_sigma", ("--q-sigma",), "Second Gaussian's standard deviation.", metavar="NUMBERS"),
        BASE,
    ),
    read=args.kld,
    negatives=True,
)
def build_kld(doc: Document, settings: Settings) -> Solution:
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
    from dlcalc.specs.losses import load_kld
    from dlcalc.topics.losses import solve_kld

    return solve_kld(load_kld(doc), settings.carry)


# --- rnn: recurrent cells over a sequence ------------------------------------------------------


@register(
    "rnn",
    arguments=(
        PROBLEM,
        Opt(
            "gradient_flow",
            ("--gradient-flow",),
            "Also show ∂s_j/∂s_{j−1} at every step and their product along the sequence "
            "(vanishing or exploding gradients).",
            bool,
        ),
    ),
    read=args.rnn,
)
def build_rnn(doc: Document, settings: Settings) -> Solution:
    """Recurrent cells over a sequence: forward pass, backpropagation through time, one update.

    `cell: rnn | lstm | gru` in the slides' notation (U multiplies the input, W the previous
    state; LSTM and GRU gates each have their own U, W, b).  Every gate and state step by
    step, the loss per step, then BPTT latest step first (∂L/∂s_t = explicit + implicit
    part), each gradient as a sum over the steps, and θ⁺ = θ − η ∂L/∂θ.  Format and
    labels: docs/rnn.md.

    \b
    Examples:
      dlcalc rnn examples/rnn-1unit.yaml
      dlcalc rnn examples/lstm-gomez.yaml --carry 4
      dlcalc rnn examples/gru-1unit.yaml --gradient-flow
      dlcalc rnn examples/lstm-gomez.yaml -f json | jq .result.grad
    """
    from dlcalc.specs.rnn import load_rnn
    from dlcalc.topics.rnn import solve_rnn

    spec = load_rnn(doc)
    return solve_rnn(spec, settings.carry, spec.gradient_flow)


# --- conv (issue 14): numeric convolution and pooling ------------------------------------------


@register(
    "conv",
    options=("carry", "every_step", "check", "exact"),
    arguments=(
        PROBLEM_OR_NUMBERS,
        Opt(
            "input",
            ("--input", "-i"),
            'The input: numbers by spaces or commas, rows by ;, channels by | ("0 1 2; 3 4 5; 6 7 8").',
            metavar="ROWS",
        ),
        Opt(
            "kernel",
            ("--kernel", "-k"),
            'The kernel, written like --input ("0 1; 2 3").',
            metavar="ROWS",
        ),
        Opt("bias", ("--bias",), "The bias (default 0).", metavar="X"),
        Opt("stride", ("--stride",), "Stride: N or HxW (default 1).", metavar="N|HxW"),
        Opt(
            "padding",
            ("--padding",),
            "Zero padding: N, HxW, same or valid (default 0).",
            metavar="N|HxW",
        ),
        Opt("dilation", ("--dilation",), "Dilation: N or HxW (default 1).", metavar="N|HxW"),
        Opt(
            "flip",
            ("--flip",),
            "Rotate the kernel 180° first (convolution, not cross-correlation).",
            bool,
        ),
    ),
    read=args.conv,
)
def build_conv(doc: Document, settings: Settings) -> Solution:
    """Convolution and pooling worked number by number: every output cell as its sum, forward and backward.

    A problem file holds `input:` (a matrix, or a list of matrices for several channels) and
    `layers:` of conv (kernel or filters, bias, stride, padding, dilation, flip), activation,
    maxpool and avgpool; `grad_output:` adds the backward pass (∂L/∂kernel, ∂L/∂bias,
    ∂L/∂input).  Exact arithmetic for whole numbers and short decimals.  Maps larger than
    6×6 write out their first cells and show the rest as grids (--every-step writes out
    all).  Labels for --check: y[0][1][2], pool[0][0][1], grad_K[0][0][1][1] (docs/conv.md).

    \b
    Examples:
      dlcalc conv examples/conv-toy.yaml
      dlcalc conv --input "0 1 2; 3 4 5; 6 7 8" --kernel "0 1; 2 3"
      dlcalc conv --input "0 1 2; 3 4 5; 6 7 8" --kernel "0 1; 2 3" --flip --padding 1
      dlcalc conv examples/conv-backward.yaml -f json | jq .result.layers[0].grad_kernel
    """
    from dlcalc.specs.convolution import load_convolution
    from dlcalc.specs.letters import has_letters
    from dlcalc.topics.convolution_solve import solve_convolution

    if has_letters(doc):  # the slides' toy example: input a … A, kernel w x / y z
        return _letters(doc, settings)
    return solve_convolution(load_convolution(doc), settings.carry, settings.every_step)


# --- gan, vae, attention (issue 29): generative models and scaled dot-product attention --------


@register("gan")
def build_gan(doc: Document, settings: Settings) -> Solution:
    """GAN losses: the discriminator loss term by term, both generator losses, V(D, G), logit gradients.

    `real:` and `fake:` are the discriminator's outputs D(x) and D(G(z)) (or `real_logits:`
    and `fake_logits:`, with D = σ(a)); `generator: non_saturating | saturating` picks the
    generator's loss (both are shown).  Natural log, means over the examples.  Gradients
    are with respect to the logits, with a note on why the non-saturating loss learns when
    D(G(z)) is near 0.  Format and labels: docs/generative.md.

    \b
    Examples:
      dlcalc gan examples/gan-losses.yaml
      dlcalc gan examples/gan-logits.yaml --carry 4
      dlcalc gan examples/gan-losses.yaml -f json | jq .result
    """
    from dlcalc.specs.generative import load_gan
    from dlcalc.topics.generative import solve_gan

    return solve_gan(load_gan(doc), settings.carry)


@register("vae")
def build_vae(doc: Document, settings: Settings) -> Solution:
    """VAE: σ from ln σ², z = μ + σ·ε, the KL term by term, the reconstruction loss and the backward pass.

    `mu:`, `log_variance:` (or `sigma:`) and `noise:` (ε) per latent dimension; `x:` and
    `reconstruction:` (x̂) with `reconstruction_loss: bce | sse | half_sse | mse` add the
    reconstruction loss; `beta:` weighs the KL term.  With `grad_z:` (∂L_rec/∂z from the
    decoder): ∂L/∂μ and ∂L/∂ln σ² (or ∂L/∂σ) through the reparametrisation.  Format and
    labels: docs/generative.md.

    \b
    Examples:
      dlcalc vae examples/vae-step.yaml
      dlcalc vae examples/vae-step.yaml --exact
      dlcalc vae examples/vae-step.yaml -f json | jq .result.grad_mu
    """
    from dlcalc.specs.generative import load_vae
    from dlcalc.topics.generative import solve_vae

    return solve_vae(load_vae(doc), settings.carry)


@register("attention")
def build_attention(doc: Document, settings: Settings) -> Solution:
    """Scaled dot-product attention: scores QKᵀ/√d_k, the row softmax, A·V, and the backward pass.

    `queries:` (n × d_k), `keys:` (m × d_k) and `values:` (m × d_v) as rows; `mask:` (n × m,
    0 blocks a key); `scale: false` leaves out the 1/√d_k.  With `grad_output:` (∂L/∂O):
    ∂L/∂V, the softmax's backward pass and ∂L/∂Q, ∂L/∂K.  Every entry is written out with
    its numbers.  Format and labels: docs/attention.md.

    \b
    Examples:
      dlcalc attention examples/attention.yaml
      dlcalc attention examples/attention-masked.yaml --carry 4
      dlcalc attention examples/attention.yaml -f json | jq .result.weights
    """
    from dlcalc.specs.attention import load_attention
    from dlcalc.topics.attention import solve_attention

    return solve_attention(load_attention(doc), settings.carry)


@register("autoencoder")
def build_autoencoder(doc: Document, settings: Settings) -> Solution:
    """Autoencoder with one code layer: forward, loss, penalties and every gradient; tied weights.

    `input:` (x), `weights:` (encoder W, one row per code unit), `bias:`; `tied: true` decodes
    with Wᵀ (each W_ji then gets its encoder and decoder gradient terms, summed), else
    `decoder_weights:` and `decoder_bias:`.  Variants: `noise_mask:` (denoising: the encoder
    sees x ⊙ mask, the loss the clean x), `sparsity: {kind: l1 | kl, weight, rho}` and
    `contractive: λ` (‖∂h/∂x‖²_F); `learning_rate:` adds one update of every parameter.
    Format and labels: docs/generative.md.

    \b
    Examples:
      dlcalc autoencoder examples/autoencoder-tied.yaml
      dlcalc autoencoder examples/autoencoder-sparse-denoising.yaml --carry 4
      dlcalc autoencoder examples/autoencoder-tied.yaml -f json | jq .result.grad_weights
    """
    from dlcalc.specs.autoencoder import load_autoencoder
    from dlcalc.topics.autoencoder import solve_autoencoder

    return solve_autoencoder(load_autoencoder(doc), settings.carry)


def _letters(doc: Document, settings: Settings) -> Solution:
    """conv with letters (issue 29): worked symbolically (--carry has no numbers to round)."""
    from dlcalc.specs.letters import load_letters
    from dlcalc.topics.letters import solve_letters

    return solve_letters(load_letters(doc))


# --- training (issue 28): gradient checking, initialisation, early stopping -----------------------


def _read_gradcheck(values: dict[str, Any]) -> Given:
    """``gradcheck PROBLEM --epsilon 1e-5``: the option sets the problem's ``epsilon``."""
    eps = values.get("epsilon")
    return values.get("problem"), None, ({"epsilon": eps} if eps is not None else {})


@register(
    "gradcheck",
    options=("check",),  # float64 throughout: no --carry, and no --exact of float differences
    arguments=(
        PROBLEM,
        Opt(
            "epsilon",
            ("--epsilon",),
            "The nudge ε of the central differences (default 1e-4, or the file's "
            "`epsilon:` in a `command: gradcheck` file).",
            float,
        ),
    ),
    read=_read_gradcheck,
)
def build_gradcheck(doc: Document, settings: Settings) -> Solution:
    """Gradient checking: every weight's backprop gradient beside (E(w + ε) − E(w − ε))/(2ε).

    Reads a network problem (`command: gradcheck`, or a `backprop` file as it is).  For
    every weight and bias, in the order of backprop's final-parameters table: the cost
    with the parameter nudged up and down by ε, the numeric gradient, backprop's gradient
    (with any regularization term) and their relative error |g − g̃|/(|g| + |g̃|), then a
    verdict (below 1e-7 right, above 1e-3 wrong) and a note where a kink (relu at 0) makes
    the check unreliable.  Float64 throughout (no --carry).  Docs: docs/training.md.

    \b
    Examples:
      dlcalc gradcheck examples/mazur.yaml
      dlcalc gradcheck examples/gradcheck-softmax-l2.yaml --epsilon 1e-6
      dlcalc gradcheck examples/mazur.yaml -f json | jq .result.max_relative_error
    """
    from dlcalc import limits
    from dlcalc.specs.network import load_network
    from dlcalc.topics.gradcheck import DEFAULT_EPSILON, solve_gradcheck

    spec = load_network(doc, training=False, gradcheck=True)
    given = "epsilon" in settings.overrides if settings.overrides else False
    if given or (spec.command == "gradcheck" and "epsilon" in spec.model_fields_set):
        epsilon = spec.epsilon
    else:  # a backprop file's epsilon is its optimizer's
        epsilon = DEFAULT_EPSILON
    if not 0 < epsilon <= 0.1:
        raise InputError(
            f"expected ε above 0 and at most 0.1, got {epsilon:g} (1e-4 … 1e-7 is usual)",
            file=doc.name,
            line=doc.line_of(("epsilon",)),
            field="epsilon",
        )
    widths = [len(spec.layers[0].matrix[0])] + [len(layer.matrix) for layer in spec.layers]
    parameters = sum(n_out * (n_in + 1) for n_in, n_out in zip(widths, widths[1:]))
    passes = (2 * parameters + 1) * len(spec.example_list())
    limits.check_work("layers", limits.network_work(widths, passes), hint="use a smaller network")
    limits.check_work(
        "layers", 6 * parameters, limits.MAX_STEPS, "worked steps", "use a smaller network"
    )
    return solve_gradcheck(spec, epsilon)


@register("init")
def build_init(doc: Document, settings: Settings) -> Solution:
    """Weight initialisation: Xavier, He and LeCun variances, standard deviations and limits per layer.

    `scheme:` xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_uniform or
    lecun_normal; `sizes:` the layer widths (fan_in and fan_out of layer i are sizes[i]
    and sizes[i+1]); `gain:` (default 1).  Each layer's Var(W), σ and, for a uniform
    scheme, the limit a = √(3·Var(W)); the six schemes side by side; with
    `input_variance:` the signal's variance through linear layers, fan_in·Var(W)·Var(x);
    with `seed:` a drawn weight matrix and its statistics.  Docs: docs/training.md.

    \b
    Examples:
      dlcalc init examples/init-xavier.yaml
      dlcalc init examples/init-he-seed.yaml --exact
      dlcalc init examples/init-xavier.yaml -f json | jq .result.layers
    """
    from dlcalc.specs.init import load_init
    from dlcalc.topics.init import solve_init

    return solve_init(load_init(doc), settings.carry)


@register("early-stopping", options=("carry", "every_step", "check", "exact"))
def build_early_stopping(doc: Document, settings: Settings) -> Solution:
    """Early stopping: from a validation-loss curve and a patience, the epoch that stops and the weights kept.

    `validation_loss:` one value per epoch; `patience:` epochs without improvement before
    stopping; `min_delta:` how much an epoch must beat the best by (default 0);
    `restore_best:` keep the best epoch's weights (default true) or the last epoch's;
    optional `training_loss:` (shown beside it) and `weights:` (one row per epoch: the
    weights kept are printed).  Each epoch: best_t and wait_t with their numbers.
    Docs: docs/training.md.

    \b
    Examples:
      dlcalc early-stopping examples/early-stopping.yaml
      dlcalc early-stopping examples/early-stopping.yaml -f json | jq .result.kept_epoch
    """
    from dlcalc.specs.early_stopping import load_early_stopping
    from dlcalc.topics.early_stopping import solve_early_stopping

    return solve_early_stopping(load_early_stopping(doc), settings.carry, settings.every_step)
