"""Deterministic generation of the benchmark datasets, every item proven before it is kept.

Each domain module exposes `drafts(rng) -> list[Draft]`: parameterised templates, one list
per category. `build_domain` turns drafts into items (ids, din reference metrics) and proves
each one (`afs.benchmark.verify.prove_item`); a draft that fails its proof stops generation
with the reason, because a wrong gold answer is a bug in its template, never data to ship.
Then every item faces the audit's wrong answers (`afs.benchmark.audit`): an item that any of
them passes is refused too, because its check could be met without doing the task.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.asm.extract import normalize_code
from afs.benchmark.audit import AuditReport, audit_items, shape_ratio
from afs.benchmark.items import CATEGORIES, MINIMUM_COUNTS, BenchmarkItem
from afs.benchmark.verify import dataset_problems, measure_din, verify_items
from afs.errors import AfsError
from afs.jsonl import write_jsonl

GENERATOR_VERSION = 2


@dataclass
class Draft:
    """One item before ids and proofs. `extra` holds the domain's fields (bug, test, ...)."""

    category: str
    difficulty: int
    code: str
    expected_output: str
    description: str
    task: str
    extra: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


class GenerationError(AfsError):
    """A template produced an item that failed its proof."""


def code_key(draft: Draft) -> str:
    """What makes two drafts the same item: their normalised code."""
    return normalize_code(draft.code)


def distinct_drafts(makers: dict[str, Callable[[int], Draft]], per_category: int, *,
                    key: Callable[[Draft], Any] = code_key,
                    max_attempts: int = 2000) -> list[Draft]:
    """`per_category` drafts from each maker (called with the attempt number), no two with
    the same `key`; a maker that cannot produce that many distinct drafts is a bug."""
    out: list[Draft] = []
    seen: set[Any] = set()
    for category, make in makers.items():
        made = attempts = 0
        while made < per_category:
            if attempts >= max_attempts:
                raise GenerationError(f"{category}: only {made} distinct variants in "
                                      f"{attempts} attempts")
            draft = make(attempts)
            attempts += 1
            if key(draft) not in seen:
                seen.add(key(draft))
                out.append(draft)
                made += 1
    return out


def _item(domain: str, index: int, draft: Draft) -> BenchmarkItem:
    data: dict[str, Any] = {
        "id": f"{domain}_{draft.category}_{index:03d}",
        "domain": domain,
        "category": draft.category,
        "difficulty": draft.difficulty,
        "code": draft.code,
        "expected_output": draft.expected_output,
        "metadata": {"description": draft.description, "task": draft.task, **draft.metadata},
        **draft.extra,
    }
    if domain == "din":
        _, metrics = measure_din(draft.code, draft.expected_output, data.get("live_out"),
                                 data.get("preconditions") or {})
        data["reference_metrics"] = metrics
    return BenchmarkItem.model_validate(data)


def build_domain(domain: str, drafts: list[Draft]) -> list[BenchmarkItem]:
    """Items from drafts, numbered per category in draft order."""
    counters: Counter[str] = Counter()
    items = []
    for draft in drafts:
        counters[draft.category] += 1
        items.append(_item(domain, counters[draft.category], draft))
    return items


def _generator(domain: str) -> Callable[[random.Random], list[Draft]]:
    import importlib

    return importlib.import_module(f"afs.benchmark.generation.{domain}").drafts


class GeneratedDatasets(dict[str, list[BenchmarkItem]]):
    """Items by domain, with the audit they passed (its figures go into metadata.json)."""

    audit: AuditReport | None = None


def generate(seed: int = 0, domains: tuple[str, ...] = tuple(CATEGORIES),
             *, workers: int = 2) -> GeneratedDatasets:
    """Build, prove and audit every domain's items; raise `GenerationError` on any failed
    proof or on an item that a wrong answer passes."""
    result = GeneratedDatasets()
    for domain in domains:
        rng = random.Random(f"{seed}:{domain}")
        result[domain] = build_domain(domain, _generator(domain)(rng))
    everything = [item for items in result.values() for item in items]
    report = verify_items(everything, workers=workers,
                          check_counts=set(domains) == set(CATEGORIES))
    if not report.ok:
        lines = [f"{item_id}: {'; '.join(problems)}"
                 for item_id, problems in report.failures.items()] + report.dataset
        raise GenerationError("refusing to write unproven items:\n" + "\n".join(lines))
    audit = audit_items(everything, workers=workers,
                        check_counts=set(domains) == set(CATEGORIES))
    if audit.failures:
        lines = [f"{a.item_id}: wrong answers pass: {', '.join(a.passed)}"
                 for a in audit.failures]
        raise GenerationError("refusing to write items that wrong answers pass:\n"
                              + "\n".join(lines))
    result.audit = audit
    return result


def split_name(seed: int) -> str:
    """The shipped items are seed 0, the `dev` split; any other seed is a fresh test set."""
    return "dev" if seed == 0 else f"fresh-{seed}"


def write_datasets(out_dir: str | Path, items: dict[str, list[BenchmarkItem]],
                   seed: int) -> Path:
    """`<out>/<domain>/benchmark.jsonl` and `<out>/metadata.json`."""
    out_dir = Path(out_dir)
    for domain, domain_items in items.items():
        write_jsonl(out_dir / domain / "benchmark.jsonl",
                    (item.model_dump(exclude_none=True) for item in domain_items))
    metadata: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "split": split_name(seed),
        "total": sum(len(v) for v in items.values()),
        "domains": {
            domain: {"items": len(domain_items), "minimum": MINIMUM_COUNTS[domain],
                     "shape_ratio": round(shape_ratio(domain_items), 3),
                     "categories": dict(Counter(i.category for i in domain_items))}
            for domain, domain_items in items.items()
        },
        "proofs": "every item was re-proven at generation (afs.benchmark.verify) and no wrong "
                  "answer of the audit passes it (afs.benchmark.audit)",
    }
    audit = getattr(items, "audit", None)
    if audit is not None:
        metadata["audit"] = {name: figures.to_dict() for name, figures in audit.domains.items()}
    path = out_dir / "metadata.json"
    path.write_text(json.dumps(metadata, indent=2) + "\n")
    return path


__all__ = ["Draft", "GeneratedDatasets", "GenerationError", "build_domain", "dataset_problems",
           "generate", "split_name", "write_datasets"]
