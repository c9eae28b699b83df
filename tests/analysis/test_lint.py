"""Lint: every rule fires on its buggy routine and not on the clean twin; precision overall."""

from __future__ import annotations

import pytest

from afs.asm.lint import RULES, UNDECIDABLE, apply_fix, lint_source
from tests.analysis.lint_cases import CLEAN_ROUTINES, INFO_CASES, RULE_CASES

ALL_CASES = {**RULE_CASES, **INFO_CASES}


def test_every_rule_has_cases_and_a_category() -> None:
    assert set(RULES) - set(ALL_CASES) == {"E001"}   # E001 is "does not assemble"
    categories = {r.category for r in RULES.values()}
    for needed in ("mode_mismatch", "stack_imbalance", "branch_range", "carry_flag",
                   "register_corruption", "dma_issues", "vblank_timing", "interrupt_handling",
                   "bank_boundary", "addressing_mode", "signed_arithmetic", "comparison_logic",
                   "loop_termination", "off_by_one", "initialization", "16bit_operations",
                   "flag_state", "bit_manipulation", "subroutine_call", "timing_issues",
                   "memory_access", "pointer_bugs"):
        assert needed in categories, needed
    assert set(UNDECIDABLE) <= categories


@pytest.mark.parametrize("rule", sorted(ALL_CASES))
def test_rule_fires_on_buggy_routine(rule: str) -> None:
    buggy, line, _ = ALL_CASES[rule]
    found = [(f.rule, f.line) for f in lint_source(buggy).findings]
    assert (rule, line) in found, found


@pytest.mark.parametrize("rule", sorted(ALL_CASES))
def test_rule_silent_on_clean_twin(rule: str) -> None:
    _, _, clean = ALL_CASES[rule]
    found = [f.rule for f in lint_source(clean).findings]
    assert rule not in found, found


def test_precision_on_labelled_set() -> None:
    """Findings of warning/error severity that name the labelled bug, over all such findings."""
    true_pos = false_pos = 0
    for rule, (buggy, _line, clean) in RULE_CASES.items():
        for f in lint_source(buggy).by_severity("warning"):
            if f.rule == rule:
                true_pos += 1
            else:
                false_pos += 1
        false_pos += len(lint_source(clean).by_severity("warning"))
    for src in CLEAN_ROUTINES.values():
        false_pos += len(lint_source(src).by_severity("warning"))
    precision = true_pos / (true_pos + false_pos)
    assert true_pos >= len(RULE_CASES)
    assert precision >= 0.95, (true_pos, false_pos)


@pytest.mark.parametrize("name", sorted(CLEAN_ROUTINES))
def test_clean_routines_have_no_findings(name: str) -> None:
    assert lint_source(CLEAN_ROUTINES[name]).findings == []


@pytest.mark.parametrize("rule", ["M001", "S001", "C001", "F001", "F002", "I001", "A001",
                                  "Q002", "Z001", "G001", "B003"])
def test_fixes_remove_the_finding(rule: str) -> None:
    buggy, _, _ = ALL_CASES[rule]
    finding = next(f for f in lint_source(buggy).findings if f.rule == rule)
    assert finding.fix is not None
    fixed = apply_fix(buggy, finding.fix)
    after = lint_source(fixed)
    assert after.assembled
    assert rule not in [f.rule for f in after.findings]


def test_findings_carry_file_line_and_sentence() -> None:
    report = lint_source("lda $10\nadc #$05\nrts", filename="x.asm")
    (f,) = report.findings
    assert (f.file, f.line, f.rule, f.severity, f.category) == ("x.asm", 2, "F001", "warning",
                                                                 "carry_flag")
    assert f.message.endswith(".") and f.to_dict()["fix"]["new"] == ["clc", "adc #$05"]


def test_unassemblable_source_is_one_finding() -> None:
    report = lint_source("lda #$10\nfoo bar\n", filename="bad.asm")
    assert not report.assembled
    assert [(f.rule, f.line) for f in report.findings] == [("E001", 2)]


def test_large_file_lints(tmp_path) -> None:
    body = "\n".join(CLEAN_ROUTINES["save-restore"].replace("rts", "rts")
                     for _ in range(40))
    report = lint_source(body)
    assert report.assembled
    assert report.by_severity("warning") == []


