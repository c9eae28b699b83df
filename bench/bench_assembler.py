"""AFS's assembler against the asar 1.91 binary, side by side in one run.

Workloads, each timed through the CLI (`afs asm build`, a fresh process, as a user runs it)
and with asar, alternating so machine load hits both alike; the median and the best of the
runs are reported, their ratios, and the load average before and after (a loaded machine
slows both, but not always alike):

- `generated`: a generated 20,000-line asar source (`tests.asm.difftools.ProgramGenerator`).
- `usdasm`: the US ALTTP disassembly (when `$AFS_USDASM` names a checkout), prepared as
  `scripts/asar_corpus.py` does, without its sound engine (which asar 1.91 rejects), so both
  build the whole ROM; peak memory (max RSS) of each process is reported too.

Plus `afs asm build --help` start-up time (median of 7), the start-up floor (`python -c pass`
and `python -c "import typer"`, median of 7: what no change to AFS removes), and the
in-process `assemble()` time (median of 5; the CLI's time less it: start-up, reading and
writing) with its top functions (a profile, to see where the time goes). Targets (issue 17):
at most 5x asar on both workloads, at most 200 MB on usdasm, `--help` in at most 0.3 s.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from afs.asm.asar import find_asar
from afs.asm.assembler import assemble

LINES = 20_000
ROOT = Path(__file__).resolve().parent.parent
# CPU seconds (user + system) of each process `_run` ran, in order: on a loaded machine a
# steadier figure than the wall time (which waits for the CPU).
_cpu: list[float] = []


def _source() -> str:
    from tests.asm.difftools import ProgramGenerator

    gen = ProgramGenerator(20_000)
    lines = ["lorom"]
    for bank in range(4):
        lines += gen.program(LINES // 4, bank)
    return "\n".join(lines) + "\n"


def _run(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process (its CPU seconds: `_cpu`)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryFile() as err:     # a file, not a pipe: no blocking on output
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        _cpu.append(usage.ru_utime + usage.ru_stime)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{args[0]} failed: {err.read().decode().strip()[-300:]}")
    return wall, usage.ru_maxrss / 1024


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _side_by_side(folder: Path, entry: str, repeats: int = 5) -> dict[str, object]:
    exe = find_asar()
    afs_cmd = [sys.executable, "-m", "afs", "asm", "build", entry, "-o", "afs.sfc",
               "--fix-checksum", "off"]
    asar_cmd = [str(exe), "--fix-checksum=off", entry, "asar.sfc"] if exe else None
    afs_walls: list[float] = []
    asar_walls: list[float] = []
    afs_mem = asar_mem = 0.0
    load_before = _load()
    afs_cpu: list[float] = []
    asar_cpu: list[float] = []
    for _ in range(repeats):
        (folder / "afs.sfc").unlink(missing_ok=True)
        wall, mem = _run(afs_cmd, folder)
        afs_walls.append(wall)
        afs_cpu.append(_cpu[-1])
        afs_mem = max(afs_mem, mem)
        if asar_cmd:
            (folder / "asar.sfc").unlink(missing_ok=True)
            wall, mem = _run(asar_cmd, folder)
            asar_walls.append(wall)
            asar_cpu.append(_cpu[-1])
            asar_mem = max(asar_mem, mem)
    afs_median = statistics.median(afs_walls)
    out: dict[str, object] = {"runs": repeats, "afs_cli_s": round(afs_median, 3),
                              "afs_cli_best_s": round(min(afs_walls), 3),
                              "afs_cli_cpu_s": round(statistics.median(afs_cpu), 3),
                              "afs_peak_mb": round(afs_mem),
                              "load_average_before": load_before, "load_average_after": _load()}
    if asar_cmd:
        asar_median = statistics.median(asar_walls)
        same = (folder / "afs.sfc").read_bytes() == (folder / "asar.sfc").read_bytes()
        out.update(asar_s=round(asar_median, 3), asar_best_s=round(min(asar_walls), 3),
                   asar_cpu_s=round(statistics.median(asar_cpu), 3),
                   ratio_cpu=round(statistics.median(afs_cpu)
                                   / max(statistics.median(asar_cpu), 1e-3), 2),
                   asar_peak_mb=round(asar_mem),
                   ratio_afs_over_asar=round(afs_median / asar_median, 2),
                   ratio_best=round(min(afs_walls) / min(asar_walls), 2), identical=same,
                   within_5x=afs_median / asar_median <= 5)
    else:
        out["asar"] = "not found"
    return out


def _help_startup(repeats: int = 7) -> dict[str, object]:
    walls = [_run([sys.executable, "-m", "afs", "asm", "build", "--help"], ROOT)[0]
             for _ in range(repeats)]
    median = statistics.median(walls)
    return {"median_s": round(median, 3), "best_s": round(min(walls), 3),
            "cpu_median_s": round(statistics.median(_cpu[-repeats:]), 3),
            "within_0_3s": median <= 0.3, "load_average": _load()}


def _start_up_floor(repeats: int = 7) -> dict[str, object]:
    """What any Python CLI built on Typer pays before it runs a line of AFS: the interpreter
    alone, and the interpreter importing typer (median wall seconds)."""
    bare = [_run([sys.executable, "-c", "pass"], ROOT)[0] for _ in range(repeats)]
    typer = [_run([sys.executable, "-c", "import typer"], ROOT)[0] for _ in range(repeats)]
    return {"python_s": round(statistics.median(bare), 3),
            "python_import_typer_s": round(statistics.median(typer), 3)}


def run() -> dict:
    source = _source()
    result: dict[str, object] = {"lines": source.count("\n"),
                                 "help_startup": _help_startup(),
                                 "start_up_floor": _start_up_floor()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bench.asm").write_text(source)
        result["generated"] = _side_by_side(folder, "bench.asm", repeats=9)
    in_process = []
    for _ in range(5):
        start = time.perf_counter()
        assemble(source, filename="bench.asm", listing=False)
        in_process.append(time.perf_counter() - start)
    # The CLI's run less `assemble()` itself: start-up (Python, imports), reading, writing.
    generated = result["generated"]
    generated["afs_in_process_s"] = round(statistics.median(in_process), 3)  # type: ignore[index]
    generated["afs_cli_outside_assemble_s"] = round(  # type: ignore[index]
        generated["afs_cli_s"] - generated["afs_in_process_s"], 3)  # type: ignore[index]
    usdasm = os.environ.get("AFS_USDASM")
    if usdasm and (Path(usdasm) / "main.asm").is_file():
        sys.path.insert(0, str(ROOT / "scripts"))
        from asar_corpus import prepare, without_sound_engine

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            prepare(Path(usdasm), folder)
            entry = without_sound_engine(folder)
            usdasm_result = _side_by_side(folder, entry, repeats=3)
            usdasm_result["within_200_mb"] = usdasm_result["afs_peak_mb"] <= 200  # type: ignore[operator]
            result["usdasm"] = usdasm_result
    else:
        result["usdasm"] = "skipped (set AFS_USDASM to a usdasm checkout)"
    profile = cProfile.Profile()
    profile.runcall(assemble, source, filename="bench.asm", listing=False)
    stats = pstats.Stats(profile).sort_stats("tottime")
    top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:5]  # type: ignore[attr-defined]
    result["afs_top_functions"] = [f"{fn[2]} ({fn[0].rsplit('/', 1)[-1]}:{fn[1]}): "
                                   f"{st[2]:.3f}s" for fn, st in top]
    return result
