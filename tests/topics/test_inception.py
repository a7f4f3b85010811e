"""conv-shape's inception layer against a PyTorch Inception module: output shape, parameters, MACs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.specs.conv import load_conv
from dlcalc.specs.loader import Document
from dlcalc.topics.conv import solve_conv_shape

KEYS = ("conv1x1", "reduce3x3", "conv3x3", "reduce5x5", "conv5x5", "pool_proj")


def solve(data: dict):
    return solve_conv_shape(load_conv(Document(data, "inception.yaml")))


@settings(max_examples=15, deadline=None)
@given(
    st.integers(3, 9),
    st.integers(1, 12),
    st.lists(st.integers(1, 12), min_size=6, max_size=6),
    st.booleans(),
)
def test_inception_matches_a_torch_module(
    size: int, c_in: int, counts: list[int], bias: bool
) -> None:
    torch = pytest.importorskip("torch")
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    k1, r3, k3, r5, k5, kp = counts
    branches = nn.ModuleList(
        [
            nn.Conv2d(c_in, k1, 1, bias=bias),
            nn.Sequential(
                nn.Conv2d(c_in, r3, 1, bias=bias), nn.Conv2d(r3, k3, 3, padding=1, bias=bias)
            ),
            nn.Sequential(
                nn.Conv2d(c_in, r5, 1, bias=bias), nn.Conv2d(r5, k5, 5, padding=2, bias=bias)
            ),
            nn.Sequential(nn.MaxPool2d(3, 1, padding=1), nn.Conv2d(c_in, kp, 1, bias=bias)),
        ]
    )
    x = torch.zeros(1, c_in, size, size)
    with FlopCounterMode(display=False) as flops:
        out = torch.cat([b(x) for b in branches], dim=1)
    result = solve(
        {
            "input": [size, size, c_in],
            "layers": [{"inception": {**dict(zip(KEYS, counts)), "bias": bias}}],
        }
    ).result
    layer = result["layers"][0]
    assert layer["output"] == [out.shape[2], out.shape[3], out.shape[1]]
    assert layer["params"] == sum(p.numel() for p in branches.parameters())
    assert layer["macs"] == flops.get_total_flops() // 2  # a MAC is two floating-point operations
    per_branch = [sum(p.numel() for p in b.parameters()) for b in branches]
    assert [layer["branches"][k]["params"] for k in ("1x1", "3x3", "5x5", "pool")] == per_branch


def test_googlenet_3a_as_the_slides_tabulate() -> None:
    s = solve(
        {
            "input": [28, 28, 192],
            "layers": [{"inception": dict(zip(KEYS, [64, 96, 128, 16, 32, 32]))}],
        }
    )
    assert s.result["output"] == [28, 28, 256]
    assert s.result["total_macs"] == 128_049_152  # GoogLeNet's table: 128M operations
    saved = s.step("MACs_saved_1")
    assert saved is not None and saved.value == (28 * 28 * (9 * 192 * 128 + 25 * 192 * 32)) - (
        28 * 28 * (192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32)
    )


def test_command_line_form_and_a_vector_input_is_refused() -> None:
    from dlcalc.specs.conv import layer_from_text

    assert layer_from_text("inception:64:96:128:16:32:32", 1)["inception"]["pool_proj"] == "32"
    with pytest.raises(InputError, match="needs an H × W × C input"):
        solve({"input": [10], "layers": [{"inception": dict(zip(KEYS, [1] * 6))}]})
