"""Private benchmark items mined from a user's own disassembly.

`mine(source_dir)` finds self-contained routines (a top-level label, instructions and local
labels only, ending in RTS/RTL, no calls or references outside the routine), runs each on
the emulator, and turns it into items whose ground truth is what the code *does*:

* nayru: the routine's observable behaviour (registers, carry, every byte written, and the
  bytes beside them) from several seeded entry states becomes the spec; the request lists
  what the routine reads and writes, plus the comment block above it when there is one;
* farore: a mutant of the routine (the audit's mutations: operand off by one, flipped branch,
  dropped instruction, swapped register or operation) is the "buggy" code, and the behaviour
  test recorded from the original contains a state on which the two differ;
* din: the routine, where the optimiser finds a rewrite that the equivalence checker confirms
  and that is strictly cheaper in cycles;
* veran: prediction questions (bytes written, loop counts, registers at the end) answered by
  running the routine from a recorded entry state; the rubric asks the explanation to name
  the bytes the routine changes.

Every mined item is proven and audited like a shipped one; the ones that fail are dropped and
counted. Nothing mined is shipped: it is written under `$AFS_HOME` or where `--output` says.
Entry state assumed for every routine (ALTTP's convention, stated in each item): native mode,
8-bit A and index registers unless the code's immediates say otherwise, decimal flag clear,
D = $0000, DBR = $00.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.asm.routines import Routine, find_routines
from afs.benchmark.audit import audit_items, code_mutants
from afs.benchmark.generation import Draft, build_domain
from afs.benchmark.items import BenchmarkItem
from afs.benchmark.verify import verify_items
from afs.errors import InputError

CASES = 6
DIN_BUDGET = 0.5   # seconds of superoptimiser search per routine
MINED_DOMAINS = ("din", "farore", "nayru", "veran")
_CATEGORY_OF_MUTATION = {"operand": "off_by_one", "branch_flipped": "comparison_logic",
                         "dropped": "initialization", "register_swapped": "register_corruption",
                         "operation_swapped": "bit_manipulation", "width_flipped": "mode_mismatch",
                         "entry_width_16": "mode_mismatch"}


# --- recording behaviour -------------------------------------------------------------------

def entry_preconditions(code: str) -> dict[str, int] | None:
    """The entry state a routine is run from; None when it does not assemble."""
    from afs.asm.assembler import assemble
    from afs.asm.equivalence import implied_widths

    try:
        widths = implied_widths(assemble(code))
    except Exception:  # a routine AFS cannot assemble is not mined
        return None
    return {"e": 0, "m": widths.get("m", 1), "x": widths.get("x", 1), "d": 0, "dp": 0,
            "dbr": 0}


def _p(pre: dict[str, int], rng: random.Random) -> int:
    p = rng.randrange(256) & ~0x38
    return p | (0x20 if pre["m"] else 0) | (0x10 if pre["x"] else 0)


_EDGE_BYTES = (0x00, 0xFF, 0x80, 0x7F, 0x01)


def _byte(rng: random.Random, case: int) -> int:
    """Edge values first (a whole case of $FF catches a carry into a neighbour), then a mix."""
    if case < 3:
        return (0xFF, 0x80, 0x01)[case]
    return rng.choice(_EDGE_BYTES) if rng.random() < 0.3 else rng.randrange(256)


def _run_case(code: str, pre: dict[str, int], rng: random.Random,
              case: int) -> dict[str, Any] | None:
    """One recorded case: entry registers, the bytes read (and the neighbours of every byte
    written) with seeded values, and what the routine left behind."""
    from afs.asm.cpu import CpuState
    from afs.asm.machine import run_snippet

    index_mask = 0xFF if pre["x"] else 0xFFFF
    init = {"a": rng.randrange(0x10000), "x": rng.randrange(0x10000) & index_mask,
            "y": rng.randrange(0x10000) & index_mask, "p": _p(pre, rng), "d": pre["dp"],
            "dbr": pre["dbr"], "s": 0x01FF, "e": 0}
    memory: dict[int, int] = {}
    result = None
    for _ in range(6):
        state = CpuState(**init)
        try:
            result = run_snippet(code, init=state, memory=memory, max_instructions=5000)
        except Exception:  # a runaway loop or an unrunnable routine is not mined
            return None
        wanted = set(result.uninitialized_reads)
        for address, _, _ in result.writes:
            wanted |= {address - 1, address + 1}
        new = {a for a in wanted if a not in memory and a >> 16 in (0x7E, 0x7F)}
        if not new:
            break
        for address in sorted(new):
            memory[address] = _byte(rng, case)
    if result is None or result.stop_reason not in ("rts", "rtl") or result.io_writes or \
            any(a >> 16 not in (0x7E, 0x7F) for a, _, _ in result.writes):
        return None
    final = result.state
    m8 = bool(final.p & 0x20)
    registers = {"a.b" if m8 else "a": final.a & (0xFF if m8 else 0xFFFF),
                 "x": final.x, "y": final.y}
    watched = {a for a, _, _ in result.writes} | {a for a in memory
                                                  if a - 1 in memory or a + 1 in memory}
    expect_memory = {f"0x{a:06X}": result.final_memory(a) for a in sorted(watched)}
    return {"init": init, "memory": {f"0x{a:06X}": v for a, v in sorted(memory.items())},
            "expect": {"registers": registers, "flags": {"c": int(final.p & 1)},
                       "memory": expect_memory}}


def record_behaviour(code: str, pre: dict[str, int], seed: str,
                     cases: int = CASES) -> dict[str, Any] | None:
    """A behaviour test (the items' format) recorded from `code`; None when it can't run."""
    rng = random.Random(seed)
    recorded = []
    for index in range(cases):
        case = _run_case(code, pre, rng, index)
        if case is None:
            return None
        recorded.append(case)
    return {"cases": recorded, "max_instructions": 5000}


def _passes(code: str, test: dict[str, Any]) -> bool:
    from afs.benchmark.checks import run_behaviour_test
    from afs.benchmark.items import BehaviourTest

    return run_behaviour_test(code, BehaviourTest.model_validate(test)).passed


LIVE_OUT = "a,x,y,c,mem"


def _where(routine: Routine) -> str:
    return f"{routine.name} ({Path(routine.path).name}:{routine.line})"


# --- one domain each -----------------------------------------------------------------------

def mine_nayru(routine: Routine, pre: dict[str, int]) -> Draft | None:
    test = record_behaviour(routine.code, pre, f"nayru:{routine.name}")
    if test is None or not any(c["expect"]["memory"] for c in test["cases"]):
        return None
    reads = sorted({k for c in test["cases"] for k in c["memory"]})
    writes = sorted({k for c in test["cases"] for k in c["expect"]["memory"]})
    described = f" ({routine.comment})" if routine.comment else ""
    request = (f"Write a routine that behaves exactly like {routine.name}{described}: it may "
               f"read {', '.join(r.replace('0x', '$') for r in reads[:12])}; the bytes checked "
               f"afterwards are {', '.join(w.replace('0x', '$') for w in writes[:12])}; A, X, Y "
               f"and the carry flag must end as they do in the original. End with "
               f"{routine.code.rsplit(None, 1)[-1].upper()}.")
    return Draft(category="alttp_specific", difficulty=2 if routine.code.count("\n") < 12 else 3,
                 code="", expected_output=routine.code, description=f"mined from {_where(routine)}",
                 task="generate", extra={"spec": test, "live_out": LIVE_OUT, "preconditions": pre},
                 metadata={"request": request, "family": "mined", "source": _where(routine)})


def mine_farore(routine: Routine, pre: dict[str, int]) -> Draft | None:
    test = record_behaviour(routine.code, pre, f"farore:{routine.name}")
    if test is None:
        return None
    for label, mutant in code_mutants(routine.code):
        if label.startswith("entry_width"):
            continue
        try:
            if _passes(mutant, test):
                continue
        except Exception:  # the mutant does not assemble: not a realistic bug
            continue
        line = int(label.rsplit("@", 1)[1])
        kind = label.split("@", 1)[0].rstrip("+-1").rstrip("+-")
        category = _CATEGORY_OF_MUTATION.get(kind, "off_by_one")
        return Draft(category=category, difficulty=2, code=mutant, expected_output=routine.code,
                     description=f"mined from {_where(routine)}: {label}", task="debug",
                     extra={"bug": {"category": category, "line": line,
                                    "description": f"{label.split('@')[0]} at line {line}"},
                            "test": test, "live_out": LIVE_OUT, "preconditions": pre},
                     metadata={"family": "mined", "source": _where(routine)})
    return None


def mine_din(routine: Routine, pre: dict[str, int]) -> Draft | None:
    from afs.asm.equivalence import check_equivalent
    from afs.asm.superoptimizer import superoptimize

    try:
        result = superoptimize(routine.code, live_out=LIVE_OUT, preconditions=pre,
                               budget=DIN_BUDGET)
    except Exception:  # the optimiser cannot read it: nothing to mine
        return None
    if not result.rewrites:
        return None
    check = check_equivalent(routine.code, result.source, live_out=LIVE_OUT, preconditions=pre,
                             trials=256, seed=3, infer_widths=False)
    if not check.equivalent or not (check.metrics["candidate"].cycles_mean
                                    < check.metrics["original"].cycles_mean):
        return None
    return Draft(category="dead_code", difficulty=2, code=routine.code,
                 expected_output=result.source, description=f"mined from {_where(routine)}",
                 task="optimize", extra={"live_out": LIVE_OUT, "preconditions": pre},
                 metadata={"objective": "cycles", "family": "mined", "source": _where(routine)})


def mine_veran(routine: Routine, pre: dict[str, int]) -> Draft | None:
    """Prediction questions answered by running the routine from a recorded entry state;
    the rubric asks the explanation to name every byte the routine changes in that run."""
    from afs.benchmark.generation.veran_common import auto_questions
    from afs.benchmark.veran_questions import answer_block

    test = record_behaviour(routine.code, pre, f"veran:{routine.name}", cases=1)
    if test is None:
        return None
    case = test["cases"][0]
    written = sorted(int(a, 16) for a, value in case["expect"]["memory"].items()
                     if case["memory"].get(a) != value)
    init = {k: v for k, v in case["init"].items() if k != "e"}   # native mode is the default
    questions = auto_questions(routine.code, random.Random(f"veran:{routine.name}"),
                               init=init, memory=case["memory"])
    if not questions or not written:
        return None
    names = ", ".join(f"${a:06X}" for a in written)
    described = f"{routine.comment} " if routine.comment else ""
    explanation = f"{described}{routine.name} writes {names}.\n\n{answer_block(questions)}"
    concepts = [{"name": f"writes ${a:06X}", "synonyms": [f"${a:06X}", f"${a & 0xFFFF:04X}"],
                 "weight": 1.0} for a in written]
    return Draft(category="complete_routine", difficulty=2, code=routine.code,
                 expected_output=explanation, description=f"mined from {_where(routine)}",
                 task="explain",
                 extra={"rubric": {"concepts": concepts, "wrong_claims": []},
                        "questions": [q.model_dump() for q in questions],
                        "preconditions": pre},
                 metadata={"family": "mined", "source": _where(routine),
                           "request": "Explain what this routine does, then answer the "
                                      "questions."})


MINERS: dict[str, Callable[[Routine, dict[str, int]], Draft | None]] = {
    "din": mine_din, "farore": mine_farore, "nayru": mine_nayru, "veran": mine_veran}


@dataclass
class MineReport:
    """What mining found and kept."""

    routines: int
    items: dict[str, list[BenchmarkItem]]
    dropped: dict[str, int]

    def write(self, out_dir: str | Path, source: str | Path) -> Path:
        """`<out>/<domain>/benchmark.jsonl` and a metadata.json naming the split `mined`."""
        import json

        from afs.jsonl import write_jsonl

        out_dir = Path(out_dir)
        for domain, items in self.items.items():
            write_jsonl(out_dir / domain / "benchmark.jsonl",
                        (i.model_dump(exclude_none=True) for i in items))
        metadata = {"split": "mined", "seed": None, "source": str(Path(source).resolve()),
                    **self.to_dict()}
        path = out_dir / "metadata.json"
        path.write_text(json.dumps(metadata, indent=2) + "\n")
        return path

    def to_dict(self) -> dict[str, Any]:
        return {"routines": self.routines,
                "items": {d: len(v) for d, v in self.items.items()},
                "dropped_by_proof_or_audit": self.dropped}


def mine(source: str | Path, *, domains: Iterable[str] = MINED_DOMAINS, limit: int | None = None,
         workers: int = 1, on_routine: Callable[[Routine], None] | None = None) -> MineReport:
    """Mine items from every self-contained routine under `source` (at most `limit`
    routines); keep only items that are proven and that no audit answer passes."""
    domains = [d for d in domains]
    unknown = [d for d in domains if d not in MINERS]
    if unknown:
        raise InputError(f"cannot mine {', '.join(unknown)} items (choose from "
                         f"{', '.join(MINERS)})")
    routines = find_routines(source)[:limit] if limit else find_routines(source)
    drafts: dict[str, list[Draft]] = {d: [] for d in domains}
    for routine in routines:
        pre = entry_preconditions(routine.code)
        if pre is not None:
            for domain in domains:
                draft = MINERS[domain](routine, pre)
                if draft is not None:
                    drafts[domain].append(draft)
        if on_routine:
            on_routine(routine)
    kept: dict[str, list[BenchmarkItem]] = {}
    dropped: dict[str, int] = {}
    for domain, domain_drafts in drafts.items():
        items = [item.model_copy(update={"id": f"mined_{item.id}"})
                 for item in build_domain(domain, domain_drafts)]
        proof = verify_items(items, workers=workers, check_counts=False)
        proven = [i for i in items if i.id not in proof.failures]
        audit = audit_items(proven, workers=workers, check_counts=False)
        bad = {a.item_id for a in audit.failures}
        kept[domain] = [i for i in proven if i.id not in bad]
        dropped[domain] = len(items) - len(kept[domain])
    return MineReport(len(routines), kept, dropped)
