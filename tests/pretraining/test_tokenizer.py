"""The domain tokenizer: round trips, whole mnemonics and literals, specials, determinism."""

from __future__ import annotations

from pathlib import Path

from transformers import PreTrainedTokenizerFast

from afs.models.expert_tokens import SPECIAL_TOKENS
from afs.pretraining.corpus_builder import iter_texts
from afs.pretraining.tokenizer import load_tokenizer, pretokenize, train_tokenizer

SAMPLE = """\
; Refill: health to max. é ü → unicode survives too
RefillHealth:
{
    SEP #$20
    LDA.l $7EF36C : STA.l $7EF36D  ; max -> current
    LDX.b #$0F
.loop
    LDA.w $0DD0,x : BEQ +
    STZ.w $0DD0,x
+   DEX : BPL .loop
\tlda #%00101100
    !speed = $20
    RTL
}
"""


def test_pretokenizer_keeps_assembly_units_whole() -> None:
    units = [u.strip() for u in pretokenize("    LDA.b #$20 : STA.l $7EF36D,x ; ok\n")]
    assert units == ["", "LDA", ".b", "#$20", "", ":", "STA", ".l", "$7EF36D", ",x", ";", "ok", ""]
    assert "!speed" in [u.strip() for u in pretokenize("!speed = $20")]
    assert ".loop" in [u.strip() for u in pretokenize("    BNE .loop")]
    assert "".join(pretokenize(SAMPLE)) == SAMPLE


def test_round_trip_and_whole_tokens(tokenizer_dir: Path, built_corpus: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_dir)
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    texts = [*list(iter_texts(built_corpus, "validation")), SAMPLE]
    for text in texts:
        ids = tokenizer(text)["input_ids"]
        assert tokenizer.decode(ids, skip_special_tokens=True) == text
    tokens = [t.lstrip("Ġ") for t in tokenizer.tokenize("    LDA.l $7EF36D\n    SEP #$20\n")]
    for unit in ("LDA", "$7EF36D", "SEP", "#$20", ".l"):
        assert unit in tokens, (unit, tokens)
    # No token ever straddles two pre-tokenizer units: every token lies inside one unit.
    encoding = tokenizer(SAMPLE, add_special_tokens=False, return_offsets_mapping=True)
    bounds = set()
    position = 0
    for unit in pretokenize(SAMPLE):
        bounds.add(position)
        position += len(unit)
    bounds.add(position)
    for start, end in encoding["offset_mapping"]:
        # The space the normaliser puts in front of a line maps back onto the newline
        # before it: a line's first token may begin there, and nowhere else across a unit.
        inside = [b for b in bounds
                  if start < b < end and not (SAMPLE[start] == "\n" and b == start + 1)]
        assert not inside, (start, end, SAMPLE[start:end])


def test_special_tokens_include_expert_tokens(tokenizer_dir: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_dir)
    for token in ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", *SPECIAL_TOKENS):
        assert token in tokenizer.all_special_tokens
    text = (
        "<INVOKE_EXPERT:din>optimize LDA $10</INVOKE_EXPERT>"
        "<EXPERT_RESPONSE>ok</EXPERT_RESPONSE>"
    )
    pieces = tokenizer.tokenize(text)
    assert pieces[0] == "<INVOKE_EXPERT:din>"
    assert "</INVOKE_EXPERT>" in pieces and "<EXPERT_RESPONSE>" in pieces
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.decode(ids[1:-1]) == text


def test_a_mnemonic_is_one_token_at_the_start_too(tokenizer_dir: Path) -> None:
    tokenizer = load_tokenizer(tokenizer_dir)
    inline = tokenizer.tokenize("    LDA $10\n    STA $11")
    for text in ("LDA $10\nSTA $11", "LDA $10\n    STA $11", "    LDA $10\nSTA $11"):
        assert [t for t in tokenizer.tokenize(text) if t.strip("Ġ")] == [
            t for t in inline if t.strip("Ġ")], text
        assert tokenizer.decode(tokenizer(text)["input_ids"], skip_special_tokens=True) == text


def test_training_is_deterministic(tmp_path: Path, built_corpus: Path) -> None:
    first = train_tokenizer(iter_texts(built_corpus), vocab_size=600, output_dir=tmp_path / "a")
    second = train_tokenizer(iter_texts(built_corpus), vocab_size=600, output_dir=tmp_path / "b")
    assert first.get_vocab() == second.get_vocab()
    a = (tmp_path / "a" / "tokenizer.json").read_bytes()
    assert a == (tmp_path / "b" / "tokenizer.json").read_bytes()
    sampled = [
        train_tokenizer(iter_texts(built_corpus), vocab_size=600, seed=seed, sample_fraction=0.5)
        for seed in (1, 1, 2)
    ]
    assert sampled[0].get_vocab() == sampled[1].get_vocab() != sampled[2].get_vocab()
