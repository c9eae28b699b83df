"""Offline lexical retrieval: a tokenizer with light stemming and a BM25 index.

No model, no network: documents are token lists, queries are scored with Okapi BM25 over an
inverted index, so a query costs time proportional to the postings of its terms.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")



def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    "a an and are as at be by can do does for from get give has have how i in into is it its "
    "me my of on or set so that the their them then there this to up use used what when where "
    "which while who why will with you your make let lets s t"
)


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough to meet `hearts`/`heart`, `timers`/`timer`."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("eed"):
            word = word[: -len(suffix)] + replacement
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    # A trailing e is dropped so that `move`/`moved` and `damage`/`damaged` meet.
    return word[:-1] if len(word) >= 4 and word.endswith("e") else word


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lower-case word tokens (underscores split words), stemmed, stop words dropped."""
    words = _WORD.findall(text.lower())
    return [stem(w) for w in words if keep_stopwords or w not in STOPWORDS]


class BM25Index:
    """Okapi BM25 over token lists; `score` returns {doc index: score} for matching docs.

    Postings are impact-ordered (best documents first) and a query reads at most
    `max_postings` of each term's list: exact while no term is in more documents than that,
    and a bounded cost per term on very large graphs, where only a common term's weakest
    matches are skipped.
    """

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.2,
                 b: float = 0.75, max_postings: int = 4096) -> None:
        self.k1, self.b = k1, b
        self.max_postings = max_postings
        self.size = len(documents)
        lengths = [len(doc) for doc in documents]
        average = (sum(lengths) / self.size) if self.size else 1.0
        postings: dict[str, list[tuple[int, float]]] = {}
        for index, doc in enumerate(documents):
            # Length normalisation is folded into each posting once, at build time.
            norm = k1 * (1 - b + b * lengths[index] / (average or 1.0))
            for term, freq in Counter(doc).items():
                postings.setdefault(term, []).append((index, freq * (k1 + 1) / (freq + norm)))
        for plist in postings.values():
            plist.sort(key=lambda item: -item[1])
        self._postings = postings
        self._idf = {
            term: math.log(1 + (self.size - len(p) + 0.5) / (len(p) + 0.5))
            for term, p in postings.items()
        }

    def idf(self, term: str) -> float:
        return self._idf.get(term, 0.0)

    def document_frequency(self, term: str) -> int:
        return len(self._postings.get(term, ()))

    def score(self, terms: Iterable[str], weights: dict[str, float] | None = None
              ) -> dict[int, float]:
        """BM25 score of every document containing at least one of `terms`."""
        scores: dict[int, float] = {}
        for term in set(terms):
            postings = self._postings.get(term)
            if not postings:
                continue
            weight = self._idf[term] * (weights.get(term, 1.0) if weights else 1.0)
            get = scores.get
            for index, part in postings[: self.max_postings]:
                scores[index] = get(index, 0.0) + weight * part
        return scores
