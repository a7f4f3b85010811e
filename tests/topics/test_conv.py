"""conv-shape: hand-computed chains from the slides and the literature, and PyTorch's layer arithmetic."""

from __future__ import annotations

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.conv import load_conv
from dlcalc.specs.loader import Document
from dlcalc.topics.conv import solve_conv_shape


def solve(input_shape: list[int], layers: list[dict]) -> dict:
    return solve_conv_shape(
        load_conv(Document({"input": input_shape, "layers": layers}, "test.yaml"))
    ).result


ALEXNET = [
    {"conv": {"filters": 96, "kernel": 11, "stride": 4, "padding": 0}},
    {"maxpool": {"kernel": 3, "stride": 2}},
    {"conv": {"filters": 256, "kernel": 5, "stride": 1, "padding": 0}},
    {"maxpool": {"kernel": 3, "stride": 2}},
    {"conv": {"filters": 384, "kernel": 3, "stride": 1, "padding": 0}},
    {"conv": {"filters": 384, "kernel": 3, "stride": 1, "padding": 0}},
    {"conv": {"filters": 256, "kernel": 3, "stride": 1, "padding": 0}},
    {"maxpool": {"kernel": 3, "stride": 2}},
    {"flatten": {}},
    {"dense": {"units": 4096}},
    {"dense": {"units": 1000}},
]


def test_alexnet_chain_from_the_slides() -> None:
    result = solve([227, 227, 3], ALEXNET)
    outputs = [layer["output"] for layer in result["layers"]]
    assert outputs == [
        [55, 55, 96],
        [27, 27, 96],
        [23, 23, 256],
        [11, 11, 256],
        [9, 9, 384],
        [7, 7, 384],
        [5, 5, 256],
        [2, 2, 256],
        [1024],
        [4096],
        [1000],
    ]
    assert result["layers"][0]["params"] == 11 * 11 * 3 * 96 + 96 == 34_944
    assert result["total_params"] == 12_042_600
    assert result["layers"][0]["receptive_field"] == 11
    assert result["layers"][1]["receptive_field"] == 19


def test_first_alexnet_layer_is_written_as_on_the_board() -> None:
    solution = solve_conv_shape(
        load_conv(Document({"input": [227, 227, 3], "layers": ALEXNET[:1]}, "t"))
    )
    step = solution.step("H_1")
    assert step is not None
    assert step.substituted(str) == "(227 − 11 + 2 × 0)/4 + 1"  # Mul(sign="·") prints ×
    assert step.value == 55
    params = solution.step("params_1")
    assert params is not None and params.substituted(lambda v: f"{v:g}") == "11 × 11 × 3 × 96 + 96"
    assert step.recompute({"H_0": 224}) == 54  # a checker can redo the step from other inputs


def test_lenet5() -> None:
    result = solve(
        [32, 32, 1],
        [
            {"conv": {"filters": 6, "kernel": 5}},
            {"avgpool": {"kernel": 2}},
            {"conv": {"filters": 16, "kernel": 5}},
            {"avgpool": {"kernel": 2}},
            {"conv": {"filters": 120, "kernel": 5}},
            {"flatten": {}},
            {"dense": {"units": 84}},
            {"dense": {"units": 10}},
        ],
    )
    assert [layer["output"] for layer in result["layers"]][:5] == [
        [28, 28, 6],
        [14, 14, 6],
        [10, 10, 16],
        [5, 5, 16],
        [1, 1, 120],
    ]
    assert [layer["params"] for layer in result["layers"]] == [
        156,
        0,
        2416,
        0,
        48120,
        0,
        10164,
        850,
    ]
    assert result["total_params"] == 61_706


def vgg16() -> list[dict]:
    layers: list[dict] = []
    for filters, repeats in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [{"conv": {"filters": filters, "kernel": 3, "padding": "same"}}] * repeats
        layers.append({"maxpool": {"kernel": 2}})
    return [
        *layers,
        {"flatten": {}},
        {"dense": {"units": 4096}},
        {"dense": {"units": 4096}},
        {"dense": {"units": 1000}},
    ]


def test_vgg16_has_138_357_544_parameters() -> None:
    result = solve([224, 224, 3], vgg16())
    assert result["total_params"] == 138_357_544
    assert result["layers"][-5]["output"] == [7, 7, 512]


def test_padding_one_equals_same_for_3x3() -> None:
    a = solve([224, 224, 3], [{"conv": {"filters": 8, "kernel": 3, "padding": 1}}])
    b = solve([224, 224, 3], [{"conv": {"filters": 8, "kernel": 3, "padding": "same"}}])
    assert a["output"] == b["output"] == [224, 224, 8]


def test_size_that_is_not_whole_is_floored_and_said() -> None:
    solution = solve_conv_shape(
        load_conv(
            Document(
                {
                    "input": [224, 224, 3],
                    "layers": [{"conv": {"filters": 96, "kernel": 11, "stride": 4}}],
                },
                "t",
            )
        )
    )
    assert solution.result["output"] == [54, 54, 96]  # (224 − 11)/4 = 53.25 -> 53, + 1
    step = solution.step("H_1")
    assert step is not None and (step.formula() or "").startswith("⌊")
    assert step.note and "53.25" in step.note and "floored" in step.note
    assert any("floored" in n for n in solution.notes)


