"""Masked-language-model pre-training of a ModernBERT-style encoder, from scratch.

The loop is plain PyTorch driven by `accelerate`, so the same code runs on a laptop CPU
and, started with `accelerate launch` or `torchrun`, on many GPUs and nodes. Documents
are packed into `seq_len` blocks ([CLS] … [SEP]) once, cached by `datasets`; masking is
dynamic (see `afs.pretraining.masking`). Checkpoints hold the model, optimizer, scheduler
and RNG states; `train()` resumes from the newest one in the output directory and, when
interrupted, saves one first.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

from afs.errors import InputError
from afs.jsonl import JsonlAppender
from afs.pretraining.corpus_builder import (
    MANIFEST,
    CorpusBuilder,
    iter_texts,
    load_corpus_dataset,
    pretraining_dir,
    read_manifest,
)
from afs.pretraining.masking import IGNORE_INDEX, MaskingCollator, maskable_table
from afs.pretraining.tokenizer import TOKENIZER_FILE, load_tokenizer, train_tokenizer

# ModernBERT shapes (pre-norm, rotary positions, GeGLU, alternating global/local
# attention). Rotary positions matter here: on the test corpus a BERT of the tiny size
# (learned absolute positions, post-norm) was still near the unigram baseline after 300
# steps, where this reached ~40% masked accuracy.
PRESETS: dict[str, dict[str, Any]] = {
    # ~0.6M parameters (with the full vocabulary): trains on a CPU in seconds to minutes.
    "tiny": {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 256, "seq_len": 512, "vocab_size": 2048,
             "batch_size": 16, "lr": 2e-3},
    # ~5M parameters: one GPU (~0.9M tokens/s on an H100 at batch 256, bf16).
    "small": {"hidden_size": 256, "num_hidden_layers": 6, "num_attention_heads": 4,
              "intermediate_size": 512, "seq_len": 256, "vocab_size": 8192,
              "batch_size": 64, "lr": 1e-3},
    # ModernBERT-base's shape (~114M parameters with this vocabulary): several GPUs.
    "base": {"hidden_size": 768, "num_hidden_layers": 22, "num_attention_heads": 12,
             "intermediate_size": 1152, "seq_len": 512, "vocab_size": 16384,
             "batch_size": 32, "lr": 5e-4},
}
CALLBACK = Callable[[dict[str, Any]], None]
EVAL_EPOCH = -1  # masks of validation blocks come from this fixed "epoch"


def default_run_dir() -> Path:
    """Where `EncoderPretrainer` works unless told otherwise: `$AFS_HOME/pretraining/run`."""
    return pretraining_dir("run")


@dataclass
class PretrainConfig:
    """How to pre-train; None fields take the preset's value.

    `max_steps` (optimizer steps) wins over `epochs`. `warmup_steps` defaults to 6% of the
    run. `mask_whitespace` lets layout tokens (indentation, newlines) be masked; they are
    trivially predictable, so by default they are not, and accuracy measures content.
    `batch_size` is per process; the global batch is batch_size × processes × grad_accum.
    `mixed_precision` ("no", "bf16", "fp16"; None: what `accelerate launch` was given, else
    "no") is for GPUs; `cpu` keeps a run off them.
    """

    preset: str = "tiny"
    seq_len: int | None = None
    vocab_size: int | None = None
    mlm_probability: float = 0.15
    whole_word_mask: bool = True
    mask_whitespace: bool = False
    lr: float | None = None
    weight_decay: float = 0.01
    warmup_steps: int | None = None
    max_steps: int | None = None
    epochs: int = 1
    batch_size: int | None = None
    grad_accum: int = 1
    eval_every: int = 100
    eval_max_batches: int | None = None
    save_every: int = 200
    save_total_limit: int = 2
    log_every: int = 10
    mixed_precision: str | None = None
    cpu: bool = False
    dataloader_workers: int = 0
    output_dir: Path | None = None
    seed: int = 0
    resume: bool = True

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise InputError(f"unknown preset {self.preset!r}; expected one of {sorted(PRESETS)}")
        if not 0 < self.mlm_probability < 1:
            raise InputError(f"mlm_probability must be in (0, 1), got {self.mlm_probability}")
        for name in ("epochs", "grad_accum", "eval_every", "save_every", "log_every"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise InputError(f"max_steps must be at least 1, got {self.max_steps}")
        if self.output_dir is not None:
            self.output_dir = Path(self.output_dir).expanduser()

    def resolved(self, name: str) -> Any:
        """A setting, falling back to the preset."""
        value = getattr(self, name, None)
        return PRESETS[self.preset][name] if value is None else value


class _Blocks(Dataset):
    """A packed split. Items carry the block's index and epoch: they seed its masks.

    The key is a block index, or (epoch, index) from `_EpochSampler`: the epoch travels
    with each item, so persistent data-loader workers never mask with a stale epoch.
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        epoch, index = key if isinstance(key, tuple) else (None, key)
        row = self.data[index]
        return {"index": index, "epoch": epoch, "input_ids": row["input_ids"],
                "word_ids": row["word_ids"]}


