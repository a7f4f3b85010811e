"""Reading problem files safely and turning validation errors into one clear message.

Problem files may come from strangers, so YAML is read event by event and composed
without recursion (a file of 30,000 ``[`` cannot overflow the C stack); tags, anchors
and aliases are refused (aliases are how "billion laughs" bombs are built, and problems
never need them); size, nesting, text length and number length are bounded
(dlcalc.limits); duplicate keys are refused with both lines; control characters are
refused; and numbers are read as a person writes them (``010`` is ten, ``−0.5`` is a
number, ``0x10`` and ``1:30`` are not).  Every failure becomes an :class:`~dlcalc.errors.InputError`
that names the file, the line and the field.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dlcalc.app import files
from dlcalc.errors import InputError
from dlcalc.limits import CONTROL, MAX_DEPTH, MAX_NUMBER_CHARS, MAX_TEXT
from dlcalc.limits import MAX_FILE_BYTES as MAX_BYTES

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class Document:
    """A parsed problem file: its data, its name for messages, and where each value stands."""

    __slots__ = ("data", "name", "text", "lines", "node")

    def __init__(
        self,
        data: Any,
        name: str,
        text: str = "",
        lines: dict[Loc, int] | None = None,
        node: yaml.Node | None = None,
    ) -> None:
        self.data = data
        self.name = name
        self.text = text
        self.lines: dict[Loc, int] = lines if lines is not None else {}
        self.node = node  # the composed YAML, for readers that need the text as written

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
    name, raw = files.read_input(path, MAX_BYTES)
    return name, _decode(raw, name)


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


# --- parsing ---------------------------------------------------------------------------------
#
# The YAML is read event by event (libyaml's parser is a state machine, it never recurses)
# and composed here without recursion, so that a file of 30,000 `[` is refused at the 51st
# instead of overflowing the C stack.  Aliases, anchors and tags are refused as they come.
# Plain scalars are then read the way a person writes them (YAML 1.1's octal, binary,
# hexadecimal, sexagesimal and yes/no readings are not used): `010` is ten, `0x10` and
# `1:30` are text (and refused where a number is expected), `−0.5` with the Unicode minus
# is a number, only ASCII digits are digits.

STR, INT, FLOAT, BOOL, NULL = (
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null")
)
SEQ, MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
MINUS = "\u2212"  # the minus sign dlcalc itself prints
_INT = re.compile(r"[-+\u2212]?[0-9]+", re.ASCII)
_FLOAT = re.compile(
    r"[-+\u2212]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+\u2212]?[0-9]+)?", re.ASCII
)
_SPECIAL = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = ("", "~", "null", "Null", "NULL")
_CONTROL = CONTROL


def plain_value(text: str) -> Any:
    """The value of an unquoted YAML scalar, read as a person writes it."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _SPECIAL:
        return _SPECIAL[text]
    if _FLOAT.fullmatch(text):
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError(
                f"a number written with {len(text):,} characters; at most {MAX_NUMBER_CHARS}"
            )
        number = text.replace(MINUS, "-")
        if _INT.fullmatch(text):
            return int(number, 10)
        return float(number)
    return text


