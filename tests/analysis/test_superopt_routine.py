"""Din's whole-routine transformations (afs.asm.superopt_routine), the soundness fixes that
came with them, and a run of every transformed example on the real bsnes core."""

from __future__ import annotations

import random

import pytest

from afs.asm import superopt as so
from afs.asm.equivalence import check_equivalent
from afs.asm.isa import Mode
from afs.asm.optimizer import optimize
from afs.asm.superopt_routine import routine_pass
from afs.asm.superoptimizer import superoptimize

PRE = {"e": 0, "m": 1, "x": 1, "d": 0, "dp": 0, "dbr": 0x7E}

# (name of the transformation, source, live-out, entry state, objective)
EXAMPLES = [
    ("bank setup", "Get:\nPHB\nLDA #$7E\nPHA\nPLB\nLDA $F340\nSTA $0400,X\nLDA $F341\n"
     "STA $0480,X\nPLB\nRTS", "mem", {**PRE, "dbr": 0x00}, "cycles"),
    ("inline subroutine .set", "Main:\nLDA $10\nBEQ +\nJSR .set\n+\nRTS\n.set\nLDA #$05\n"
     "STA $0300\nRTS", "mem", PRE, "cycles"),
    ("multiply by shifts", "Row:\nLDA $10\nAND #$0F\nSTA $04\nCLC\nADC $04\nCLC\nADC $04\n"
     "CLC\nADC $04\nSTA $0300\nRTS", "mem", PRE, "cycles"),
    ("multiply by shifts", "Row:\nLDA $10\nAND #$07\nSTA $04\nLDY $04\nLDA #$00\n.mul\n"
     "CPY #$00\nBEQ .done\nCLC\nADC #$05\nDEY\nBRA .mul\n.done\nSTA $0300\nRTS", "mem", PRE,
     "cycles"),
    ("loop fusion", "Clear:\nLDX #$07\n.a\nSTZ $0300,X\nDEX\nBPL .a\nLDX #$07\n.b\n"
     "STZ $0340,X\nDEX\nBPL .b\nRTS", "mem", PRE, "bytes"),
    ("count-down loop", "Copy:\nLDY #$00\n.l\nLDA $0400,Y\nSTA $0500,Y\nINY\nCPY #$20\n"
     "BNE .l\nRTS", "mem", PRE, "cycles"),
    ("hoist loop constant", "Hide:\nLDX #$00\n.l\nLDA #$F0\nSTA $0801,X\nINX\nINX\nINX\n"
     "INX\nCPX #$20\nBNE .l\nRTS", "mem", PRE, "cycles"),
    ("block move", "Move:\nLDX #$00\n.c\nLDA $7E2000,X\nSTA $7F3000,X\nINX\nCPX #$40\n"
     "BNE .c\nRTL", "mem", PRE, "cycles"),
    ("16-bit pairs", "Put:\nLDA #$34\nSTA $0300\nLDA #$12\nSTA $0301\nSTZ $0302\n"
     "STZ $0303\nLDA #$01\nSTA $0304\nRTS", "mem", PRE, "bytes"),
    ("16-bit pairs", "Add:\nLDA $22\nCLC\nADC #$10\nSTA $22\nLDA $23\nADC #$02\nSTA $23\n"
     "LDA $20\nSEC\nSBC #$08\nSTA $20\nLDA $21\nSBC #$00\nSTA $21\nRTS", "mem", PRE,
     "cycles"),
    ("16-bit guarded add", "Buy:\nLDA $0360\nSEC\nSBC #$DE\nTAX\nLDA $0361\nSBC #$01\n"
     "BCC +\nSTA $0361\nSTX $0360\n+\nLDA $0360\nSTA $0362\nLDA $0361\nSTA $0363\nRTS",
     "mem", PRE, "cycles"),
    ("16-bit loop", "Words:\nLDX #$00\n.l\nLDA .t,X\nSTA $0300\nINX\nLDA .t,X\nSTA $0301\n"
     "INX\nCPX #$08\nBNE .l\nRTS\n.t\ndw $1234, $5678, $9ABC, $DEF0", "mem",
     {**PRE, "dbr": 0x00}, "cycles"),
    ("jump table", "Step:\nLDA $11\nAND #$07\nBEQ .s0\nCMP #$01\nBEQ .s1\nCMP #$02\n"
     "BEQ .s2\nCMP #$03\nBEQ .s3\nCMP #$04\nBEQ .s4\nRTS\n.s0\nINC $12\nRTS\n.s1\n"
     "STZ $12\nRTS\n.s2\nDEC $12\nRTS\n.s3\nLDA #$40\nSTA $12\nRTS\n.s4\nLDA #$41\n"
     "STA $13\nRTS", "mem", {**PRE, "dbr": 0x00}, "cycles"),
    ("table lookup", "Push:\nLDA $2F\nAND #$06\nBNE +\nLDA #$10\nSTA $27\nSTZ $28\n"
     "BRA .done\n+\nCMP #$02\nBNE +\nLDA #$F0\nSTA $27\nLDA #$01\nSTA $28\nBRA .done\n+\n"
     "CMP #$04\nBNE +\nSTZ $27\nLDA #$02\nSTA $28\nBRA .done\n+\nLDA #$08\nSTA $27\n"
     "LDA #$03\nSTA $28\n.done\nRTS", "mem", {**PRE, "dbr": 0x00}, "cycles"),
    ("index step", "Walk:\nLDY #$00\nLDX #$03\n.l\nLDA #$21\nSTA $0800,Y\nTYA\nCLC\n"
     "ADC #$04\nTAY\nDEX\nBPL .l\nRTS", "mem", PRE, "bytes"),
    ("read-modify-write", "Tick:\nLDA $0E10,X\nBEQ +\nSEC\nSBC #$01\nSTA $0E10,X\n+\nRTS",
     "mem", PRE, "bytes"),
    ("bit test", "Edge:\nLDA $F4\nAND #$80\nCMP #$80\nBNE +\nINC $0300\n+\nRTS", "mem",
     PRE, "cycles"),
    ("redundant reload", "Save:\nSTX $0FA0\nLDA $22\nSTA $0D10,X\nLDX $0FA0\nSTZ $0D20,X\n"
     "RTS", "mem", PRE, "cycles"),
    ("mode change undone", "Bcd:\nSED\nLDA $0300\nCLC\nADC #$01\nSTA $0300\nCLD\nSED\n"
     "LDA $0301\nADC #$00\nSTA $0301\nCLD\nRTS", "mem", PRE, "cycles"),
    ("branch over branch", "Pay:\nLDA $0300\nSEC\nSBC #$10\nBCS ++\nBRA +\n++\nSTA $0300\n"
     "INC $0301\n+\nRTS", "mem", PRE, "cycles"),
    ("sink store", "Cap:\nLDA $0300\nCLC\nADC #$08\nSTA $0300\nCMP $0301\nBCC +\n"
     "LDA $0301\nSTA $0300\n+\nRTS", "mem", PRE, "cycles"),
    ("bit set/clear", "Flags:\nLDA $9B\nAND #$BF\nSTA $9B\nLDA $9C\nORA #$02\nSTA $9C\nRTS",
     "mem", PRE, "cycles"),
    ("redundant width change", "Set:\nSEP #$30\nLDA #$01\nSTA $10\nRTS", "mem", PRE,
     "cycles"),
    ("drop push/pull", "Keep:\nPHX\nLDA $10\nSTA $0300,X\nPLX\nRTS", "mem", PRE, "cycles"),
    ("overwritten store", "Twice:\nSTZ $0300,X\nLDA #$01\nSTA $0301,X\nLDA #$02\n"
     "STA $0300,X\nRTS", "mem", PRE, "cycles"),
]


