"""`afs pretrain ...`: domain tokenizer, MLM encoder training, embeddings and retrieval."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from afs.cli.output import JsonOption, check_output_dir, console, print_json

pretrain_app = typer.Typer(
    help="Pre-train an assembly encoder: tokenizer, MLM training, embeddings, search.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(pretrain_app, name="pretrain")


def _default(name: str) -> Path:
    # afs.paths, not afs.pretraining: a query answered by the server imports no numpy.
    from afs.paths import state_path

    return state_path("pretraining", name)


def _trained_model() -> Path:
    """The contrastive model when there is one, else the MLM model."""
    retrieval = _default("retrieval")
    return retrieval if (retrieval / "config.json").is_file() else _default("run") / "model"


_CORPUS = typer.Option(
    None, "--corpus", "-c", help="Built corpus [default: $AFS_HOME/pretraining/corpus]."
)


@pretrain_app.command("tokenizer")
def tokenizer(
    corpus: Path | None = _CORPUS,
    output: Path | None = typer.Option(
        None, "--output", "-o",
        help="Tokenizer directory [default: $AFS_HOME/pretraining/tokenizer].",
    ),
    vocab_size: int = typer.Option(8192, "--vocab-size"),
    min_frequency: int = typer.Option(2, "--min-frequency"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Train the assembly-aware BPE tokenizer on the corpus's training split."""
    from afs.pretraining.corpus_builder import iter_texts, read_manifest
    from afs.pretraining.tokenizer import train_tokenizer

    if output:
        check_output_dir(output, "--output")
    corpus_dir = corpus or _default("corpus")
    read_manifest(corpus_dir)
    target = output or _default("tokenizer")
    with console.status("Training the tokenizer…"):
        trained = train_tokenizer(
            iter_texts(corpus_dir, "train"), vocab_size=vocab_size,
            min_frequency=min_frequency, seed=seed, output_dir=target,
        )
    summary = {"output": str(target), "vocab_size": len(trained),
               "special_tokens": trained.all_special_tokens}
    if as_json:
        print_json(summary)
        return
    console.print(f"[green]tokenizer[/] ({len(trained)} tokens) written to {target}")


def _is_main_process() -> bool:
    # Under `accelerate launch`/`torchrun` every process runs this command; one reports.
    return os.environ.get("RANK", "0") == "0"


