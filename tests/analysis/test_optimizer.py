"""Peephole optimiser: each rule on its shape, its precondition respected, and the property
test: for thousands of random snippets optimize(x) is equivalent to x and never slower."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from afs.asm.equivalence import check_equivalent
from afs.asm.optimizer import RULES, optimize
from tests.analysis.snippet_gen import random_snippet

# (rule, source, live_out, expected source after optimising)
EXAMPLES = [
    ("stz", "sep #$20\nlda #$00\nsta $10\nsta $11", "mem", "sep #$20\nstz $10\nstz $11"),
    ("dead-load", "sep #$30\nldx #$05\nlda $10\nsta $11", "mem", "sep #$30\nlda $10\nsta $11"),
    ("redundant-load", "sep #$20\nlda $10\nsta $11\nlda $10\nsta $12", None,
     "sep #$20\nlda $10\nsta $11\nsta $12"),
    ("redundant-flag", "sep #$20\nlda $10\ncmp #$00\nbeq +\ninc $11\n+\nclc", None,
     "sep #$20\nlda $10\nbeq +\ninc $11\n+\nclc"),
    ("rep-sep", "sep #$20\nsep #$10\nnop", None, "sep #$30\nnop"),
    ("rep-sep", "rep #$10\nsep #$30\nnop", None, "sep #$30\nnop"),
    ("rep-sep", "sep #$20\nlda $10\nsep #$20\nsta $11", None, "sep #$20\nlda $10\nsta $11"),
    ("inc-dec", "sep #$20\nlda $10\nclc\nadc #$01\nsta $10", "mem", "sep #$20\ninc $10"),
    ("inc-dec", "sep #$20\nlda $10\nsec\nsbc #$01\nsta $11", "a,n,z,mem",
     "sep #$20\nlda $10\ndec a\nsta $11"),
    ("branch-over-branch", "sep #$20\nlda $10\nbeq Skip\nbra Out\nSkip:\ninc $11\nOut:", None,
     "sep #$20\nlda $10\nbne Out\nSkip:\ninc $11\nOut:"),
    ("tail-call", "jsr Outer\nbra End\nOuter:\njsr Inner\nrts\nInner:\ninc $10\nrts\nEnd:",
     None, "jsr Outer\nbra End\nOuter:\njmp Inner\nInner:\ninc $10\nrts\nEnd:"),
    ("double-via-asl", "sep #$20\nlda $10\nsta $00\nclc\nadc $00\nsta $12", "mem",
     "sep #$20\nlda $10\nsta $00\nasl a\nsta $12"),
    ("paired-store-16", "sep #$20\nrep #$10\nlda #$34\nsta $10\nlda #$12\nsta $11", "mem",
     "sep #$20\nrep #$10\nldx #$1234\nstx $10"),
    ("dead-store", "sep #$20\nlda #$05\nsta $10\nlda #$06\nsta $10", None,
     "sep #$20\nlda #$06\nsta $10"),
]


@pytest.mark.parametrize("rule,source,live,expected", EXAMPLES,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(EXAMPLES)])
def test_rule_example(rule: str, source: str, live: str | None, expected: str) -> None:
    result = optimize(source, live_out=live)
    assert rule in {r.rule for r in result.rewrites}
    assert result.source.strip() == expected
    check = check_equivalent(source, result.source, live_out=live, preconditions="d=0")
    assert check.equivalent and check.never_slower()


@pytest.mark.parametrize("source,live", [
    ("sep #$20\nlda #$00\nsta $10", None),                       # A live at the end
    ("sep #$20\nlda $10\nclc\nadc #$01\nsta $10", None),          # A live: no INC $10
    ("sep #$20\nlda $10\ncmp #$00\nbeq +\ninc $11\n+", None),      # carry live at the end
    ("sep #$20\nlda #$80\nsta $2100\nsta $2100", "mem"),           # I/O: both writes stay
    ("sep #$20\nlda $10\nsta $11\nlda $10", "a"),                  # no change needed anyway
    ("jsr Sub\nrts\nSub:\nlda $01,s\nsta $10\nrts", None),         # callee reads its frame
])
def test_preconditions_block_unsafe_rewrites(source: str, live: str | None) -> None:
    result = optimize(source, live_out=live)
    check = check_equivalent(source, result.source, live_out=live, preconditions="d=0")
    assert check.equivalent
    if "sta $2100" in source:
        assert result.source.count("sta $2100") == 2
    if "lda $01,s" in source:
        assert "jsr Sub" in result.source


def test_decimal_assumption_can_be_turned_off() -> None:
    src = "sep #$20\nclc\nadc #$01"
    assert "inc a" in optimize(src, live_out="a").source
    assert "inc a" not in optimize(src, live_out="a", assume_decimal_clear=False).source
    assert "inc a" in optimize("sep #$20\ncld\nclc\nadc #$01", live_out="a",
                               assume_decimal_clear=False).source


def test_comments_labels_and_untouched_lines_survive() -> None:
    src = "Main: ; entry\n  sep #$20 ; 8-bit A\n  lda #$00\n  sta $10 ; clear\n  rts"
    out = optimize(src).source
    assert out.startswith("Main: ; entry\n  sep #$20 ; 8-bit A")
    assert out.rstrip().endswith("rts")


def test_verify_reports_metrics() -> None:
    result = optimize("sep #$20\nlda #$00\nsta $10\nlda #$00\nsta $11", live_out="mem",
                      verify=True)
    assert result.verified is not None and result.verified.equivalent
    assert result.bytes_before - result.bytes_after == 4
    assert result.verified.metrics["candidate"].cycles_mean < result.verified.metrics[
        "original"].cycles_mean


CHUNKS = 4
PER_CHUNK = 500


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_property_random_snippets(chunk: int) -> None:
    """2,000 random snippets in all: optimize(x) ~ x on 16 random states, never slower."""
    rng = random.Random(1000 + chunk)
    fired: Counter[str] = Counter()
    failures = []
    for k in range(PER_CHUNK):
        src = random_snippet(rng)
        live = rng.choice((None, "mem", "x,y,mem", "a,mem", "mem,c"))
        result = optimize(src, live_out=live)
        fired.update(r.rule for r in result.rewrites)
        if not result.rewrites:
            continue
        check = check_equivalent(src, result.source, live_out=live, preconditions="d=0",
                                 trials=16, seed=k)
        if not check.equivalent or not check.never_slower():
            failures.append((src, result.source, live, check.counterexample))
    assert not failures, failures[:2]
    assert set(fired) == set(RULES), set(RULES) - set(fired)
