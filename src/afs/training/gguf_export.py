"""Writing a merged Llama or Qwen2 model as GGUF, the file llama.cpp, LM Studio and Ollama load.

Written with the `gguf` package: the architecture's hyper-parameters, the byte-level BPE
tokenizer (tokens, merges, types, special ids) with the chat template, and the tensors
under llama.cpp's names. f16 and q8_0 are encoded here; q4_k_m goes through llama.cpp's
own quantiser (`llama-cpp-python`), from the f16 file.

Facts used (from llama.cpp's GGUF conventions): the tensor names below; Llama's q/k
projection rows are stored in the interleaved rotary order llama.cpp expects, i.e.
permuted per head from Hugging Face's half-split order; Qwen2 needs no permutation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from afs.errors import InputError

QUANTS = ("f16", "q8_0", "q4_k_m")
_ARCHES = {"LlamaForCausalLM": ("llama", "default"), "Qwen2ForCausalLM": ("qwen2", "qwen2")}
_LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_TOP = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight":
        "output_norm.weight", "lm_head.weight": "output.weight"}
LLAMA_FTYPE_MOSTLY_Q4_K_M = 15  # llama.h


def gguf_name(hf_name: str) -> str | None:
    """llama.cpp's name for a Hugging Face tensor (None for ones it does not use)."""
    if hf_name in _TOP:
        return _TOP[hf_name]
    parts = hf_name.split(".", 3)
    if len(parts) == 4 and parts[:2] == ["model", "layers"] and parts[3] in _LAYER:
        return f"blk.{parts[2]}.{_LAYER[parts[3]]}"
    return None


def permute_rotary(weights: np.ndarray, heads: int) -> np.ndarray:
    """Half-split rotary rows (Hugging Face) to interleaved pairs (llama.cpp), per head."""
    rows = weights.shape[0]
    return (weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _tokenizer_metadata(model_dir: Path, rows: int) -> dict[str, Any]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    data = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    model = data["model"]
    if model.get("type") != "BPE":
        raise InputError(f"GGUF export supports byte-level BPE tokenizers, not {model['type']}")
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    vocab = dict(model["vocab"])
    special = set()
    for added in data.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
        if added.get("special"):
            special.add(added["id"])
    names = {i: t for t, i in vocab.items()}
    if max(names) >= rows:
        raise InputError(f"tokenizer has id {max(names)} but the model only {rows} rows")
    tokens, types = [], []
    for index in range(rows):
        if index in names:
            tokens.append(names[index])
            types.append(3 if index in special else 1)  # CONTROL / NORMAL
        else:
            tokens.append(f"[PAD{index}]")  # embedding padding past the tokenizer
            types.append(5)  # UNUSED
    return {"tokens": tokens, "types": types, "merges": merges,
            "bos": tokenizer.bos_token_id, "eos": tokenizer.eos_token_id,
            "pad": tokenizer.pad_token_id, "template": tokenizer.chat_template}


def _encode(name: str, tensor: np.ndarray, quant: str) -> tuple[np.ndarray, Any]:
    """The tensor as stored: norms and biases in f32; matrices in f16 or q8_0."""
    from gguf import GGMLQuantizationType, quants

    if tensor.ndim == 1:
        return tensor.astype(np.float32), None
    if quant == "q8_0" and tensor.shape[-1] % 32 == 0:
        kind = GGMLQuantizationType.Q8_0
        return quants.quantize(tensor.astype(np.float32), kind), kind
    return tensor.astype(np.float16), None


def write_gguf(model_dir: str | Path, output: str | Path, *, quant: str = "q8_0",
               name: str = "afs-student") -> Path:
    """Convert a merged Hugging Face folder (safetensors) to one GGUF file."""
    if quant not in QUANTS:
        raise InputError(f"--quant must be one of {', '.join(QUANTS)}, got {quant!r}")
    try:
        import gguf
    except ImportError:
        raise InputError("GGUF export needs the gguf package: pip install 'afs[gguf]'") from None
    model_dir, output = Path(model_dir), Path(output)
    if quant == "q4_k_m":
        f16 = write_gguf(model_dir, output.with_suffix(".f16.gguf"), quant="f16", name=name)
        _llama_quantize(f16, output, LLAMA_FTYPE_MOSTLY_Q4_K_M)
        f16.unlink()
        return output
    config = json.loads((model_dir / "config.json").read_text())
    architecture = (config.get("architectures") or ["?"])[0]
    if architecture not in _ARCHES:
        raise InputError(f"GGUF export supports {', '.join(_ARCHES)}, not {architecture}")
    arch, pre = _ARCHES[architecture]
    heads, kv_heads = config["num_attention_heads"], config.get("num_key_value_heads") or \
        config["num_attention_heads"]
    head_dim = config.get("head_dim") or config["hidden_size"] // heads
    tokens = _tokenizer_metadata(model_dir, config["vocab_size"])

    scratch = output.with_name(output.name + ".partial")
    writer = gguf.GGUFWriter(str(scratch), arch)
    writer.add_name(name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(float(config.get("rope_theta")
                                    or (config.get("rope_parameters") or {}).get("rope_theta")
                                    or 10000.0))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if quant == "q8_0"
                         else gguf.LlamaFileType.MOSTLY_F16)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens["tokens"])
    writer.add_token_types(tokens["types"])
    writer.add_token_merges(tokens["merges"])
    for key, adder in (("bos", writer.add_bos_token_id), ("eos", writer.add_eos_token_id),
                       ("pad", writer.add_pad_token_id)):
        if tokens[key] is not None:
            adder(tokens[key])
    if tokens["template"]:
        writer.add_chat_template(tokens["template"])

    from safetensors import safe_open

    tied = config.get("tie_word_embeddings", False)
    for shard in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(shard), "pt") as handle:
            for key in handle.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
                target = gguf_name(key)
                if target is None or (tied and target == "output.weight"):
                    continue
                tensor = handle.get_tensor(key).float().numpy()
                if arch == "llama" and key.endswith("q_proj.weight"):
                    tensor = permute_rotary(tensor, heads)
                elif arch == "llama" and key.endswith("k_proj.weight"):
                    tensor = permute_rotary(tensor, kv_heads)
                data, kind = _encode(target, tensor, quant)
                writer.add_tensor(target, data, raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    scratch.replace(output)
    return output


def _llama_quantize(source: Path, target: Path, ftype: int) -> None:
    try:
        import llama_cpp
    except ImportError:
        raise InputError("--quant q4_k_m needs llama.cpp's quantiser: pip install "
                         "llama-cpp-python (or use --quant q8_0 / f16)") from None
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    if llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), params) != 0:
        raise InputError(f"llama.cpp could not quantise {source}")
