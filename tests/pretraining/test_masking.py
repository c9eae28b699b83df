"""Dynamic masking: never special tokens, whole words together, the BERT 80/10/10 recipe."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.pretraining.corpus_builder import iter_texts
from afs.pretraining.encoder_trainer import _pack
from afs.pretraining.masking import (
    IGNORE_INDEX,
    MaskingCollator,
    block_generator,
    mask_block,
    maskable_table,
)
from afs.pretraining.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def setup(tokenizer_dir: Path, built_corpus: Path):
    tokenizer = load_tokenizer(tokenizer_dir)
    texts = list(iter_texts(built_corpus, "train"))[:40]
    packed = _pack(tokenizer, 64)({"text": texts})
    samples = [
        {"index": i, "input_ids": ids, "word_ids": words}
        for i, (ids, words) in enumerate(zip(packed["input_ids"], packed["word_ids"], strict=True))
    ]
    # Ragged batch: the last block is shorter, so padding is exercised too.
    samples[-1] = {**samples[-1], "input_ids": samples[-1]["input_ids"][:20],
                   "word_ids": samples[-1]["word_ids"][:20]}
    return tokenizer, samples


def _collator(tokenizer, *, probability=0.15, whole_word=True, seed=0, epoch=0, ws=False):
    return MaskingCollator(
        pad_token_id=tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id,
        maskable=maskable_table(tokenizer, mask_whitespace=ws), probability=probability,
        whole_word=whole_word, seed=seed, epoch=epoch,
    )


def test_packed_blocks_are_framed_and_carry_word_ids(setup) -> None:
    tokenizer, samples = setup
    for sample in samples[:-1]:
        ids, words = sample["input_ids"], sample["word_ids"]
        assert len(ids) <= 64 and len(ids) == len(words)
        assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
        special = set(tokenizer.all_special_ids)
        assert all((w == -1) == (i in special) for i, w in zip(ids, words, strict=True))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), epoch=st.integers(0, 50),
       probability=st.floats(0.05, 0.95), whole_word=st.booleans())
def test_special_and_padding_tokens_are_never_masked(
    setup, seed: int, epoch: int, probability: float, whole_word: bool
) -> None:
    tokenizer, samples = setup
    collator = _collator(tokenizer, probability=probability, whole_word=whole_word,
                         seed=seed, epoch=epoch)
    batch = collator(samples[-8:])
    special = torch.tensor(sorted(tokenizer.all_special_ids))
    original = torch.full_like(batch["input_ids"], tokenizer.pad_token_id)
    for row, sample in enumerate(samples[-8:]):
        original[row, : len(sample["input_ids"])] = torch.tensor(sample["input_ids"])
    chosen = batch["labels"] != IGNORE_INDEX
    assert not torch.isin(original[chosen], special).any()
    assert not chosen[batch["attention_mask"] == 0].any()
    # Special tokens and padding pass through unchanged; labels hold the original ids.
    keep = torch.isin(original, special)
    assert torch.equal(batch["input_ids"][keep], original[keep])
    assert torch.equal(batch["labels"][chosen], original[chosen])
    # Unchosen positions are never altered.
    assert torch.equal(batch["input_ids"][~chosen], original[~chosen])


def test_whole_words_are_masked_together_and_rates_match(setup) -> None:
    tokenizer, samples = setup
    maskable = maskable_table(tokenizer)
    chosen_total = candidates_total = mask_total = random_total = 0
    for index, sample in enumerate(samples[:-1] * 5):
        ids = torch.tensor(sample["input_ids"])
        words = torch.tensor(sample["word_ids"])
        masked, labels = mask_block(
            ids, words, maskable, probability=0.15, mask_token_id=tokenizer.mask_token_id,
            generator=block_generator(0, index, index),
        )
        chosen = labels != IGNORE_INDEX
        candidates = maskable[ids] & (words >= 0)
        for word in words[chosen].unique():
            in_word = (words == word) & candidates
            assert chosen[in_word].all()  # all of a chosen word's tokens, never part of it
        chosen_total += int(chosen.sum())
        candidates_total += int(candidates.sum())
        mask_total += int((masked[chosen] == tokenizer.mask_token_id).sum())
        random_total += int((masked[chosen] != ids[chosen]).sum())
    assert 0.10 < chosen_total / candidates_total < 0.20
    assert 0.72 < mask_total / chosen_total < 0.88
    assert 0.80 < random_total / chosen_total < 0.98  # [MASK] or a (usually different) token


def test_whitespace_is_maskable_only_on_request(setup) -> None:
    tokenizer, _ = setup
    newline = tokenizer.convert_tokens_to_ids("Ċ")
    assert not maskable_table(tokenizer)[newline]
    assert maskable_table(tokenizer, mask_whitespace=True)[newline]
    assert not maskable_table(tokenizer, mask_whitespace=True)[tokenizer.cls_token_id]


def test_masks_are_dynamic_yet_reproducible(setup) -> None:
    tokenizer, samples = setup
    first = _collator(tokenizer, epoch=0)(samples[:4])
    again = _collator(tokenizer, epoch=0)(list(reversed(samples[:4])))
    later = _collator(tokenizer, epoch=1)(samples[:4])
    # Same block, seed and epoch: same masks, whatever the batch order.
    assert torch.equal(first["labels"], again["labels"].flip(0))
    # Next epoch: new masks for the same blocks.
    assert not torch.equal(first["labels"], later["labels"])
