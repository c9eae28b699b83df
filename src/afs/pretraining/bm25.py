"""BM25 over corpus documents, with code-aware terms: mnemonics without their size suffix,
hex literals without `$`, and identifiers whole and in their parts
(`Link_HandleSwordCooldown` -> link, handle, sword, cooldown), so a prose query meets the
labels that name routines. The index is a term -> (documents, counts) table saved beside the
embedding index (`bm25.npz`, `bm25_terms.json`); it needs only numpy.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from afs.errors import InputError

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
