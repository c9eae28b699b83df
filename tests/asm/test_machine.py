"""The SNES bus (mirrors, ROM, I/O log, hooks), the Machine and run_snippet."""

from __future__ import annotations

import pytest

from afs.asm.cpu import CpuState
from afs.asm.machine import Machine, Memory, run_snippet


def test_wram_mirrors_fold_to_bank_7e() -> None:
    mem = Memory()
    for mirror in (0x000010, 0x3F0010, 0x800010, 0xBF0010):
        assert mem.canonical(mirror) == 0x7E0010
    assert mem.canonical(0x7F0010) == 0x7F0010
    assert mem.canonical(0x7E2000) == 0x7E2000
    assert mem.canonical(0x002000) != 0x7E2000          # only $0000-$1FFF mirror WRAM
    assert mem.canonical(0x402000) == 0x402000          # banks $40+ have no WRAM mirror


def test_lorom_and_hirom_rom_regions() -> None:
    lo = Memory(mapper="lorom")
    assert lo.is_rom(0x008000) and lo.is_rom(0x808000) and lo.is_rom(0xFEBC33)
    assert lo.canonical(0x808000) == 0x008000
    assert not lo.is_rom(0x7E8000) and not lo.is_rom(0x700000)   # WRAM, SRAM
    assert lo.canonical(0xFE8000) == 0xFE8000          # not folded onto WRAM bank $7E
    hi = Memory(mapper="hirom")
    assert hi.is_rom(0xC00000) and hi.is_rom(0x400000) and hi.is_rom(0x008000)
    assert hi.canonical(0x408000) == hi.canonical(0xC08000) == hi.canonical(0x008000)
    assert not hi.is_rom(0x206000)


def test_rom_writes_are_ignored_and_listed() -> None:
    r = run_snippet(b"\xa9\x55\x8d\x00\x80", init=CpuState(p=0x30))   # STA $8000 (ROM)
    assert r.final_memory(0x008000) == 0xA9
    assert r.rom_writes == [(0x008000, 0x55, 2)]
    assert r.writes == []


def test_io_writes_are_logged_not_stored() -> None:
    code = b"\xa9\x8f\x8d\x00\x21\x8f\x0b\x42\x80\xad\x12\x42"   # STA $2100; STA $80420B; LDA
    r = run_snippet(code, init=CpuState(p=0x30))
    assert r.io_writes == [(0x2100, 0x8F, 2), (0x420B, 0x8F, 6)]
    assert r.io_reads == [(0x4212, 11)]
    assert r.writes == [] and r.state.a & 0xFF == 0


def test_writes_reads_and_uninitialized_reads_use_canonical_addresses() -> None:
    # LDA $10 (D=0) ; STA $7E0011 ; LDA $0012
    code = b"\xa5\x10\x8f\x11\x00\x7e\xad\x12\x00"
    seen: list[int] = []
    m = Machine(fill=0xEE)
    m.load_program([(0x008000, code)])
    m.cpu.load_state(CpuState(p=0x30))
    m.memory.on_uninitialized_read = seen.append
    m.set_memory({0x000010: 0x42})
    r = m.run()
    assert r.reads == {0x7E0010, 0x7E0012}
    assert r.writes == [(0x7E0011, 0x42, 3)]
    assert r.uninitialized_reads == {0x7E0012} and seen == [0x7E0012]
    assert r.state.a & 0xFF == 0xEE                 # never-written bytes read as the fill
    assert r.written() == {0x7E0011: 0x42}
    assert r.final_memory(0x000011) == 0x42 and r.final_memory(0x7E0013) == 0xEE


def test_snapshot_restore_replays_identically() -> None:
    m = Machine()
    m.load_program([(0x008000, b"\xe6\x10\xa5\x10")])          # INC $10 ; LDA $10
    m.cpu.load_state(CpuState(p=0x30))
    snap = m.snapshot()
    first = m.run()
    m.restore(snap)
    second = m.run()
    assert first.state == second.state and first.state.a & 0xFF == 1
    assert first.writes == second.writes and second.cycles == first.cycles == 8


def test_run_snippet_assembles_source_at_008000() -> None:
    r = run_snippet("sep #$30\nlda #$05\nsta $7E0010\nrep #$20\n", init=CpuState(e=0))
    assert r.stop_reason == "end" and r.instructions == 4
    assert r.final_memory(0x7E0010) == 5
    assert r.state.pc == 0x800A and r.state.p & 0x30 == 0x10


def test_rts_and_rtl_at_depth_zero_stop_before_executing() -> None:
    src = "jsr sub\nlda #$01\nrts\nsub:\nlda #$02\nrts\n"
    r = run_snippet(src, init=CpuState(p=0x30))
    assert (r.stop_reason, r.state.a & 0xFF, r.state.s, r.state.pc) == ("rts", 1, 0x1FF, 0x8005)
    assert r.instructions == 4                       # JSR, LDA, RTS (inner), LDA
    r = run_snippet(b"\x6b", init=CpuState(p=0x30))
    assert r.stop_reason == "rtl" and r.instructions == 0
    # stop_at="rtl" lets an RTS at depth 0 execute (it returns to $0001 here, all zeros: BRK).
    r = run_snippet(b"\x60", init=CpuState(p=0x30), stop_at="rtl")
    assert r.stop_reason == "brk"


def test_stop_at_address_and_bad_stop_at() -> None:
    r = run_snippet(b"\xea\xea\xea", stop_at=0x008002)
    assert (r.stop_reason, r.instructions, r.state.pc) == ("address", 2, 0x8002)
    with pytest.raises(ValueError, match="stop_at"):
        run_snippet(b"\xea", stop_at="never")


def test_code_in_wram_runs_and_is_not_cached_stale() -> None:
    # Code at $7E2000 rewrites its own next instruction's operand: LDA #$11 -> LDA #$22.
    code = b"\xa9\x22\x8d\x06\x20\xa9\x11"
    m = Machine()
    m.load_program([(0x7E2000, code)])
    m.cpu.load_state(CpuState(pbr=0x7E, pc=0x2000, dbr=0x7E, p=0x30))
    r = m.run()
    assert r.stop_reason == "end" and r.state.a & 0xFF == 0x22


def test_trace_lists_each_instruction_with_registers_before_it() -> None:
    r = run_snippet(b"\xa9\x05\xaa", init=CpuState(p=0x30), trace=True)
    assert [s["text"] for s in r.trace] == ["LDA #$05", "TAX"]
    assert r.trace[1]["a"] == 5 and r.trace[1]["cycles"] == 2


def test_set_memory_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="byte"):
        run_snippet(b"\xea", memory={0x10: 300})
