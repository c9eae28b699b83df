"""Behaviour neither reference checks, pinned to the W65C816S datasheet (and hardware tests).

SingleStepTests here hold no interrupt, branch, MVN/MVP or pull vectors, and the bsnes oracle
cannot run BRK/COP/WAI/STP or report cycles; these tests cover that ground.
"""

from __future__ import annotations

import pytest

from afs.asm.cpu import Cpu, CpuState, ExecutionBudgetExceeded
from afs.asm.machine import Machine, PlainMemory, run_snippet


def machine_with(code: bytes, *, state: CpuState | None = None,
                 extra: list[tuple[int, bytes]] = ()) -> Machine:
    m = Machine()
    m.load_program([(0x008000, code), *extra])
    st = state or CpuState()
    st.pbr, st.pc = 0, 0x8000
    m.cpu.load_state(st)
    return m


VECTORS = [(0x00FFE4, b"\x00\x91"), (0x00FFE6, b"\x00\x90"), (0x00FFEA, b"\x00\x92"),
           (0x00FFEE, b"\x00\x93"), (0x00FFF4, b"\x00\xa1"), (0x00FFFE, b"\x00\xa0"),
           (0x00FFFA, b"\x00\xa2")]


def test_brk_native_pushes_pbr_pc_p_and_vectors_through_ffe6() -> None:
    m = machine_with(b"\xea\x00\x42", state=CpuState(s=0x1FF, p=0x0B), extra=VECTORS)
    r = m.run()
    assert r.stop_reason == "brk"
    assert r.state.pc == 0x9000 and r.state.pbr == 0
    assert r.state.s == 0x1FB
    # Frame: PBR, PCH, PCL (address after the signature byte), P.
    assert [r.final_memory(a) for a in (0x1FF, 0x1FE, 0x1FD, 0x1FC)] == [0x00, 0x80, 0x03, 0x0B]
    assert r.state.p == (0x0B | 0x04) & ~0x08          # I set, D cleared
    assert r.cycles == 2 + 8                            # NOP + BRK in native mode


def test_brk_and_cop_in_emulation_mode() -> None:
    m = machine_with(b"\x00\x42", state=CpuState(e=1, s=0x1FF, p=0x38), extra=VECTORS)
    r = m.run()
    assert (r.stop_reason, r.state.pc, r.state.s, r.cycles) == ("brk", 0xA000, 0x1FC, 7)
    assert [r.final_memory(a) for a in (0x1FF, 0x1FE, 0x1FD)] == [0x80, 0x02, 0x38]
    m = machine_with(b"\x02\x42", state=CpuState(e=1, s=0x1FF, p=0x30), extra=VECTORS)
    assert (m.run().stop_reason, m.cpu.pc) == ("cop", 0xA100)
    m = machine_with(b"\x02\x42", state=CpuState(s=0x1FF, p=0x30), extra=VECTORS)
    r = m.run()
    assert (r.state.pc, r.cycles, r.state.s) == (0x9100, 8, 0x1FB)


def test_rti_native_pulls_p_pc_pbr_and_emulation_does_not_pull_pbr() -> None:
    frame = {0x1FC: 0x30, 0x1FD: 0x34, 0x1FE: 0x12, 0x1FF: 0x05}
    r = run_snippet(b"\x40", init=CpuState(s=0x1FB, p=0x00), memory=frame, stop_at=0x051234)
    assert (r.state.pbr, r.state.pc, r.state.p, r.state.s, r.cycles) == (
        0x05, 0x1234, 0x30, 0x1FF, 7)
    r = run_snippet(b"\x40", init=CpuState(e=1, s=0x1FB, p=0x30), memory=frame,
                    stop_at=0x001234)
    assert (r.state.pbr, r.state.pc, r.state.p, r.state.s, r.cycles) == (0, 0x1234, 0x30, 0x1FE, 6)


def test_rti_with_x_set_clears_index_high_bytes() -> None:
    frame = {0x1FC: 0x10, 0x1FD: 0x00, 0x1FE: 0x90, 0x1FF: 0x00}
    r = run_snippet(b"\x40", init=CpuState(s=0x1FB, p=0x00, x=0x1234, y=0xABCD),
                    memory=frame, stop_at=0x009000)
    assert (r.state.x, r.state.y, r.state.pc) == (0x34, 0xCD, 0x9000)