# False positives found on the US ALTTP disassembly (reduced to minimal routines of our own).
@pytest.mark.parametrize("source", [
    # PHA and PLA at the caller's width; only a later AND.w says which width that is.
    "Routine:\n  PHA\n  LDA $10\n  STA $12\n  PLA\n  AND.w #$00FF\n  RTS\n",
    "Routine:\n  PHA\n  LDA.w #$0010\n  PLA\n  RTS\n",
    # No REP/SEP anywhere: one path's immediate only tells the caller's width.
    "Routine:\n  LDA $10\n  BEQ .skip\n  AND.w #$00FF\n  STA $12\n.skip\n  LDA.w #$0001\n  RTS\n",
    "Routine:\n  PHA\n  LDA $10\n  BEQ .skip\n  AND.w #$00FF\n  STA $12\n.skip\n  PLA\n"
    "  AND.w #$00FF\n  RTS\n",
])
def test_no_width_or_stack_finding_without_a_width_change(source):
    findings = lint_source(source).findings
    assert not [f for f in findings if f.rule in ("S003", "M002")], findings


@pytest.mark.parametrize(("source", "rule"), [
    ("Routine:\n  SEP #$20\n  PHA\n  REP #$20\n  PLA\n  RTS\n", "S003"),
    ("Routine:\n  LDA $10\n  BEQ .skip\n  REP #$20\n.skip\n  LDA #$0001\n  RTS\n", "M002"),
])
def test_real_width_changes_are_still_found(source, rule):
    assert rule in {f.rule for f in lint_source(source).findings}


@pytest.mark.parametrize(("label", "handler"), [
    ("NMI", True), ("IRQ", True), ("NMI_Handler", True), ("VBlankISR", True),
    ("Vector_NMI", True), ("NMI_UploadBG3Text", False), ("NMI_NoTileUpdates", False),
    ("IRQ_SetScroll", False),
])
def test_only_the_handler_itself_is_a_handler_by_name(label, handler):
    # A subroutine the NMI handler calls (NMI_Something) returns with RTS, rightly.
    findings = lint_source(f"{label}:\n  rep #$30\n  lda $10\n  sta $12\n  rts\n").findings
    assert ("I001" in {f.rule for f in findings}) is handler


@pytest.mark.parametrize(("source", "flagged"), [
    ("Routine:\n  sep #$20\n  lda #$01\n  sta $4216\n  rts\n", True),
    ("Routine:\n  rep #$20\n  stz $2133\n  sep #$20\n  rts\n", False),   # high byte -> $2134
    ("Routine:\n  asl $4216\n  rol $4217\n  rts\n", False),               # the read is the point
])
def test_read_only_register_stores(source, flagged):
    assert ("W001" in {f.rule for f in lint_source(source).findings}) is flagged


@pytest.mark.parametrize(("source", "rules", "absent"), [
    # A jump through the stack: push (target - 1), then RTS pops it on purpose.
    ("Routine:\n  rep #$30\n  lda $10\n  and #$00FF\n  asl a\n  tay\n  lda Table,y\n  dec a\n"
     "  pha\n  sep #$30\n  rts\nTable:\n  dw Routine, Routine\n", set(), "S001"),
    # Returning to the caller's caller: PLA PLA drops our return address (S004 says so).
    ("Routine:\n  lda $10\n  bne .inactive\n  lda $11\n  beq .active\n.inactive\n  pla\n"
     "  pla\n.active\n  rts\n", {"S004"}, "S002"),
    # A register saved at entry and never restored is still an error.
    ("Routine:\n  rep #$30\n  pha\n  lda $10\n  sta $12\n  lda $14\n  sta $16\n  rts\n",
     {"S001"}, None),
])
def test_stack_idioms_of_shipped_code(source, rules, absent):
    found = {f.rule for f in lint_source(source).findings}
    assert rules <= found
    assert absent is None or absent not in found


def test_a_width_assumed_across_a_call_is_not_an_error():
    # The callee returns with 8-bit A; the immediate after the call says so.
    after_call = {f.rule: f.severity for f in lint_source(
        "Routine:\n  rep #$30\n  jsl $018000\n  lda.b #$10\n  sta $10\n  rts\n").findings}
    assert "M001" not in after_call and after_call.get("M002") == "warning"
    plain = {f.rule for f in lint_source("Routine:\n  rep #$30\n  lda.b #$10\n  rts\n").findings}
    assert "M001" in plain


