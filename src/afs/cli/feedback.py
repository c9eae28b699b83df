"""`afs feedback ...`: rate logged answers, inspect feedback, export datasets, retrain."""

from __future__ import annotations

from pathlib import Path

import typer

from afs.cli.logs import DbOption, open_logger, say
from afs.cli.output import EXIT_FAILURE, JsonOption, console, fail, print_json

feedback_app = typer.Typer(help="Rate logged answers, export training data, retrain.",
                           no_args_is_help=True)


@feedback_app.command("rate")
def rate(
    record_id: str = typer.Argument(..., help="The record id log() returned."),
    score: float = typer.Option(..., "--score", help="From -1 (wrong) to 1 (good)."),
    text: str | None = typer.Option(None, "--text", help="A comment."),
    correction: str | None = typer.Option(None, "--correction", help="The answer wanted."),
    correction_file: Path | None = typer.Option(
        None, "--correction-file", help="Read the correction from this file."
    ),
    source: str = typer.Option("user", "--source", help="Who rated: user, reviewer, critic..."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Record a vote on one logged answer (the latest vote per answer counts)."""
    from afs.feedback import FeedbackCollector

    if correction is not None and correction_file is not None:
        fail("give --correction or --correction-file, not both")
    if correction_file is not None:
        if not correction_file.is_file():
            fail(f"{correction_file}: no such file")
        correction = correction_file.read_text(encoding="utf-8")
    logger = open_logger(db)
    feedback_id = FeedbackCollector(logger).record_feedback(
        record_id, score, text=text, correction=correction, source=source
    )
    if json_out:
        print_json({"feedback_id": feedback_id, "record_id": record_id, "score": score,
                    "database": str(logger.db_path)})
    else:
        say(f"feedback #{feedback_id} on {record_id}: score {score:+g} -> {logger.db_path}")


@feedback_app.command("stats")
def stats(db: Path | None = DbOption, json_out: bool = JsonOption) -> None:
    """Records, votes (latest per record), corrections, per expert; and the retrain check."""
    from afs.feedback import FeedbackCollector, PeriodicRetrainer

    logger = open_logger(db)
    summary = FeedbackCollector(logger).stats()
    needed, reason = PeriodicRetrainer(logger).check_retrain_needed()
    summary |= {"retrain_needed": needed, "retrain_reason": reason,
                "database": str(logger.db_path)}
    if json_out:
        print_json(summary)
        return
    from rich.table import Table
    from rich.text import Text

    columns = ("records", "rated", "positive", "negative", "neutral", "corrections", "mean_score")
    table = Table(title=Text(f"feedback in {logger.db_path} "
                             f"({summary['feedback_events']} vote(s))"))
    table.add_column("expert")
    for column in columns:
        table.add_column(column, justify="right")
    for expert, row in summary["by_expert"].items():
        table.add_row(Text(expert), *(str(row[c]) if row[c] is not None else "-" for c in columns))
    table.add_row("[bold]all[/]", *(str(summary[c]) if summary[c] is not None else "-"
                                    for c in columns))
    console.print(table)
    say(f"retrain {'needed' if needed else 'not needed'}: {reason}")


@feedback_app.command("export")
def export(
    fmt: str = typer.Option("sft", "--format", "-f", help="sft (chatml), dpo or kto."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file to write."),
    min_score: float = typer.Option(0.5, "--min-score", help="Score that counts as accepted."),
    dedupe: bool = typer.Option(True, "--dedupe/--no-dedupe",
                                help="Drop near-duplicate prompts."),
    threshold: float = typer.Option(0.8, "--dedupe-threshold", help="Jaccard for duplicates."),
    balance: bool = typer.Option(False, "--balance", help="Same count per expert."),
    per_expert: int | None = typer.Option(None, "--per-expert", help="At most N per expert."),
    max_samples: int | None = typer.Option(None, "--max-samples",
                                           help="Recency-weighted sample of this size."),
    half_life: float = typer.Option(168.0, "--half-life-hours", help="Recency half-life."),
    seed: int = typer.Option(0, "--seed", help="Seed of the recency sample."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Write an SFT, DPO or KTO dataset built from the rated answers."""
    from afs.feedback import FeedbackCollector, build_dataset
    from afs.jsonl import write_jsonl

    logger = open_logger(db)
    examples = FeedbackCollector(logger).examples(include_unrated=fmt == "dpo")
    rows = build_dataset(
        examples, fmt, min_score=min_score, dedupe=dedupe, dedupe_threshold=threshold,
        balance=balance, per_expert=per_expert, max_samples=max_samples,
        half_life_hours=half_life, seed=seed,
    )
    write_jsonl(output, rows)
    if json_out:
        print_json({"format": fmt, "rows": len(rows), "output": str(output),
                    "database": str(logger.db_path)})
    else:
        say(f"{len(rows)} {fmt} row(s) from {logger.db_path} -> {output}")


@feedback_app.command("review")
def review(
    limit: int = typer.Option(20, "--limit", "-n", help="Most items to list."),
    confidence_below: float = typer.Option(0.5, "--confidence-below"),
    similarity_below: float = typer.Option(0.3, "--similarity-below"),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Unrated answers a person should look at: low confidence or disagreeing experts."""
    from afs.feedback import FeedbackCollector, uncertainty_queue

    logger = open_logger(db)
    queue = uncertainty_queue(
        FeedbackCollector(logger).examples(include_unrated=True),
        confidence_below=confidence_below, similarity_below=similarity_below,
    )[:limit]
    if json_out:
        print_json([{"record_id": item.example.record.id, "uncertainty": item.uncertainty,
                     "reasons": list(item.reasons)} for item in queue])
        return
    for item in queue:
        say(f"{item.example.record.id}  {item.uncertainty:.2f}  {'; '.join(item.reasons)}")
    say(f"{len(queue)} item(s) to review in {logger.db_path}")


@feedback_app.command("retrain")
def retrain(
    check: bool = typer.Option(False, "--check", help="Only say whether a retrain is due."),
    run: bool = typer.Option(False, "--run", help="Run a cycle if due (see --force)."),
    train_cmd: str | None = typer.Option(
        None, "--train-cmd", help="Command run to train; {dataset} and {output} are filled in; "
        "its last printed line is the new model (else the output dir)."),
    train_fn: str | None = typer.Option(None, "--train-fn", help="module:function to train."),
    train_base: str | None = typer.Option(
        None, "--train-base", help="Train with AFS's own LoRA SFT (afs.training) on this base "
        "model (a local folder or Hugging Face id); the merged model is the new one."),
    eval_cmd: str | None = typer.Option(
        None, "--eval-cmd", help="Gate: command with {model}; its last printed line is a score."),
    eval_fn: str | None = typer.Option(None, "--eval-fn", help="Gate: module:function -> score."),
    eval_benchmark: str | None = typer.Option(
        None, "--eval-benchmark", help="Gate: mean score on the benchmark's first "
        "--eval-limit items of these domains (e.g. din,nayru)."),
    eval_limit: int = typer.Option(10, "--eval-limit", min=1),
    base_model: str | None = typer.Option(None, "--base-model",
                                          help="The model serving now (gate baseline)."),
    min_eval_score: float | None = typer.Option(None, "--min-eval-score"),
    min_new_samples: int = typer.Option(100, "--min-new-samples"),
    interval_hours: float = typer.Option(168.0, "--interval-hours"),
    fmt: str = typer.Option("sft", "--format", "-f", help="Dataset format: sft, dpo or kto."),
    quality_threshold: float = typer.Option(0.5, "--quality-threshold",
                                            help="Score that counts as accepted."),
    force: bool = typer.Option(False, "--force", help="Run even if not due."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Check the retrain schedule, or run one gated retrain cycle."""
    from afs.feedback import PeriodicRetrainer, RetrainConfig
    from afs.feedback.retrainer import command_eval_fn, command_train_fn, load_callable

    if check == run:
        fail("give exactly one of --check or --run")
    if sum(bool(x) for x in (train_cmd, train_fn, train_base)) > 1:
        fail("give one of --train-cmd, --train-fn or --train-base")
    if sum(bool(x) for x in (eval_cmd, eval_fn, eval_benchmark)) > 1:
        fail("give one of --eval-cmd, --eval-fn or --eval-benchmark")
    config = RetrainConfig(
        min_new_samples=min_new_samples, retrain_interval_hours=interval_hours,
        quality_threshold=quality_threshold, dataset_format=fmt, base_model=base_model,
        min_eval_score=min_eval_score,
    )
    logger = open_logger(db)
    retrainer = PeriodicRetrainer(logger, config=config)
    needed, reason = retrainer.check_retrain_needed()
    if check:
        if json_out:
            print_json({"needed": needed, "reason": reason, "database": str(logger.db_path)})
        else:
            say(f"retrain {'needed' if needed else 'not needed'}: {reason}")
        return
    if not (train_cmd or train_fn or train_base):
        fail("--run needs a trainer: --train-base MODEL (AFS's LoRA SFT), --train-cmd "
             "'CMD {dataset} {output}' or --train-fn package.module:function")
    if train_base:
        if fmt != "sft":
            fail("--train-base trains with SFT; use --format sft")
        from afs.training.retrain import make_train_fn

        trainer = make_train_fn(train_base)
    else:
        trainer = command_train_fn(train_cmd) if train_cmd else load_callable(train_fn)
    gate = command_eval_fn(eval_cmd) if eval_cmd else load_callable(eval_fn) if eval_fn else None
    if eval_benchmark:
        from afs.benchmark.gate import benchmark_eval_fn

        gate = benchmark_eval_fn([d.strip() for d in eval_benchmark.split(",") if d.strip()],
                                 limit=eval_limit)
    if not (needed or force):
        if json_out:
            print_json({"ran": False, "reason": reason})
        else:
            say(f"not due, nothing run (use --force): {reason}")
        return
    job = retrainer.run_retrain_cycle(train_fn=trainer, eval_fn=gate)
    if json_out:
        print_json({"ran": True, "job": job.to_dict()})
    else:
        say(f"job {job.id}: {job.status} ({job.dataset_size} rows, {job.dataset_path}); "
            f"{job.error or job.reason}")
    if job.status == "failed":
        raise typer.Exit(EXIT_FAILURE)


def register(app: typer.Typer) -> None:
    app.add_typer(feedback_app, name="feedback")