def test_hardware_interrupts_use_their_vectors_and_clear_b_in_emulation() -> None:
    m = machine_with(b"\xea", state=CpuState(e=1, s=0x1FF, p=0x30), extra=VECTORS)
    assert m.cpu.interrupt("irq") == 7
    assert m.cpu.pc == 0xA000 and m.memory.peek(0x1FD) == 0x20   # B (bit 4) clear
    m = machine_with(b"\xea", state=CpuState(s=0x1FF, p=0x30), extra=VECTORS)
    assert m.cpu.interrupt("nmi") == 8
    assert (m.cpu.pc, m.memory.peek(0x1FC)) == (0x9200, 0x30)
    with pytest.raises(ValueError):
        m.cpu.interrupt("reset")


def test_wai_and_stp_stop_the_run_with_their_reason() -> None:
    r = run_snippet(b"\xea\xcb\xea")
    assert (r.stop_reason, r.instructions, r.state.pc, r.cycles) == ("wai", 2, 0x8002, 5)
    r = run_snippet(b"\xdb\xea")
    assert (r.stop_reason, r.instructions, r.state.pc, r.cycles) == ("stp", 1, 0x8001, 3)


def test_emulation_stack_wraps_in_page_one_for_6502_pushes() -> None:
    r = run_snippet(b"\x48\x08", init=CpuState(e=1, s=0x100, a=0x77, p=0x30))
    assert r.state.s == 0x1FE
    assert (r.final_memory(0x100), r.final_memory(0x1FF)) == (0x77, 0x30)
    r = run_snippet(b"\x68", init=CpuState(e=1, s=0x1FF, p=0x30), memory={0x100: 0x99})
    assert (r.state.s, r.state.a & 0xFF) == (0x100, 0x99)


def test_emulation_new_instructions_do_not_wrap_until_they_finish() -> None:
    # PEA at S=$0100 writes $0100 and $00FF, then S's high byte is forced back to $01.
    r = run_snippet(b"\xf4\x34\x12", init=CpuState(e=1, s=0x100, p=0x30))
    assert (r.final_memory(0x100), r.final_memory(0x0FF), r.state.s) == (0x12, 0x34, 0x1FE)
    # JSL at S=$0100 pushes PBR, PCH, PCL to $0100, $00FF, $00FE.
    r = run_snippet(b"\x22\x04\x80\x00\xea", init=CpuState(e=1, s=0x100, p=0x30),
                    stop_at=0x008004)
    assert [r.final_memory(a) for a in (0x100, 0xFF, 0xFE)] == [0x00, 0x80, 0x03]
    assert r.state.s == 0x1FD


def test_plb_and_pei_follow_hardware_not_bsnes_v094() -> None:
    # PLB at S=$01FF reads $0200 (gilyon/snes-tests; bsnes-mercury wraps to $0100).
    r = run_snippet(b"\xab", init=CpuState(e=1, s=0x1FF, p=0x30),
                    memory={0x200: 0x7E, 0x100: 0x11})
    assert (r.state.dbr, r.state.s) == (0x7E, 0x100)
    # PEI ($FF) with D=0 in emulation mode reads $00FF/$0100, not $00FF/$0000.
    r = run_snippet(b"\xd4\xff", init=CpuState(e=1, s=0x1FF, p=0x30),
                    memory={0xFF: 0x34, 0x100: 0x12, 0x00: 0x99})
    assert (r.final_memory(0x1FF), r.final_memory(0x1FE)) == (0x12, 0x34)
    # [d] pointers never wrap inside the direct page.
    r = run_snippet(b"\xa7\xfe", init=CpuState(e=1, s=0x1FF, p=0x30),
                    memory={0xFE: 0x00, 0xFF: 0x20, 0x100: 0x7E, 0x7E2000: 0x5A, 0x00: 0x11})
    assert r.state.a & 0xFF == 0x5A


def test_direct_page_wrap_in_emulation_mode_only_when_dl_is_zero() -> None:
    # LDA $F0,X with X=$20: wraps to $0010 when DL=0, reaches $0210 when D=$0201 (+1 cycle).
    mem = {0x10: 0xAA, 0x110: 0xBB, 0x211: 0xCC}
    r = run_snippet(b"\xb5\xf0", init=CpuState(e=1, x=0x20, p=0x30), memory=mem)
    assert (r.state.a & 0xFF, r.cycles) == (0xAA, 4)
    r = run_snippet(b"\xb5\xf0", init=CpuState(e=1, x=0x20, d=0x0101, p=0x30), memory=mem)
    assert (r.state.a & 0xFF, r.cycles) == (0xCC, 5)
    r = run_snippet(b"\xb5\xf0", init=CpuState(e=0, x=0x20, p=0x30), memory=mem)
    assert r.state.a & 0xFF == 0xBB


