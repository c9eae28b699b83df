"""The domain tokenizer: byte-level BPE behind an assembly-aware pre-tokenizer.

The pre-tokenizer cuts text into units a merge may never cross: a mnemonic or label, a hex,
binary or decimal literal with its `#` (`#$20`, `$7EF36D`), a size suffix (`.b/.w/.l`), an
index (`,x`/`,y`/`,s`), a local label or define (`.loop`, `!speed`), and runs of layout.
A single leading space stays glued to the next unit (as GPT-2 does) so that `LDA $10` costs
three tokens, not five. BPE then learns which whole units are frequent enough to be one
token. Byte-level encoding makes every input encodable and `decode(encode(text)) == text`.

A normaliser puts one space in front of every line (the decoder takes it away again), so a
mnemonic at the start of a query or of an unindented line is the same token (` LDA`) as
everywhere else, instead of falling apart into `L` `DA`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

from afs.errors import InputError
from afs.models.expert_tokens import SPECIAL_TOKENS as EXPERT_TOKENS

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
BASE_SPECIAL_TOKENS: tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK)
ALL_SPECIAL_TOKENS: tuple[str, ...] = (*BASE_SPECIAL_TOKENS, *EXPERT_TOKENS)

# One pattern, valid both for Python `re` (corpus statistics) and Oniguruma (the HF
# pre-tokenizer), so the statistics count exactly the units the tokenizer sees.
PRETOKEN_PATTERN = "|".join(
    (
        r" ?#?\$[0-9A-Fa-f]+",  # hex literal, immediate or address: #$20, $7EF36D
        r" ?#?%[01]+",  # binary literal
        r" ?#?[0-9]+(?![A-Za-z_])",  # decimal literal
        r"\.[bwlBWL](?![A-Za-z0-9_])",  # operand size suffix: LDA.b
        r",[xXyYsS](?![A-Za-z0-9_])",  # index register: ,x ,y ,s
        r" ?[!.@?#]?[A-Za-z_][A-Za-z0-9_]*",  # mnemonic, label, .local, !define, #label
        r" ?[A-Za-z0-9_]+",  # anything else word-like (e.g. 2bpp)
        r" ?;+",  # comment marker
        r"[ \t]+(?!\S)",  # indentation; leaves one space for the next unit
        r"[ \t]+",
        r"[\r\n]+",
        r" ?[^\sA-Za-z0-9_]",  # one punctuation character
    )
)
_PRETOKEN_RE = re.compile(PRETOKEN_PATTERN)

TOKENIZER_FILE = "tokenizer.json"


def pretokenize(text: str) -> list[str]:
    """Split `text` into the units the tokenizer never merges across."""
    return _PRETOKEN_RE.findall(text)


def count_pretokens(text: str) -> int:
    """How many pre-tokens `text` has (a lower bound on its token count)."""
    return len(_PRETOKEN_RE.findall(text))


def _new_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token=None, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKEN_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace("\n", "\n "), normalizers.Prepend(" ")]
    )
    # Text between special tokens is normalised piece by piece, so each piece after a
    # special token got its own leading space too.
    tokenizer.decoder = decoders.Sequence([
        decoders.ByteLevel(),
        *(decoders.Replace(f"{token} ", token) for token in ALL_SPECIAL_TOKENS),
        decoders.Replace("\n ", "\n"),
        decoders.Strip(" ", 1, 0),
    ])
    return tokenizer


def _wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    cls_id, sep_id = tokenizer.token_to_id(CLS), tokenizer.token_to_id(SEP)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}",
        pair=f"{CLS} $A {SEP} $B:1 {SEP}:1",
        special_tokens=[(CLS, cls_id), (SEP, sep_id)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=PAD,
        unk_token=UNK,
        cls_token=CLS,
        sep_token=SEP,
        mask_token=MASK,
        additional_special_tokens=list(EXPERT_TOKENS),
        clean_up_tokenization_spaces=False,
        model_input_names=["input_ids", "attention_mask"],
    )


def train_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 8192,
    min_frequency: int = 2,
    seed: int = 0,
    sample_fraction: float = 1.0,
    output_dir: str | Path | None = None,
) -> PreTrainedTokenizerFast:
    """Train the domain BPE tokenizer on `texts`; save it to `output_dir` when given.

    Training streams `texts`. `sample_fraction` < 1 keeps a seeded random subset of them
    (the only use of `seed`: the BPE trainer itself breaks ties deterministically), so the
    same texts, settings and seed always give the same vocabulary and merges.
    """
    if vocab_size < 300:
        raise InputError(f"vocab_size must be at least 300 (bytes + specials), got {vocab_size}")
    if not 0 < sample_fraction <= 1:
        raise InputError(f"sample_fraction must be in (0, 1], got {sample_fraction}")
    tokenizer = _new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(ALL_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_sample(texts, sample_fraction, seed), trainer=trainer)
    fast = _wrap(tokenizer)
    if output_dir is not None:
        fast.save_pretrained(str(output_dir))
    return fast


def _sample(texts: Iterable[str], fraction: float, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for text in texts:
        if fraction >= 1 or rng.random() < fraction:
            yield text


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a tokenizer saved by `train_tokenizer` (a `PreTrainedTokenizerFast` directory)."""
    from transformers import PreTrainedTokenizerFast

    path = Path(path).expanduser()
    if not (path / TOKENIZER_FILE).is_file():
        raise InputError(
            f"expected a tokenizer directory containing {TOKENIZER_FILE} "
            "(make one with `afs pretrain tokenizer`)",
            path=path,
        )
    return PreTrainedTokenizerFast.from_pretrained(str(path))
