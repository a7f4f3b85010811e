"""The one exception type that means "the user's input is wrong" (exit status 2)."""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def printable(text: str) -> str:
    """``text`` on one line with every control or format character escaped (ESC as \\x1b, newline as \\n).

    Error messages quote file names, keys and values written by strangers; escaping them
    keeps one message on one line and keeps escape sequences away from the terminal.
    """
    if text.isprintable():
        return text
    import unicodedata

    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif unicodedata.category(ch) in ("Zs",):
            out.append(" ")
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


class InputError(Exception):
    """Invalid problem file, option or expression.

    Carries where the problem is (file, line, field) so that the CLI can print one
    message of the form ``file:line: field: what was expected``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def located(self, file: str | None = None) -> InputError:
        """Return this error with ``file`` filled in when it was not known yet."""
        if self.file is None and file is not None:
            self.file = file
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f", line {self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return printable(f"{where}{field}{self.message}")


class InvalidInput(ValueError):
    """Invalid input to :func:`dlcalc.solve` or :func:`dlcalc.check`: a ``ValueError`` whose
    message is the command line's one-line message (``file, line 3: field: what was expected``)."""
