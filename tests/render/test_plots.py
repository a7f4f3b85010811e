"""--plot: real PNG/SVG files of sensible size, and a clean message without matplotlib."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.loader import load
from dlcalc.specs.perceptron import PerceptronTraining, load_delta, load_perceptron
from dlcalc.topics.delta import solve_delta
from dlcalc.topics.perceptron import plot_data, solve_training

pytest.importorskip("matplotlib")

from dlcalc.render import plots  # noqa: E402
from tests.conftest import EXAMPLES, ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def slide_plot(path: Path) -> None:
    spec = load_perceptron(load(str(EXAMPLES / "perceptron-trace.yaml")))
    assert isinstance(spec, PerceptronTraining)
    result = solve_training(spec).result
    points, positive, columns = plot_data(spec)
    weights = [e["weights"] for e in result["epochs"]]
    plots.plot_perceptron(path, points, positive, ("Red", "Green"), columns, weights, spec.title)


def test_slide_example_png(tmp_path: Path) -> None:
    path = tmp_path / "trace.png"
    slide_plot(path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert 20_000 < len(data) < 2_000_000
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copyfile(path, docs / "perceptron-trace.png")  # the README shows this figure


def test_slide_example_svg(tmp_path: Path) -> None:
    path = tmp_path / "trace.svg"
    slide_plot(path)
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text[:2000] and text.rstrip().endswith("</svg>")
    assert 10_000 < len(text) < 5_000_000


def test_delta_error_plot(tmp_path: Path) -> None:
    spec = load_delta(load(str(EXAMPLES / "delta-rule.yaml")))
    result = solve_delta(spec).result
    path = tmp_path / "error.png"
    plots.plot_errors(path, [e["error"] for e in result["epochs"]], spec.title)
    assert path.read_bytes().startswith(PNG_MAGIC)
    assert path.stat().st_size > 5_000


def test_only_png_and_svg(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        plots.check_path(tmp_path / "trace.jpg")
    plots.check_path(tmp_path / "trace.SVG")


def test_needs_two_input_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="two input columns"):
        plots.plot_perceptron(tmp_path / "x.png", [[1.0]], [True], ("a", "b"), ["x1"], [[0.0, 1.0]])


def test_without_matplotlib_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(InputError, match=r'pip install "\.\[plot\]"'):
        plots.plot_errors(tmp_path / "e.png", [1.0, 0.5])