# Stack-depth disagreements at a join: an error only where it provably matters.
@pytest.mark.parametrize(("source", "rule", "line"), [
    # Push and restore a value only in one mode, the pull taken under the same test of $11
    # (shipped code does this): the lint cannot match the conditions, so a warning.
    ("Routine:\n  phb\n  lda $11\n  cmp #$12\n  bne .plain\n  lda $20\n  pha\n"
     ".plain\n  lda $22\n  sta $24\n  lda $11\n  cmp #$12\n  bne .exit\n  pla\n"
     "  sta $20\n.exit\n  plb\n  rtl\n", "S005", 9),
    # Every path on from the join pulls the same: the pushing path returns unbalanced.
    ("Routine:\n  lda $10\n  beq .skip\n  pha\n.skip\n  lda #$01\n  sta $12\n  rts\n",
     "S002", 6),
    ("Routine:\n  phb\n  lda $10\n  beq .skip\n  pha\n  pha\n.skip\n  pla\n  plb\n"
     "  rtl\n", "S002", 8),
    # A push under a condition inside a loop: every pass can add a byte.
    ("Routine:\n  ldx #$04\n.loop\n  lda $10,x\n  beq .next\n  pha\n.next\n  dex\n"
     "  bne .loop\n  rts\n", "S002", 8),
])
def test_stack_merge_is_an_error_only_where_it_provably_matters(source, rule, line):
    stack = [(f.rule, f.line) for f in lint_source(source).findings
             if f.rule in ("S002", "S005")]
    assert stack == [(rule, line)]


@pytest.mark.parametrize(("source", "flagged"), [
    # A word pushed, pulled back a byte at a time.
    ("Routine:\n  rep #$20\n  lda $10\n  pha\n  sep #$20\n  pla\n  sta $12\n  pla\n"
     "  sta $13\n  rts\n", False),
    # Two bytes pushed, pulled back as one word.
    ("Routine:\n  sep #$20\n  lda $10\n  pha\n  lda $11\n  pha\n  rep #$20\n  pla\n"
     "  sta $12\n  sep #$20\n  rts\n", False),
    # The callee returns with 8-bit X (the width after the call is only assumed).
    ("Routine:\n  sep #$30\n  phx\n  rep #$30\n  jsl $018000\n  plx\n  rts\n", False),
    # Half a word pulled, the other half left for the return to take.
    ("Routine:\n  rep #$20\n  pha\n  sep #$20\n  pla\n  rts\n", True),
    # One byte pushed, a word pulled: the second byte is the P pushed before it.
    ("Routine:\n  php\n  sep #$20\n  pha\n  rep #$20\n  pla\n  rts\n", True),
])
def test_pull_size_idioms(source, flagged):
    assert ("S003" in {f.rule for f in lint_source(source).findings}) is flagged


# A register pushed at the caller's width and pulled after REP/SEP: the pull says which
# width the routine is entered with; only the routine's own evidence can contradict it.
@pytest.mark.parametrize(("source", "flagged"), [
    ("Routine:\n  phx\n  sep #$30\n  lda $10\n  sta $12\n  rep #$30\n  plx\n  rts\n",
     False),
    ("Routine:\n  pha\n  lda $10\n  and.w #$00FF\n  sta $12\n  sep #$20\n  lda #$01\n"
     "  sta $14\n  rep #$20\n  pla\n  rts\n", False),
    # The entry width the code shows (LDA.b before any REP) is 8-bit, the pull takes two.
    ("Routine:\n  pha\n  lda.b #$01\n  sta $12\n  rep #$20\n  pla\n  rts\n", True),
    ("Routine:\n  phx\n  ldx.w #$0010\n  stx $12\n  sep #$10\n  plx\n  rts\n", True),
])
def test_push_at_the_callers_width(source, flagged):
    assert ("S003" in {f.rule for f in lint_source(source).findings}) is flagged


