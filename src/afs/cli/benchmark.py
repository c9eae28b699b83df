"""`afs benchmark ...`: run a model on the execution-verified suite, verify it, compare runs."""

from __future__ import annotations

from pathlib import Path

import typer

from afs.cli.output import EXIT_FAILURE, console, fail, print_json

benchmark_app = typer.Typer(help="Score models on 500+ execution-verified 65816 items.",
                            no_args_is_help=True)
DOMAIN_COMMANDS = ("all", "din", "farore", "nayru", "veran")


def register(app: typer.Typer) -> None:
    app.add_typer(benchmark_app, name="benchmark")


def _run(domain: str, model: str, dataset: Path | None, output: Path | None, samples: int,
         concurrency: int, limit: int | None, seed: int, resume: bool, judge: str | None,
         no_cache: bool, as_json: bool, fresh_seed: int | None = None) -> None:
    import asyncio
    import json

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from afs.benchmark.items import CATEGORIES, default_dataset_dir
    from afs.benchmark.report import markdown_table, write_reports
    from afs.benchmark.runner import RunConfig, run_benchmark

    domains = list(CATEGORIES) if domain == "all" else [domain]
    if fresh_seed is not None:
        if dataset is not None:
            fail("--fresh-seed and --dataset both choose the items: give one")
        from afs.benchmark.splits import fresh_dataset

        if not as_json:
            console.print(f"fresh split for seed {fresh_seed}: generating, proving and "
                          "auditing (reused on later runs)...", highlight=False)
        dataset = fresh_dataset(fresh_seed)
    config = RunConfig(model=model, domains=domains, dataset=dataset or default_dataset_dir(),
                       output=output, samples=samples, concurrency=concurrency, limit=limit,
                       seed=seed, resume=resume, judge=judge, use_cache=not no_cache)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[passed]} passed"),
                        TimeRemainingColumn(), console=console, disable=as_json)
    state = {"task": None, "passed": 0}

    def on_start(total: int, done: int) -> None:
        state["task"] = progress.add_task(f"{model} on {domain}", total=total, completed=done,
                                          passed="")

    def on_sample(record: dict) -> None:
        state["passed"] += bool(record["passed"])
        progress.update(state["task"], advance=1, passed=state["passed"])

    with progress:
        run_dir = asyncio.run(run_benchmark(config, on_start=on_start, on_sample=on_sample))
    paths = write_reports(run_dir)
    summary = json.loads(paths["summary"].read_text())
    if as_json:
        print_json({"run": str(run_dir), "reports": {k: str(v) for k, v in paths.items()},
                    "summary": summary})
        return
    console.print(markdown_table(summary), markup=False, highlight=False)
    console.print(f"report: {paths['html']}", markup=False, highlight=False, soft_wrap=True)


