"""The superoptimiser: window search with proofs, whole-routine passes, soundness on random
code (our equivalence checker, and the real bsnes core where the oracle is installed)."""

from __future__ import annotations

import random

import pytest

from afs.asm import superopt as so
from afs.asm.cpu import CpuState
from afs.asm.equivalence import check_equivalent
from afs.asm.isa import Mode
from afs.asm.machine import run_snippet
from afs.asm.superoptimizer import superoptimize
from tests.analysis.snippet_gen import random_snippet

DP0 = so.Entry(m8=True, x8=True, dp=0, dbr=0x7E)
NOTHING_LIVE = so.Outputs(a=0, x=0, y=0, flags=0)


def op(mnemonic: str, mode: Mode, operand: int | None = None) -> so.Op:
    return so.Op(so._INFO[mnemonic, mode], operand)


@pytest.mark.parametrize("window,expected,assumes", [
    ([op("LDA", Mode.IMMEDIATE_M, 0), op("STA", Mode.DIRECT, 0x10)], ["STZ.b $10"], []),
    ([op("LDA", Mode.DIRECT, 0x10), op("CLC", Mode.IMPLIED), op("ADC", Mode.IMMEDIATE_M, 1),
      op("STA", Mode.DIRECT, 0x10)], ["INC.b $10"], ["decimal flag clear"]),
    ([op("LDA", Mode.DIRECT, 0x10), op("CLC", Mode.IMPLIED), op("ADC", Mode.DIRECT, 0x10),
      op("STA", Mode.DIRECT, 0x12)], ["LDA.b $10", "ASL A", "STA.b $12"],
     ["decimal flag clear"]),
    ([op("LDA", Mode.ABSOLUTE_LONG, 0x7E0010), op("STA", Mode.ABSOLUTE_LONG, 0x7E0011)],
     ["LDA.b $10", "STA.b $11"], ["D = $0000"]),
])
def test_window_search_finds_and_proves(window, expected, assumes):
    found = so.search_window(window, DP0, NOTHING_LIVE)
    assert found is not None and found.lines(DP0) == expected
    assert found.proof == "exhaustive"
    assert found.states_checked == 1 << found.input_bits
    assert found.assumptions == assumes


def test_live_results_block_a_rewrite():
    # With A and the flags live, INC $10 would leave A and C different.
    window = [op("LDA", Mode.DIRECT, 0x10), op("CLC", Mode.IMPLIED),
              op("ADC", Mode.IMMEDIATE_M, 1), op("STA", Mode.DIRECT, 0x10)]
    found = so.search_window(window, DP0, so.Outputs())
    assert found is None or "INC.b $10" not in found.lines(DP0)


def test_unknown_direct_page_is_never_mixed_with_long_addresses():
    unknown_d = so.Entry(m8=True, x8=True, dp=None, dbr=0x7E)
    window = [op("LDA", Mode.ABSOLUTE_LONG, 0x7E0010), op("STA", Mode.DIRECT, 0x10)]
    assert not so.window_ok(window, unknown_d)


def test_a_sampled_check_is_reported_as_such():
    # Three 16-bit inputs (A and two memory words read) exceed the exhaustive bound.
    wide = so.Entry(m8=False, x8=True, dp=0, dbr=0x7E)
    before = (op("LDA", Mode.DIRECT, 0x10), op("CLC", Mode.IMPLIED),
              op("ADC", Mode.DIRECT, 0x12), op("STA", Mode.DIRECT, 0x14))
    found = so.prove(before, before, wide, NOTHING_LIVE)
    assert found is not None and found.proof == "sampled"
    assert found.input_bits > so.EXHAUSTIVE_BITS


def test_prove_rejects_a_wrong_rewrite():
    before = (op("LDA", Mode.DIRECT, 0x10), op("CLC", Mode.IMPLIED),
              op("ADC", Mode.IMMEDIATE_M, 1), op("STA", Mode.DIRECT, 0x10))
    wrong = (op("INC", Mode.DIRECT, 0x11),)
    assert so.prove(before, wrong, DP0, NOTHING_LIVE) is None


@pytest.mark.parametrize("source,pre,expected", [
    ("LDA $7E0002,X\nSTA $7E0022,X", "e=0,m=1,x=1,dp=0", "LDA.b $02,X\nSTA.b $22,X"),
    ("LDA $7E0010\nSTA $0011", "e=0,m=1,x=1,dp=0,dbr=$7E", "LDA.b $10\nSTA.b $11"),
])
def test_addressing_forms_shrink_when_every_index_reaches_the_same_bytes(source, pre,
                                                                        expected):
    result = superoptimize(source, live_out="mem,a,x,y,p", preconditions=pre, budget=0)
    assert result.source == expected
    assert all(r.proof == "exhaustive" and r.assumptions for r in result.rewrites)


