"""A tiny Llama-architecture causal LM built from a config, for trying and testing offline.

No model can be downloaded offline, so tests, `make bench` and `afs train ... --base tiny`
fine-tune this instead of a real 7B student; the code path is the same. Its embedding matrix
is padded past the tokenizer's length the way Qwen2.5's is (152,064 rows for 151,665 tokens),
so the padded-vocabulary path is the one exercised.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

TINY_BASE = "tiny"
# Bump when the built-in model's recipe changes, so a stale cached copy is rebuilt.
_TINY_VERSION = "3"
_MNEMONICS = (
    "ADC AND ASL BCC BCS BEQ BIT BMI BNE BPL BRA BRK BRL BVC BVS CLC CLD CLI CLV CMP COP CPX "
    "CPY DEC DEX DEY EOR INC INX INY JML JMP JSL JSR LDA LDX LDY LSR MVN MVP NOP ORA PEA PEI "
    "PER PHA PHB PHD PHK PHP PHX PHY PLA PLB PLD PLP PLX PLY REP ROL ROR RTI RTL RTS SBC SEC "
    "SED SEI SEP STA STP STX STY STZ TAX TAY TCD TCS TDC TRB TSB TSC TSX TXA TXS TXY TYA TYX "
    "WAI WDM XBA XCE"
)


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
    pad_vocab_to_multiple_of: int = 1,
    dtype: str = "float32",
    seed: int = 0,
) -> Path:
    """Train a byte-level BPE tokenizer on `texts`, build a random Llama model, save both.

    `pad_vocab_to_multiple_of` > 1 gives the embedding and output head more rows than the
    tokenizer has tokens; `dtype` is the dtype the weights are saved in.
    """
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
    multiple = max(1, pad_vocab_to_multiple_of)
    rows = -(-len(tokenizer) // multiple) * multiple
    config = LlamaConfig(
        vocab_size=rows,
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
    model = LlamaForCausalLM(config).to(getattr(torch, dtype))
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


def builtin_tiny_base(root: Path | None = None) -> Path:
    """The built-in tiny base (`--base tiny`), built once under `$AFS_HOME` and reused.

    Built into a temporary folder and renamed into place, so an interrupted build never
    leaves a half-written model behind.
    """
    from afs.paths import state_path

    target = (root or state_path("training", "bases")) / f"tiny-v{_TINY_VERSION}"
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    texts = [_MNEMONICS, "You are Din, an expert at optimising SNES 65816 assembly (asar "
             "syntax). Answer with the complete optimised routine in one ```asm code block."]
    texts += [m["content"] for row in synthetic_sft_rows(64) for m in row["messages"]]
    scratch = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
    try:
        # 500 tokens in 512 rows: added tokens land in padding rows, as on Qwen2.5.
        build_tiny_causal_lm(scratch, texts * 2, vocab_size=500, pad_vocab_to_multiple_of=64)
        try:
            scratch.rename(target)
        except OSError:
            if not (target / "config.json").exists():  # not a concurrent build that won
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def resolve_base(base: str) -> str:
    """`tiny` names the built-in model; anything else is a local folder or a hub id."""
    return str(builtin_tiny_base()) if base == TINY_BASE else base
