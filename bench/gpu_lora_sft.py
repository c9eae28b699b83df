"""GPU check for student fine-tuning, under 8 minutes on one GPU: a ~1B-parameter
Llama-architecture model built from a config (no download; bf16 weights, a Qwen2.5-like
padded vocabulary), then through `afs.training`:

1. SFT with QLoRA (`--load-in-4bit`, when bitsandbytes is installed) and with bf16 LoRA,
   both with expert tokens and gradient checkpointing, measuring tokens/s and peak memory;
2. export of the bf16 run (merge in the base's dtype, sharded) and a reload of the merged
   model, checking its dtype and padded shape and that it generates.

Prints one JSON line. `--small` runs the same path on the tiny model (a CPU dry run).

    python bench/gpu_lora_sft.py [--small]
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _base(root: Path, small: bool) -> tuple[Path, int]:
    """The tokenizer of the tiny model with a ~1B (or tiny) Llama body, saved in bf16."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from afs.training.tiny import build_tiny_causal_lm, synthetic_sft_rows

    texts = [m["content"] for r in synthetic_sft_rows(32) for m in r["messages"]]
    base = build_tiny_causal_lm(root / "base", texts, vocab_size=500,
                                pad_vocab_to_multiple_of=64, dtype="bfloat16")
    if small:
        model = LlamaForCausalLM.from_pretrained(str(base))
    else:
        # ~1.0B parameters: Llama-3.2-1B's body (2048 wide, 16 layers, GQA 32/8) with the
        # test tokenizer's small padded vocabulary.
        vocab = json.loads((base / "config.json").read_text())["vocab_size"]
        config = LlamaConfig(vocab_size=vocab, hidden_size=2048, intermediate_size=8192,
                             num_hidden_layers=16, num_attention_heads=32,
                             num_key_value_heads=8, max_position_embeddings=4096,
                             tie_word_embeddings=False, pad_token_id=1, bos_token_id=2,
                             eos_token_id=3)
        with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
            model = LlamaForCausalLM(config).to(torch.bfloat16)
        model.save_pretrained(str(base), max_shard_size="2GB")
    return base, sum(p.numel() for p in model.parameters())


def _sft(base: Path, data: Path, out: Path, *, small: bool, **options: Any) -> dict[str, Any]:
    import torch

    from afs.training.config import TrainConfig
    from afs.training.sft import train_sft

    steps, batch, seq = (4, 2, 256) if small else (20, 8, 1024)
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    result = train_sft(TrainConfig(
        base=str(base), data=data, output_dir=out, max_steps=steps, batch_size=batch,
        seq_len=seq, lr=1e-4, save_steps=100_000, logging_steps=1, add_expert_tokens=True,
        gradient_checkpointing=True, **options))
    elapsed = time.perf_counter() - started
    tokens = _tokens(base, data, seq) * batch * steps
    return {"steps": result.steps, "batch": batch, "seq_len": seq,
            "wall_s_including_load": round(elapsed, 1),
            "tokens_per_s": round(tokens / result.metrics["train_runtime"], 1),
            "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
            if torch.cuda.is_available() else None,
            "loss_first_last": [result.train_loss[0][1], result.train_loss[-1][1]]}


def _tokens(base: Path, data: Path, seq: int) -> int:
    """Tokens in one (truncated) example: every synthetic row has the same shape."""
    from transformers import AutoTokenizer

    from afs.jsonl import read_jsonl

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    row = read_jsonl(data)[0]
    text = tokenizer.apply_chat_template(row["messages"], tokenize=False)
    return min(seq, len(tokenizer(text).input_ids))


def _export_and_reload(run: Path, out: Path, base: Path) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from afs.training.export import export_run

    started = time.perf_counter()
    result = export_run(run, out, name="gpu-check", system_prompt="You are Din.")
    exported = time.perf_counter() - started
    model = AutoModelForCausalLM.from_pretrained(str(result.merged_dir), dtype="auto")
    tokenizer = AutoTokenizer.from_pretrained(str(result.merged_dir))
    base_rows = json.loads((base / "config.json").read_text())["vocab_size"]
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "LDA $10"}],
                                           add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    output = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    return {"export_s": round(exported, 1),
            "shards": len(list(result.merged_dir.glob("*.safetensors"))),
            "dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
            "padded_rows_kept": model.get_input_embeddings().num_embeddings == base_rows,
            "generated_tokens": int(output.shape[1] - prompt["input_ids"].shape[1])}


def main(small: bool) -> dict[str, Any]:
    import torch

    from afs.jsonl import write_jsonl
    from afs.training.tiny import synthetic_sft_rows

    root = Path(tempfile.mkdtemp())
    started = time.perf_counter()
    base, params = _base(root, small)
    data = root / "train.jsonl"
    write_jsonl(data, synthetic_sft_rows(256, lines=6 if small else 40))
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "parameters": params}
    if importlib.util.find_spec("bitsandbytes") is not None and torch.cuda.is_available():
        report["qlora_4bit"] = _sft(base, data, root / "qlora", small=small, load_in_4bit=True)
    else:
        report["qlora_4bit"] = "skipped: needs bitsandbytes and a CUDA GPU"
    report["lora_bf16"] = _sft(base, data, root / "lora", small=small,
                               precision="bf16" if torch.cuda.is_available() else "fp32")
    report["export"] = _export_and_reload(root / "lora", root / "export", base)
    report["total_s"] = round(time.perf_counter() - started, 1)
    return report


if __name__ == "__main__":
    print(json.dumps(main("--small" in sys.argv)))
