"""Problem files for ``forward`` and ``backprop``: a layered network, examples and a loss."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr

from dlcalc.errors import InputError
from dlcalc.maths.numerics import ACTIVATIONS, LOSSES
from dlcalc.specs.common import (
    Matrix,
    Name,
    Number,
    Strict,
    Vector,
    Whole,
    one_of,
    to_number,
    vector,
)
from dlcalc.specs.loader import Document, validate
from dlcalc.specs.optimizer_settings import OPTIMIZERS, check_settings
from dlcalc.specs.problem import Problem
from dlcalc.specs.training import (
    Clip,
    Regularization,
    Schedule,
    check_clip,
    check_regularization,
    check_schedule,
)

TRAINING_OPTIONS = (
    "weight_decay",
    "decay_bias",
    "dropout",
    "dropout_rate",
    "optimizer",
    "momentum",
    "beta1",
    "beta2",
    "rho",
    "epsilon",
    "regularization",
    "batch_size",
    "clip",
    "schedule",
    "early_stopping",
)

# Bounds that keep every run to seconds on a laptop (never a hang) while leaving room for any
# worked example: a pass costs about 0.2 ms, plus a little per parameter.
MAX_PARAMETERS = 2_000  # weights and biases of the whole network
MAX_EXAMPLES = 1_000
MAX_PASSES = 50_000  # epochs × examples
MAX_WORK = 20_000_000  # epochs × examples × parameters


def _bias(value: object) -> float | list[float]:
    if isinstance(value, list):
        return vector(value, "one bias per unit (a list of numbers) or one number for all")
    return to_number(value)


class Layer(Strict):
    """One layer: row j of ``weights`` holds the weights into unit j (after loading, always).

    A file may write the weights the other way round (``weights_by: input``) or leave them out
    and give ``connections:`` instead; :func:`load_network` turns both into this form.
    """

    units: list[Name] | None = None
    activation: Annotated[str, AfterValidator(one_of(ACTIVATIONS, "activation"))] = "sigmoid"
    weights: Matrix | None = None
    bias: Annotated[float | list[float], BeforeValidator(_bias)] = 0.0
    alpha: Number = Field(0.01, description="leaky_relu's slope for negative net input")
    _weight_names: list[list[str]] | None = PrivateAttr(default=None)  # w14 … from `connections:`

    @property
    def matrix(self) -> list[list[float]]:
        """The weights, row j into unit j (a loaded problem always has them)."""
        assert self.weights is not None
        return self.weights

    @property
    def weight_names(self) -> list[list[str]] | None:
        """The slides' names of the weights (w14: unit 1 → unit 4) where ``connections:`` gave them."""
        return self._weight_names


class Example(Strict):
    input: Vector
    target: Vector | None = None


class EarlyStopping(Strict):
    """Stop when the loss on ``validation`` has not improved by more than ``min_delta`` for
    ``patience`` epochs; keep the best epoch's weights (``restore_best``) or the last ones."""

    validation: list[Example]
    patience: Whole
    min_delta: Number = 0.0
    restore_best: bool = True


class NetworkProblem(Problem):
    input: Vector | None = None
    target: Vector | None = None
    examples: list[Example] | None = None
    learning_rate: Number | None = None
    loss: Annotated[str, AfterValidator(one_of(LOSSES, "loss"))] = "half_sse"
    update_bias: bool = True
    epochs: Whole = 1
    mode: Literal["online", "batch"] = "online"
    weights_by: Annotated[str, AfterValidator(one_of(WEIGHTS_BY, "weights_by"))] = "unit"
    connections: dict[str, Number] | None = None
    layers: list[Layer]
    # Training options (backprop): L2 weight decay, dropout masks, an optimizer and its settings.
    weight_decay: Number = 0.0
    decay_bias: bool = False
    dropout: list[Vector] | None = None
    dropout_rate: Number = 0.5
    optimizer: Annotated[str, AfterValidator(one_of(OPTIMIZERS, "optimizer"))] = "sgd"
    momentum: Number = 0.9
    beta1: Number = 0.9
    beta2: Number = 0.999
    rho: Number = 0.9
    epsilon: Number = 1e-7
    # Training options, continued: a regularised cost, mini-batches, clipping, a schedule.
    regularization: Regularization | None = None
    batch_size: Whole | None = None
    clip: Clip | None = None
    schedule: Schedule | None = None
    early_stopping: EarlyStopping | None = None

    def example_list(self) -> list[Example]:
        if self.examples is not None:
            return list(self.examples)
        assert self.input is not None
        return [Example(input=self.input, target=self.target)]


