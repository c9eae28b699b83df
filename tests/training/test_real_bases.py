"""What a real base needs: padded vocabularies, its own dtype, precision and memory options."""

from __future__ import annotations

import importlib.util
import json

import pytest

from afs.errors import InputError
from afs.models.expert_tokens import SPECIAL_TOKENS
from afs.training.config import TrainConfig
from afs.training.export import export_run, load_trained
from afs.training.sft import train_sft

from .conftest import SYSTEM, write_jsonl

# Expert tokens in the prompt (input embedding) and in the answer (output head).
EXPERT_ROWS = [
    {"messages": [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"<EXPERT_RESPONSE>STZ ${i:02X}</EXPERT_RESPONSE> next?"},
        {"role": "assistant", "content": f"<INVOKE_EXPERT:din>LDA #$00 : STA ${i:02X}"
                                         "</INVOKE_EXPERT>"},
    ]}
    for i in range(0x10, 0x14)
]
TEXTS = [SYSTEM, "LDA STA STZ next", "Optimize: LDA #$00 then STA $10"] * 8


@pytest.fixture(scope="module")
def padded_base(tmp_path_factory):
    """Qwen2.5's shape in small: 64-row padding past the tokenizer, weights saved in bf16."""
    from afs.training.tiny import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("padded"), TEXTS, vocab_size=300,
                                pad_vocab_to_multiple_of=64, dtype="bfloat16")


