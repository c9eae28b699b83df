"""`afs asm ...`: assemble, run, lint, compare, optimise and explain 65816 code."""

from __future__ import annotations

import typer

from afs.cli.output import (
    JsonOption,
    check_output_file,
    console,
    err_console,
    fail,
    print_json,
    print_lines,
)

asm_app = typer.Typer(help="The 65816 toolchain: build, run, lint, equiv, optimize, explain.",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(asm_app, name="asm")


@asm_app.command("build")
def build_command(
    file: str = typer.Argument(..., help="asar source file."),
    output: str = typer.Option(None, "-o", "--output", help="Output file (default FILE.sfc)."),
    base: str = typer.Option(None, "--base", help="Flat binary with code at this SNES address "
                             "(e.g. $008000 or 0x8000) when the source has no org."),
    listing: bool = typer.Option(False, "--listing", help="Print the listing."),
    symbols: bool = typer.Option(False, "--symbols", help="Print the symbol table."),
    fix_checksum: str = typer.Option("on", "--fix-checksum", help="on|off, as asar."),
    no_title_check: bool = typer.Option(False, "--no-title-check",
                                        help="Patch a ROM whose title looks like garbage."),
    define: list[str] = typer.Option(None, "-D", "--define",
                                     help="NAME[=VALUE]: a define, as asar's -D (repeatable)."),
    json_out: bool = JsonOption,
) -> None:
    """Assemble FILE like asar 1.91: a new ROM, a patched ROM, or a flat binary (--base)."""
    from afs.asm.build import build

    if fix_checksum not in ("on", "off"):
        fail(f"--fix-checksum must be 'on' or 'off', not {fix_checksum!r}")
    if output:
        check_output_file(output, "--output")
    address = None
    if base is not None:
        text = base.strip().lower().replace("$", "0x", 1)
        try:
            address = int(text, 0)
        except ValueError:
            fail(f"--base: not an address: {base!r} (use $008000 or 0x8000)")
    defines: dict[str, str] = {}
    for item in define or ():
        name, _, value = item.partition("=")
        if not name or not name.replace("_", "a").isalnum():
            fail(f"-D: expected NAME or NAME=VALUE, not {item!r}")
        defines[name] = value
    result = build(file, output, base=address, fix_checksum=fix_checksum == "on",
                   title_check=not no_title_check, listing=listing, defines=defines)
    asm = result.assembly
    if json_out:
        payload: dict[str, object] = {
            "output": str(result.output), "size": result.size, "patched": result.patched,
            "flat": result.flat, "mapper": asm.mapper, "warnings": asm.warnings,
            "prints": asm.prints,
            "segments": [{"address": s.address, "offset": s.offset, "size": len(s.data)}
                         for s in asm.segments]}
        if symbols:
            payload["symbols"] = asm.symbols
        if listing:
            payload["listing"] = [{"address": ln.address, "bytes": ln.data.hex(),
                                   "file": ln.file, "line": ln.line, "text": ln.text,
                                   "kind": ln.kind} for ln in asm.listing]
        print_json(payload)
        return
    if listing:
        print_lines(f"${ln.address:06X}  {ln.data.hex(' '):<14} {ln.text}" for ln in asm.listing
                    if ln.kind != "directive" or ln.data)
    if symbols:
        print_lines(f"${value:06X}  {name}" for name, value in
                    sorted(asm.symbols.items(), key=lambda kv: (kv[1], kv[0])))
    print_lines(asm.prints)
    print_lines(asm.warnings, stderr=True)
    verb = "patched" if result.patched else "wrote"
    print_lines([f"{verb} {result.output} ({result.size} bytes)"])


def _read_source(path: str) -> str:
    from pathlib import Path

    from afs.errors import InputError

    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read as UTF-8 text ({exc})", path=path) from None


@asm_app.command("lint")
def lint_command(
    file: str = typer.Argument(..., help="asar source file."),
    handler: list[str] = typer.Option([], "--handler", help="Label of an interrupt handler "
                                      "(names with NMI/IRQ are recognised anyway)."),
    json_out: bool = JsonOption,
) -> None:
    """Static analysis: widths, stack, carry, DMA, vblank, banks, loops... (exit 1 on findings)."""
    from afs.asm.lint import lint_source

    report = lint_source(_read_source(file), filename=file, handlers=tuple(handler))
    serious = report.by_severity("warning")
    if json_out:
        print_json(report.to_dict())
    else:
        for f in report.findings:
            colour = {"error": "red", "warning": "yellow"}.get(f.severity, "cyan")
            console.print(f"{f.file}:{f.line}: [{colour}]{f.severity}[/] {f.rule} "
                          f"[{f.category}] {f.message}", highlight=False)
        console.print(f"{len(serious)} problem(s), {len(report.findings) - len(serious)} "
                      f"note(s)", highlight=False)
    raise typer.Exit(1 if serious else 0)


@asm_app.command("equiv")
def equiv_command(
    original: str = typer.Argument(..., help="Original snippet (asar source file)."),
    candidate: str = typer.Argument(..., help="Candidate snippet (asar source file)."),
    live_out: str = typer.Option(None, "--live-out", help="What must agree afterwards: "
                                 "a,x,y,s,dp,dbr,e, p (all flags) or n,v,d,i,z,c, mem "
                                 "(default: everything)."),
    pre: str = typer.Option(None, "--pre", help="Preconditions both may assume, e.g. "
                            "m=1,x=1,d=0 (flags, e, dp, dbr, s)."),
    trials: int = typer.Option(64, "--trials", min=1, help="Random initial states."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    json_out: bool = JsonOption,
) -> None:
    """Differential equivalence check of two snippets (exit 1 when they differ)."""
    from afs.asm.equivalence import check_equivalent

    result = check_equivalent(_read_source(original), _read_source(candidate),
                              live_out=live_out, preconditions=pre, trials=trials, seed=seed)
    if json_out:
        print_json(result.to_dict())
    else:
        verdict = "[green]equivalent[/]" if result.equivalent else "[red]NOT equivalent[/]"
        console.print(f"{verdict} after {result.trials} trial(s) (live-out: "
                      f"{','.join(result.live_out)}; assumed: {result.preconditions or 'none'})")
        for name, m in result.metrics.items():
            console.print(f"  {name}: {m.bytes} bytes, cycles {m.cycles_min}/"
                          f"{m.cycles_mean:.1f}/{m.cycles_max} (min/mean/max)", highlight=False)
        cx = result.counterexample
        if cx is not None:
            console.print(f"  first difference: {cx.difference}", highlight=False)
            console.print(f"  initial: {cx.initial}", highlight=False, markup=False)
            console.print(f"  original: {cx.original}", highlight=False, markup=False)
            console.print(f"  candidate: {cx.candidate}", highlight=False, markup=False)
    raise typer.Exit(0 if result.equivalent else 1)


@asm_app.command("optimize")
def optimize_command(
    file: str = typer.Argument(None, help="asar source file (or use --scan DIR)."),
    output: str = typer.Option(None, "-o", "--output", help="Write the result (with --scan: "
                               "the ranked report, JSON) here (default: print it)."),
    live_out: str = typer.Option(None, "--live-out", help="What must survive falling off the "
                                 "end (default: everything)."),
    pre: str = typer.Option(None, "--pre", help="Entry state, e.g. 'e=0,m=1,x=1,d=0,dp=0,"
                            "dbr=$7E' (d is the decimal flag; dp the direct page register)."),
    objective: str = typer.Option("cycles", "--objective", help="cycles or bytes."),
    budget: float = typer.Option(2.0, "--budget", min=0.0,
                                 help="CPU seconds of search per routine."),
    explain: bool = typer.Option(False, "--explain", help="List each rewrite with its proof."),
    scan: str = typer.Option(None, "--scan", help="Superoptimise every self-contained routine "
                             "of a disassembly folder and rank the verified savings."),
    json_out: bool = JsonOption,
) -> None:
    """Superoptimise FILE: peephole rules, shorter addressing forms, dead code, and a search
    over short windows; every rewrite proven (exhaustive or sampled) before it is made."""
    if objective not in ("cycles", "bytes"):
        fail(f"--objective must be cycles or bytes, not {objective!r}")
    if output:
        check_output_file(output, "--output")
    if scan:
        _scan(scan, output, objective, budget, json_out)
        return
    if not file:
        fail("give a FILE to optimise, or --scan DIR")
    from pathlib import Path

    from afs.asm.equivalence import parse_preconditions
    from afs.asm.superoptimizer import superoptimize
    from afs.errors import InputError

    try:
        entry = parse_preconditions(pre)
    except InputError as exc:
        fail(f"--pre: {exc}")
    result = superoptimize(_read_source(file), filename=file, live_out=live_out,
                           preconditions=entry, objective=objective, budget=budget)
    if output:
        Path(output).write_text(result.source if result.source.endswith("\n")
                                else result.source + "\n", encoding="utf-8")
    check = result.verified
    if json_out:
        print_json({"source": result.source, "output": output, "objective": objective,
                    "bytes_before": result.before[0] if result.rewrites else None,
                    "bytes_after": result.after[0] if result.rewrites else None,
                    "cycles_before": result.before[1] if result.rewrites else None,
                    "cycles_after": result.after[1] if result.rewrites else None,
                    "rewrites": [r.to_dict() for r in result.rewrites], "note": result.note,
                    "verification": check.to_dict() if check is not None else None})
        return
    if not output:
        typer.echo(result.source)
    if explain or output:
        for r in result.rewrites:
            assumes = f" [assumes {', '.join(r.assumptions)}]" if r.assumptions else ""
            err_console.print(f"{file}:{r.line}: {' / '.join(r.before)} -> "
                              f"{' / '.join(r.after) or '(removed)'}  ({r.proof}: {r.detail})"
                              f"{assumes}", highlight=False, markup=False)
    summary = f"{len(result.rewrites)} rewrite(s)"
    if result.rewrites:
        summary += (f", {result.before[0]} -> {result.after[0]} bytes, "
                    f"{result.before[1]:.1f} -> {result.after[1]:.1f} cycles (mean)")
    err_console.print(summary + (f"; written to {output}" if output else "")
                      + (f"; {result.note}" if result.note else ""), highlight=False)


def _scan(folder: str, output: str | None, objective: str, budget: float,
          json_out: bool) -> None:
    import json
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from afs.asm.routines import find_routines
    from afs.asm.superoptimizer import SCAN_ENTRY, scan

    if not Path(folder).exists():
        fail(f"{folder}: no such file or folder (expected a disassembly to scan)")
    total = len(find_routines(folder))
    progress = Progress(TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(),
                        console=console, disable=json_out)
    with progress:
        task = progress.add_task("scan", total=total)
        tried, findings = scan(folder, objective=objective, budget=budget,
                               on_routine=lambda _: progress.advance(task))
    report = {"source": str(Path(folder).resolve()), "objective": objective,
              "entry_assumed": {**SCAN_ENTRY, "m/x": "from the routine's immediates, else 8-bit"},
              "routines": tried, "routines_improved": len(findings),
              "bytes_saved": sum(f.bytes_saved for f in findings),
              "cycles_saved": round(sum(f.cycles_saved for f in findings), 2),
              "without_assumptions": [f.to_dict() for f in findings if not f.assumptions],
              "with_assumptions": [f.to_dict() for f in findings if f.assumptions]}
    if output:
        Path(output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if json_out:
        print_json(report)
        return
    console.print(f"{tried} routines scanned, {len(findings)} improved: "
                  f"{report['bytes_saved']} bytes, {report['cycles_saved']} cycles saved",
                  highlight=False)
    for finding in findings[:20]:
        assumes = f" [assumes {', '.join(finding.assumptions)}]" if finding.assumptions else ""
        console.print(f"{finding.routine} ({finding.path}:{finding.line}): "
                      f"-{finding.bytes_saved} bytes, -{finding.cycles_saved:.1f} cycles"
                      f"{assumes}", highlight=False, markup=False)
    if output:
        console.print(f"report: {output}", highlight=False, soft_wrap=True)


@asm_app.command("explain")
def explain_command(
    file: str = typer.Argument(..., help="asar source file."),
    json_out: bool = JsonOption,
) -> None:
    """Explain FILE line by line: semantics, widths, flags, cycles, what addresses reach."""
    from afs.models.classical_experts.veran import explain_code

    text = explain_code(_read_source(file))
    if json_out:
        print_json({"file": file, "explanation": text})
    else:
        typer.echo(text)


@asm_app.command("run")
def run_command(
    file: str = typer.Argument(..., help="asar source file (assembled at $008000, LoROM, "
                               "unless it sets its own org)."),
    init: str = typer.Option(None, "--init", help="Registers, e.g. a=0x1234,x=0,y=0,s=0x1FF,"
                             "d=0,dbr=0x7E,p=0x30,e=0 (pbr/pc default to the code's start)."),
    mem: list[str] = typer.Option([], "--mem", help="Initial bytes, ADDRESS=VALUE with a hex "
                                  "address (7E0010=0x05); repeatable or comma-separated."),
    state: str = typer.Option(None, "--state", help="JSON file with the register fields and "
                              '"memory": {"0x7E0010": 5, ...}; --init and --mem override it.'),
    fill: str = typer.Option("0x00", "--fill", help="Value of every byte never written."),
    max_instructions: int = typer.Option(100_000, "--max-instructions", min=1,
                                         help="Budget; exceeding it is an error (exit 1)."),
    trace: bool = typer.Option(False, "--trace", help="Print every instruction executed."),
    json_out: bool = JsonOption,
) -> None:
    """Run FILE on the 65816 emulator until it falls off the end (or RTS/RTL at depth 0)."""
    from afs.asm.assembler import assemble_file
    from afs.asm.machine import run_snippet
    from afs.asm.runner import parse_run_inputs, result_to_json

    cpu_state, memory, fill_byte, entry = parse_run_inputs(init, mem, state, fill)
    assembly = assemble_file(file, base=0x008000)
    result = run_snippet(assembly, init=cpu_state, memory=memory, fill=fill_byte,
                         max_instructions=max_instructions, entry=entry, trace=trace)
    payload = result_to_json(result)
    if json_out:
        print_json(payload)
        return
    if trace:
        for step in result.trace or []:
            console.print(
                f"${step['pc']:06X}  {step['bytes']:<8}  {step['text']:<18} A={step['a']:04X} "
                f"X={step['x']:04X} Y={step['y']:04X} S={step['s']:04X} D={step['d']:04X} "
                f"DBR={step['dbr']:02X} P={step['p']:02X} E={step['e']} cyc={step['cycles']}",
                highlight=False, markup=False, soft_wrap=True)
    st = result.state
    console.print(f"A={st.a:04X} X={st.x:04X} Y={st.y:04X} S={st.s:04X} D={st.d:04X} "
                  f"DBR={st.dbr:02X} PBR={st.pbr:02X} PC={st.pc:04X} P={st.p:02X} E={st.e}",
                  highlight=False, markup=False)
    console.print(f"{result.instructions} instructions, {result.cycles} cycles, stopped: "
                  f"{result.stop_reason}", highlight=False, markup=False)
    for address, value in payload["writes"].items():
        console.print(f"  {address} = 0x{value:02X}", highlight=False, markup=False)
    for address, value, cycle in result.io_writes:
        console.print(f"  I/O ${address:04X} <- 0x{value:02X} (cycle {cycle})",
                      highlight=False, markup=False)
    for address, value, cycle in result.open_bus_reads:
        # Nothing is mapped there: real code that does this has a bug (a wrong bank or DBR).
        console.print(f"  warning: read of unmapped ${address:06X} gave open bus 0x{value:02X} "
                      f"(cycle {cycle})", style="yellow", highlight=False, markup=False)


rewrite_db_app = typer.Typer(help="The superoptimiser's database of verified rewrites.",
                             no_args_is_help=True)
asm_app.add_typer(rewrite_db_app, name="rewrite-db")


@rewrite_db_app.command("build")
def rewrite_db_build(
    output: str = typer.Option(..., "-o", "--output", help="Where to write the database "
                               "(the shipped one is src/afs/asm/data/rewrites.json)."),
    source: list[str] = typer.Option([], "--source", help="A disassembly folder to take "
                                     "windows from (repeatable)."),
    random_windows: int = typer.Option(300, "--random", min=0, help="Seeded random windows."),
    din_items: bool = typer.Option(True, "--din-items/--no-din-items",
                                   help="Windows of the shipped din benchmark routines."),
    budget: float = typer.Option(0.4, "--budget", min=0.0, help="Seconds per window and "
                                 "liveness scenario."),
    seed: int = typer.Option(1, "--seed"),
    json_out: bool = JsonOption,
) -> None:
    """Search a window corpus offline and write every proven rewrite (one command)."""
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from afs.asm import rewrite_db
    from afs.asm.routines import find_routines
    from afs.asm.superoptimizer import routine_entry

    check_output_file(output, "--output")
    for folder in source:
        if not Path(folder).is_dir():
            fail(f"--source {folder}: not a folder (expected a disassembly)")
    windows = []
    if din_items:
        from afs.benchmark.items import default_dataset_dir, load_items

        for item in load_items(default_dataset_dir(), "din"):
            windows += rewrite_db.windows_of(item.code, dict(item.preconditions))
    windows += rewrite_db.random_windows(random_windows, seed)
    for folder in source:
        for routine in find_routines(folder):
            try:
                windows += rewrite_db.windows_of(routine.code, routine_entry(routine.code))
            except Exception:  # a routine AFS cannot assemble adds no windows
                continue
    progress = Progress(TextColumn("[bold]searching"), BarColumn(), MofNCompleteColumn(),
                        console=console, disable=json_out)
    with progress:
        task = progress.add_task("build", total=len(windows))
        database = rewrite_db.build(windows, budget_per_window=budget,
                                    on_window=lambda: progress.advance(task))
    database.save(output)
    summary = {"windows": len(windows), "entries": len(database), "output": output}
    if json_out:
        print_json(summary)
    else:
        console.print(f"{len(windows)} windows searched; {len(database)} proven rewrites "
                      f"written to {output}", highlight=False, soft_wrap=True)


@rewrite_db_app.command("check")
def rewrite_db_check(
    path: str = typer.Option(None, "--database", help="Default: the shipped database."),
    sample: int = typer.Option(None, "--sample", min=1, help="Re-prove a seeded sample."),
    json_out: bool = JsonOption,
) -> None:
    """Re-prove the database's entries; exit 1 if any no longer proves."""
    from afs.asm.rewrite_db import RewriteDatabase, recheck

    database = RewriteDatabase.load(path)
    failed = recheck(database, sample=sample)
    checked = min(sample or len(database), len(database))
    if json_out:
        print_json({"entries": len(database), "checked": checked,
                    "failed": [f.to_dict() for f in failed]})
    else:
        console.print(f"{checked} of {len(database)} entries re-proven, {len(failed)} failed",
                      highlight=False)
    if failed:
        raise typer.Exit(1)