def _apply(source: str, live: str, pre: dict[str, int], objective: str):
    return routine_pass(source, live_out=live, pre=pre, objective=objective)


@pytest.mark.parametrize(("name", "source", "live", "pre", "objective"), EXAMPLES,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(EXAMPLES)])
def test_each_transformation_is_made_checked_and_cheaper(name, source, live, pre, objective):
    changes = _apply(source, live, pre, objective)
    assert name in [c.name for c in changes]
    result = changes[-1].source
    check = check_equivalent(source, result, live_out=live, preconditions=pre, trials=512,
                             seed=99, infer_widths=False)
    assert check.equivalent, check.counterexample
    before, after = check.metrics["original"], check.metrics["candidate"]
    if objective == "bytes":
        assert after.bytes < before.bytes
    else:
        assert after.cycles_mean < before.cycles_mean


@pytest.mark.parametrize(("source", "live", "refused"), [
    # The loop's index is read afterwards: counting down would leave another value in Y.
    ("Copy:\nLDY #$00\n.l\nLDA $0400,Y\nSTA $0500,Y\nINY\nCPY #$20\nBNE .l\nRTS", "y,mem",
     "count-down loop"),
    # Called from two places: inlining would duplicate, not save.
    ("Main:\nJSR .set\nJSR .set\nRTS\n.set\nLDA #$05\nSTA $0300\nRTS", "mem",
     "inline subroutine .set"),
    # X changes between the push and the pull.
    ("Keep:\nPHX\nINX\nSTZ $0300,X\nPLX\nRTS", "mem", "drop push/pull"),
    # A byte pair whose high half is stored before its low half: the order is I/O-visible.
    ("Put:\nLDA #$12\nSTA $2117\nLDA #$34\nSTA $2116\nSTZ $2119\nSTZ $2118\nRTS", "mem",
     "16-bit pairs"),
    # Reversing the copy overlaps itself: the checker refuses it.
    ("Slide:\nLDX #$00\n.l\nLDA $0301,X\nSTA $0300,X\nINX\nCPX #$10\nBNE .l\nRTS", "mem",
     "count-down loop"),
])
def test_a_transformation_whose_precondition_fails_is_not_made(source, live, refused):
    changes = _apply(source, live, PRE, "cycles")
    assert refused not in [c.name for c in changes]


