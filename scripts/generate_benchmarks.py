"""Regenerate the benchmark datasets (deterministic for a seed); every item is proven first.

    python scripts/generate_benchmarks.py [--seed 0] [--output benchmarks] [--domains din,...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from afs.benchmark.generation import GenerationError, generate, write_datasets
from afs.benchmark.items import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks")
    parser.add_argument("--domains", default=",".join(CATEGORIES))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    domains = tuple(d.strip() for d in args.domains.split(",") if d.strip())
    unknown = [d for d in domains if d not in CATEGORIES]
    if unknown:
        parser.error(f"unknown domains {unknown}; choose from {', '.join(CATEGORIES)}")
    started = time.perf_counter()
    try:
        items = generate(args.seed, domains, workers=args.workers)
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    metadata = write_datasets(args.output, items, args.seed)
    counts = ", ".join(f"{d} {len(v)}" for d, v in items.items())
    print(f"wrote {sum(len(v) for v in items.values())} proven items ({counts}) to "
          f"{args.output} in {time.perf_counter() - started:.1f} s; metadata {metadata}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