def _make_domain_command(domain: str) -> None:
    def command(
        model: str = typer.Option(..., "--model", "-m", help="A registry alias."),
        dataset: Path | None = typer.Option(None, "--dataset",
                                            help="Folder (or domain file); default benchmarks/"),
        output: Path | None = typer.Option(None, "--output", "-o",
                                           help="Run folder (default under $AFS_HOME)."),
        samples: int = typer.Option(1, "--samples", min=1, help="Answers per item (pass@k)."),
        concurrency: int = typer.Option(4, "--concurrency", min=1),
        limit: int | None = typer.Option(None, "--limit", min=1, help="Items per domain."),
        seed: int = typer.Option(0, "--seed"),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run."),
        judge: str | None = typer.Option(None, "--judge", help="LLM judge alias for veran."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Ask the model again."),
        fresh_seed: int | None = typer.Option(
            None, "--fresh-seed", min=1,
            help="Run on a fresh test set generated (and audited) from this seed instead of "
                 "the shipped dev items."),
        as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    ) -> None:
        _run(domain, model, dataset, output, samples, concurrency, limit, seed, resume, judge,
             no_cache, as_json, fresh_seed)

    command.__doc__ = ("Run every domain." if domain == "all" else
                       f"Run the {domain} items.")
    benchmark_app.command(domain)(command)


for _domain in DOMAIN_COMMANDS:
    _make_domain_command(_domain)


@benchmark_app.command("verify")
def verify(
    dataset: Path | None = typer.Option(None, "--dataset", help="Default: benchmarks/"),
    domains: str = typer.Option("din,farore,nayru,veran", "--domains"),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Re-prove every item of a dataset; exit 1 and list the failures if any."""
    from afs.benchmark.items import default_dataset_dir, load_items
    from afs.benchmark.verify import verify_items

    root = dataset or default_dataset_dir()
    names = [d.strip() for d in domains.split(",") if d.strip()]
    items = [item for name in names for item in load_items(root, name)]
    report = verify_items(items, check_counts=set(names) == set(DOMAIN_COMMANDS[1:]))
    if as_json:
        print_json({"items": report.items, "ok": report.ok, "failures": report.failures,
                    "dataset": report.dataset})
    else:
        for item_id, problems in report.failures.items():
            console.print(f"[red]FAIL[/] {item_id}: {'; '.join(problems)}", highlight=False)
        for problem in report.dataset:
            console.print(f"[red]FAIL[/] dataset: {problem}", highlight=False)
        verdict = "[green]all proven[/]" if report.ok else "[red]failures found[/]"
        console.print(f"{report.items} items re-proven: {verdict}")
    if not report.ok:
        raise typer.Exit(EXIT_FAILURE)


@benchmark_app.command("audit")
def audit(
    dataset: Path | None = typer.Option(None, "--dataset", help="Default: benchmarks/"),
    domains: str = typer.Option("din,farore,nayru,veran", "--domains"),
    workers: int = typer.Option(2, "--workers", min=1, help="Processes scoring the battery."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Score a battery of wrong answers on every item; exit 1 if any passes, or a domain is
    too uniform (distinct shape ratio) or too small."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from afs.benchmark.audit import SHAPE_RATIO_MINIMUM, audit_items
    from afs.benchmark.items import default_dataset_dir, load_items

    root = dataset or default_dataset_dir()
    names = [d.strip() for d in domains.split(",") if d.strip()]
    items = [item for name in names for item in load_items(root, name)]
    progress = Progress(TextColumn("[bold]audit"), BarColumn(), MofNCompleteColumn(),
                        console=console, disable=as_json)
    with progress:
        task = progress.add_task("audit", total=len(items))
        report = audit_items(items, workers=workers,
                             on_item=lambda _: progress.advance(task))
    if as_json:
        print_json(report.to_dict())
    else:
        for failure in report.failures:
            console.print(f"[red]PASSES[/] {failure.item_id}: {', '.join(failure.passed)}",
                          highlight=False)
        for name, figures in report.domains.items():
            verdict = "[green]ok[/]" if figures.ok else "[red]FAIL[/]"
            console.print(
                f"{name:<7} {figures.items:>4} items  {figures.answers:>5} wrong answers  "
                f"{figures.passed} passed  {figures.excused} excused (equivalent mutants)  "
                f"shape ratio {figures.shape_ratio:.2f} (min {SHAPE_RATIO_MINIMUM})  {verdict}",
                highlight=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURE)


@benchmark_app.command("mine")
def mine(
    source: Path = typer.Option(..., "--source", help="A disassembly folder (or one file)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write (default $AFS_HOME/benchmark/mined/NAME)."),
    domains: str = typer.Option("din,farore,nayru,veran", "--domains"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Routines to try at most."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Build private items from your own disassembly: proven and audited, never shipped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from afs.benchmark.mining import find_routines
    from afs.benchmark.mining import mine as mine_items
    from afs.paths import state_path

    if not source.exists():
        fail(f"{source}: no such file or folder (expected a disassembly to mine)")
    names = [d.strip() for d in domains.split(",") if d.strip()]
    total = len(find_routines(source))
    progress = Progress(TextColumn("[bold]mining"), BarColumn(), MofNCompleteColumn(),
                        console=console, disable=as_json)
    with progress:
        task = progress.add_task("mine", total=min(total, limit) if limit else total)
        report = mine_items(source, domains=names, limit=limit,
                            on_routine=lambda _: progress.advance(task))
    out_dir = output or state_path("benchmark", "mined", source.resolve().name, "x").parent
    report.write(out_dir, source)
    if as_json:
        print_json({"output": str(out_dir), **report.to_dict()})
        return
    kept = ", ".join(f"{d} {len(v)}" for d, v in report.items.items())
    console.print(f"{report.routines} self-contained routines; items kept: {kept} "
                  f"(dropped by proof or audit: {report.dropped})", highlight=False)
    console.print(f"written to {out_dir}; run with --dataset {out_dir}", highlight=False,
                  soft_wrap=True)


@benchmark_app.command("compare")
def compare(
    run_a: Path = typer.Argument(..., exists=True, file_okay=False),
    run_b: Path = typer.Argument(..., exists=True, file_okay=False),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Per-domain and per-category deltas of run B against run A."""
    from afs.benchmark.report import compare as compare_runs

    result = compare_runs(run_a, run_b)
    if as_json:
        print_json(result)
        return
    console.print(f"{result['b']} vs {result['a']} (B - A)", markup=False)
    for domain, entry in result["domains"].items():
        console.print(f"{domain:<8} pass rate {entry['pass_rate']:+.1%}  "
                      f"mean score {entry['mean_score']:+.3f}", markup=False)
        for category, delta in entry["categories"].items():
            console.print(f"  {category:<24} {delta['pass_rate']:+.1%}", markup=False)


@benchmark_app.command("leaderboard")
def leaderboard(
    directory: Path = typer.Argument(..., exists=True, file_okay=False),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Every run in a folder, best mean score first."""
    from rich.table import Table

    from afs.benchmark.report import leaderboard as build

    rows = build(directory)
    if as_json:
        print_json(rows)
        return
    table = Table("run", "model", "items", "pass rate", "mean score")
    for row in rows:
        table.add_row(row["run"], str(row["model"]), str(row["items"]),
                      f"{row['pass_rate']:.1%}", f"{row['mean_score']:.3f}")
    console.print(table)
