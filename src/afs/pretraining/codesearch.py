"""A code-search benchmark generated from a disassembly, and the pairs that train for it.

Nothing here is data: `build_benchmark(source_dirs)` makes the benchmark from whatever
disassembly it is given (the US ALTTP disassembly in our runs; no code of it is shipped).

- **Documents**: the corpus's documents (`CorpusBuilder`, same split), comments removed.
- **Clone queries**: a held-out routine rewritten by `afs.pretraining.clones` (labels
  renamed, equivalent forms, independent stores swapped), kept only when the emulator
  finds it equivalent to the original; its target is the original routine.
- **Description queries**: what a held-out routine is said to do, in words: a block of
  prose comment lines inside it, and its label read as words (`Link_HandleSwordCooldown`
  -> "link handle sword cooldown"; a disassembly's labels are its authors' one-line
  descriptions, and the US disassembly has few prose comment blocks). Comments and the
  routine's own label are gone from the indexed documents, so the words must be matched
  to code, not to themselves.

Queries come from the corpus's validation split, which neither MLM nor the contrastive
stage trains on (half of them may tune the hybrid's weights, the rest measure);
`training_pairs` makes the same two kinds of pair from the training split.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from afs.pretraining.clones import make_clone, parse_code, read_constants, render, verify_clone
from afs.pretraining.routine_text import code_only, descriptions


@dataclass
class SearchBenchmark:
    """Documents (all splits, comments removed) and queries with their target rows."""

    documents: list[dict[str, Any]]
    queries: list[dict[str, Any]] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [doc["text"] for doc in self.documents]

    def counts(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for query in self.queries:
            key = f"tune_{query['kind']}" if query.get("tune") else query["kind"]
            kinds[key] = kinds.get(key, 0) + 1
        return {"documents": len(self.documents), **kinds}


def load_constants(source_dirs: Sequence[str | Path]) -> dict[str, str]:
    """Every `NAME = $value` constant in the sources' assembly files."""
    constants: dict[str, str] = {}
    for root in source_dirs:
        for path in sorted(Path(root).rglob("*.asm")):
            constants.update(read_constants(path.read_text(encoding="utf-8",
                                                           errors="replace")))
    return constants


def _corpus_documents(source_dirs: Sequence[str | Path], seed: int) -> Iterator[dict[str, Any]]:
    from afs.pretraining.corpus_builder import CorpusBuilder, CorpusConfig

    builder = CorpusBuilder(CorpusConfig(source_dirs=[Path(p) for p in source_dirs],
                                         seed=seed, file_patterns=["*.asm", "*.s", "*.inc"]))
    for record in builder.iter_documents():
        yield {**record, "split": builder.split_of(record["id"])}


def build_benchmark(
    source_dirs: Sequence[str | Path],
    *,
    max_clones: int = 200,
    max_descriptions: int = 200,
    split: str = "validation",
    tune_fraction: float = 0.0,
    seed: int = 0,
    trials: int = 12,
    progress: Any = None,
) -> SearchBenchmark:
    """Generate the benchmark from a disassembly (see the module doc).

    Queries are drawn from `split` documents. A `tune_fraction` of them (by a hash of the
    target, so a routine's queries stay together) are marked `"tune": True`: `evaluate`
    picks the hybrid's weights on those and reports on the rest. They must be held out
    from training too: the encoder ranks routines it was trained on too well. `trials` is
    the equivalence checker's number of random states per clone; `progress(done, total)`
    follows the clone checks.
    """
    constants = load_constants(source_dirs)
    bench = SearchBenchmark([])
    records: list[tuple[int, dict[str, Any]]] = []
    for record in _corpus_documents(source_dirs, seed):
        text = code_only(record["text"], record["name"])
        if not text:
            continue
        records.append((len(bench.documents), record))
        document = {"id": record["id"], "source": record["source"], "name": record["name"],
                    "start_line": record["start_line"], "split": record["split"],
                    "text": text}
        if record["split"] == "train":
            # What the translation model learns from (the training split only).
            document["descriptions"] = descriptions(record["text"], record["name"])
        bench.documents.append(document)
    rng = random.Random(seed)
    rng.shuffle(records)
    held_out = [(row, r) for row, r in records if r["split"] == split]
    _add_queries(bench, held_out, max_descriptions, max_clones, constants, rng, trials, seed,
                 progress)
    for query in bench.queries:
        query["tune"] = int(query["target_id"][:8], 16) / 2**32 < tune_fraction
    return bench


def _add_queries(bench: SearchBenchmark, group: list[tuple[int, dict[str, Any]]],
                 descriptions_wanted: int, clones_wanted: int, constants: dict[str, str],
                 rng: random.Random, trials: int, seed: int, progress: Any) -> None:
    found = 0
    for row, record in group:
        for prose in descriptions(record["text"], record["name"]):
            if found >= descriptions_wanted:
                break
            bench.queries.append({"kind": "description", "text": prose, "target": row,
                                  "target_id": record["id"]})
            found += 1
    # Clones are made of the routine with its label (sublabels need a parent), renamed.
    candidates = [(row, lines) for row, record in group
                  if (lines := parse_code(code_only(record["text"]))) and len(lines) >= 4]
    clones = 0
    for done, (row, lines) in enumerate(candidates, start=1):
        if clones >= clones_wanted:
            break
        clone = make_clone(lines, rng, constants=constants)
        if verify_clone(lines, clone, constants=constants, trials=trials, seed=seed):
            bench.queries.append({"kind": "clone", "text": render(clone.lines), "target": row,
                                  "target_id": bench.documents[row]["id"]})
            clones += 1
        if progress is not None:
            progress(done, len(candidates))


