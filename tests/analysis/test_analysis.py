"""CFG, width tracking through REP/SEP/PLP/XCE, stack depth, constants and liveness."""

from __future__ import annotations

from afs.asm.analysis import ENTRY, analyze_source
from afs.asm.liveness import bits


def _at(an, text):
    return next(i for i in an.instrs if i.text == text)


def test_cfg_blocks_exits_entries_and_calls() -> None:
    src = "Main:\njsr Sub\nlda $10\nbeq +\ninc $11\n+\nrts\nSub:\nlda #$01\nrtl\nOrphan:\nrts"
    _, an = analyze_source(src)
    cfg = an.cfg
    names = [an.instrs[e].labels for e in cfg.entries]
    assert names == [("Main",), ("Sub",), ("Orphan",)]
    assert cfg.call_targets == {_at(an, "lda #$01").index: "JSR"}
    beq = _at(an, "beq +")
    assert sorted(cfg.succ[beq.index]) == [beq.index + 1, _at(an, "rts").index]
    assert {cfg.exits[i] for i in cfg.exits} == {"rts", "rtl"}
    assert _at(an, "inc $11").index in cfg.leaders


def test_widths_through_rep_sep_plp_and_merges() -> None:
    src = ("php\nrep #$30\nlda #$1234\nsep #$20\nplp\nlda $10\nbeq +\nrep #$20\n+\nnop\n"
           "clc\nxce\nnop")
    _, an = analyze_source(src)
    st = an.before
    assert st[_at(an, "lda #$1234").index].m == 16
    assert st[_at(an, "plp").index].m == 8
    assert st[_at(an, "lda $10").index].m == ENTRY        # PLP restored the caller's width
    assert st[an.instrs[-4].index].m is None              # paths (ENTRY, 16) meet at `nop`
    assert st[an.instrs[-1].index].e == 0                 # CLC : XCE -> native


def test_emulation_mode_forces_8_bit() -> None:
    _, an = analyze_source("sec\nxce\nrep #$30\nnop")
    nop = an.before[an.instrs[-1].index]
    assert nop.e == 1 and nop.m == 8 and nop.x == 8


def test_stack_depth_and_symbolic_pulls() -> None:
    src = "phb\npea $7E7E\nplb\nplb\nlda $C500\nplb\nrts"
    _, an = analyze_source(src)
    lda = an.before[_at(an, "lda $C500").index]
    assert lda.depth == 1 and lda.dbr == 0x7E
    ret = an.before[_at(an, "rts").index]
    assert ret.depth == 0 and ret.dbr == ENTRY            # PLB restored the caller's bank


def test_constants_and_carry_refinement() -> None:
    src = "sep #$30\ncld\nlda #$05\nclc\nadc #$03\ntax\ncmp #$10\nbcc +\nnop\n+\nrts"
    _, an = analyze_source(src)
    assert an.before[_at(an, "tax").index].a == 8
    assert an.before[_at(an, "cmp #$10").index].xv == 8
    assert an.before[_at(an, "nop").index].c == 1           # fall-through of BCC: carry set


def test_liveness_sees_through_to_the_next_definition() -> None:
    _, an = analyze_source("sep #$20\nlda #$01\nsta $10\nlda #$02\nsta $11\nclc\nrts",
                           live_out=0)
    first_sta = _at(an, "sta $10").index
    assert an.is_dead(first_sta, "A", "N", "Z")              # redefined by the next LDA
    assert not an.is_dead(first_sta, "V")                     # live until the RTS
    assert an.is_dead(first_sta, "C")                         # CLC redefines it first
    assert an.live_after[_at(an, "lda #$01").index] & bits("A")


def test_live_out_applies_only_at_the_end() -> None:
    _, an = analyze_source("sep #$20\nlda #$01\nsta $10", live_out=bits("A"))
    assert not an.is_dead(_at(an, "sta $10").index, "A")
    assert an.is_dead(_at(an, "sta $10").index, "N", "Z")
