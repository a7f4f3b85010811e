"""The Grid item (added for conv): every renderer shows the cells, the window and the padding."""

from __future__ import annotations

from dlcalc.model.steps import Grid, Section, Solution
from dlcalc.render import Format, render_text


def solution(grid: Grid) -> Solution:
    return Solution("conv", [Section("grids", [grid])], {})


WINDOW = Grid(
    "window of y₁₁ in x",
    [[0, 1, 2], [3, -4, 5]],
    highlight=frozenset({(0, 0), (0, 1)}),
    faint=frozenset({(1, 2)}),
)


def test_terminal_marks_the_window_in_brackets() -> None:
    text = render_text(solution(WINDOW), Format.rich)
    assert "window of y₁₁ in x" in text
    assert "[0]" in text and "[1]" in text and "[2]" not in text
    assert "−4" in text


def test_markdown_and_latex_mark_the_window() -> None:
    md = render_text(solution(WINDOW), Format.markdown)
    assert "| **[0]** | **[1]** | 2 |" in md
    assert "| 3 | −4 | *5* |" in md
    tex = render_text(solution(WINDOW), Format.latex)
    assert r"\boxed{0} & \boxed{1} & 2 \\ 3 & -4 & 5" in tex
    assert r"window of y$_{1}$$_{1}$ in x" in tex


def test_wide_grids_split_into_blocks_of_columns_in_80_columns() -> None:
    cells = [[round(0.1234 * (i + j), 4) for j in range(28)] for i in range(3)]
    text = render_text(solution(Grid("x", cells)), Format.rich, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    for value in ("0.1234", "3.3318", "3.5786"):  # the first, the last of row 1, the last cell
        assert value in text
