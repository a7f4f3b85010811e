"""Cheating never pays in a class run, and the report is always written (issue 23).

A random network is solved.  An honest sheet claims a random subset of its steps at their
right values.  A cheating sheet claims the same right values and adds everything a student
could try to inflate the count with: coarse values for other quantities (``0e9``, ``1``,
one significant figure), the honest claims again under other spellings (the symbol,
ASCII, spaces, braces, a wrong value under a second spelling), the givens copied from the
problem, and extreme numbers (``1e308``, ``0e400``, ``1e-320``).  Expected: the cheating
sheet never has more ✓ than the honest one, and the class report (CSV and Markdown) is
written with one row per sheet.

Whether a coarse value is genuinely wrong is decided here from the contract's rule, not
from dlcalc: more than half a unit from the correct value in both its second significant
figure and the key's fourth decimal.
"""

from __future__ import annotations

import math
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.app.commands import solve as solve_command
from dlcalc.app.settings import Settings
from dlcalc.grading.checking import Index
from dlcalc.grading.class_report import mark_sheets, write
from dlcalc.specs.loader import Document
from tests.test_checking_property import problems

COARSE = ["0e9", "0", "1", "-1", "0.0", "1e1", "0.5"]
EXTREME = ["1e308", "-1e308", "0e400", "1e-320", "9.99e307"]


def contract_allows(text: str, correct: float) -> bool:
    """The contract's widest tolerance, worked in decimals: is ``text`` right for ``correct``?"""
    claimed, exact = Decimal(text), Decimal(repr(correct))
    if exact == 0:
        widest = Decimal("0.00005")
    else:
        second = Decimal(1).scaleb(exact.adjusted() - 1)  # a unit in the second significant figure
        widest = max(Decimal("0.00005"), second / 2)
    return abs(claimed - exact) <= widest


def quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=problems(),
    subset=st.lists(st.booleans(), min_size=60, max_size=60),
    tricks=st.lists(st.integers(0, 10_000), min_size=30, max_size=30),
)
def test_cheating_never_beats_the_honest_sheet(
    problem: dict, subset: list[bool], tricks: list[int]
) -> None:
    solution = solve_command("backprop", Document(problem, "<random>"), Settings())
    index = Index.of(solution)
    steps = [s for s in index.by_label.values() if isinstance(s.value, float)]
    honest = {s.label: f"{s.value:.6f}" for k, s in enumerate(steps) if subset[k % len(subset)]}
    if not honest:
        honest = {steps[0].label: f"{steps[0].value:.6f}"}
    others = [s for s in steps if s.label not in honest]

    cheat: dict[str, str] = {quoted(k): v for k, v in honest.items()}
    used = {s.label for s in steps if s.label in honest}

    def add(name: str, text: str) -> None:
        cheat.setdefault(quoted(name), text)

    for k, step in enumerate(others):  # coarse claims that the contract calls wrong
        text = COARSE[tricks[k % len(tricks)] % len(COARSE)]
        if not contract_allows(text, step.value):
            add(step.label, text)
        extreme = EXTREME[tricks[(k + 7) % len(tricks)] % len(EXTREME)]
        if not contract_allows(extreme, step.value) and tricks[k % len(tricks)] % 3 == 0:
            add("{" + step.label + "}", extreme)  # the same quantity in braces: counted once
    for k, label in enumerate(sorted(used)):  # the right values again, spelled otherwise
        step = index.by_label[label]
        text = honest[label]
        add(step.shown, text)
        add(label[:1] + " " + label[1:], text)
        add("{" + label + "}", text)
        add(label.replace("_", "_{", 1) + ("}" if "_" in label else ""), text)
        if tricks[k % len(tricks)] % 2:
            add("{{" + label + "}}", "0e9")  # a second spelling with a wrong value
    for name, value in index.given.items():  # givens copied from the problem
        if isinstance(value, float):
            add(name, repr(value))
            add(name[:1] + " " + name[1:], repr(value))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "honest.yaml").write_text(
            "".join(f"{quoted(k)}: {v}\n" for k, v in honest.items()), encoding="utf-8"
        )
        (folder / "cheat.yaml").write_text(
            "".join(f"{k}: {v}\n" for k, v in cheat.items()), encoding="utf-8"
        )
        paths = [str(folder / "honest.yaml"), str(folder / "cheat.yaml")]
        report = mark_sheets(solution, paths)
        by_name = {s.student: s for s in report.students}
        good, bad = by_name["honest"], by_name["cheat"]
        assert good.error is None and good.right == good.claims == len(honest)
        assert bad.error is None, bad.error  # every trick is read: the property is not vacuous
        assert bad.right <= good.right, (bad, good, cheat)
        for name in ("marks.csv", "marks.md"):
            write(report, folder / name)
            text = (folder / name).read_text(encoding="utf-8")
            assert "honest" in text and "cheat" in text
    assert all(math.isfinite(s.value) for s in steps)
