"""Reading AFS's exported training files and turning conversations into model inputs.

Inputs are the formats AFS exports: chatml lines `{"messages": [...]}` for SFT and
`{"prompt", "chosen", "rejected", "system"?}` lines for DPO. Loss is computed on assistant
turns only: every other token's label is -100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.jsonl import iter_jsonl
from afs.models.expert_tokens import SPECIAL_TOKENS

IGNORE_INDEX = -100

# ChatML, the template of Qwen2.5 and of what Ollama's ChatML models expect. Used only when
# the base tokenizer has no chat template of its own.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
CHATML_SPECIAL_TOKENS = ("<|im_start|>", "<|im_end|>")

_ROLES = ("system", "user", "assistant")


def load_sft_examples(path: str | Path) -> list[list[dict[str, str]]]:
    """Read chatml JSONL; each line must hold a `messages` list with an assistant turn."""
    conversations = []
    for index, record in enumerate(iter_jsonl(path), start=1):
        messages = record.get("messages")
        if not isinstance(messages, list) or not messages:
            raise InputError("expected a non-empty 'messages' list (chatml)", path=path, line=index)
        for message in messages:
            if (
                not isinstance(message, dict)
                or message.get("role") not in _ROLES
                or not isinstance(message.get("content"), str)
            ):
                raise InputError(
                    "each message needs 'role' (system|user|assistant) and string 'content'",
                    path=path,
                    line=index,
                )
        if not any(m["role"] == "assistant" for m in messages):
            raise InputError("conversation has no assistant turn to learn from", path=path,
                             line=index)
        conversations.append([{"role": m["role"], "content": m["content"]} for m in messages])
    if not conversations:
        raise InputError("no training examples found", path=path)
    return conversations


@dataclass(frozen=True)
class PreferencePair:
    prompt: str
    chosen: str
    rejected: str
    system: str | None = None


def load_dpo_examples(path: str | Path) -> list[PreferencePair]:
    """Read prompt/chosen/rejected JSONL (an optional `system` is kept)."""
    pairs = []
    for index, record in enumerate(iter_jsonl(path), start=1):
        fields = [record.get(key) for key in ("prompt", "chosen", "rejected")]
        if not all(isinstance(value, str) and value for value in fields):
            raise InputError(
                "expected non-empty string fields 'prompt', 'chosen' and 'rejected'",
                path=path,
                line=index,
            )
        system = record.get("system")
        pairs.append(PreferencePair(*fields, system=system if isinstance(system, str) else None))
    if not pairs:
        raise InputError("no preference pairs found", path=path)
    return pairs


def prepare_tokenizer(tokenizer: Any, *, add_expert_tokens: bool = False) -> int:
    """Give the tokenizer a chat template and pad token if it lacks them.

    Returns how many tokens were added, so the caller can resize the model's embeddings.
    """
    added_tokens: list[str] = []
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = CHATML_TEMPLATE
        vocab = tokenizer.get_vocab()
        added_tokens.extend(t for t in CHATML_SPECIAL_TOKENS if t not in vocab)
    if add_expert_tokens:
        vocab = tokenizer.get_vocab()
        added_tokens.extend(t for t in SPECIAL_TOKENS if t not in vocab)
    added = 0
    if added_tokens:
        added = tokenizer.add_special_tokens({"additional_special_tokens": added_tokens})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return added


def encode_conversation(
    tokenizer: Any, messages: Sequence[dict[str, str]], seq_len: int
) -> dict[str, list[int]]:
    """Tokenise a conversation; labels cover the assistant turns only.

    Assistant spans are found by rendering growing prefixes of the conversation with the
    tokenizer's own chat template, so this works for any template that renders a
    conversation as the concatenation of its turns.
    """
    full_text = tokenizer.apply_chat_template(list(messages), tokenize=False)
    spans: list[tuple[int, int]] = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(
            list(messages[:index]), tokenize=False, add_generation_prompt=True
        ) if index else ""
        through = tokenizer.apply_chat_template(list(messages[: index + 1]), tokenize=False)
        if not full_text.startswith(through) or not through.startswith(before):
            raise ValueError("the chat template does not render turns as a prefix sequence")
        spans.append((len(before), len(through)))
    encoded = tokenizer(
        full_text, add_special_tokens=False, return_offsets_mapping=True,
        truncation=True, max_length=seq_len,
    )
    labels = []
    for token_id, (start, end) in zip(encoded["input_ids"], encoded["offset_mapping"], strict=True):
        inside = any(lo <= start and end <= hi and end > start for lo, hi in spans)
        labels.append(token_id if inside else IGNORE_INDEX)
    return {"input_ids": list(encoded["input_ids"]), "labels": labels}


def pad_batch(features: list[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    """Right-pad a batch; padded labels are ignored and masked out of attention."""
    import torch

    width = max(len(f["input_ids"]) for f in features)
    input_ids, labels, attention = [], [], []
    for feature in features:
        pad = width - len(feature["input_ids"])
        input_ids.append(feature["input_ids"] + [pad_id] * pad)
        labels.append(feature["labels"] + [IGNORE_INDEX] * pad)
        attention.append([1] * len(feature["input_ids"]) + [0] * pad)
    return {
        "input_ids": torch.tensor(input_ids),
        "labels": torch.tensor(labels),
        "attention_mask": torch.tensor(attention),
    }