# More shapes of shipped code that ran fine (minimal routines of our own), each with the
# buggy twin the rule must still find.
@pytest.mark.parametrize(("source", "rule", "flagged"), [
    # A stack switch (TCS): what is pulled after it was pushed on the other stack.
    ("Handler:\n  rep #$30\n  lda $10\n  tcs\n  plb\n  pld\n  ply\n  plx\n  pla\n  rti\n",
     "S004", False),
    ("Routine:\n  lda $10\n  sta $12\n  plb\n  rts\n", "S004", True),
    # D restored by PLD from a stack this routine did not fill is not "moved by this routine".
    ("Handler:\n  rep #$30\n  lda $10\n  tcs\n  pld\n  rti\n", "A005", False),
    ("Routine:\n  rep #$20\n  lda #$4300\n  tcd\n  sep #$20\n  rts\n", "A005", True),
    # The tail of a handler (reached by a jump) restores what the entry saved.
    ("Tail:\n  rep #$30\n  lda $10\n  sta $12\n  ply\n  plx\n  pla\n  rti\n", "I002", False),
    ("Tail:\n  rep #$30\n  lda $10\n  sta $12\n  rti\n", "I002", True),
    # $02 is a variable of its own (INC), $92 the next pointer: neither is a bank byte.
    ("Routine:\n  lda $10\n  sta $00\n  lda $11\n  sta $01\n  stz $02\n  ldy #$00\n"
     "  lda ($00),y\n  inc $02\n  rts\n", "A001", False),
    ("Routine:\n  lda $10\n  sta $90\n  lda $11\n  sta $92\n  ldy #$00\n  lda #$01\n"
     "  sta ($90),y\n  sta ($92),y\n  rts\n", "A001", False),
    ("Routine:\n  lda $10\n  sta $00\n  lda $11\n  sta $01\n  lda #$7F\n  sta $02\n"
     "  ldy #$00\n  lda ($00),y\n  rts\n", "A001", True),
    # A pointer only advanced (INC of its low byte) is the caller's: its bank and high byte
    # are the caller's too.
    ("Routine:\n  ldy #$00\n  lda [$00],y\n  inc $00\n  lda [$00],y\n  rts\n", "A002", False),
    ("Routine:\n  ldy #$00\n  lda #$01\n  sta ($90),y\n  inc $90\n  sta ($90),y\n  rts\n",
     "A003", False),
    ("Routine:\n  lda #$00\n  sta $90\n  ldy #$00\n  lda ($90),y\n  rts\n", "A003", True),
    # The counter is loaded at the top of every pass: it is not the caller's.
    ("Routine:\n  ldy #$04\n.outer\n  ldx #$0E\n.inner\n  stz $20,x\n  dex\n  bpl .inner\n"
     "  dey\n  bpl .outer\n  rts\n", "R001", False),
    ("Routine:\n.outer\n  stz $20,x\n  dex\n  bpl .outer\n  rts\n", "R001", True),
    # A jump-table dispatch: the callee reads the table through the return address.
    ("Routine:\n  lda $10\n  jsl $008000\n  dw Routine, Routine\nOther:\n  rts\n", "C004",
     False),
    ("Routine:\n  lda $10\n  beq +\n  rts\n+\n  jsl $008000\n", "C004", True),
    # The operand states the WRAM bank the access assumes; a negative offset wraps.
    ("Routine:\n  lda #$01\n  sta.w $7E2522\n  rts\n", "B001", False),
    ("Routine:\n  rep #$30\n  ldy $10\n  lda #$3C61\n  sta.w $FFC0,y\n  sep #$30\n  rts\n",
     "B001", False),
    ("Routine:\n  lda #$01\n  sta $2522\n  rts\n", "B001", True),
])
def test_shipped_code_shapes(source, rule, flagged):
    assert (rule in {f.rule for f in lint_source(source).findings}) is flagged


