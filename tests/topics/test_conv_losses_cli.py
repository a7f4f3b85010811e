"""CLI tests for conv-shape, softmax, crossentropy and kld: files, stdin, arguments, errors, goldens."""

from __future__ import annotations

import json

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

EXAMPLE_COMMANDS = [
    ("conv-shape", "alexnet.yaml"),
    ("softmax", "softmax-3-4-10-3.yaml"),
    ("softmax", "softmax-7-2-4-1.yaml"),
    ("kld", "vae-latent-kl.yaml"),
]


def result(runner, *args: str) -> dict:
    out = runner.invoke(app, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["result"]


def error(runner, *args: str, input: str | None = None) -> str:
    out = runner.invoke(app, list(args), input=input)
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output
    return out.output


def test_softmax_from_arguments_matches_the_file(runner) -> None:
    assert result(runner, "softmax", "3", "4", "10", "3") == result(
        runner, "softmax", str(EXAMPLES / "softmax-3-4-10-3.yaml")
    )


def test_softmax_negative_numbers_are_numbers_not_options(runner) -> None:
    probabilities = result(runner, "softmax", "7", "-2", "4", "1")["probabilities"]
    assert probabilities[1] == pytest.approx(0.00011726631224247568)
    assert result(runner, "softmax", "-1.5", "-2e1", "--temperature", "2")["temperature"] == 2


def test_softmax_options_after_numbers_and_naive(runner) -> None:
    out = runner.invoke(app, ["softmax", "7", "-2", "4", "1", "--show-naive", "-d", "2"])
    assert out.exit_code == 0, out.output
    assert "naive_2" in out.stdout
    assert "= −0.2" in out.stdout


def test_softmax_from_stdin(runner) -> None:
    out = runner.invoke(app, ["softmax", "-", "-f", "json"], input="logits: [1, 2]\n")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["result"]["probabilities"][1] == pytest.approx(0.7310585786300049)


def test_crossentropy_argument_forms(runner) -> None:
    assert result(
        runner, "crossentropy", "--target", "0,0,1", "--probabilities", "0.2718,0.2634,0.4648"
    )["loss"] == pytest.approx(0.7661480734444356)
    assert result(runner, "crossentropy", "--target", "0", "--probability", "0.7152")[
        "loss"
    ] == pytest.approx(1.255968099444316)
    rows = result(
        runner, "crossentropy", "--target", "0,1;1,0", "--logits", "-1000,1000;0,0", "--base", "2"
    )
    assert rows["losses"] == pytest.approx([0.0, 1.0])
    assert rows["loss"] == pytest.approx(0.5)


def test_kld_argument_forms(runner) -> None:
    assert result(runner, "kld", "--p", "0.5,0.5", "--q", "0.9,0.1")["kl"] == pytest.approx(
        0.5108256237659907
    )
    assert result(runner, "kld", "--p", "0.5,0.5", "--q", "0.9,0.1", "--base", "2")[
        "kl"
    ] == pytest.approx(0.7369655941662061)
    assert result(runner, "kld", "--mu", "0.5,-1", "--sigma", "1,0.5")["kl"] == pytest.approx(
        0.9431471805599454
    )
    assert (
        result(runner, "kld", "--mu", "1", "--sigma", "1", "--q-mu", "0", "--q-sigma", "2")["kl"]
        > 0
    )


def test_kld_infinite_is_the_string_inf(runner) -> None:
    out = runner.invoke(app, ["kld", "--p", "0.5,0.5", "--q", "1,0", "-f", "json"])
    doc = json.loads(out.stdout)
    assert doc["result"]["kl"] == "inf"
    assert any("infinite" in note for note in doc["notes"])


def test_conv_shape_argument_form_matches_the_file(runner) -> None:
    layers = [
        "conv:96:11:4:0",
        "maxpool:3:2",
        "conv:256:5",
        "maxpool:3:2",
        "conv:384:3",
        "conv:384:3",
        "conv:256:3",
        "maxpool:3:2",
        "flatten",
        "dense:4096",
        "dense:1000",
    ]
    args = ["conv-shape", "--input", "227,227,3"]
    for layer in layers:
        args += ["-l", layer]
    assert result(runner, *args) == result(runner, "conv-shape", str(EXAMPLES / "alexnet.yaml"))


def test_conv_shape_pairs_and_same_on_the_command_line(runner) -> None:
    r = result(
        runner,
        "conv-shape",
        "-i",
        "224x224x3",
        "-l",
        "conv:64:3x5:1:same",
        "-l",
        "maxpool:2",
        "-l",
        "gap",
    )
    assert r["output"] == [1, 1, 64]
    assert r["layers"][0]["params"] == 3 * 5 * 3 * 64 + 64


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["softmax", "no-such-file.yaml"], "no-such-file.yaml"),
        (["softmax", "1", "two"], "logits"),
        (["softmax"], "give a problem file"),
        (["softmax", "1", "2", "--temperature", "0"], "temperature"),
        (["crossentropy", "--target", "0,1", "--probabilities", "0.5,0.6"], "probabilities"),
        (["crossentropy", "--target", "0,1", "--probabilities", "-0.5,1.5"], "probabilities[0]"),
        (["crossentropy", "--target", "0,1"], "give exactly one of"),
        (["kld", "--p", "0.5,0.5", "--q", "0.5"], "q"),
        (["kld", "--mu", "0", "--sigma", "-1"], "gaussian.sigma"),
        (["conv-shape", "-i", "5,5,3", "-l", "conv:1:7"], "larger than the padded input"),
        (["conv-shape", "-i", "5,5,3", "-l", "conv:1:3:0"], "stride"),
        (["conv-shape", "-i", "5,-5,3", "-l", "flatten"], "input[1]"),
        (["conv-shape", "-i", "5,5,3", "-l", "pool:2"], "did you mean 'maxpool'"),
        (["conv-shape", "-l", "conv:1:3"], "--input"),
        (
            ["conv-shape", str(EXAMPLES / "alexnet.yaml"), "-i", "5,5,3", "-l", "flatten"],
            "not both",
        ),
    ],
)
def test_invalid_input_exits_2_with_one_line(runner, args: list[str], words: str) -> None:
    output = error(runner, *args)
    assert words in output
    assert output.count("\n") == 1


