"""Weight initialisation: the variance, standard deviation and limit of a scheme, layer by layer.

fan_in and fan_out of layer i are the widths before and after it.  The variance of the
weights is 2·gain²/(fan_in + fan_out) (Xavier/Glorot), 2·gain²/fan_in (He/Kaiming) or
gain²/fan_in (LeCun); a uniform scheme draws from [−a, a] with a = √(3·variance) (the
variance of U(−a, a) is a²/3), a normal one from N(0, variance).  Through linear layers
with zero-mean weights and inputs, Var(y) = fan_in·Var(W)·Var(x): Xavier and LeCun keep
fan_in·Var(W) near 1, so the signal's variance neither explodes nor vanishes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlcalc.maths.numerics import rounder
from dlcalc.model.formula import TWO, Name, Node, Num, Q, call, q
from dlcalc.model.steps import Grid, Section, Solution, Step, Table
from dlcalc.specs.init import SCHEMES, InitProblem

FAMILY_TEXT = {
    "xavier": "Xavier (Glorot): Var(W) = 2·gain²/(fan_in + fan_out)",
    "he": "He (Kaiming): Var(W) = 2·gain²/fan_in",
    "lecun": "LeCun: Var(W) = gain²/fan_in",
}
GRID_LIMIT = 8  # a drawn matrix up to 8 × 8 is shown cell by cell


def variance_expr(scheme: str, gain: Node, fan_in: Node, fan_out: Node) -> Node:
    family = scheme.split("_")[0]
    if family == "xavier":
        return TWO * gain ** Num(2) / (fan_in + fan_out)
    if family == "he":
        return TWO * gain ** Num(2) / fan_in
    return gain ** Num(2) / fan_in


def scheme_numbers(scheme: str, gain: float, fan_in: int, fan_out: int) -> dict[str, float]:
    """variance, std and (uniform) limit of a scheme, in floating point (for the comparison table)."""
    g, fi, fo = Q("gain", gain), Q("fan_in", fan_in), Q("fan_out", fan_out)
    variance = float(variance_expr(scheme, g, fi, fo).evaluate())
    out = {"variance": variance, "std": variance**0.5}
    if scheme.endswith("uniform"):
        out["limit"] = (3 * variance) ** 0.5
    return out


def solve_init(spec: InitProblem, carry: int | None = None) -> Solution:
    """Each layer's fan_in, fan_out, variance, std and limit; the signal variance; drawn weights."""
    rnd: Callable[[Any], Any] = rounder(carry)
    scheme, uniform = spec.scheme, spec.scheme.endswith("uniform")
    family = scheme.split("_")[0]
    gain = q("gain", spec.gain, Name("gain"))
    intro = Section(f"{scheme.replace('_', ' ')} initialisation")
    intro.add(
        FAMILY_TEXT[family]
        + ("; drawn from U(−a, a), a = √(3·Var(W))" if uniform else "; drawn from N(0, Var(W))")
    )
    if spec.gain != 1:
        intro.add(
            "gain multiplies the standard deviation (e.g. √2 for relu, 5/3 for tanh, as torch.nn.init.calculate_gain)."
        )
    sections = [intro]
    layers: list[dict[str, Any]] = []
    previous: Q | None = None
    if spec.input_variance is not None:
        previous = q("input_variance", spec.input_variance, Name("Var", "x", label_sub=True))
    for i, (n_in, n_out) in enumerate(zip(spec.sizes, spec.sizes[1:])):
        k = str(i + 1)
        section = Section(f"Layer {k}: {n_in} → {n_out}")
        fan_in = q(f"fan_in_{k}", n_in, Name("fanin", k))
        fan_out = q(f"fan_out_{k}", n_out, Name("fanout", k))
        section.add(Step(fan_in.label, n_in, name=fan_in.symbol, note="the width before the layer"))
        section.add(Step(fan_out.label, n_out, name=fan_out.symbol, note="the width after it"))
        expr = variance_expr(scheme, gain, fan_in, fan_out)
        var = q(f"variance_{k}", float(rnd(expr.evaluate())), Name("σ", k, "2"))
        section.add(
            Step(
                var.label,
                var.value,
                name=var.symbol,
                expr=expr,
                note="Var(W), the weights' variance",
            )
        )
        std_expr = call("sqrt", var)
        std = q(f"std_{k}", float(rnd(std_expr.evaluate())), Name("σ", k))
        section.add(Step(std.label, std.value, name=std.symbol, expr=std_expr))
        entry: dict[str, Any] = {
            "fan_in": n_in,
            "fan_out": n_out,
            "variance": var.value,
            "std": std.value,
        }
        if uniform:
            limit_expr = call("sqrt", Num(3) * var)
            limit = float(rnd(limit_expr.evaluate()))
            section.add(
                Step(f"limit_{k}", limit, name=Name("a", k), expr=limit_expr,
                     note="weights drawn from U(−a, a): a²/3 = Var(W)")
            )  # fmt: skip
            entry["limit"] = limit
        if previous is not None:
            out_expr = fan_in * var * previous
            out = q(
                f"output_variance_{k}",
                float(rnd(out_expr.evaluate())),
                Name("Var", f"y{k}", label_sub=True),
            )
            section.add(
                Step(out.label, out.value, name=out.symbol, expr=out_expr,
                     note=f"Var(y) = fan_in·Var(W)·Var(x) through a linear layer (×{n_in * float(var.value):.4g})")
            )  # fmt: skip
            entry["output_variance"] = out.value
            previous = out
        layers.append(entry)
        sections.append(section)
        if spec.seed is not None:
            drawn = Section(f"Layer {k}: weights drawn with seed {spec.seed}")
            _draw(drawn, entry, spec, i, float(std.value), entry.get("limit"))
            sections.append(drawn)
    sections.append(_comparison(spec))
    if spec.input_variance is not None:
        factors = [layer["fan_in"] * layer["variance"] for layer in layers]
        note = Section("The signal through the layers")
        note.add(
            "Each linear layer multiplies the variance by fan in × Var(W): "
            + ", ".join(f"{f:.4g}" for f in factors)
            + ".  Xavier makes this factor 1 when fan in = fan out; LeCun makes it 1 and He 2 "
            "(which relu halves again).  Far from 1, the signal explodes or vanishes with depth."
        )
        sections.append(note)
    result: dict[str, Any] = {"scheme": scheme, "gain": spec.gain, "layers": layers}
    if spec.seed is not None:
        result["seed"] = spec.seed
    return Solution("init", sections, result, title=spec.title, source=spec.source)


