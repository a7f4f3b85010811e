"""The one work budget: every limit that keeps a hostile or careless input cheap, in one place.

A teacher may run dlcalc over a whole class's files; none of them may make it hang, eat
the machine's memory or write an output nobody can open.  So every command checks its
problem against this budget *before* computing, and refuses with exit status 2 and a
message naming the field and the limit.  Within the budget every command finishes in
under 10 s on a 2-core laptop (tests/test_hostile.py measures the largest cases).

How a command uses it (all raise :class:`~dlcalc.errors.InputError`, i.e. exit 2)::

    from dlcalc import limits
    limits.check_text("title", title)                  # titles, sources: ≤ MAX_TEXT characters
    limits.check_count("examples", len(rows), limits.MAX_ROWS, "examples")
    limits.check_work("epochs", epochs * steps_per_epoch)          # ≤ MAX_WORK steps in total
    limits.check_work("layers", cost, limits.MAX_SYMBOLIC, "symbolic terms", "drop --symbolic")
    limits.check_output(text)                          # the rendered solution: ≤ MAX_OUTPUT_CHARS

``check_work``'s ``amount`` is the number of elementary recorded steps the command will
make: for a network, (units + weights) × examples × epochs summed over the layers, so
depth counts as much as width.  New commands (conv, rnn, optimize,
batchnorm, solve) should estimate their own amount the same way and call ``check_work``
once, before the first step.  The problem-file reader (dlcalc.specs.loader) already
enforces MAX_FILE_BYTES, MAX_DEPTH, MAX_TEXT for every string and MAX_NUMBER_CHARS for
every number, so a command never sees a 5000-digit number or a 200 kB name.
"""

from __future__ import annotations

import re
from typing import Any

from dlcalc.errors import InputError

# Control characters (but newline and tab), DEL, C1 controls and the bidirectional overrides
# that can make text read differently from what it is: never part of a problem's text.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# --- reading files -----------------------------------------------------------------------------
MAX_FILE_BYTES = 300_000  # a problem or answers file; a worked example is a few kB
MAX_ROSTER_BYTES = 5_000_000  # an LMS export (dlcalc grade): thousands of attempts
MAX_DEPTH = 50  # nesting of YAML lists and mappings
MAX_TEXT = 200  # characters of any text in a file: titles, sources, labels
MAX_NAME = 64  # characters of a name: a unit, a column, a class label, a symbol
MAX_ARGUMENTS = 10_100  # words on the command line (softmax takes at most 10,000 scores)
MAX_NUMBER_CHARS = 60  # characters of one written number (0.1234567890123456789e-300 fits)

# --- sets of problems: ask:, dlcalc vary and practice (docs/teaching-sets.md) ------------------
MAX_VARIANTS = 500  # variants of one set (--count, roster lines)
MAX_DRAWS = 1_000  # draws in one template
MAX_CHOICES = 100  # options of one {choice: [...]}
MAX_CONSTRAINTS = 50  # conditions of one template
MAX_DRAW_DECIMALS = 6  # decimals of a {uniform: ...} draw
MAX_DRAW_MAGNITUDE = 1e9  # |lo|, |hi| of a draw's range
MAX_ROSTER_COLUMNS = 50  # columns of a roster
MAX_DRAW_ATTEMPTS = 100  # draws tried for one variant before its template is called unsatisfiable
MAX_SET_DRAWS = 10_000  # draws tried for one set
MAX_SET_STEPS = 30_000  # worked steps written for one set (three formats each; about 0.35 ms)
MAX_SOLVED_STEPS = 100_000  # worked steps solved for one set, every draw tried counted

# --- work (measured on a 2-core machine shared with other jobs; see docs/security.md) -----------
MAX_WORK = 5_000_000  # about µs of CPU: network passes × (LAYER_COST × layers + weights + units)
LAYER_COST = 150  # one layer's overhead per pass, counted in weights (about 0.15 ms of CPU)
PERCEPTRON_WORK = (
    20_000  # perceptron: rows × weights × epochs actually run (exact fractions), metered
)
DELTA_WORK = 24_000  # delta rule: epochs × rows × weights (fixed length, so checked before the run)
MAX_SYMBOLIC = 150  # --symbolic: Σ over weights of paths to the loss × path length, + 10 per layer
MAX_EXACT_STEPS = 500  # --exact: steps whose exact value SymPy works out (about 10 ms each)
MAX_POWER = 10_000  # derive/graph: largest exponent of a power SymPy may see (9^9^9 is refused)
# optimize on a loss expression: distinct operations in ∂f/∂w (all weights) × steps, each
# about 5 µs; and the gradient written out (as a formula, once) at most this many operations
# (σ nested 20 deep: 2,009 written, 140 distinct; 28 deep: 3,821 written, refused)
MAX_GRADIENT_WORK = 1_000_000
MAX_GRADIENT_SIZE = 2_500

