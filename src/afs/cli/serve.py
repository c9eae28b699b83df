"""`afs serve`: the OpenAI-compatible gateway and the feedback page."""

from __future__ import annotations

from pathlib import Path

import typer

from afs.cli.output import console


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but "
                             "loopback requires AFS_GATEWAY_KEY."),
    port: int = typer.Option(8000, "--port"),
    log_dir: Path | None = typer.Option(None, "--log-dir",
                                        help="Inference log (default $AFS_HOME/feedback)."),
    max_body_bytes: int = typer.Option(1 << 20, "--max-body-bytes"),
) -> None:
    """Serve every model alias and `afs` (the pipeline) at /v1, and the rating page at /ui."""
    from afs.feedback.logger import resolve_db_path
    from afs.gateway.server import gateway_key
    from afs.gateway.server import serve as run_server

    gateway_key(host)  # fail before printing anything when the bind is unsafe
    console.print(f"AFS gateway on http://{host}:{port}/v1 — rating page http://{host}:{port}/ui"
                  f" — log {resolve_db_path(log_dir)}")
    run_server(host, port, log_dir=log_dir, max_body_bytes=max_body_bytes)
