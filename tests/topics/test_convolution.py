"""The conv engine against PyTorch (conv2d, max_pool2d, avg_pool2d, autograd) and a plain-Python reference.

The reference below is written from the definitions, independently of the engine: it
never builds a padded array, it asks for each tap whether it falls inside the input.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.specs.convolution import ConvNet, load_convolution
from dlcalc.specs.loader import Document
from dlcalc.topics.convolution import backward, forward, result, round_half_away

# --- problems ---------------------------------------------------------------------------------

values = st.integers(-4, 4)


def matrices(draw: Any, c: int, h: int, w: int) -> list:
    return [[[draw(values) for _ in range(w)] for _ in range(h)] for _ in range(c)]


@st.composite
def conv_problems(draw: Any) -> dict:
    """A random valid conv layer (and sometimes a pool after it) with a grad_output."""
    c_in = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    stride = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    padding: Any = draw(st.sampled_from(["n", "pair", "same", "valid"]))
    if padding == "same":
        stride = [1, 1]
    elif padding == "n":
        padding = draw(st.integers(0, 2))
    elif padding == "pair":
        padding = [draw(st.integers(0, 2)), draw(st.integers(0, 2))]
    filters = [
        {"kernel": matrices(draw, c_in, kh, kw), "bias": draw(values)}
        for _ in range(draw(st.integers(1, 3)))
    ]
    conv = {
        "filters": filters,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "flip": draw(st.booleans()),
    }
    layers: list = [{"conv": conv}]
    if draw(st.booleans()):
        layers.append({"activation": draw(st.sampled_from(["relu", "leaky_relu", "linear"]))})
    if draw(st.booleans()):
        k = draw(st.integers(1, 3))
        pool: dict = {"kernel": k, "stride": draw(st.integers(1, 3))}
        pool["padding"] = draw(st.sampled_from(["same", 0, k // 2]))
        if pool["padding"] == "same":  # d(k − 1) in total, the odd one at the bottom/right
            pool["stride"] = 1
        layers.append({draw(st.sampled_from(["maxpool", "avgpool"])): pool})
    return {"input": matrices(draw, c_in, h, w), "layers": layers}


def load(problem: dict) -> ConvNet:
    return load_convolution(Document(problem, "test.yaml"))


def loadable(problem: dict) -> ConvNet | None:
    try:
        return load(problem)
    except InputError:  # a kernel larger than the padded input: drawn, but not a problem
        return None


def with_grad(net: ConvNet, draw: Any) -> list:
    c, h, w = net.shapes[-1]
    return matrices(draw, c, h, w)


# --- the plain-Python reference ----------------------------------------------------------------


def pads(window: Any) -> tuple[int, int, int, int]:
    return window.padding


def ref_conv(x: list, layer: Any) -> list:
    kh, kw = layer.window.size
    (sh, sw), (dh, dw) = layer.window.stride, layer.window.dilation
    top, bottom, left, right = pads(layer.window)
    height, width = len(x[0]), len(x[0][0])
    out_h = (height + top + bottom - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + left + right - dw * (kw - 1) - 1) // sw + 1
    out = []
    for kernel, bias in zip(layer.kernels, layer.biases):
        fmap = [[Fraction(bias)] * out_w for _ in range(out_h)]
        for i in range(out_h):
            for j in range(out_w):
                for c in range(len(x)):
                    for u in range(kh):
                        for v in range(kw):
                            p, q = i * sh + u * dh - top, j * sw + v * dw - left
                            if 0 <= p < height and 0 <= q < width:
                                ku, kv = (kh - 1 - u, kw - 1 - v) if layer.flip else (u, v)
                                fmap[i][j] += Fraction(x[c][p][q]) * Fraction(kernel[c][ku][kv])
        out.append(fmap)
    return out


def ref_pool(x: list, layer: Any) -> list:
    kh, kw = layer.window.size
    sh, sw = layer.window.stride
    top, bottom, left, right = pads(layer.window)
    height, width = len(x[0]), len(x[0][0])
    out_h = (height + top + bottom - kh) // sh + 1
    out_w = (width + left + right - kw) // sw + 1
    out = []
    for m in x:
        fmap = []
        for i in range(out_h):
            row = []
            for j in range(out_w):
                cells = []
                for u in range(kh):
                    for v in range(kw):
                        p, q = i * sh + u - top, j * sw + v - left
                        inside = 0 <= p < height and 0 <= q < width
                        if layer.kind == "maxpool":
                            cells.append(Fraction(m[p][q]) if inside else -math.inf)
                        else:
                            cells.append(Fraction(m[p][q]) if inside else Fraction(0))
                row.append(max(cells) if layer.kind == "maxpool" else sum(cells) / (kh * kw))
            fmap.append(row)
        out.append(fmap)
    return out


def ref_forward(net: ConvNet) -> list:
    x = net.input
    outs = []
    for layer in net.layers:
        if layer.kind == "conv":
            x = ref_conv(x, layer)
        elif layer.kind in ("maxpool", "avgpool"):
            x = ref_pool(x, layer)
        else:
            alpha = Fraction(str(layer.alpha))
            f = {
                "relu": lambda v: max(v, 0),
                "linear": lambda v: v,
                "leaky_relu": lambda v, a=alpha: v if v > 0 else a * v,
            }[layer.name]
            x = [[[f(Fraction(v)) for v in row] for row in m] for m in x]
        outs.append(x)
    return outs


def close(a: Any, b: Any, tol: float = 1e-9) -> bool:
    if isinstance(a, list):
        return (
            isinstance(b, list) and len(a) == len(b) and all(close(p, q, tol) for p, q in zip(a, b))
        )
    return abs(float(a) - float(b)) <= tol * (1 + abs(float(b)))


# --- properties ---------------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


@SETTINGS
@given(conv_problems())
def test_forward_matches_plain_reference_exactly(problem: dict) -> None:
    net = loadable(problem)
    if net is None:
        return
    records = forward(net)
    for record, want in zip(records, ref_forward(net)):
        got = record.output
        assert [[[Fraction(v) for v in row] for row in m] for m in got] == want


def torch_net(net: ConvNet, grad: list) -> dict:
    """Forward and backward with PyTorch autograd (float64)."""
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    x = torch.tensor(net.input, dtype=torch.float64, requires_grad=True)[None]
    x.retain_grad()
    h = x
    kernels, biases, inputs = [], [], []
    for layer in net.layers:
        h.retain_grad()
        inputs.append(h)
        top, bottom, left, right = layer.window.padding if layer.kind != "activation" else (0,) * 4
        if layer.kind == "conv":
            k = torch.tensor(layer.kernels, dtype=torch.float64, requires_grad=True)
            b = torch.tensor(layer.biases, dtype=torch.float64, requires_grad=True)
            kernels.append(k)
            biases.append(b)
            used = torch.flip(k, dims=(2, 3)) if layer.flip else k
            h = f.conv2d(
                f.pad(h, (left, right, top, bottom)),
                used,
                b,
                stride=layer.window.stride,
                dilation=layer.window.dilation,
            )
        elif layer.kind in ("maxpool", "avgpool") and (top, left) != (bottom, right):
            # `same` pads the bottom/right more, which PyTorch's pools cannot: pad by hand
            # (−∞ for max; zeros for average, which count_include_pad=True counts anyway)
            fill = -math.inf if layer.kind == "maxpool" else 0.0
            h = f.pad(h, (left, right, top, bottom), value=fill)
            pool = f.max_pool2d if layer.kind == "maxpool" else f.avg_pool2d
            h = pool(h, layer.window.size, layer.window.stride)
        elif layer.kind == "maxpool":
            h = f.max_pool2d(h, layer.window.size, layer.window.stride, padding=(top, left))
        elif layer.kind == "avgpool":
            h = f.avg_pool2d(
                h,
                layer.window.size,
                layer.window.stride,
                padding=(top, left),
                count_include_pad=True,
            )
        else:
            h = {
                "relu": torch.relu,
                "linear": lambda t: t,
                "leaky_relu": lambda t, a=layer.alpha: f.leaky_relu(t, a),
            }[layer.name](h)
    h.backward(torch.tensor(grad, dtype=torch.float64)[None])
    return {
        "output": h.detach()[0].tolist(),
        "grad_input": [t.grad[0].tolist() for t in inputs],
        "grad_kernel": [k.grad.tolist() for k in kernels],
        "grad_bias": [b.grad.tolist() for b in biases],
    }


@SETTINGS
@given(conv_problems(), st.data())
def test_forward_and_backward_match_torch(problem: dict, data: Any) -> None:
    net = loadable(problem)
    if net is None:
        return
    grad = with_grad(net, data.draw)
    want = torch_net(net, grad)
    records = forward(net)
    backward(records, grad)
    got = result(records)
    assert close(got["output"], want["output"])
    for entry, grad_input in zip(got["layers"], want["grad_input"]):
        assert close(entry["grad_input"], grad_input)
    convs = [e for e in got["layers"] if e["type"] == "conv"]
    assert close([e["grad_kernel"] for e in convs], want["grad_kernel"])
    assert close([e["grad_bias"] for e in convs], want["grad_bias"])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_sigmoid_and_tanh_backward_match_torch(data: Any) -> None:
    """Activations that leave exact arithmetic: floats, still PyTorch's numbers."""
    name = data.draw(st.sampled_from(["sigmoid", "tanh", "softplus"]))
    x = [[[data.draw(values) / 4 for _ in range(4)] for _ in range(3)]]
    problem = {
        "input": x,
        "layers": [{"conv": {"kernel": [[1, -0.5], [0.25, 2]], "bias": 0.1}}, {"activation": name}],
    }
    net = load(problem)
    grad = with_grad(net, data.draw)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, dtype=torch.float64)[None]
    k = torch.tensor([[[[1, -0.5], [0.25, 2]]]], dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.conv2d(xt, k, torch.tensor([0.1], dtype=torch.float64))
    out = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": torch.nn.functional.softplus}[
        name
    ](y)
    out.backward(torch.tensor(grad, dtype=torch.float64)[None])
    records = forward(net)
    backward(records, grad)
    got = result(records)
    assert close(got["output"], out.detach()[0].tolist())
    assert close(got["layers"][0]["grad_kernel"], k.grad.tolist())