def _comparison(spec: InitProblem) -> Section:
    """The six schemes side by side for these widths."""
    section = Section("The six schemes for these widths")
    rows = []
    for scheme in SCHEMES:
        for i, (n_in, n_out) in enumerate(zip(spec.sizes, spec.sizes[1:])):
            numbers = scheme_numbers(scheme, spec.gain, n_in, n_out)
            rows.append(
                [scheme, i + 1, numbers["variance"], numbers["std"], numbers.get("limit", "—")]
            )
    section.add(Table(["scheme", "layer", "Var(W)", "std", "limit a"], rows))
    return section


def _draw(
    section: Section,
    entry: dict[str, Any],
    spec: InitProblem,
    i: int,
    std: float,
    limit: float | None,
) -> None:
    """Draw layer i's weights (rows: units after, columns: units before) and compare their statistics."""
    import numpy as np

    assert spec.seed is not None
    rng = np.random.default_rng([spec.seed, i])
    shape = (spec.sizes[i + 1], spec.sizes[i])
    w = rng.uniform(-limit, limit, shape) if limit is not None else rng.normal(0.0, std, shape)
    if shape[0] <= GRID_LIMIT and shape[1] <= GRID_LIMIT:
        section.add(
            Grid(
                f"W{i + 1}, drawn with seed {spec.seed} (row j: the weights into unit j)",
                w.tolist(),
            )
        )
        entry["weights"] = w.tolist()
    mean, variance = float(np.mean(w)), float(np.var(w))
    section.add(
        Table(
            ["statistic", "drawn", "expected"],
            [
                ["mean", mean, 0.0],
                ["variance", variance, std**2],
                ["largest |w|", float(np.max(np.abs(w))), limit if limit is not None else "—"],
            ],
            title=f"{w.size:,} weights drawn (numpy default_rng([seed, layer]))",
        )
    )
    entry["sample_mean"] = mean
    entry["sample_variance"] = variance
