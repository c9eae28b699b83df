from __future__ import annotations

import pytest

from afs.errors import InputError
from afs.models.expert_tokens import SPECIAL_TOKENS
from afs.training.data import (
    IGNORE_INDEX,
    encode_conversation,
    load_dpo_examples,
    load_sft_examples,
    prepare_tokenizer,
)


def _tokenizer(path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def test_labels_cover_assistant_turns_only(tiny_base):
    tokenizer = _tokenizer(tiny_base)
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "Optimize: CLC then ADC #$01"},
        {"role": "assistant", "content": "INC A"},
        {"role": "user", "content": "and again"},
        {"role": "assistant", "content": "STZ $10"},
    ]
    encoded = encode_conversation(tokenizer, messages, seq_len=512)
    labelled = [t for t, label in zip(encoded["input_ids"], encoded["labels"], strict=True)
                if label != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == "INC A<|im_end|>\nSTZ $10<|im_end|>\n"
    assert encoded["labels"][0] == IGNORE_INDEX


def test_truncation_respects_seq_len(tiny_base):
    tokenizer = _tokenizer(tiny_base)
    messages = [{"role": "user", "content": "LDA $10 " * 200},
                {"role": "assistant", "content": "RTS"}]
    encoded = encode_conversation(tokenizer, messages, seq_len=32)
    assert len(encoded["input_ids"]) == 32 == len(encoded["labels"])


def test_expert_tokens_are_single_tokens(tiny_base):
    tokenizer = _tokenizer(tiny_base)
    before = len(tokenizer)
    added = prepare_tokenizer(tokenizer, add_expert_tokens=True)
    assert added == len(SPECIAL_TOKENS) and len(tokenizer) == before + added
    for token in SPECIAL_TOKENS:
        assert len(tokenizer(token, add_special_tokens=False).input_ids) == 1


def test_bad_sft_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "x"}, '
                    '{"role": "assistant", "content": "y"}]}\n{"messages": []}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: expected a non-empty 'messages'"):
        load_sft_examples(path)


def test_conversation_without_assistant_rejected(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "x"}]}\n')
    with pytest.raises(InputError, match=":1: conversation has no assistant turn"):
        load_sft_examples(path)


def test_bad_dpo_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "p", "chosen": "c"}\n')
    with pytest.raises(InputError, match=":1: expected non-empty string fields"):
        load_dpo_examples(path)