def test_bad_problem_file_names_file_and_line(runner, tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("p: [0.5, 0.5]\nq: [0.9, 0.2]\n", encoding="utf-8")
    output = error(runner, "kld", str(path))
    assert f"{path}, line 2: q:" in output and "sum to 1.1" in output


def exact_json(runner, *args: str) -> dict[str, dict]:
    out = runner.invoke(app, [*args, "--exact", "--format", "json"])
    assert out.exit_code == 0, out.output
    return {s["quantity"]: s for s in json.loads(out.stdout)["steps"]}


def test_exact_conv_shape_steps_from_their_trees(runner) -> None:
    steps = exact_json(
        runner, "conv-shape", "-i", "32,32,3", "-l", "conv:6:5:2:0", "-l", "dense:10"
    )
    assert steps["H_1"]["exact"] == "14"  # ⌊27/2⌋ + 1, floored exactly
    assert steps["H_1"]["formula"] == "⌊(H_0 − F_1 + 2 × P_1)/S_1⌋ + 1"
    assert steps["H_1"]["value"] == 14 and isinstance(steps["H_1"]["value"], int)
    assert steps["params_1"]["exact"] == "456"
    assert steps["MACs_1"]["exact"] == str(14 * 14 * 5 * 5 * 3 * 6)
    assert steps["params_2"]["exact"] == str(14 * 14 * 6 * 10 + 10)
    assert all(s["exact"] is not None or s.get("exact_note") for s in steps.values())


def test_exact_crossentropy_and_kld_steps_from_their_trees(runner) -> None:
    ce = exact_json(
        runner, "crossentropy", "--target", "0.3", "--probability", "0.75", "--base", "2"
    )
    assert ce["L"]["formula"] == "−(t × log₂(p) + (1 − t) × log₂(1 − p))"
    assert ce["L"]["exact"] == "2 − 3·ln(3)/(10·ln(2))"
    multi = exact_json(
        runner,
        "crossentropy",
        "--target",
        "0.5,0.5",
        "--probabilities",
        "0.25,0.75",
        "--base",
        "10",
    )
    assert multi["L"]["formula"] == "−(t_1 × log₁₀(p_1) + t_2 × log₁₀(p_2))"
    assert all(s["exact"] is not None for s in multi.values()), multi
    logits = exact_json(runner, "crossentropy", "--target", "0,1", "--logits", "2,-1")
    assert logits["m"]["exact"] == "2" and logits["LSE"]["exact"] is not None
    kl = exact_json(runner, "kld", "--p", "0.5,0.5", "--q", "0.9,0.1", "--base", "2")
    assert kl["KL_pq"]["formula"] == "p_1 × log₂(p_1/q_1) + p_2 × log₂(p_2/q_2)"
    assert all(s["exact"] is not None or s.get("exact_note") for s in kl.values())
    assert sum(s["exact"] is not None for s in kl.values()) >= 6


def test_kl_with_every_p_zero_but_one_sums_what_is_left(runner) -> None:
    steps = exact_json(runner, "kld", "--p", "1,0", "--q", "0.5,0.5")
    assert steps["KL_pq"]["formula"] == "p_1 × ln(p_1/q_1)"
    assert steps["KL_pq"]["exact"] == "ln(2)"