# --- worked cases ----------------------------------------------------------------------------------


def outputs(problem: dict) -> Any:
    return result(forward(load(problem)))["output"]


D2L = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_d2l_cross_correlation_and_flip() -> None:
    assert outputs({"input": D2L, "layers": [{"conv": {"kernel": [[0, 1], [2, 3]]}}]}) == [
        [[19, 25], [37, 43]]
    ]
    flipped = {"conv": {"kernel": [[0, 1], [2, 3]], "flip": True}}
    assert outputs({"input": D2L, "layers": [flipped]}) == [[[5, 11], [23, 29]]]


def test_average_is_an_exact_fraction() -> None:
    (out,) = outputs(
        {"input": [[1, 2], [2, 0]], "layers": [{"avgpool": {"kernel": [1, 3], "padding": [0, 1]}}]}
    )
    records = forward(
        load(
            {
                "input": [[1, 2], [2, 0]],
                "layers": [{"avgpool": {"kernel": [1, 3], "stride": 1, "padding": [0, 1]}}],
            }
        )
    )
    assert records[0].output[0][0] == [1, Fraction(1)]
    assert records[0].output[0][1] == [Fraction(2, 3), Fraction(2, 3)]
    assert out[0][0] == 1


def test_max_pool_ties_go_to_the_first_in_row_order() -> None:
    net = load({"input": [[5, 5], [5, 1]], "layers": [{"maxpool": {"kernel": 2}}]})
    records = forward(net)
    backward(records, [[[7]]])
    assert records[0].grad_input == [[[7, 0], [0, 0]]]


