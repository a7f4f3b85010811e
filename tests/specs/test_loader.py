"""Safe loading: hostile YAML, binary files, directories, bombs and depth never crash or hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dlcalc.errors import InputError
from dlcalc.specs.loader import load, parse_yaml


def message(text: str | bytes, tmp_path: Path) -> str:
    path = tmp_path / "p.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError) as info:
        load(str(path))
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("input: [0.05, 0.10\ntarget: [0.01]\n", ["line 2", "invalid YAML"]),
        ("input: !!python/object/apply:os.system ['echo pwned']\n", ["line 1", "plain numbers"]),
        ("", ["empty"]),
        ("# only a comment\n", ["empty"]),
        ("- 1\n- 2\n", ["list", "mapping"]),
        ("just text\n", ["mapping"]),
        ("a: 1\n---\nb: 2\n", ["invalid YAML"]),
        ("1: 2\n", ["not a name"]),
        (b"\x00\x01\x02binary", ["binary"]),
        (b"\xff\xfe\xfa garbage", ["UTF-8"]),
        ("a: &x [1, 2]\nb: *x\n", ["aliases"]),
        ("[" * 5000 + "]" * 5000, ["nested", "deep"]),
    ],
)
def test_hostile_files(text: str | bytes, words: list[str], tmp_path: Path) -> None:
    shown = message(text, tmp_path)
    assert "p.yaml" in shown
    for word in words:
        assert word.lower() in shown.lower()


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    start = time.perf_counter()
    shown = message("\n".join(lines) + "\n", tmp_path)
    assert "aliases" in shown
    assert time.perf_counter() - start < 2


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load(str(tmp_path / "nope.yaml"))
    with pytest.raises(InputError, match="directory"):
        load(str(tmp_path))


def test_lines_are_remembered() -> None:
    doc = parse_yaml("a: 1\nlayers:\n  - weights: [[1]]\n    bias: 2\n", "x.yaml")
    assert doc.line_of(("layers", 0, "bias")) == 4
    assert doc.line_of(("layers", 0, "nothing")) == 3
