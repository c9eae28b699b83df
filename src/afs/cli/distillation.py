"""`afs distill teachers|generate|status|export`: teacher data for the local experts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from afs.cli.output import (
    EXIT_FAILURE,
    JsonOption,
    check_output_dir,
    check_output_file,
    console,
    fail,
    print_json,
)

distill_app = typer.Typer(help="Generate, inspect and export teacher (distillation) data.",
                          no_args_is_help=True)

TEACHER_ALIASES = ("openai", "gemini", "anthropic")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@distill_app.command("teachers")
def teachers(
    names: str = typer.Option(",".join(TEACHER_ALIASES), "--teachers",
                              help="Comma-separated registry aliases to check."),
    ping: bool = typer.Option(True, "--ping/--no-ping", help="Send one short request each."),
    as_json: bool = JsonOption,
) -> None:
    """Which teachers are configured, and whether each answers one short ping."""
    import asyncio

    from afs.distillation import Teacher
    from afs.models.base import ModelError
    from afs.models.registry import get_spec, spec_status
    from afs.models.retry import RetryPolicy

    rows: list[dict[str, Any]] = []
    for alias in _split(names):
        spec = get_spec(alias)
        status = spec_status(spec)
        row: dict[str, Any] = {"teacher": alias, "provider": spec.provider, "model": spec.model,
                               "configured": status.configured, "detail": status.detail,
                               "reachable": None, "latency_ms": None}
        if status.configured and ping:
            teacher = Teacher.from_alias(alias, retry=RetryPolicy(max_attempts=1))

            async def once(teacher: Teacher = teacher) -> float:
                try:
                    return await teacher.ping()
                finally:
                    await teacher.aclose()

            try:
                row["latency_ms"] = round(asyncio.run(once()), 1)
                row["reachable"] = True
            except ModelError as error:
                row["reachable"] = False
                row["detail"] = str(error)
        rows.append(row)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        if not row["configured"]:
            mark = "[yellow]not configured[/]"
        elif row["reachable"] is None:
            mark = "[green]configured[/]"
        elif row["reachable"]:
            mark = f"[green]ok[/] {row['latency_ms']} ms"
        else:
            mark = "[red]unreachable[/]"
        console.print(f"{row['teacher']:<12} {row['provider']}:{row['model']:<28} {mark}  "
                      f"{row['detail']}", highlight=False)


@distill_app.command("generate")
def generate(
    count: int = typer.Option(1000, "--count", min=1, help="Samples the checkpoint should hold."),
    output: Path = typer.Option(None, "--output", help="Directory for checkpoint.jsonl "
                                "(default $AFS_HOME/distillation)."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Requests in flight."),
    teacher_names: str = typer.Option(None, "--teachers", help="Comma-separated registry "
                                      "aliases (default: every cloud teacher with a key set)."),
    domains: str = typer.Option(None, "--domains", help="Comma-separated: optimize, debug, "
                                "generate, explain, alttp (default: all)."),
    strategy: str = typer.Option("failover", "--strategy",
                                 help="failover, round_robin or weighted."),
    seed: int = typer.Option(0, "--seed", help="Prompt generator seed."),
    max_tokens: int = typer.Option(1500, "--max-tokens", min=16, help="Answer token budget."),
    as_json: bool = JsonOption,
) -> None:
    """Fill the checkpoint up to --count accepted samples; rerun to resume."""
    import asyncio

    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from afs.distillation import (
        DOMAINS,
        DistillationDataGenerator,
        DistillationStopped,
        Teacher,
        TeacherEnsemble,
    )
    from afs.paths import state_path

    if output:
        check_output_dir(output, "--output")
    chosen = _split(domains) or list(DOMAINS)
    unknown = [d for d in chosen if d not in DOMAINS]
    if unknown:
        fail(f"unknown domain(s) {', '.join(unknown)}; expected {', '.join(DOMAINS)}")
    if teacher_names:
        ensemble = TeacherEnsemble([Teacher.from_alias(a) for a in _split(teacher_names)],
                                   strategy=strategy)
    else:
        ensemble = TeacherEnsemble.default_ensemble(strategy=strategy)
    directory = output or state_path("distillation", "checkpoint.jsonl").parent
    generator = DistillationDataGenerator(ensemble, output_dir=directory, domains=chosen,
                                          concurrency=concurrency, seed=seed,
                                          max_tokens=max_tokens)
    if not as_json:
        console.print(f"checkpoint: {generator.checkpoint_path}", highlight=False)

    progress = Progress(TextColumn("[bold]distilling"), BarColumn(), TaskProgressColumn(),
                        TextColumn("{task.completed}/{task.total}  {task.fields[rate]}"),
                        console=console, disable=as_json, transient=False)
    task = progress.add_task("distill", total=count, rate="")

    def on_progress(done: int, total: int, stats: Any) -> None:
        # The rate counts only samples new in this run, not the resumed ones.
        progress.update(task, completed=done, rate=f"{stats.rate * 60:.1f} new/min "
                        f"({stats.rejected} rejected)")

    async def run() -> list[dict[str, Any]]:
        try:
            return await generator.generate_batch(count, on_progress=on_progress)
        finally:
            generator.close()  # the filter worker processes
            await ensemble.aclose()

    stopped = None
    with progress:
        try:
            asyncio.run(run())
        except DistillationStopped as error:
            stopped = str(error)
        except KeyboardInterrupt:
            stopped = "interrupted; rerun the same command to resume"
    summary = {**generator.stats.to_dict(), "checkpoint": str(generator.checkpoint_path),
               "teachers": ensemble.status(), "stopped": stopped}
    if as_json:
        print_json(summary)
    else:
        console.print(f"{summary['existing'] + summary['accepted']}/{count} samples in "
                      f"{summary['checkpoint']} ({summary['accepted']} new, "
                      f"{summary['rejected']} rejected)", highlight=False)
        if stopped:
            console.print(f"[bold red]stopped:[/] {stopped}", highlight=False)
    if stopped:
        raise typer.Exit(EXIT_FAILURE)


@distill_app.command("status")
def status(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="checkpoint.jsonl to inspect."),
    as_json: bool = JsonOption,
) -> None:
    """Counts by teacher/domain/quality, tokens, cost, rate and rejection reasons."""
    from afs.distillation.checkpoint import summarize

    summary = summarize(checkpoint)
    if as_json:
        print_json(summary)
        return
    console.print(f"{summary['samples']} samples, {summary['rejected']} rejected "
                  f"({summary['checkpoint']})", highlight=False)
    for key in ("by_teacher", "by_domain", "by_quality", "rejection_reasons"):
        parts = ", ".join(f"{k}: {v}" for k, v in summary[key].items()) or "-"
        console.print(f"  {key.replace('_', ' ')}: {parts}", highlight=False)
    rate = summary["samples_per_min"]
    console.print(f"  tokens: {summary['prompt_tokens']} in, {summary['completion_tokens']} out;"
                  f" cost ${summary['cost']:.4f}; rate "
                  f"{rate if rate is not None else '-'} samples/min", highlight=False)


@distill_app.command("export")
def export(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="checkpoint.jsonl to export."),
    output: Path = typer.Option(..., "--output", help="Training file to write (JSONL)."),
    fmt: str = typer.Option("chatml", "--format", help="chatml, alpaca or sharegpt."),
    min_quality: float = typer.Option(0.0, "--min-quality", help="Drop samples below this."),
    split: float = typer.Option(0.05, "--split", help="Fraction held out for validation."),
    as_json: bool = JsonOption,
) -> None:
    """Write the accepted samples as training data, with a validation split."""
    from afs.distillation.checkpoint import load_records
    from afs.distillation.export import export_records

    check_output_file(output, "--output")
    result = export_records(load_records(checkpoint), output, format=fmt,
                            min_quality=min_quality, split=split)
    data = {"train": str(result.train_path), "train_count": result.train_count,
            "validation": str(result.validation_path) if result.validation_path else None,
            "validation_count": result.validation_count,
            "skipped_low_quality": result.skipped_low_quality, "format": fmt}
    if as_json:
        print_json(data)
        return
    console.print(f"wrote {data['train_count']} training samples to {data['train']}"
                  + (f" and {data['validation_count']} to {data['validation']}"
                     if data["validation"] else ""), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(distill_app, name="distill")
