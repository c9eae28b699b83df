"""Errors of the 65816 toolchain (`afs.asm`).

`AsmError` is an `InputError` that always names the file, line and column of the bad source,
so the CLI prints it as one line and exits with code 2.
"""

from __future__ import annotations

from afs.errors import InputError


class AsmError(InputError):
    """A problem in assembly source; `str()` is ``"file:line:col: message"``."""

    def __init__(self, message: str, file: str = "<input>", line: int = 1,
                 column: int = 1) -> None:
        self.file = file
        super().__init__(message, path=file, line=line, column=column)

    def __reduce__(self):
        # Keep the exception picklable (multiprocessing, pytest-xdist).
        return (type(self), (self.message, self.file, self.line, self.column))
