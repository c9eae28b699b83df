"""The contrastive stage after MLM: make similar routines embed close together.

Masked-language modelling teaches the encoder the language, but not that two routines doing
the same thing belong together: mean-pooled MLM vectors crowd into one narrow cone (random
pairs at cosine ~0.6). This stage trains on (query, document) positives with in-batch
negatives (InfoNCE, both directions): a routine and a behaviour-preserving rewrite of it
(`afs.pretraining.clones`), and, if asked (`descriptions`), a description (prose comments,
the label read as words) and the code it describes. Pairs come from the corpus's training
split only.

Description pairs are off by default: on the US disassembly's benchmark the tiny encoder
learned nothing from them that carried over to held-out routines (dense recall@10 on
description queries 0.00), while they took half of every batch from the clone pairs;
prose queries are served by the translation model (`afs.pretraining.translation`).
Texts are cut to `max_length` tokens (128 by default: the start of a routine is enough to
tell it from the others, and a step costs about half of what 256 tokens cost).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError

CALLBACK = Callable[[dict[str, Any]], None]


@dataclass
class ContrastiveConfig:
    """`steps` optimizer steps of `batch_size` pairs; texts cut to `max_length` tokens."""

    steps: int = 150
    batch_size: int = 16
    lr: float = 3e-4
    temperature: float = 0.05
    max_length: int = 128
    warmup_steps: int = 20
    clones_per_routine: int = 2
    descriptions: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "max_length"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.temperature <= 0:
            raise InputError(f"temperature must be positive, got {self.temperature}")


def corpus_pairs(corpus_dir: str | Path, config: ContrastiveConfig) -> list[tuple[str, str]]:
    """Training pairs from a built corpus's training split (see `training_pairs`)."""
    from afs.jsonl import iter_jsonl
    from afs.pretraining.codesearch import load_constants, training_pairs
    from afs.pretraining.corpus_builder import read_manifest, shard_paths

    manifest = read_manifest(corpus_dir)
    sources = [Path(p) for p in manifest["config"]["source_dirs"] if Path(p).is_dir()]
    records = (record for shard in shard_paths(corpus_dir, "train")
               for record in iter_jsonl(shard))
    return training_pairs(records, constants=load_constants(sources),
                          clones_per_routine=config.clones_per_routine,
                          with_descriptions=config.descriptions, seed=config.seed)


def _batches(pairs: Sequence[tuple[str, str]], size: int, rng: random.Random):
    """Endless batches in which no document appears twice (it would be its own negative)."""
    while True:
        order = list(range(len(pairs)))
        rng.shuffle(order)
        batch: list[tuple[str, str]] = []
        seen: set[str] = set()
        for index in order:
            query, document = pairs[index]
            if document in seen:
                continue
            batch.append((query, document))
            seen.add(document)
            if len(batch) == size:
                yield batch
                batch, seen = [], set()


def train_contrastive(
    model_dir: str | Path,
    pairs: Sequence[tuple[str, str]],
    output_dir: str | Path,
    config: ContrastiveConfig | None = None,
    callback: CALLBACK | None = None,
) -> dict[str, Any]:
    """Fine-tune the MLM encoder in `model_dir` on `pairs`; save it to `output_dir`.

    The saved model has the same layout as the MLM one, so `TextEncoder` and
    `afs pretrain embed` load either. `callback` gets "start" and "step" events.
    """
    import torch
    import torch.nn.functional as F
    from transformers import AutoModelForMaskedLM

    from afs.pretraining.tokenizer import load_tokenizer

    config = config or ContrastiveConfig()
    if len(pairs) < 2:
        raise InputError("contrastive training needs at least two pairs (is the corpus empty?)")
    emit = callback or (lambda _event: None)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    tokenizer = load_tokenizer(model_dir)
    model = AutoModelForMaskedLM.from_pretrained(str(model_dir))
    encoder = model.base_model
    encoder.train()
    max_length = min(config.max_length, model.config.max_position_embeddings)
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=config.lr, weight_decay=0.01)
    warmup = max(1, config.warmup_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(
        (step + 1) / warmup, 0.5 * (1 + math.cos(math.pi * min(step, config.steps) /
                                                 config.steps))))
    batch_size = min(config.batch_size, len({doc for _, doc in pairs}))

    def embed(texts: list[str]) -> Any:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt")
        hidden = encoder(input_ids=batch["input_ids"],
                         attention_mask=batch["attention_mask"])[0]
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=-1)

    emit({"event": "start", "total_steps": config.steps, "pairs": len(pairs)})
    started = time.perf_counter()
    history = []
    batches = _batches(pairs, batch_size, rng)
    labels = torch.arange(batch_size)
    for step in range(1, config.steps + 1):
        batch = next(batches)
        queries = embed([q for q, _ in batch])
        documents = embed([d for _, d in batch])
        logits = queries @ documents.T / config.temperature
        loss = (F.cross_entropy(logits, labels[: len(batch)])
                + F.cross_entropy(logits.T, labels[: len(batch)])) / 2
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        accuracy = float((logits.argmax(1) == labels[: len(batch)]).float().mean())
        value = loss.item()
        history.append({"step": step, "loss": value, "in_batch_accuracy": accuracy})
        emit({"event": "step", "step": step, "total_steps": config.steps, "loss": value,
              "in_batch_accuracy": accuracy})
    output = Path(output_dir).expanduser()
    scratch = output.with_name(output.name + ".partial")
    model.save_pretrained(str(scratch))
    tokenizer.save_pretrained(str(scratch))
    window = max(1, min(10, len(history) // 4))
    result = {"steps": config.steps, "pairs": len(pairs), "batch_size": batch_size,
              "seconds": round(time.perf_counter() - started, 1),
              # Means over the first and last few steps: one batch's loss is noisy.
              "first_loss": sum(h["loss"] for h in history[:window]) / window,
              "last_loss": sum(h["loss"] for h in history[-window:]) / window,
              "last_in_batch_accuracy": history[-1]["in_batch_accuracy"],
              "config": asdict(config), "model_dir": str(output)}
    (scratch / "contrastive.json").write_text(json.dumps({**result, "history": history},
                                                         indent=2) + "\n")
    if output.exists():
        import shutil

        shutil.rmtree(output)
    scratch.rename(output)
    return result