@pytest.fixture(scope="module")
def padded_run(padded_base, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("padded_run")
    data = write_jsonl(tmp / "train.jsonl", EXPERT_ROWS)
    train_sft(TrainConfig(base=str(padded_base), data=data, output_dir=tmp / "run",
                          max_steps=6, lr=1e-2, add_expert_tokens=True))
    return tmp / "run"


def _weights(folder):
    from safetensors import safe_open

    tensors = {}
    for path in sorted(folder.glob("*.safetensors")):
        with safe_open(str(path), "pt") as handle:
            tensors.update({key: handle.get_tensor(key) for key in handle.keys()})  # noqa: SIM118
    return tensors


def test_padded_base_is_really_padded(padded_base):
    from transformers import AutoTokenizer

    rows = json.loads((padded_base / "config.json").read_text())["vocab_size"]
    tokens = len(AutoTokenizer.from_pretrained(str(padded_base)))
    assert rows % 64 == 0 and tokens + len(SPECIAL_TOKENS) <= rows


def test_expert_tokens_train_in_padding_rows_of_embedding_and_head(padded_base, padded_run):
    import torch
    from transformers import AutoTokenizer

    run = json.loads((padded_run / "afs_train.json").read_text())
    base_rows = json.loads((padded_base / "config.json").read_text())["vocab_size"]
    assert run["vocab_rows"] == base_rows  # no resize: the tokens took padding rows
    tokenizer = AutoTokenizer.from_pretrained(str(padded_run / "adapter"))
    ids = tokenizer.convert_tokens_to_ids(list(SPECIAL_TOKENS))
    assert max(ids) < base_rows
    adapter = json.loads((padded_run / "adapter" / "adapter_config.json").read_text())
    assert sorted(adapter["trainable_token_indices"]) == ["lm_head", "model.embed_tokens"]
    for indices in adapter["trainable_token_indices"].values():
        assert sorted(ids) == sorted(indices)

    base = _weights(padded_base)
    model, _ = load_trained(padded_run)
    trained = {k: v for k, v in model.merge_and_unload().state_dict().items()}
    known = min(ids)
    text = json.dumps(EXPERT_ROWS)
    used = [i for token, i in zip(SPECIAL_TOKENS, ids, strict=True) if token in text]
    assert len(used) == 4
    # Every output row gets a gradient through the softmax; input rows only when used.
    for name, rows in (("model.embed_tokens.weight", used), ("lm_head.weight", ids)):
        # New rows start at the mean of the real tokens' rows; training must move each one.
        start = base[name][:known].float().mean(dim=0).to(torch.bfloat16).float()
        moved = (trained[name][torch.tensor(rows)].float() - start).abs().sum(dim=1)
        assert (moved > 0).all(), name
        untouched = torch.tensor([i for i in range(base_rows) if i not in ids])
        assert torch.equal(trained[name][untouched], base[name][untouched])


def test_export_keeps_padded_shape_and_bf16(padded_base, padded_run, tmp_path):
    import torch

    result = export_run(padded_run, tmp_path / "out", name="din-test")
    base, merged = _weights(padded_base), _weights(result.merged_dir)
    assert {k: v.shape for k, v in merged.items()} == {k: v.shape for k, v in base.items()}
    assert {v.dtype for v in merged.values()} == {torch.bfloat16}
    config = json.loads((result.merged_dir / "config.json").read_text())
    assert config["vocab_size"] == json.loads((padded_base / "config.json").read_text())[
        "vocab_size"]
    assert not (tmp_path / "out" / "merged.partial").exists()


def test_export_writes_shards_when_asked(padded_run, tmp_path):
    from afs.training.export import merge_adapter

    merge_adapter(padded_run, tmp_path / "merged", max_shard_size="40KB")
    shards = list((tmp_path / "merged").glob("*.safetensors"))
    assert len(shards) > 1
    index = json.loads((tmp_path / "merged" / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == {p.name for p in shards}


def test_unpadded_base_grows_to_a_multiple_and_trains_both_matrices(tiny_base, tmp_path):
    from transformers import AutoTokenizer

    data = write_jsonl(tmp_path / "train.jsonl", EXPERT_ROWS)
    train_sft(TrainConfig(base=str(tiny_base), data=data, output_dir=tmp_path / "run",
                          max_steps=2, add_expert_tokens=True))
    run = json.loads((tmp_path / "run" / "afs_train.json").read_text())
    tokens = len(AutoTokenizer.from_pretrained(str(tmp_path / "run" / "adapter")))
    assert run["vocab_rows"] % 64 == 0 and run["vocab_rows"] >= tokens
    adapter = json.loads((tmp_path / "run" / "adapter" / "adapter_config.json").read_text())
    assert sorted(adapter["trainable_token_indices"]) == ["lm_head", "model.embed_tokens"]


def test_precision_is_resolved_for_the_hardware(monkeypatch):
    import torch

    from afs.training.model_io import resolve_precision

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("bf16") == "bf16"
    with pytest.raises(InputError, match="fp16 needs a CUDA GPU"):
        resolve_precision("fp16")
    with pytest.raises(InputError, match="--precision must be one of"):
        resolve_precision("fp8")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # a T4
    assert resolve_precision("auto") == "fp16"
    with pytest.raises(InputError, match="no bf16"):
        resolve_precision("bf16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_precision("auto") == "bf16"


def test_training_arguments_follow_precision_and_checkpointing(tmp_path):
    from afs.training.sft import training_arguments

    config = TrainConfig(base="x", data=tmp_path / "d", output_dir=tmp_path / "o",
                         precision="bf16", gradient_checkpointing=True)
    args = training_arguments(config, has_eval=False)
    assert args["bf16"] is True and args["fp16"] is False
    flag = next(k for k in args if k.endswith("_checkpointing"))
    assert args[flag] is True and args[f"{flag}_kwargs"] == {"use_reentrant": False}


def test_checkpointing_and_eager_attention_train(tiny_base, sft_data, tmp_path):
    result = train_sft(TrainConfig(base=str(tiny_base), data=sft_data,
                                   output_dir=tmp_path / "run", max_steps=3, lr=1e-2,
                                   gradient_checkpointing=True, attn_implementation="eager"))
    assert result.steps == 3 and result.train_loss[-1][1] < result.train_loss[0][1]


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is not None,
                    reason="bitsandbytes is installed: the missing-package error cannot show")
def test_4bit_without_bitsandbytes_is_a_clear_input_error(tiny_base, sft_data, tmp_path):
    with pytest.raises(InputError, match="need bitsandbytes"):
        train_sft(TrainConfig(base=str(tiny_base), data=sft_data, output_dir=tmp_path / "r",
                              max_steps=1, load_in_4bit=True))


def test_4bit_and_8bit_together_are_refused(tiny_base, sft_data, tmp_path):
    with pytest.raises(InputError, match="one of --load-in-4bit and --load-in-8bit"):
        train_sft(TrainConfig(base=str(tiny_base), data=sft_data, output_dir=tmp_path / "r",
                              max_steps=1, load_in_4bit=True, load_in_8bit=True))
