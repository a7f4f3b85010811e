"""Slide-style names for a network's quantities, result paths linked by structure, suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlcalc.app.commands import solve
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.grading.check_names import normalize
from dlcalc.grading.checking import RIGHT, judge, load_claims
from dlcalc.specs.loader import load

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HANKAMBER = EXAMPLES / "hankamber.yaml"  # inputs 1-3, hidden units 4, 5, output 6
MAZUR = EXAMPLES / "mazur.yaml"


def solved(path: Path):
    doc = load(str(path))
    return solve(doc.data["command"], doc, Settings())


def labels_of(path: Path, text: str, tmp_path: Path) -> dict[str, str | None]:
    sheet = tmp_path / "a.yaml"
    sheet.write_text(text, encoding="utf-8")
    report = judge(solved(path), load_claims(str(sheet)))  # givens are resolved, not counted
    return {v.claim.name: v.label for v in [*report.verdicts, *report.not_counted]}


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("w₄₆⁺", "w46+"),
        ("w_{46}+", "w_46+"),
        ("w46_new", "w46+"),
        ("θ_4", "theta_4"),
        ("w46'", "w46+"),
    ],
)
def test_normalize(name: str, normal: str) -> None:
    assert normalize(name) == normal


def test_weights_named_by_connection(tmp_path: Path) -> None:
    text = "w14: 0.2\nw35: 0.2\nw46: -0.3\nw56: -0.2\nw46+: -0.261\nw₅₆⁺: -0.138\nw_{15}: -0.3\nw1,5+: -0.306\n"
    got = labels_of(HANKAMBER, text, tmp_path)
    assert got == {
        "w14": "w1",
        "w35": "w6",  # dlcalc numbers row by row: w6 is the slides' w35
        "w46": "w7",
        "w56": "w8",
        "w46+": "w7_new",
        "w₅₆⁺": "w8_new",
        "w_{15}": "w4",
        "w1,5+": "w4_new",
    }


def test_biases_errors_and_outputs(tmp_path: Path) -> None:
    text = "θ4: -0.4\nb5: 0.2\ntheta6+: 0.218\nErr6: -0.1312\nz4: -0.7\na5: 0.525\nO6: 0.474\n"
    got = labels_of(HANKAMBER, text, tmp_path)
    assert got == {
        "θ4": "b_4",
        "b5": "b_5",
        "theta6+": "b_6_new",
        "Err6": "delta_6",
        "z4": "net_4",
        "a5": "out_5",
        "O6": "out_6",
    }


def test_unit_names(tmp_path: Path) -> None:
    got = labels_of(MAZUR, "w_h1_o2: 0.5\nw_x2_h1: 0.2\nw_h2_o1+: 0.408666186\n", tmp_path)
    assert got == {"w_h1_o2": "w7", "w_x2_h1": "w2", "w_h2_o1+": "w6_new"}


def test_dlcalc_labels_win(tmp_path: Path) -> None:
    """In Mazur's network, w5 is dlcalc's w5 (h1 → o1), not a slide-style name."""
    assert labels_of(MAZUR, "w5: 0.4\nw5+: 0.35891648\n", tmp_path) == {"w5": "w5", "w5+": "w5_new"}


def test_wrong_connection_suggests_the_right_ones(tmp_path: Path) -> None:
    sheet = tmp_path / "a.yaml"
    sheet.write_text("w36+: 0.1\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        judge(solved(HANKAMBER), load_claims(str(sheet)))
    message = str(e.value)
    assert "did you mean" in message
    for name in ("w34+", "w35+", "w46+", "w56+"):
        assert name in message
    assert "w6+" not in message.replace("w56+", "").replace("w46+", "")


def test_path_linked_by_structure_when_two_steps_hold_the_value(tmp_path: Path) -> None:
    """w25⁺ = net_5 = 0.1 in the slides' problem: the path still names w25⁺ (w5_new)."""
    solution = solved(HANKAMBER)
    assert solution.step("net_5").value == pytest.approx(0.1)  # type: ignore[union-attr]
    assert solution.step("w5_new").value == pytest.approx(0.1)  # type: ignore[union-attr]
    got = labels_of(
        HANKAMBER,
        "layers[0].weights[1][1]: 0.1\nlayers[0].out[1]: 0.525\nlayers[1].grad_net[0]: -0.1312\n",
        tmp_path,
    )
    assert got == {
        "layers[0].weights[1][1]": "w5_new",
        "layers[0].out[1]": "out_5",
        "layers[1].grad_net[0]": "delta_6",
    }


def test_slide_sheet_all_right(tmp_path: Path) -> None:
    sheet = tmp_path / "a.yaml"
    sheet.write_text("w46+: -0.261\nw14+: 0.192\nθ6+: 0.218\nw35⁺: 0.194\n", encoding="utf-8")
    report = judge(solved(HANKAMBER), load_claims(str(sheet)))
    assert {v.status for v in report.verdicts} == {RIGHT}
