"""`afs models ...` and `afs doctor`."""

from __future__ import annotations

import typer

models_app = typer.Typer(help="List and check the configured models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
