"""A learned word-to-code translation model: what a description's words say about code.

BM25 can only match a word of a query to the same word in a document. The US
disassembly's routines are described by their labels and comments, but the code of a
routine rarely spells out what it does: `Sprite_IsRightOfLink` reads `$22` (Link's X) and
`$0D10,X` (a sprite's X). This model learns, from (description, code) pairs of the
training split, how likely each description word is given each code term (a called
routine's name part, an address, a mnemonic), and scores a document for a query as in
Berger & Lafferty's translation language model (SIGIR 1999):

    score(q, d) = sum over words w of q: log((1 - lam) P(w | d) + lam P(w | collection))
    P(w | d)    = sum over terms f of d: P(w | f) P(f | d)

with P(f | d) proportional to f's inverse document frequency among the training code (a
term every routine has, like `lda`, says little) and P(w | f) the share of f's
co-occurrences (routine has f, its description has w) that go to w. Terms are the BM25
terms (`search_terms`). Only counting: it trains in a second and needs only numpy. Saved
beside the embedding index as `translation.npz` and `translation_terms.json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from afs.errors import InputError
from afs.pretraining.bm25 import search_terms

TRANSLATION_FILE, TRANSLATION_TERMS = "translation.npz", "translation_terms.json"
SMOOTHING = 0.2  # lam: the collection's share; chosen on the benchmark's tuning queries


class TermTranslation:
    """P(description word | code term) from training pairs, applied to a fixed collection."""

    def __init__(self, features: list[str], words: list[str], word_ptr: np.ndarray,
                 word_features: np.ndarray, word_values: np.ndarray, idf: np.ndarray,
                 background: np.ndarray, doc_ptr: np.ndarray, doc_features: np.ndarray,
                 *, smoothing: float = SMOOTHING) -> None:
        self.features, self.words = features, words
        self.word_index = {w: i for i, w in enumerate(words)}
        self.feature_index = {f: i for i, f in enumerate(features)}
        # Per word (CSR rows): the terms it co-occurs with and P(word | term).
        self.word_ptr, self.word_features, self.word_values = word_ptr, word_features, word_values
        self.idf, self.background = idf, background
        self.doc_ptr, self.doc_features = doc_ptr, doc_features
        self.smoothing = smoothing
        self._empty = doc_ptr[1:] == doc_ptr[:-1]
        weights = idf[doc_features] if len(doc_features) else np.zeros(0)
        self._norm = _segment_sums(weights, doc_ptr)

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, str]], documents: Iterable[str], *,
              smoothing: float = SMOOTHING) -> TermTranslation:
        """Learn from (description, code) `pairs`; index `documents` (one text each)."""
        features: dict[str, int] = {}
        words: dict[str, int] = {}
        pair_terms: list[np.ndarray] = []
        pair_words: list[list[int]] = []
        for prose, code in pairs:
            said = sorted({words.setdefault(w, len(words)) for w in search_terms(prose)})
            if not said:
                continue
            pair_words.append(said)
            pair_terms.append(np.fromiter(
                sorted({features.setdefault(f, len(features)) for f in search_terms(code)}),
                dtype=np.int64))
        if not pair_words:
            raise InputError("the translation model needs (description, code) pairs; the "
                             "training split has no routine with a label or comment block")
        n_features = len(features)
        per_term = np.zeros(n_features)  # co-occurrences of each term, over all words
        term_df = np.zeros(n_features)
        word_count = np.zeros(len(words))
        by_word: list[list[int]] = [[] for _ in words]
        for number, (terms, said) in enumerate(zip(pair_terms, pair_words, strict=True)):
            per_term[terms] += len(said)
            term_df[terms] += 1
            for word in said:
                word_count[word] += 1
                by_word[word].append(number)
        ptr, columns, values = [0], [], []
        for pair_numbers in by_word:
            counts = np.bincount(np.concatenate([pair_terms[n] for n in pair_numbers]),
                                 minlength=n_features)
            where = np.flatnonzero(counts)
            columns.append(where)
            values.append((counts[where] / per_term[where]).astype(np.float32))
            ptr.append(ptr[-1] + len(where))
        idf = np.log1p(len(pair_words) / (term_df + 1)).astype(np.float32)
        background = ((word_count + 0.5) / (word_count.sum() + 0.5 * len(words))).astype(
            np.float32)
        doc_ptr, doc_features = [0], []
        for text in documents:
            found = sorted({features[t] for t in search_terms(text) if t in features})
            doc_features.extend(found)
            doc_ptr.append(doc_ptr[-1] + len(found))
        return cls(sorted(features, key=features.__getitem__), sorted(words, key=words.__getitem__),
                   np.asarray(ptr, dtype=np.int64), np.concatenate(columns).astype(np.int32),
                   np.concatenate(values), idf, background,
                   np.asarray(doc_ptr, dtype=np.int64), np.asarray(doc_features, dtype=np.int32),
                   smoothing=smoothing)

    def scores(self, query: str) -> np.ndarray:
        """log P(query | document) per document (words the model never saw are skipped)."""
        out = np.zeros(len(self.doc_ptr) - 1, dtype=np.float64)
        dense = np.zeros(len(self.features), dtype=np.float32)
        for word in dict.fromkeys(search_terms(query)):
            index = self.word_index.get(word)
            if index is None:
                continue
            lo, hi = self.word_ptr[index], self.word_ptr[index + 1]
            dense[:] = 0
            dense[self.word_features[lo:hi]] = self.word_values[lo:hi] * self.idf[
                self.word_features[lo:hi]]
            given_doc = _segment_sums(dense[self.doc_features], self.doc_ptr)
            given_doc = np.where(self._empty, 0.0, given_doc / np.maximum(self._norm, 1e-9))
            out += np.log((1 - self.smoothing) * given_doc
                          + self.smoothing * float(self.background[index]))
        return out

    def save(self, directory: Path) -> None:
        np.savez(directory / TRANSLATION_FILE, word_ptr=self.word_ptr,
                 word_features=self.word_features, word_values=self.word_values, idf=self.idf,
                 background=self.background, doc_ptr=self.doc_ptr,
                 doc_features=self.doc_features, smoothing=np.float32(self.smoothing))
        (directory / TRANSLATION_TERMS).write_text(
            json.dumps({"features": self.features, "words": self.words}))

    @classmethod
    def load(cls, directory: Path) -> TermTranslation | None:
        """The model saved in `directory`, or None if there is none (older indexes)."""
        if not (directory / TRANSLATION_FILE).is_file():
            return None
        arrays = np.load(directory / TRANSLATION_FILE)
        terms = json.loads((directory / TRANSLATION_TERMS).read_text())
        return cls(terms["features"], terms["words"], arrays["word_ptr"],
                   arrays["word_features"], arrays["word_values"], arrays["idf"],
                   arrays["background"], arrays["doc_ptr"], arrays["doc_features"],
                   smoothing=float(arrays["smoothing"]))


def _segment_sums(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Sums of values[ptr[i]:ptr[i+1]] for each i (0 for empty segments)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return cumulative[ptr[1:]] - cumulative[ptr[:-1]]

