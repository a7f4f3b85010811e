"""Error carried forward on random answer sheets: one slip gives exactly one ✗.

A random network is solved; a student works the same problem, makes one slip at a random
step and computes everything after it from their own values.  The student's world is built
here independently of ``check``'s order: every step is recomputed again and again, in print
order, until nothing changes (a fixed point, so no dependency order is assumed), with every
worked value rounded under ``--carry``.  A random subset of the steps is claimed (the slip
always).  Expected: ✗ at the slip, ↪ on every claim that depends on it and differs from the
correct value, ✓ everywhere else.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.app.commands import solve as solve_command
from dlcalc.app.settings import Settings
from dlcalc.grading.checking import CARRIED, RIGHT, WRONG, Claim, judge
from dlcalc.maths.scalars import carry_round
from dlcalc.specs.loader import Document


def _weight(k: int) -> float:
    return round(k / 997 + 0.000123, 6)  # no exact rounding ties under --carry


@st.composite
def problems(draw: st.DrawFn) -> dict:
    n_in = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    softmax = draw(st.booleans())
    n_out = draw(st.integers(2, 3)) if softmax else draw(st.integers(1, 2))
    sizes = [n_in, *hidden, n_out]
    ints = st.integers(-900, 900)
    layers = []
    for i in range(1, len(sizes)):
        last = i == len(sizes) - 1
        layers.append(
            {
                "activation": ("softmax" if softmax else "sigmoid")
                if last
                else draw(st.sampled_from(["sigmoid", "tanh"])),
                "weights": [
                    [_weight(draw(ints)) for _ in range(sizes[i - 1])] for _ in range(sizes[i])
                ],
                "bias": [_weight(draw(ints)) for _ in range(sizes[i])],
            }
        )
    if softmax:
        hot = draw(st.integers(0, n_out - 1))
        target = [1.0 if k == hot else 0.0 for k in range(n_out)]
    else:
        target = [round(draw(st.floats(0.05, 0.95)), 2) for _ in range(n_out)]
    return {
        "command": "backprop",
        "input": [_weight(draw(ints)) for _ in range(n_in)],
        "target": target,
        "learning_rate": 0.5,
        "loss": "cross_entropy" if softmax else "half_sse",
        "layers": layers,
    }


def _round(carry: int | None):
    """The contract's --carry rounding (12 significant digits, then ties away from zero)."""
    if carry is None:
        return lambda x: x
    return lambda x: float(carry_round(x, carry))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=problems(),
    carry=st.sampled_from([None, 3, 4]),
    pick=st.integers(0, 10_000),
    subset=st.lists(st.booleans(), min_size=200, max_size=200),
)
def test_one_slip_gives_one_wrong_and_carries_forward(
    problem: dict, carry: int | None, pick: int, subset: list[bool]
) -> None:
    solution = solve_command("backprop", Document(problem, "<random>"), Settings(carry=carry))
    steps = [s for s in solution.iter_steps() if s.args and isinstance(s.value, float)]
    labels = {s.label for s in steps}
    slip = steps[pick % len(steps)]
    rnd = _round(carry)

    # The student's world: a fixed point of recomputing in print order (no order assumed).
    value = slip.value + (0.3 if slip.value < 0.5 else -0.3)
    world: dict[str, float] = {slip.label: rnd(value)}
    for _ in range(len(steps) + 1):
        changed = False
        for step in steps:
            if step.label == slip.label:
                continue
            new = rnd(float(step.recompute(world)))
            if world.get(step.label) != new:
                world[step.label], changed = new, True
        if not changed:
            break
    assert not changed
    assert all(math.isfinite(v) for v in world.values())

    # Which steps depend on the slip (transitively, by their inputs).
    depends: set[str] = {slip.label}
    for _ in range(len(steps)):
        grew = False
        for step in steps:
            if step.label not in depends and any(i in depends for i in step.inputs):
                depends.add(step.label)
                grew = True
        if not grew:
            break

    claimed = [s for k, s in enumerate(steps) if s is slip or subset[k % len(subset)]]
    tol = 1e-9 if carry is None else 0.5 * 10.0**-carry
    claims = []
    for s in claimed:
        v = world[s.label]
        text = repr(v) if carry is None else f"{v:.{carry}f}"
        claims.append(Claim(s.label, v, text, tol))
    report = judge(solution, claims, carry)
    got = {v.claim.name: v.status for v in report.verdicts}

    expected = {}
    for s in claimed:
        if s is slip:
            expected[s.label] = WRONG
        elif abs(world[s.label] - s.value) <= tol * (1 + 1e-9) + 1e-12:
            expected[s.label] = RIGHT
        else:
            assert s.label in depends, f"{s.label} changed without depending on {slip.label}"
            expected[s.label] = CARRIED
    assert got == expected
    assert [v.claim.name for v in report.mismatches] == [slip.label]
    assert labels >= set(got)