def test_pairs_dilation_transpose_and_global_pool() -> None:
    result = solve(
        [32, 48, 3],
        [
            {"conv": {"filters": 4, "kernel": [3, 5], "stride": [1, 2], "padding": [1, 2]}},
            {"conv": {"filters": 4, "kernel": 3, "dilation": 2}},
            {"conv_transpose": {"filters": 2, "kernel": 4, "stride": 2, "padding": 1}},
            {"global_avgpool": {}},
            {"dense": {"units": 3}},
        ],
    )
    assert result["layers"][0]["output"] == [32, 24, 4]
    assert result["layers"][0]["params"] == 3 * 5 * 3 * 4 + 4
    assert result["layers"][1]["output"] == [28, 20, 4]
    assert result["layers"][2]["output"] == [56, 40, 2]
    assert result["layers"][3]["output"] == [1, 1, 2]
    assert result["layers"][4]["params"] == 2 * 3 + 3


def test_dense_after_a_feature_map_flattens_it() -> None:
    result = solve([2, 2, 256], [{"dense": {"units": 10}}])
    assert result["layers"][0]["params"] == 1024 * 10 + 10


@pytest.mark.parametrize(
    ("layers", "field", "words"),
    [
        (
            [{"conv": {"filters": 1, "kernel": 7}}],
            "layers[0].conv.kernel",
            "larger than the padded input",
        ),
        ([{"conv": {"filters": 1, "kernel": 3, "stride": 0}}], "layers[0].conv.stride", "stride"),
        ([{"maxpool": {"kernel": -2}}], "layers[0].maxpool.kernel", "kernel"),
        (
            [{"conv": {"filters": 1, "kernel": 3, "padding": "half"}}],
            "layers[0].conv.padding",
            "same or valid",
        ),
        ([{"conv": {"filters": 1, "kernal": 3}}], "layers[0].conv.kernal", "did you mean 'kernel'"),
        ([{"pool": {"kernel": 2}}], "layers[0].pool", "maxpool"),
        ([{"flatten": {}}, {"maxpool": {"kernel": 2}}], "layers[1]", "H × W × C"),
        ([], "layers", "at least one"),
    ],
)
def test_invalid_layers(layers: list[dict], field: str, words: str) -> None:
    with pytest.raises(InputError) as e:
        solve([5, 5, 3], layers)
    assert e.value.field == field
    assert words in e.value.message


def test_negative_input_size_is_refused() -> None:
    with pytest.raises(InputError) as e:
        solve([-5, 5, 3], [{"flatten": {}}])
    assert e.value.field == "input[0]"


def test_against_pytorch_layer_arithmetic() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(96, 256, 5),
        nn.MaxPool2d(3, stride=2),
        nn.Conv2d(256, 384, 3),
        nn.Conv2d(384, 384, 3),
        nn.Conv2d(384, 256, 3),
        nn.MaxPool2d(3, stride=2),
        nn.Flatten(),
        nn.Linear(1024, 4096),
        nn.Linear(4096, 1000),
    )
    result = solve([227, 227, 3], ALEXNET)
    x = torch.zeros(1, 3, 227, 227)
    for layer, mine in zip(model, result["layers"]):
        x = layer(x)
        shape = list(x.shape[1:])
        expected = [shape[1], shape[2], shape[0]] if len(shape) == 3 else shape
        assert mine["output"] == expected
        assert mine["params"] == sum(p.numel() for p in layer.parameters())
    assert result["total_params"] == sum(p.numel() for p in model.parameters())


def test_odd_settings_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    layers = [
        (
            {
                "conv": {
                    "filters": 5,
                    "kernel": [3, 5],
                    "stride": [2, 3],
                    "padding": [1, 2],
                    "dilation": [2, 1],
                }
            },
            nn.Conv2d(3, 5, (3, 5), stride=(2, 3), padding=(1, 2), dilation=(2, 1)),
        ),
        (
            {
                "conv_transpose": {
                    "filters": 4,
                    "kernel": 3,
                    "stride": 2,
                    "padding": 1,
                    "output_padding": 1,
                }
            },
            nn.ConvTranspose2d(5, 4, 3, stride=2, padding=1, output_padding=1),
        ),
        (
            {"avgpool": {"kernel": 3, "stride": 2, "padding": 1}},
            nn.AvgPool2d(3, stride=2, padding=1),
        ),
        (
            {"conv": {"filters": 6, "kernel": 3, "padding": "same", "bias": False}},
            nn.Conv2d(4, 6, 3, padding="same", bias=False),
        ),
        ({"global_avgpool": {}}, nn.AdaptiveAvgPool2d(1)),
    ]
    result = solve([37, 41, 3], [spec for spec, _ in layers])
    x = torch.zeros(1, 3, 37, 41)
    for (_, layer), mine in zip(layers, result["layers"]):
        x = layer(x)
        assert mine["output"] == [x.shape[2], x.shape[3], x.shape[1]]
        assert mine["params"] == sum(p.numel() for p in layer.parameters())
