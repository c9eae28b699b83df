"""Loading a base model for LoRA fine-tuning and writing a run's outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.training.config import TrainConfig
from afs.training.data import prepare_tokenizer

RUN_FILE = "afs_train.json"
ADAPTER_DIR = "adapter"
CHECKPOINT_DIR = "checkpoints"


def load_base(config: TrainConfig) -> tuple[Any, Any, int]:
    """Load the base model and tokenizer, adding templates/tokens and resizing as needed.

    Returns `(model, tokenizer, base_vocab)`, `base_vocab` being the embedding rows the base
    had: rows past it belong to tokens added here and must be trained.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(config.base)
        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        model = AutoModelForCausalLM.from_pretrained(config.base, dtype=dtype)
    except OSError as exc:
        raise InputError(f"cannot load base model {config.base!r}: {exc}") from None
    base_vocab = model.get_input_embeddings().num_embeddings
    prepare_tokenizer(tokenizer, add_expert_tokens=config.add_expert_tokens)
    if len(tokenizer) > base_vocab:
        model.resize_token_embeddings(len(tokenizer))
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer, min(base_vocab, len(tokenizer))


def lora_config(config: TrainConfig, tokenizer: Any, base_vocab: int) -> Any:
    """LoRA on the attention and MLP projections; new special tokens get trainable rows."""
    from peft import LoraConfig

    new_ids = list(range(base_vocab, len(tokenizer)))
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
        trainable_token_indices={"embed_tokens": new_ids} if new_ids else None,
    )


def latest_checkpoint(output_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    directory = output_dir / CHECKPOINT_DIR
    return get_last_checkpoint(str(directory)) if directory.is_dir() else None


def write_run_file(output_dir: Path, payload: dict[str, Any]) -> Path:
    path = output_dir / RUN_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


def read_run_file(output_dir: Path) -> dict[str, Any]:
    path = Path(output_dir) / RUN_FILE
    if not path.exists():
        raise InputError(f"{output_dir} is not an AFS training run (no {RUN_FILE})")
    return json.loads(path.read_text())


def loss_curves(
    history: list[dict[str, Any]],
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, loss) pairs, one per step (a resumed run's repeated steps keep the last)."""
    train = {h["step"]: float(h["loss"]) for h in history if "loss" in h}
    val = {h["step"]: float(h["eval_loss"]) for h in history if "eval_loss" in h}
    return sorted(train.items()), sorted(val.items())