def test_a_multiplication_whose_shifts_overflow_keeps_its_carries():
    # v is a full byte here: without the CLCs a carry out of ASL would leak into the ADC.
    source = ("Row:\nLDA $10\nSTA $04\nCLC\nADC $04\nCLC\nADC $04\nSTA $0300\nRTS")
    changes = _apply(source, "mem", PRE, "cycles")
    assert changes and changes[-1].source.count("clc") >= 1
    assert check_equivalent(source, changes[-1].source, live_out="mem", preconditions=PRE,
                            trials=512, seed=5, infer_widths=False).equivalent


# --- soundness fixes ---------------------------------------------------------------------

@pytest.mark.parametrize("pre", [{**PRE, "dp": 0x1000}, {**PRE, "dbr": 0x00, "dp": 0x0100}])
def test_stz_keeps_the_operand_size(pre):
    """`STA.w $10` is absolute: an STZ without the `.w` would be direct page (D + $10)."""
    for source in ("LDA #$00\nSTA.w $10", "LDA #$00\nSTA.w $10,X"):
        result = optimize(source, live_out="x,y,mem")
        assert result.rewrites and ".w" in result.source
        assert check_equivalent(source, result.source, live_out="x,y,mem", preconditions=pre,
                                trials=64, infer_widths=False).equivalent


@pytest.mark.parametrize("dbr", [0x00, 0x7E, None])
def test_a_long_store_of_zero_never_becomes_stz(dbr):
    """STZ has no long form: `STA $7EF373` may become `STZ $F373` only when DBR = $7E."""
    source = "LDA #$00\nSTA $7EF373\nRTS"
    pre = {**PRE, "dbr": dbr} if dbr is not None else {k: v for k, v in PRE.items()
                                                          if k != "dbr"}
    for result in (optimize(source, live_out="mem").source,
                   superoptimize(source, live_out="mem", preconditions=pre, budget=0.3).source):
        assert dbr == 0x7E or "stz" not in result.lower()
        assert check_equivalent(source, result, live_out="mem", preconditions=pre, trials=64,
                                infer_widths=False).equivalent


def test_an_instruction_a_define_wrote_is_left_alone():
    source = "!v = $10\nLDA #$00\nSTA.w !v"
    result = optimize(source, live_out="x,y,mem")
    assert result.source == source and not result.rewrites


def test_prove_treats_an_output_one_side_does_not_write_as_an_input():
    """`CLC` against nothing differs exactly when C was set on entry."""
    entry = so.Entry(m8=True, x8=True)
    clc = so.Op(so._INFO[("CLC", Mode.IMPLIED)])
    carry_live = so.Outputs(a=0, x=0, y=0, flags=0x01, memory=True)
    assert so.prove((clc,), (), entry, carry_live) is None
    assert so.prove((clc,), (), entry, so.Outputs(a=0, x=0, y=0, flags=0)) is not None


@pytest.mark.parametrize(("live", "stz"), [("mem", True), ("a,mem", False)])
def test_a_return_hands_back_only_the_live_out(live, stz):
    result = optimize("R:\nLDA #$00\nSTA $11\nRTS", live_out=live)
    assert ("stz" in result.source) is stz


