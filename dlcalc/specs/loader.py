"""Reading problem files safely and turning validation errors into one clear message.

Problem files may come from strangers, so YAML is parsed with PyYAML's safe loader
only (no tags that build objects), anchors and aliases are refused (they are how
"billion laughs" bombs are built, and problems never need them), and size and
nesting are bounded.  Every failure becomes an :class:`~dlcalc.errors.InputError`
that names the file, the line and the field.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dlcalc.errors import InputError

MAX_BYTES = 300_000  # a worked example is a few kB; YAML parsing runs at roughly 100-250 kB/s
MAX_DEPTH = 50

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass
class Document:
    """A parsed problem file: its data, its name for messages, and where each value stands."""

    data: Any
    name: str
    text: str = ""
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Iterable[str | int]) -> int | None:
        """The line of the deepest part of ``loc`` that the file has (1-based)."""
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def read_text(path: str) -> tuple[str, str]:
    """Read ``path`` (``-`` is standard input); return ``(name for messages, text)``."""
    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError(
                "expected a problem on standard input (pipe a YAML file into dlcalc)",
                file="<stdin>",
            )
        raw = sys.stdin.buffer.read(MAX_BYTES + 1) if hasattr(sys.stdin, "buffer") else None
        if raw is None:
            text = sys.stdin.read(MAX_BYTES + 1)
            raw = text.encode("utf-8", "surrogatepass")
        return "<stdin>", _decode(raw, "<stdin>")
    p = Path(path)
    if not p.exists():
        raise InputError("no such file (check the path)", file=path)
    if p.is_dir():
        raise InputError("is a directory; expected a YAML problem file", file=path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise InputError(f"cannot be read: {e.strerror or e}", file=path) from None
    return path, _decode(raw, path)


def _decode(raw: bytes, name: str) -> str:
    if len(raw) > MAX_BYTES:
        raise InputError(
            f"is larger than {MAX_BYTES // 1000} kB; expected a small YAML problem file",
            file=name,
        )
    if b"\x00" in raw:
        raise InputError("is a binary file; expected a YAML problem file", file=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"is not UTF-8 text (byte {e.start}); expected a YAML problem file", file=name
        ) from None


def parse_yaml(text: str, name: str) -> Document:
    """Parse YAML text safely, remembering the line of every key and list item."""
    # libyaml's safe loader where PyYAML was built with it (several times faster), else PyYAML's own.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, name, text)
        lines: dict[Loc, int] = {}
        _walk(node, (), lines, set(), 0, name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = e.problem or str(e)
        if isinstance(e, yaml.constructor.ConstructorError):
            what = f"{what}; problem files may only hold plain numbers, strings, lists and mappings"
        raise InputError(f"invalid YAML: {what}", file=name, line=line) from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {e}", file=name) from None
    except RecursionError:
        raise InputError(
            f"invalid YAML: nested more than {MAX_DEPTH} levels deep", file=name
        ) from None
    finally:
        loader.dispose()
    return Document(data, name, text, lines)


def _walk(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], seen: set[int], depth: int, name: str
) -> None:
    if depth > MAX_DEPTH:
        raise InputError(
            f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
            file=name,
            line=node.start_mark.line + 1,
        )
    if id(node) in seen and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        raise InputError(
            "YAML anchors and aliases (&name / *name) are not allowed in problem files; write the values out",
            file=name,
            line=node.start_mark.line + 1,
        )
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key: str | int = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            lines.setdefault(loc + (key,), key_node.start_mark.line + 1)
            _walk(value_node, loc + (key,), lines, seen, depth + 1, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.setdefault(loc + (i,), item.start_mark.line + 1)
            _walk(item, loc + (i,), lines, seen, depth + 1, name)


def load(path: str) -> Document:
    """Read and parse a problem file; it must hold one YAML mapping."""
    name, text = read_text(path)
    doc = parse_yaml(text, name)
    if doc.data is None:
        raise InputError("is empty; expected a YAML mapping such as `layers: [...]`", file=name)
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise InputError(
            f"holds a {_KINDS.get(kind, kind)}; expected a YAML mapping of keys to values",
            file=name,
            line=1,
        )
    bad = [k for k in doc.data if not isinstance(k, str)]
    if bad:
        raise InputError(
            f"key {bad[0]!r} is not a name; expected text keys",
            file=name,
            line=doc.line_of((bad[0],)),
        )
    return doc


_KINDS = {
    "list": "list",
    "str": "plain string",
    "int": "number",
    "float": "number",
    "bool": "true/false",
}


def field_path(loc: Iterable[str | int]) -> str:
    """``('layers', 0, 'weights')`` -> ``layers[0].weights``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate(model: type[M], doc: Document) -> M:
    """Validate ``doc.data`` against ``model``; the first problem becomes an InputError."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as e:
        raise translate(e, doc) from None


def translate(error: ValidationError, doc: Document) -> InputError:
    """The first error of a pydantic ValidationError as ``file:line: field: message``."""
    errors = error.errors(include_url=False)
    first = errors[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    ctx = first.get("ctx") or {}
    kind = first["type"]
    msg = first["msg"]
    if kind == "missing":
        loc, msg = loc[:-1], f"missing required key {loc[-1]!r}" if loc else "missing required key"
    elif kind == "unknown_key":
        key = ctx.get("key")
        loc = loc + (key,) if key is not None else loc
        msg = str(msg)
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif kind in ("model_type", "dict_type"):
        msg = f"expected a mapping of keys to values, got {describe(first.get('input'))}"
    elif kind == "list_type":
        msg = f"expected a list, got {describe(first.get('input'))}"
    elif kind in ("string_type",):
        msg = f"expected text, got {describe(first.get('input'))}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        msg = f"expected a whole number, got {describe(first.get('input'))}"
    elif kind in ("float_type", "float_parsing"):
        msg = f"expected a number, got {describe(first.get('input'))}"
    elif kind in ("bool_type", "bool_parsing"):
        msg = f"expected true or false, got {describe(first.get('input'))}"
    elif kind in ("literal_error", "enum"):  # dlcalc's wording, not the validator's
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        got = first.get("input")
        hint = suggest(str(got), expected.split(", ")) if isinstance(got, str) else ""
        msg = (
            f"unknown value {got!r}{hint}; expected one of: {expected}"
            if isinstance(got, str)
            else f"expected one of: {expected}; got {describe(got)}"
        )
    elif isinstance(msg, str) and msg.startswith("Input should be "):
        msg = f"expected {msg[len('Input should be ') :]}, got {describe(first.get('input'))}"
    more = (
        f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        if len(errors) > 1
        else ""
    )
    return InputError(
        msg + more, file=doc.name, line=doc.line_of(loc), field=field_path(loc) or None
    )


def describe(value: Any) -> str:
    """A short description of a YAML value for error messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or an empty string."""
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
