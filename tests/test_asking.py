"""``ask:``: the quantities a problem asks for, checked against its solution, as values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dlcalc.app.cli import app
from dlcalc.app.commands import COMMANDS, command_of, solve
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.render.numbers import Places, Significant
from dlcalc.sets.asking import FINAL_ANSWERS, asked_quantities, shown_decimals
from dlcalc.specs.loader import load
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def _solved(path: Path | str):
    doc = load(str(path))
    return solve(command_of(doc, None), doc, Settings()), doc


def _with_ask(tmp_path: Path, asks, source: str = "mazur.yaml") -> Path:
    data = yaml.safe_load((EXAMPLES / source).read_text(encoding="utf-8"))
    data["ask"] = asks
    path = tmp_path / "asked.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_every_command_has_its_final_answers() -> None:
    """A new command says what its final answers are (else the last section's steps are asked)."""
    assert set(COMMANDS) <= set(FINAL_ANSWERS)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_default_asks_are_the_json_values_and_check_accepts_them(path: Path, tmp_path) -> None:
    """Without ``ask:`` every example asks for something; each value is the JSON document's
    value of that quantity, and the answers file of those values is all right."""
    solution, _ = _solved(path)
    asked = asked_quantities(solution)
    assert asked, path.name
    from dlcalc.grading.checking import Index, check_sheet, load_sheet, resolve_path
    from dlcalc.model.plain import jsonable

    index = Index.of(solution)
    for a in asked:
        step = index.by_label.get(a.label)
        expected = jsonable(step.value) if step else resolve_path(index.result, a.label)
        assert a.value == expected, a.label
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "".join(f"{json.dumps(a.label)}: {json.dumps(a.value)}\n" for a in asked), "utf-8"
    )
    report = check_sheet(solution, load_sheet(str(answers)), conventions=None)
    assert len(report.verdicts) == len(asked)
    assert not report.mismatches and not report.carried


def test_mazur_final_answers_are_the_loss_and_the_updated_weights() -> None:
    solution, _ = _solved(EXAMPLES / "mazur.yaml")
    labels = [a.label for a in asked_quantities(solution)]
    assert labels == ["E_total", *(f"w{k}_new" for k in range(1, 9))]


def test_asks_in_the_order_given_by_any_name_check_accepts(tmp_path) -> None:
    path = _with_ask(tmp_path, ["out_o1", "E_total", "∂E/∂w5", "layers[1].out[1]"])
    solution, doc = _solved(path)
    asked = asked_quantities(solution, ["out_o1", "E_total", "∂E/∂w5", "layers[1].out[1]"], doc=doc)
    assert [a.label for a in asked] == ["out_o1", "E_total", "dE_dw5", "out_o2"]
    assert [a.symbol for a in asked] == ["out_o1", "E_total", "∂E/∂w5", "out_o2"]
    assert asked[0].value == pytest.approx(0.7513650695523156)
    assert [a.decimals for a in asked] == [4, 4, 5, 4]  # ∂E/∂w5 = 0.08217: 4 figures


def test_a_list_is_asked_number_by_number() -> None:
    solution, _ = _solved(EXAMPLES / "softmax-3-4-10-3.yaml")
    asked = asked_quantities(solution, ["probabilities"])
    assert [a.label for a in asked] == ["p_1", "p_2", "p_3", "p_4"]  # p_1 = p_4: still each once


def test_unknown_ask_is_invalid_input_naming_it_with_close_names(runner, tmp_path) -> None:
    path = _with_ask(tmp_path, ["out_o1", "out_o3"])
    result = runner.invoke(app, ["backprop", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "ask[1]" in lines[0] and "'out_o3'" in lines[0] and "did you mean: out_o2" in lines[0]
    assert "line " in lines[0] and "Traceback" not in result.output
    for command in (["solve", str(path)], ["key", str(path)]):  # every path that solves it
        assert runner.invoke(app, command).exit_code == 2


@pytest.mark.parametrize(
    ("asks", "message"),
    [
        (3, "expected a list of step labels"),
        ([], "expected a list of step labels"),
        (["out_o1", "out_o1"], "asked for twice"),
        (["layers"], "a group of results"),
        ([["out_o1"]], "expected a name"),
    ],
)
def test_bad_asks_are_one_line(runner, tmp_path, asks, message: str) -> None:
    result = runner.invoke(app, ["solve", str(_with_ask(tmp_path, asks))])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_the_api_raises_input_error_for_an_unknown_ask() -> None:
    solution, _ = _solved(EXAMPLES / "mazur.yaml")
    with pytest.raises(InputError, match="no quantity named 'netto'"):
        asked_quantities(solution, ["netto"])


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (0.5933, 4, 4),
        (0.0004386, 4, 7),
        (34944, 4, 0),
        (1.25, 4, 4),
        (-0.119, 4, 4),
        (2.0, 4, 4),
        (1.25, Places(4), 4),
        (0.04386, Significant(3), 4),
        (1.2e-20, 4, 23),
        ("car", 4, 0),
    ],
)
def test_shown_decimals(value, decimals: int, shown: int) -> None:
    assert shown_decimals(value, decimals) == shown


def test_the_teachers_page_lists_every_commands_final_answers() -> None:
    from tests.conftest import ROOT

    page = (ROOT / "docs" / "teaching-sets.md").read_text(encoding="utf-8")
    for command, parts in FINAL_ANSWERS.items():
        row = f"| `{command}` | " + ", ".join(f"`{p}`" for p in parts) + " |"
        assert row in page, row


def test_the_python_api_refuses_an_unknown_ask_with_the_same_line() -> None:
    import dlcalc

    with pytest.raises(dlcalc.InvalidInput, match=r"ask\[0\]: no quantity named 'p_9'"):
        dlcalc.solve({"command": "softmax", "logits": [1, 2, 3], "ask": ["p_9"]})
    solved = dlcalc.solve({"command": "softmax", "logits": [1, 2, 3], "ask": ["p_1"]})
    assert solved.result["probabilities"][0] == pytest.approx(0.09003057317038046)
