"""The README's pre-training pipeline on a disassembly, timed, then the code-search benchmark.

    python scripts/codesearch_pipeline.py --usdasm /path/to/usdasm [--home DIR] [--skip-benchmark]

Runs `afs corpus build` → `afs pretrain tokenizer` → `afs pretrain train` →
`afs pretrain contrastive` → `afs pretrain embed` with the README's settings in a fresh
$AFS_HOME (default: a temporary folder), one process per step as a user would, and records
each step's wall time, CPU time (user + system of the step's process) and the load average
around it; then `afs pretrain benchmark` (not part of the timed pipeline). Writes
bench/results/codesearch_pipeline.json. Nothing of the disassembly is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The README's commands (section "Pre-training"), with --json added.
STEPS = (
    ("corpus", ["corpus", "build", "--source", "{usdasm}"]),
    ("tokenizer", ["pretrain", "tokenizer", "--vocab-size", "8192"]),
    ("mlm", ["pretrain", "train", "--preset", "tiny", "--max-steps", "100", "--seq-len", "256"]),
    ("contrastive", ["pretrain", "contrastive"]),
    ("embed", ["pretrain", "embed"]),
)


def _step(args: list[str], env: dict[str, str]) -> dict[str, object]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "afs", *args, "--json"], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"afs {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return {"wall_s": round(wall, 1),
            "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1),
            "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
            "output": json.loads(done.stdout)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--usdasm", required=True, type=Path)
    parser.add_argument("--home", type=Path, help="$AFS_HOME to use [default: a temporary one]")
    parser.add_argument("--skip-benchmark", action="store_true")
    parser.add_argument("--output", type=Path,
                        default=ROOT / "bench" / "results" / "codesearch_pipeline.json")
    options = parser.parse_args(argv)
    if not options.usdasm.is_dir():
        parser.error(f"{options.usdasm}: expected the usdasm checkout (a directory)")
    with tempfile.TemporaryDirectory() as scratch:
        home = options.home or Path(scratch) / "afs_home"
        env = {**os.environ, "AFS_HOME": str(home),
               "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
        steps = {}
        for name, args in STEPS:
            steps[name] = _step([a.format(usdasm=options.usdasm) for a in args], env)
            print(f"{name}: {steps[name]['wall_s']} s wall, {steps[name]['cpu_s']} s CPU "
                  f"(load {steps[name]['load_before']} -> {steps[name]['load_after']})",
                  flush=True)
        result: dict[str, object] = {
            "steps": {name: {k: v for k, v in step.items() if k != "output"}
                      for name, step in steps.items()},
            "pipeline_wall_s": round(sum(float(s["wall_s"]) for s in steps.values()), 1),
            "pipeline_cpu_s": round(sum(float(s["cpu_s"]) for s in steps.values()), 1),
            "cpus": os.cpu_count(),
        }
        if not options.skip_benchmark:
            bench = _step(["pretrain", "benchmark", "--source", str(options.usdasm),
                           "--clones", "300", "--descriptions", "300"], env)
            result["benchmark"] = bench.pop("output")
            result["benchmark_run"] = bench
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"pipeline {result['pipeline_wall_s']} s wall, {result['pipeline_cpu_s']} s CPU "
          f"-> {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
