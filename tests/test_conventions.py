"""check recognises the textbooks' conventions, from two claims or a declaration, never from one.

Every expected value here is worked out independently (plain NumPy/math on the problem's
numbers), not read from dlcalc.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from dlcalc.app.cli import app
from dlcalc.app.commands import solve as solve_command
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.grading.checking import RIGHT, WRONG, Report, check_sheet, load_sheet
from dlcalc.grading.conventions import CONVENTIONS, Problem, apply, declared
from dlcalc.specs.loader import Document, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def check(problem: Path | dict, text: str, tmp_path: Path) -> Report:
    doc = load(str(problem)) if isinstance(problem, Path) else Document(problem, "<test>")
    command = doc.data["command"]
    solution = solve_command(command, doc, Settings())
    variants = Problem(
        command,
        doc.data,
        lambda data: solve_command(command, Document(data, "<variant>"), Settings()),
    )
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return check_sheet(solution, load_sheet(str(path)), None, variants, conventions=apply)


def statuses(report: Report) -> dict[str, str]:
    return {v.claim.name: v.status for v in report.verdicts}


def accepted(report: Report) -> list[str]:
    return [name for name, _, _ in report.conventions]


# --- Mazur's 2-2-2 network, worked here in NumPy -------------------------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


X, T = np.array([0.05, 0.1]), np.array([0.01, 0.99])
W1, W2 = np.array([[0.15, 0.2], [0.25, 0.3]]), np.array([[0.4, 0.45], [0.5, 0.55]])
B1, B2, LR = 0.35, 0.6, 0.5


def mazur(sequential: bool = False, factor: float = 1.0) -> dict[str, float]:
    """One update; ``factor`` 2 is the loss without the ½; ``sequential``: hidden δ through w⁺."""
    h = sigmoid(W1 @ X + B1)
    o = sigmoid(W2 @ h + B2)
    delta_o = factor * (o - T) * o * (1 - o)
    w2_new = W2 - LR * np.outer(delta_o, h)
    delta_h = ((w2_new if sequential else W2).T @ delta_o) * h * (1 - h)
    w1_new = W1 - LR * np.outer(delta_h, X)
    o_after = sigmoid(w2_new @ sigmoid(w1_new @ X + B1) + B2)
    loss = factor * 0.5 * float(np.sum((T - o) ** 2))
    return {
        "E_total": loss,
        "dE_dw5": float(delta_o[0] * h[0]),
        "w5_new": float(w2_new[0, 0]),
        "w1_new": float(w1_new[0, 0]),
        "w2_new": float(w1_new[0, 1]),
        "loss_after": factor * 0.5 * float(np.sum((T - o_after) ** 2)),
    }


def test_mazur_blog_value_is_the_sequential_update() -> None:
    """0.291027924 (Mazur's 'total error after the first round') is not what the standard update gives."""
    assert round(mazur(sequential=True)["loss_after"], 9) == 0.291027924
    assert round(mazur()["loss_after"], 9) == 0.291027774


def test_sequential_update_from_two_claims(tmp_path: Path) -> None:
    seq = mazur(sequential=True)
    text = f"w1+: {seq['w1_new']:.8f}\nw2+: {seq['w2_new']:.8f}\nloss_after: 0.291027924\nw5+: {seq['w5_new']:.8f}\n"
    report = check(EXAMPLES / "mazur.yaml", text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["update: sequential"]
    note = next(v.note for v in report.verdicts if v.claim.name == "loss_after")
    assert note is not None and "sequential update" in note and "already-updated" in note


def test_mazur_blog_single_value_is_a_hint_unless_declared(tmp_path: Path) -> None:
    """The blog's weights are the standard update; its error after one round is sequential."""
    std = mazur()
    text = f"w1+: {std['w1_new']:.9f}\nloss_after: 0.291027924\n"
    report = check(EXAMPLES / "mazur.yaml", text, tmp_path)
    assert statuses(report) == {"w1+": RIGHT, "loss_after": WRONG}
    assert report.conventions == []
    assert any("sequential update" in h and "not accepted" in h for h in report.hints)
    declared_sheet = "conventions: {update: sequential}\nloss_after: 0.291027924\n"
    report = check(EXAMPLES / "mazur.yaml", declared_sheet, tmp_path)
    assert statuses(report) == {"loss_after": RIGHT}
    assert accepted(report) == ["update: sequential"]


def test_sse_without_the_half_from_two_claims(tmp_path: Path) -> None:
    sse = mazur(factor=2.0)
    text = f"E_total: {sse['E_total']:.9f}\ndE_dw5: {sse['dE_dw5']:.9f}\nw5+: {sse['w5_new']:.9f}\n"
    report = check(EXAMPLES / "mazur.yaml", text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["loss: sse"]


def test_a_single_coincidental_match_is_not_accepted(tmp_path: Path) -> None:
    """Only E_total matches the loss without the ½; the gradient is dlcalc's: no convention."""
    sse, half = mazur(factor=2.0), mazur()
    text = f"E_total: {sse['E_total']:.9f}\ndE_dw5: {half['dE_dw5']:.9f}\n"
    report = check(EXAMPLES / "mazur.yaml", text, tmp_path)
    assert statuses(report) == {"E_total": WRONG, "dE_dw5": RIGHT}
    assert report.conventions == [] and report.mismatches[0].claim.name == "E_total"
    assert any("Σ(t − o)²" in h for h in report.hints)


# --- Han & Kamber (the slides' Question 2) --------------------------------------------------


def test_han_kamber_err_is_minus_delta(tmp_path: Path) -> None:
    """The slide's own answer: Err6 = 0.131, Err5 = −0.0065, Err4 = −0.0087 (Err = −δ)."""
    slide = (EXAMPLES / "answers/hankamber-slide.yaml").read_text(encoding="utf-8")
    text = slide + "Err6: 0.131\nErr5: -0.0065\nErr4: -0.0087\n"
    report = check(EXAMPLES / "hankamber.yaml", text, tmp_path)
    got = statuses(report)
    assert got["Err6"] == got["Err5"] == got["Err4"] == RIGHT
    assert accepted(report) == ["delta_sign: han_kamber"]
    assert [v.claim.name for v in report.mismatches] == ["out_4", "w7⁺"]  # the slide's two slips
    note = next(v.note for v in report.verdicts if v.claim.name == "Err6")
    assert note == "✓ your Err6 = 0.131 is −δ_6: Han & Kamber's sign convention (Err = −δ)"
    # Without the convention the sign is a mistake: δ6 = (o − t)·o·(1 − o) < 0 here.
    o6 = 1 / (1 + math.exp(0.1037))
    assert (o6 - 1) * o6 * (1 - o6) == pytest.approx(-0.1312, abs=1e-4)


def test_han_kamber_declared_for_one_claim(tmp_path: Path) -> None:
    text = "conventions: {delta_sign: han_kamber}\nErr6: 0.131\n"
    assert statuses(check(EXAMPLES / "hankamber.yaml", text, tmp_path)) == {"Err6": RIGHT}
    undeclared = check(EXAMPLES / "hankamber.yaml", "Err6: 0.131\n", tmp_path)
    assert statuses(undeclared) == {"Err6": WRONG}  # one claim: could be a slip


# --- target coding ----------------------------------------------------------------------------


def test_targets_plus_minus_one(tmp_path: Path) -> None:
    problem = {
        "command": "forward",
        "input": [0.5, -0.2],
        "target": [0, 1],
        "loss": "half_sse",
        "layers": [{"activation": "tanh", "weights": [[0.3, 0.6], [-0.4, 0.2]], "bias": 0.1}],
    }
    out = np.tanh(np.array([[0.3, 0.6], [-0.4, 0.2]]) @ np.array([0.5, -0.2]) + 0.1)
    terms = 0.5 * (np.array([-1, 1]) - out) ** 2
    text = f"E_o1: {terms[0]:.6f}\nE_o2: {terms[1]:.6f}\nE_total: {terms.sum():.6f}\n"
    report = check(problem, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["targets: plus_minus_one"]


# --- logarithms and divergences ---------------------------------------------------------------


def test_cross_entropy_in_bits(tmp_path: Path) -> None:
    problem = {
        "command": "crossentropy",
        "probabilities": [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]],
        "target": [[0, 1, 0], [1, 0, 0]],
    }
    text = f"L_1: {-math.log2(0.7):.6f}\nL_2: {-math.log2(0.5):.6f}\n"
    report = check(problem, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["log_base: two"]


def test_reversed_kl(tmp_path: Path) -> None:
    p, q = [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]
    terms = [b * math.log(b / a) for a, b in zip(p, q)]
    text = f"KL_pq_term_1: {terms[0]:.6f}\nKL_pq_term_2: {terms[1]:.6f}\nkl: {sum(terms):.6f}\n"
    report = check({"command": "kld", "p": p, "q": q}, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["kl_direction: reversed"]


def test_kl_with_sigma_read_as_log_variance(tmp_path: Path) -> None:
    """The problem gives σ; the student put the numbers in where ln σ² goes."""
    mu, sigma = [0.8, -0.3, 0.1], [0.6, 1.2, 0.9]
    problem = {"command": "kld", "gaussian": {"mu": mu, "sigma": sigma}}
    as_logvar = [0.5 * (m * m + math.exp(s) - 1 - s) for m, s in zip(mu, sigma)]
    text = f"KL_1: {as_logvar[0]:.6f}\nKL_2: {as_logvar[1]:.6f}\n"
    report = check(problem, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["gaussian_scale: swapped"]


# --- declarations -----------------------------------------------------------------------------


def test_unknown_declared_convention_is_invalid_input(runner, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown convention"):
        declared({"delta_sign": "upside_down"}, "backprop")
    with pytest.raises(InputError, match="not one of kld"):
        declared({"delta_sign": "han_kamber"}, "kld")
    sheet = tmp_path / "a.yaml"
    sheet.write_text("conventions: {update: backwards}\nout_h1: 0.5933\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(EXAMPLES / "mazur.yaml"), str(sheet)])
    assert result.exit_code == 2 and "unknown convention" in result.output


def test_every_convention_is_documented() -> None:
    doc = (ROOT / "docs/checking.md").read_text(encoding="utf-8")
    for c in CONVENTIONS:
        assert f"`{c.key}: {c.value}`" in doc
    from dlcalc.grading.conventions import ALTERNATIVE_NAMES

    for key, value in ALTERNATIVE_NAMES.values():
        assert f"`{key}: {value}`" in doc


# --- perceptrons --------------------------------------------------------------------------------

MAJORITY = {
    "command": "perceptron",
    "outputs": [0, 1],
    "perceptrons": [{"name": "MAJ", "weights": [1, 1, 1], "threshold": 2}],
    "truth_table": True,
}


def test_threshold_added_as_a_bias(tmp_path: Path) -> None:
    """Rows 1 and 2 of the truth table (x = 000, 001) with w·x + 2 ≥ 0 instead of w·x ≥ 2."""
    text = "sum_MAJ@1: 2\nMAJ@1: 1\nsum_MAJ@2: 3\nMAJ@2: 1\n"
    report = check(MAJORITY, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["threshold: subtracted"]


def test_fire_only_above_zero(tmp_path: Path) -> None:
    """x = 011 and 101 reach exactly the threshold: ≥ fires, > does not."""
    text = "MAJ@4: 0\nMAJ@6: 0\nMAJ@8: 1\n"
    report = check(MAJORITY, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["fire_at_zero: flipped"]


# --- convolution ------------------------------------------------------------------------------


def test_flipped_kernel(tmp_path: Path) -> None:
    """d2l's 3×3 input and 2×2 kernel; the student rotated the kernel (true convolution)."""
    x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    k = [[0, 1], [2, 3]]
    flipped = [row[::-1] for row in k[::-1]]
    y = [
        [sum(x[i + a][j + b] * flipped[a][b] for a in range(2) for b in range(2)) for j in range(2)]
        for i in range(2)
    ]
    problem = {"command": "conv", "input": x, "layers": [{"conv": {"kernel": k}}]}
    text = f"y[0][0][0]: {y[0][0]}\ny[0][0][1]: {y[0][1]}\ny[0][1][1]: {y[1][1]}\n"
    report = check(problem, text, tmp_path)
    assert set(statuses(report).values()) == {RIGHT}
    assert accepted(report) == ["kernel: flipped"]


def test_slide_answer_in_slide_names(runner) -> None:
    """examples/answers/hankamber-han-kamber.yaml: the slide's answer as the slide writes it."""
    import json

    result = runner.invoke(
        app,
        [
            "check",
            str(EXAMPLES / "hankamber.yaml"),
            str(EXAMPLES / "answers/hankamber-han-kamber.yaml"),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 1
    got = json.loads(result.output)["result"]
    assert [m["name"] for m in got["mismatches"]] == ["a4", "w46+"]
    assert [c["convention"] for c in got["conventions"]] == ["delta_sign: han_kamber"]
    assert got["checked"] == 20 and [
        c["name"] for c in got["claims"] if c["status"] == "carried"
    ] == ["z6"]
