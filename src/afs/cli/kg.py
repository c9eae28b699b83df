"""`afs kg lookup|context|validate|export`: the ALTTP/SNES knowledge graph."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from afs.cli.output import (
    EXIT_FAILURE,
    JsonOption,
    check_output_file,
    console,
    fail,
    print_json,
)

if TYPE_CHECKING:
    from afs.knowledge.adapters import ALTTPKnowledgeGraph

kg_app = typer.Typer(help="The ALTTP/SNES knowledge graph: look up, give context, validate.",
                     no_args_is_help=True)


def _graph() -> ALTTPKnowledgeGraph:
    # Imported here so that `afs --help` does not load networkx and the facts.
    from afs.knowledge.adapters import ALTTPKnowledgeGraph

    return ALTTPKnowledgeGraph()


@kg_app.command("lookup")
def lookup(
    query: str = typer.Argument(..., help="An address in any notation ($7EF36D, $0E53, "
                                "7E:0010, $2100) or a name (sprite_hp, INIDISP)."),
    as_json: bool = JsonOption,
) -> None:
    """What an address or name is: the entity, its size, category, slot and relations."""
    from afs.knowledge.addresses import format_address, parse_address

    written = query.strip()
    looks_like_address = written[:1] == "$" or written[:2].lower() == "0x" or ":" in written
    if looks_like_address and parse_address(written) is None:
        fail(f"{escape(query)} is not an address: expected a 24-bit SNES address "
             "(1-6 hex digits, e.g. $7EF36D, $10, 7E:F36D)")
    graph = _graph()
    matches = graph.lookup(query)
    if not matches:
        from afs.knowledge.graph_core import GraphError

        try:
            region = graph.resolve(query).region
        except GraphError:  # neither a known name nor an address
            region = None
        where = f" (inside {region.name})" if region is not None else ""
        fail(f"{escape(query)} is not in the map{where}", EXIT_FAILURE)
    match = matches[0]
    node = match.node
    if as_json:
        print_json({"query": query, "address": format_address(match.address),
                    "offset": match.offset, "slot": match.slot, "id": node.id,
                    "name": node.name, "node_type": node.node_type,
                    "properties": node.properties,
                    "relations": [e.to_dict() for e in graph.edges(source=node.id)
                                  + graph.edges(target=node.id)]})
        return
    mention = None if query.strip().lower() == node.name.lower() else query.strip()
    lines = graph.describe(node, slot=match.slot, offset=match.offset, mention=mention,
                           relations=8)
    console.print(escape("\n".join(lines)), highlight=False, soft_wrap=True)
    console.print(f"  source: {escape(node.properties.get('source', ''))}", style="dim",
                  highlight=False)


@kg_app.command("context")
def context(
    prompt: str = typer.Argument(..., help="The request to find facts for."),
    max_entities: int = typer.Option(10, "--max", min=1, help="Most entities to include."),
    as_json: bool = JsonOption,
) -> None:
    """The facts block `get_context_for_prompt` would add to a system prompt."""
    result = _graph().retrieve(prompt, max_entities)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(escape(result.text or "(nothing relevant found)"), highlight=False,
                  soft_wrap=True)


@kg_app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="A model answer or assembly file; '-' for stdin."),
    as_json: bool = JsonOption,
) -> None:
    """Check text or code against the map. Exit 1 when an error or warning is found."""
    import sys

    if str(file) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            fail(f"{escape(str(file))}: no such file")
        except UnicodeDecodeError as exc:
            fail(f"{escape(str(file))}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    findings = _graph().validate_output(text)
    serious = [f for f in findings if f.severity in ("error", "warning")]
    if as_json:
        print_json({"file": str(file), "findings": [f.to_dict() for f in findings]})
    elif not findings:
        console.print("no findings")
    else:
        for finding in findings:
            color = {"error": "red", "warning": "yellow", "info": "blue"}[finding.severity]
            console.print(f"{escape(str(file))}:{finding.line}:{finding.column}: "
                          f"[{color}]{finding.severity}[/] {finding.kind}: "
                          f"{escape(finding.message)}", highlight=False)
    if serious:
        raise typer.Exit(EXIT_FAILURE)


@kg_app.command("export")
def export(
    fmt: str = typer.Option("json", "--format", help="json or graphml."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="File to write (default: under $AFS_HOME/knowledge)."),
    as_json: bool = JsonOption,
) -> None:
    """Write the whole graph as JSON (loadable with KnowledgeGraph.load) or GraphML."""
    from afs.paths import state_path

    if fmt not in ("json", "graphml"):
        fail(f"--format must be json or graphml, not {escape(fmt)}")
    target = check_output_file(output or state_path("knowledge", f"alttp.{fmt}"), "--output")
    graph = _graph()
    path = graph.save(target) if fmt == "json" else graph.export_graphml(target)
    stats = graph.stats()
    if as_json:
        print_json({"path": str(path), "format": fmt, "nodes": stats["nodes"],
                    "edges": stats["edges"]})
        return
    console.print(f"wrote {stats['nodes']} nodes and {stats['edges']} edges to {escape(str(path))}")


def register(app: typer.Typer) -> None:
    app.add_typer(kg_app, name="kg")
