"""check on gan, vae, attention and autoencoder: own answers all ✓, one slip → one ✗ and ↪ after it.

The machinery is tests/test_trust_property.py's (the student's world worked out on its own,
with and without --carry); here it runs on random problems of these commands.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.test_trust_property import FEW, check_modes, matrix, pick, tenth

probability = st.integers(1, 19).map(lambda k: k / 20)


@given(
    st.lists(probability, min_size=1, max_size=3),
    st.lists(probability, min_size=1, max_size=3),
    st.sampled_from(["non_saturating", "saturating"]),
    pick,
)
@FEW
def test_gan_check_modes(real: list[float], fake: list[float], generator: str, k: int) -> None:
    check_modes("gan", {"real": real, "fake": fake, "generator": generator}, k)


@st.composite
def vae_problems(draw: Any) -> dict[str, Any]:
    d = draw(st.integers(1, 2))
    n = draw(st.integers(1, 3))
    return {
        "mu": draw(st.lists(tenth, min_size=d, max_size=d)),
        "log_variance": draw(st.lists(tenth, min_size=d, max_size=d)),
        "noise": draw(st.lists(tenth, min_size=d, max_size=d)),
        "x": draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)),
        "reconstruction": draw(st.lists(probability, min_size=n, max_size=n)),
        "reconstruction_loss": draw(st.sampled_from(["bce", "sse"])),
        "beta": draw(st.sampled_from([0.5, 1, 2])),
        "grad_z": draw(st.lists(tenth, min_size=d, max_size=d)),
    }


@given(vae_problems(), pick)
@FEW
def test_vae_check_modes(problem: dict[str, Any], k: int) -> None:
    check_modes("vae", problem, k)


@st.composite
def attention_problems(draw: Any) -> dict[str, Any]:
    n, m, d = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    data = {
        "queries": draw(matrix(n, d)),
        "keys": draw(matrix(m, d)),
        "values": draw(matrix(m, d)),
        "grad_output": draw(matrix(n, d)),
    }
    if m > 1 and draw(st.booleans()):
        data["mask"] = [
            [1] + [draw(st.sampled_from([0, 1])) for _ in range(m - 1)] for _ in range(n)
        ]
    return data


@given(attention_problems(), pick)
@FEW
def test_attention_check_modes(problem: dict[str, Any], k: int) -> None:
    check_modes("attention", problem, k)


@st.composite
def autoencoder_problems(draw: Any) -> dict[str, Any]:
    n, k = draw(st.integers(2, 3)), draw(st.integers(1, 2))
    data: dict[str, Any] = {
        "input": draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)),
        "weights": draw(matrix(k, n)),
        "bias": draw(st.lists(tenth, min_size=k, max_size=k)),
        "tied": True,
        "loss": "half_sse",  # bce and KL need values in (0, 1), which a slip may leave
    }
    if draw(st.booleans()):
        data["sparsity"] = {"kind": "l1", "weight": 0.1}
    if draw(st.booleans()):
        data["contractive"] = 0.1
    if draw(st.booleans()):
        data["noise_mask"] = [1] * (n - 1) + [0]
    return data


@given(autoencoder_problems(), pick)
@FEW
def test_autoencoder_check_modes(problem: dict[str, Any], k: int) -> None:
    check_modes("autoencoder", problem, k)
