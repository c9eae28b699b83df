"""The benchmark as an evaluation gate for retraining: a model's mean score on a subset.

`PeriodicRetrainer(..., eval_fn=benchmark_eval_fn(...))` scores the serving model and the
newly trained one on the same items, and promotes the new one only if it is not worse.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from afs.benchmark.items import default_dataset_dir
from afs.benchmark.report import summarize
from afs.benchmark.runner import RunConfig, run_benchmark
from afs.models.base import ChatModel


def model_for(reference: str) -> ChatModel:
    """A registry alias, or a local Hugging Face checkpoint folder (what a train step makes)."""
    from afs.models.registry import ModelSpec, create_model, load_registry

    registry = load_registry()
    if reference in registry:
        return create_model(registry.spec(reference), alias=reference)
    if Path(reference).expanduser().is_dir():
        return create_model(ModelSpec(provider="transformers", model=reference))
    return create_model(registry.spec(reference))  # raises with the list of aliases


def benchmark_eval_fn(domains: Sequence[str] = ("din", "farore", "nayru", "veran"), *,
                      limit: int = 10, dataset: Path | None = None, max_tokens: int = 512,
                      seed: int = 0) -> Callable[[str], float]:
    """`eval_fn(model_ref) -> mean score` over the first `limit` items of each domain."""

    def evaluate(model_ref: str) -> float:
        with tempfile.TemporaryDirectory(prefix="afs-gate-") as tmp:
            config = RunConfig(model=model_ref, domains=list(domains),
                               dataset=dataset or default_dataset_dir(), output=Path(tmp),
                               limit=limit, seed=seed, max_tokens=max_tokens, use_cache=False,
                               workers=1)
            run_dir = asyncio.run(run_benchmark(config, model=model_for(model_ref)))
            return float(summarize(run_dir)["overall"]["mean_score"])

    return evaluate
