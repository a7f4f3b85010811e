"""Reading inputs and writing outputs so that a hostile or unlucky file cannot hurt.

Reading: a file is read at most :data:`~dlcalc.limits.MAX_FILE_BYTES` bytes; a FIFO or a
device is opened non-blocking and given a few seconds (a FIFO with no writer is simply
empty, never a hang); a symbolic-link loop, a directory or a missing file each get
their own message; standard input is read at most once per command (``check - -`` is
refused).  Every path read is remembered, so that ``-o`` can refuse to overwrite an input.

Writing: output goes to a temporary file beside the target and is renamed onto it only
when the whole command has succeeded (:func:`commit`); on any error the temporary files
are removed (:func:`discard`), so exit status 2 never leaves a file behind, and a full
disk never replaces a good file by a truncated one.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from pathlib import Path

from dlcalc.errors import InputError
from dlcalc.limits import CONTROL, MAX_FILE_BYTES

STDIN = "<stdin>"
SLOW_SOURCE_SECONDS = 5.0  # how long a FIFO or device may take to deliver its text

_inputs: list[str] = []  # real paths of every file read by the current command
_stdin_reader: object | None = None  # the sys.stdin object already read, if any
_pending: list[tuple[str, Path]] = []  # (temporary file, target) awaiting commit
_in_command = False  # set by reset(): staged files wait for the command's commit()


def reset() -> None:
    """Forget the inputs of an earlier command (tests run many commands in one process)."""
    global _stdin_reader, _in_command
    discard()
    _inputs.clear()
    _stdin_reader = None
    _in_command = True


def read_input(path: str, limit: int = MAX_FILE_BYTES) -> tuple[str, bytes]:
    """Read ``path`` (``-`` is standard input) up to ``limit`` + 1 bytes: ``(name for messages, bytes)``."""
    if path == "-":
        return STDIN, _read_stdin(limit)
    if CONTROL.search(path):
        raise InputError("the file name contains a control character; rename the file", file=path)
    try:
        info = os.stat(path)
    except OSError as e:
        raise InputError(_why(e), file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory; expected a YAML file", file=path)
    _inputs.append(os.path.realpath(path))
    regular = stat.S_ISREG(info.st_mode)
    try:
        fd = os.open(path, os.O_RDONLY | (0 if regular else os.O_NONBLOCK))
    except OSError as e:
        raise InputError(_why(e), file=path) from None
    try:
        if regular:
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return path, fh.read(limit + 1)
        return path, _read_slowly(fd, limit, path)
    except OSError as e:
        raise InputError(_why(e), file=path) from None
    finally:
        os.close(fd)


def _why(e: OSError) -> str:
    """The reason a file cannot be read, in words (a symlink loop is not a missing file)."""
    if e.errno == errno.ENOENT:
        return "no such file (check the path)"
    if e.errno == errno.ELOOP:
        return "is a loop of symbolic links; give the real file"
    if e.errno == errno.EACCES:
        return "cannot be read: permission denied"
    if e.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a directory)"
    if e.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return f"cannot be read: {e.strerror or e}"


def _read_slowly(fd: int, limit: int, name: str) -> bytes:
    """Read a FIFO or device opened non-blocking, for at most a few seconds."""
    import select

    deadline = time.monotonic() + SLOW_SOURCE_SECONDS
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        try:  # first without waiting: a FIFO with no writer reads as empty at once
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            chunk = None
        if chunk == b"":
            break
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InputError(
                f"delivered no complete file within {SLOW_SOURCE_SECONDS:g} s; give a regular file",
                file=name,
            )
        select.select([fd], [], [], min(remaining, 0.5))
    return b"".join(chunks)


def _read_stdin(limit: int) -> bytes:
    global _stdin_reader
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        raise InputError(
            "expected a file on standard input (pipe a YAML file into dlcalc)", file=STDIN
        )
    if _stdin_reader is stdin:
        raise InputError(
            "standard input was already read for another file of this command; give the second file by name",
            file=STDIN,
        )
    _stdin_reader = stdin
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        raw: bytes = buffer.read(limit + 1)
        return raw
    return stdin.read(limit + 1).encode("utf-8", "surrogatepass")


# --- writing ---------------------------------------------------------------------------------


def refuse_input(path: Path, field: str = "--output") -> None:
    """Refuse to write onto a file this command reads (``forward p.yaml -o p.yaml``)."""
    target = os.path.realpath(path)
    if target in _inputs:
        raise InputError(
            "is an input of this command; write the output to another file",
            file=str(path),
            field=field,
        )


def staged(path: Path, field: str = "--output") -> Path:
    """A temporary path beside ``path`` to write to; :func:`commit` renames it onto ``path``.

    Refuses a directory, a missing folder and an input file before anything is written.
    """
    refuse_input(path, field)
    if CONTROL.search(str(path)):
        raise InputError(
            "the file name contains a control character; choose another",
            file=str(path),
            field=field,
        )
    if path.is_dir():
        raise InputError("is a directory; give a file name", file=str(path), field=field)
    if path.is_symlink():  # renaming onto it would replace the link, not write its file
        raise InputError(
            "is a symbolic link; give the file it points to, or another name",
            file=str(path),
            field=field,
        )
    if path.exists() and not path.is_file():
        raise InputError(
            "is not a regular file (a device or pipe); give a file name, or leave out the option to print",
            file=str(path),
            field=field,
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(
            "cannot be written: its folder does not exist", file=str(path), field=field
        )
    import tempfile  # here, not at the top: the command line starts faster

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise InputError(
            f"cannot be written: {e.strerror or e}", file=str(path), field=field
        ) from None
    os.close(fd)
    _pending.append((tmp, path))
    return Path(tmp)


def write_text(path: Path, text: str, field: str = "--output") -> None:
    """Write ``text`` to a staged temporary file for ``path`` (renamed by :func:`commit`)."""
    tmp = staged(path, field)
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as e:
        discard()
        raise InputError(
            f"cannot be written: {e.strerror or e}", file=str(path), field=field
        ) from None


def in_command() -> bool:
    """Whether a command is running (its staged files wait for :func:`commit`)."""
    return _in_command


def commit() -> None:
    """Rename every staged file onto its target (the command has succeeded)."""
    global _in_command
    _in_command = False
    umask = os.umask(0)
    os.umask(umask)
    try:
        while _pending:
            tmp, target = _pending[0]
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
            _pending.pop(0)
    except OSError as e:
        target = _pending[0][1]
        discard()
        raise InputError(f"cannot be written: {e.strerror or e}", file=str(target)) from None


def discard() -> None:
    """Remove every staged file that was not committed (the command failed)."""
    global _in_command
    _in_command = False
    while _pending:
        tmp, _ = _pending.pop()
        try:
            os.unlink(tmp)
        except OSError:
            pass


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output; a full disk or closed pipe is one error line, not a traceback.

    Under ``--ascii`` the text is written in plain ASCII whatever wrote it."""
    if os.environ.get("DLCALC_ASCII") and not text.isascii():
        from dlcalc.render import any_in_ascii

        text = any_in_ascii(text)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as e:
        raise stdout_failed(e) from None


def stdout_failed(e: OSError) -> InputError:
    """The error for a failed write to standard output; later flushes go to /dev/null."""
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)  # Python's own flush at exit must not fail a second time
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return InputError(f"cannot be written: {e.strerror or e}", file="standard output")