def _scalar_tag(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    return STR


def parse_yaml(text: str, name: str) -> Document:
    """Parse YAML text safely, remembering the line of every key and list item."""
    _TEXTS[name] = text
    node = compose(text, name)
    if node is None:
        return Document(None, name, text)
    lines: dict[Loc, int] = {}
    data = _construct(node, (), lines, name)
    return Document(data, name, text, lines, node)


def compose(text: str, name: str) -> yaml.Node | None:
    """The YAML node tree of ``text``, built without recursion; refuses what problems never need.

    Refused: nesting deeper than MAX_DEPTH, anchors and aliases (of every kind), tags, more
    than one document, and text with control characters.  Scalars get the tag of the value a
    person means (see :func:`plain_value`).
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stack: list[list[Any]] = []  # [collection node, pending mapping key node or None]
    root: yaml.Node | None = None
    documents = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise InputError(
                    "YAML anchors and aliases (&name / *name) are not allowed in problem files; write the values out",
                    file=name,
                    line=line,
                )
            if getattr(event, "tag", None) is not None:
                raise InputError(
                    f"YAML tags such as {event.tag!r} are not allowed; problem files hold plain numbers, text, lists and mappings",
                    file=name,
                    line=line,
                )
            node: yaml.Node
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise InputError(
                        "invalid YAML: more than one document (a second ---); give one problem per file",
                        file=name,
                        line=line,
                    )
                continue
            if isinstance(event, yaml.ScalarEvent):
                value = event.value
                bad = _CONTROL.search(value)
                if bad:
                    raise InputError(
                        f"contains the control character {bad.group()!r}; problem files hold plain text only",
                        file=name,
                        line=line,
                    )
                if len(value) > MAX_TEXT:
                    raise InputError(
                        f"a text of {len(value):,} characters; at most {MAX_TEXT} are allowed",
                        file=name,
                        line=line,
                    )
                tag = STR
                if event.implicit[0]:  # plain (unquoted)
                    try:
                        tag = _scalar_tag(plain_value(value))
                    except ValueError as e:
                        raise InputError(str(e), file=name, line=line) from None
                node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            elif isinstance(event, yaml.SequenceStartEvent):
                node = yaml.SequenceNode(SEQ, [], event.start_mark, event.end_mark)
            elif isinstance(event, yaml.MappingStartEvent):
                node = yaml.MappingNode(MAP, [], event.start_mark, event.end_mark)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                stack.pop()
                continue
            else:
                continue
            if not stack:
                root = node
            else:
                parent = stack[-1]
                if isinstance(parent[0], yaml.SequenceNode):
                    parent[0].value.append(node)
                elif parent[1] is None:
                    parent[1] = node
                else:
                    parent[0].value.append((parent[1], node))
                    parent[1] = None
            if isinstance(node, yaml.CollectionNode):
                stack.append([node, None])
                if len(stack) > MAX_DEPTH:
                    raise InputError(
                        f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                        file=name,
                        line=line,
                    )
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        if "nesting depth" in (e.problem or ""):  # PyYAML ≥ 6.0.3 stops deep nesting itself
            raise InputError(
                f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                file=name,
                line=mark.line + 1 if mark is not None else None,
            ) from None
        raise InputError(
            yaml_problem(e.problem or str(e), e.context, text, mark),
            file=name,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {str(e).splitlines()[0]}", file=name) from None
    return root


def yaml_problem(problem: str, context: str | None, text: str, mark: Any) -> str:
    """A YAML syntax error in words, with how to fix the usual causes (tabs, indentation)."""
    lines = text.splitlines()
    here = lines[mark.line] if mark is not None and 0 <= mark.line < len(lines) else ""
    before = here[: mark.column + 1] if mark is not None else ""
    if (
        "\\t" in problem
        or "\t" in before
        or (problem.startswith("found character") and "\t" in here)
    ):
        return "invalid YAML: a tab is used for indentation; indent with spaces"
    hint = ""
    if any(
        phrase in f"{problem} {context or ''}"
        for phrase in (
            "mapping values are not allowed",
            "expected <block end>",
            "did not find expected",
            "could not find expected ':'",
        )
    ):
        hint = "; check the indentation: keys of one mapping and items of one list must line up (indent with spaces)"
    return f"invalid YAML: {problem}{hint}"


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], name: str) -> Any:
    """Python data from a composed node (recursion is bounded by MAX_DEPTH)."""
    if isinstance(node, yaml.ScalarNode):
        return plain_value(node.value) if node.tag != STR else node.value
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, item in enumerate(node.value):
            lines.setdefault(loc + (i,), item.start_mark.line + 1)
            out.append(_construct(item, loc + (i,), lines, name))
        return out
    mapping: dict[Any, Any] = {}
    first_line: dict[Any, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise InputError(
                "a list or mapping used as a key; keys are names", file=name, line=line
            )
        key = _construct(key_node, loc, lines, name)
        if key in first_line:
            raise InputError(
                f"key {key!r} is given twice (lines {first_line[key]} and {line}); keep one",
                file=name,
                line=line,
                field=field_path(loc) or None,
            )
        first_line[key] = line
        lines.setdefault(loc + (key,), line)
        mapping[key] = _construct(value_node, loc + (key,), lines, name)
    return mapping


# Texts of the files read by this command, so that an error can quote the line it is on.
_TEXTS: dict[str, str] = {}


def annotate(error: InputError) -> InputError:
    """Add a hint when ``0,5`` (two numbers in YAML) may be why a list has the wrong length.

    The hint names the first line that holds such a pair, when the error is on that line
    or is about how many values a list has.
    """
    text = _TEXTS.get(error.file or "")
    if text is None or "decimal point" in error.message:
        return error
    on_line = None
    for number, line in enumerate(text.splitlines(), 1):
        if "[" in line and re.search(_COMMA_PAIR, line.split("#")[0]):
            on_line = number
            break
    if on_line is None:
        return error
    if error.line == on_line or re.search(_ABOUT_COUNTS, error.message):
        pair = re.search(_COMMA_PAIR, text.splitlines()[on_line - 1]).group()  # type: ignore[union-attr]
        error.message += (
            f" (note: line {on_line} has {pair}, which YAML reads as two numbers; "
            f"for one number use a decimal point: {pair.replace(',', '.')})"
        )
    return error


def failure(error: Exception, where: str) -> str:
    """The one-line message for an error while solving the input ``where`` (a file, "command line").

    Input errors that know their file keep it; any other exception (a bug) still becomes a
    message, never a traceback.
    """
    prefix = f"{where}: " if where else ""
    if isinstance(error, InputError):
        return str(annotate(error.located(where or None)))
    if isinstance(error, OverflowError):
        return f"{prefix}a number grows beyond the range of a double (about 1.8e308); use smaller values"
    if isinstance(error, (RecursionError, MemoryError)):
        return f"{prefix}too large or too deeply nested to work out ({type(error).__name__})"
    return f"{prefix}internal error ({type(error).__name__}: {error}); please report this input"


# Patterns of error messages only: compiled (and cached by ``re``) when first needed.
_COMMA_PAIR = r"(?a)(?<![\d.])\d+,\d+"
_ABOUT_COUNTS = r"\d+ (input )?(values|weights|numbers|items|columns|rows|target)|has \d+|got \d+"


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
