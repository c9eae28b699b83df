"""GPU check for student fine-tuning: LoRA SFT tokens/s and peak memory for a ~0.5B-parameter
Llama-architecture model built from a config (no download), through `afs.training.sft`.

    python bench/gpu_lora_sft.py [--small]      # --small: a tiny model, for a CPU dry run
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def main(small: bool) -> dict:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from afs.jsonl import write_jsonl
    from afs.training.config import TrainConfig
    from afs.training.sft import train_sft
    from afs.training.tiny import build_tiny_causal_lm, synthetic_sft_rows

    root = Path(tempfile.mkdtemp())
    rows = synthetic_sft_rows(256, lines=6 if small else 24)
    data = root / "train.jsonl"
    write_jsonl(data, rows)
    texts = [m["content"] for r in rows[:32] for m in r["messages"]]
    base = build_tiny_causal_lm(root / "tok", texts, vocab_size=512)
    if not small:
        # ~0.5B parameters: Qwen2.5-0.5B-like width and depth, Llama architecture.
        config = LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=4096,
                             num_hidden_layers=24, num_attention_heads=16,
                             num_key_value_heads=16, max_position_embeddings=2048,
                             tie_word_embeddings=False)
        model = LlamaForCausalLM(config)
        params = sum(p.numel() for p in model.parameters())
        model.save_pretrained(str(base))
    else:
        params = sum(p.numel() for p in LlamaForCausalLM.from_pretrained(str(base)).parameters())
    steps, batch, seq = (10, 2, 256) if small else (30, 8, 1024)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    result = train_sft(TrainConfig(base=str(base), data=data, output_dir=root / "run",
                                   max_steps=steps, batch_size=batch, seq_len=seq, lr=1e-4,
                                   save_steps=100_000, logging_steps=5))
    elapsed = time.perf_counter() - started
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    per_example = min(seq, len(tokenizer(tokenizer.apply_chat_template(
        rows[0]["messages"], tokenize=False)).input_ids))
    tokens = per_example * batch * steps
    return {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "parameters": params, "steps": result.steps, "batch": batch, "seq_len": per_example,
        "tokens": tokens, "wall_s_including_load": round(elapsed, 2),
        "tokens_per_s": round(tokens / elapsed, 1),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
        if torch.cuda.is_available() else None,
        "loss_first_last": [result.train_loss[0][1], result.train_loss[-1][1]],
    }


if __name__ == "__main__":
    print(json.dumps(main("--small" in sys.argv)))
