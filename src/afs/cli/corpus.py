"""`afs corpus ...`: build the pre-training corpus and show its statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from afs.cli.output import JsonOption, console, print_json

corpus_app = typer.Typer(help="Build and inspect the pre-training corpus.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")


def _print_stats(stats: dict[str, Any], splits: dict[str, Any] | None = None) -> None:
    from rich.table import Table

    console.print(
        f"{stats['total_files']} files, {stats['total_lines']} lines, "
        f"{stats['total_chars']} chars read; kept {stats['documents']} documents, "
        f"{stats['kept_lines']} lines, {stats['total_tokens']} pre-tokens"
    )
    console.print(
        f"removed {stats['duplicates_removed']} duplicates ({stats['exact_duplicates']} exact, "
        f"{stats['near_duplicates']} near); dropped {stats['dropped_table_lines']} table lines, "
        f"{stats['dropped_long_lines']} long lines; skipped {stats['skipped_files']} binary files"
    )
    table = Table("extension", "files", "lines", "chars", "documents")
    for ext, counts in stats["by_extension"].items():
        table.add_row(ext, *(str(counts[k]) for k in ("files", "lines", "chars", "documents")))
    console.print(table)
    if splits:
        console.print(", ".join(f"{name}: {info['documents']}" for name, info in splits.items()))


def _config(
    sources: list[Path], patterns: list[str] | None, excludes: list[str] | None, **options: Any
) -> Any:
    from afs.pretraining.corpus_builder import CorpusConfig

    extra: dict[str, Any] = {}
    if patterns:
        extra["file_patterns"] = patterns
    if excludes:
        extra["exclude_patterns"] = excludes
    return CorpusConfig(source_dirs=sources, **extra, **options)


@corpus_app.command("build")
def build(
    source: list[Path] = typer.Option(..., "--source", "-s", help="Source directory (repeat)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Corpus directory [default: $AFS_HOME/pretraining/corpus]."
    ),
    pattern: list[str] | None = typer.Option(
        None, "--pattern", help="File pattern (repeat) [default: *.asm *.s *.inc *.md *.txt]."
    ),
    exclude: list[str] | None = typer.Option(None, "--exclude", help="Exclude pattern (repeat)."),
    seq_len: int = typer.Option(512, "--seq-len", help="Most pre-tokens per document."),
    val_fraction: float = typer.Option(0.05, "--val-fraction"),
    comments: str = typer.Option("keep", "--comments", help="keep | strip"),
    dedup: bool = typer.Option(True, "--dedup/--no-dedup"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Parse source files into documents, deduplicate, and write a train/validation dataset."""
    from afs.pretraining.corpus_builder import CorpusBuilder, pretraining_dir

    config = _config(
        source, pattern, exclude, seq_len=seq_len, val_fraction=val_fraction,
        comments=comments, dedup=dedup, seed=seed,
    )
    target = output or pretraining_dir("corpus")
    with console.status("Building the corpus…"):
        manifest = CorpusBuilder(config).build(target)
    if as_json:
        print_json({"output": str(target), **manifest})
        return
    _print_stats(manifest["statistics"], manifest["splits"])
    console.print(f"[green]corpus written to[/] {target}")


@corpus_app.command("stats")
def stats(
    directory: Path | None = typer.Argument(
        None, help="A built corpus, or a directory of sources "
        "[default: the corpus `afs corpus build` wrote, $AFS_HOME/pretraining/corpus]."),
    pattern: list[str] | None = typer.Option(None, "--pattern", help="File pattern (repeat)."),
    as_json: bool = JsonOption,
) -> None:
    """Statistics of a built corpus (from its corpus.json) or of a source directory."""
    from afs.errors import InputError
    from afs.pretraining.corpus_builder import MANIFEST, CorpusBuilder, read_manifest

    if directory is None:
        from afs.pretraining.corpus_builder import pretraining_dir

        directory = pretraining_dir("corpus")
        if not (directory / MANIFEST).is_file():
            raise InputError(f"no built corpus at {directory}: run `afs corpus build --source "
                             "DIR` first, or name a directory")
    if not directory.is_dir():
        raise InputError(f"{directory}: expected a directory (a built corpus or sources)"
                         if directory.exists() else f"{directory}: no such directory")
    if (directory / MANIFEST).is_file():
        manifest = read_manifest(directory)
        statistics, splits = manifest["statistics"], manifest["splits"]
    else:
        statistics = CorpusBuilder(_config([directory], pattern, None)).get_statistics()
        splits = None
    if as_json:
        print_json({"statistics": statistics, "splits": splits})
        return
    _print_stats(statistics, splits)
