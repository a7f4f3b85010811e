"""gan: losses and logit gradients against PyTorch's binary_cross_entropy_with_logits and autograd."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc.errors import InputError
from dlcalc.maths.scalars import carry_round
from dlcalc.specs.generative import load_gan
from dlcalc.specs.loader import Document
from dlcalc.topics.generative import solve_gan


def solve(data: dict, carry: int | None = None):
    return solve_gan(load_gan(Document(data, "gan.yaml")), carry)


logits = st.lists(
    st.floats(-8, 8, allow_nan=False).map(lambda v: round(v, 3)), min_size=1, max_size=5
)


@st.composite
def problems(draw: st.DrawFn) -> dict:
    real, fake = draw(logits), draw(logits)
    generator = draw(st.sampled_from(["non_saturating", "saturating"]))
    if draw(st.booleans()):  # the same problem as probabilities D = σ(a)
        return {
            "real": [1 / (1 + math.exp(-a)) for a in real],
            "fake": [1 / (1 + math.exp(-a)) for a in fake],
            "generator": generator,
            "_logits": (real, fake),
        }
    return {
        "real_logits": real,
        "fake_logits": fake,
        "generator": generator,
        "_logits": (real, fake),
    }


@settings(max_examples=40, deadline=None)
@given(problems())
def test_losses_and_gradients_match_torch(problem: dict) -> None:
    torch = pytest.importorskip("torch")
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    real, fake = problem.pop("_logits")
    result = solve(problem).result
    a_r = torch.tensor(real, dtype=torch.float64, requires_grad=True)
    a_f = torch.tensor(fake, dtype=torch.float64, requires_grad=True)
    loss_d = bce(a_r, torch.ones_like(a_r)) + bce(a_f, torch.zeros_like(a_f))
    loss_d.backward()
    assert result["discriminator_loss"] == pytest.approx(loss_d.item(), rel=1e-9, abs=1e-12)
    assert result["value"] == pytest.approx(-loss_d.item(), rel=1e-9, abs=1e-12)
    assert result["grad_real_logits"] == pytest.approx(a_r.grad.tolist(), rel=1e-9, abs=1e-12)
    assert result["grad_fake_logits"] == pytest.approx(a_f.grad.tolist(), rel=1e-9, abs=1e-12)
    g = torch.tensor(fake, dtype=torch.float64, requires_grad=True)
    if problem["generator"] == "non_saturating":
        loss_g = bce(g, torch.ones_like(g))  # −mean ln D(G(z))
    else:
        loss_g = -bce(g, torch.zeros_like(g))  # mean ln(1 − D(G(z)))
    loss_g.backward()
    assert result["generator_loss"] == pytest.approx(loss_g.item(), rel=1e-8, abs=1e-12)
    assert result["grad_generator_logits"] == pytest.approx(g.grad.tolist(), rel=1e-9, abs=1e-12)


def test_both_generator_losses_are_shown_and_the_chosen_one_answers() -> None:
    s = solve({"real": [0.9], "fake": [0.1, 0.2], "generator": "saturating"})
    assert s.result["generator_loss"] == s.result["generator_losses"]["saturating"]
    assert s.result["generator_losses"]["non_saturating"] == pytest.approx(
        -(math.log(0.1) + math.log(0.2)) / 2
    )
    labels = {st.label for st in s.steps}
    assert {
        "L_G_saturating",
        "L_G_non_saturating",
        "dLGsat_da_fake_1",
        "dLGnonsat_da_fake_2",
    } <= labels
    assert any("non-saturating" in n for n in s.notes)


def test_saturating_loss_with_a_zero_fake_probability_skips_the_other_loss() -> None:
    s = solve({"real": [0.9], "fake": [0.0, 0.2], "generator": "saturating"})
    assert set(s.result["generator_losses"]) == {"saturating"}
    assert s.result["grad_generator_logits"] == [-0.0, -0.1]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"real": [0.9, 0.0], "fake": [0.3]}, "real[1]"),
        ({"real": [0.9], "fake": [1.0]}, "fake[0]"),
        ({"real": [0.9], "fake": [0.0]}, "fake[0]"),  # non-saturating needs ln D(G(z))
        ({"real": [1.2], "fake": [0.1]}, "real[0]"),
        ({"fake": [0.1]}, None),
        ({"real": [0.5], "real_logits": [0.0], "fake": [0.1]}, "real_logits"),
        ({"real": [0.5], "fake": [0.1], "generator": "minimax"}, "generator"),
    ],
)
def test_invalid_input_names_the_field(data: dict, field: str | None) -> None:
    with pytest.raises(InputError) as e:
        solve(data)
    assert e.value.field == field


def test_a_real_probability_of_one_is_fine() -> None:
    s = solve({"real": [1.0], "fake": [0.5]})
    assert s.result["grad_real_logits"] == [0.0]


def test_saturated_logit_under_carry_is_refused_with_the_reason() -> None:
    with pytest.raises(InputError, match="carry more decimals") as e:
        solve({"real_logits": [1.0], "fake_logits": [12.0]}, carry=4)  # σ(12) → 1.0000
    assert e.value.field == "fake_logits[0]"


@pytest.mark.parametrize("carry", [2, 4])
def test_carried_steps_are_their_trees_rounded(carry: int) -> None:
    s = solve({"real_logits": [2.0, -0.5], "fake_logits": [-1.0, 0.3, 1.2]}, carry=carry)
    checked = 0
    for step in s.steps:
        if step.computed:
            assert step.value == carry_round(float(step.recompute({})), carry), step.label
            checked += 1
    assert checked > 20
    assert s.result["discriminator_loss"] == s.step("L_D").value
