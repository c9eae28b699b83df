"""Equivalence checker: the labelled set (100% required), the API, and bsnes agreement."""

from __future__ import annotations

import random

import pytest

from afs.asm.cpu import CpuState
from afs.asm.equivalence import check_equivalent, parse_live_out, parse_preconditions
from afs.asm.machine import run_snippet
from afs.errors import InputError
from tests.analysis.equiv_pairs import PAIRS


def test_labelled_set_is_big_and_balanced() -> None:
    assert len(PAIRS) >= 60
    assert len({p.id for p in PAIRS}) == len(PAIRS)
    eq = sum(p.equivalent for p in PAIRS)
    assert 30 <= eq <= len(PAIRS) - 30


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_labelled_pair(pair) -> None:
    for seed in (1, 2):
        result = check_equivalent(pair.original, pair.candidate, live_out=pair.live,
                                  preconditions=pair.pre, trials=64, seed=seed)
        assert result.equivalent is pair.equivalent, (
            pair.note, result.counterexample.to_dict() if result.counterexample else None)


def test_counterexample_names_the_first_difference() -> None:
    r = check_equivalent("asl a\nlsr a", "and #$FE", live_out="a", preconditions="m=1")
    assert not r.equivalent
    cx = r.counterexample
    assert cx is not None and cx.difference.startswith("A:")
    assert set(cx.initial) >= {"a", "x", "y", "s", "dp", "dbr", "p", "e", "memory"}
    assert cx.original["a"] != cx.candidate["a"]
    # shrinking keeps only what is needed: X and Y play no part and end up zero
    assert cx.initial["x"] == "$0000" and cx.initial["y"] == "$0000"
    d = r.to_dict()
    assert d["equivalent"] is False and d["counterexample"]["first_difference"] == cx.difference


def test_metrics_and_never_slower() -> None:
    r = check_equivalent("lda #$00\nsta $10", "stz $10", live_out="mem", preconditions="m=1")
    assert r.equivalent and r.never_slower()
    o, c = r.metrics["original"], r.metrics["candidate"]
    assert (o.bytes, c.bytes) == (4, 2)
    assert o.cycles_min == 5 and c.cycles_min == 3       # D low byte 0
    assert o.cycles_max == 6 and c.cycles_max == 4       # D low byte non-zero
    assert r.trials == 64


def test_widths_are_inferred_from_immediates_unless_disabled() -> None:
    r = check_equivalent("lda #$00\nsta $10", "stz $10", live_out="mem")
    assert r.equivalent and r.preconditions == {"m": 1}
    r = check_equivalent("lda #$00\nsta $10", "stz $10", live_out="mem", infer_widths=False)
    assert not r.equivalent   # with M=0 the one-byte immediate misdecodes


def test_endless_loop_runs_under_a_budget() -> None:
    r = check_equivalent("-\nbra -", "nop", max_instructions=500, trials=4)
    assert not r.equivalent and "budget" in r.counterexample.difference


def test_external_calls_are_stubbed() -> None:
    stubs = {"GetValue": "lda #$05\nrts"}
    r = check_equivalent("jsr GetValue\nsta $10", "lda #$05\nsta $10", live_out="a,mem",
                         preconditions="m=1", stubs=stubs)
    assert r.equivalent
    r = check_equivalent("jsr GetValue\nsta $10", "lda #$06\nsta $10", live_out="mem",
                         preconditions="m=1", stubs=stubs)
    assert not r.equivalent


def test_scratch_bytes_are_ignored() -> None:
    assert not check_equivalent("stz $00\nstz $10", "stz $10", live_out="mem").equivalent
    assert check_equivalent("stz $00\nstz $10", "stz $10", live_out="mem",
                            preconditions="dp=0,m=1", scratch=[0x7E0000]).equivalent


def test_parsers_reject_bad_names() -> None:
    assert parse_live_out("a,c,mem").flags == 0x01
    assert parse_preconditions("m=1,x=0,dbr=$7E") == {"m": 1, "x": 0, "dbr": 0x7E}
    with pytest.raises(InputError):
        parse_live_out("a,q")
    with pytest.raises(InputError):
        parse_preconditions("m=2")
    with pytest.raises(InputError):
        parse_preconditions("zz=1")


# --- agreement with the bsnes oracle ------------------------------------------------------


