"""Dynamic masking for masked-language-model training.

Masks are drawn afresh every time a block is batched, from a generator seeded by
(seed, epoch, block index): a block gets new masks each epoch, yet a run is reproducible
and a resumed run sees exactly the masks an uninterrupted one would. Only tokens marked
maskable are ever chosen: never [CLS], [SEP], [PAD], the other special tokens, or (unless
asked) pure layout tokens such as indentation and newlines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import torch

IGNORE_INDEX = -100


def maskable_table(tokenizer: Any, *, mask_whitespace: bool = False) -> torch.Tensor:
    """A bool lookup over the vocabulary: which token ids may be masked or sampled."""
    size = len(tokenizer)
    table = torch.ones(size, dtype=torch.bool)
    table[list(tokenizer.all_special_ids)] = False
    if not mask_whitespace:
        for token_id in range(size):
            if not tokenizer.decode([token_id]).strip():
                table[token_id] = False
    return table


def block_generator(seed: int, epoch: int, index: int) -> torch.Generator:
    """The generator that draws the masks of block `index` in `epoch`."""
    digest = hashlib.blake2b(f"{seed}:{epoch}:{index}".encode(), digest_size=8).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest, "little") >> 1)


def mask_block(
    input_ids: torch.Tensor,
    word_ids: torch.Tensor,
    maskable: torch.Tensor,
    *,
    probability: float,
    mask_token_id: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask one block (1-D tensors); return (masked input ids, labels).

    `word_ids` gives each position its word (-1 for positions that are not text): a word
    is chosen with `probability` and then all its maskable tokens are masked together,
    so giving every position its own word id is plain token masking. Of the chosen
    tokens 80% become [MASK], 10% a random maskable token and 10% stay as they are (the
    BERT recipe); labels are the original ids there and IGNORE_INDEX elsewhere.
    """
    length = input_ids.shape[0]
    candidates = maskable[input_ids] & (word_ids >= 0)
    word_draw = torch.rand(length + 1, generator=generator)
    chosen = (word_draw[word_ids.clamp(min=0, max=length)] < probability) & candidates
    action = torch.rand(length, generator=generator)
    pool = maskable.nonzero().squeeze(1)
    random_ids = pool[torch.randint(len(pool), (length,), generator=generator)]
    if not chosen.any() and candidates.any():
        # A block with no mask would contribute nothing and, alone, make the loss NaN.
        chosen[candidates.nonzero()[0, 0]] = True
    labels = torch.where(chosen, input_ids, IGNORE_INDEX)
    masked = input_ids.clone()
    masked[chosen & (action < 0.8)] = mask_token_id
    swap = chosen & (action >= 0.8) & (action < 0.9)
    masked[swap] = random_ids[swap]
    return masked, labels


class MaskingCollator:
    """Pads blocks into a batch and masks them (see `mask_block`).

    Samples are dicts with `index` (the block's position in its dataset), `input_ids`,
    `word_ids` and optionally `epoch` (else the collator's `epoch` is used: for
    evaluation, a fixed one, so that every evaluation sees the same masks).
    """

    def __init__(
        self,
        *,
        pad_token_id: int,
        mask_token_id: int,
        maskable: torch.Tensor,
        probability: float,
        whole_word: bool,
        seed: int,
        epoch: int = 0,
    ) -> None:
        self.pad_token_id = pad_token_id
        self.mask_token_id = mask_token_id
        self.maskable = maskable
        self.probability = probability
        self.whole_word = whole_word
        self.seed = seed
        self.epoch = epoch

    def __call__(self, samples: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        width = max(len(sample["input_ids"]) for sample in samples)
        batch_ids = torch.full((len(samples), width), self.pad_token_id, dtype=torch.long)
        batch_labels = torch.full((len(samples), width), IGNORE_INDEX, dtype=torch.long)
        attention = torch.zeros((len(samples), width), dtype=torch.long)
        for row, sample in enumerate(samples):
            epoch = self.epoch if sample.get("epoch") is None else sample["epoch"]
            ids = torch.as_tensor(sample["input_ids"], dtype=torch.long)
            if self.whole_word:
                words = torch.as_tensor(sample["word_ids"], dtype=torch.long)
            else:
                words = torch.where(
                    torch.as_tensor(sample["word_ids"]) >= 0, torch.arange(len(ids)), -1
                )
            masked, labels = mask_block(
                ids,
                words,
                self.maskable,
                probability=self.probability,
                mask_token_id=self.mask_token_id,
                generator=block_generator(self.seed, epoch, int(sample["index"])),
            )
            batch_ids[row, : len(ids)] = masked
            batch_labels[row, : len(ids)] = labels
            attention[row, : len(ids)] = 1
        return {"input_ids": batch_ids, "attention_mask": attention, "labels": batch_labels}
