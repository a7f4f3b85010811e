"""conv: Gaussian kernels from σ and edge magnitude/direction, against direct computations and torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.maths.scalars import carry_round
from dlcalc.specs.convolution import load_convolution
from dlcalc.specs.loader import Document
from dlcalc.topics.convolution_solve import solve_convolution

SOBEL_X = [[-0.125, 0, 0.125], [-0.25, 0, 0.25], [-0.125, 0, 0.125]]
SOBEL_Y = [[0.125, 0.25, 0.125], [0, 0, 0], [-0.125, -0.25, -0.125]]


def solve(data: dict, carry: int | None = None):
    return solve_convolution(load_convolution(Document(data, "conv.yaml")), carry)


images = st.integers(3, 6).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 9), min_size=n, max_size=n), min_size=n, max_size=n)
)


@settings(max_examples=20, deadline=None)
@given(images, st.floats(0.3, 3).map(lambda s: round(s, 2)), st.sampled_from([1, 3, 5]))
def test_gaussian_blur_matches_a_direct_kernel_and_torch(image, sigma: float, size: int) -> None:
    torch = pytest.importorskip("torch")
    if size > len(image):
        size = 3
    r = size // 2
    offsets = np.arange(-r, r + 1)
    g = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2 * sigma**2))
    kernel = g / g.sum()
    s = solve(
        {
            "input": image,
            "layers": [{"conv": {"kernel": {"gaussian": {"sigma": sigma, "size": size}}}}],
        }
    )
    got = np.array([[s.step(f"K[0][0][{a}][{b}]").value for b in range(size)] for a in range(size)])
    np.testing.assert_allclose(got, kernel, rtol=1e-12)
    x = torch.tensor(image, dtype=torch.float64)[None, None]
    want = torch.nn.functional.conv2d(x, torch.tensor(kernel)[None, None])[0].numpy()
    np.testing.assert_allclose(
        np.array(s.result["output"], dtype=float), want, rtol=1e-9, atol=1e-12
    )


@settings(max_examples=20, deadline=None)
@given(images)
def test_edge_magnitude_and_direction_match_a_direct_computation(image) -> None:
    s = solve(
        {
            "input": image,
            "layers": [{"conv": {"filters": [{"kernel": SOBEL_X}, {"kernel": SOBEL_Y}]}}],
            "edges": True,
        }
    )
    x = np.array(image, dtype=float)
    n = len(image) - 2
    sx = np.array([[np.sum(x[i : i + 3, j : j + 3] * SOBEL_X) for j in range(n)] for i in range(n)])
    sy = np.array([[np.sum(x[i : i + 3, j : j + 3] * SOBEL_Y) for j in range(n)] for i in range(n)])
    edges = s.result["edges"]
    np.testing.assert_allclose(edges["magnitude"], np.hypot(sx, sy), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(edges["direction"], np.degrees(np.arctan2(sy, sx)), atol=1e-9)


def test_carried_gaussian_kernel_is_what_the_convolution_uses() -> None:
    s = solve(
        {
            "input": [[0, 0, 0], [0, 9, 0], [0, 0, 0]],
            "layers": [{"conv": {"kernel": {"gaussian": {"sigma": 1}}}}],
        },
        carry=3,
    )
    centre = s.step("K[0][0][1][1]")
    assert centre is not None and centre.value == carry_round(float(centre.recompute({})), 3)
    assert s.result["output"][0][0][0] == pytest.approx(carry_round(9 * centre.value, 3))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"input": [[1, 2], [3, 4]], "layers": [{"conv": {"kernel": [[1]]}}], "edges": True},
            "edges",
        ),
        (
            {
                "input": [[1] * 3] * 3,
                "layers": [{"conv": {"kernel": {"gaussian": {"sigma": 1e-200}}}}],
            },
            "layers[0].conv.kernel.gaussian.sigma",
        ),
        (
            {
                "input": [[1] * 5] * 5,
                "layers": [{"conv": {"kernel": {"gaussian": {"sigma": 1, "size": 4}}}}],
            },
            "layers[0].conv.kernel.gaussian.size",
        ),
        (
            {
                "input": [[[1] * 3] * 3] * 2,
                "layers": [{"conv": {"kernel": {"gaussian": {"sigma": 1}}}}],
            },
            "layers[0].conv.kernel.gaussian",
        ),
    ],
)
def test_invalid_input_names_the_field(data: dict, field: str) -> None:
    with pytest.raises(InputError) as e:
        solve(data)
    assert e.value.field == field


def test_atan2_in_every_arithmetic() -> None:
    import sympy

    from dlcalc.model.formula import call, q, sympy_arithmetic

    tree = call("atan2", q("y", -1.0), q("x", -1.0))
    assert tree.evaluate() == pytest.approx(-3 * math.pi / 4)
    assert tree.evaluate(arithmetic=sympy_arithmetic()) == -3 * sympy.pi / 4
