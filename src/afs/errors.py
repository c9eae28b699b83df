"""Errors shared by every layer of AFS.

`InputError` is what bad user input becomes: it names the file, the line and what was
expected, and the CLI turns it into exit code 2.
"""

from __future__ import annotations

from pathlib import Path


class AfsError(Exception):
    """Base class of every error AFS raises on purpose."""


class InputError(AfsError):
    """Bad input from a file or the command line, located as precisely as we can."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message
