"""GGUF export: readable by the gguf reader, tokenizer and chat template intact, weights equal."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from afs.errors import InputError
from afs.models.expert_tokens import SPECIAL_TOKENS
from afs.training.config import TrainConfig
from afs.training.export import export_run
from afs.training.sft import train_sft

gguf = pytest.importorskip("gguf", reason="GGUF export needs the gguf package (afs[gguf])")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from afs.training.tiny import build_tiny_causal_lm

    from .conftest import SYSTEM, sft_rows, write_jsonl

    tmp = tmp_path_factory.mktemp("gguf")
    base = build_tiny_causal_lm(tmp / "base", [SYSTEM, "LDA STA STZ INC"] * 8, vocab_size=300,
                                pad_vocab_to_multiple_of=64)
    data = write_jsonl(tmp / "train.jsonl", sft_rows())
    train_sft(TrainConfig(base=str(base), data=data, output_dir=tmp / "run", max_steps=2,
                          add_expert_tokens=True))
    return export_run(tmp / "run", tmp / "out", name="din-tiny", system_prompt=SYSTEM,
                      gguf_quant="f16")


def _field(reader, key):
    return reader.fields[key].contents()


def test_gguf_metadata_tokenizer_and_template(exported):
    from transformers import AutoTokenizer

    reader = gguf.GGUFReader(str(exported.gguf))
    tokenizer = AutoTokenizer.from_pretrained(str(exported.merged_dir))
    rows = _field(reader, "llama.vocab_size")
    assert _field(reader, "general.architecture") == "llama"
    assert _field(reader, "tokenizer.ggml.model") == "gpt2"
    assert _field(reader, "tokenizer.chat_template") == tokenizer.chat_template
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type")
    assert len(tokens) == rows > len(tokenizer)  # the padded rows are kept, marked unused
    assert types[-1] == 5
    for token in SPECIAL_TOKENS:
        index = tokenizer.convert_tokens_to_ids(token)
        assert tokens[index] == token and types[index] == 3  # control tokens
    assert _field(reader, "tokenizer.ggml.eos_token_id") == tokenizer.eos_token_id
    assert f"FROM {exported.gguf.resolve()}" in exported.modelfile.read_text()


def test_gguf_tensors_equal_the_merged_weights(exported):
    from safetensors.numpy import load_file

    from afs.training.gguf_export import permute_rotary

    weights = load_file(str(next(exported.merged_dir.glob("*.safetensors"))))
    reader = gguf.GGUFReader(str(exported.gguf))
    stored = {t.name: np.asarray(t.data) for t in reader.tensors}
    assert np.allclose(stored["token_embd.weight"], weights["model.embed_tokens.weight"],
                       atol=1e-3)
    assert np.allclose(stored["output.weight"], weights["lm_head.weight"], atol=1e-3)
    q = weights["model.layers.1.self_attn.q_proj.weight"]
    assert np.allclose(stored["blk.1.attn_q.weight"], permute_rotary(q, 4), atol=1e-3)
    assert not np.allclose(permute_rotary(q, 4), q)
    assert len(stored) == 2 + 1 + 2 * 9  # embeddings, head, final norm; 9 per layer


def test_q8_0_dequantises_close_to_the_weights(exported, tmp_path):
    from gguf import quants
    from safetensors.numpy import load_file

    from afs.training.gguf_export import write_gguf

    path = write_gguf(exported.merged_dir, tmp_path / "m.q8_0.gguf", quant="q8_0")
    reader = gguf.GGUFReader(str(path))
    tensor = next(t for t in reader.tensors if t.name == "token_embd.weight")
    assert tensor.tensor_type.name == "Q8_0"
    values = quants.dequantize(tensor.data, tensor.tensor_type)
    weights = load_file(str(next(exported.merged_dir.glob("*.safetensors"))))
    reference = weights["model.embed_tokens.weight"]
    assert np.abs(values - reference).max() <= np.abs(reference).max() / 100


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None,
                    reason="llama-cpp-python is installed: q4_k_m works")
def test_q4_k_m_without_llama_cpp_is_a_clear_error(exported, tmp_path):
    from afs.training.gguf_export import write_gguf

    with pytest.raises(InputError, match=r"needs llama\.cpp's quantiser"):
        write_gguf(exported.merged_dir, tmp_path / "m.gguf", quant="q4_k_m")


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="llama-cpp-python is not installed (the e2e extra)")
def test_llama_cpp_loads_it_with_the_expert_tokens_and_quantises_q4_k_m(exported, tmp_path):
    import llama_cpp
    from transformers import AutoTokenizer

    from afs.training.gguf_export import write_gguf

    tokenizer = AutoTokenizer.from_pretrained(str(exported.merged_dir))
    model = llama_cpp.Llama(model_path=str(exported.gguf), n_ctx=128, verbose=False)
    for token in SPECIAL_TOKENS:
        assert model.tokenize(token.encode(), add_bos=False, special=True) == [
            tokenizer.convert_tokens_to_ids(token)]
    text = "LDA $10\nSTA $7EF36D"
    assert model.tokenize(text.encode(), add_bos=False) == tokenizer(
        text, add_special_tokens=False).input_ids
    completion = model.create_completion("LDA", max_tokens=4, temperature=0.0)
    assert completion["usage"]["completion_tokens"] >= 1
    q4 = write_gguf(exported.merged_dir, tmp_path / "m.q4_k_m.gguf", quant="q4_k_m")
    assert q4.stat().st_size < exported.gguf.stat().st_size
    assert llama_cpp.Llama(model_path=str(q4), n_ctx=64, verbose=False).n_vocab() == \
        model.n_vocab()
