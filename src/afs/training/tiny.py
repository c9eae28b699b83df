"""A tiny Llama-architecture causal LM built from a config, for smoke tests and benchmarks.

No model can be downloaded offline, so tests and `make bench` fine-tune this instead of a
real 7B student; the code path is the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def build_tiny_causal_lm(
    output_dir: str | Path,
    texts: Iterable[str],
    *,
    vocab_size: int = 512,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    max_positions: int = 512,
    initializer_range: float = 0.3,
    seed: int = 0,
) -> Path:
    """Train a byte-level BPE tokenizer on `texts`, build a random Llama model, save both."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from afs.training.data import CHATML_SPECIAL_TOKENS, CHATML_TEMPLATE

    output_dir = Path(output_dir)
    raw = Tokenizer(models.BPE(unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<unk>", "<pad>", *CHATML_SPECIAL_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(list(texts), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="<unk>", pad_token="<pad>",
        bos_token="<|im_start|>", eos_token="<|im_end|>",
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
        # LoRA leaves the output head and norms frozen; with the usual 0.02 init a random
        # head caps the logits near zero and nothing can be memorised. A wider init gives
        # the frozen head a usable range, as a pretrained head would have.
        initializer_range=initializer_range,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(output_dir))
    tokenizer.save_pretrained(str(output_dir))
    return output_dir


def synthetic_sft_rows(count: int, lines: int = 6) -> list[dict]:
    """Deterministic chatml rows (a store routine and its LDX rewrite) for throughput runs."""
    rows = []
    for i in range(count):
        code = "\n".join(f"LDA ${(i * 7 + k) % 256:02X}\nSTA $7E{(i + k) % 256:02X}00"
                         for k in range(lines))
        rows.append({"messages": [
            {"role": "system", "content": "You are Din, a 65816 optimiser."},
            {"role": "user", "content": f"Optimize this routine:\n{code}"},
            {"role": "assistant", "content": code.replace("LDA", "LDX")},
        ]})
    return rows
