"""Direct preference optimisation with LoRA (TRL's `DPOTrainer`) on prompt/chosen/rejected data.

The reference policy is the base model itself: with a LoRA adapter TRL scores the reference
by switching the adapter off, so no second copy of the weights is held in memory.
"""

from __future__ import annotations

from typing import Any

from afs.training.callbacks import MetricsCallback, RichProgressCallback
from afs.training.config import TrainConfig, TrainResult
from afs.training.data import PreferencePair, load_dpo_examples
from afs.training.model_io import latest_checkpoint, load_base, lora_config
from afs.training.sft import finish_run, training_arguments


def _as_conversational(pairs: list[PreferencePair]) -> Any:
    from datasets import Dataset

    def prompt_messages(pair: PreferencePair) -> list[dict[str, str]]:
        system = [{"role": "system", "content": pair.system}] if pair.system else []
        return [*system, {"role": "user", "content": pair.prompt}]

    return Dataset.from_list([
        {
            "prompt": prompt_messages(pair),
            "chosen": [{"role": "assistant", "content": pair.chosen}],
            "rejected": [{"role": "assistant", "content": pair.rejected}],
        }
        for pair in pairs
    ])


def train_dpo(config: TrainConfig) -> TrainResult:
    """Train a LoRA adapter with DPO; resumable; records the reward margins per step."""
    from transformers import PrinterCallback, set_seed
    from trl import DPOConfig, DPOTrainer

    set_seed(config.seed)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    # Read the data before the model so a bad file fails fast.
    train_set = _as_conversational(load_dpo_examples(config.data))
    val_set = _as_conversational(load_dpo_examples(config.val)) if config.val else None
    model, tokenizer, new_ids = load_base(config)
    vocab_rows = model.get_input_embeddings().num_embeddings
    metrics_cb = MetricsCallback(config.output_dir / "metrics.jsonl")
    args = DPOConfig(**training_arguments(
        config, has_eval=val_set is not None, beta=config.beta, max_length=config.seq_len,
    ))
    trainer = DPOTrainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=val_set,
        processing_class=tokenizer,
        peft_config=lora_config(config, model, new_ids),
        callbacks=[metrics_cb, RichProgressCallback()],
    )
    trainer.remove_callback(PrinterCallback)
    resume_from = latest_checkpoint(config.output_dir) if config.resume else None
    output = trainer.train(resume_from_checkpoint=resume_from)
    final_metrics: dict[str, Any] = dict(output.metrics)
    if val_set is not None:
        final_metrics.update(trainer.evaluate())
    return finish_run(config, trainer, tokenizer, final_metrics, kind="dpo",
                      vocab_rows=vocab_rows)
