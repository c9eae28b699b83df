"""Document embeddings from a pre-trained encoder, and a small cosine retrieval index.

An index directory holds three files any layer can read without torch:

- `vectors.npy`: float32, one L2-normalised row per document (cosine = dot product);
- `metadata.jsonl`: one record per row, in row order (id, source, name, kind, lines, text);
- `index.json`: format, model directory, dimension, count, pooling;
- `bm25.npz`, `bm25_terms.json`: the keyword index over the same rows (`afs.pretraining.search`);
- `translation.npz`, `translation_terms.json`: the word-to-code translation model
  (`afs.pretraining.translation`), learned from the training split's descriptions.

`EmbeddingIndex.search(vector)` needs only numpy; `query(text)` loads the encoder named
in `index.json` to embed the text first. Exhaustive search is exact and, for the tens of
thousands of routines in a disassembly, takes about a millisecond.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from afs.errors import InputError
from afs.jsonl import read_jsonl, write_jsonl
from afs.pretraining.corpus_builder import SPLITS, read_manifest, shard_paths

INDEX_FORMAT = "afs-embeddings/1"
VECTORS, METADATA, INDEX = "vectors.npy", "metadata.jsonl", "index.json"
PREVIEW_FIELDS = ("id", "source", "name", "kind", "start_line", "end_line", "address", "text")


class TextEncoder:
    """Embeds texts with a trained encoder: mean of the last hidden states, L2-normalised."""

    def __init__(self, model_dir: str | Path, *, device: str | None = None) -> None:
        import torch
        from transformers import AutoModelForMaskedLM

        from afs.pretraining.tokenizer import load_tokenizer

        path = Path(model_dir).expanduser()
        if not (path / "config.json").is_file():
            raise InputError(
                "expected a trained model directory (run `afs pretrain train` first)", path=path
            )
        self.tokenizer = load_tokenizer(path)
        # The encoder body of the saved masked-LM model (its vocabulary head is unused).
        self.model = AutoModelForMaskedLM.from_pretrained(str(path)).base_model
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.max_length = self.model.config.max_position_embeddings
        tuned = path / "contrastive.json"
        if tuned.is_file():
            # Texts as long as the contrastive stage saw them: the vectors it shaped, and
            # on a CPU about half the cost of the full context for long routines.
            trained = json.loads(tuned.read_text()).get("config", {}).get("max_length")
            if trained:
                self.max_length = min(self.max_length, int(trained))
        self.dim = self.model.config.hidden_size

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Return a (len(texts), dim) float32 array of unit vectors."""
        import torch

        rows = []
        # Batches of similar lengths (the order is restored at the end): a batch is padded
        # to its longest text, and routines range from 3 lines to hundreds.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(
                    [texts[i] for i in order[start : start + batch_size]],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                hidden = self.model(
                    input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
                )[0]
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
                rows.append(pooled.cpu().numpy())
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[order] = np.concatenate(rows)
        return out


def _iter_records(corpus_dir: Path, splits: Sequence[str]) -> Iterator[dict[str, Any]]:
    from afs.jsonl import iter_jsonl

    for split in splits:
        for shard in shard_paths(corpus_dir, split):
            for record in iter_jsonl(shard):
                yield {**{k: record.get(k) for k in PREVIEW_FIELDS}, "split": split}