@pretrain_app.command("train")
def train(
    corpus: Path | None = _CORPUS,
    tokenizer_dir: Path | None = typer.Option(
        None, "--tokenizer", "-t",
        help="Tokenizer directory [default: $AFS_HOME/pretraining/tokenizer if it exists, "
        "else one trained into the run].",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Run directory [default: $AFS_HOME/pretraining/run]."
    ),
    preset: str = typer.Option("tiny", "--preset", help="tiny | small | base"),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Overrides --epochs."),
    epochs: int = typer.Option(1, "--epochs"),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Per device."),
    grad_accum: int = typer.Option(1, "--grad-accum"),
    lr: float | None = typer.Option(None, "--lr"),
    seq_len: int | None = typer.Option(None, "--seq-len"),
    mlm_probability: float = typer.Option(0.15, "--mlm-probability"),
    whole_word_mask: bool = typer.Option(True, "--whole-word-mask/--token-mask"),
    eval_every: int = typer.Option(100, "--eval-every"),
    save_every: int = typer.Option(200, "--save-every"),
    mixed_precision: str | None = typer.Option(
        None, "--mixed-precision", help="no | bf16 | fp16 [default: accelerate's setting, else no]"
    ),
    workers: int = typer.Option(0, "--workers", help="Data-loader worker processes."),
    resume: bool = typer.Option(True, "--resume/--no-resume"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Pre-train the encoder with masked-language modelling; resumes from its checkpoints."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from afs.pretraining.encoder_trainer import EncoderPretrainer, PretrainConfig
    from afs.pretraining.tokenizer import TOKENIZER_FILE

    config = PretrainConfig(
        preset=preset, max_steps=max_steps, epochs=epochs, batch_size=batch_size,
        grad_accum=grad_accum, lr=lr, seq_len=seq_len, mlm_probability=mlm_probability,
        whole_word_mask=whole_word_mask, eval_every=eval_every, save_every=save_every,
        mixed_precision=mixed_precision, dataloader_workers=workers, resume=resume, seed=seed,
        output_dir=output,
    )
    if tokenizer_dir is None and (_default("tokenizer") / TOKENIZER_FILE).is_file():
        tokenizer_dir = _default("tokenizer")
    trainer = EncoderPretrainer(corpus or _default("corpus"), config, tokenizer=tokenizer_dir)
    show = _is_main_process() and not as_json
    progress = Progress(
        TextColumn("step {task.completed}/{task.total}"), BarColumn(),
        TextColumn("{task.description}"), TimeRemainingColumn(), console=console,
        disable=not show,
    )
    task = progress.add_task("", total=None)

    def on_event(event: dict[str, Any]) -> None:
        if not show:
            return
        if event["event"] == "start":
            progress.update(task, total=event["total_steps"],
                            completed=event["resumed_from"] or 0)
            if event["resumed_from"]:
                progress.console.print(f"resuming from step {event['resumed_from']}")
        elif event["event"] == "step":
            progress.update(task, completed=event["step"],
                            description=f"loss {event['loss']:.3f}  "
                            f"{event['tokens_per_second']:.0f} tok/s")
        elif event["event"] == "eval":
            progress.console.print(
                f"step {event['step']}: val loss {event['val_loss']:.3f}, masked accuracy "
                f"{event['val_accuracy']:.3f} (unigram {event['unigram_accuracy']:.3f})"
            )

    try:
        with progress:
            result = trainer.train(on_event)
    except KeyboardInterrupt:
        console.print("interrupted: a checkpoint was saved; run the same command to resume")
        raise typer.Exit(130) from None
    if not _is_main_process():
        return
    if as_json:
        print_json(result)
        return
    console.print(
        f"[green]done[/] at step {result['global_step']}: val loss "
        f"{result['initial_val_loss']:.3f} -> {result['final_val_loss']:.3f}, masked accuracy "
        f"{result['val_accuracy']:.3f} vs unigram {result['unigram_accuracy']:.3f}"
    )
    console.print(f"model in {result['model_dir']}")


@pretrain_app.command("embed")
def embed(
    model: Path | None = typer.Option(
        None, "--model", "-m", help="Trained model [default: $AFS_HOME/pretraining/retrieval "
        "(after `afs pretrain contrastive`), else $AFS_HOME/pretraining/run/model]."
    ),
    corpus: Path | None = _CORPUS,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Index directory [default: $AFS_HOME/pretraining/embeddings]."
    ),
    batch_size: int = typer.Option(32, "--batch-size"),
    as_json: bool = JsonOption,
) -> None:
    """Embed every corpus document and write vectors, metadata and a cosine index."""
    from rich.progress import Progress

    from afs.pretraining.embeddings import export_embeddings

    target = check_output_dir(output, "--output") if output else _default("embeddings")
    with Progress(console=console, disable=as_json) as progress:
        task = progress.add_task("embedding", total=None)
        info = export_embeddings(
            model or _trained_model(), corpus or _default("corpus"), target,
            batch_size=batch_size,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        print_json({"output": str(target), **info})
        return
    console.print(f"[green]{info['count']} vectors[/] (dim {info['dim']}) written to {target}")


@pretrain_app.command("contrastive")
def contrastive(
    corpus: Path | None = _CORPUS,
    model: Path | None = typer.Option(
        None, "--model", "-m", help="MLM model [default: $AFS_HOME/pretraining/run/model]."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where the tuned model goes "
        "[default: $AFS_HOME/pretraining/retrieval]."
    ),
    steps: int = typer.Option(150, "--steps"),
    batch_size: int = typer.Option(16, "--batch-size"),
    lr: float = typer.Option(3e-4, "--lr"),
    max_length: int = typer.Option(128, "--max-length", help="Tokens per text."),
    descriptions: bool = typer.Option(
        False, "--descriptions/--clones-only",
        help="Also train on (description, code) pairs [default: clone pairs only]."),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Contrastive stage after MLM: routines and their rewrites (in-batch negatives)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from afs.pretraining.contrastive import ContrastiveConfig, corpus_pairs, train_contrastive

    config = ContrastiveConfig(steps=steps, batch_size=batch_size, lr=lr,
                               max_length=max_length, descriptions=descriptions, seed=seed)
    with console.status("Making training pairs…", spinner="dots") if not as_json else \
            _nothing():
        pairs = corpus_pairs(corpus or _default("corpus"), config)
    progress = Progress(TextColumn("[bold]contrastive"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), console=console, disable=as_json)
    task = progress.add_task("", total=steps)

    def on_event(event: dict[str, Any]) -> None:
        if event["event"] == "step":
            progress.update(task, completed=event["step"],
                            description=f"loss {event['loss']:.3f} in-batch acc "
                            f"{event['in_batch_accuracy']:.2f}")

    with progress:
        result = train_contrastive(model or _default("run") / "model", pairs,
                                   output or _default("retrieval"), config, on_event)
    if as_json:
        print_json(result)
        return
    console.print(f"[green]done[/]: {result['pairs']} pairs, loss {result['first_loss']:.3f} -> "
                  f"{result['last_loss']:.3f}; model in {result['model_dir']}")


def _remember_weights(report: dict[str, Any], model: Path) -> None:
    """Store the tuned hybrid weights in the default index when it uses the same model."""
    import json

    info_path = _default("embeddings") / "index.json"
    if not info_path.is_file():
        return
    info = json.loads(info_path.read_text())
    if Path(info.get("model_dir", "")).resolve() == Path(model).resolve():
        info["hybrid_weights"] = report["hybrid_weights"]
        tmp = info_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2) + "\n")
        tmp.replace(info_path)


def _nothing() -> Any:
    from contextlib import nullcontext

    return nullcontext()


@pretrain_app.command("benchmark")
def benchmark(
    source: list[Path] = typer.Option(..., "--source", "-s",
                                      help="A disassembly to build the benchmark from."),
    model: Path | None = typer.Option(None, "--model", "-m",
                                      help="Encoder [default: the trained one]."),
    clones: int = typer.Option(200, "--clones", help="Most clone queries."),
    descriptions: int = typer.Option(200, "--descriptions", help="Most description queries."),
    tune_fraction: float = typer.Option(0.5, "--tune-fraction",
                                        help="Share of the held-out queries that tune the "
                                        "hybrid's weights (the rest measure)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Code search benchmark: recall@1/@5 and MRR of BM25, the encoder and the hybrid."""
    import json

    from rich.table import Table

    from afs.pretraining.codesearch import build_benchmark, evaluate

    with console.status("Generating verified clones…") if not as_json else _nothing():
        bench = build_benchmark(source, max_clones=clones, max_descriptions=descriptions,
                                tune_fraction=tune_fraction, seed=seed)
    with console.status("Ranking…") if not as_json else _nothing():
        report = evaluate(bench, model_dir=model or _trained_model())
    _remember_weights(report, model or _trained_model())
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n")
    if as_json:
        print_json(report)
        return
    for part, title in (("modes", "measuring queries"), ("tuning", "tuning queries")):
        if not report.get(part):
            continue
        table = Table("mode", "queries", "kind", "recall@1", "recall@5", "MRR", title=title)
        for mode, kinds in report[part].items():
            for kind, metrics in kinds.items():
                table.add_row(mode, str(metrics["queries"]), kind, f"{metrics['recall@1']:.3f}",
                              f"{metrics['recall@5']:.3f}", f"{metrics['mrr']:.3f}")
        console.print(table)
    console.print(f"best mode: [bold]{report['best_mode']}[/] ({report['counts']})")


@pretrain_app.command("serve")
def serve(
    index: Path | None = typer.Option(
        None, "--index", help="Index directory [default: $AFS_HOME/pretraining/embeddings]."
    ),
    port: int = typer.Option(0, "--port", help="Loopback port [default: any free one]."),
    as_json: bool = JsonOption,
) -> None:
    """Keep the index and its model loaded on 127.0.0.1; `afs pretrain query` then asks it."""
    from afs.pretraining.query_server import QueryServer, server_file

    with console.status("Loading the index and its model…") if not as_json else _nothing():
        server = QueryServer(index or _default("embeddings"), port=port)
    if as_json:
        print_json({"url": server.url, "index": str(server.index_dir),
                    "announced_in": str(server_file())})
    else:
        console.print(f"serving {server.index_dir} at {server.url} (Ctrl-C stops); "
                      "`afs pretrain query` uses it", highlight=False)
    import signal
    import sys
    from contextlib import suppress

    # `kill` stops it like Ctrl-C does: the announcement file is removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with suppress(KeyboardInterrupt):
        server.serve_forever()


@pretrain_app.command("query")
def query(
    texts: list[str] = typer.Argument(..., help="Assembly or prose to look up; '-' reads one "
                                      "query per line from stdin (the model loads once)."),
    index: Path | None = typer.Option(
        None, "--index", help="Index directory [default: $AFS_HOME/pretraining/embeddings]."
    ),
    k: int = typer.Option(5, "-k", help="How many results."),
    mode: str | None = typer.Option(None, "--mode", help="hybrid | bm25 | dense | translation "
                                    "[default: hybrid, the benchmark's winner]."),
    use_server: bool = typer.Option(True, "--server/--no-server",
                                    help="Ask a running `afs pretrain serve` [default: yes]."),
    as_json: bool = JsonOption,
) -> None:
    """Find the corpus documents most similar to TEXT (several queries: one process).

    When `afs pretrain serve` runs for the same index, it answers (no model load here).
    """
    import sys
    import time

    from afs.pretraining.query_server import ask

    directory = index or _default("embeddings")
    queries = [line.rstrip("\n") for line in sys.stdin if line.strip()] if texts == ["-"] \
        else texts
    answers = []
    search = None
    for text in queries:
        started = time.perf_counter()
        served = ask(text, k, mode, directory) if use_server and search is None else None
        if served is not None:
            answers.append({"query": text, "mode": served["mode"], "served": True,
                            "seconds": round(time.perf_counter() - started, 4),
                            "hits": served["hits"]})
            continue
        if search is None:
            from afs.pretraining.search import CodeSearch

            search = CodeSearch(directory)
        hits = search.query(text, k, mode)
        answers.append({"query": text, "mode": mode or search.default_mode, "served": False,
                        "seconds": round(time.perf_counter() - started, 4), "hits": hits})
    if as_json:
        print_json(answers if len(answers) > 1 else answers[0]["hits"])
        return
    for answer in answers:
        if len(answers) > 1:
            console.print(f"[bold]{answer['query']}[/] ({answer['seconds']:.3f} s)",
                          highlight=False)
        for row in answer["hits"]:
            where = f"{row['source']}:{row['start_line']}"
            address = f" ${row['address']}" if row.get("address") else ""
            console.print(f"{row['score']:.3f}  {where}{address}  {row['name']}",
                          highlight=False)
