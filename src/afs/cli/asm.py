"""`afs asm ...`: assemble, run, lint, compare, optimise and explain 65816 code."""

from __future__ import annotations

import typer

asm_app = typer.Typer(help="The 65816 toolchain: build, run, lint, equiv, optimize, explain.",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(asm_app, name="asm")
