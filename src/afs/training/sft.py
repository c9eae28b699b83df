"""Supervised fine-tuning with LoRA on chatml conversations, loss on assistant turns only."""

from __future__ import annotations

import shutil
from typing import Any

from afs.training.callbacks import MetricsCallback, RichProgressCallback
from afs.training.config import TrainConfig, TrainResult
from afs.training.data import encode_conversation, load_sft_examples, pad_batch
from afs.training.model_io import (
    ADAPTER_DIR,
    CHECKPOINT_DIR,
    base_location,
    latest_checkpoint,
    load_base,
    lora_config,
    loss_curves,
    resolve_precision,
    write_run_file,
)


class _Examples:
    """A map-style dataset over pre-tokenised examples (what `Trainer` needs)."""

    def __init__(self, features: list[dict[str, list[int]]]) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.features[index]


def _encode_all(conversations: list, tokenizer: Any, seq_len: int) -> _Examples:
    features = [encode_conversation(tokenizer, conv, seq_len) for conv in conversations]
    return _Examples([f for f in features if any(label != -100 for label in f["labels"])])


def training_arguments(config: TrainConfig, *, has_eval: bool, **overrides: Any) -> dict[str, Any]:
    """Trainer arguments common to SFT and DPO."""
    precision = resolve_precision(config.precision)
    args = {
        # Set explicitly: TRL would otherwise default to bf16 and fail on a CPU or a T4.
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "output_dir": str(config.output_dir / CHECKPOINT_DIR),
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.lr,
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps,
        "warmup_steps": config.warmup_steps,
        "logging_steps": config.logging_steps,
        "save_steps": config.save_steps,
        "save_total_limit": 2,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": config.eval_steps if has_eval else None,
        "seed": config.seed,
        "report_to": [],
        "disable_tqdm": True,
        "remove_unused_columns": False,
    }
    if config.gradient_checkpointing:
        args.update(_checkpointing_arguments())
    args.update(overrides)
    return args


def _checkpointing_arguments() -> dict[str, Any]:
    """Activation checkpointing under the name this transformers version uses.

    Non-reentrant checkpointing needs no input gradients, so it works with frozen
    embeddings (LoRA) and quantised bases alike.
    """
    from dataclasses import fields

    from transformers import TrainingArguments

    names = {f.name for f in fields(TrainingArguments)}
    prefix = "activation" if "activation_checkpointing" in names else "gradient"
    return {f"{prefix}_checkpointing": True,
            f"{prefix}_checkpointing_kwargs": {"use_reentrant": False}}


def train_sft(config: TrainConfig) -> TrainResult:
    """Fine-tune `config.base` with LoRA; resumable; writes the adapter and metrics."""
    from peft import get_peft_model
    from transformers import PrinterCallback, Trainer, TrainingArguments, set_seed

    set_seed(config.seed)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    # Read the data before the model so a bad file fails fast.
    train_convs = load_sft_examples(config.data)
    val_convs = load_sft_examples(config.val) if config.val else None
    model, tokenizer, new_ids = load_base(config)
    vocab_rows = model.get_input_embeddings().num_embeddings
    train_set = _encode_all(train_convs, tokenizer, config.seq_len)
    val_set = _encode_all(val_convs, tokenizer, config.seq_len) if val_convs else None
    peft_model = get_peft_model(model, lora_config(config, model, new_ids))
    metrics_cb = MetricsCallback(config.output_dir / "metrics.jsonl")
    trainer = Trainer(
        model=peft_model,
        args=TrainingArguments(**training_arguments(config, has_eval=val_set is not None)),
        train_dataset=train_set,
        eval_dataset=val_set,
        data_collator=lambda batch: pad_batch(batch, tokenizer.pad_token_id),
        callbacks=[metrics_cb, RichProgressCallback()],
    )
    trainer.remove_callback(PrinterCallback)  # the rich bar and metrics.jsonl replace it
    resume_from = latest_checkpoint(config.output_dir) if config.resume else None
    output = trainer.train(resume_from_checkpoint=resume_from)
    final_metrics: dict[str, Any] = dict(output.metrics)
    if val_set is not None:
        final_metrics.update(trainer.evaluate())
    return finish_run(config, trainer, tokenizer, final_metrics, kind="sft",
                      vocab_rows=vocab_rows)


def finish_run(config: TrainConfig, trainer: Any, tokenizer: Any,
               final_metrics: dict[str, Any], *, kind: str, vocab_rows: int) -> TrainResult:
    """Save the adapter and tokenizer and write the run file with the loss curves."""
    adapter_dir = config.output_dir / ADAPTER_DIR
    if adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    trainer.model.save_pretrained(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    train_loss, val_loss = loss_curves(_full_history(config))
    write_run_file(config.output_dir, {
        "kind": kind,
        "base": config.base,
        # What export reloads: an absolute folder (the built-in `tiny` too) or a hub id.
        "base_path": base_location(config.base),
        # Embedding rows as trained (a padded base keeps its padding): export restores these.
        "vocab_rows": vocab_rows,
        "precision": resolve_precision(config.precision),
        "config": config.to_json(),
        "steps": trainer.state.global_step,
        "metrics": final_metrics,
        "train_loss": train_loss,
        "val_loss": val_loss,
    })
    return TrainResult(
        output_dir=config.output_dir,
        adapter_dir=adapter_dir,
        steps=trainer.state.global_step,
        train_loss=train_loss,
        val_loss=val_loss,
        metrics=final_metrics,
    )


def _full_history(config: TrainConfig) -> list[dict[str, Any]]:
    """Metrics from every session of a resumed run, not just the last one."""
    from afs.jsonl import read_jsonl

    path = config.output_dir / "metrics.jsonl"
    return read_jsonl(path, skip_torn_tail=True) if path.exists() else []
