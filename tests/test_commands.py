"""The command registry (dlcalc/commands.py): registration, choosing a builder, overrides."""

from __future__ import annotations

import pytest

from dlcalc.commands import COMMANDS, command_of, register, solve
from dlcalc.errors import InputError
from dlcalc.settings import SHARED, Settings
from dlcalc.specs.loader import Document
from tests.conftest import EXAMPLES


def test_registration_refuses_an_unknown_shared_option() -> None:
    with pytest.raises(ValueError, match="unknown shared options"):
        register("nothing", options=("carry", "colour"))
    assert "nothing" not in COMMANDS


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_is_complete(command: str) -> None:
    entry = COMMANDS[command]
    assert entry.help.splitlines()[0].strip() and "Examples:" in entry.help
    assert set(entry.options) <= set(SHARED)
    assert [a.name for a in entry.arguments].count("settings") == 0
    assert (entry.read is None) == ([a.name for a in entry.arguments] == ["problem"])


def test_command_from_the_problem_or_the_option() -> None:
    doc = Document({"command": "forward"}, "p.yaml")
    assert command_of(doc, None) == "forward"
    assert command_of(doc, "backprop") == "backprop"
    with pytest.raises(InputError, match="did you mean 'backprop'"):
        command_of(Document({"command": "backprob"}, "p.yaml"), None)
    with pytest.raises(InputError, match="missing key 'command'"):
        command_of(Document({}, "p.yaml"), None)


def test_overrides_replace_problem_keys() -> None:
    doc = Document({"logits": ["1", "2", "3"]}, "command line")
    plain = solve("softmax", doc, Settings())
    doc = Document({"logits": ["1", "2", "3"]}, "command line")
    hot = solve("softmax", doc, Settings(overrides={"temperature": 2.0}))
    assert doc.data["temperature"] == 2.0
    assert plain.result != hot.result


def test_builders_read_the_settings() -> None:
    from dlcalc.specs.loader import load

    doc = load(str(EXAMPLES / "mazur.yaml"))
    carried = solve("forward", doc, Settings(carry=2))
    assert carried.result["layers"][0]["out"] == [0.59, 0.6]
