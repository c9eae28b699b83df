"""Loading a base model for LoRA fine-tuning and writing a run's outputs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.training.config import TrainConfig
from afs.training.data import prepare_tokenizer
from afs.training.tiny import resolve_base

RUN_FILE = "afs_train.json"
ADAPTER_DIR = "adapter"
CHECKPOINT_DIR = "checkpoints"
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
# Rows added to a full embedding matrix are rounded up to this, as Qwen2.5's are (tensor cores).
RESIZE_MULTIPLE = 64


def resolve_precision(requested: str = "auto") -> str:
    """`auto` is bf16 on a GPU that has it, fp16 on an older GPU (T4, V100), fp32 on a CPU."""
    import torch

    if requested not in PRECISIONS:
        raise InputError(f"--precision must be one of {', '.join(PRECISIONS)}, got {requested!r}")
    cuda = torch.cuda.is_available()
    if requested == "auto":
        if not cuda:
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if requested == "fp16" and not cuda:
        raise InputError("--precision fp16 needs a CUDA GPU; use bf16 or fp32 on a CPU")
    if requested == "bf16" and cuda and not torch.cuda.is_bf16_supported():
        raise InputError("this GPU has no bf16 (it predates Ampere); use --precision fp16")
    return requested


def torch_dtype(precision: str) -> Any:
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


def quantization_config(config: TrainConfig, precision: str) -> Any | None:
    """A bitsandbytes config for `--load-in-4bit` (QLoRA, NF4) or `--load-in-8bit`."""
    if not (config.load_in_4bit or config.load_in_8bit):
        return None
    if config.load_in_4bit and config.load_in_8bit:
        raise InputError("choose one of --load-in-4bit and --load-in-8bit")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise InputError("--load-in-4bit/--load-in-8bit need bitsandbytes, which is not "
                         "installed: pip install 'afs[gpu]' (on a machine with a CUDA GPU)")
    from transformers import BitsAndBytesConfig

    if config.load_in_8bit:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch_dtype("fp32" if precision == "fp32" else precision),
    )


def _local_device() -> Any:
    """This process's GPU: quantised weights must be placed at load time, one copy per rank."""
    from accelerate import PartialState

    return PartialState().local_process_index


def load_base(config: TrainConfig) -> tuple[Any, Any, list[int]]:
    """Load the base model and tokenizer, adding templates/tokens and resizing as needed.

    Returns `(model, tokenizer, new_token_ids)`: the ids of the tokens added here, which
    must get trainable rows in the embedding and the output head. A base whose matrices
    already have spare (padding) rows keeps its size: the new tokens take padding rows.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = resolve_base(config.base)
    precision = resolve_precision(config.precision)
    quantization = quantization_config(config, precision)
    kwargs: dict[str, Any] = {"dtype": torch_dtype(precision)}
    if quantization is not None:
        kwargs["quantization_config"] = quantization
        kwargs["device_map"] = {"": _local_device()}
    if config.attn_implementation:
        kwargs["attn_implementation"] = config.attn_implementation
    try:
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    except OSError as exc:
        raise InputError(f"cannot load base model {config.base!r}: {exc}") from None
    except (ValueError, ImportError) as exc:
        if "attn" in str(exc) or "attention" in str(exc):
            raise InputError(f"--attn-implementation {config.attn_implementation}: {exc}") \
                from None
        raise
    known = len(tokenizer)
    prepare_tokenizer(tokenizer, add_expert_tokens=config.add_expert_tokens)
    new_ids = list(range(known, len(tokenizer)))
    fresh_rows = new_ids
    rows = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > rows:
        model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=RESIZE_MULTIPLE,
                                      mean_resizing=False)
        # The rounding-up rows too: no token uses them, but their logits must not be noise.
        fresh_rows = list(range(known, model.get_input_embeddings().num_embeddings))
    if fresh_rows:
        _init_new_rows(model, fresh_rows, known)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    if config.gradient_checkpointing:
        model.config.use_cache = False
    return model, tokenizer, new_ids


def _tied(model: Any) -> bool:
    output = model.get_output_embeddings()
    return output is None or output.weight is model.get_input_embeddings().weight


def _init_new_rows(model: Any, new_ids: list[int], known: int) -> None:
    """New rows start at the mean of the real tokens' rows, in and out.

    Padding rows are untrained (often zero or noise), and a random output row can make the
    model emit a new token everywhere before it has learned anything.
    """
    import torch

    matrices = [model.get_input_embeddings().weight]
    if not _tied(model):
        matrices.append(model.get_output_embeddings().weight)
    index = torch.tensor(new_ids, device=matrices[0].device)
    with torch.no_grad():
        for weight in matrices:
            mean = weight[:known].float().mean(dim=0, keepdim=True).to(weight.dtype)
            weight.index_copy_(0, index.to(weight.device), mean.expand(len(new_ids), -1))


def _module_name(model: Any, module: Any) -> str:
    return next(name for name, candidate in model.named_modules() if candidate is module)


def lora_config(config: TrainConfig, model: Any, new_ids: list[int]) -> Any:
    """LoRA on the attention and MLP projections; new tokens get trainable rows in the
    embedding and (when it is not tied to it) the output head."""
    from peft import LoraConfig

    trainable: dict[str, list[int]] = {}
    if new_ids:
        trainable[_module_name(model, model.get_input_embeddings())] = new_ids
        if not _tied(model):
            trainable[_module_name(model, model.get_output_embeddings())] = new_ids
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
        trainable_token_indices=trainable or None,
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


def base_location(base: str) -> str:
    """What to record for reloading the base later: an absolute folder, or the hub id."""
    resolved = resolve_base(base)
    return str(Path(resolved).resolve()) if Path(resolved).exists() else resolved


def loss_curves(
    history: list[dict[str, Any]],
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, loss) pairs, one per step (a resumed run's repeated steps keep the last)."""
    train = {h["step"]: float(h["loss"]) for h in history if "loss" in h}
    val = {h["step"]: float(h["eval_loss"]) for h in history if "eval_loss" in h}
    return sorted(train.items()), sorted(val.items())
