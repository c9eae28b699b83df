"""Pre-training throughput: corpus builder MB/s, and MLM training tokens/s.

On a CPU: the tiny preset. With a CUDA GPU present, also the small (and base) presets in
bf16, with model FLOPs utilisation against the GPU's dense bf16 peak. Everything runs on
a generated ALTTP-style corpus, so the figures need no data set.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

CORPUS_FILES = 200  # ~1.1 MB of assembly
TRAIN_STEPS = 60
# Dense bf16 peak per GPU, from the vendors' data sheets (without sparsity).
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12}


def _corpus(root: Path) -> tuple[Path, dict[str, Any]]:
    from afs.pretraining import CorpusBuilder, CorpusConfig
    from afs.pretraining.synthetic import generate_assembly_corpus

    generate_assembly_corpus(root / "src", files=CORPUS_FILES, seed=0)
    config = CorpusConfig(source_dirs=[root / "src"], seq_len=128, val_fraction=0.05)
    started = time.perf_counter()
    manifest = CorpusBuilder(config).build(root / "corpus")
    seconds = time.perf_counter() - started
    stats = manifest["statistics"]
    return root / "corpus", {
        "input_mb": round(stats["total_bytes"] / 1e6, 3),
        "documents": stats["documents"],
        "duplicates_removed": stats["duplicates_removed"],
        "seconds": round(seconds, 3),
        "mb_per_s": round(stats["total_bytes"] / 1e6 / seconds, 3),
    }


def _train(corpus: Path, out: Path, preset: str, **overrides: Any) -> dict[str, Any]:
    """`_train_here` in a fresh process: `accelerate` allows one precision per process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_train_here, corpus, out, preset, **overrides).result()


def _train_here(corpus: Path, out: Path, preset: str, **overrides: Any) -> dict[str, Any]:
    """Train `TRAIN_STEPS` steps; tokens/s over the second half (past warm-up)."""
    from afs.pretraining import EncoderPretrainer, PretrainConfig

    steps = overrides.pop("max_steps", TRAIN_STEPS)
    marks: list[tuple[int, float]] = []

    def on_event(event: dict[str, Any]) -> None:
        if event["event"] == "step":
            marks.append((event["train_tokens"], event["train_seconds"]))

    config = PretrainConfig(preset=preset, max_steps=steps, eval_every=10**9,
                            save_every=10**9, log_every=max(1, steps // 6), output_dir=out,
                            **overrides)
    result = EncoderPretrainer(corpus, config).train(on_event)
    (t0, s0), (t1, s1) = marks[len(marks) // 2], marks[-1]
    return {
        "preset": preset,
        "steps": steps,
        "parameters": result["parameters"],
        "tokens_per_s_steady": round((t1 - t0) / (s1 - s0), 1),
        "tokens_per_s_overall": round(result["tokens_per_second"], 1),
        "val_loss_start_end": [round(result["initial_val_loss"], 3),
                               round(result["final_val_loss"], 3)],
        "model_dir": result["model_dir"],
        **{k: v for k, v in overrides.items() if k not in ("cpu", "dataloader_workers")},
    }


def _flops_per_token(model_dir: str, seq_len: int, mlm_probability: float) -> float:
    """Training FLOPs per token: 6·(encoder matmul weights) + attention + the sparse head."""
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(model_dir)
    d, layers, inter = cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size
    per_layer = 4 * d * d + 3 * d * inter  # QKV + output, GeGLU in (2·inter) and out
    attention = sum(
        12 * d * (seq_len if kind == "full_attention" else min(seq_len, cfg.local_attention))
        for kind in cfg.layer_types
    )
    head = 6 * (d * d + d * cfg.vocab_size) * mlm_probability  # only at masked positions
    return 6 * layers * per_layer + attention + head


def _gpu(root: Path, corpus: Path) -> dict[str, Any]:
    import torch

    from afs.pretraining.encoder_trainer import PRESETS

    name = torch.cuda.get_device_name()
    peak = next((flops for key, flops in PEAK_BF16_FLOPS.items() if key in name), None)
    runs = []
    for preset, batch in (("small", 64), ("small", 256), ("base", 32)):
        run = _train(corpus, root / f"gpu-{preset}-{batch}", preset, mixed_precision="bf16",
                     batch_size=batch, dataloader_workers=4)
        seq_len = PRESETS[preset]["seq_len"]
        flops = _flops_per_token(run.pop("model_dir"), seq_len, 0.15)
        run["model_tflops"] = round(run["tokens_per_s_steady"] * flops / 1e12, 2)
        run["mfu"] = round(run["tokens_per_s_steady"] * flops / peak, 4) if peak else None
        runs.append(run)
    return {"device": name, "peak_bf16_flops": peak, "runs": runs}


def run() -> dict[str, Any]:
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.setdefault("AFS_HOME", str(root / "afs_home"))
        corpus, corpus_figures = _corpus(root)
        cpu = _train(corpus, root / "cpu-tiny", "tiny", cpu=True)
        cpu.pop("model_dir")
        result: dict[str, Any] = {
            "corpus_builder": corpus_figures,
            "cpu_tiny": {**cpu, "torch_threads": torch.get_num_threads()},
        }
        if torch.cuda.is_available():
            result["gpu"] = _gpu(root, corpus)
        return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
