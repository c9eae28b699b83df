"""Pre-training throughput: corpus builder MB/s, MLM training tokens/s, query latency.

Query latency: `afs pretrain query` as a user runs it, each query a new process, with
the model reloaded per query (`--no-server`, the baseline) and with `afs pretrain serve`
running; and `CodeSearch.query` inside one process after its first call.

On a CPU: the tiny preset. With a CUDA GPU present, also the small (and base) presets in
bf16, with model FLOPs utilisation against the GPU's dense bf16 peak. Everything runs on
a generated ALTTP-style corpus, so the figures need no data set.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CORPUS_FILES = 200  # ~1.1 MB of assembly
TRAIN_STEPS = 60
QUERIES = ("LDA.b #$80 : STA.w $2115", "decrement link's health", "STZ.w $0B89,X : RTS",
           "play a sound effect", "LDA.l $7EF36D : SEC : SBC.b #$08")
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


def _cli_seconds(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `afs` process (CPU time: on a loaded machine the wall
    time measures the other jobs as much as this one)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "afs", *args], env=env, check=True,
                   capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _query_latency(root: Path, corpus: Path, model_dir: str) -> dict[str, Any]:
    """Seconds per `afs pretrain query` (a new process each), without and with the server."""
    from afs.pretraining.embeddings import export_embeddings
    from afs.pretraining.query_server import QueryServer, server_file
    from afs.pretraining.search import CodeSearch

    index = root / "index"
    export_embeddings(model_dir, corpus, index)
    env = {**os.environ, "AFS_HOME": str(root / "afs_home"),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    previous = os.environ.get("AFS_HOME")
    os.environ["AFS_HOME"] = env["AFS_HOME"]  # the server announces itself there
    try:
        base = ["pretrain", "query", "--index", str(index), "--json"]
        reload = [_cli_seconds([*base, "--no-server", text], env) for text in QUERIES[:3]]
        server = QueryServer(index)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        while not server_file().is_file():
            time.sleep(0.01)
        try:
            served = [_cli_seconds([*base, text], env) for text in QUERIES]
        finally:
            server.shutdown()
            thread.join()
        search = CodeSearch(index)
        search.query(QUERIES[0])
        in_process = []
        for text in QUERIES * 4:
            started = time.perf_counter()
            search.query(text)
            in_process.append(time.perf_counter() - started)
    finally:
        if previous is None:
            os.environ.pop("AFS_HOME", None)
        else:
            os.environ["AFS_HOME"] = previous
    return {
        "documents": len(search.index),
        "load_average": round(os.getloadavg()[0], 2),
        "cli_model_reload_per_query_s": round(statistics.median(w for w, _ in reload), 3),
        "cli_model_reload_per_query_cpu_s": round(statistics.median(c for _, c in reload), 3),
        "cli_with_server_s": round(statistics.median(w for w, _ in served), 3),
        "cli_with_server_cpu_s": round(statistics.median(c for _, c in served), 3),
        "cli_with_server_max_s": round(max(w for w, _ in served), 3),
        "in_process_after_first_s": round(statistics.median(in_process), 4),
    }


def run() -> dict[str, Any]:
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.setdefault("AFS_HOME", str(root / "afs_home"))
        corpus, corpus_figures = _corpus(root)
        cpu = _train(corpus, root / "cpu-tiny", "tiny", cpu=True)
        model_dir = cpu.pop("model_dir")
        result: dict[str, Any] = {
            "corpus_builder": corpus_figures,
            "cpu_tiny": {**cpu, "torch_threads": torch.get_num_threads()},
            "query_latency": _query_latency(root, corpus, model_dir),
        }
        if torch.cuda.is_available():
            result["gpu"] = _gpu(root, corpus)
        return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
