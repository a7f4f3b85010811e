"""The marking policy: tolerance modes, carried-forward fractions, the gaming guard, the precision
penalty, weights, asked and unanswered steps, and invalid policies (dlcalc/grading/marking.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from dlcalc.app.commands import solve, variants
from dlcalc.app.settings import Settings
from dlcalc.grading.checking import (
    Index,
    MarkingPolicy,
    check_sheet,
    claim_tolerance,
    load_sheet,
    within,
)
from dlcalc.grading.conventions import apply
from dlcalc.grading.marking import Guard, Policy, written
from dlcalc.specs.loader import load
from tests.conftest import EXAMPLES
from tests.marking_class import ASK, EXACT, world

MAZUR = EXAMPLES / "mazur.yaml"


def policy(**marks) -> Policy:
    from dlcalc.specs.marks import MarksSpec

    return Policy.of(MarksSpec.model_validate(marks), ASK)


def right(p: Policy, correct: float, text: str) -> bool:
    """Through the one place tolerances are decided (checking.claim_tolerance)."""
    return within(float(text), correct, claim_tolerance(text, correct, MarkingPolicy(marks=p)))


# --- tolerance modes -----------------------------------------------------------------------------

TOLERANCE_CASES = [
    # mode, value, strict, correct, written, right?
    ("absolute", 0.01, False, 0.5933, "0.60", True),
    ("absolute", 0.01, False, 0.5933, "0.61", False),
    ("absolute", 0.01, False, 0.5933, "0.6", True),  # the policy replaces the written decimals
    ("relative", 0.01, False, 120.0, "121", True),
    ("relative", 0.01, False, 120.0, "122", False),
    ("relative", 0.01, False, 0.5933, "0.599", True),
    ("relative", 0.01, False, 0.5933, "0.6", False),
    ("significant", 2, False, 0.5933, "0.59", True),
    ("significant", 2, False, 0.5933, "0.593", True),
    ("significant", 2, False, 0.5933, "0.6", False),
    ("significant", 2, True, 0.5933, "0.593", False),  # strict: 3 figures written
    ("significant", 2, True, 0.5933, "0.59", True),
    ("significant", 1, False, 0.0051, "0.0051", True),  # close enough
    ("significant", 1, True, 0.0051, "0.0051", False),  # strict: not rounded to 1 figure
    ("significant", 1, True, 0.0051, "0.005", True),
    ("significant", 1, True, 0.0051, "0.006", False),
    ("significant", 2, True, 0.00504, "0.0050", True),  # trailing zero counts
    ("significant", 2, True, 0.00504, "0.005", False),  # only 1 figure written
    ("significant", 2, False, 0.00504, "0.005", True),
    ("significant", 3, True, 500.2, "500", True),  # 500 may have 1 to 3 figures
    ("significant", 3, False, 123456.0, "123000", True),
    ("significant", 3, False, 123456.0, "124000", False),
    ("decimals", 2, False, 0.5933, "0.59", True),
    ("decimals", 2, False, 0.5933, "0.593", True),
    ("decimals", 2, True, 0.5933, "0.593", False),
    ("decimals", 2, False, 0.5933, "0.60", False),
    ("decimals", 0, True, 12.4, "12", True),
    ("decimals", 0, True, 12.4, "12.0", False),
]


@pytest.mark.parametrize(("mode", "value", "strict", "correct", "text", "ok"), TOLERANCE_CASES)
def test_tolerance_modes(
    mode: str, value: float, strict: bool, correct: float, text: str, ok: bool
) -> None:
    p = policy(tolerance={"mode": mode, "value": value, "strict": strict})
    assert right(p, correct, text) is ok


@pytest.mark.parametrize(
    ("text", "decimals", "fewest", "most"),
    [
        ("0.0051", 4, 2, 2),
        ("0.005", 3, 1, 1),
        ("0.0050", 4, 2, 2),
        ("500", 0, 1, 3),
        ("500.", 0, 3, 3),
        ("1.50e-3", 5, 3, 3),
        ("0", 0, 1, 1),
        ("-12.30", 2, 4, 4),
    ],
)
def test_written_digits(text: str, decimals: int, fewest: int, most: int) -> None:
    w = written(text)
    assert w is not None and (w.decimals, w.fewest, w.most) == (decimals, fewest, most)


# --- whole sheets ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mazur():
    doc = load(str(MAZUR))
    settings = Settings()
    solution = solve("backprop", doc, settings)
    return solution, Index.of(solution), variants("backprop", doc, settings)


def mark(mazur, tmp_path: Path, values: dict[str, float | str], p: Policy):
    solution, index, variants = mazur
    path = tmp_path / "sheet.yaml"
    path.write_text(
        "".join(f"{k}: {v if isinstance(v, str) else f'{v:.4f}'}\n" for k, v in values.items()),
        encoding="utf-8",
    )
    sheet = load_sheet(str(path), None, MarkingPolicy(marks=p))
    return check_sheet(solution, sheet, None, variants, index, p, conventions=apply)


def slipped(**slips: float) -> dict[str, float]:
    return world(slips)


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 1.0])
def test_carried_forward_fraction(mazur, tmp_path: Path, fraction: float) -> None:
    report = mark(mazur, tmp_path, slipped(out_h1=0.6033), policy(carried_forward=fraction))
    s = report.scores
    assert s is not None
    carried = [v for v in report.verdicts if v.status == "carried"]
    wrong = [v for v in report.verdicts if v.status == "wrong"]
    assert [v.claim.name for v in wrong] == ["out_h1"]
    right = len(ASK) - len(carried) - 1
    assert len(carried) >= 8
    assert s.score == pytest.approx(right + fraction * len(carried))
    assert s.max_score == len(ASK)
    for v in carried:
        assert s.of(v).points == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("slip", "value", "why"),
    [
        ("out_h1", 1.0, "outside (0, 1)"),  # a sigmoid never reaches 1 ...
        ("out_h1", 0.0, "outside (0, 1)"),  # ... nor 0
        ("out_o1", 1.0, "outside (0, 1)"),
        ("net_h1", 0.0, "0, which makes the later steps trivial"),
        ("E_o1", -0.2, "outside [0, ∞)"),  # a squared error is never negative
    ],
)
def test_gaming_guard_withholds_credit(mazur, tmp_path: Path, slip: str, value: float, why: str):
    report = mark(mazur, tmp_path, slipped(**{slip: value}), policy(carried_forward=0.5))
    s = report.scores
    assert s is not None
    carried = [v for v in report.verdicts if v.status == "carried"]
    assert carried, "the later steps follow from the slip, so they are carried forward"
    for v in carried:
        p = s.of(v)
        assert p.points == 0 and p.max_points == 1
        assert f"your {slip} = " in p.reason and why in p.reason
    assert s.withheld and why in s.line()
    right = sum(1 for v in report.verdicts if v.status == "right")
    assert s.score == right


def test_plausible_slip_keeps_its_credit(mazur, tmp_path: Path) -> None:
    """The same slip size as a gaming one, but a value a sigmoid can take: credit is given."""
    report = mark(mazur, tmp_path, slipped(out_h1=0.9), policy(carried_forward=0.5))
    s = report.scores
    assert s is not None and not s.withheld
    carried = [v for v in report.verdicts if v.status == "carried"]
    assert carried and all(s.of(v).points == 0.5 for v in carried)


def test_guard_ranges_of_the_network(mazur) -> None:
    _, index, _ = mazur
    guard = Guard.of(index)
    assert str(guard.ranges.of("out_h1")) == "(0, 1)"
    assert str(guard.ranges.of("E_total")) == "[0, ∞)"
    assert str(guard.ranges.of("dout_o1_dnet_o1")) == "(0, 1)"
    assert not guard.ranges.of("net_o1").bounded  # givens may be anything
    assert guard.implausible("out_h1", 0.7, 0.5933) is None
    assert guard.implausible("out_h1", 1.0, 0.5933) is not None


def test_softmax_outputs_are_shares(tmp_path: Path) -> None:
    doc = load(str(EXAMPLES / "ce-multiclass.yaml"))
    solution = solve(doc.data["command"], doc, Settings())
    guard = Guard.of(Index.of(solution))
    assert str(guard.ranges.of("out_o1")) == "(0, 1)"
    assert guard.implausible("out_o1", 1.0, 0.3) is not None


@pytest.mark.parametrize(
    ("text", "points", "why"),
    [
        ("0.5933", 1.0, None),
        ("0.593", 0.5, "written with 3 decimals where 4 are asked"),
        ("0.59", 0.5, "written with 2 decimals where 4 are asked"),
        ("0.6", 0.0, None),  # wrong: a penalty only applies to a right claim
    ],
)
def test_precision_penalty(mazur, tmp_path: Path, text: str, points: float, why: str | None):
    p = policy(
        tolerance={"mode": "decimals", "value": 2},
        precision={"mode": "decimals", "value": 4, "credit": 0.5},
    )
    report = mark(mazur, tmp_path, {"out_h1": text}, p)
    s = report.scores
    assert s is not None
    got = s.of(report.verdicts[0])
    assert got.points == points
    if why:
        assert why in got.reason


def test_weights_asked_unanswered_and_not_asked(mazur, tmp_path: Path) -> None:
    from dlcalc.specs.marks import MarksSpec

    spec = MarksSpec.model_validate({"default": 2, "steps": {"w5⁺": 5}})  # a symbol names it too
    p = Policy.of(spec, ["out_h1", "w5_new", "E_total"])
    values = {"out_h1": f"{EXACT['out_h1']:.4f}", "w5_new": f"{EXACT['w5_new']:.4f}"}
    values["net_h1"] = f"{EXACT['net_h1']:.4f}"  # not asked
    report = mark(mazur, tmp_path, values, p)
    s = report.scores
    assert s is not None
    assert (s.score, s.max_score) == (7, 9)  # out_h1 2 + w5_new 5; E_total (2) unanswered
    assert s.unanswered == [("E_total", 2.0)]
    extra = next(v for v in report.verdicts if v.claim.name == "net_h1")
    assert s.of(extra).points == 0 and not s.of(extra).asked


def test_a_quantity_counts_once(mazur, tmp_path: Path) -> None:
    """out_h1 claimed twice (label and result path), once wrong: it counts once, at its lower mark."""
    p = policy()
    report = mark(mazur, tmp_path, {"out_h1": "0.5933", "layers[0].out[0]": "0.7"}, p)
    s = report.scores
    assert s is not None
    assert s.score == 0 and s.max_score == len(ASK)


# --- the command line --------------------------------------------------------------------------


def test_check_json_has_scores(runner, tmp_path: Path) -> None:
    problem = tmp_path / "p.yaml"
    problem.write_text(
        MAZUR.read_text(encoding="utf-8")
        + f"\nask: [{', '.join(ASK)}]\nmarks: {{carried_forward: 0.5}}\n",
        encoding="utf-8",
    )
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "".join(f"{k}: {v:.4f}\n" for k, v in slipped(out_h1=1.0).items()), encoding="utf-8"
    )
    result = runner.invoke(app, ["check", str(problem), str(answers), "-f", "json"])
    assert result.exit_code == 1, result.output
    res = json.loads(result.stdout)["result"]
    assert res["max_score"] == 12 and res["score"] == res["right"]
    reasons = [c["reason"] for c in res["claims"] if c["status"] == "carried"]
    assert reasons and all("no credit" in r and "out_h1 = 1.0000" in r for r in reasons)
    text = runner.invoke(app, ["check", str(problem), str(answers), "-f", "markdown"]).stdout
    assert "Score: " in text and "no credit" in text and "| points |" in text


def test_marks_file_replaces_the_problems_policy(runner, tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        "marks: {carried_forward: 0, tolerance: {mode: absolute, value: 0.5}}\n", encoding="utf-8"
    )
    answers = tmp_path / "a.yaml"
    answers.write_text("out_h1: 1\nout_h2: 0.5969\n", encoding="utf-8")
    args = ["check", str(MAZUR), str(answers), "--marks", str(policy_file), "-f", "json"]
    res = json.loads(runner.invoke(app, args).stdout)["result"]
    assert res["score"] == 2 and res["max_score"] == 2  # ±0.5 accepts 1 for 0.5933


@pytest.mark.parametrize(
    ("marks", "field"),
    [
        ("{tolerance: {mode: sig, value: 2}}", "marks.tolerance.mode"),
        ("{tolerance: {mode: relative, value: 2}}", "marks.tolerance"),
        ("{tolerance: {mode: absolute, value: 0.1, strict: true}}", "marks.tolerance"),
        ("{tolerance: {mode: significant, value: 2.5}}", "marks.tolerance"),
        ("{carried_forward: 1.5}", "marks.carried_forward"),
        ("{steps: {out_h1: -1}}", "marks.steps.out_h1"),
        ("{bonus: 1}", "marks"),
        ("{precision: {mode: decimals, value: 4, credit: 2}}", "marks.precision.credit"),
        ("{steps: {out_h9: 2}}", "marks.steps.out_h9"),
    ],
)
def test_invalid_policies_exit_2(runner, tmp_path: Path, marks: str, field: str) -> None:
    problem = tmp_path / "p.yaml"
    problem.write_text(MAZUR.read_text(encoding="utf-8") + f"\nmarks: {marks}\n", encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text("out_h1: 0.5933\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(problem), str(answers)])
    assert result.exit_code == 2
    assert field in result.output and "Traceback" not in result.output
    assert "p.yaml, line " in result.output


def test_unknown_asked_label_exit_2(runner, tmp_path: Path) -> None:
    problem = tmp_path / "p.yaml"
    problem.write_text(
        MAZUR.read_text(encoding="utf-8") + "\nask: [out_h1, out_h9]\n", encoding="utf-8"
    )
    answers = tmp_path / "a.yaml"
    answers.write_text("out_h1: 0.5933\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(problem), str(answers)])
    assert result.exit_code == 2 and "out_h9" in result.output and "ask[1]" in result.output
    assert "p.yaml, line " in result.output  # the problem file is blamed, not the answers


def test_class_report_scores_and_step_statistics(runner, tmp_path: Path) -> None:
    """check --report with a policy: score columns, and each step's shares, most common wrong
    value and the known slip that explains it (the sign, a factor of 2, another step's value)."""
    problem = tmp_path / "p.yaml"
    problem.write_text(
        MAZUR.read_text(encoding="utf-8")
        + f"\nask: [{', '.join(ASK)}]\nmarks: {{carried_forward: 0.5}}\n",
        encoding="utf-8",
    )
    exact = {k: f"{v:.4f}" for k, v in EXACT.items()}
    slips = {
        "a": {"net_h1": f"{-EXACT['net_h1']:.4f}"},  # the sign
        "b": {"net_h1": f"{-EXACT['net_h1']:.4f}"},
        "c": {"delta_o1": f"{2 * EXACT['delta_o1']:.4f}"},  # a factor of 2
        "d": {"out_h2": exact["out_h1"]},  # another step's value
        "e": {},
    }
    paths = []
    for name, slip in slips.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            "".join(f"{k}: {slip.get(k, v)}\n" for k, v in exact.items()), encoding="utf-8"
        )
        paths.append(str(path))
    report = tmp_path / "marks.csv"
    result = runner.invoke(app, ["check", str(problem), *paths, "--report", str(report)])
    assert result.exit_code == 1, result.output
    header = report.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("student,score,max_score,")
    text = result.output
    assert "## Each step" in text
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| ")}
    assert "the sign flipped" in rows["net\\_h1"] and "(2×)" in rows["net\\_h1"]
    assert "without the ½" in rows["delta\\_o1"]  # 2δ: the sse convention explains it
    assert "the value of out\\_h1" in rows["out\\_h2"]
    assert "| e | 12 | 12 |" in text  # the honest sheet: 12 of 12