# --- output ------------------------------------------------------------------------------------
MAX_STEPS = 15_000  # worked steps written out (Markdown, LaTeX, JSON: about 0.25 ms each)
MAX_TERMINAL_STEPS = 5_000  # in the terminal, HTML and .txt (about 0.2 ms each since the layout needs no Rich tables)
MAX_OUTPUT_CHARS = 8_000_000  # a rendered solution (8 MB of text is already unreadable)
# Grids (images, kernels, feature maps) are drawn cell by cell: a cell costs about 0.2 ms in
# the terminal (Rich tables) and 0.02 ms in a document, so cells are counted on their own.
MAX_TERMINAL_GRID_CELLS = 35_000  # the 28×28, 8-filter example with its backward pass has 32,240
MAX_GRID_CELLS = 300_000  # Markdown, LaTeX, JSON, HTML
# conv: cells of every map worked out (each layer's padded input and its output, channels
# included; twice with grad_output), checked before computing: padding 865 on a 1×1 input
# would be 6,000,000 cells
MAX_CONV_CELLS = 150_000
# conv works in exact fractions: a multiply-add costs more the more decimals the numbers
# are written with (denominators grow layer by layer) and the backward pass costs two more
MAX_CONV_WORK = 3_000_000  # multiply-adds × decimal cost × backward cost, about 1.5 µs each
CONV_DECIMAL_COST = 0.5  # extra cost of a multiply-add per decimal written, per layer deep
CONV_BACKWARD_COST = 2  # forward, then ∂L/∂K and ∂L/∂x (measured: about twice the forward)


def _refuse(field: str, message: str) -> InputError:
    return InputError(message, field=field)


def check_text(field: str, text: str, limit: int = MAX_TEXT) -> str:
    """``text`` if it has at most ``limit`` characters (titles, sources)."""
    bad = CONTROL.search(text)
    if bad:
        raise _refuse(field, f"contains the control character {bad.group()!r}; give plain text")
    if len(text) > limit:
        raise _refuse(
            field, f"a text of {len(text):,} characters; at most {limit} are allowed here"
        )
    return text


def check_count(field: str, count: int, limit: int, what: str = "items") -> None:
    """Refuse more than ``limit`` ``what`` in ``field``."""
    if count > limit:
        raise _refuse(field, f"{count:,} {what}; a worked example may have at most {limit:,}")


def check_work(
    field: str,
    amount: int | float,
    limit: int = MAX_WORK,
    what: str = "steps of work",
    hint: str = "use fewer epochs, examples or layers",
) -> None:
    """Refuse a run of more than ``limit`` ``what``; the message names ``field`` and the limit."""
    if amount > limit:
        raise _refuse(
            field,
            f"this problem needs about {int(amount):,} {what}, over the limit of {limit:,} "
            f"(a worked example should finish in seconds); {hint}",
        )


def check_output(text: str, field: str = "--output") -> str:
    """Refuse a rendered solution longer than :data:`MAX_OUTPUT_CHARS`."""
    if len(text) > MAX_OUTPUT_CHARS:
        raise _refuse(
            field,
            f"the solution would be {len(text):,} characters long, over the limit of "
            f"{MAX_OUTPUT_CHARS:,}; solve a smaller problem or leave out --every-step",
        )
    return text


class Meter:
    """Counts work while a run goes on, for runs whose length is known only at the end
    (a perceptron trains until it converges)::

        meter = limits.Meter("max_epochs", limits.PERCEPTRON_WORK, "row updates")
        for epoch in ...:
            meter.spend(rows * weights)
    """

    def __init__(self, field: str, limit: int, what: str = "steps of work") -> None:
        self.field, self.limit, self.what, self.used = field, limit, what, 0

    def spend(self, amount: int) -> None:
        """Add ``amount``; exit 2 naming the field and the limit once the total passes it."""
        self.used += amount
        if self.used > self.limit:
            raise _refuse(
                self.field,
                f"the run needs more than {self.limit:,} {self.what} before it ends, more than "
                "a worked example should take; use fewer epochs or rows",
            )


def check_steps(count: int, terminal: bool, field: str = "--format") -> None:
    """Refuse to render more worked steps than a format can write in a few seconds."""
    limit = MAX_TERMINAL_STEPS if terminal else MAX_STEPS
    if count > limit:
        where = (
            "the terminal (and HTML, .txt) shows at most"
            if terminal
            else "a document holds at most"
        )
        raise _refuse(
            field,
            f"the solution has {count:,} worked steps; {where} {limit:,}"
            + ("; use --format markdown or json" if terminal and count <= MAX_STEPS else "")
            + ", or solve a smaller problem",
        )


