"""Shared test fixtures: golden files, a CLI runner with a fixed terminal width, problem paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"

# Rich output in tests: fixed width, no colour, so that rendered text is deterministic.
os.environ["COLUMNS"] = "80"
os.environ["NO_COLOR"] = "1"
os.environ.pop("FORCE_COLOR", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", help="rewrite golden files from the current output"
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """``golden("name.txt", text)`` compares ``text`` with tests/golden/name.txt."""
    update = request.config.getoption("--update-goldens")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-goldens and review it")
        expected = path.read_text(encoding="utf-8")
        if name.endswith(".json") and text != expected:
            # JSON keeps full precision, and a dot product's last bit depends on the machine's
            # BLAS kernel (FMA or not): numbers agree to 1e-13, everything else exactly.
            import json

            assert same_json(json.loads(text), json.loads(expected)), (
                f"output differs from {path} (pytest --update-goldens rewrites it)"
            )
            return
        assert text == expected, f"output differs from {path} (pytest --update-goldens rewrites it)"

    return check


def same_json(a: object, b: object) -> bool:
    """Equal JSON documents, floats compared to 1e-13 relative (the last bits of a BLAS sum)."""
    import math

    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)):
            return False
        if not isinstance(b, (int, float)):
            return False
        return math.isclose(a, b, rel_tol=1e-13, abs_tol=1e-300)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()
