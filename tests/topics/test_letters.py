"""conv with letters: each written cell, with numbers put in for the letters, is the numeric conv's."""

from __future__ import annotations

import random
import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.app.commands import COMMANDS
from dlcalc.app.settings import Settings
from dlcalc.errors import InputError
from dlcalc.specs.loader import Document

LETTERS = "abcdefghijkmnpqrstuvwxyz"  # single letters only: "aw" reads as a·w (no l, o)


def solve(data: dict):
    return COMMANDS["conv"].build(Document(data, "letters.yaml"), Settings())


def read(text: str) -> sympy.Expr:
    """A written cell back as SymPy: terms such as −2aw, b², 4 (single letters, an integer first)."""
    powers = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
    total = sympy.Integer(0)
    for sign, term in re.findall(r"(^−?|[+−] )([^ ]+)", text.replace(" − ", " − ").strip()):
        coefficient, letters = re.fullmatch(r"(\d*)(.*)", term).groups()  # type: ignore[union-attr]
        value = sympy.Integer(int(coefficient)) if coefficient else sympy.Integer(1)
        for letter, power in re.findall(r"([A-Za-z])([⁰¹²³⁴⁵⁶⁷⁸⁹]*)", letters):
            value *= sympy.Symbol(letter) ** int(power.translate(powers) or 1)
        total += -value if "−" in sign else value
    return total


entry = st.one_of(st.sampled_from(LETTERS), st.integers(-3, 3))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda n: st.lists(st.lists(entry, min_size=n, max_size=n), min_size=n, max_size=n)
    ),
    st.lists(st.lists(entry, min_size=2, max_size=2), min_size=2, max_size=2),
    st.booleans(),
    st.integers(0, 1),
    st.integers(0, 2**32),
)
def test_written_cells_are_the_numeric_convolution(image, kernel, flip, padding, seed: int) -> None:
    if not any(isinstance(v, str) for row in image + kernel for v in row):
        image[0][0] = "a"
    layer = {"conv": {"kernel": kernel, "flip": flip, "padding": padding}}
    symbolic = solve({"input": image, "layers": [layer]}).result["output"][0]
    rnd = random.Random(seed)
    values = {ch: rnd.randint(-5, 5) for ch in LETTERS}
    numbers = [[values[v] if isinstance(v, str) else v for v in row] for row in image]
    k_numbers = [[values[v] if isinstance(v, str) else v for v in row] for row in kernel]
    numeric_layer = {"conv": {"kernel": k_numbers, "flip": flip, "padding": padding}}
    numeric = solve({"input": numbers, "layers": [numeric_layer]}).result["output"][0]
    symbols = {sympy.Symbol(ch): v for ch, v in values.items()}
    for got_row, want_row in zip(symbolic, numeric):
        for text, want in zip(got_row, want_row):
            assert read(text).subs(symbols) == sympy.nsimplify(want), text


def test_the_slides_toy_example() -> None:
    s = solve(
        {
            "input": [["a", "b", "c", "d"], ["e", "f", "g", "h"], ["i", "j", "k", "A"]],
            "layers": [{"conv": {"kernel": [["w", "x"], ["y", "z"]]}}],
        }
    )
    assert s.result["output"][0] == [
        ["aw + bx + ey + fz", "bw + cx + fy + gz", "cw + dx + gy + hz"],
        ["ew + fx + iy + jz", "fw + gx + jy + kz", "gw + hx + ky + Az"],
    ]
    assert s.step("y[0][0][0]").value == "aw + bx + ey + fz"  # the label numeric conv uses


def test_terms_that_combine_are_collected() -> None:
    s = solve({"input": [["a", "a"]], "layers": [{"conv": {"kernel": [[2, 3]]}}]})
    step = s.step("y[0][0][0]")
    assert step.value == "2a + 3a" and step.note == "= 5a, collected"
    assert s.result["output"] == [[["5a"]]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # with pooling or a backward pass the numbers must be numbers: the letter is named
        ({"input": [["a", "b"]], "layers": [{"maxpool": {"kernel": 1}}]}, "input[0][0]"),
        (
            {"input": [["a", "b"]], "layers": [{"conv": {"kernel": [[1, 2, 3]]}}]},
            "layers[0].conv.kernel",
        ),
        (
            {
                "input": [["a", "b"]],
                "layers": [{"conv": {"kernel": [["w"]]}}],
                "grad_output": [[1, 1]],
            },
            "input[0][0]",
        ),
        ({"input": [["a", "b c"]], "layers": [{"conv": {"kernel": [["w"]]}}]}, "input[0][1]"),
    ],
)
def test_invalid_input_names_the_field(data: dict, field: str) -> None:
    with pytest.raises(InputError) as e:
        solve(data)
    assert e.value.field == field


def test_carry_has_nothing_to_round() -> None:
    doc = Document({"input": [["a"]], "layers": [{"conv": {"kernel": [["w"]]}}]}, "l.yaml")
    assert COMMANDS["conv"].build(doc, Settings(carry=3)).result["output"] == [[["aw"]]]


def test_symbolic_work_is_bounded() -> None:
    image = [[f"a{i}{j}" for j in range(12)] for i in range(12)]
    kernel = [["w", "x", "y"], ["z", "u", "v"], ["p", "q", "r"]]
    layers = [{"conv": {"kernel": kernel}}, {"conv": {"kernel": kernel}}]
    with pytest.raises(InputError, match="terms") as e:
        solve({"input": image, "layers": layers})
    assert e.value.field == "layers[1].conv"