def test_a_16bit_index_keeps_the_long_form():
    # With X up to $FFFF, $7E0002,X can reach $7F0001 while $02,X wraps in bank 0.
    source = "LDA $7E0002,X\nSTA $7E0022,X"
    result = superoptimize(source, live_out="mem", preconditions="e=0,m=1,x=0,dp=0",
                              budget=0)
    assert "$7E0002,X" in result.source


def test_unreachable_code_and_jumps_to_the_next_line_go():
    source = "LDA #$3C\nSTA $40\nBRA +\nLDA #$4D\nSTA $1541\n+"
    result = superoptimize(source, live_out="a,n,z,mem", preconditions="e=0,m=1,x=1",
                              budget=0)
    assert result.source.split() == ["LDA", "#$3C", "STA", "$40", "+"]
    assert result.verified is not None and result.verified.equivalent


def test_superoptimize_keeps_the_original_when_nothing_is_cheaper():
    source = "LDA $10\nSTA $11\nRTS"
    result = superoptimize(source, preconditions="e=0,m=1,x=1,d=0,dp=0", budget=0.5)
    assert result.source == source and not result.rewrites


def _sound_on_random_snippets(count: int, seed: int) -> list[tuple[str, str, str | None]]:
    rng = random.Random(seed)
    changed = []
    for _ in range(count):
        src = random_snippet(rng)
        live = rng.choice((None, "mem", "x,y,mem", "a,mem", "mem,c"))
        result = superoptimize(src, live_out=live, preconditions="e=0,d=0,dp=0,dbr=$7E",
                                  budget=0.3, seed=seed)
        if result.rewrites:
            check = check_equivalent(src, result.source, live_out=live,
                                     preconditions="e=0,d=0,dp=0,dbr=$7E", trials=512,
                                     seed=seed + 1, infer_widths=False)
            assert check.equivalent, (src, result.source, live, check.counterexample)
            changed.append((src, result.source, live))
    return changed


def test_sound_on_random_snippets():
    changed = _sound_on_random_snippets(30, seed=1234)
    assert len(changed) >= 10   # the search must actually act on this code



def test_rewrites_agree_on_the_bsnes_core(snes_oracle):
    """Every changed random snippet runs identically before and after on real bsnes: the
    bytes either version writes, from shared random states."""
    rng = random.Random(77)
    cases, pairs = [], 0
    for src, optimised, live in _sound_on_random_snippets(20, seed=4321):
        if live is None or "mem" not in live:
            continue
        for _ in range(3):
            state = CpuState(a=rng.randrange(0x10000), x=rng.randrange(0x100),
                             y=rng.randrange(0x100), s=0x1FF0, d=0, dbr=0x7E,
                             p=(rng.randrange(256) & ~0x08) | 0x04, e=0)
            memory = {0x7E0000 + a: rng.randrange(256) for a in range(0x00, 0x30)}
            memory.update({0x7E0300 + a: rng.randrange(256) for a in range(4)})
            runs = [run_snippet(code, init=state, memory=memory) for code in (src, optimised)]
            # Bytes below the stack pointer are free scratch (pushes that one version
            # makes and the other does not), as the equivalence checker treats them.
            watch = sorted({a for r in runs for a, _, _ in r.writes
                            if not 0x7E0000 + state.s - 0x100 <= a <= 0x7E0000 + state.s})
            if any(r.io_writes or not all(0x7E0000 <= a < 0x7E2000 for a, _, _ in r.writes)
                   for r in runs):
                continue
            for code in (src, optimised):
                cases.append({"code": code, "watch": [[a, 1] for a in watch],
                              "init": {"a": state.a, "x": state.x, "y": state.y, "s": state.s,
                                       "d": state.d, "dbr": state.dbr, "p": state.p, "e": 0,
                                       "ram": {str(a): v for a, v in memory.items()}}})
            pairs += 1
    assert pairs >= 5
    results = snes_oracle.run_cases(cases)
    for before, after in zip(results[::2], results[1::2], strict=True):
        assert "error" not in before and "error" not in after
        assert before["ram"] == after["ram"]


def test_stochastic_search_finds_a_proven_rewrite_of_a_long_window():
    window = [op("LDX", Mode.DIRECT, 0x10), op("TXA", Mode.IMPLIED), op("CLC", Mode.IMPLIED),
              op("ADC", Mode.IMMEDIATE_M, 1), op("STA", Mode.DIRECT, 0x11)]
    found = so.stochastic_search(window, DP0, NOTHING_LIVE, deadline=float("inf"), seed=3,
                                 max_steps=4_000)
    assert found is not None and found.proof == "exhaustive"
    assert so.cost(found.after, "cycles", True, True) < so.cost(tuple(window), "cycles",
                                                                  True, True)
    assert so.prove(tuple(window), found.after, DP0, NOTHING_LIVE) is not None