def test_step_statistics_name_the_convention_that_explains_a_wrong_value(runner, tmp_path: Path):
    """E_o1 written without the ½ on two sheets: a convention explains the common wrong value."""
    paths = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"net_h1: 0.3775\nE_o1: {2 * EXACT['E_o1']:.4f}\n", encoding="utf-8")
        paths.append(str(path))
    result = runner.invoke(app, ["check", str(MAZUR), *paths])
    assert result.exit_code == 1, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| E\\_o1 | 2 | ")]
    row = rows[-1]  # the step statistics (after "where the class first went wrong")
    assert "(2×)" in row and "without the ½" in row


@pytest.mark.parametrize(
    ("text", "label", "why"),
    [
        ("-0.3775", "net_h1", "the sign flipped"),
        ("0.7550", "net_h1", "twice the value"),
        ("0.1888", "net_h1", "half the value"),
        ("0.3757", "net_h1", "two digits swapped"),
        ("0.5969", "out_h1", "the value of out_h2"),
        ("0.1234", "net_h1", None),
    ],
)
def test_known_slips(mazur, text: str, label: str, why: str | None) -> None:
    from dlcalc.grading.checking import Claim, Verdict
    from dlcalc.grading.class_report import known_slip

    _, index, _ = mazur
    v = Verdict(Claim(label, float(text), text, 0.00005), label, None, index.by_label[label].value)
    got = known_slip(v, index)
    assert (got is None) if why is None else (got is not None and why in got)