def _state(rng: random.Random, pre: dict[str, int]) -> CpuState:
    e = pre.get("e", 0)
    p = rng.randrange(256)
    for flag, bit in {"n": 0x80, "v": 0x40, "m": 0x20, "x": 0x10, "d": 0x08, "i": 0x04,
                      "z": 0x02, "c": 0x01}.items():
        if flag in pre:
            p = p | bit if pre[flag] else p & ~bit
    if e:
        p |= 0x30
    p |= 0x04        # the oracle runs with interrupts off; keep I set
    x, y = rng.randrange(0x10000), rng.randrange(0x10000)
    if p & 0x10:
        x, y = x & 0xFF, y & 0xFF
    s = 0x0100 | rng.randrange(0xC0, 0x100) if e else rng.randrange(0x1F00, 0x1FF0)
    return CpuState(a=rng.randrange(0x10000), x=x, y=y, s=s, d=pre.get("dp", rng.choice(
        (0, 0x0100, 0x1234))), dbr=pre.get("dbr", rng.choice((0, 0x7E, 0x7F))), p=p, e=e)


def _discover(code: str, state: CpuState, memory: dict[int, int], rng: random.Random):
    for _ in range(20):
        r = run_snippet(code, init=state, memory=memory, max_instructions=20_000)
        fresh = r.uninitialized_reads - set(memory)
        if not fresh:
            return r
        for a in fresh:
            memory[a] = rng.randrange(256)
    return r


def _wram(a: int) -> bool:
    return 0x7E0000 <= a < 0x7FFF00


def test_oracle_agrees_with_our_final_states(snes_oracle) -> None:
    rng = random.Random(5)
    cases, ours, meta = [], [], []
    compared_pairs = 0
    for pair in PAIRS:
        pre = parse_preconditions(pair.pre)
        result = check_equivalent(pair.original, pair.candidate, live_out=pair.live,
                                  preconditions=pair.pre, seed=1)
        pre = {**result.preconditions, **pre}
        states = [_state(rng, pre) for _ in range(3)]
        if result.counterexample is not None:
            ini = result.counterexample.initial
            states.append(CpuState(a=int(ini["a"][1:], 16), x=int(ini["x"][1:], 16),
                                   y=int(ini["y"][1:], 16), s=int(ini["s"][1:], 16),
                                   d=int(ini["dp"][1:], 16), dbr=int(ini["dbr"][1:], 16),
                                   p=int(ini["p"][1:], 16) | 0x04, e=ini["e"]))
        runnable = True
        batch = []
        for state in states:
            memory: dict[int, int] = {}
            runs = [_discover(code, state, memory, rng) for code in (pair.original,
                                                                     pair.candidate)]
            runs = [run_snippet(code, init=state, memory=memory) for code in (pair.original,
                                                                              pair.candidate)]
            touched = set(memory) | {a for r in runs for a, _, _ in r.writes}
            if any(r.io_writes or r.io_reads or r.stop_reason != "end" for r in runs) or not all(
                    _wram(a) for a in touched):
                runnable = False
                break
            batch.append((state, memory, runs, sorted(touched)))
        if not runnable:
            continue
        compared_pairs += 1
        for state, memory, runs, watch in batch:
            for code, run in zip((pair.original, pair.candidate), runs, strict=True):
                cases.append({"code": code, "watch": [[a, 1] for a in watch],
                              "init": {"a": state.a, "x": state.x, "y": state.y, "s": state.s,
                                       "d": state.d, "dbr": state.dbr, "p": state.p,
                                       "e": state.e, "ram": {str(a): v for a, v in
                                                             memory.items()}}})
                ours.append(run)
                meta.append((pair.id, watch))
    assert compared_pairs >= 50, compared_pairs
    results = snes_oracle.run_cases(cases)
    mismatches = []
    for case, got, run, (pid, watch) in zip(cases, results, ours, meta, strict=True):
        assert "error" not in got, (pid, got)
        st = run.state
        mine = {"a": st.a, "x": st.x, "y": st.y, "s": st.s, "d": st.d, "dbr": st.dbr,
                "p": st.p | (0x30 if st.e else 0), "e": st.e}
        theirs = {k: got[k] for k in mine}
        ram_ok = all(got["ram"][f"0x{a:06X}"] == run.final_memory(a) for a in watch)
        if mine != theirs or not ram_ok:
            mismatches.append((pid, case["code"], mine, theirs))
    assert not mismatches, mismatches[:3]
