"""The one settings object of a run, and the command-line options, declared as plain data.

:class:`Opt` describes an option (or argument) without Typer: dlcalc/app/cli.py turns each into
a Typer parameter.  :data:`SHARED` are the options every problem command may take; their
values arrive together as one :class:`Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlcalc.render import Format


class Opt:
    """A command-line option (``flags`` given) or argument (no ``flags``), as plain data.

    ``kind`` is the value's type: str, int, float, bool (a flag), Path, Format, or list
    (a repeatable option, or an argument taking several values).
    """

    __slots__ = ("name", "flags", "help", "kind", "metavar", "default", "required", "min", "max")

    def __init__(
        self,
        name: str,
        flags: tuple[str, ...],
        help: str,
        kind: Any = str,
        metavar: str | None = None,
        default: Any = None,
        required: bool = False,
        min: float | None = None,
        max: float | None = None,
    ) -> None:
        self.name = name  # the Python name the value arrives under
        self.flags = flags
        self.help = help
        self.kind = kind
        self.metavar = metavar
        self.default = default
        self.required = required
        self.min = min
        self.max = max


SHARED: dict[str, Opt] = {
    opt.name: opt
    for opt in (
        Opt(
            "fmt",
            ("--format", "-f"),
            "Output format: rich (default), markdown, latex, json or html.",
            Format,
        ),
        Opt(
            "decimals",
            ("--decimals", "-d"),
            "Digits shown.  Default: 4 decimal places with trailing zeros dropped where the number "
            "ends there (0.5, but 0.2800 when rounded), and 4 significant figures below 0.1 "
            "(0.0004386).  Given: exactly N decimal places, zeros kept (1.2560); givens in the "
            "working as written.  JSON numbers keep full precision.",
            int,
            min=0,
            max=15,
        ),
        Opt(
            "sig",
            ("--sig",),
            "Show N significant figures instead (zeros kept: 0.04386 → 0.0439, 1.2560).",
            int,
            min=1,
            max=15,
        ),
        Opt(
            "carry",
            ("--carry",),
            "Hand-calculation mode: round every intermediate quantity to N decimals (ties away from "
            "zero, as a calculator's display reads) before later steps use it; the output says so.",
            int,
            min=0,
            max=15,
        ),
        Opt(
            "output",
            ("--output", "-o"),
            "Write the solution to FILE instead of the terminal; the format follows the extension (.md .tex .json .txt .html) unless --format is given.",
            Path,
        ),
        Opt(
            "every_step",
            ("--every-step",),
            "Write out every update of a long run, not just the first.",
            bool,
        ),
        Opt(
            "plot",
            ("--plot",),
            'Also draw a figure to FILE (.png or .svg); needs matplotlib: pip install ".[plot]" from the dlcalc checkout.',
            Path,
        ),
        Opt(
            "diagram",
            ("--diagram",),
            "Also draw the network (units in layers, weights on the edges, net/out/δ and the new "
            "weights) or the computational graph (value and adjoint of each node) to FILE: .dot "
            "(Graphviz text) or .svg (needs Graphviz's dot).",
            Path,
        ),
        Opt(
            "check",
            ("--check",),
            "Check a student's answers (YAML: quantity name or result path → value); marks each ✓ ✗ ↪ and exits 1 when any is wrong.",
            Path,
            metavar="ANSWERS",
        ),
        Opt(
            "symbolic",
            ("--symbolic",),
            "First derive every gradient in symbols (SymPy), then substitute the numbers.",
            bool,
        ),
        Opt(
            "exact",
            ("--exact",),
            "Also show exact values: rationals of the decimals as written (0.1 + 0.2 = 3/10) and short closed forms (SymPy).",
            bool,
        ),
    )
}
ALWAYS = ("fmt", "decimals", "sig", "output")  # every command writes a solution somewhere


class Settings:
    """What a command needs besides the problem; ``check`` and ``key`` pass the defaults.

    One field per shared option (:data:`SHARED`).  Builders read ``carry``, ``every_step``,
    ``plot`` and ``symbolic``; :func:`dlcalc.app.solving.solve_problem` reads ``diagram``; the
    write-out (:mod:`dlcalc.app.output`) reads ``fmt``, ``decimals``, ``output``, ``every_step``,
    ``check``, ``tol`` and ``exact``.
    """

    __slots__ = (
        "fmt",
        "decimals",
        "carry",
        "output",
        "every_step",
        "check",
        "tol",
        "exact",
        "plot",
        "diagram",
        "symbolic",
        "overrides",
        "sig",
        "marks",
    )

    def __init__(
        self,
        fmt: Format | None = None,
        decimals: int = 4,
        carry: int | None = None,
        output: Path | None = None,
        every_step: bool = False,
        check: Path | None = None,
        tol: float | None = None,
        exact: bool = False,
        plot: Path | None = None,
        diagram: Path | None = None,
        symbolic: bool = False,
        overrides: dict[str, Any] | None = None,
        sig: int | None = None,
        marks: Any = None,
    ) -> None:
        self.marks = (
            marks  # check: the problem's marks: policy (dlcalc.grading.marking.Policy) or None
        )
        self.fmt = fmt  # None: from the extension of ``output``, else the terminal's
        self.decimals = decimals
        self.carry = carry  # round every intermediate quantity to this many decimals
        self.output = output  # write the solution to this file instead of the terminal
        self.every_step = every_step  # write out every update of a long run
        self.check = check  # an answers file to check against the solution
        self.tol = tol  # overrides each claim's tolerance (``dlcalc check --tol``)
        self.exact = exact  # add exact values (--exact)
        self.plot = plot  # also draw a figure to this file
        self.diagram = diagram  # also draw the network or graph to this file (.dot, .svg)
        self.symbolic = symbolic  # derive every gradient in symbols first
        # Options that replace problem keys
        self.overrides: dict[str, Any] = overrides if overrides is not None else {}
        self.sig = sig  # --sig N: significant figures (folded into ``decimals``)

        from dlcalc.render.numbers import DEFAULT_DECIMALS, Significant

        if self.sig is not None:
            self.decimals = Significant(self.sig)
        elif self.decimals is None:
            self.decimals = DEFAULT_DECIMALS

    @staticmethod
    def clash(values: dict[str, Any]) -> str | None:
        """Why these command-line options cannot be used together (None: they can)."""
        if values.get("symbolic") and values.get("check") is not None:
            return "--symbolic: cannot be combined with --check (the symbolic steps repeat the quantities' names); check without it"
        if values.get("decimals") is not None and values.get("sig") is not None:
            return "give either --decimals (places) or --sig (significant figures), not both"
        return None

    @classmethod
    def from_options(cls, values: dict[str, Any]) -> Settings:
        """The settings of the command line: a ``--decimals N`` given means exactly N places.

        (``decimals`` is None there unless given; renderers tell the rules apart by the type
        of ``decimals``, see :mod:`dlcalc.render.numbers`.)
        """
        from dlcalc.render.numbers import Places

        if values.get("decimals") is not None:
            values = {**values, "decimals": Places(values["decimals"])}
        return cls(**values)
