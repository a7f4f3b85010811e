"""The one work budget: every limit that keeps a hostile or careless input cheap, in one place.

A teacher may run dlcalc over a whole class's files; none of them may make it hang, eat
the machine's memory or write an output nobody can open.  So every command checks its
problem against this budget *before* computing, and refuses with exit status 2 and a
message naming the field and the limit.  Within the budget every command finishes in
under 10 s on a 2-core laptop (tests/test_hostile.py measures the largest cases).

How a command uses it (all raise :class:`~dlcalc.errors.InputError`, i.e. exit 2)::

    from dlcalc import limits
    limits.check_name("layers[0].units[1]", name)      # names, labels: ≤ MAX_NAME characters
    limits.check_text("title", title)                  # titles, sources: ≤ MAX_TEXT characters
    limits.check_count("examples", len(rows), limits.MAX_ROWS, "examples")
    limits.check_work("epochs", epochs * steps_per_epoch)          # ≤ MAX_WORK steps in total
    limits.check_work("layers", cost, limits.MAX_SYMBOLIC, "symbolic terms", "drop --symbolic")
    limits.check_output(text)                          # the rendered solution: ≤ MAX_OUTPUT_CHARS

``check_work``'s ``amount`` is the number of elementary recorded steps the command will
make: for a network, (units + weights) × examples × epochs summed over the layers, so
depth counts as much as width; for an exact (fraction) run, multiply by
:data:`EXACT_COST` because fractions grow.  New commands (conv, rnn, optimize,
batchnorm, solve) should estimate their own amount the same way and call ``check_work``
once, before the first step.  The problem-file reader (dlcalc.specs.loader) already
enforces MAX_FILE_BYTES, MAX_DEPTH, MAX_TEXT for every string and MAX_NUMBER_CHARS for
every number, so a command never sees a 5000-digit number or a 200 kB name.
"""

from __future__ import annotations

from dlcalc.errors import InputError

# --- reading files -----------------------------------------------------------------------------
MAX_FILE_BYTES = 300_000  # a problem or answers file; a worked example is a few kB
MAX_DEPTH = 50  # nesting of YAML lists and mappings
MAX_TEXT = 200  # characters of any text in a file: titles, sources, labels
MAX_NAME = 64  # characters of a name: a unit, a column, a class label, a symbol
MAX_NUMBER_CHARS = 60  # characters of one written number (0.1234567890123456789e-300 fits)

# --- work --------------------------------------------------------------------------------------
MAX_WORK = 2_000_000  # elementary steps of one run (network: (units + weights) × examples × epochs)
EXACT_COST = 20  # an exact-fraction step costs this many float steps (fractions grow)
MAX_SYMBOLIC = 4_000  # --symbolic: chain-rule factors written (Σ over units of paths × depth)
MAX_EXACT_STEPS = 3_000  # --exact: steps whose exact value SymPy works out
MAX_EXPRESSION = 200  # derive/graph: characters of an expression
MAX_POWER = 10_000  # derive/graph: largest whole power or power tower value SymPy may expand

# --- output ------------------------------------------------------------------------------------
MAX_OUTPUT_CHARS = 8_000_000  # a rendered solution (8 MB of text is already unreadable)


def _refuse(field: str, message: str) -> InputError:
    return InputError(message, field=field)


def check_name(field: str, text: str, limit: int = MAX_NAME) -> str:
    """``text`` if it is a short one-line name; else exit 2 naming ``field`` and the limit."""
    if len(text) > limit:
        raise _refuse(
            field, f"a name of {len(text):,} characters; names may have at most {limit}"
        )
    if any(ch in text for ch in "\n\r\t\v\f"):
        raise _refuse(field, "a name must be on one line (no newline or tab in it)")
    return text


def check_text(field: str, text: str, limit: int = MAX_TEXT) -> str:
    """``text`` if it has at most ``limit`` characters (titles, sources)."""
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
