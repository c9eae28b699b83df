"""Din's engine (the superoptimiser): how often it matches or beats the din benchmark's
references, what it saves on seeded random code, its time per routine, and (when a
disassembly is named by AFS_BENCH_DISASM, e.g. the US ALTTP one) the verified savings a scan
finds across it.

Baseline in the same run: the peephole optimiser alone (`afs.asm.optimizer.optimize`).
"""

from __future__ import annotations

import os
import random
import statistics
import time

BUDGET = 2.0          # seconds per routine: the CLI default
RANDOM_SNIPPETS = 40


def _goal(objective: str) -> str:
    return "bytes" if objective == "bytes" else "cycles_mean"


def _din_items() -> dict[str, object]:
    from afs.asm.equivalence import check_equivalent
    from afs.asm.optimizer import optimize
    from afs.asm.superoptimizer import superoptimize
    from afs.benchmark.items import default_dataset_dir, load_items

    items = load_items(default_dataset_dir(), "din")
    matched = {"superopt": 0, "peephole": 0}
    beat = {"superopt": 0, "peephole": 0}
    seconds = []
    for item in items:
        goal = _goal(item.metadata.objective)
        reference = item.reference_metrics["reference"][goal]
        original = item.reference_metrics["original"][goal]
        started = time.perf_counter()
        result = superoptimize(item.code, live_out=item.live_out,
                               preconditions=item.preconditions,
                               objective=item.metadata.objective, budget=BUDGET)
        seconds.append(time.perf_counter() - started)
        peephole = optimize(item.code, live_out=item.live_out,
                            assume_decimal_clear=item.preconditions.get("d", 0) == 0).source
        for name, source in (("superopt", result.source), ("peephole", peephole)):
            if source == item.code:
                continue
            check = check_equivalent(item.code, source, live_out=item.live_out,
                                     preconditions=item.preconditions, trials=256, seed=7,
                                     infer_widths=False)
            if not check.equivalent:
                continue
            cost = getattr(check.metrics["candidate"], goal)
            if cost < original and cost <= reference + 1e-6:
                matched[name] += 1
                beat[name] += cost < reference - 1e-6
    n = len(items)
    return {"items": n,
            "superopt_matches_or_beats_reference": round(matched["superopt"] / n, 3),
            "superopt_beats_reference": round(beat["superopt"] / n, 3),
            "peephole_matches_or_beats_reference": round(matched["peephole"] / n, 3),
            "seconds_per_routine_median": round(statistics.median(seconds), 3),
            "seconds_per_routine_max": round(max(seconds), 3)}


def _random_code() -> dict[str, object]:
    from tests.analysis.snippet_gen import random_snippet

    from afs.asm.optimizer import optimize
    from afs.asm.superoptimizer import superoptimize

    rng = random.Random(2024)
    saved = {"superopt": [0, 0.0], "peephole": [0, 0.0]}
    for _ in range(RANDOM_SNIPPETS):
        src = random_snippet(rng)
        result = superoptimize(src, live_out="mem", preconditions="e=0,d=0,dp=0,dbr=$7E",
                               budget=BUDGET)
        if result.rewrites:
            saved["superopt"][0] += result.before[0] - result.after[0]
            saved["superopt"][1] += result.before[1] - result.after[1]
        peephole = optimize(src, live_out="mem", verify=True)
        if peephole.verified is not None and peephole.verified.equivalent:
            metrics = peephole.verified.metrics
            saved["peephole"][0] += metrics["original"].bytes - metrics["candidate"].bytes
            saved["peephole"][1] += (metrics["original"].cycles_mean
                                     - metrics["candidate"].cycles_mean)
    return {f"{name}_{what}_saved_per_snippet": round(values[i] / RANDOM_SNIPPETS, 2)
            for name, values in saved.items() for i, what in enumerate(("bytes", "cycles"))}


def _disassembly() -> dict[str, object]:
    from afs.asm.superoptimizer import scan

    folder = os.environ.get("AFS_BENCH_DISASM")
    if not folder:
        return {"disassembly": "skipped (set AFS_BENCH_DISASM to a disassembly folder)"}
    started = time.perf_counter()
    routines, findings = scan(folder, budget=BUDGET)
    return {"disassembly": folder, "routines_scanned": routines,
            "routines_improved": len(findings),
            "bytes_saved": sum(f.bytes_saved for f in findings),
            "cycles_saved": round(sum(f.cycles_saved for f in findings), 2),
            "improved_without_assumptions": sum(not f.assumptions for f in findings),
            "scan_seconds": round(time.perf_counter() - started, 1)}


def run() -> dict[str, object]:
    return {"budget_seconds": BUDGET, **_din_items(), **_random_code(), **_disassembly()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
