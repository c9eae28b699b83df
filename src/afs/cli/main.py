"""Entry point of the `afs` command: builds the Typer app from the command-group modules.

Start-up is kept short: `main()` imports only the module of the command asked for (all of
them for `afs --help` or an unknown command), and `--help` is rendered as plain text, which
spares importing rich's markdown and syntax machinery. `app` (the whole CLI, for tests and
embedding) is built on first access.
"""

from __future__ import annotations

import importlib
import os
import sys

# Each module exposes `register(app)`; they import heavy libraries inside commands only.
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
# First command-line word -> the module that registers it.
_MODULE_OF = {"doctor": "models", "distill": "distillation",
              **{name: name for name in COMMAND_MODULES}}

if "--help" in sys.argv[1:]:
    os.environ.setdefault("TYPER_USE_RICH", "0")    # read when typer is imported

import typer  # noqa: E402 - after the help-rendering choice above

from afs import __version__  # noqa: E402
from afs.cli.output import EXIT_BAD_INPUT, EXIT_FAILURE, err_console  # noqa: E402
from afs.errors import AfsError, InputError  # noqa: E402


def _version(value: bool) -> None:
    if value:
        typer.echo(f"afs {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """AFS command line."""


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The CLI with the command groups of `modules` registered."""
    new = typer.Typer(
        name="afs",
        help="AFS: domain-expert models for SNES 65816 assembly (A Link to the Past).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    new.callback()(_root)
    for name in modules:
        importlib.import_module(f"afs.cli.{name}").register(new)
    return new


_app: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    global _app
    if name == "app":
        if _app is None:
            _app = build_app()
        return _app
    raise AttributeError(name)


def main() -> None:
    """Run the CLI, turning AFS errors into one-line messages and meaningful exit codes."""
    words = sys.argv[1:2]
    module = _MODULE_OF.get(words[0]) if words else None
    cli = build_app((module,)) if module else build_app()
    try:
        cli()
    except InputError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_BAD_INPUT) from None
    except AfsError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(EXIT_FAILURE) from None