WEIGHTS_BY = ("unit", "input")
CONNECTION = re.compile(r"w_?\(?(?P<pair>[^)]*)\)?")


def weights_note(spec: NetworkProblem) -> str:
    """Which way the file's weights were read, said in the solution (a square matrix reads both ways)."""
    if spec.connections is not None:
        n = len(spec.example_list()[0].input)
        return (
            "Weights read from `connections:`: w14 is the weight from unit 1 into unit 4, "
            f"with the inputs numbered 1–{n} and the units after them, layer by layer (as the slides number them)."
        )
    if spec.weights_by == "input":
        return (
            "Weights read by input (`weights_by: input`): row i holds the weights from input i, "
            "column j those into unit j, as in x·W."
        )
    return (
        "Weights read by unit (the default): row j holds the weights into unit j, one column per "
        "input, as in W·x; write `weights_by: input` for a matrix whose columns are the units."
    )


def load_network(doc: Document, *, training: bool, gradcheck: bool = False) -> NetworkProblem:
    """Validate a network problem and check that every shape fits; errors name the line.

    ``training``: a ``backprop`` run (a learning rate needed).  ``gradcheck``: the cost of a
    ``backprop`` (or ``gradcheck``) problem is differentiated, so targets are needed and the
    training keys are read.  ``forward`` reads the training keys of a ``backprop`` file
    (``command: backprop``) and uses none of them; in any other file they are refused.
    """
    spec = validate(NetworkProblem, doc)

    def fail(message: str, *loc: str | int) -> InputError:
        from dlcalc.specs.loader import field_path

        return InputError(
            message, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None
        )

    if not spec.layers:
        raise fail("expected at least one layer", "layers")
    if (spec.input is None) == (spec.examples is None):
        raise fail(
            "give either `input:` (one example) or `examples:` (a list of {input, target}), not both or neither",
            "input" if spec.input is not None else "examples",
        )
    if spec.examples is not None and not spec.examples:
        raise fail("expected at least one example", "examples")
    if spec.examples is not None and spec.target is not None:
        raise fail("with `examples:`, give each example its own target", "target")

    width = len(spec.example_list()[0].input)
    spec = _standard_weights(spec, width, fail)
    width = _check_layer_shapes(spec, width, fail)
    _check_examples(spec, width, fail, needs_target=training or gradcheck, training=training)

    n_parameters = sum(len(layer.matrix) * (len(layer.matrix[0]) + 1) for layer in spec.layers)
    if n_parameters > MAX_PARAMETERS:
        raise fail(
            f"the network has {n_parameters:,} weights and biases; a worked example may have at most {MAX_PARAMETERS:,}",
            "layers",
        )
    if len(spec.example_list()) > MAX_EXAMPLES:
        raise fail(f"expected at most {MAX_EXAMPLES:,} examples", "examples")
    names = [n for layer in spec.layers for n in (layer.units or [])]
    if len(set(names)) != len(names):
        raise fail("unit names must be different across layers", "layers")
    if not training and not gradcheck and spec.command != "backprop":
        data = doc.data if isinstance(doc.data, dict) else {}
        for key in TRAINING_OPTIONS:
            if key in data:
                raise fail(f"{key} is a training option; it is used by backprop, not forward", key)
    if training:
        if spec.learning_rate is None:
            raise fail("backprop needs a learning rate, e.g. `learning_rate: 0.5`", "learning_rate")
        check_settings(
            doc,
            optimizer=spec.optimizer,
            learning_rate=spec.learning_rate if spec.learning_rate > 0 else 1.0,
            momentum=spec.momentum,
            beta1=spec.beta1,
            beta2=spec.beta2,
            rho=spec.rho,
            epsilon=spec.epsilon,
            weight_decay=spec.weight_decay,
        )
        _check_dropout(spec, fail)
        n_examples = len(spec.example_list())
        _check_training_options(doc, spec, fail)
        if spec.epochs < 1:
            raise fail("expected a whole number of epochs, at least 1", "epochs")
        passes = spec.epochs * n_examples
        if passes > MAX_PASSES or passes * n_parameters > MAX_WORK:
            limit = min(MAX_PASSES, MAX_WORK // n_parameters) // n_examples
            raise fail(
                f"{spec.epochs:,} epochs × {n_examples} examples is too long a run for a worked example; "
                f"at most {limit:,} epochs for this network",
                "epochs",
            )
    if gradcheck and not training:
        _check_dropout(spec, fail)
        _check_training_options(doc, spec, fail)
    return spec


Fail = Callable[..., InputError]


def _check_layer_shapes(spec: NetworkProblem, width: int, fail: Fail) -> int:
    """Each layer's weights, biases and unit names fit the layer before; the output width."""
    for i, layer in enumerate(spec.layers):
        assert layer.weights is not None
        rows, cols = len(layer.weights), len(layer.weights[0])
        if cols != width:
            source = "the input has" if i == 0 else f"layer {i - 1} has"
            raise fail(
                f"each row needs {width} weights ({source} {width} values) but has {cols}; "
                f"row j holds the weights into unit j from every unit of the layer before",
                "layers",
                i,
                "weights",
            )
        if isinstance(layer.bias, list) and len(layer.bias) != rows:
            raise fail(
                f"expected {rows} biases (one per unit) or one number, got {len(layer.bias)}",
                "layers",
                i,
                "bias",
            )
        if layer.units is not None:
            if len(layer.units) != rows:
                raise fail(
                    f"expected {rows} unit names (one per row of weights), got {len(layer.units)}",
                    "layers",
                    i,
                    "units",
                )
            if len(set(layer.units)) != rows:
                raise fail("unit names must be different from each other", "layers", i, "units")
        width = rows
    return width


def _check_examples(
    spec: NetworkProblem, width: int, fail: Fail, *, needs_target: bool, training: bool
) -> None:
    """Each example's input fits the first layer and its target the output layer (``width``)."""
    for k, example in enumerate(spec.example_list()):
        loc: tuple[str | int, ...] = ("examples", k) if spec.examples is not None else ()
        if len(example.input) != len(spec.layers[0].matrix[0]):
            raise fail(
                f"expected {len(spec.layers[0].matrix[0])} input values, got {len(example.input)}",
                *loc,
                "input",
            )
        if example.target is not None and len(example.target) != width:
            raise fail(
                f"expected {width} target values (one per output unit), got {len(example.target)}",
                *loc,
                "target",
            )
        if needs_target and example.target is None:
            command = "backprop" if training else "gradcheck"
            raise fail(f"{command} needs a target for every example", *loc, "target")


def _check_training_options(doc: Document, spec: NetworkProblem, fail: Fail) -> None:
    """regularization, batch_size, clip and schedule: valid values that fit together."""
    n = len(spec.example_list())
    if spec.regularization is not None:
        check_regularization(doc, spec.regularization, n)
        if spec.weight_decay:
            raise fail(
                "give either `regularization:` (J = E + λ/(2m)·Σw²) or `weight_decay:` "
                "(the optimizer's λ·w), not both",
                "weight_decay",
            )
    if spec.batch_size is not None:
        if spec.examples is None:
            raise fail(
                "batch_size splits `examples:` into mini-batches; give examples", "batch_size"
            )
        if spec.batch_size < 1:
            raise fail(f"expected a batch size of at least 1, got {spec.batch_size}", "batch_size")
        if "mode" in spec.model_fields_set and spec.mode == "online":
            raise fail(
                "batch_size gives mini-batches (one update per batch of B examples); "
                "mode: online updates after every example: leave mode out",
                "mode",
            )
    if spec.clip is not None:
        check_clip(doc, spec.clip)
    if spec.schedule is not None:
        check_schedule(doc, spec.schedule)
    es = spec.early_stopping
    if es is not None:
        if es.patience < 1:
            raise fail(
                f"expected a patience of at least 1, got {es.patience}",
                "early_stopping",
                "patience",
            )
        if es.min_delta < 0:
            raise fail(
                f"expected min_delta of at least 0, got {es.min_delta:g}",
                "early_stopping",
                "min_delta",
            )
        if not es.validation or len(es.validation) > MAX_EXAMPLES:
            raise fail(
                f"expected 1 to {MAX_EXAMPLES:,} validation examples, got {len(es.validation)}",
                "early_stopping",
                "validation",
            )
        n_in, n_out = len(spec.layers[0].matrix[0]), len(spec.layers[-1].matrix)
        for k, example in enumerate(es.validation):
            loc = ("early_stopping", "validation", k)
            if len(example.input) != n_in:
                raise fail(f"expected {n_in} input values, got {len(example.input)}", *loc, "input")
            if example.target is None or len(example.target) != n_out:
                got = "none" if example.target is None else str(len(example.target))
                raise fail(
                    f"expected {n_out} target values (one per output unit), got {got}",
                    *loc,
                    "target",
                )
        passes = spec.epochs * (n + len(es.validation))
        if passes > MAX_PASSES:
            raise fail(
                f"{spec.epochs:,} epochs over {n + len(es.validation):,} training and validation "
                f"examples is too long a run for a worked example (at most {MAX_PASSES:,} passes)",
                "epochs",
            )


def _standard_weights(spec: NetworkProblem, width: int, fail: Fail) -> NetworkProblem:
    """The problem with every layer's weights row per unit, whichever way the file wrote them."""
    if spec.connections is not None:
        return _from_connections(spec, width, fail)
    layers: list[Layer] = []
    for i, layer in enumerate(spec.layers):
        if layer.weights is None:
            raise fail(
                "missing required key 'weights' (or give every weight by name in `connections:`)",
                "layers",
                i,
            )
        if spec.weights_by == "input":
            before = width if i == 0 else len(layers[-1].matrix)
            if len(layer.weights) != before:
                source = "the input has" if i == 0 else f"layer {i - 1} has"
                raise fail(
                    f"with `weights_by: input`, row i holds the weights from input i to every unit: "
                    f"expected {before} rows ({source} {before} values), got {len(layer.weights)}",
                    "layers",
                    i,
                    "weights",
                )
            layer = layer.model_copy(update={"weights": [list(c) for c in zip(*layer.weights)]})
        layers.append(layer)
    return spec.model_copy(update={"layers": layers})


def _from_connections(spec: NetworkProblem, width: int, fail: Fail) -> NetworkProblem:
    """Weights (and biases) from ``connections: {w14: 0.2, b4: -0.4, …}`` with the slides' numbering.

    The inputs are units 1…n; each layer's units are named by ``units:`` or else numbered on.
    ``w14``, ``w1_4`` and ``w(1,4)`` all mean the weight from unit 1 into unit 4.
    """
    assert spec.connections is not None
    if spec.weights_by != "unit":
        raise fail(
            "`weights_by:` orders a weight matrix; `connections:` names each weight", "weights_by"
        )
    before = [str(k + 1) for k in range(width)]
    names: list[list[str]] = []
    number = width
    for i, layer in enumerate(spec.layers):
        if layer.weights is not None:
            raise fail(
                "give the weights either as `weights:` here or by name in `connections:`, not both",
                "layers",
                i,
                "weights",
            )
        if not layer.units:
            raise fail(
                "with `connections:`, give each layer's unit numbers, e.g. `units: [4, 5]`"
                + (" (a layer needs at least one unit)" if layer.units is not None else ""),
                "layers",
                i,
                *(("units",) if layer.units is not None else ()),
            )
        names.append(list(layer.units))
        number += len(layer.units)
    feeding = [before, *names[:-1]]
    wanted: dict[tuple[str, str], tuple[int, int, int]] = {}
    for i, (sources, units) in enumerate(zip(feeding, names)):
        for j, unit in enumerate(units):
            for k, source in enumerate(sources):
                wanted[(source, unit)] = (i, j, k)
    weights = [[[0.0] * len(sources) for _ in units] for sources, units in zip(feeding, names)]
    biases: dict[str, float] = {}
    seen: set[tuple[str, str]] = set()
    all_units = {u for units in names for u in units}
    for key, value in spec.connections.items():
        text = str(key).strip()
        if text.lower().startswith("b") and text[1:].lstrip("_") in all_units:
            biases[text[1:].lstrip("_")] = value
            continue
        pair = _connection_pair(text, wanted)
        if pair is None:
            example = next(iter(wanted))
            raise fail(
                f"expected a weight named w<from><to> (e.g. w{example[0]}{example[1]}) between "
                f"neighbouring layers, or a bias b<unit>; inputs are 1–{width}, units "
                f"{', '.join(u for units in names for u in units)}",
                "connections",
                key,
            )
        if pair in seen:
            raise fail(f"the weight {pair[0]} → {pair[1]} is given twice", "connections", key)
        seen.add(pair)
        i, j, k = wanted[pair]
        weights[i][j][k] = value
    missing = [f"w{a}{b}" for (a, b) in wanted if (a, b) not in seen]
    if missing:
        raise fail(
            f"missing {', '.join(missing[:6])}{' …' if len(missing) > 6 else ''}; "
            "give every weight between neighbouring layers (0 for no connection)",
            "connections",
        )
    layers = []
    for i, layer in enumerate(spec.layers):
        bias: float | list[float] = layer.bias
        named = [u for u in names[i] if u in biases]
        if named:
            if "bias" in layer.model_fields_set:
                raise fail(
                    "give the biases either here or in `connections:`, not both",
                    "layers",
                    i,
                    "bias",
                )
            bias = [biases.get(u, 0.0) for u in names[i]]
        new = layer.model_copy(update={"weights": weights[i], "bias": bias})
        new._weight_names = [[f"w{source}{unit}" for source in feeding[i]] for unit in names[i]]
        layers.append(new)
    return spec.model_copy(update={"layers": layers})


def _connection_pair(
    key: str, wanted: dict[tuple[str, str], tuple[int, int, int]]
) -> tuple[str, str] | None:
    """``w14`` / ``w1_4`` / ``w(1,4)`` / ``w1→4`` → ("1", "4") where that is a connection; else None."""
    m = CONNECTION.fullmatch(key.replace(" ", ""))
    if m is None:
        return None
    pair = m.group("pair")
    for sep in (",", "_", "→", "->", "-"):
        if sep in pair:
            a, _, b = pair.partition(sep)
            return (a, b) if (a, b) in wanted else None
    splits = [(pair[:n], pair[n:]) for n in range(1, len(pair))]
    found = [p for p in splits if p in wanted]
    return found[0] if len(found) == 1 else None


def _check_dropout(spec: NetworkProblem, fail: Callable[..., InputError]) -> None:
    """One keep-mask (1 keeps, 0 drops) per hidden layer, one entry per unit; a rate in [0, 1)."""
    if not 0 <= spec.dropout_rate < 1:
        raise fail(
            f"expected a dropout rate from 0 up to (not including) 1, got {spec.dropout_rate:g} "
            "(kept outputs are scaled by 1/(1 − rate))",
            "dropout_rate",
        )
    if spec.dropout is None:
        return
    hidden = len(spec.layers) - 1
    if len(spec.dropout) != hidden:
        raise fail(
            f"expected {hidden} mask{'s' if hidden != 1 else ''} (one per hidden layer), "
            f"got {len(spec.dropout)}",
            "dropout",
        )
    for k, mask in enumerate(spec.dropout):
        units = len(spec.layers[k].matrix)
        if len(mask) != units:
            raise fail(
                f"expected {units} entries (one per unit of layer {k + 1}), got {len(mask)}",
                "dropout",
                k,
            )
        for i, value in enumerate(mask):
            if value not in (0.0, 1.0):
                raise fail(f"expected 1 (keep) or 0 (drop), got {value:g}", "dropout", k, i)