@pytest.mark.parametrize(("source", "rule", "flagged"), [
    # Against #0 the difference is the value itself: a sign test that cannot overflow.
    ("Routine:\n  lda $10\n  cmp #$00\n  bpl +\n  stz $12\n+\n  rts\n", "N001", False),
    ("Routine:\n  lda $10\n  cmp #$10\n  bpl +\n  stz $12\n+\n  rts\n", "N001", True),
    # The carry of a compare kept across a DEC on purpose.
    ("Routine:\n  lda $10\n  cmp $11\n  beq +\n  dec a\n  bcs +\n  inc a\n+\n  sta $12\n"
     "  rts\n", "Q002", False),
    # Carry known from the branch just taken: BCS not taken, so SBC #$0F subtracts $10.
    ("Routine:\n  lda $10\n  cmp #$80\n  bcs +\n  sbc #$0F\n  sta $12\n+\n  rts\n", "F002",
     False),
    # EOR #$FFFF : SEC : ADC #n is n - A.
    ("Routine:\n  rep #$20\n  lda $10\n  eor #$FFFF\n  sec\n  adc #$0079\n  sta $12\n"
     "  sep #$20\n  rts\n", "F002", False),
    ("Routine:\n  lda $10\n  sec\n  adc #$05\n  sta $12\n  rts\n", "F002", True),
    # A countdown from 0 wraps round and covers everything; Table-2,X reaches element 0.
    ("Routine:\n  rep #$30\n  ldx #$0000\n  lda #$0000\n-\n  sta $7E2000,x\n  dex\n  dex\n"
     "  bne -\n  sep #$30\n  rts\n", "O002", False),
    ("Routine:\n  rep #$30\n  ldx #$002A\n-\n  lda Table-2,x\n  sta $1000,x\n  dex\n  dex\n"
     "  bne -\n  sep #$30\n  rts\nTable:\n  dw 1\n", "O002", False),
    # The loop sets the width back before looping; the first pass runs at the caller's.
    ("Routine:\n  ldy #$0F\n.next\n  lda $0E20,y\n  cmp.b #$1C\n  beq .skip\n  rep #$20\n"
     "  lda $10\n  sta $12\n.skip\n  sep #$20\n  dey\n  bpl .next\n  rts\n", "M002", False),
    # PHP on two paths with different carries: PLP still restores the width they agree on.
    ("Routine:\n  sep #$20\n  lda $10\n  cmp #$05\n  bcs +\n  clc\n+\n  php\n  rep #$20\n"
     "  lda $12\n  sta $14\n  plp\n  lda.b #$01\n  sta $16\n  rts\n", "M002", False),
])
def test_more_shipped_code_shapes(source, rule, flagged):
    assert (rule in {f.rule for f in lint_source(source).findings}) is flagged


@pytest.mark.parametrize(("source", "flagged"), [
    # REP #$20 ... SEP #$20 on one path: the author sets back the width they were in, the
    # caller's, which the other path keeps: both run the 8-bit immediate at 8 bits.
    ("Routine:\n  lda $10\n  bne .skip\n  rep #$20\n  lda $12\n  sta $14\n  sep #$20\n"
     ".skip\n  lda.b #$34\n  sta $16\n  rts\n", False),
    # A lone REP on one path: the author thought A might be 8-bit, the other path keeps it.
    ("Routine:\n  lda $10\n  bne .skip\n  rep #$20\n.skip\n  lda.w #$0034\n  sta $16\n"
     "  rts\n", True),
    # Set back to 8 bits, but the immediate assumes 16.
    ("Routine:\n  lda $10\n  bne .skip\n  rep #$20\n  lda $12\n  sep #$20\n.skip\n"
     "  lda.w #$0034\n  sta $16\n  rts\n", True),
])
def test_a_width_set_back_on_one_path(source, flagged):
    assert ("M002" in {f.rule for f in lint_source(source).findings}) is flagged


def test_a_plain_exit_and_a_stack_jump_may_share_one_rts():
    # Push (target - 1) and fall into the RTS that the early exit also uses.
    source = ("Routine:\n  lda $10\n  beq .exit\n  rep #$30\n  and #$00FF\n  asl a\n  tay\n"
              "  lda Table,y\n  dec a\n  pha\n  sep #$30\n.exit\n  rts\nTable:\n"
              "  dw Routine, Routine\n")
    stack = {f.rule for f in lint_source(source).findings} & {"S001", "S002", "S005"}
    assert not stack


@pytest.mark.parametrize(("source", "flagged"), [
    # X counts the loop; Y is an output offset the caller set, advanced with INY.
    ("Routine:\n  ldx #$02\n.next\n  lda $20,x\n  sta ($90),y\n  iny\n  dex\n  bpl .next\n"
     "  rts\n", False),
    ("Routine:\n.next\n  lda $20,x\n  sta ($90),y\n  iny\n  dex\n  bpl .next\n  rts\n", True),
])
def test_only_the_register_the_loop_tests_counts_it(source, flagged):
    assert ("R001" in {f.rule for f in lint_source(source).findings}) is flagged
