"""Entry point of the `afs` command: builds the Typer app from the command-group modules.

Start-up is kept short: `main()` imports only the module of the command asked for (all of
them for `afs --help` or an unknown command), and `--help` is rendered as plain text, which
spares importing rich's markdown and syntax machinery. `app` (the whole CLI, for tests and
embedding) is built on first access.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Sequence

# The imports below make only objects that live as long as the process: the cyclic collector
# scanning them while they are made is wasted time (`main` then freezes them).
_collector_was_enabled = gc.isenabled()
gc.disable()

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
from afs.cli.output import (  # noqa: E402
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    err_console,
    os_error_message,
)
from afs.errors import AfsError, InputError  # noqa: E402

if _collector_was_enabled:
    gc.enable()


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


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on `argv`; return the exit code. Every error the user can cause is one line.

    0 ok, 1 a failure found (`AfsError`), 2 bad usage or input: a usage error, an
    `InputError`, or a path the operating system refused (missing, a directory where a file
    belongs, a file where a directory belongs, no permission).
    """
    # Typer vendors click; its exception classes live here. A bare group prints its help.
    from typer._click.exceptions import NoArgsIsHelpError
    from typer.exceptions import TyperException

    def error(message: str, code: int) -> int:
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True,
                          markup=True)
        return code

    args = list(sys.argv[1:] if argv is None else argv)
    # Only the command group asked for is imported (all of them for `afs --help`).
    module = _MODULE_OF.get(args[0]) if args else None
    cli = build_app((module,)) if module else __getattr__("app")
    try:
        code = cli(args=args, prog_name="afs", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        return exc.exit_code
    except TyperException as exc:
        where = f"{exc.ctx.command_path}: " if getattr(exc, "ctx", None) else ""
        return error(_escape(where + exc.format_message()), exc.exit_code)
    except typer.Abort:
        return error("aborted", 130)
    except InputError as exc:
        return error(_escape(str(exc)), EXIT_BAD_INPUT)
    except AfsError as exc:
        return error(_escape(str(exc)), EXIT_FAILURE)
    except OSError as exc:
        message = os_error_message(exc)
        if message is None:
            raise
        return error(_escape(message), EXIT_BAD_INPUT)
    return code if isinstance(code, int) else 0


def _escape(text: str) -> str:
    from rich.markup import escape

    return " ".join(escape(text).split())


def main() -> None:
    """The `afs` console script."""
    # Start-up's objects (modules, the CLI) live until exit: frozen, no collection scans them
    # again, the one at exit included (~15 ms of a short command).
    gc.freeze()
    raise SystemExit(run())
