"""Assemble a generated 20,000-line asar source with AFS and with the asar 1.91 binary."""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from afs.asm.asar import find_asar, run_asar
from afs.asm.assembler import assemble

LINES = 20_000


def _source() -> str:
    from tests.asm.difftools import ProgramGenerator

    gen = ProgramGenerator(20_000)
    lines = ["lorom"]
    for bank in range(4):
        lines += gen.program(LINES // 4, bank)
    return "\n".join(lines) + "\n"


def _best(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run() -> dict:
    source = _source()
    n = source.count("\n")
    result: dict[str, object] = {"lines": n}
    afs_s = _best(lambda: assemble(source, filename="bench.asm"))
    result["afs_s"] = round(afs_s, 4)
    result["afs_lines_per_s"] = round(n / afs_s)
    exe = find_asar()
    if exe is None:
        result["asar"] = "not found"
        return result
    with tempfile.TemporaryDirectory() as tmp:
        asm_path = Path(tmp) / "bench.asm"
        asm_path.write_text(source)

        def with_asar() -> None:
            (Path(tmp) / "out.sfc").unlink(missing_ok=True)
            run_asar(asm_path, Path(tmp) / "out.sfc", fix_checksum=False)

        asar_s = _best(with_asar)
    result["asar_s"] = round(asar_s, 4)
    result["asar_lines_per_s"] = round(n / asar_s)
    result["ratio_afs_over_asar"] = round(afs_s / asar_s, 2)
    profile = cProfile.Profile()
    profile.runcall(assemble, source, filename="bench.asm")
    stats = pstats.Stats(profile).sort_stats("tottime")
    top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:5]  # type: ignore[attr-defined]
    result["afs_top_functions"] = [f"{fn[2]} ({fn[0].rsplit('/', 1)[-1]}:{fn[1]}): "
                                   f"{st[2]:.3f}s" for fn, st in top]
    return result