def test_softmax_slip_in_net_o2_blames_only_net_o2() -> None:
    """The reported bug: out_o1 is printed before net_o2 but depends on it."""
    problem = {
        "command": "backprop",
        "input": [0.5, 0.1],
        "target": [1, 0, 0],
        "learning_rate": 0.5,
        "loss": "cross_entropy",
        "layers": [
            {"activation": "sigmoid", "weights": [[0.1, 0.2], [0.3, -0.4]], "bias": 0.1},
            {
                "activation": "softmax",
                "weights": [[0.5, -0.6], [0.7, 0.8], [-0.9, 0.1]],
                "bias": [0.0, 0.1, 0.2],
            },
        ],
    }
    solution = solve_command("backprop", Document(problem, "<t>"), Settings(carry=4))
    world: dict[str, float] = {"net_o2": round(solution.step("net_o2").value + 0.3, 4)}  # type: ignore[union-attr]
    for label in ("out_o1", "out_o2", "out_o3"):
        world[label] = round(solution.step(label).recompute(world), 4)  # type: ignore[union-attr]
    claims = [Claim(k, v, f"{v:.4f}", 0.00005) for k, v in world.items()]
    report = judge(solution, claims, carry=4)
    got = {v.claim.name: v.status for v in report.verdicts}
    assert got == {"net_o2": WRONG, "out_o1": CARRIED, "out_o2": CARRIED, "out_o3": CARRIED}


# --- the fast reading of flat sheets agrees with YAML ---------------------------------------

KEYS = st.from_regex(r"[a-zA-Z∂δθ][a-zA-Z0-9_@.⁺+/\[\]∂]{0,12}", fullmatch=True)
VALUES = st.from_regex(r"[-+]?(\d{1,3}(\.\d{0,6})?|\.\d{1,4})([eE][-+]?\d{1,2})?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(KEYS, VALUES, min_size=1, max_size=6),
    st.booleans(),
)
def test_flat_sheet_read_as_yaml_reads_it(pairs: dict[str, str], comment: bool) -> None:
    import yaml

    from dlcalc.grading.checking import _simple_pairs

    text = "\n".join(f"{k}: {v}" + ("  # note" if comment else "") for k, v in pairs.items())
    fast = _simple_pairs("# a sheet\n" + text + "\n")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        assert fast is None
        return
    if fast is None:
        return  # anything unusual goes the YAML way
    assert [(k, v) for k, v, _ in fast] == [(k.value, v.value) for k, v in node.value]
    assert [line for _, _, line in fast] == [k.start_mark.line + 2 for k, _ in node.value]


def test_flat_sheets_take_the_fast_way() -> None:
    from dlcalc.grading.checking import _simple_pairs

    fast = _simple_pairs("# sheet\nout_h1: 0.5933\n∂E/∂w5: -1e-3  # small\nw46+: .5\n\n")
    assert fast == [("out_h1", "0.5933", 2), ("∂E/∂w5", "-1e-3", 3), ("w46+", ".5", 4)]
    assert _simple_pairs("d: [0.1, 0.2]\n") is None  # a list: read as YAML
    assert _simple_pairs("conventions: {delta_sign: han_kamber}\n") is None
