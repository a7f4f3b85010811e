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
        assert text == path.read_text(encoding="utf-8"), (
            f"output differs from {path} (pytest --update-goldens rewrites it)"
        )

    return check


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()