class _EpochSampler(Sampler[tuple[int, int]]):
    """A seeded permutation per epoch, identical on every process; yields (epoch, index)."""

    def __init__(self, size: int, seed: int) -> None:
        self.size, self.seed, self.epoch = size, seed, 0

    def __len__(self) -> int:
        return self.size

    def __iter__(self):  # type: ignore[no-untyped-def]
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        order = torch.randperm(self.size, generator=generator).tolist()
        return iter([(self.epoch, index) for index in order])


class _MaskedLM(torch.nn.Module):
    """Runs the encoder, but the vocabulary head only at masked positions (~15%).

    Wrapping this in one module keeps the call inside DDP's forward, so gradients sync.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.model.model(input_ids=input_ids, attention_mask=attention_mask)[0]
        where = labels != IGNORE_INDEX
        targets = labels[where]
        logits = self.model.decoder(self.model.head(hidden[where])).float()
        loss_sum = F.cross_entropy(logits, targets, reduction="sum")
        correct = (logits.argmax(-1) == targets).sum()
        return loss_sum / targets.numel(), loss_sum.detach(), correct, targets


def _pack(tokenizer: Any, seq_len: int) -> Callable[[dict[str, list]], dict[str, list]]:
    """A batched `datasets.map` function packing documents into [CLS] … [SEP] blocks.

    Documents are joined with [SEP]; each block renumbers its words 0..n so that whole
    words can be masked together (-1 marks the special tokens).
    """
    body = seq_len - 2
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id

    def pack(batch: dict[str, list]) -> dict[str, list]:
        encoded = tokenizer(batch["text"], add_special_tokens=False)
        stream_ids: list[int] = []
        stream_words: list[int] = []
        next_word = 0
        for row, ids in enumerate(encoded["input_ids"]):
            words = encoded.word_ids(row)
            stream_ids.extend([*ids, sep_id])
            stream_words.extend([next_word + (w or 0) for w in words])
            stream_words.append(-1)
            next_word += (max((w or 0) for w in words) + 1) if words else 0
        out_ids, out_words = [], []
        for start in range(0, len(stream_ids), body):
            chunk = stream_ids[start : start + body]
            dense: dict[int, int] = {}
            chunk_words = [
                -1 if w < 0 else dense.setdefault(w, len(dense))
                for w in stream_words[start : start + body]
            ]
            out_ids.append([cls_id, *chunk, sep_id])
            out_words.append([-1, *chunk_words, -1])
        return {"input_ids": out_ids, "word_ids": out_words}

    return pack


@contextmanager
def _quiet_datasets():
    """Silence `datasets` progress bars while preparing (the caller shows its own)."""
    from datasets.utils import logging as ds_logging

    was_enabled = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            ds_logging.enable_progress_bar()


def _file_digest(*paths: Path) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


class EncoderPretrainer:
    """Pre-train a ModernBERT-style encoder on a corpus with masked-language modelling.

    `corpus` is a `CorpusBuilder` (its dataset is built under `<output_dir>/corpus`) or
    the directory of a corpus built before. `tokenizer` is a tokenizer directory; without
    one, `<output_dir>/tokenizer` is used, trained on the corpus if absent.
    """

    def __init__(
        self,
        corpus: CorpusBuilder | str | Path,
        config: PretrainConfig | None = None,
        *,
        tokenizer: str | Path | None = None,
    ) -> None:
        self.corpus = corpus
        self.config = config or PretrainConfig()
        self.output_dir = self.config.output_dir or default_run_dir()
        self.tokenizer_dir = Path(tokenizer).expanduser() if tokenizer else None
        self.model_dir = self.output_dir / "model"
        self.checkpoint_dir = self.output_dir / "checkpoints"

    # -- preparation ------------------------------------------------------------------

    def prepare_corpus(self) -> Path:
        """The corpus directory, built first if `corpus` is a builder and it is stale."""
        if isinstance(self.corpus, CorpusBuilder):
            target = self.output_dir / "corpus"
            manifest = target / MANIFEST
            current = self.corpus.config.to_json()
            if not manifest.is_file() or json.loads(manifest.read_text())["config"] != current:
                self.corpus.build(target)
            return target
        target = Path(self.corpus).expanduser()
        read_manifest(target)  # fail early, naming the directory, if it is not a corpus
        return target

    def prepare_tokenizer(self, corpus_dir: Path) -> Any:
        """Load the tokenizer, training `<output_dir>/tokenizer` on the corpus if needed."""
        if self.tokenizer_dir is not None:
            return load_tokenizer(self.tokenizer_dir)
        path = self.output_dir / "tokenizer"
        if (path / TOKENIZER_FILE).is_file():
            return load_tokenizer(path)
        return train_tokenizer(
            iter_texts(corpus_dir, "train"),
            vocab_size=self.config.resolved("vocab_size"),
            seed=self.config.seed,
            output_dir=path,
        )

    def _tokenizer_path(self) -> Path:
        return self.tokenizer_dir or self.output_dir / "tokenizer"

    def _blocks(self, corpus_dir: Path, tokenizer: Any, accelerator: Any) -> dict[str, Any]:
        seq_len = self.config.resolved("seq_len")
        cache = self.output_dir / "cache"
        fingerprint = _file_digest(corpus_dir / MANIFEST, self._tokenizer_path() / TOKENIZER_FILE)
        with accelerator.main_process_first(), _quiet_datasets():
            raw = load_corpus_dataset(corpus_dir, cache_dir=cache)
            if "validation" not in raw:
                raise InputError(
                    "the corpus has no validation documents (build it with val_fraction > 0)",
                    path=corpus_dir,
                )
            packed = {
                split: raw[split].map(
                    _pack(tokenizer, seq_len),
                    batched=True,
                    batch_size=256,
                    remove_columns=raw[split].column_names,
                    new_fingerprint=f"afs-pack-{fingerprint}-{seq_len}-{split}",
                )
                for split in ("train", "validation")
            }
        return packed

    def _build_model(self, tokenizer: Any) -> torch.nn.Module:
        from transformers import ModernBertConfig, ModernBertForMaskedLM

        preset = PRESETS[self.config.preset]
        model_config = ModernBertConfig(
            vocab_size=len(tokenizer),
            hidden_size=preset["hidden_size"],
            num_hidden_layers=preset["num_hidden_layers"],
            num_attention_heads=preset["num_attention_heads"],
            intermediate_size=preset["intermediate_size"],
            max_position_embeddings=self.config.resolved("seq_len"),
            pad_token_id=tokenizer.pad_token_id,
            cls_token_id=tokenizer.cls_token_id,
            sep_token_id=tokenizer.sep_token_id,
            bos_token_id=tokenizer.cls_token_id,
            eos_token_id=tokenizer.sep_token_id,
        )
        return ModernBertForMaskedLM(model_config)

    # -- training ---------------------------------------------------------------------

    def train(self, callback: CALLBACK | None = None) -> dict[str, Any]:
        """Train (resuming from the newest checkpoint) and return the run's metrics.

        `callback` receives event dicts (`event`: "start", "step", "eval", "checkpoint")
        on the main process; raising KeyboardInterrupt from it stops the run cleanly.
        """
        from accelerate import Accelerator
        from accelerate.utils import set_seed

        config = self.config
        accelerator = Accelerator(
            gradient_accumulation_steps=config.grad_accum,
            mixed_precision=config.mixed_precision,
            cpu=config.cpu,
        )
        set_seed(config.seed)
        emit = callback if (callback and accelerator.is_main_process) else (lambda _e: None)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        with accelerator.main_process_first():
            corpus_dir = self.prepare_corpus()
            tokenizer = self.prepare_tokenizer(corpus_dir)
        blocks = self._blocks(corpus_dir, tokenizer, accelerator)
        self._check_run_config(tokenizer, accelerator)
        maskable = maskable_table(tokenizer, mask_whitespace=config.mask_whitespace)
        collator = MaskingCollator(
            pad_token_id=tokenizer.pad_token_id,
            mask_token_id=tokenizer.mask_token_id,
            maskable=maskable,
            probability=config.mlm_probability,
            whole_word=config.whole_word_mask,
            seed=config.seed,
        )
        train_set = _Blocks(blocks["train"])
        sampler = _EpochSampler(len(train_set), config.seed)
        batch_size = config.resolved("batch_size")
        # The loader's own generator: creating an iterator (as a resume does mid-epoch)
        # must not draw from the global RNG that dropout uses.
        train_loader = DataLoader(
            train_set, batch_size=batch_size, sampler=sampler, collate_fn=collator,
            generator=torch.Generator().manual_seed(config.seed),
            num_workers=config.dataloader_workers,
            # Starting workers each epoch means forking a process that may hold a CUDA
            # context, which costs seconds; keep them.
            persistent_workers=config.dataloader_workers > 0,
        )
        batches_per_epoch = math.ceil(
            len(train_set) / (batch_size * accelerator.num_processes)
        )
        steps_per_epoch = max(1, math.ceil(batches_per_epoch / config.grad_accum))
        total_steps = config.max_steps or steps_per_epoch * config.epochs

        model = _MaskedLM(self._build_model(tokenizer))
        optimizer = torch.optim.AdamW(
            _parameter_groups(model, config.weight_decay),
            lr=config.resolved("lr"),
            betas=(0.9, 0.98),
            eps=1e-6,
        )
        warmup = config.warmup_steps if config.warmup_steps is not None else total_steps * 6 // 100
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, _linear_schedule(max(warmup, 1), total_steps)
        )
        model, optimizer, train_loader = accelerator.prepare(model, optimizer, train_loader)
        accelerator.register_for_checkpointing(scheduler)
        unigram = self._unigram(blocks["train"], maskable)

        state = {"global_step": 0, "epoch": 0, "batches_in_epoch": 0, "history": []}
        resumed_from = self._resume(accelerator, state)
        metrics_log = JsonlAppender(self.output_dir / "metrics.jsonl") if (
            accelerator.is_main_process
        ) else None
        evaluate = self._evaluator(blocks["validation"], collator, model, accelerator, unigram)
        parameters = sum(p.numel() for p in accelerator.unwrap_model(model).parameters())
        emit({"event": "start", "total_steps": total_steps, "resumed_from": resumed_from,
              "parameters": parameters, "train_blocks": len(train_set)})
        if resumed_from is None:
            record = {"step": 0, **evaluate()}
            state["history"].append(record)
            self._log(metrics_log, {"event": "eval", **record}, emit)

        # Counters stay on the device: reading them every step would stall a GPU.
        train_tokens = torch.zeros((), dtype=torch.long, device=accelerator.device)
        running_loss = torch.zeros((), device=accelerator.device)
        running_count = 0
        clock = {"seconds": 0.0, "since": time.perf_counter()}

        def lap() -> None:
            """Bank the training time since the last lap (evaluation and saving excluded)."""
            now = time.perf_counter()
            clock["seconds"] += now - clock["since"]
            clock["since"] = now

        last_saved = state["global_step"]
        model.train()
        try:
            while state["global_step"] < total_steps:
                sampler.epoch = state["epoch"]
                loader = train_loader
                if state["batches_in_epoch"]:
                    loader = accelerator.skip_first_batches(
                        train_loader, state["batches_in_epoch"]
                    )
                clock["since"] = time.perf_counter()
                for batch in loader:
                    with accelerator.accumulate(model):
                        loss, _, _, _ = model(**batch)
                        accelerator.backward(loss)
                        if accelerator.sync_gradients:
                            accelerator.clip_grad_norm_(model.parameters(), 1.0)
                        optimizer.step()
                        optimizer.zero_grad()
                    state["batches_in_epoch"] += 1
                    train_tokens += batch["attention_mask"].sum()
                    running_loss += loss.detach()
                    running_count += 1
                    if not accelerator.sync_gradients:
                        continue
                    scheduler.step()
                    state["global_step"] += 1
                    step = state["global_step"]
                    if step % config.log_every == 0 or step == total_steps:
                        state["train_loss"] = float(running_loss) / running_count
                        running_loss.zero_()
                        running_count = 0
                        lap()
                        tokens = int(train_tokens) * accelerator.num_processes
                        emit({"event": "step", "step": step, "total_steps": total_steps,
                              "loss": state["train_loss"], "lr": scheduler.get_last_lr()[0],
                              "train_tokens": tokens, "train_seconds": clock["seconds"],
                              "tokens_per_second": tokens / max(clock["seconds"], 1e-9)})
                    if step % config.eval_every == 0 or step == total_steps:
                        lap()
                        record = {"step": step, "train_loss": state.get("train_loss"),
                                  **evaluate()}
                        state["history"].append(record)
                        self._log(metrics_log, {"event": "eval", **record}, emit)
                        model.train()
                        clock["since"] = time.perf_counter()
                    if step % config.save_every == 0 or step == total_steps:
                        lap()
                        self._save(accelerator, state, emit)
                        last_saved = step
                        clock["since"] = time.perf_counter()
                    if step >= total_steps:
                        break
                else:
                    lap()
                    state["epoch"] += 1
                    state["batches_in_epoch"] = 0
        except KeyboardInterrupt:
            if state["global_step"] > last_saved:
                self._save(accelerator, state, emit)
            raise
        finally:
            if metrics_log is not None:
                metrics_log.close()

        if not state["history"] or state["history"][-1]["step"] != state["global_step"]:
            state["history"].append({"step": state["global_step"], **evaluate()})
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            accelerator.unwrap_model(model).model.save_pretrained(str(self.model_dir))
            tokenizer.save_pretrained(str(self.model_dir))
        final = state["history"][-1]
        result = {
            "global_step": state["global_step"],
            "total_steps": total_steps,
            "resumed_from_step": resumed_from,
            "parameters": parameters,
            "initial_val_loss": state["history"][0]["val_loss"],
            "final_val_loss": final["val_loss"],
            "val_perplexity": final["val_perplexity"],
            "val_accuracy": final["val_accuracy"],
            "unigram_accuracy": final["unigram_accuracy"],
            "unigram_loss": final["unigram_loss"],
            "train_loss": state.get("train_loss"),
            "train_tokens": int(train_tokens) * accelerator.num_processes,
            "train_seconds": round(clock["seconds"], 3),
            "tokens_per_second": (
                int(train_tokens) * accelerator.num_processes / clock["seconds"]
                if clock["seconds"] else None
            ),
            "history": state["history"],
            "output_dir": str(self.output_dir),
            "model_dir": str(self.model_dir),
        }
        if accelerator.is_main_process:
            (self.output_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        return result

    def _unigram(self, train_blocks: Any, maskable: torch.Tensor) -> torch.Tensor:
        """Counts of each maskable token over the training blocks (the baseline's model)."""
        counts = torch.zeros(len(maskable), dtype=torch.float64)
        for batch in train_blocks.iter(batch_size=1024):
            ids = torch.tensor([i for row in batch["input_ids"] for i in row], dtype=torch.long)
            counts += torch.bincount(ids, minlength=len(maskable)).double()
        return counts * maskable.double()

    def _evaluator(
        self, blocks: Any, collator: MaskingCollator, model: Any, accelerator: Any,
        unigram: torch.Tensor,
    ) -> Callable[[], dict[str, float]]:
        """A function computing validation loss, perplexity and masked-token accuracy.

        Each process takes every n-th block; the masks are the same at every evaluation.
        The unigram baseline always predicts the most frequent training token; its loss is
        the cross-entropy of the (add-one smoothed) training token distribution.
        """
        eval_collator = MaskingCollator(
            pad_token_id=collator.pad_token_id, mask_token_id=collator.mask_token_id,
            maskable=collator.maskable, probability=collator.probability,
            whole_word=collator.whole_word, seed=collator.seed, epoch=EVAL_EPOCH,
        )
        rank, world = accelerator.process_index, accelerator.num_processes
        mine = torch.utils.data.Subset(_Blocks(blocks), range(rank, len(blocks), world))
        loader = DataLoader(
            mine, batch_size=self.config.resolved("batch_size"), collate_fn=eval_collator
        )
        smoothed = (unigram + 1) / (unigram.sum() + len(unigram))
        best = int(unigram.argmax())
        # The bare module, not the DDP wrapper: ranks may hold different numbers of
        # validation batches, and DDP's per-forward buffer sync would then hang.
        net = accelerator.unwrap_model(model)

        def evaluate() -> dict[str, float]:
            net.eval()
            totals = torch.zeros(5, dtype=torch.float64, device=accelerator.device)
            with torch.no_grad():
                for number, batch in enumerate(loader):
                    if self.config.eval_max_batches and number >= self.config.eval_max_batches:
                        break
                    batch = {k: v.to(accelerator.device) for k, v in batch.items()}
                    _, loss_sum, correct, targets = net(**batch)
                    targets = targets.cpu()
                    totals += torch.tensor(
                        [float(loss_sum), float(correct), targets.numel(),
                         float((targets == best).sum()), float(-smoothed[targets].log().sum())],
                        dtype=torch.float64, device=accelerator.device,
                    )
            totals = accelerator.reduce(totals, reduction="sum")
            loss, correct, count, base_correct, base_loss = totals.tolist()
            count = max(count, 1.0)
            return {
                "val_loss": loss / count,
                "val_perplexity": math.exp(min(loss / count, 50.0)),
                "val_accuracy": correct / count,
                "unigram_accuracy": base_correct / count,
                "unigram_loss": base_loss / count,
                "val_masked_tokens": int(count),
            }

        return evaluate

    # -- checkpoints ------------------------------------------------------------------

    def _check_run_config(self, tokenizer: Any, accelerator: Any) -> None:
        """Refuse to resume a run whose model shape or tokenizer differ from this one."""
        shape = {
            "preset": self.config.preset,
            "seq_len": self.config.resolved("seq_len"),
            "vocab": len(tokenizer),
            "tokenizer": _file_digest(self._tokenizer_path() / TOKENIZER_FILE),
        }
        path = self.output_dir / "run_config.json"
        if path.is_file() and self._checkpoints():
            if not self.config.resume:
                raise InputError(
                    "the output directory holds checkpoints of an earlier run; resume it "
                    "or choose another output directory", path=self.output_dir)
            saved = json.loads(path.read_text())["shape"]
            if saved != shape:
                raise InputError(
                    f"cannot resume: this run's model/tokenizer {shape} differ from the "
                    f"checkpointed run's {saved}", path=path)
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            config = {k: str(v) if isinstance(v, Path) else v
                      for k, v in asdict(self.config).items()}
            path.write_text(json.dumps({"shape": shape, "config": config}, indent=2) + "\n")

    def _checkpoints(self) -> list[Path]:
        if not self.checkpoint_dir.is_dir():
            return []
        done = [
            path for path in self.checkpoint_dir.glob("step-*")
            if path.name[5:].isdigit() and (path / "trainer_state.json").is_file()
        ]
        return sorted(done, key=lambda path: int(path.name[5:]))

    def _resume(self, accelerator: Any, state: dict[str, Any]) -> int | None:
        checkpoints = self._checkpoints() if self.config.resume else []
        if not checkpoints:
            return None
        latest = checkpoints[-1]
        accelerator.load_state(str(latest))
        state.update(json.loads((latest / "trainer_state.json").read_text()))
        return state["global_step"]

    def _save(self, accelerator: Any, state: dict[str, Any], emit: CALLBACK) -> None:
        # Write to a temporary folder and rename: a crash mid-save never leaves a
        # checkpoint that looks complete.
        final = self.checkpoint_dir / f"step-{state['global_step']:08d}"
        tmp = final.with_name(final.name + ".tmp")
        accelerator.wait_for_everyone()
        accelerator.save_state(str(tmp))
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            (tmp / "trainer_state.json").write_text(json.dumps(state, indent=2) + "\n")
            if final.exists():
                shutil.rmtree(final)
            tmp.rename(final)
            for old in self._checkpoints()[: -self.config.save_total_limit]:
                shutil.rmtree(old)
            emit({"event": "checkpoint", "step": state["global_step"], "path": str(final)})
        accelerator.wait_for_everyone()

    @staticmethod
    def _log(appender: JsonlAppender | None, record: dict[str, Any], emit: CALLBACK) -> None:
        if appender is not None:
            appender.append(record)
        emit(record)

    # -- embeddings -------------------------------------------------------------------

    def export_embeddings(self, output_dir: str | Path | None = None, **options: Any) -> dict:
        """Embed every corpus document with the trained model (see `export_embeddings`)."""
        from afs.pretraining.embeddings import export_embeddings

        return export_embeddings(
            self.model_dir, self.prepare_corpus(),
            output_dir or self.output_dir / "embeddings", **options,
        )


def _parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """No weight decay on biases and LayerNorm weights (the usual BERT recipe)."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        (no_decay if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _linear_schedule(warmup: int, total: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor
