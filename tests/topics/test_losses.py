"""softmax, cross-entropy and KL: slide values, properties (hypothesis) and PyTorch as an oracle."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.specs.loader import Document
from dlcalc.specs.losses import load_crossentropy, load_kld, load_softmax
from dlcalc.topics.losses import solve_crossentropy, solve_kld, solve_softmax


def softmax(data: dict, carry: int | None = None) -> dict:
    return solve_softmax(load_softmax(Document(data, "t.yaml")), carry).result


def crossentropy(data: dict, carry: int | None = None) -> dict:
    return solve_crossentropy(load_crossentropy(Document(data, "t.yaml")), carry).result


def kld(data: dict) -> dict:
    return solve_kld(load_kld(Document(data, "t.yaml"))).result


scores = st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=1, max_size=8)


def distribution(n: int) -> st.SearchStrategy[list[float]]:
    return (
        st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)
        .filter(lambda v: sum(v) > 1e-3)
        .map(lambda v: [x / math.fsum(v) for x in v])
    )


# --- softmax --------------------------------------------------------------------------------


def test_softmax_slide_examples() -> None:
    assert softmax({"logits": [3, 4, 10, 3]})["probabilities"] == pytest.approx(
        [0.000907975, 0.002468133, 0.995715916, 0.000907975], abs=1e-9
    )
    assert softmax({"logits": [7, -2, 4, 1]})["probabilities"] == pytest.approx(
        [0.950218770, 0.000117266, 0.047308607, 0.002355357], abs=1e-9
    )


def test_softmax_says_it_subtracts_the_max_and_shows_the_naive_failure() -> None:
    solution = solve_softmax(
        load_softmax(Document({"logits": [7, -2, 4, 1], "show_naive": True}, "t"))
    )
    assert any(isinstance(i, str) and "max" in i for i in solution.sections[0].items)
    naive = solution.step("naive_2")
    assert naive is not None and naive.value == pytest.approx(-0.2)
    assert any(
        isinstance(i, str) and "fails for negative scores" in i for i in solution.sections[-1].items
    )


def test_softmax_temperature() -> None:
    hot = softmax({"logits": [1, 2, 3], "temperature": 2})["probabilities"]
    assert hot == pytest.approx(softmax({"logits": [0.5, 1, 1.5]})["probabilities"])


def test_softmax_of_huge_scores_does_not_overflow() -> None:
    assert softmax({"logits": [1000, -1000, 999]})["probabilities"] == pytest.approx(
        [1 / (1 + math.exp(-1)), 0, math.exp(-1) / (1 + math.exp(-1))]
    )


def test_softmax_carry_rounds_intermediates() -> None:
    result = softmax({"logits": [3, 4, 10, 3]}, carry=2)
    assert result["exp_shifted"] == [0.0, 0.0, 1.0, 0.0]


@given(scores)
def test_softmax_sums_to_one(z: list[float]) -> None:
    assert math.fsum(softmax({"logits": z})["probabilities"]) == pytest.approx(1.0, abs=1e-12)


@given(scores, st.floats(-100, 100))
def test_softmax_is_shift_invariant(z: list[float], c: float) -> None:
    a = softmax({"logits": z})["probabilities"]
    b = softmax({"logits": [x + c for x in z]})["probabilities"]
    assert b == pytest.approx(a, abs=1e-9)


# --- cross-entropy --------------------------------------------------------------------------


def test_crossentropy_slide_examples() -> None:
    assert crossentropy({"target": [0, 0, 1], "probabilities": [0.2718, 0.2634, 0.4648]})[
        "loss"
    ] == pytest.approx(-math.log(0.4648))
    assert crossentropy({"target": 0, "probability": 0.7152})["loss"] == pytest.approx(
        -math.log(1 - 0.7152)
    )


def test_crossentropy_base_2_several_rows_and_mean() -> None:
    result = crossentropy(
        {"target": [[1, 0], [0.5, 0.5]], "probabilities": [[0.5, 0.5], [0.25, 0.75]], "base": 2}
    )
    second = -(0.5 * math.log2(0.25) + 0.5 * math.log2(0.75))
    assert result["losses"] == pytest.approx([1.0, second])
    assert result["loss"] == pytest.approx((1.0 + second) / 2)


def test_binary_from_logit_is_stable() -> None:
    assert crossentropy({"target": 1, "logit": 1000})["loss"] == 0.0
    assert crossentropy({"target": 0, "logit": 1000})["loss"] == pytest.approx(1000)
    assert crossentropy({"target": [1, 0], "logit": [0.3, -0.2]})["loss"] == pytest.approx(
        (-math.log(1 / (1 + math.exp(-0.3))) - math.log(1 - 1 / (1 + math.exp(0.2)))) / 2
    )


def test_logits_of_plus_minus_1000() -> None:
    assert crossentropy({"target": [0, 1], "logits": [1000, -1000]})["loss"] == pytest.approx(2000)
    assert crossentropy({"target": [1, 0], "logits": [1000, -1000]})["loss"] == 0.0


def test_zero_probability_on_the_target_gives_infinity() -> None:
    assert crossentropy({"target": [0, 1], "probabilities": [1, 0]})["loss"] == math.inf


@given(
    st.integers(2, 6).flatmap(
        lambda n: st.tuples(st.lists(st.floats(-50, 50), min_size=n, max_size=n), distribution(n))
    )
)
def test_crossentropy_from_logits_equals_crossentropy_of_softmax(
    case: tuple[list[float], list[float]],
) -> None:
    z, t = case
    t = [x / math.fsum(t) for x in t]
    assume(abs(math.fsum(t) - 1) < 1e-9)
    p = softmax({"logits": z})["probabilities"]
    assume(all(x > 1e-300 for x in p))
    p = [x / math.fsum(p) for x in p]
    from_logits = crossentropy({"target": t, "logits": z})["loss"]
    direct = -math.fsum(ti * math.log(pi) for ti, pi in zip(t, p) if ti > 0)
    assert from_logits == pytest.approx(direct, rel=1e-7, abs=1e-7)


def test_crossentropy_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    z = [[2.0, -1.0, 0.5], [1000.0, -1000.0, 0.0]]
    t = [[0, 0, 1], [0, 1, 0]]
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(z, dtype=torch.float64), torch.tensor([2, 1])
    ).item()
    assert crossentropy({"target": t, "logits": z})["loss"] == pytest.approx(expected, rel=1e-12)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([0.7, -3.0], dtype=torch.float64),
        torch.tensor([1.0, 0.0], dtype=torch.float64),
    ).item()
    assert crossentropy({"target": [1, 0], "logit": [0.7, -3.0]})["loss"] == pytest.approx(
        bce, rel=1e-12
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"target": [0, 1], "probabilities": [0.5, 0.6]}, "probabilities"),
        ({"target": [0, 1], "probabilities": [-0.5, 1.5]}, "probabilities[0]"),
        ({"target": [0, 0, 1], "probabilities": [0.5, 0.5]}, "target"),
        ({"target": [0, 2], "probabilities": [0.5, 0.5]}, "target"),
        ({"target": 1, "probability": 1.2}, "probability"),
        ({"target": 3, "probability": 0.2}, "target"),
        ({"target": [0, 1], "probabilities": [0.5, 0.5], "logits": [1, 2]}, "logits"),
        ({"target": [0, 1]}, "target"),
        ({"target": [0, 1], "probabilities": [0.5, 0.5], "base": 3}, "base"),
    ],
)
def test_crossentropy_invalid(data: dict, field: str) -> None:
    with pytest.raises(InputError) as e:
        crossentropy(data)
    assert e.value.field == field


# --- KL divergence --------------------------------------------------------------------------


def test_kl_discrete_both_directions_and_identity() -> None:
    solution = solve_kld(load_kld(Document({"p": [0.5, 0.5], "q": [0.9, 0.1]}, "t")))
    r = solution.result
    assert r["kl"] == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5))
    assert r["kl_reverse"] == pytest.approx(0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5))
    assert r["cross_entropy"] == pytest.approx(r["entropy"] + r["kl"])
    assert kld({"p": [0.5, 0.5], "q": [0.9, 0.1], "base": 2})["kl"] == pytest.approx(
        r["kl"] / math.log(2)
    )


def test_kl_zero_terms() -> None:
    assert kld({"p": [0, 1], "q": [0.5, 0.5]})["kl"] == pytest.approx(
        math.log(2)
    )  # p = 0 contributes 0
    solution = solve_kld(load_kld(Document({"p": [0.5, 0.5], "q": [1, 0]}, "t")))
    assert solution.result["kl"] == math.inf
    assert any("infinite" in n for n in solution.notes)


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(distribution(n), distribution(n))))
def test_kl_is_never_negative(case: tuple[list[float], list[float]]) -> None:
    p, q = case
    assume(abs(math.fsum(p) - 1) < 1e-9 and abs(math.fsum(q) - 1) < 1e-9)
    assert kld({"p": p, "q": q})["kl"] >= -1e-12


@given(st.integers(1, 6).flatmap(distribution))
def test_kl_of_a_distribution_with_itself_is_zero(p: list[float]) -> None:
    assume(abs(math.fsum(p) - 1) < 1e-9)
    assert kld({"p": p, "q": p})["kl"] == pytest.approx(0.0, abs=1e-12)


def test_kl_is_positive_when_p_differs_from_q() -> None:
    assert kld({"p": [0.3, 0.7], "q": [0.31, 0.69]})["kl"] > 0


def test_gaussian_kl_vae_latent_loss() -> None:
    r = kld({"gaussian": {"mu": [0.5, -1.0], "sigma": [1.0, 0.5]}})
    assert r["kl_per_dimension"] == pytest.approx([0.125, 0.5 * (1 + 0.25 - 1 - math.log(0.25))])
    assert r["kl"] == pytest.approx(0.9431471805599454)
    same = kld({"gaussian": {"mu": [0.5, -1.0], "logvar": [0.0, math.log(0.25)]}})
    assert same["kl"] == pytest.approx(r["kl"])


def _integrated_kl(m1: float, s1: float, m2: float, s2: float) -> float:
    """∫ p(x) ln(p(x)/q(x)) dx by the midpoint rule over ±12 σ: the discrete definition, made fine."""

    def log_pdf(x: float, m: float, s: float) -> float:
        return -0.5 * ((x - m) / s) ** 2 - math.log(s * math.sqrt(2 * math.pi))

    n, lo, hi = 20000, m1 - 12 * s1, m1 + 12 * s1
    dx = (hi - lo) / n
    total = 0.0
    for k in range(n):
        x = lo + (k + 0.5) * dx
        lp = log_pdf(x, m1, s1)
        total += math.exp(lp) * (lp - log_pdf(x, m2, s2)) * dx
    return total


@settings(max_examples=20, deadline=None)
@given(st.floats(-2, 2), st.floats(0.3, 3), st.floats(-2, 2), st.floats(0.3, 3))
def test_gaussian_kl_matches_numerical_integration(
    m1: float, s1: float, m2: float, s2: float
) -> None:
    closed = kld({"gaussian": {"mu": m1, "sigma": s1, "q": {"mu": m2, "sigma": s2}}})["kl"]
    assert closed == pytest.approx(_integrated_kl(m1, s1, m2, s2), rel=1e-5, abs=1e-7)


def test_gaussian_kl_to_standard_normal_matches_integration() -> None:
    assert kld({"gaussian": {"mu": [0.7], "sigma": [0.4]}})["kl"] == pytest.approx(
        _integrated_kl(0.7, 0.4, 0.0, 1.0), rel=1e-6
    )


def test_kl_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    p, q = [0.1, 0.6, 0.3], [0.3, 0.3, 0.4]
    expected = torch.nn.functional.kl_div(
        torch.tensor(q, dtype=torch.float64).log(),
        torch.tensor(p, dtype=torch.float64),
        reduction="sum",
    ).item()
    assert kld({"p": p, "q": q})["kl"] == pytest.approx(expected, rel=1e-12)
    normal = torch.distributions.Normal
    expected = torch.distributions.kl_divergence(
        normal(torch.tensor(1.5), torch.tensor(0.5)), normal(torch.tensor(-0.5), torch.tensor(2.0))
    ).item()
    assert kld({"gaussian": {"mu": 1.5, "sigma": 0.5, "q": {"mu": -0.5, "sigma": 2.0}}})[
        "kl"
    ] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"p": [0.5, 0.5], "q": [0.5, 0.6]}, "q"),
        ({"p": [1.5, -0.5], "q": [0.5, 0.5]}, "p[1]"),
        ({"p": [0.5, 0.5], "q": [1.0]}, "q"),
        ({"p": [0.5, 0.5]}, "q"),
        ({"gaussian": {"mu": [0], "sigma": [0]}}, "gaussian.sigma"),
        ({"gaussian": {"mu": [0, 1], "sigma": [1]}}, "gaussian.sigma"),
        ({"gaussian": {"mu": [0], "sigma": [1], "logvar": [0]}}, "gaussian"),
        ({"p": [1], "q": [1], "gaussian": {"mu": [0], "sigma": [1]}}, "gaussian"),
        ({"p": [1], "q": [1], "qq": 1}, "qq"),
    ],
)
def test_kl_invalid(data: dict, field: str) -> None:
    with pytest.raises(InputError) as e:
        kld(data)
    assert e.value.field == field
