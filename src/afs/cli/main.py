"""Entry point of the `afs` command: builds the Typer app from the command-group modules."""

from __future__ import annotations

import importlib

import typer

from afs import __version__
from afs.cli.output import EXIT_BAD_INPUT, EXIT_FAILURE, err_console
from afs.errors import AfsError, InputError

# Each module exposes `register(app)`; they import heavy libraries inside commands only,
# so `afs --help` stays fast.
COMMAND_MODULES = (
    "models",
    "asm",
    "train",
    "run",
    "serve",
    "benchmark",
    "kg",
    "logs",
    "feedback",
    "corpus",
    "pretrain",
    "distillation",
)

app = typer.Typer(
    name="afs",
    help="AFS: domain-expert models for SNES 65816 assembly (A Link to the Past).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"afs {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """AFS command line."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"afs.cli.{_name}").register(app)


def main() -> None:
    """Run the CLI, turning AFS errors into one-line messages and meaningful exit codes."""
    try:
        app()
    except InputError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_BAD_INPUT) from None
    except AfsError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_FAILURE) from None
