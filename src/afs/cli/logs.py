"""`afs logs ...`: search, show, import and export the inference log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from afs.cli.output import JsonOption, console, err_console, print_json

if TYPE_CHECKING:
    from afs.feedback import InferenceLogger

logs_app = typer.Typer(help="Search, show, import and export the inference log.",
                       no_args_is_help=True)

DbOption = typer.Option(
    None, "--db",
    help="Log directory or database file (default: $AFS_HOME/feedback/inference.db).",
)


def say(text: object) -> None:
    """Print as-is: logged text and paths may hold [brackets] that rich would take as markup."""
    console.print(text, markup=False, highlight=False)


def open_logger(db: Path | None) -> InferenceLogger:
    """The logger for `--db` (shared with `afs feedback`)."""
    from afs.feedback import InferenceLogger

    return InferenceLogger(db)


@logs_app.command("search")
def search(
    text: str = typer.Argument(..., help="Words that must all appear (see --raw)."),
    limit: int = typer.Option(20, "--limit", "-n", help="Most hits to show."),
    raw: bool = typer.Option(False, "--raw", help="TEXT is an FTS5 query (OR, NEAR, prefix*)."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Full-text search over prompts and responses, best match first."""
    logger = open_logger(db)
    hits = logger.search(text, limit=limit, raw=raw)
    if json_out:
        print_json([hit.record.to_dict() | {"rank": hit.rank, "snippet": hit.snippet}
                    for hit in hits])
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{len(hits)} hit(s) in {logger.db_path}"))
    for column in ("id", "time", "model", "expert", "match"):
        table.add_column(column, overflow="fold")
    for hit in hits:
        record = hit.record.to_dict()
        # Text cells: logged prompts may contain [brackets] that rich would read as markup.
        table.add_row(*(Text(value) for value in (
            record["id"], record["timestamp"][:19], record["model"], record["expert"] or "-",
            hit.snippet)))
    console.print(table)


@logs_app.command("show")
def show(
    record_id: str = typer.Argument(..., help="The record id log() returned."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """One record with its feedback history."""
    from afs.feedback import FeedbackCollector

    logger = open_logger(db)
    record = logger.get(record_id)
    votes = FeedbackCollector(logger).history(record_id)
    data = record.to_dict() | {"feedback": [vars(vote) for vote in votes]}
    if json_out:
        print_json(data)
        return
    from rich.markup import escape

    for name, value in data.items():
        if name not in ("prompt", "response", "system", "feedback") and value not in (None, {}):
            console.print(f"[bold]{name}[/]: {escape(str(value))}", highlight=False)
    for name in ("system", "prompt", "response"):
        if data[name] is not None:
            console.rule(name)
            say(data[name])
    console.rule(f"feedback ({len(votes)})")
    for vote in votes:
        line = f"#{vote.id} score {vote.score:+g} by {vote.source}"
        say(line + (f": {vote.text}" if vote.text else ""))
        if vote.correction:
            say(f"  correction: {vote.correction}")


@logs_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="JSONL of records and/or feedback lines."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Import records and feedback (all or nothing; re-importing adds nothing)."""
    from afs.feedback import import_jsonl

    logger = open_logger(db)
    result = import_jsonl(logger, file)
    if json_out:
        print_json(vars(result) | {"database": str(logger.db_path)})
        return
    say(f"{file}: {result.records_added} record(s) and {result.feedback_added} vote(s) added, "
        f"{result.records_skipped} record(s) and {result.feedback_skipped} vote(s) already "
        f"stored -> {logger.db_path}")


@logs_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="JSONL file to write (default: stdout)."),
    since: str | None = typer.Option(None, "--since", help="Only records from this ISO time."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Export records, then their feedback, as JSONL `afs logs import` reads."""
    import json

    from afs.feedback import export_lines
    from afs.feedback.logger import parse_timestamp
    from afs.jsonl import write_jsonl

    logger = open_logger(db)
    start = parse_timestamp(since) if since is not None else None
    lines = export_lines(logger, since=start)
    if output is None:
        count = 0
        for line in lines:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
        err_console.print(f"{count} line(s) from {logger.db_path}", markup=False,
                          highlight=False)
        return
    count = write_jsonl(output, lines)
    if json_out:
        print_json({"output": str(output), "lines": count, "database": str(logger.db_path)})
    else:
        say(f"{count} line(s) from {logger.db_path} -> {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(logs_app, name="logs")