def test_an_internal_subroutine_return_still_keeps_everything():
    # .sub's RTS returns into R, which reads A: the STZ rewrite would break that.
    source = "R:\nJSR .sub\nSTA $12\nRTS\n.sub\nLDA #$00\nSTA $11\nRTS"
    assert "stz" not in optimize(source, live_out="mem").source


def test_superoptimize_reports_routine_changes_with_their_check():
    source = EXAMPLES[0][1]
    result = superoptimize(source, live_out="mem", preconditions={**PRE, "dbr": 0x00},
                           budget=2.0)
    assert any(r.proof == "sampled" and "bank setup" in r.detail for r in result.rewrites)
    assert result.verified is not None and result.verified.equivalent


# --- the real core -----------------------------------------------------------------------


def _harness(source: str) -> str:
    """The oracle runs code that falls through its end: call the routine, then stop."""
    call = "jsl" if source.rstrip().endswith("RTL") else "jsr"
    name = source.split(":", 1)[0]
    return f"{call} {name}\nbra AfsOracleEnd\n{source}\nAfsOracleEnd:"


def test_every_transformed_example_agrees_on_the_bsnes_core(snes_oracle):
    """Each example and its transformed version, run on bsnes from the same random states
    (entry widths as stated), leave the same bytes in every RAM range they touch."""
    rng = random.Random(18)
    watch = [[0x7E0000, 0x30], [0x7E0300, 0x60], [0x7E0400, 0x100], [0x7E0500, 0x40],
             [0x7E0800, 0x40], [0x7E2000, 0x40], [0x7F3000, 0x40]]
    cases, names = [], []
    for name, source, live, pre, objective in EXAMPLES:
        changed = _apply(source, live, pre, objective)[-1].source
        for _ in range(4):
            p = 0x30 | 0x04 | (rng.randrange(256) & 0xC3)
            init = {"a": rng.randrange(0x10000), "x": rng.randrange(0x20),
                    "y": rng.randrange(0x100), "s": 0x1FF0, "d": 0, "dbr": pre.get("dbr", 0),
                    "p": p, "e": 0,
                    "ram": {str(0x7E0000 + a): rng.randrange(256)
                            for a in list(range(0x30)) + list(range(0x300, 0x360))
                            + list(range(0x400, 0x500)) + list(range(0xF340, 0xF342))}}
            init["ram"].update({str(0x7E2000 + a): rng.randrange(256) for a in range(0x40)})
            for code in (source, changed):
                cases.append({"code": _harness(code), "init": init, "watch": watch})
            names.append(name)
    results = snes_oracle.run_cases(cases)
    for name, before, after in zip(names, results[::2], results[1::2], strict=True):
        assert "error" not in before and "error" not in after, (name, before, after)
        assert before["ram"] == after["ram"], name


def test_scan_lists_a_guessed_entry_width_as_an_assumption(tmp_path):
    """A routine whose code does not show its widths is optimised under a guess (8-bit):
    its findings must say so, never appear as assumption-free."""
    from afs.asm.superoptimizer import scan

    (tmp_path / "bank.asm").write_text(
        "Shown:\nLDX #$02\nSTX $11\nLDA #$01\nSTA $10\nLDA $10\nSTA $12\nRTS\n\n"
        "Guessed:\nLDA $10\nSTA $11\nLDA $10\nSTA $12\nRTS\n")
    count, findings = scan(str(tmp_path), budget=5.0)
    by_name = {f.routine: f for f in findings}
    assert count == 2 and set(by_name) == {"Shown", "Guessed"}
    assert not any("guessed" in a for a in by_name["Shown"].assumptions)
    assert any("guessed" in a for a in by_name["Guessed"].assumptions)
    assert findings[-1].routine == "Guessed"   # assumption-free findings rank first


def test_a_width_change_is_never_removed_on_a_guessed_width():
    source = "Set:\nREP #$20\nLDA #$1234\nSTA $10\nSEP #$20\nRTS"
    stated = {**PRE, "m": 0}
    assert "redundant width change" in [c.name for c in _apply(source, "mem", stated, "cycles")]
    guessed = routine_pass(source, live_out="mem", pre=stated, guessed=frozenset({"m"}))
    assert "redundant width change" not in [c.name for c in guessed]
