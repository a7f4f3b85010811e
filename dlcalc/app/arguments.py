"""Problems given as numbers on the command line (``dlcalc softmax 7 -2 4 1``).

The numbers are put into the same mapping a problem file would hold, so that one spec
model validates both.  Values stay text here; the spec reads them as numbers.  Typer-free:
the command line passes the option values in (by name) and gets a :data:`Given` back.
"""

from __future__ import annotations

from typing import Any

from dlcalc.errors import InputError

ARGUMENTS = "command line"  # where a problem given as numbers on the command line comes from

Numbers = list[str] | list[list[str]]
# What the options of a command amount to: a problem file (or -), or the problem's data
# built from the numbers, and the problem keys that options override.
Given = tuple[str | None, dict[str, Any] | None, dict[str, Any]]


def is_number(text: str) -> bool:
    """Does ``text`` read as a number (so that ``softmax 3`` is a score, not a file)?"""
    try:
        float(text)
    except ValueError:
        return False
    return True


def numbers(text: str) -> Numbers:
    """``0.2,0.3`` -> a list; ``0,1;1,0`` -> rows (for several examples)."""
    if ";" in text:
        return [[x.strip() for x in row.split(",")] for row in text.split(";")]
    return [x.strip() for x in text.split(",")]


def _base(values: dict[str, Any], data: dict[str, Any] | None) -> Given:
    """Add ``--base`` to the numbers, and to a problem file's keys (it overrides them)."""
    base = values.get("base")
    if base is None:
        return values.get("problem"), data, {}
    if data is not None:
        data["base"] = base
    return values.get("problem"), data, {"base": base}


def softmax(values: dict[str, Any]) -> Given:
    """``softmax 7 -2 4 1``: one non-number is a problem file (or -); else the scores."""
    scores = values.get("values") or []
    overrides: dict[str, Any] = {}
    if values.get("temperature") is not None:
        overrides["temperature"] = values["temperature"]
    if values.get("show_naive"):
        overrides["show_naive"] = True
    if len(scores) == 1 and not is_number(scores[0]):
        return scores[0], None, overrides
    return None, ({"logits": list(scores)} if scores else None), overrides


def crossentropy(values: dict[str, Any]) -> Given:
    """``--target`` with ``--probabilities``, ``--logits``, ``--probability`` or ``--logit``."""
    names = ("target", "probabilities", "logits", "probability", "logit")
    data = {k: numbers(values[k]) for k in names if values.get(k) is not None}
    return _base(values, data or None)


def kld(values: dict[str, Any]) -> Given:
    """Discrete ``--p/--q``, or Gaussians ``--mu/--sigma|--logvar [--q-mu/--q-sigma]``."""
    data: dict[str, Any] | None = None
    given = {k: v for k, v in values.items() if v is not None}
    if "p" in given or "q" in given:
        data = {k: numbers(given[k]) for k in ("p", "q") if k in given}
    if {"mu", "sigma", "logvar"} & set(given):
        gaussian: dict[str, Any] = {
            k: numbers(given[k]) for k in ("mu", "sigma", "logvar") if k in given
        }
        if "q_mu" in given or "q_sigma" in given:
            q = {"mu": given.get("q_mu", "0"), "sigma": given.get("q_sigma", "1")}
            gaussian["q"] = {k: numbers(v) for k, v in q.items()}
        data = {**(data or {}), "gaussian": gaussian}
    return _base(values, data)


def conv_shape(values: dict[str, Any]) -> Given:
    """``--input H,W,C`` and ``--layer KIND:…`` (repeated)."""
    input_size, layers = values.get("input_size"), values.get("layers")
    if input_size is None and not layers:
        return values.get("problem"), None, {}
    from dlcalc.specs.conv import layer_from_text

    if input_size is None:
        raise InputError("give the input size, e.g. --input 227,227,3", field="--input")
    data = {
        "input": numbers(input_size.replace("x", ",")),
        "layers": [layer_from_text(t, n + 1) for n, t in enumerate(layers or [])],
    }
    return values.get("problem"), data, {}


def conv(values: dict[str, Any]) -> Given:
    """``conv --input ROWS --kernel ROWS [--bias --stride --padding --dilation --flip]``: one conv layer."""
    names = ("bias", "stride", "padding", "dilation")
    if values.get("input") is None and values.get("kernel") is None:
        if any(values.get(k) is not None for k in names) or values.get("flip"):
            raise InputError(
                "go with --input and --kernel; a problem file says them in its conv layer",
                field="--bias, --stride, --padding, --dilation, --flip",
            )
        return values.get("problem"), None, {}
    from dlcalc.specs.convolution import settings_from_options

    data = settings_from_options(
        values.get("input"),
        values.get("kernel"),
        bias=values.get("bias"),
        stride=values.get("stride"),
        padding=values.get("padding"),
        dilation=values.get("dilation"),
        flip=bool(values.get("flip")),
    )
    return values.get("problem"), data, {}


def expressions_last(args: list[str], known: set[str], takes_value: set[str]) -> list[str]:
    """Move words that start with '-' but are no option (``-x^2``) behind ``--``: expressions.

    ``known`` are the command's option names, ``takes_value`` those followed by a value.
    """
    rest: list[str] = []
    expressions: list[str] = []
    skip = False
    for k, arg in enumerate(args):
        if arg == "--" and not skip:
            rest += args[k:]
            break
        if skip or arg == "-" or not arg.startswith("-") or arg.split("=", 1)[0] in known:
            rest.append(arg)
            skip = not skip and arg in takes_value
            continue
        expressions.append(arg)
    if expressions:
        rest += ["--", *expressions]
    return rest


def rnn(values: dict[str, Any]) -> Given:
    """``rnn PROBLEM --gradient-flow``: the flag sets the problem's ``gradient_flow`` key."""
    return (
        values.get("problem"),
        None,
        ({"gradient_flow": True} if values.get("gradient_flow") else {}),
    )


def dash_files(args: list[str], known: set[str], takes_value: set[str]) -> list[str]:
    """Words that start with '-', are no option and name an existing file, as ``./-2+3.yaml``.

    A class's sheets are named by the students: ``-2+3.yaml`` is a sheet, not an option,
    and keeps its place among the others.
    """
    import os

    out: list[str] = []
    skip = False
    for k, arg in enumerate(args):
        if arg == "--" and not skip:
            return out + args[k:]
        option = arg.split("=", 1)[0] in known
        if not skip and arg != "-" and arg.startswith("-") and not option and os.path.exists(arg):
            arg = "./" + arg
        out.append(arg)
        skip = not skip and arg in takes_value
    return out
