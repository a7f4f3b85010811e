"""Renderers: golden files for the slides' network examples, number formatting and LaTeX maths."""

from __future__ import annotations

import pytest

from dlcalc.render import Format, render_text
from dlcalc.render.latex import math
from dlcalc.render.numbers import fmt
from dlcalc.specs.loader import load
from dlcalc.specs.network import load_network
from dlcalc.topics.network import solve_backprop, solve_forward
from tests.conftest import EXAMPLES


def solved(name: str, command: str, **options):  # type: ignore[no-untyped-def]
    spec = load_network(load(str(EXAMPLES / name)), training=command == "backprop")
    return (
        solve_backprop(spec, **options) if command == "backprop" else solve_forward(spec, **options)
    )


@pytest.mark.parametrize(
    ("example", "command", "fmt_", "golden_name"),
    [
        ("mazur.yaml", "backprop", Format.rich, "mazur-backprop.txt"),
        ("mazur.yaml", "backprop", Format.markdown, "mazur-backprop.md"),
        ("mazur.yaml", "backprop", Format.latex, "mazur-backprop.tex"),
        ("hankamber.yaml", "backprop", Format.rich, "hankamber-backprop.txt"),
        ("bce-binary.yaml", "forward", Format.rich, "bce-binary-forward.txt"),
        ("ce-multiclass.yaml", "forward", Format.rich, "ce-multiclass-forward.txt"),
    ],
)
def test_slide_examples_render_as_pinned(
    example: str, command: str, fmt_: Format, golden_name: str, golden
) -> None:
    golden(golden_name, render_text(solved(example, command), fmt_, decimals=4, width=80))


def test_rich_output_fits_80_columns() -> None:
    text = render_text(solved("mazur.yaml", "backprop"), Format.rich, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_long_run_shows_first_update_history_and_final_parameters() -> None:
    spec = load_network(load(str(EXAMPLES / "mazur.yaml")), training=True).model_copy(
        update={"epochs": 1000}
    )
    text = render_text(solve_backprop(spec), Format.rich, width=80)
    assert text.count("w5⁺") == 1
    assert "Loss per epoch" in text and "Final parameters" in text
    assert "50 of 1,001 rows shown" in text  # a sample of the history, first and last included


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.3775, "0.3775"),
        (0.35, "0.35"),
        (1.0, "1"),
        (0.593269992, "0.5933"),
        (0.000438568, "0.0004386"),
        (-0.12, "−0.12"),
        (34944, "34,944"),
        (float("inf"), "∞"),
        (-0.0, "0"),
        (True, "yes"),
    ],
)
def test_number_format(value: object, shown: str) -> None:
    assert fmt(value, 4) == shown


def test_latex_maths() -> None:
    assert math("1/(1 + e^(−net_h1))") == r"1/(1 + e^{-\mathrm{net}_{\mathrm{h1}}})"
    assert math("∂E/∂w5") == r"\partial E/\partial w_{5}"
    assert math("w5⁺") == "w_{5}^{+}"
    assert (
        math("½ × (t_o1 − out_o1)²")
        == r"\tfrac{1}{2} \times  (t_{\mathrm{o1}} - \mathrm{out}_{\mathrm{o1}})^{2}"
    )
