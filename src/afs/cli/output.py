"""Shared CLI output helpers: the rich console, `--json` printing and exit codes."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

# Exit codes mean something: 0 ok, 1 a failure was found, 2 bad usage or input.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

console = Console()
# soft_wrap: an error stays on one line however narrow the terminal (or a pipe) is.
err_console = Console(stderr=True, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


def print_json(data: Any) -> None:
    """Print JSON to stdout (plain, so it pipes cleanly)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print a one-line error to stderr and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
