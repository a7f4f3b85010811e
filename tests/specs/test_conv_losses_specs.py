"""conv-shape, softmax, crossentropy and kld problem files: errors name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.conv import layer_from_text, load_conv
from dlcalc.specs.loader import load
from dlcalc.specs.losses import load_crossentropy, load_kld, load_softmax


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "problem.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_conv_layer_error_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 6, kernel: 5}\n  - maxpool: {kernel: 2, stride: 0}\n",
    )
    with pytest.raises(InputError) as e:
        load_conv(load(path))
    assert (e.value.file, e.value.line, e.value.field) == (path, 4, "layers[1].maxpool.stride")


def test_conv_layer_with_two_kinds_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "input: [32, 32, 3]\nlayers:\n  - {conv: {filters: 6, kernel: 5}, flatten: {}}\n"
    )
    with pytest.raises(InputError) as e:
        load_conv(load(path))
    assert e.value.field == "layers[0]" and "one key" in e.value.message


def test_conv_pairs_and_padding_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "input: [32, 32, 3]\nlayers:\n  - conv: {filters: 6, kernel: [3, 5], padding: SAME, stride: 2}\n",
    )
    layer = load_conv(load(path)).layers[0]
    assert layer.settings.kernel == (3, 5)  # type: ignore[attr-defined]
    assert layer.settings.padding == "same"  # type: ignore[attr-defined]
    assert layer.settings.stride == (2, 2)  # type: ignore[attr-defined]


def test_layer_from_text() -> None:
    assert layer_from_text("conv:96:11:4:0", 1) == {
        "conv": {"filters": "96", "kernel": "11", "stride": "4", "padding": "0"}
    }
    assert layer_from_text("gap", 2) == {"global_avgpool": {}}
    with pytest.raises(InputError) as e:
        layer_from_text("dense:10:20", 3)
    assert "--layer 3" in str(e.value) and "DENSE:UNITS" in e.value.message.upper()


def test_softmax_temperature_must_be_positive(tmp_path: Path) -> None:
    path = write(tmp_path, "logits: [1, 2]\ntemperature: 0\n")
    with pytest.raises(InputError) as e:
        load_softmax(load(path))
    assert (e.value.line, e.value.field) == (2, "temperature")


def test_softmax_logits_must_be_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "logits: [1, two]\n")
    with pytest.raises(InputError) as e:
        load_softmax(load(path))
    assert e.value.field == "logits" and "two" in e.value.message


def test_probabilities_that_do_not_sum_to_one_name_the_row(tmp_path: Path) -> None:
    path = write(
        tmp_path, "target: [[1, 0], [0, 1]]\nprobabilities:\n  - [0.5, 0.5]\n  - [0.5, 0.4]\n"
    )
    with pytest.raises(InputError) as e:
        load_crossentropy(load(path))
    assert (e.value.line, e.value.field) == (4, "probabilities[1]")
    assert "sum to 0.9" in e.value.message


def test_kld_needs_same_lengths(tmp_path: Path) -> None:
    path = write(tmp_path, "p: [0.5, 0.5]\nq: [0.2, 0.3, 0.5]\n")
    with pytest.raises(InputError) as e:
        load_kld(load(path))
    assert (e.value.line, e.value.field) == (2, "q")


def test_kld_gaussian_logvar(tmp_path: Path) -> None:
    path = write(tmp_path, "gaussian:\n  mu: [0.1, 0.2]\n  logvar: [0, -1]\n")
    spec = load_kld(load(path))
    assert spec.gaussian is not None and spec.gaussian.logvar == [0.0, -1.0]
