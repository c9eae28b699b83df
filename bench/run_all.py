"""Run every performance benchmark (`bench/bench_*.py`) and write JSON results.

Each module exposes `run() -> dict`; its result goes to `bench/results/<name>.json` with the
machine it ran on. `python -m bench.run_all NAME...` runs only the named ones.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str]) -> int:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    names = argv or sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))
    failed = 0
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        started = time.perf_counter()
        try:
            result = module.run()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed += 1
            result = {"error": f"{type(exc).__name__}: {exc}"}
        payload = {
            "benchmark": name,
            "wall_s": round(time.perf_counter() - started, 3),
            "machine": machine(),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "result": result,
        }
        out = RESULTS_DIR / f"{name}.json"
        out.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"{name}: {json.dumps(result)[:400]} -> {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
