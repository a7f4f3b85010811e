"""Numeric edge cases of issue 12, item 12, and the KL-in-bits labels of item 10."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcalc.specs.loader import Document
from dlcalc.specs.losses import load_kld
from dlcalc.topics.calculus import solve_graph
from dlcalc.topics.losses import solve_kld


def _kl(data: dict) -> float:
    return solve_kld(load_kld(Document(data, "p.yaml"))).result["kl"]


def _standard_kl_by_hand(mu: Fraction, sigma_exponent: int) -> float:
    """½(μ² + σ² − 1 − ln σ²) with σ = 10^k: ln σ² = 2k·ln 10, exactly as written."""
    sigma2 = Fraction(10) ** (2 * sigma_exponent)
    return float(mu * mu + sigma2 - 1) / 2 - sigma_exponent * math.log(10)


def test_tiny_sigma_gives_the_true_kl() -> None:
    assert _kl({"gaussian": {"mu": [0], "sigma": [1e-200]}}) == pytest.approx(
        460.01701859880914, rel=1e-15
    )
    assert _kl({"gaussian": {"mu": [0], "sigma": [1e-160]}}) == pytest.approx(
        367.91361487904731, rel=1e-15
    )


@given(st.integers(min_value=-300, max_value=-1), st.integers(min_value=-5, max_value=5))
def test_small_sigmas_match_the_exact_formula(exponent: int, mu: int) -> None:
    kl = _kl({"gaussian": {"mu": [mu], "sigma": [10.0**exponent]}})
    assert kl == pytest.approx(_standard_kl_by_hand(Fraction(mu), exponent), rel=1e-12)


@pytest.mark.parametrize("sigma", [1e-200, 1e-160, 1e-3, 1.0, 1e100])
def test_two_equal_gaussians_have_kl_zero(sigma: float) -> None:
    data = {"gaussian": {"mu": [0.5], "sigma": [sigma], "q": {"mu": [0.5], "sigma": [sigma]}}}
    assert _kl(data) == 0.0


def test_gaussian_pair_matches_the_textbook_formula() -> None:
    data = {"gaussian": {"mu": [1.0], "sigma": [1.0], "q": {"mu": [0.0], "sigma": [2.0]}}}
    expected = math.log(2.0) + (1.0 + 1.0) / (2 * 4.0) - 0.5
    assert _kl(data) == pytest.approx(expected, rel=1e-15)


def test_kl_in_bits_is_written_with_log2() -> None:
    solution = solve_kld(load_kld(Document({"p": [0.5, 0.5], "q": [0.9, 0.1], "base": 2}, "p")))
    titles = " ".join(s.title for s in solution.sections)
    symbols = " ".join((s.symbol or "") + (s.formula() or "") for s in solution.steps)
    assert "log₂" in titles and "ln" not in titles
    assert "log₂(p_1/q_1)" in symbols and "ln(" not in symbols
    assert solution.result["kl"] == pytest.approx(0.5 * math.log2(5 / 9) + 0.5 * math.log2(5))


def test_graph_of_a_negative_constant_power_at_a_negative_input() -> None:
    solution = solve_graph("x^-1", {"x": -2.0})
    assert solution.result["value"] == pytest.approx(-0.5)
    assert solution.result["gradient"]["x"] == pytest.approx(-0.25)  # d(1/x)/dx = −1/x²
    with pytest.raises(Exception, match="no finite real"):
        solve_graph("x^y", {"x": -2.0, "y": -1.0})  # a symbolic exponent does need ln(−2)