# --- estimates for network problems ---------------------------------------------------------------


def network_work(widths: list[int], passes: int) -> int:
    """The work of ``passes`` forward-and-backward passes through layers of ``widths``.

    ``widths`` is [inputs, units of layer 1, units of layer 2, …].  Depth counts: each layer
    costs :data:`LAYER_COST` besides its weights, so 1,000 one-unit layers are not cheap.
    """
    per_pass = sum(
        LAYER_COST + n_out * (n_in + 1) + n_out for n_in, n_out in zip(widths, widths[1:])
    )
    return passes * per_pass


def network_written_steps(widths: list[int], updates_written: int) -> int:
    """About how many steps writing out ``updates_written`` updates in full records."""
    weights = sum(n_out * (n_in + 1) for n_in, n_out in zip(widths, widths[1:]))
    units = sum(widths[1:])
    return max(1, updates_written) * (2 * weights + 4 * units)


def symbolic_cost(widths: list[int]) -> int:
    """The cost of ``--symbolic``: Σ over weights of (paths to the loss × path length) + 10 per layer.

    Measured: SymPy's time grows with the number of chain-rule paths written out, and with depth.
    """
    layers = len(widths) - 1
    paths = [1] * (widths[-1] if widths else 0)  # paths from each unit of a layer to the loss
    cost = 10 * layers
    for layer in range(layers, 0, -1):
        n_in, n_out = widths[layer - 1], widths[layer]
        length = layers - layer + 1
        cost += sum(p * length * (n_in + 1) for p in paths[:n_out])
        below = sum(paths[:n_out])
        paths = [below] * n_in
    return cost


def check_network(spec: Any, training: bool, every_step: bool, symbolic: bool) -> None:
    """The whole budget of a ``forward``/``backprop`` problem, checked before computing.

    ``spec`` is a validated network problem (``layers`` with ``weights``, ``example_list()``,
    ``epochs``, ``mode``); read by duck typing so that this module imports nothing.
    """
    layers = spec.layers
    widths = [len(layers[0].weights[0])] + [len(layer.weights) for layer in layers]
    examples = len(spec.example_list())
    epochs = getattr(spec, "epochs", 1) if training else 1
    passes = epochs * examples
    work = network_work(widths, passes)
    if training and work > MAX_WORK:
        most = MAX_WORK // max(1, network_work(widths, examples))
        check_work(
            "epochs", work, hint=f"at most {most:,} epochs for this network and its examples"
        )
    check_work("layers", work, hint="use fewer examples, layers or units")
    if training:
        updates = epochs * (examples if getattr(spec, "mode", "online") == "online" else 1)
        written = updates if updates <= 3 or (every_step and updates <= 200) else 2
    else:
        written = examples
    check_work(
        "--every-step" if every_step else "layers",
        network_written_steps(widths, written),
        MAX_STEPS,
        "worked steps",
        "leave out --every-step, or use fewer epochs, examples or units"
        if every_step
        else "use fewer examples or units",
    )
    if symbolic:
        check_work(
            "--symbolic",
            symbolic_cost(widths),
            MAX_SYMBOLIC,
            "units of symbolic work (paths through the network × their length)",
            "--symbolic is for small networks (at most 2-2-2-2 or a 5-layer chain); leave it out for this one",
        )


def check_grid_cells(count: int, terminal: bool, field: str = "--format") -> None:
    """Refuse to draw more grid cells than a format draws in a few seconds."""
    limit = MAX_TERMINAL_GRID_CELLS if terminal else MAX_GRID_CELLS
    if count > limit:
        where = "the terminal draws at most" if terminal else "a document holds at most"
        raise _refuse(
            field,
            f"the solution has {count:,} grid cells; {where} {limit:,}"
            + ("; use --format markdown or json" if terminal and count <= MAX_GRID_CELLS else "")
            + ", or solve a smaller problem",
        )


def grid_cells(solution: object) -> int:
    """The number of grid cells (images, kernels, maps) a renderer would draw (duck-typed)."""
    cells = 0
    for section in getattr(solution, "sections", []):
        for item in getattr(section, "items", []):
            grid = getattr(item, "cells", None)
            if isinstance(grid, list):
                cells += sum(len(row) for row in grid if isinstance(row, list))
    return cells


def solution_size(solution: object) -> int:
    """The number of worked steps, notes and table rows a renderer would write (duck-typed)."""
    size = 0
    for section in getattr(solution, "sections", []):
        for item in getattr(section, "items", []):
            rows = getattr(item, "rows", None)
            if isinstance(rows, list):
                size += min(len(rows), 50) if getattr(item, "elide", False) else len(rows)
            else:
                size += 1
    return size
