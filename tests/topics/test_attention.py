"""attention: forward against scaled_dot_product_attention, backward against autograd."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.maths.scalars import carry_round
from dlcalc.specs.attention import load_attention
from dlcalc.specs.loader import Document
from dlcalc.topics.attention import solve_attention


def solve(data: dict, carry: int | None = None):
    return solve_attention(load_attention(Document(data, "attention.yaml")), carry)


entry = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 2))


def matrix(draw: st.DrawFn, rows: int, cols: int) -> list[list[float]]:
    return [[draw(entry) for _ in range(cols)] for _ in range(rows)]


@st.composite
def problems(draw: st.DrawFn) -> dict:
    n, m, d_k, d_v = (draw(st.integers(1, 3)) for _ in range(4))
    data = {
        "queries": matrix(draw, n, d_k),
        "keys": matrix(draw, m, d_k),
        "values": matrix(draw, m, d_v),
        "scale": draw(st.booleans()),
        "grad_output": matrix(draw, n, d_v),
    }
    if draw(st.booleans()):
        mask = [[draw(st.sampled_from([0, 1])) for _ in range(m)] for _ in range(n)]
        for row in mask:
            row[draw(st.integers(0, m - 1))] = 1  # every query attends to some key
        data["mask"] = mask
    return data


@settings(max_examples=40, deadline=None)
@given(problems())
def test_forward_and_backward_match_torch(p: dict) -> None:
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    q = torch.tensor(p["queries"], dtype=f64, requires_grad=True)
    k = torch.tensor(p["keys"], dtype=f64, requires_grad=True)
    v = torch.tensor(p["values"], dtype=f64, requires_grad=True)
    mask = torch.tensor(p["mask"], dtype=torch.bool) if "mask" in p else None
    scale = None if p["scale"] else 1.0
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    (out * torch.tensor(p["grad_output"], dtype=f64)).sum().backward()
    scores = q.detach() @ k.detach().T / (math.sqrt(q.shape[1]) if p["scale"] else 1.0)
    if mask is not None:
        scores = scores.masked_fill(~mask, -math.inf)
    result = solve(p).result
    close = {"rel": 1e-9, "abs": 1e-12}
    for got, want in zip(result["scores"], scores.tolist()):
        assert got == pytest.approx(want, **close)
    for got, want in zip(result["weights"], torch.softmax(scores, dim=1).tolist()):
        assert got == pytest.approx(want, **close)
    for key, want in (
        ("output", out.detach()),
        ("grad_queries", q.grad),
        ("grad_keys", k.grad),
        ("grad_values", v.grad),
    ):
        for got_row, want_row in zip(result[key], want.tolist()):
            assert got_row == pytest.approx(want_row, rel=1e-9, abs=1e-10), key


def test_blocked_entries() -> None:
    s = solve(
        {
            "queries": [[1, 0], [0, 1]],
            "keys": [[1, 0], [1, 1]],
            "values": [[1, 2], [3, 4]],
            "mask": [[1, 1], [1, 0]],
        }
    )
    assert s.result["scores"][1][1] == -math.inf
    assert s.result["weights"][1] == [1.0, 0.0]
    assert s.result["output"][1] == [1.0, 2.0]
    assert s.step("S_2_2") is None and s.step("A_2_2") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mask": [[1, 1], [0, 0]]}, "mask[1]"),
        ({"mask": [[1, 2], [1, 1]]}, "mask[0][1]"),
        ({"mask": [[1, 1]]}, "mask"),
        ({"keys": [[1, 0, 0], [1, 1, 0]]}, "keys"),
        ({"values": [[1, 2]]}, "values"),
        ({"grad_output": [[1, 2, 3], [1, 2, 3]]}, "grad_output"),
        ({"queries": [[1] * 65]}, "queries"),
    ],
)
def test_invalid_input_names_the_field(change: dict, field: str) -> None:
    data = {
        "queries": [[1, 0], [0, 1]],
        "keys": [[1, 0], [1, 1]],
        "values": [[1, 2], [3, 4]],
        **change,
    }
    with pytest.raises(InputError) as e:
        solve(data)
    assert e.value.field == field


def test_carried_steps_are_their_trees_rounded() -> None:
    s = solve(
        {
            "queries": [[1, 0.5], [-0.3, 2]],
            "keys": [[0.2, 1], [1.5, -0.5]],
            "values": [[1, 0], [-1, 3]],
            "grad_output": [[1, -0.5], [0.3, 0.8]],
        },
        carry=3,
    )
    checked = 0
    for step in s.steps:
        if step.computed:
            assert step.value == carry_round(float(step.recompute({})), 3), step.label
            checked += 1
    assert checked > 30
    assert s.result["weights"][0][1] == s.step("A_1_2").value


@settings(max_examples=10, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(1, 5),
    st.booleans(),
)
def test_multi_head_counts_match_torch(heads: int, d_k: int, n: int, m: int, bias: bool) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    d_model = heads * d_k
    mha = torch.nn.MultiheadAttention(d_model, heads, bias=bias, batch_first=True)
    query, key = torch.zeros(1, n, d_model), torch.zeros(1, m, d_model)
    with FlopCounterMode(display=False) as flops:
        mha(query, key, key, need_weights=True)  # (the fused path is not counted)
    result = solve(
        {"multi_head": {"d_model": d_model, "heads": heads, "queries": n, "keys": m, "bias": bias}}
    ).result["multi_head"]
    assert result["d_k"] == d_k
    assert result["params"] == sum(p.numel() for p in mha.parameters())
    assert result["macs"] == flops.get_total_flops() // 2


def test_multi_head_beside_a_worked_problem_and_its_errors() -> None:
    s = solve(
        {
            "queries": [[1, 0]],
            "keys": [[1, 0]],
            "values": [[1, 2]],
            "multi_head": {"d_model": 512, "heads": 8, "queries": 10},
        }
    )
    assert s.result["multi_head"]["params"] == 4 * (512 * 512 + 512)
    assert s.result["output"] == [[1.0, 2.0]]
    with pytest.raises(InputError) as e:
        solve({"multi_head": {"d_model": 10, "heads": 3, "queries": 2}})
    assert e.value.field == "multi_head.heads"
    with pytest.raises(InputError, match="missing required key 'keys'"):
        solve({"queries": [[1]]})


def test_overflowing_scores_are_input_errors() -> None:
    with pytest.raises(InputError, match="overflows") as e:
        solve({"queries": [[1e200]], "keys": [[1e200], [1.0]], "values": [[1.0], [2.0]]})
    assert e.value.field == "queries"
