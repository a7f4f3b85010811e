"""CLI tests for `conv`: files, the --input/--kernel form, every format, --check, --exact, --carry, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlcalc.app.cli import app
from tests.conftest import EXAMPLES

CONV_EXAMPLES = [
    "conv-toy.yaml",
    "conv-blur-edge.yaml",
    "conv-relu-maxpool.yaml",
    "conv-backward.yaml",
]


def run_json(runner, *args: str) -> dict:
    out = runner.invoke(app, ["conv", *args, "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def error(runner, *args: str) -> str:
    out = runner.invoke(app, ["conv", *args])
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output and "internal error" not in out.output
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert len(lines) == 1, out.output
    return lines[0]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "problem.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", CONV_EXAMPLES)
@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "json"])
def test_every_example_in_every_format(runner, name: str, fmt: str) -> None:
    out = runner.invoke(app, ["conv", str(EXAMPLES / name), "--format", fmt])
    assert out.exit_code == 0, out.output
    if fmt == "latex":
        assert r"\boxed{" in out.stdout and r"\begin{align*}" in out.stdout  # window, steps
    else:
        assert "y₁₁" in out.stdout or "y₁,₁₁" in out.stdout


def test_toy_example_shows_each_sum_with_numbers(runner) -> None:
    out = runner.invoke(app, ["conv", str(EXAMPLES / "conv-toy.yaml")])
    assert "1 × 2 + 3 × 1 + 4 × 0 + 1 × (−1)" in out.stdout
    assert "[1]" in out.stdout  # the receptive window of y₁₁ is marked in the input grid


def test_command_line_form(runner) -> None:
    doc = run_json(runner, "--input", "0 1 2; 3 4 5; 6 7 8", "--kernel", "0 1; 2 3")
    assert doc["result"]["output"] == [[[19, 25], [37, 43]]]
    first = doc["steps"][2]
    assert first["quantity"] == "y[0][0][0]"
    assert first["substituted"] == "0 × 0 + 1 × 1 + 3 × 2 + 4 × 3"
    flipped = run_json(runner, "-i", "0 1 2; 3 4 5; 6 7 8", "-k", "0 1; 2 3", "--flip")
    assert flipped["result"]["output"] == [[[5, 11], [23, 29]]]
    padded = run_json(runner, "-i", "1,2;3,4", "-k", "1", "--padding", "1", "--bias", "-1")
    assert padded["result"]["output"] == [
        [[-1, -1, -1, -1], [-1, 0, 1, -1], [-1, 2, 3, -1], [-1, -1, -1, -1]]
    ]


def test_backward_example_matches_hand_values(runner) -> None:
    layer = run_json(runner, str(EXAMPLES / "conv-backward.yaml"))["result"]["layers"][0]
    # ∂L/∂K[u][v] = Σ x[i+u][j+v]·g[i][j] with g = [[1, −1], [0.5, 2]]
    assert layer["grad_kernel"] == [[[[8.5, 11], [16, 18.5]]]]
    assert layer["grad_bias"] == [2.5]
    assert layer["grad_input"] == [[[0, 1, -1], [2, 1.5, -1], [1, 5.5, 6]]]


def test_average_is_exact(runner, tmp_path: Path) -> None:
    path = write(tmp_path, "input: [[1, 2, 2]]\nlayers:\n  - avgpool: {kernel: [1, 3]}\n")
    doc = run_json(runner, path, "--exact")
    step = next(s for s in doc["steps"] if s["quantity"] == "pool[0][0][0]")
    assert step["exact"] == "5/3"
    assert step["value"] == pytest.approx(5 / 3)


def test_carry_rounds_every_cell(runner, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "input: [[1, 2, 2, 0]]\nlayers:\n  - avgpool: {kernel: [1, 3], stride: 1}\n  - conv: {kernel: [[3, 3]]}\n",
    )
    doc = run_json(runner, path, "--carry", "2")
    assert doc["result"]["layers"][0]["output"] == [[[1.67, 1.33]]]
    assert doc["result"]["output"] == [[[9.0]]]  # 3·1.67 + 3·1.33, not 3·(5/3 + 4/3)


def test_check_labels_symbols_paths_and_carried_errors(runner, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "y[0][0][0]: 3\n"  # wrong: 2
        "a[0][0][0]: 3\n"  # carried forward from y
        "pool[0][0][0]: 6\n"
        "layers[0].output[0][1][1]: 2\n",
        encoding="utf-8",
    )
    out = runner.invoke(
        app,
        ["conv", str(EXAMPLES / "conv-relu-maxpool.yaml"), "--check", str(answers), "-f", "json"],
    )
    assert out.exit_code == 1, out.output
    result = json.loads(out.stdout)["result"]
    assert [m["name"] for m in result["mismatches"]] == ["y[0][0][0]"]
    assert [c["name"] for c in result["claims"] if c["status"] == "carried"] == ["a[0][0][0]"]
    assert result["checked"] == 4


def test_long_problem_writes_first_cells_and_every_step_writes_all(runner, tmp_path: Path) -> None:
    rows = [[(3 * i + j) % 7 for j in range(12)] for i in range(12)]
    path = write(
        tmp_path, json.dumps({"input": rows, "layers": [{"conv": {"kernel": [[1, 0], [0, 1]]}}]})
    )
    short = run_json(runner, path)
    cells = [s for s in short["steps"] if s["quantity"].startswith("y[")]
    assert len(cells) == 4
    assert any("every-step" in n for n in short.get("notes", []))
    full = run_json(runner, path, "--every-step")
    assert len([s for s in full["steps"] if s["quantity"].startswith("y[")]) == 121
    assert full["result"] == short["result"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1, 1, 1], [1, 1, 1], [1, 1, 1]]}\n",
            "line 3: layers[0].conv.kernel: the kernel 3×3 is larger than its padded input 2×2",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1]], stride: 0}\n",
            "layers[0].conv.stride",
        ),
        (
            "input: [[1, 2], [3]]\nlayers:\n  - conv: {kernel: [[1]]}\n",
            "line 1: input[1]: row 1 has 1 number but row 0 has 2",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1], [1, 2]]}\n",
            "layers[0].conv.kernel[1]",
        ),
        (
            "input: [[[1]], [[2]]]\nlayers:\n  - conv: {kernel: [[1]]}\n",
            "the kernel has 1 channel but its input has 2",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1]], padding: same, stride: 2}\n",
            "same padding needs stride 1",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1]]}\ngrad_output: [[1]]\n",
            "line 4: grad_output: grad_output is 1×1 but the last layer's output is 2×2",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - convo: {kernel: [[1]]}\n",
            "unknown layer 'convo' (did you mean 'conv'?)",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1]], strid: 2}\n",
            "unknown key 'strid'",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - activation: softmax\n",
            "unknown activation 'softmax'",
        ),
        (
            "input: [[1, x], [3, 4]]\nlayers:\n  - maxpool: {kernel: 2}\n",
            "input[0][1]: row 0, item 1: expected a number",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - maxpool: {kernel: 2, padding: 2}\n",
            "more than half the pooling window",
        ),
        (
            "input: [[1, 2], [3, 4]]\nlayers:\n  - conv: {kernel: [[1]], filters: [{kernel: [[1]]}]}\n",
            "not both",
        ),
    ],
)
def test_bad_problems_exit_2_with_one_line(
    runner, tmp_path: Path, text: str, expected: str
) -> None:
    line = error(runner, write(tmp_path, text))
    assert expected in line, line


def test_bad_command_line_numbers(runner) -> None:
    assert "--kernel" in error(runner, "--input", "1 2; 3 4")
    assert "command line: input[1]: row 1 has 1 number but row 0 has 2" in error(
        runner, "--input", "1 2; 3", "--kernel", "1"
    )
    assert "stride" in error(runner, "-i", "1 2; 3 4", "-k", "1", "--stride", "-1")
    assert "--flip" in error(runner, "--flip")
