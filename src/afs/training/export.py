"""Merge a LoRA adapter into its base and package the result for Ollama and LM Studio."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.training.model_io import ADAPTER_DIR, read_run_file

MERGED_DIR = "merged"

# Ollama's Go-template form of ChatML (what our training template renders).
OLLAMA_CHATML_TEMPLATE = """{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""


@dataclass(frozen=True)
class ExportResult:
    merged_dir: Path
    modelfile: Path
    lmstudio_notes: Path
    gguf: Path | None = None


def load_trained(run_dir: str | Path) -> tuple[Any, Any]:
    """The run's base with its adapter applied (not merged), and the run's tokenizer.

    The base is loaded in the dtype it was saved in and its embedding gets the row count
    it was trained with: a padded base stays padded.
    """
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from afs.training.tiny import resolve_base

    run_dir = Path(run_dir)
    run = read_run_file(run_dir)
    adapter_dir = run_dir / ADAPTER_DIR
    tokenizer = AutoTokenizer.from_pretrained(str(adapter_dir))
    location = run.get("base_path") or run["base"]
    if not Path(location).exists() and run["base"] == "tiny":
        location = resolve_base("tiny")  # the built-in base is rebuilt the same
    try:
        base = AutoModelForCausalLM.from_pretrained(location, dtype="auto")
    except OSError as exc:
        raise InputError(f"cannot load the run's base model {location!r}: {exc}") from None
    rows = base.get_input_embeddings().num_embeddings
    trained_rows = run.get("vocab_rows") or max(rows, len(tokenizer))
    if trained_rows != rows:
        base.resize_token_embeddings(trained_rows, mean_resizing=False)
    return PeftModel.from_pretrained(base, str(adapter_dir)), tokenizer


def merge_adapter(run_dir: str | Path, output: str | Path, *,
                  max_shard_size: str = "2GB") -> Path:
    """Merge a run's adapter into its base; save sharded safetensors and the tokenizer.

    Merged in the base's own dtype (bf16 for a 7B: ~15 GB of RAM, not the ~30 GB float32
    would take), so the export has the base's dtype and shape. Written to a scratch folder
    and renamed into place, so an interrupted export leaves no half-written model.
    """
    import shutil

    adapted, tokenizer = load_trained(run_dir)
    merged = adapted.merge_and_unload()
    output = Path(output)
    scratch = output.with_name(output.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    merged.save_pretrained(str(scratch), safe_serialization=True, max_shard_size=max_shard_size)
    tokenizer.save_pretrained(str(scratch))
    shutil.rmtree(output, ignore_errors=True)
    scratch.rename(output)
    return output


def render_modelfile(
    model_path: Path,
    *,
    system_prompt: str | None,
    params: dict[str, Any],
    stop: tuple[str, ...] = ("<|im_end|>",),
) -> str:
    """An Ollama Modelfile: FROM the GGUF or merged folder, ChatML template, system, params."""
    lines = [f"FROM {model_path.resolve()}", "", f'TEMPLATE """{OLLAMA_CHATML_TEMPLATE}"""']
    if system_prompt:
        escaped = system_prompt.replace('"""', '\\"\\"\\"')
        lines.append(f'SYSTEM """{escaped}"""')
    mapping = {"temperature": "temperature", "top_p": "top_p", "seed": "seed",
               "max_tokens": "num_predict"}
    for key, ollama_key in mapping.items():
        if params.get(key) is not None:
            lines.append(f"PARAMETER {ollama_key} {params[key]}")
    lines.extend(f'PARAMETER stop "{token}"' for token in stop)
    return "\n".join(lines) + "\n"


LMSTUDIO_NOTES = """# Using {name} in LM Studio

1. LM Studio loads GGUF: export with `afs train export ... --format gguf --quant q8_0`
   (or q4_k_m / f16), which writes `{name}.<quant>.gguf` into {output}.
2. Put `{name}.<quant>.gguf` under LM Studio's models folder (My Models -> "Show in
   folder"), inside a `afs/{name}/` sub-folder, and load it. Choose the ChatML prompt template.
3. Start LM Studio's local server (Developer tab); it listens on http://localhost:1234/v1.
4. `afs train register {output} --alias {name} --server lmstudio` points AFS at it.

With Ollama instead: `ollama create {name} -f {modelfile}` then
`afs train register {output} --alias {name} --server ollama`.
"""


def export_run(
    run_dir: str | Path,
    output: str | Path,
    *,
    name: str,
    system_prompt: str | None = None,
    params: dict[str, Any] | None = None,
    gguf_quant: str | None = None,
) -> ExportResult:
    """Merge the run's adapter and write the Modelfile and LM Studio notes into `output`.

    With `gguf_quant` (f16, q8_0, q4_k_m) a `<name>.<quant>.gguf` is written too, and the
    Modelfile loads it instead of the safetensors folder.
    """
    output = Path(output)
    if output.exists() and any(output.iterdir()) and not (output / MERGED_DIR).exists():
        raise InputError(f"{output} exists and is not an AFS export; choose an empty folder")
    if gguf_quant is not None:
        from afs.training.gguf_export import QUANTS

        if gguf_quant not in QUANTS:
            raise InputError(f"--quant must be one of {', '.join(QUANTS)}, got {gguf_quant!r}")
    merged_dir = merge_adapter(run_dir, output / MERGED_DIR)
    gguf_path = None
    if gguf_quant is not None:
        from afs.training.gguf_export import write_gguf

        gguf_path = write_gguf(merged_dir, output / f"{name}.{gguf_quant}.gguf",
                               quant=gguf_quant, name=name)
    modelfile = output / "Modelfile"
    modelfile.write_text(render_modelfile(gguf_path or merged_dir, system_prompt=system_prompt,
                                          params=params or {}))
    notes = output / "LMSTUDIO.md"
    notes.write_text(LMSTUDIO_NOTES.format(name=name, merged=merged_dir, output=output,
                                           modelfile=modelfile))
    (output / "afs_export.json").write_text(json.dumps({
        "name": name, "run_dir": str(Path(run_dir).resolve()), "merged_dir": str(merged_dir),
        "gguf": str(gguf_path) if gguf_path else None,
        "system_prompt": system_prompt, "params": params or {},
    }, indent=2) + "\n")
    return ExportResult(merged_dir=merged_dir, modelfile=modelfile, lmstudio_notes=notes,
                        gguf=gguf_path)
