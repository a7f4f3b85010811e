"""Every label and display name of a network's worked solution, built in one place.

Labels are the answers-file contract (``check`` looks claims up by them): ``net_h1``,
``out_o1``, ``dE_dw5``, ``delta_o1``, ``w5_new`` and, for a second example or a later
epoch, the same with a tag (``net_h1@2``, ``w5_new@e2``).  Names are how the same
quantities are written (``net_h1``, ``∂E/∂w5``, ``δ_o1``, ``w5⁺``), as structured
:class:`~dlcalc.model.formula.Name` s that every printer writes in its own notation.
"""

from __future__ import annotations

from dlcalc.model.formula import Name, Partial

E = Name("E")
ETA = Name("η")
LEARNING_RATE = "learning_rate"


def weight(number: int) -> str:
    """w1, w2, … numbered row by row, layer after layer."""
    return f"w{number}"


def weight_name(label: str, sup: str | None = None) -> Name:
    """``w5`` as a name (w with subscript 5), or ``w5⁺`` with ``sup="+"``."""
    return Name("w", label.removeprefix("w"), sup)


def bias(unit: str) -> str:
    return f"b_{unit}"


def bias_name(unit: str, sup: str | None = None) -> Name:
    return Name("b", unit, sup, label_sub=True)


def input_(i: int) -> str:
    """The i-th input (from 0): x1, x2, …"""
    return f"x{i + 1}"


def input_name(label: str) -> Name:
    return Name("x", label.removeprefix("x"))


def net(unit: str, tag: str = "") -> str:
    return f"net_{unit}{tag}"


def out(unit: str, tag: str = "") -> str:
    return f"out_{unit}{tag}"


def target(unit: str, tag: str = "") -> str:
    return f"t_{unit}{tag}"


def term(unit: str, tag: str = "") -> str:
    return f"E_{unit}{tag}"


def total(tag: str = "") -> str:
    return f"E_total{tag}"


MEAN_LOSS = "E_mean"


def grad_out(unit: str, tag: str = "") -> str:
    return f"dE_dout_{unit}{tag}"


def slope(unit: str, tag: str = "") -> str:
    return f"dout_{unit}_dnet_{unit}{tag}"


def delta(unit: str, tag: str = "") -> str:
    return f"delta_{unit}{tag}"


def softmax_sum(layer: int, tag: str = "") -> str:
    return f"S_{layer + 1}{tag}"


def grad_weight(weight_label: str, tag: str = "") -> str:
    return f"dE_d{weight_label}{tag}"


def grad_bias(unit: str, tag: str = "") -> str:
    return f"dE_db_{unit}{tag}"


def new_weight(weight_label: str, tag: str = "") -> str:
    return f"{weight_label}_new{tag}"


def new_bias(unit: str, tag: str = "") -> str:
    return f"b_{unit}_new{tag}"


def dropped(unit: str, tag: str = "") -> str:
    """What the next layer receives from a unit under dropout: out × mask/(1 − p)."""
    return f"dropped_{unit}{tag}"


def mask(unit: str) -> str:
    return f"mask_{unit}"


DROPOUT_RATE = "dropout_rate"


# ---- names (how each quantity is written)


def net_name(unit: str) -> Name:
    return Name("net", unit, label_sub=True)


def out_name(unit: str) -> Name:
    return Name("out", unit, label_sub=True)


def target_name(unit: str) -> Name:
    return Name("t", unit, label_sub=True)


def term_name(unit: str) -> Name:
    return Name("E", unit, label_sub=True)


def total_name(tag: str = "") -> Name:
    return Name("E", "total" + tag, label_sub=True)


def grad_out_name(unit: str) -> Partial:
    return Partial(E, out_name(unit))


def slope_name(unit: str) -> Partial:
    return Partial(out_name(unit), net_name(unit))


def delta_name(unit: str) -> Name:
    return Name("δ", unit, label_sub=True)


def softmax_sum_name(layer: int) -> Name:
    return Name("S", str(layer + 1))


def example_loss_name(example: int) -> Name:
    """E⁽²⁾: the loss of example 2 (its E_total), in sums and means over the examples."""
    return Name("E", sup=f"({example})")


def grad_weight_name(weight_label: str, example: int | None = None) -> Partial:
    """∂E/∂w5, or ∂E⁽²⁾/∂w5 for example 2's share of a batch gradient."""
    of = E if example is None else example_loss_name(example)
    return Partial(of, weight_name(weight_label))


def grad_bias_name(unit: str, example: int | None = None) -> Partial:
    of = E if example is None else example_loss_name(example)
    return Partial(of, bias_name(unit))


def dropped_name(unit: str) -> Name:
    return Name("out", unit, accent="tilde", label_sub=True)


def mask_name(unit: str) -> Name:
    return Name("mask", unit, label_sub=True)


DROPOUT_RATE_NAME = Name("p")


def fed_name(label: str) -> Name:
    """The name of a value feeding a layer: an input (x1) or an output (out_h1)."""
    if label.startswith("out_"):
        return out_name(label.removeprefix("out_"))
    return input_name(label)


# ---- the gradient an update uses: ∂E/∂w, the cost's ∂J/∂w (regularization) or ĝ (clipped)

STAGES = ("E", "J", "clip")


def gradient(stage: str, parameter: str, tag: str = "") -> str:
    """``dE_dw5``, ``dJ_dw5`` (with the regularization term) or ``clipped_dw5`` (after clipping);
    ``parameter`` is a weight's label (w5) or a bias's (b_h1)."""
    if stage == "clip":
        return f"clipped_d{parameter}{tag}"
    return f"d{stage}_d{parameter}{tag}"


def gradient_name(stage: str, parameter: Name) -> Partial | Name:
    """∂E/∂w5, ∂J/∂w5, or ĝ_w5 for the clipped gradient."""
    if stage == "clip":
        sub = parameter.base + (parameter.sub or "") if parameter.base == "w" else None
        if sub is None:  # a bias b_h1
            return Name("g", f"b_{parameter.sub}", accent="hat", label_sub=True)
        return Name("g", sub, accent="hat", label_sub=True)
    return Partial(Name(stage), parameter)
