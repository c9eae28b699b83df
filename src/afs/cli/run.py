"""`afs run "prompt"`: the whole pipeline — knowledge graph, generalist, experts, critic,
fusion — logged, with the record id and a per-stage timing trace."""

from __future__ import annotations

from pathlib import Path

import typer

from afs.cli.output import console, print_json


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    prompt: str = typer.Argument(..., help="The request, e.g. 'Optimize this code and explain'."),
    file: Path | None = typer.Option(None, "--file", "-f", exists=True, dir_okay=False,
                                     help="65816 source the request is about."),
    log_dir: Path | None = typer.Option(None, "--log-dir",
                                        help="Inference log (default $AFS_HOME/feedback)."),
    no_log: bool = typer.Option(False, "--no-log", help="Do not store the exchange."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Run the orchestrated pipeline on one request."""
    import asyncio

    from afs.feedback import InferenceLogger
    from afs.moe.orchestrator import Orchestrator

    code = file.read_text(encoding="utf-8") if file else None
    logger = None if no_log else InferenceLogger(log_dir)
    result = asyncio.run(Orchestrator(logger=logger).run(prompt, code=code))
    if as_json:
        print_json({"answer": result.answer, "record_id": result.record_id,
                    **result.to_trace()})
        return
    console.print(result.answer, markup=False, highlight=False, soft_wrap=True)
    console.rule("trace")
    for stage in result.stages:
        console.print(f"{stage.name:<16} {stage.seconds * 1000:8.1f} ms  {stage.detail}",
                      markup=False, highlight=False)
    if result.record_id:
        console.print(f"record {result.record_id} in {logger.db_path} — rate it with "
                      f"`afs feedback rate {result.record_id} --score 1`", markup=False,
                      highlight=False)
