"""Shared CLI output helpers: the rich console, `--json` printing and exit codes."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

# Exit codes mean something: 0 ok, 1 a failure was found, 2 bad usage or input.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class _LazyConsole:
    """A rich `Console` made on first use: importing rich is a good part of the start-up
    time of a command (`--help`) that prints nothing through it."""

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    def _get(self) -> Console:
        real = object.__getattribute__(self, "_console")
        if real is None:
            from rich.console import Console

            real = Console(**object.__getattribute__(self, "_options"))
            object.__setattr__(self, "_console", real)
        return real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __enter__(self) -> Console:
        return self._get().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._get().__exit__(*exc)  # type: ignore[arg-type]


console: Console = _LazyConsole()  # type: ignore[assignment]
# soft_wrap: an error stays on one line however narrow the terminal (or a pipe) is.
err_console: Console = _LazyConsole(stderr=True, soft_wrap=True)  # type: ignore[assignment]

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


def print_json(data: Any) -> None:
    """Print JSON to stdout (plain, so it pipes cleanly)."""
    import json  # (only `--json` needs it: not imported at every start-up)

    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_lines(lines: Iterable[str], *, stderr: bool = False) -> None:
    """Print `lines` exactly as they are, like `print_json`: no markup, highlighting, emoji
    codes (`file:100:` is not an emoji) or wrapping, and in one write, since thousands of
    lines (asar's warnings on a real hack) through rich cost a good part of a second."""
    text = "\n".join(lines)
    if text:
        stream = sys.stderr if stderr else sys.stdout
        stream.write(text + "\n")
        stream.flush()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print a one-line error to stderr and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# The operating-system refusals that mean the user named a wrong path (exit 2), not a fault.
_PATH_ERRORS = {
    errno.ENOENT: "no such file or directory",
    errno.EISDIR: "is a directory, expected a file",
    errno.ENOTDIR: "a part of the path is a file, expected a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EEXIST: "already exists",
}


def os_error_message(exc: OSError) -> str | None:
    """One line for an `OSError` about a path the user gave; None for other OS errors."""
    if exc.errno not in _PATH_ERRORS or exc.filename is None:
        return None
    return f"{exc.filename}: {_PATH_ERRORS[exc.errno]}"


def check_output_file(path: str | Path, what: str = "output") -> Path:
    """Refuse, before any work, an output file path that cannot be written.

    A directory, a path under a file, or a place without write permission each raise
    `InputError` naming the path; nothing is created.
    """
    from afs.errors import InputError

    target = Path(path)
    if target.is_dir():
        raise InputError(f"{what} {target} is a directory, expected a file path")
    _check_writable_parent(target, what)
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(f"{what} {target}: permission denied")
    return target


def check_output_dir(path: str | Path, what: str = "output directory") -> Path:
    """Refuse, before any work, an output directory that is a file or cannot be created."""
    from afs.errors import InputError

    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{what} {target} is a file, expected a directory")
    if target.is_dir():
        if not os.access(target, os.W_OK | os.X_OK):
            raise InputError(f"{what} {target}: permission denied")
        return target
    _check_writable_parent(target, what)
    return target


def _check_writable_parent(target: Path, what: str) -> None:
    from afs.errors import InputError

    parent = target.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{what} {target}: {parent} is a file, expected a directory")
    import tempfile

    # Permission bits do not tell root (or a read-only mount) the truth: try it.
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError:
        raise InputError(f"{what} {target}: {parent} is not writable") from None