def test_branch_cycles_taken_and_page_cross_in_emulation_mode() -> None:
    # BNE at $80FD with Z clear jumps to $8101: taken (+1) and, in emulation mode, a page
    # crossing (+1 more).
    code = bytes(0xFD) + b"\xd0\x02" + bytes(2) + b"\xea"
    for e, cycles in ((1, 4), (0, 3)):
        r = run_snippet(code, init=CpuState(e=e, p=0x30), entry=0x0080FD, stop_at=0x008101)
        assert (r.state.pc, r.cycles) == (0x8101, cycles)


def test_mvn_moves_one_byte_per_step_and_counts_seven_cycles_each() -> None:
    mem = {0x7F1000 + i: i + 1 for i in range(4)}
    r = run_snippet(b"\x54\x7e\x7f", init=CpuState(a=3, x=0x1000, y=0x2000, p=0x00),
                    memory=mem)
    assert [r.final_memory(0x7E2000 + i) for i in range(4)] == [1, 2, 3, 4]
    assert (r.state.a, r.state.x, r.state.y, r.state.dbr) == (0xFFFF, 0x1004, 0x2004, 0x7E)
    assert (r.instructions, r.cycles) == (4, 28)
    r = run_snippet(b"\x44\x7e\x7f", init=CpuState(a=1, x=0x1001, y=0x2001, p=0x00),
                    memory=mem)
    assert [r.final_memory(0x7E2000 + i) for i in range(2)] == [1, 2]
    assert (r.state.x, r.state.y) == (0x0FFF, 0x1FFF)


def test_xce_rep_sep_plp_and_the_index_high_bytes() -> None:
    r = run_snippet(b"\x38\xfb", init=CpuState(x=0x1234, y=0x5678, s=0x1ABC, p=0x00))
    assert (r.state.e, r.state.x, r.state.y, r.state.s, r.state.p & 0x31) == (
        1, 0x34, 0x78, 0x1BC, 0x30)
    r = run_snippet(b"\xc2\x30", init=CpuState(e=1, p=0x30))      # REP can't clear M/X
    assert r.state.p & 0x30 == 0x30
    r = run_snippet(b"\x18\xfb\xc2\x30", init=CpuState(e=1, p=0x31))
    assert (r.state.e, r.state.p & 0x31) == (0, 0x01)           # C took E's old value


def test_decimal_mode_examples_from_the_datasheet_rules() -> None:
    def adc(a, v, p, code=b"\x69"):
        wide = not p & 0x20
        operand = v.to_bytes(2 if wide else 1, "little")
        return run_snippet(code + operand, init=CpuState(a=a, p=p)).state
    assert (adc(0x0099, 0x01, 0x28).a & 0xFF, adc(0x0099, 0x01, 0x28).p & 0x01) == (0x00, 1)
    assert adc(0x1299, 0x0001, 0x08).a == 0x1300
    assert adc(0x9999, 0x0001, 0x08).a == 0x0000
    st = adc(0x0010, 0x01, 0x29, code=b"\xe9")                   # SBC: 10 - 01 = 09
    assert (st.a & 0xFF, st.p & 1) == (0x09, 1)


def test_cycle_totals_for_a_loop() -> None:
    r = run_snippet(b"\xa2\x03\xca\xd0\xfd", init=CpuState(p=0x30))
    # LDX #3 (2) + 3 DEX (2 each) + 2 taken BNE (3) + 1 untaken (2)
    assert (r.instructions, r.cycles) == (7, 2 + 6 + 6 + 2)


def test_budget_overrun_raises_a_clear_error() -> None:
    with pytest.raises(ExecutionBudgetExceeded, match=r"100 instructions .*\$008000"):
        run_snippet(b"\x80\xfe", max_instructions=100)


def test_step_on_plain_memory_wraps_pc_inside_the_bank() -> None:
    mem = PlainMemory()
    mem.data[0x12FFFF] = 0xA9          # LDA # at $12:FFFF takes its operand from $12:0000
    mem.data[0x120000] = 0x5C
    cpu = Cpu(mem, CpuState(pbr=0x12, pc=0xFFFF, p=0x30))
    assert cpu.step() == (2, None)
    assert (cpu.a & 0xFF, cpu.pc, cpu.pbr) == (0x5C, 0x0001, 0x12)