def test_same_padding_puts_the_odd_row_at_the_bottom() -> None:
    net = load(
        {"input": D2L, "layers": [{"conv": {"kernel": [[1, 0], [0, 0]], "padding": "same"}}]}
    )
    assert net.layers[0].window.padding == (0, 1, 0, 1)
    assert result(forward(net))["output"] == [D2L]


def test_carry_rounds_half_away_from_zero() -> None:
    assert round_half_away(Fraction("0.565"), 2) == Fraction("0.57")
    assert round_half_away(Fraction("-0.565"), 2) == Fraction("-0.57")
    records = forward(
        load({"input": [[1, 1, 0]], "layers": [{"avgpool": {"kernel": [1, 3]}}]}), carry=2
    )
    assert records[0].output == [[[Fraction("0.67")]]]


# --- the worked solution: every written formula gives the value written beside it --------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(conv_problems(), st.data())
def test_every_written_formula_evaluates_to_its_value(problem: dict, data: Any) -> None:
    from dlcalc.model.formula import FRACTION
    from dlcalc.topics.convolution_solve import solve_convolution

    net = loadable(problem)
    if net is None:
        return
    problem["grad_output"] = with_grad(net, data.draw)
    net = load(problem)
    solution = solve_convolution(net, every_step=True)
    for step in solution.iter_steps():
        if step.expr is None:
            continue
        try:
            assert step.expr.evaluate(arithmetic=FRACTION) == step.value, step.label
        except (ValueError, OverflowError):  # −∞ padding of a max pool: no fraction, floats then
            assert step.expr.evaluate() == pytest.approx(float(step.value)), step.label
    # with --every-step, every cell of every map is written out, once
    labels = [s.label for s in solution.iter_steps()]
    assert len(labels) == len(set(labels))
    for layer, shape in zip(net.layers, net.shapes):
        base = {"conv": "y[", "activation": "a[", "maxpool": "pool[", "avgpool": "pool["}[
            layer.kind
        ]
        c, h, w = shape
        cells = [label for label in labels if label.startswith(base) and "@" not in label]
        assert len(cells) == c * h * w


def test_long_maps_write_their_first_cells_only() -> None:
    from dlcalc.topics.convolution_solve import solve_convolution
    from dlcalc.topics.convolution_steps import HEAD_CELLS

    rows = [[(i * j) % 5 for j in range(9)] for i in range(9)]
    net = load({"input": rows, "layers": [{"conv": {"kernel": [[1, 2], [3, 4]]}}]})
    short = [s for s in solve_convolution(net).iter_steps() if s.label.startswith("y[")]
    full = [
        s for s in solve_convolution(net, every_step=True).iter_steps() if s.label.startswith("y[")
    ]
    assert len(short) == HEAD_CELLS
    assert len(full) == 64


def test_kernel_flip_convention_for_check() -> None:
    from dlcalc.topics.convolution_solve import solve_convolution
    from dlcalc.topics.convolution_steps import with_convention

    net = load({"input": D2L, "layers": [{"conv": {"kernel": [[0, 1], [2, 3]]}}]})
    flipped = solve_convolution(with_convention(net, "kernel_flip"))
    assert flipped.result["output"] == [[[5, 11], [23, 29]]]
    assert solve_convolution(net).result["output"] == [[[19, 25], [37, 43]]]
