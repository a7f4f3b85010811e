"""check: claims by label, symbol and path; tolerance from written decimals; error carried forward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from dlcalc.app.commands import COMMANDS
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.grading.checking import CARRIED, RIGHT, WRONG, judge, load_claims, marked, tolerance
from dlcalc.render import Format, render_text
from dlcalc.specs.loader import load
from tests.conftest import EXAMPLES

MAZUR = EXAMPLES / "mazur.yaml"
SHEET = EXAMPLES / "answers/mazur.yaml"
TRACE = EXAMPLES / "perceptron-trace.yaml"


def solve(path: Path, command: str | None = None, every_step: bool = False):
    doc = load(str(path))
    return COMMANDS[command or doc.data["command"]].build(doc, Settings(every_step=every_step))


def sheet(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def statuses(report) -> dict[str, str]:
    return {v.claim.name: v.status for v in report.verdicts}


# --- tolerance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tol"),
    [
        ("0.268", 0.0005),
        ("0.50", 0.005),
        ("0.5", 0.05),
        ("3", 0.5),
        ("-0.1200", 0.00005),
        ("1.5e-3", 0.00005),
        ("2.", 0.5),
    ],
)
def test_tolerance_from_written_decimals(text: str, tol: float) -> None:
    assert tolerance(text) == pytest.approx(tol)


def test_trailing_zeros_survive_yaml(tmp_path: Path) -> None:
    claims = load_claims(sheet(tmp_path, "a: 0.50\nb: 0.5\nc: 0.2680\nd: [0.10, 0.2]\ne: 1e-3\n"))
    tols = {c.name: c.tol for c in claims}
    assert tols["a"] == pytest.approx(0.005)
    assert tols["b"] == pytest.approx(0.05)
    assert tols["c"] == pytest.approx(0.00005)
    assert tols["d"] == pytest.approx([0.005, 0.05])
    assert claims[4].value == pytest.approx(0.001)  # YAML 1.1 reads 1e-3 as text
    assert [c.text for c in claims][:3] == ["0.50", "0.5", "0.2680"]


def test_tolerance_decides_right_or_wrong(tmp_path: Path) -> None:
    solution = solve(MAZUR)  # out_h1 = 0.593269992…
    right = judge(solution, load_claims(sheet(tmp_path, "out_h1: 0.59\nout_h2: 0.60\n")))
    assert statuses(right) == {"out_h1": RIGHT, "out_h2": RIGHT}  # 0.5969 is within ±0.005 of 0.60
    wrong = judge(solution, load_claims(sheet(tmp_path, "out_h1: 0.5934\nout_h2: 0.600\n")))
    assert statuses(wrong) == {
        "out_h1": WRONG,
        "out_h2": WRONG,
    }  # ±0.00005 and ±0.0005 are too tight
    loose = judge(solution, load_claims(sheet(tmp_path, "out_h1: 0.5934\n"), tol=0.001))
    assert statuses(loose) == {"out_h1": RIGHT}


# --- naming quantities -------------------------------------------------------------------------


def test_claims_by_label_symbol_and_path(tmp_path: Path) -> None:
    text = """\
