"""Student fine-tuning throughput: LoRA SFT tokens/s of the tiny Llama model on this machine."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def run() -> dict:
    from afs.jsonl import write_jsonl
    from afs.training.config import TrainConfig
    from afs.training.sft import train_sft
    from afs.training.tiny import build_tiny_causal_lm, synthetic_sft_rows

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = synthetic_sft_rows(64)
        data = root / "train.jsonl"
        write_jsonl(data, rows)
        texts = [m["content"] for r in rows for m in r["messages"]]
        base = build_tiny_causal_lm(root / "base", texts, hidden_size=128, layers=4, heads=4)
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(base))
        tokens_per_epoch = sum(
            len(tokenizer(tokenizer.apply_chat_template(r["messages"], tokenize=False)).input_ids)
            for r in rows
        )
        steps, batch = 40, 8
        started = time.perf_counter()
        result = train_sft(TrainConfig(base=str(base), data=data, output_dir=root / "run",
                                       max_steps=steps, batch_size=batch, lr=1e-3,
                                       save_steps=10_000))
        elapsed = time.perf_counter() - started
    tokens = tokens_per_epoch / len(rows) * steps * batch
    return {
        "model": "tiny llama, hidden 128, 4 layers, LoRA r=16 all-linear",
        "steps": result.steps,
        "batch_size": batch,
        "tokens_trained": round(tokens),
        "wall_s_including_load": round(elapsed, 2),
        "tokens_per_s": round(tokens / elapsed, 1),
        "loss_first": result.train_loss[0][1],
        "loss_last": result.train_loss[-1][1],
    }
