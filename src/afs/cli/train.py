"""`afs train ...`: LoRA fine-tuning of students, export for Ollama/LM Studio, registration."""

from __future__ import annotations

from pathlib import Path

import typer

from afs.cli.output import console, print_json

train_app = typer.Typer(help="Fine-tune students (SFT, DPO with LoRA) and export them.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


def _run(kind: str, **kwargs: object) -> None:
    from afs.training.config import TrainConfig

    as_json = kwargs.pop("as_json")
    config = TrainConfig(**kwargs)  # type: ignore[arg-type]
    if kind == "sft":
        from afs.training.sft import train_sft as train
    else:
        from afs.training.dpo import train_dpo as train
    result = train(config)
    summary = {
        "kind": kind,
        "output_dir": str(result.output_dir),
        "adapter_dir": str(result.adapter_dir),
        "steps": result.steps,
        "first_train_loss": result.train_loss[0][1] if result.train_loss else None,
        "last_train_loss": result.train_loss[-1][1] if result.train_loss else None,
        "last_val_loss": result.val_loss[-1][1] if result.val_loss else None,
        "metrics_file": str(result.output_dir / "metrics.jsonl"),
    }
    if as_json:
        print_json(summary)
    else:
        console.print(f"[green]{kind.upper()} done[/] after {result.steps} steps: adapter in "
                      f"{result.adapter_dir}")
        console.print(f"train loss {summary['first_train_loss']} -> {summary['last_train_loss']}"
                      f"; val loss {summary['last_val_loss']}; metrics in "
                      f"{summary['metrics_file']}")


_BASE = typer.Option(..., "--base", help="Base model: a local folder, a Hugging Face id, or "
                     "'tiny' (a built-in tiny model, built offline).")
_PRECISION = typer.Option("auto", "--precision",
                          help="auto|bf16|fp16|fp32 (auto: bf16 where the GPU supports it, "
                               "else fp16; fp32 on a CPU).")
_4BIT = typer.Option(False, "--load-in-4bit", help="QLoRA: load the base in 4-bit NF4 "
                     "(bitsandbytes, CUDA).")
_8BIT = typer.Option(False, "--load-in-8bit", help="Load the base in 8-bit (bitsandbytes).")
_CKPT = typer.Option(False, "--gradient-checkpointing",
                     help="Recompute activations: less memory, ~30% slower.")
_ATTN = typer.Option(None, "--attn-implementation",
                     help="eager, sdpa or flash_attention_2 (default: the model's choice).")
_OUT = typer.Option(..., "--output", "-o", help="Run folder (checkpoints, adapter, metrics).")
_VAL = typer.Option(None, "--val", help="Validation JSONL.")


def _memory_options(precision: str, load_in_4bit: bool, load_in_8bit: bool,
                    gradient_checkpointing: bool, attn_implementation: str | None) -> dict:
    return {"precision": precision, "load_in_4bit": load_in_4bit, "load_in_8bit": load_in_8bit,
            "gradient_checkpointing": gradient_checkpointing,
            "attn_implementation": attn_implementation}


def _expert_defaults(expert: str | None) -> tuple[str | None, dict]:
    """The alias's system prompt and params; for a built-in expert without its own, the
    prompt and sampling the benchmark asks that expert with."""
    from afs.training.registration import expert_defaults

    system_prompt, params = expert_defaults(expert)
    if expert is not None:
        from afs.benchmark.prompts import SYSTEM

        if system_prompt is None:
            system_prompt = SYSTEM.get(expert)
        if not params and expert in SYSTEM:
            params = {"temperature": 0.0, "max_tokens": 1024}
    return system_prompt, params


@train_app.command("sft")
def sft(
    base: str = _BASE,
    data: Path = typer.Option(..., "--data", help="chatml JSONL ({'messages': [...]})."),
    output: Path = _OUT,
    val: Path | None = _VAL,
    lora_r: int = typer.Option(16, "--lora-r"),
    lora_alpha: int = typer.Option(32, "--lora-alpha"),
    lr: float = typer.Option(2e-4, "--lr"),
    epochs: float = typer.Option(1.0, "--epochs"),
    max_steps: int = typer.Option(-1, "--max-steps", help="Overrides --epochs when > 0."),
    seq_len: int = typer.Option(1024, "--seq-len"),
    batch_size: int = typer.Option(4, "--batch-size"),
    grad_accum: int = typer.Option(1, "--grad-accum"),
    add_expert_tokens: bool = typer.Option(False, "--add-expert-tokens",
                                           help="Add the expert-invocation special tokens."),
    precision: str = _PRECISION,
    load_in_4bit: bool = _4BIT,
    load_in_8bit: bool = _8BIT,
    gradient_checkpointing: bool = _CKPT,
    attn_implementation: str | None = _ATTN,
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Supervised fine-tuning with LoRA; loss on assistant turns only; resumes by itself."""
    _run("sft", base=base, data=data, output_dir=output, val=val, lora_r=lora_r,
         lora_alpha=lora_alpha, lr=lr, epochs=epochs, max_steps=max_steps, seq_len=seq_len,
         batch_size=batch_size, grad_accum=grad_accum, add_expert_tokens=add_expert_tokens,
         seed=seed, as_json=as_json, **_memory_options(
             precision, load_in_4bit, load_in_8bit, gradient_checkpointing, attn_implementation))


@train_app.command("dpo")
def dpo(
    base: str = _BASE,
    data: Path = typer.Option(..., "--data", help="prompt/chosen/rejected JSONL."),
    output: Path = _OUT,
    val: Path | None = _VAL,
    lora_r: int = typer.Option(16, "--lora-r"),
    lora_alpha: int = typer.Option(32, "--lora-alpha"),
    lr: float = typer.Option(5e-5, "--lr"),
    beta: float = typer.Option(0.1, "--beta"),
    epochs: float = typer.Option(1.0, "--epochs"),
    max_steps: int = typer.Option(-1, "--max-steps"),
    seq_len: int = typer.Option(1024, "--seq-len"),
    batch_size: int = typer.Option(4, "--batch-size"),
    grad_accum: int = typer.Option(1, "--grad-accum"),
    add_expert_tokens: bool = typer.Option(False, "--add-expert-tokens"),
    precision: str = _PRECISION,
    load_in_4bit: bool = _4BIT,
    load_in_8bit: bool = _8BIT,
    gradient_checkpointing: bool = _CKPT,
    attn_implementation: str | None = _ATTN,
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Direct preference optimisation with LoRA; records reward margins per step."""
    _run("dpo", base=base, data=data, output_dir=output, val=val, lora_r=lora_r,
         lora_alpha=lora_alpha, lr=lr, beta=beta, epochs=epochs, max_steps=max_steps,
         seq_len=seq_len, batch_size=batch_size, grad_accum=grad_accum,
         add_expert_tokens=add_expert_tokens, seed=seed, as_json=as_json, **_memory_options(
             precision, load_in_4bit, load_in_8bit, gradient_checkpointing, attn_implementation))


@train_app.command("export")
def export(
    run_dir: Path = typer.Argument(..., help="A folder written by `afs train sft|dpo`."),
    output: Path = typer.Option(..., "--output", "-o"),
    merge: bool = typer.Option(True, "--merge/--no-merge",
                               help="Merge the adapter into the base weights (required)."),
    name: str = typer.Option("afs-student", "--name", help="Model name for Ollama/LM Studio."),
    expert: str | None = typer.Option(None, "--expert",
                                      help="Take the system prompt and params of this alias."),
    fmt: str = typer.Option("safetensors", "--format",
                            help="safetensors, or gguf (also writes <name>.<quant>.gguf)."),
    quant: str = typer.Option("q8_0", "--quant", help="GGUF encoding: q8_0, f16 or q4_k_m "
                              "(q4_k_m needs llama-cpp-python)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Merge LoRA into safetensors (optionally GGUF); write an Ollama Modelfile and notes."""
    from afs.cli.output import check_output_dir, fail
    from afs.training.export import export_run

    if not merge:
        fail("only merged exports are supported: Ollama and LM Studio load full weights")
    if fmt not in ("safetensors", "gguf"):
        fail(f"--format must be safetensors or gguf, got {fmt!r}")
    check_output_dir(output, "--output")
    system_prompt, params = _expert_defaults(expert)
    result = export_run(run_dir, output, name=name, system_prompt=system_prompt, params=params,
                        gguf_quant=quant if fmt == "gguf" else None)
    payload = {"merged_dir": str(result.merged_dir), "modelfile": str(result.modelfile),
               "lmstudio_notes": str(result.lmstudio_notes),
               "gguf": str(result.gguf) if result.gguf else None}
    if as_json:
        print_json(payload)
    else:
        console.print(f"merged weights: {result.merged_dir}")
        if result.gguf:
            console.print(f"GGUF: {result.gguf}")
        console.print(f"Ollama: ollama create {name} -f {result.modelfile}")
        console.print(f"LM Studio: see {result.lmstudio_notes}")


@train_app.command("register")
def register_alias(
    export_dir: Path = typer.Argument(..., help="A folder written by `afs train export`."),
    alias: str = typer.Option(..., "--alias"),
    server: str = typer.Option("ollama", "--server",
                               help="ollama, lmstudio, or a base URL of an OpenAI-compatible "
                                    "server."),
    config_path: Path | None = typer.Option(None, "--config",
                                            help="afs.toml to edit (default: the one in use)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Add an alias to afs.toml pointing at the exported model on a local server."""
    from afs.training.registration import register_export

    path, entry = register_export(export_dir, alias=alias, server=server,
                                  config_path=config_path)
    if as_json:
        print_json({"config": str(path), "alias": alias, "entry": entry})
    else:
        console.print(f"alias [bold]{alias}[/] -> {entry['base_url']} ({entry['model']}) "
                      f"written to {path}")