def training_pairs(
    records: Iterable[dict[str, Any]],
    *,
    constants: dict[str, str] | None = None,
    clones_per_routine: int = 2,
    with_descriptions: bool = True,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """(query, document) positives for contrastive training from corpus records.

    Each parseable routine gives `clones_per_routine` (unverified) rewrites of itself; with
    `with_descriptions`, each prose comment block and label gives (words, the document
    without comments).
    """
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for record in records:
        text = code_only(record["text"], record["name"])
        if not text:
            continue
        if with_descriptions:
            for prose in descriptions(record["text"], record["name"]):
                pairs.append((prose, text))
        lines = parse_code(code_only(record["text"]))
        if lines and len(lines) >= 4:
            for _ in range(clones_per_routine):
                pairs.append((render(make_clone(lines, rng, constants=constants).lines), text))
    rng.shuffle(pairs)
    return pairs


SHARES = tuple(round(0.1 * step, 1) for step in range(9))  # 0 .. 0.8


def translation_pairs(bench: SearchBenchmark) -> list[tuple[str, str]]:
    """(description, code) pairs of the benchmark's training-split documents."""
    return [(prose, doc["text"]) for doc in bench.documents if doc["split"] == "train"
            for prose in doc.get("descriptions", ())]


def evaluate(
    bench: SearchBenchmark,
    *,
    model_dir: str | Path | None = None,
    weights: dict[str, dict[str, float]] | None = None,
    batch_size: int = 32,
) -> dict[str, Any]:
    """recall@1/@5/@10 and MRR per query kind for BM25, the encoder, the translation model
    and the hybrid, on the measuring queries and (as `tuning`) on the tuning queries.

    The hybrid's dense and translation shares per query kind (`search.query_kind`: code
    or prose) are taken from `weights`, or else tuned over `SHARES` (summing to at most
    0.9) on the tuning queries (mean of MRR and recall@5), falling back to
    `search.DEFAULT_WEIGHTS`. The translation model learns from the training split's
    documents only. Without `model_dir` the encoder is left out.
    """
    from afs.pretraining.search import (
        BM25,
        DEFAULT_WEIGHTS,
        mix,
        query_kind,
        rank_of,
        retrieval_metrics,
        shares,
        standardise,
    )
    from afs.pretraining.translation import TermTranslation

    bm25 = BM25.build(bench.texts())
    pairs = translation_pairs(bench)
    translation = TermTranslation.build(pairs, bench.texts()) if pairs else None
    scored: list[tuple[dict[str, Any], str, dict[str, np.ndarray]]] = []
    encoder = vectors = None
    if model_dir is not None:
        from afs.pretraining.embeddings import TextEncoder

        encoder = TextEncoder(model_dir)
        vectors = encoder.encode(bench.texts(), batch_size=batch_size)
    for query in bench.queries:
        per_mode = {"bm25": bm25.scores(query["text"])}
        if encoder is not None and vectors is not None:
            per_mode["dense"] = vectors @ encoder.encode([query["text"]])[0]
        if translation is not None:
            per_mode["translation"] = translation.scores(query["text"])
        scored.append((query, query_kind(query["text"]), per_mode))
    chosen = {kind: shares(value) for kind, value in DEFAULT_WEIGHTS.items()}
    tuning = [item for item in scored if item[0].get("tune")]
    if weights is not None:
        chosen.update({kind: shares(value) for kind, value in weights.items()})
    elif tuning:
        grid = [{"dense": d if encoder is not None else 0.0,
                 "translation": t if translation is not None else 0.0}
                for d in SHARES for t in SHARES if d + t <= 0.9]
        for kind in chosen:
            group = [(q, {m: standardise(np.asarray(v)) for m, v in per.items()})
                     for q, k, per in tuning if k == kind]
            if not group:
                continue

            def objective(share: dict[str, float], group=group) -> float:
                metrics = retrieval_metrics([rank_of(mix(z, share), q["target"])
                                             for q, z in group])
                return metrics["mrr"] + metrics["recall@5"]

            chosen[kind] = max(grid, key=objective)
    for share in chosen.values():  # a part that was not measured has no share
        share["dense"] *= encoder is not None
        share["translation"] *= translation is not None
    ranks: dict[str, dict[str, dict[str, list[int]]]] = {}
    for query, kind, per_mode in scored:
        if len(per_mode) > 1:
            z = {m: standardise(np.asarray(v)) for m, v in per_mode.items()}
            per_mode["hybrid"] = mix(z, chosen[kind])
        part = "tuning" if query.get("tune") else "measured"
        for mode, scores in per_mode.items():
            ranks.setdefault(part, {}).setdefault(mode, {}).setdefault(
                query["kind"], []).append(rank_of(np.asarray(scores), query["target"]))

    def table(part: str) -> dict[str, dict[str, dict[str, float]]]:
        return {mode: {kind: retrieval_metrics(values) for kind, values in sorted(kinds.items())}
                for mode, kinds in ranks.get(part, {}).items()}

    report: dict[str, Any] = {"counts": bench.counts(), "hybrid_weights": chosen,
                              "tuning_queries": len(tuning), "translation_pairs": len(pairs),
                              "modes": table("measured"), "tuning": table("tuning")}
    report["best_mode"] = best_mode(report)
    return report


def best_mode(report: dict[str, Any]) -> str:
    """The mode with the highest MRR averaged over query kinds."""
    def score(mode: str) -> float:
        kinds = report["modes"][mode]
        return sum(m["mrr"] for m in kinds.values()) / max(len(kinds), 1)

    return max(report["modes"], key=score)
