"""Code search over corpus documents: BM25 (keywords), the encoder (dense), a learned
word-to-code translation model (`afs.pretraining.translation`), and a hybrid of them.

BM25 needs only numpy: its index is a term -> (documents, counts) table saved beside the
embedding index (`bm25.npz`, `bm25_terms.json`). Terms are code-aware: mnemonics without
their size suffix, hex literals without `$`, and identifiers whole and in their parts
(`Link_HandleSwordCooldown` -> link, handle, sword, cooldown), so a prose query meets the
labels that name routines.

The hybrid adds the scores after standardising each over the whole collection (z-scores):
a document must stand out on several to lead. The shares of the dense and translation
scores depend on whether the query is code or prose (`query_kind`); the code-search
benchmark tunes them on its tuning queries. `CodeSearch` keeps the encoder loaded, so only
the first query pays for loading it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from afs.errors import InputError
from afs.pretraining.bm25 import BM25
from afs.pretraining.translation import TermTranslation

MODES = ("hybrid", "bm25", "dense", "translation")


def standardise(scores: np.ndarray) -> np.ndarray:
    """Scores as z-scores over the collection (a constant array becomes zeros)."""
    spread = float(scores.std())
    return (scores - float(scores.mean())) / (spread if spread > 0 else 1.0)


# The hybrid's shares of the dense and translation scores per kind of query (BM25 has the
# rest), as tuned on the US disassembly's benchmark (its tuning queries): the encoder
# helps with code, the translation model with prose.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "code": {"dense": 0.5, "translation": 0.1},
    "prose": {"dense": 0.0, "translation": 0.8},
}
_MNEMONIC_LINE = re.compile(r"^\s*(?:[A-Za-z_.][\w.]*:\s*)?([A-Za-z]{3})(?:\.[bwl])?\b",
                            re.IGNORECASE)


def query_kind(text: str) -> str:
    """"code" when most lines start with a 65816 mnemonic, else "prose"."""
    from afs.asm.isa import MNEMONICS

    lines = [line for line in re.split(r"\n| : ", text) if line.strip()]
    code = sum(bool((m := _MNEMONIC_LINE.match(line)) and m.group(1).upper() in MNEMONICS)
               for line in lines)
    return "code" if lines and code * 2 >= len(lines) else "prose"


def fuse(bm25: np.ndarray, dense: np.ndarray | None = None, weight: float = 0.5,
         translation: np.ndarray | None = None,
         translation_weight: float = 0.0) -> np.ndarray:
    """The hybrid score: `weight` x z(dense) + `translation_weight` x z(translation) +
    the rest x z(bm25). A part with no share need not be given."""
    z = {"bm25": standardise(bm25)}
    for mode, scores, share in (("dense", dense, weight),
                                ("translation", translation, translation_weight)):
        if share:
            if scores is None:
                raise ValueError(f"a {mode} share needs {mode} scores")
            z[mode] = standardise(scores)
    return mix(z, {"dense": weight, "translation": translation_weight})


def mix(z: dict[str, np.ndarray], share: dict[str, float]) -> np.ndarray:
    """The hybrid of standardised scores `z`: BM25 takes what the other shares leave."""
    total = (1 - share["dense"] - share["translation"]) * z["bm25"]
    for mode in ("dense", "translation"):
        if share[mode]:
            total = total + share[mode] * z[mode]
    return total


def shares(value: float | dict[str, float]) -> dict[str, float]:
    """A kind's hybrid shares; a bare number (older indexes) is the dense share."""
    if isinstance(value, dict):
        return {"dense": float(value.get("dense", 0.0)),
                "translation": float(value.get("translation", 0.0))}
    return {"dense": float(value), "translation": 0.0}


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
        self.translation = TermTranslation.load(self.directory)
        merged = {**DEFAULT_WEIGHTS, **self.index.info.get("hybrid_weights", {}),
                  **(weights or {})}
        self.weights = {kind: shares(value) for kind, value in merged.items()}
        if self.translation is None:  # an index written before the translation model
            for value in self.weights.values():
                value["translation"] = 0.0
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
        if mode == "translation":
            if self.translation is None:
                raise InputError("this index has no translation model; rerun "
                                 "`afs pretrain embed`", path=self.directory)
            return self.translation.scores(text)
        share = self.weights[query_kind(text)]
        dense = None
        if mode == "dense" or share["dense"]:
            dense = np.asarray(self.index.vectors @ self.encoder().encode([text])[0])
        if mode == "dense":
            return dense
        translation = (self.translation.scores(text)
                       if self.translation is not None and share["translation"] else None)
        return fuse(self.bm25.scores(text), dense, share["dense"], translation,
                    share["translation"])

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
