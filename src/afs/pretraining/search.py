"""Code search over corpus documents: BM25 (keywords), the encoder (dense), and a hybrid.

BM25 needs only numpy: its index is a term -> (documents, counts) table saved beside the
embedding index (`bm25.npz`, `bm25_terms.json`). Terms are code-aware: mnemonics without
their size suffix, hex literals without `$`, and identifiers whole and in their parts
(`Link_HandleSwordCooldown` -> link, handle, sword, cooldown), so a prose query meets the
labels that name routines.

The hybrid adds the two scores after standardising each over the whole collection
(z-scores): a document must stand out on both to lead. The dense share depends on whether
the query is code or prose (`query_kind`). `CodeSearch` keeps the encoder
loaded, so only the first query pays for loading it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from afs.errors import InputError

MODES = ("hybrid", "bm25", "dense")
BM25_FILE, BM25_TERMS = "bm25.npz", "bm25_terms.json"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\$[0-9A-Fa-f]+|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "if",
    "in", "into", "is", "it", "its", "of", "on", "or", "so", "that", "the", "then", "this",
    "to", "was", "were", "when", "which", "while", "with",
))


def search_terms(text: str) -> list[str]:
    """The BM25 terms of code or prose."""
    terms: list[str] = []
    for word in _WORD.findall(text):
        if word.startswith("$"):
            terms.append(word[1:].lower())
            continue
        lower = word.lower()
        if lower in _STOP:
            continue
        terms.append(lower)
        parts = [p.lower() for piece in word.split("_") for p in _CAMEL.findall(piece)]
        if len(parts) > 1:
            terms.extend(p for p in parts if p not in _STOP)
    return terms


class BM25:
    """Okapi BM25 (k1 = 1.2, b = 0.75) over a fixed collection."""

    def __init__(self, terms: dict[str, int], indptr: np.ndarray, docs: np.ndarray,
                 counts: np.ndarray, lengths: np.ndarray, *, k1: float = 1.2,
                 b: float = 0.75) -> None:
        self.terms, self.indptr, self.docs, self.counts = terms, indptr, docs, counts
        self.lengths = lengths.astype(np.float32)
        self.k1, self.b = k1, b
        self.n = len(lengths)
        self._norm = k1 * (1 - b + b * self.lengths / max(float(self.lengths.mean()), 1.0))

    @classmethod
    def build(cls, texts: Iterable[str]) -> BM25:
        """Index `texts` (one document each)."""
        postings: dict[str, list[tuple[int, int]]] = {}
        lengths = []
        for row, text in enumerate(texts):
            counted = Counter(search_terms(text))
            lengths.append(sum(counted.values()))
            for term, count in counted.items():
                postings.setdefault(term, []).append((row, count))
        vocabulary = sorted(postings)
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        for number, term in enumerate(vocabulary):
            indptr[number + 1] = indptr[number] + len(postings[term])
        docs = np.fromiter((d for t in vocabulary for d, _ in postings[t]), np.int32,
                           count=int(indptr[-1]))
        counts = np.fromiter((c for t in vocabulary for _, c in postings[t]), np.float32,
                             count=int(indptr[-1]))
        return cls({t: i for i, t in enumerate(vocabulary)}, indptr, docs, counts,
                   np.asarray(lengths, dtype=np.float32))

    def scores(self, query: str) -> np.ndarray:
        """A score per document (0 where no query term occurs)."""
        out = np.zeros(self.n, dtype=np.float32)
        for term, repeat in Counter(search_terms(query)).items():
            index = self.terms.get(term)
            if index is None:
                continue
            lo, hi = self.indptr[index], self.indptr[index + 1]
            docs, tf = self.docs[lo:hi], self.counts[lo:hi]
            idf = math.log(1 + (self.n - (hi - lo) + 0.5) / ((hi - lo) + 0.5))
            out[docs] += repeat * idf * tf * (self.k1 + 1) / (tf + self._norm[docs])
        return out

    def save(self, directory: Path) -> None:
        np.savez(directory / BM25_FILE, indptr=self.indptr, docs=self.docs,
                 counts=self.counts, lengths=self.lengths)
        terms = sorted(self.terms, key=self.terms.__getitem__)
        (directory / BM25_TERMS).write_text(json.dumps(terms))

    @classmethod
    def load(cls, directory: Path) -> BM25:
        if not (directory / BM25_FILE).is_file():
            raise InputError(f"no keyword index ({BM25_FILE}); rerun `afs pretrain embed`",
                             path=directory)
        arrays = np.load(directory / BM25_FILE)
        terms = json.loads((directory / BM25_TERMS).read_text())
        return cls({t: i for i, t in enumerate(terms)}, arrays["indptr"], arrays["docs"],
                   arrays["counts"], arrays["lengths"])


def _standardise(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.std())
    return (scores - float(scores.mean())) / (spread if spread > 0 else 1.0)


# The dense share of the hybrid, per kind of query: on the US disassembly's benchmark
# (training-split queries) the encoder helps with code and hardly with prose.
DEFAULT_WEIGHTS = {"code": 0.6, "prose": 0.2}
_MNEMONIC_LINE = re.compile(r"^\s*(?:[A-Za-z_.][\w.]*:\s*)?([A-Za-z]{3})(?:\.[bwl])?\b",
                            re.IGNORECASE)


def query_kind(text: str) -> str:
    """"code" when most lines start with a 65816 mnemonic, else "prose"."""
    from afs.asm.isa import MNEMONICS

    lines = [line for line in re.split(r"\n| : ", text) if line.strip()]
    code = sum(bool((m := _MNEMONIC_LINE.match(line)) and m.group(1).upper() in MNEMONICS)
               for line in lines)
    return "code" if lines and code * 2 >= len(lines) else "prose"


def fuse(bm25: np.ndarray, dense: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """The hybrid score: `weight` x z(dense) + (1 - weight) x z(bm25)."""
    return weight * _standardise(dense) + (1 - weight) * _standardise(bm25)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the `k` best scores, best first (ties by row)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))]


class CodeSearch:
    """Queries over one index directory; the encoder is loaded once, on first need."""

    def __init__(self, directory: str | Path, *,
                 weights: dict[str, float] | None = None) -> None:
        from afs.pretraining.embeddings import EmbeddingIndex

        self.directory = Path(directory).expanduser()
        self.index = EmbeddingIndex.load(self.directory)
        self.bm25 = BM25.load(self.directory)
        self.weights = {**DEFAULT_WEIGHTS, **self.index.info.get("hybrid_weights", {}),
                        **(weights or {})}
        self._encoder: Any = None

    @property
    def default_mode(self) -> str:
        """The mode the code-search benchmark picked for this index (hybrid if unknown)."""
        return str(self.index.info.get("default_mode", "hybrid"))

    def encoder(self) -> Any:
        if self._encoder is None:
            from afs.pretraining.embeddings import TextEncoder

            self._encoder = TextEncoder(self.index.info["model_dir"])
        return self._encoder

    def scores(self, text: str, mode: str | None = None) -> np.ndarray:
        mode = mode or self.default_mode
        if mode not in MODES:
            raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if mode == "bm25":
            return self.bm25.scores(text)
        dense = np.asarray(self.index.vectors @ self.encoder().encode([text])[0])
        if mode == "dense":
            return dense
        return fuse(self.bm25.scores(text), dense, self.weights[query_kind(text)])

    def query(self, text: str, k: int = 5, mode: str | None = None) -> list[dict[str, Any]]:
        """The `k` best documents for `text`: score, row and metadata, best first."""
        scores = self.scores(text, mode)
        return [{"score": float(scores[row]), "row": int(row), **self.index.metadata[row]}
                for row in top_k(scores, k)]


def rank_of(scores: np.ndarray, target: int) -> int:
    """1-based rank of `target` (documents scoring the same count as ahead of it)."""
    return int((scores > scores[target]).sum() + (scores[:target] == scores[target]).sum()) + 1


def retrieval_metrics(ranks: Sequence[int]) -> dict[str, float]:
    """recall@1, recall@5, recall@10 and MRR from 1-based ranks of the right document."""
    if not ranks:
        return {"queries": 0, "recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr": 0.0}
    array = np.asarray(ranks, dtype=np.float64)
    return {"queries": len(ranks), "recall@1": float((array <= 1).mean()),
            "recall@5": float((array <= 5).mean()), "recall@10": float((array <= 10).mean()),
            "mrr": float((1.0 / array).mean())}
