"""Din's engine (the superoptimiser): how often it matches or beats the din benchmark's
references, what it saves on seeded random code, its time per routine, and (when a
disassembly is named by AFS_BENCH_DISASM, e.g. the US ALTTP one) the verified savings a scan
finds across it.

Soundness on the real core (when the bsnes oracle of ../shared/oracle, or AFS_ORACLE_DIR, is
set up): every change Din makes to held-out random snippets (a seed no test uses) and to the
din items of AFS_BENCH_DIN_DATASET (default: the shipped dev items; point it at a fresh-seed
set, e.g. $AFS_HOME/benchmark/fresh/seed-1) runs on bsnes from random entry states; the
bytes either version writes must agree.

Baseline in the same run: the peephole optimiser alone (`afs.asm.optimizer.optimize`).
"""

from __future__ import annotations

import os
import random
import statistics
import time

BUDGET = 2.0          # seconds per routine: the CLI default
RANDOM_SNIPPETS = 40
BSNES_SNIPPETS = 150
BSNES_STATES = 3


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


def _oracle() -> object | None:
    import sys
    from pathlib import Path

    folder = os.environ.get("AFS_ORACLE_DIR") or str(
        Path(__file__).resolve().parents[1].parent / "shared" / "oracle")
    sys.path.insert(0, folder)
    try:
        import snes_oracle  # type: ignore[import-not-found]
    except ImportError:
        return None
    return snes_oracle if snes_oracle.available()[0] else None


def _harnessed(code: str) -> str:
    """The oracle runs code that falls off its end: a routine is called, then it stops."""
    last = [line.split(";")[0].strip().upper() for line in code.splitlines() if line.strip()]
    returns = [line for line in last if line in ("RTS", "RTL")]
    if not returns:
        return code
    call = "jsl" if returns[-1] == "RTL" else "jsr"
    return f"{call} AfsEntry\nbra AfsEnd\nAfsEntry:\n{code}\nAfsEnd:"


def _case_pairs(rng: random.Random, original: str, changed: str, pre: dict[str, int]
                ) -> list[dict[str, object]]:
    """Cases for both versions from the same random entry states; the watched bytes are the
    ones either version writes on AFS's emulator (the stack page aside: pushes are scratch)."""
    from afs.asm.cpu import CpuState
    from afs.asm.machine import run_snippet

    cases = []
    for _ in range(BSNES_STATES):
        m8 = pre.get("m", rng.randrange(2))
        x8 = pre.get("x", rng.randrange(2))
        p = (rng.randrange(256) & 0xC3) | 0x04 | (0x20 if m8 else 0) | (0x10 if x8 else 0) | (
            0x08 if pre.get("d") == 1 else 0)
        index = 0x100 if x8 else 0x10000
        state = CpuState(a=rng.randrange(0x10000), x=rng.randrange(index) & 0x1F,
                         y=rng.randrange(index) & 0x1F, s=0x1FF0, d=pre.get("dp", 0),
                         dbr=pre.get("dbr", 0x7E), p=p, e=0)
        memory = {0x7E0000 + a: rng.randrange(256) for a in range(0x1E00)}
        memory.update({0x7EF000 + a: rng.randrange(256) for a in range(0x800)})
        try:
            runs = [run_snippet(_harnessed(code), init=state, memory=memory)
                    for code in (original, changed)]
        except Exception:  # AFS cannot run this state (a runaway loop): no case
            continue
        watch = sorted({a for r in runs for a, _, _ in r.writes
                        if (a & 0xFF0000) in (0x7E0000, 0x7F0000) and not 0x1E00 <= a & 0xFFFF
                        < 0x2000})
        init = {"a": state.a, "x": state.x, "y": state.y, "s": state.s, "d": state.d,
                "dbr": state.dbr, "p": state.p, "e": 0,
                "ram": {str(a): v for a, v in memory.items()}}
        cases.append([{"code": _harnessed(code), "init": init, "watch": [[a, 1] for a in watch]}
                      for code in (original, changed)])
    return [case for pair in cases for case in pair]


def _bsnes() -> dict[str, object]:
    from tests.analysis.snippet_gen import random_snippet

    from afs.asm.superoptimizer import superoptimize
    from afs.benchmark.items import default_dataset_dir, load_items
    from afs.benchmark.prompts import build_messages
    from afs.benchmark.scoring import extract_code
    from afs.models.classical_experts.din import answer

    oracle = _oracle()
    if oracle is None:
        return {"bsnes": "skipped (the oracle in ../shared/oracle is not set up)"}
    rng = random.Random(918273)
    cases: list[dict[str, object]] = []
    changed = {"snippets": 0, "din_items": 0}
    pairs = {"snippets": 0, "din_items": 0}
    kinds: list[str] = []
    for _ in range(BSNES_SNIPPETS):
        src = random_snippet(rng)
        result = superoptimize(src, live_out="mem", preconditions="e=0,d=0,dp=0,dbr=$7E",
                               budget=0.5, seed=11)
        if result.source != src:
            changed["snippets"] += 1
            new = _case_pairs(rng, src, result.source, {"dp": 0, "dbr": 0x7E})
            cases += new
            kinds += ["snippets"] * (len(new) // 2)
    folder = os.environ.get("AFS_BENCH_DIN_DATASET") or default_dataset_dir()
    for item in load_items(folder, "din"):
        if item.live_out is None or "mem" not in item.live_out:
            continue     # only memory is compared on the core
        code = extract_code(answer(build_messages(item)[-1]["content"]))
        if code and code.strip() != item.code.strip():
            changed["din_items"] += 1
            new = _case_pairs(rng, item.code, code, item.preconditions)
            cases += new
            kinds += ["din_items"] * (len(new) // 2)
    results = oracle.run_cases(cases)
    unsound = {"snippets": 0, "din_items": 0}
    errors = 0
    for kind, before, after in zip(kinds, results[::2], results[1::2], strict=True):
        if "error" in before or "error" in after:
            errors += 1
            continue
        pairs[kind] += 1
        unsound[kind] += before["ram"] != after["ram"]
    return {"bsnes_din_dataset": str(folder),
            **{f"bsnes_{k}_changed": v for k, v in changed.items()},
            **{f"bsnes_{k}_state_pairs": v for k, v in pairs.items()},
            **{f"bsnes_{k}_unsound": v for k, v in unsound.items()},
            "bsnes_pairs_not_run": errors}


def run() -> dict[str, object]:
    return {"budget_seconds": BUDGET, **_din_items(), **_random_code(), **_disassembly(),
            **_bsnes()}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
