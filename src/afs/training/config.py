"""Settings shared by SFT and DPO runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainConfig:
    """One fine-tuning run: LoRA on `base` with data from AFS's exports.

    `max_steps` > 0 overrides `epochs`. `resume` continues from the newest checkpoint in
    `output_dir` when there is one. `base` may be `tiny`, the built-in offline model.
    `precision` is auto|bf16|fp16|fp32 (auto: bf16 where the GPU has it, else fp16; fp32 on
    a CPU); `load_in_4bit`/`load_in_8bit` load the base through bitsandbytes (QLoRA).
    """

    base: str
    data: Path
    output_dir: Path
    val: Path | None = None
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"
    lr: float = 2e-4
    epochs: float = 1.0
    max_steps: int = -1
    seq_len: int = 1024
    batch_size: int = 4
    grad_accum: int = 1
    warmup_steps: int = 0
    logging_steps: int = 1
    save_steps: int = 50
    eval_steps: int = 50
    seed: int = 0
    add_expert_tokens: bool = False
    resume: bool = True
    precision: str = "auto"
    load_in_4bit: bool = False
    load_in_8bit: bool = False
    gradient_checkpointing: bool = False
    attn_implementation: str | None = None
    beta: float = 0.1  # DPO only
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data = Path(self.data)
        self.output_dir = Path(self.output_dir)
        self.val = Path(self.val) if self.val else None

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


@dataclass
class TrainResult:
    output_dir: Path
    adapter_dir: Path
    steps: int
    train_loss: list[tuple[int, float]]
    val_loss: list[tuple[int, float]]
    metrics: dict[str, Any]
