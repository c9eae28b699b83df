"""Benchmark-suite timings: generation + proof of every item, and a full offline run of
`afs benchmark all --model classical` (no cache), as a user would start them."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, done


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        generate_s, _ = _timed([sys.executable, "scripts/generate_benchmarks.py", "--output",
                                f"{tmp}/datasets"])
        run_s, done = _timed([sys.executable, "-m", "afs", "benchmark", "all", "--model",
                              "classical", "--dataset", f"{tmp}/datasets", "--output",
                              f"{tmp}/run", "--no-cache", "--json"])
    summary = json.loads(done.stdout)["summary"]
    return {
        "generate_and_prove_s": round(generate_s, 1),
        "classical_run_s": round(run_s, 1),
        "items": summary["overall"]["items"],
        "classical_pass_rate": {d: round(e["pass_rate"], 3)
                                for d, e in summary["domains"].items()},
        "targets": {"classical_run_s": 120, "generate_and_prove_s": 300},
    }