net_h1: 0.3775
∂E/∂w5: 0.0822
dE/dw6: 0.0827
w5⁺: 0.3589
w6_new: 0.4087
δ_o1: 0.1385
w5: 0.4
layers[1].weights[0][0]: 0.3589
result.layers[0].out[1]: 0.5969
output: [0.7514, 0.7729]
loss: 0.2984
"""
    report = judge(solve(MAZUR), load_claims(sheet(tmp_path, text)))
    assert set(statuses(report).values()) == {RIGHT}
    labels = {v.claim.name: v.label for v in [*report.verdicts, *report.not_counted]}
    # w5 is a given (not a claim) and the path is w5⁺ written again: each counts once
    assert {v.claim.name for v in report.not_counted} == {"w5", "layers[1].weights[0][0]"}
    assert len(report.verdicts) == 9
    assert labels["∂E/∂w5"] == "dE_dw5"
    assert labels["w5⁺"] == "w5_new"
    assert labels["δ_o1"] == "delta_o1"
    assert (
        labels["layers[1].weights[0][0]"] == "w5_new"
    )  # a path is linked to the step that shows it
    assert labels["result.layers[0].out[1]"] == "out_h2"


def test_unknown_name_suggests_closest(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        judge(solve(MAZUR), load_claims(sheet(tmp_path, "out_h1: 0.5933\nouth_h2: 0.5969\n")))
    assert "outh_h2" in str(e.value) and "out_h2" in str(e.value)
    assert e.value.line == 2
    with pytest.raises(InputError, match=r"layers\[1\]"):
        judge(solve(MAZUR), load_claims(sheet(tmp_path, "layers[1].weight[0][0]: 0.35\n")))


def test_bad_answers_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="mapping"):
        load_claims(sheet(tmp_path, "- 0.5\n"))
    with pytest.raises(InputError, match="no value"):
        load_claims(sheet(tmp_path, 'out_h1: ""\n'))
    with pytest.raises(InputError, match="has no claims"):  # a blank is not answered
        load_claims(sheet(tmp_path, "out_h1:\n"))


# --- error carried forward ---------------------------------------------------------------------


def test_mazur_sheet_one_early_slip() -> None:
    """out_h1 is wrong; what the student worked out from it is carried forward, not wrong."""
    report = judge(solve(MAZUR), load_claims(str(SHEET)))
    got = statuses(report)
    assert got["out_h1"] == WRONG
    assert [v.claim.name for v in report.mismatches] == ["out_h1"]
    assert {got[n] for n in ("net_h1", "out_h2", "layers[1].weights[1][1]")} == {RIGHT}
    carried = {"net_o1", "out_o1", "out_o2", "E_o1", "E_total", "delta_o1", "∂E/∂w5", "w5⁺"}
    assert {n for n, s in got.items() if s == CARRIED} == carried
    assert report.first_wrong is not None and report.first_wrong.claim.name == "out_h1"
    net_o1 = next(v for v in report.verdicts if v.claim.name == "net_o1")
    assert net_o1.expected == pytest.approx(
        0.4 * 0.6033 + 0.45 * 0.5969 + 0.6
    )  # from the student's own values


def test_a_new_mistake_after_a_slip_is_still_wrong(tmp_path: Path) -> None:
    text = "out_h1: 0.6033\nnet_o1: 1.1099\nout_o1: 0.7600\nE_total: 0.2988\n"
    got = statuses(judge(solve(MAZUR), load_claims(sheet(tmp_path, text))))
    # out_o1 = σ(1.1099) = 0.7521, not 0.7600: a new mistake; E_total differs from both worlds.
    assert got == {"out_h1": WRONG, "net_o1": CARRIED, "out_o1": WRONG, "E_total": WRONG}


def test_wrong_without_an_earlier_slip_is_not_carried(tmp_path: Path) -> None:
    got = statuses(
        judge(solve(MAZUR), load_claims(sheet(tmp_path, "net_h1: 0.3775\nout_h1: 0.6033\n")))
    )
    assert got == {"net_h1": RIGHT, "out_h1": WRONG}


def test_misread_given_is_carried_forward(tmp_path: Path) -> None:
    """A student who copied w5 wrongly (0.45) and used it consistently."""
    text = "w5: 0.45\nnet_o1: 1.1356\n"  # 0.45 × 0.59327 + 0.45 × 0.59688 + 0.6
    got = statuses(judge(solve(MAZUR), load_claims(sheet(tmp_path, text))))
    assert got == {"w5": WRONG, "net_o1": CARRIED}


def test_perceptron_trace_one_wrong_epoch(tmp_path: Path) -> None:
    solution = solve(TRACE, "perceptron")
    epochs = solution.result["epochs"]
    text = "\n".join(
        [
            f"errors@1: {epochs[0]['errors']}",
            f"epochs[1].errors: {epochs[1]['errors']}",
            "epochs[1].weights: ["
            + ", ".join(f"{float(w):.2f}" for w in epochs[1]["weights"])
            + "]",
            "epochs[2].weights: [0.30, -0.18, 0.60]",  # the slip: w2 should be 0.06
            f"epochs[3].errors: {epochs[3]['errors']}",
            "weights: [" + ", ".join(f"{float(w):.2f}" for w in solution.result["weights"]) + "]",
        ]
    )
    report = judge(solution, load_claims(sheet(tmp_path, text)))
    assert [v.claim.name for v in report.mismatches] == ["epochs[2].weights"]
    assert len(report.verdicts) == 6
    assert report.result()["mismatches"][0]["correct"] == pytest.approx([0.3, -0.18, 0.06])


# --- the marked solution in every format -------------------------------------------------------


def test_marks_in_every_format() -> None:
    solution = solve(MAZUR)
    report = judge(solution, load_claims(str(SHEET)))
    out = marked(solution, report)
    assert out.marks["out_h1"].first_wrong and out.marks["net_o1"].status == CARRIED
    text = render_text(out, Format.rich, width=100)
    assert "✗ you: 0.6033 (where it went wrong)" in text
    assert "↪ you: 1.1099 (follows from your earlier value)" in text
    assert (
        "12 claims checked: 3 right, 8 carried forward, 1 wrong; it first went wrong at out_h1."
        in text
    )
    md = render_text(out, Format.markdown)
    assert "| quantity | formula | with numbers | value | check |" in md
    assert "**✗ you: 0.6033 (where it went wrong)**" in md
    tex = render_text(out, Format.latex)
    assert r"\times\ \text{\textbf{you: 0.6033 (where it went wrong)}}" in tex
    assert r"\hookrightarrow" in tex and r"\checkmark" in tex
    doc = json.loads(render_text(out, Format.json))
    step = next(s for s in doc["steps"] if s["quantity"] == "out_h1")
    assert step["mark"] == {
        "status": "wrong",
        "claimed": 0.6033,
        "correct": pytest.approx(0.593269992),
        "first_wrong": True,
    }


def test_unmarked_solution_renders_as_before() -> None:
    solution = solve(MAZUR)
    assert "check" not in render_text(solution, Format.markdown).split("\n")[4]
    assert "mark" not in render_text(solution, Format.json)


# --- the command line --------------------------------------------------------------------------


def test_cli_check_json(runner) -> None:
    result = runner.invoke(app, ["check", str(MAZUR), str(SHEET), "--format", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["command"] == "check"
    res = doc["result"]
    assert res["checked"] == 12
    assert [m["name"] for m in res["mismatches"]] == ["out_h1"]
    assert res["mismatches"][0]["claimed"] == 0.6033
    carried = [c for c in res["claims"] if c["status"] == "carried"]
    assert res["carried_forward"] == len(carried) == 8
    assert all(m["name"] != "out_h1" for m in carried)


def test_cli_check_all_right_exits_0(runner, tmp_path: Path) -> None:
    answers = sheet(tmp_path, "out_h1: 0.5933\nw5⁺: 0.3589\n")
    result = runner.invoke(app, ["check", str(MAZUR), answers])
    assert result.exit_code == 0, result.output
    assert "2 claims checked: 2 right, 0 carried forward, 0 wrong." in result.stdout


def test_cli_check_option_on_command(runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["backprop", str(MAZUR), "--check", str(SHEET), "-f", "markdown"])
    assert result.exit_code == 1
    assert "where it went wrong" in result.stdout
    network_only = tmp_path / "mazur-forward.yaml"  # the same network, without `command: backprop`
    network_only.write_text(MAZUR.read_text().replace("command: backprop", ""))
    forward = runner.invoke(app, ["forward", str(network_only), "--check", str(SHEET)])
    assert forward.exit_code == 2  # w5⁺ is not a quantity of the forward pass
    assert "delta_o1" in forward.stderr and "Traceback" not in forward.output


def test_cli_check_unknown_name_exits_2(runner, tmp_path: Path) -> None:
    answers = sheet(tmp_path, "net_h1: 0.3775\nnet_h3: 0.4\n")
    result = runner.invoke(app, ["check", str(MAZUR), answers])
    assert result.exit_code == 2
    assert "answers.yaml, line 2: net_h3:" in result.stderr
    assert "net_h1" in result.stderr


def test_cli_check_needs_a_command(runner, tmp_path: Path) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(
        "\n".join(
            line for line in MAZUR.read_text().splitlines() if not line.startswith("command:")
        )
    )
    answers = sheet(tmp_path, "net_h1: 0.3775\n")
    result = runner.invoke(app, ["check", str(spec), answers])
    assert result.exit_code == 2 and "command" in result.stderr
    ok = runner.invoke(app, ["check", str(spec), answers, "--command", "backprop"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["check", str(spec), answers, "--command", "backprop2"])
    assert bad.exit_code == 2 and "did you mean 'backprop'" in bad.stderr


def test_cli_check_tol_override(runner, tmp_path: Path) -> None:
    answers = sheet(tmp_path, "out_h1: 0.5934\n")
    assert runner.invoke(app, ["check", str(MAZUR), answers]).exit_code == 1
    assert runner.invoke(app, ["check", str(MAZUR), answers, "--tol", "0.001"]).exit_code == 0


def test_paths_no_step_shows(tmp_path: Path) -> None:
    text = "loss_after: 0.5\nlayers[0].bias: [0.35, 0.35]\nhistory[0].epoch: 1\n"
    got = statuses(judge(solve(MAZUR), load_claims(sheet(tmp_path, text))))
    assert got == {"loss_after": WRONG, "layers[0].bias": RIGHT, "history[0].epoch": RIGHT}


def test_perceptron_slip_carried_through_the_updates(tmp_path: Path) -> None:
    # w0 after row 4 should be 0.48; the student's 0.50 is then used correctly.
    text = "w0@1.4: 0.50\nwx_5@1: 3.80\no_5@1: 1\nw0@1.5: 0.48\n"
    report = judge(solve(TRACE, "perceptron"), load_claims(sheet(tmp_path, text)))
    assert statuses(report) == {
        "w0@1.4": WRONG,
        "wx_5@1": CARRIED,
        "o_5@1": RIGHT,
        "w0@1.5": CARRIED,
    }


def test_perceptron_slip_carried_across_an_epoch(tmp_path: Path) -> None:
    """Epoch 2 starts from epoch 1's last update, so a slip there is carried into epoch 2."""
    solution = solve(TRACE, "perceptron", every_step=True)
    last = solution.step("w0@1.13")
    assert last is not None and solution.step("w0@2").inputs == ["w0@1.13"]  # type: ignore[union-attr]
    slip = float(last.value) + 0.02
    text = f"w0@1.13: {slip:.2f}\nw0@2: {slip:.2f}\n"
    report = judge(solution, load_claims(sheet(tmp_path, text)))
    assert statuses(report) == {"w0@1.13": WRONG, "w0@2": CARRIED}


def test_slide_answer_with_genuine_slips() -> None:
    """The hankamber slide truncates a4 to 0.331 (z6 follows from it) and writes w46 = 0.268 for −0.261."""
    report = judge(
        solve(EXAMPLES / "hankamber.yaml"),
        load_claims(str(EXAMPLES / "answers/hankamber-slide.yaml")),
    )
    got = statuses(report)
    assert [v.claim.name for v in report.mismatches] == ["out_4", "w7⁺"]
    assert got["net_6"] == CARRIED
    assert sum(s == RIGHT for s in got.values()) == 14
    assert report.first_wrong is not None and report.first_wrong.claim.name == "out_4"
