"""Prompt generation (deterministic, diverse, self-contained, benchmark-disjoint) and dedup."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from afs.asm.extract import normalize_code
from afs.distillation.prompts import (
    DEBUG_FAMILIES,
    DOMAINS,
    OPTIMIZE_FAMILIES,
    BenchmarkExclusion,
    PromptGenerator,
    is_self_contained,
)
from afs.neardup import MinHasher, NearDuplicateIndex, similarity


def test_prompts_are_a_pure_function_of_seed_and_index():
    first, again, other = PromptGenerator(7), PromptGenerator(7), PromptGenerator(8)
    assert [first.prompt(i) for i in range(50)] == [again.prompt(i) for i in range(50)]
    assert first.prompt(3) == PromptGenerator(7).prompt(3)  # no hidden state between indices
    assert sum(first.prompt(i).id == other.prompt(i).id for i in range(50)) < 5


def test_prompts_are_diverse_and_cover_every_domain_and_family():
    generator = PromptGenerator(0)
    specs = [generator.prompt(i) for i in range(2000)]
    domains = Counter(s.domain for s in specs)
    assert set(domains) == set(DOMAINS)
    families = {(s.domain, s.family) for s in specs}
    assert {f for d, f in families if d == "optimize"} == set(OPTIMIZE_FAMILIES)
    assert {f for d, f in families if d == "debug"} == set(DEBUG_FAMILIES)
    code_specs = [s for s in specs if s.domain != "alttp"]
    assert len({s.id for s in code_specs}) >= 0.97 * len(code_specs)
    assert max(Counter(s.user for s in code_specs).values()) <= 2


def test_every_prompt_is_self_contained():
    generator = PromptGenerator(1)
    for i in range(1000):
        spec = generator.prompt(i)
        assert is_self_contained(spec.user), spec.user
        if spec.code is not None:
            assert spec.code in spec.user


@pytest.mark.parametrize("text, expected", [
    ("Optimise this routine.", False),
    ("Please paste your code and I will look.", False),
    ("What does the following code do?", False),
    ("Optimise this routine.\n\n```asm\nLDA #$00\n```", True),
    ("Write a routine that clears $10.", True),
    ("Explain how NMI works in A Link to the Past.", True),
])
def test_self_contained_detection(text: str, expected: bool):
    assert is_self_contained(text) is expected


def test_alttp_entity_questions_use_the_given_entities():
    generator = PromptGenerator(0, domains=["alttp"], entities=[(0x7EF36D, "health_current")])
    specs = [generator.prompt(i) for i in range(40)]
    entity = [s for s in specs if s.family == "entity"]
    assert entity and all("$7EF36D" in s.user and "health current" in s.user for s in entity)


def test_unknown_domain_is_rejected():
    with pytest.raises(ValueError, match="unknown domains"):
        PromptGenerator(0, domains=["poetry"])


def test_generated_code_assembles():
    assembler = pytest.importorskip("afs.asm.assembler", reason="afs.asm.assembler not built yet")
    generator = PromptGenerator(2, domains=["optimize", "debug", "explain"])
    for i in range(300):
        spec = generator.prompt(i)
        assembler.assemble(spec.code, filename=f"<prompt {i}>", base=0x008000)


def test_benchmark_exclusion_matches_normalised_code(tmp_path: Path):
    spec = PromptGenerator(0, domains=["optimize"]).prompt(0)
    bench = tmp_path / "din"
    bench.mkdir()
    reformatted = spec.code.lower().replace("    ", "\t") + "  ; a comment\n"
    (bench / "benchmark.jsonl").write_text(json.dumps({"id": "din_001", "code": reformatted})
                                           + "\n")
    exclusion = BenchmarkExclusion(tmp_path)
    assert exclusion.files == [bench / "benchmark.jsonl"]
    assert exclusion.excludes(spec.code)
    assert not exclusion.excludes(PromptGenerator(0, domains=["optimize"]).prompt(1).code)
    assert not BenchmarkExclusion(tmp_path / "absent").excludes(spec.code)


def test_normalize_code():
    source = "Loop:  lda #$00   ; clear\n\n   sta $10 : rts\n"
    assert normalize_code(source) == "LOOP: LDA #$00\nSTA $10\nRTS"


def test_minhash_estimates_jaccard():
    hasher = MinHasher(num_perm=120)
    base = " ".join(f"word{i}" for i in range(200))
    changed = base.replace("word100", "other").replace("word150", "x")
    unrelated = " ".join(f"thing{i}" for i in range(200))
    assert similarity(hasher.signature(base), hasher.signature(base)) == 1.0
    assert similarity(hasher.signature(base), hasher.signature(changed)) > 0.85
    assert similarity(hasher.signature(base), hasher.signature(unrelated)) < 0.1


def test_near_duplicate_index_finds_near_copies_only():
    index = NearDuplicateIndex(0.8)
    text = ("The routine loads the accumulator from the timer variable, subtracts one, and "
            "stores it back, branching to the reset path when it reaches zero.")
    assert index.check_and_add("a", text) is None
    assert index.check_and_add("b", text.replace("subtracts one", "subtracts 1")) == "a"
    assert index.check_and_add("c", "A completely different explanation of DMA registers "
                               "and how channel seven copies tiles into VRAM.") is None
    assert len(index) == 2
