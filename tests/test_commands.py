"""The command registry (dlcalc/app/commands.py): registration, choosing a builder, overrides."""

from __future__ import annotations

import re

import pytest

from dlcalc.app.commands import COMMANDS, PROBLEM, clashes, command_of, register, solve
from dlcalc.app.settings import SHARED, Opt, Settings
from dlcalc.app.tools import TOOLS
from dlcalc.errors import InputError
from dlcalc.specs.loader import Document
from tests.conftest import EXAMPLES


def test_registration_refuses_an_unknown_shared_option() -> None:
    with pytest.raises(ValueError, match="unknown shared options"):
        register("nothing", options=("carry", "colour"))
    assert "nothing" not in COMMANDS


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        (
            (Opt("output", ("--out",), "Where."),),
            (),
            "named 'output', as is the shared option --output",
        ),
        ((Opt("output", (), "Where."),), (), "the argument 'output' is named 'output'"),
        ((Opt("target", ("--output",), "Where."),), (), "the flag --output, which is the shared"),
        (
            (Opt("target", ("-o",), "Where."),),
            (),
            "the flag -o, which is the shared option --output",
        ),
        ((Opt("carry", ("--keep",), "Keep."),), ("carry",), "as is the shared option --carry"),
        ((Opt("settings", ("--settings",), "S."),), (), "the shared options' values"),
        ((Opt("page", ("-h",), "Page."),), (), "the flag -h, which is the help option's"),
        ((Opt("a", ("--x",), "A."), Opt("b", ("--x",), "B.")), (), "the flag --x, which is --x's"),
        ((Opt("a", ("--a",), "A."), Opt("a", ("--b",), "B.")), (), "--b is named 'a', as is --a"),
    ],
)
def test_registration_refuses_options_that_clash(
    arguments: tuple[Opt, ...], options: tuple[str, ...], message: str
) -> None:
    """An argument named like a shared option, or a second --output, fails at registration
    with the reason, not when the command line is built or run."""
    with pytest.raises(ValueError, match=re.escape(message)):
        register("clashing", options=options, arguments=(PROBLEM, *arguments))
    assert "clashing" not in COMMANDS


def test_an_option_the_command_does_not_share_may_take_its_name() -> None:
    """``--carry`` is free for a command that does not take the shared --carry."""
    assert clashes((PROBLEM, Opt("carry", ("--carry",), "Own carry.", int)), ()) is None
    assert clashes((PROBLEM, Opt("carry", ("--carry",), "Own.", int)), ("carry",)) is not None


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_no_tool_clashes_with_the_shared_options(tool: str) -> None:
    assert clashes(TOOLS[tool].arguments, TOOLS[tool].options) is None


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