def export_embeddings(
    model_dir: str | Path,
    corpus_dir: str | Path,
    output_dir: str | Path,
    *,
    splits: Sequence[str] = SPLITS,
    batch_size: int = 32,
    progress: Any = None,
) -> dict[str, Any]:
    """Embed every document of `corpus_dir` and write an index to `output_dir`.

    Vectors go straight into a memory-mapped `.npy`, batch by batch, so the corpus is
    never held in memory. `progress(done, total)` is called after each batch when given.
    Returns the index description written to `index.json`.
    """
    corpus_dir = Path(corpus_dir).expanduser()
    output = Path(output_dir).expanduser()
    manifest = read_manifest(corpus_dir)
    total = sum(manifest["splits"].get(split, {}).get("documents", 0) for split in splits)
    if total == 0:
        raise InputError(f"the corpus has no documents in {list(splits)}", path=corpus_dir)
    encoder = TextEncoder(model_dir)
    output.mkdir(parents=True, exist_ok=True)
    tmp_vectors = output / (VECTORS + ".tmp.npy")
    vectors = np.lib.format.open_memmap(
        tmp_vectors, mode="w+", dtype=np.float32, shape=(total, encoder.dim)
    )
    done = 0

    # Chunks of many batches, so that `encode` can group texts of similar lengths.
    chunk = batch_size * 32

    def records_with_vectors() -> Iterator[dict[str, Any]]:
        nonlocal done
        batch: list[dict[str, Any]] = []
        for record in _iter_records(corpus_dir, splits):
            batch.append(record)
            if len(batch) == chunk:
                yield from flush(batch)
                batch = []
        yield from flush(batch)

    def flush(batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal done
        if not batch:
            return
        vectors[done : done + len(batch)] = encoder.encode(
            [record["text"] for record in batch], batch_size=batch_size
        )
        done += len(batch)
        if progress is not None:
            progress(done, total)
        yield from batch

    write_jsonl(output / METADATA, records_with_vectors())
    vectors.flush()
    tmp_vectors.replace(output / VECTORS)
    # The keyword index beside it: `CodeSearch` ranks by BM25, the vectors, or both.
    from afs.pretraining.bm25 import BM25

    BM25.build(record["text"] for record in _iter_records(corpus_dir, splits)).save(output)
    translation = _translation(corpus_dir, splits)
    if translation is not None:
        translation.save(output)
    description = {
        "format": INDEX_FORMAT,
        "model_dir": str(Path(model_dir).expanduser().resolve()),
        "corpus_dir": str(corpus_dir.resolve()),
        "dim": encoder.dim,
        "count": done,
        "pooling": "mean",
        "normalized": True,
        "metric": "cosine",
    }
    (output / INDEX).write_text(json.dumps(description, indent=2) + "\n")
    return description


def _translation(corpus_dir: Path, splits: Sequence[str]) -> Any:
    """The word-to-code translation model of the training split's descriptions, over
    every row of the index (None when the training split describes nothing)."""
    from afs.jsonl import iter_jsonl
    from afs.pretraining.routine_text import code_only, descriptions
    from afs.pretraining.translation import TermTranslation

    pairs = [(prose, code_only(record["text"], record["name"] or ""))
             for shard in shard_paths(corpus_dir, "train") for record in iter_jsonl(shard)
             for prose in descriptions(record["text"], record["name"] or "")]
    if not pairs:
        return None
    return TermTranslation.build(pairs, (record["text"]
                                         for record in _iter_records(corpus_dir, splits)))


@dataclass(frozen=True)
class SearchHit:
    """One retrieval result: cosine similarity, row, and that document's metadata."""

    score: float
    row: int
    metadata: dict[str, Any]


class EmbeddingIndex:
    """Cosine nearest-neighbour search over exported document vectors."""

    def __init__(
        self, vectors: np.ndarray, metadata: list[dict[str, Any]], info: dict[str, Any]
    ) -> None:
        if len(vectors) != len(metadata):
            raise InputError(
                f"index has {len(vectors)} vectors but {len(metadata)} metadata records"
            )
        self.vectors = vectors
        self.metadata = metadata
        self.info = info
        self._encoder: TextEncoder | None = None

    @classmethod
    def load(cls, directory: str | Path) -> EmbeddingIndex:
        """Load an index written by `export_embeddings` (vectors are memory-mapped)."""
        root = Path(directory).expanduser()
        info_path = root / INDEX
        if not info_path.is_file():
            raise InputError(
                f"expected an embedding index ({INDEX} is missing; run `afs pretrain embed`)",
                path=root,
            )
        info = json.loads(info_path.read_text())
        if info.get("format") != INDEX_FORMAT:
            raise InputError(
                f"expected format {INDEX_FORMAT!r}, got {info.get('format')!r}", path=info_path
            )
        vectors = np.load(root / VECTORS, mmap_mode="r")
        return cls(vectors, read_jsonl(root / METADATA), info)

    def __len__(self) -> int:
        return len(self.metadata)

    def search(self, vector: np.ndarray, k: int = 5) -> list[SearchHit]:
        """The `k` documents most similar to `vector` (normalised here), best first."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.vectors.shape[1]:
            raise InputError(
                f"query has dimension {query.shape[0]}, the index {self.vectors.shape[1]}"
            )
        norm = float(np.linalg.norm(query))
        scores = self.vectors @ (query / norm if norm else query)
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [SearchHit(float(scores[i]), int(i), self.metadata[i]) for i in top]

    def query(self, text: str, k: int = 5) -> list[SearchHit]:
        """The `k` documents most similar to `text`, embedded with the index's model."""
        if self._encoder is None:
            self._encoder = TextEncoder(self.info["model_dir"])
        return self.search(self._encoder.encode([text])[0], k)
